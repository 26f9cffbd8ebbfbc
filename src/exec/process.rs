//! Runs one external program for a trial: its own process group (so a timeout or
//! Ctrl-C kills everything it started), no shell, stdin closed, stdout fed line by
//! line to the caller, stderr's tail kept, both optionally copied to log files.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::supervisor::{Killed, Supervisor};

/// What to run.
#[derive(Clone, Debug)]
pub struct ProcessSpec {
    /// Program and arguments.
    pub argv: Vec<String>,
    /// Variables added to the inherited environment.
    pub env: Vec<(String, String)>,
    /// Working directory.
    pub cwd: PathBuf,
    /// Wall-clock limit.
    pub timeout: Option<Duration>,
    /// Where to copy stdout and stderr, if anywhere.
    pub logs: Option<(PathBuf, PathBuf)>,
}

/// How the program ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Exit {
    /// It exited with this code.
    Code(i32),
    /// A signal it did not get from us ended it.
    Signal(i32),
    /// Killed at its deadline.
    TimedOut(Duration),
    /// Killed because the run was stopped.
    Stopped,
}

/// A finished program.
#[derive(Clone, Debug)]
pub struct Finished {
    /// How it ended.
    pub exit: Exit,
    /// The last lines of its stderr.
    pub stderr_tail: String,
}

/// Bytes of stderr kept for the failure report.
pub const STDERR_TAIL_BYTES: usize = 2048;

/// Runs `spec`, calling `on_line` with each stdout line. `Err` when it could not start.
pub fn run(
    spec: &ProcessSpec,
    supervisor: &Supervisor,
    on_line: &mut (dyn FnMut(&str) + Send),
) -> Result<Finished, String> {
    let (program, args) = spec.argv.split_first().ok_or("the command is empty")?;
    let (out_log, err_log) = open_logs(spec.logs.as_ref())?;
    let mut child = command(program, args, spec).spawn().map_err(|e| format!("cannot start `{program}`: {e}"))?;
    let pid = child.id();
    let deadline = spec.timeout.map(|t| Instant::now() + t);
    let registered = supervisor.register(pid, deadline);
    if !registered {
        // The run is stopping; never let the program run on its own.
        supervisor.finish(pid);
    }
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let (exit, stderr_tail) = std::thread::scope(|s| {
        let err_reader = s.spawn(move || stderr.map(|e| tail_of(e, err_log)).unwrap_or_default());
        let out_reader = s.spawn(move || {
            if let Some(out) = stdout {
                read_lines(out, out_log, on_line);
            }
        });
        // Reap first: it kills stragglers that would otherwise keep the pipes open.
        let exit = reap(&mut child, supervisor, spec.timeout, registered);
        let _ = out_reader.join();
        (exit, err_reader.join().unwrap_or_default())
    });
    Ok(Finished { exit, stderr_tail })
}

/// Whether `program` (a bare name) is a file in a directory on PATH.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

fn command(program: &str, args: &[String], spec: &ProcessSpec) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .current_dir(&spec.cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    die_with_parent(&mut cmd);
    cmd
}

/// On Linux, the program gets SIGKILL if Harmonica itself dies (kill -9), so no
/// orphaned trial keeps running after a crash.
#[cfg(target_os = "linux")]
fn die_with_parent(cmd: &mut Command) {
    // SAFETY: the closure runs between fork and exec and only calls prctl, which is
    // async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_cmd: &mut Command) {}

fn open_logs(logs: Option<&(PathBuf, PathBuf)>) -> Result<(Option<File>, Option<File>), String> {
    let open = |p: &Path| File::create(p).map_err(|e| format!("cannot write {}: {e}", p.display()));
    match logs {
        Some((out, err)) => Ok((Some(open(out)?), Some(open(err)?))),
        None => Ok((None, None)),
    }
}

fn read_lines(out: impl Read, mut log: Option<File>, on_line: &mut (dyn FnMut(&str) + Send)) {
    let mut reader = BufReader::new(out);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                if let Some(f) = log.as_mut() {
                    let _ = f.write_all(&buf);
                }
                on_line(String::from_utf8_lossy(&buf).trim_end_matches(['\n', '\r']));
            }
        }
    }
}

/// Reads a stream to its end, keeping its last [`STDERR_TAIL_BYTES`] bytes.
fn tail_of(mut stream: impl Read, mut log: Option<File>) -> String {
    let mut tail: VecDeque<u8> = VecDeque::with_capacity(STDERR_TAIL_BYTES);
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if let Some(f) = log.as_mut() {
                    let _ = f.write_all(&buf[..n]);
                }
                tail.extend(&buf[..n]);
                let excess = tail.len().saturating_sub(STDERR_TAIL_BYTES);
                tail.drain(..excess);
            }
        }
    }
    let bytes: Vec<u8> = tail.into();
    String::from_utf8_lossy(&bytes).trim_end().to_owned()
}

/// Waits for the leader to exit, unregisters its group, then reaps it.
fn reap(child: &mut Child, supervisor: &Supervisor, timeout: Option<Duration>, registered: bool) -> Exit {
    let exited = wait_exited(child.id());
    let killed = if registered { supervisor.finish(child.id()) } else { Some(Killed::Stopped) };
    if exited.is_err() {
        let _ = child.kill();
    }
    let status = child.wait();
    match (killed, status) {
        (Some(Killed::Timeout), _) => Exit::TimedOut(timeout.unwrap_or_default()),
        (Some(Killed::Stopped), _) => Exit::Stopped,
        (None, Ok(st)) => match (st.code(), st.signal()) {
            (Some(code), _) => Exit::Code(code),
            (None, Some(sig)) => Exit::Signal(sig),
            (None, None) => Exit::Code(-1),
        },
        (None, Err(_)) => Exit::Code(-1),
    }
}

/// Blocks until `pid` has exited, leaving it unreaped (`WNOWAIT`).
fn wait_exited(pid: u32) -> std::io::Result<()> {
    loop {
        // SAFETY: siginfo_t is plain data; waitid writes into the zeroed value we own.
        let r = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, libc::WEXITED | libc::WNOWAIT)
        };
        if r == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}
