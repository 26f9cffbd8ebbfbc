//! The interactive REPL in a real terminal (tmux): completion, Ctrl-C during a
//! stage, history. `scripts/test-all` installs tmux when it is missing.

use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

struct Tmux {
    name: String,
}

impl Tmux {
    fn start(name: &str, command: &str) -> Self {
        let _ = Command::new("tmux").args(["kill-session", "-t", name]).output();
        let status = Command::new("tmux")
            .args(["new-session", "-d", "-s", name, "-x", "120", "-y", "50", command])
            .status()
            .expect("tmux runs (scripts/test-all installs it)");
        assert!(status.success());
        Self { name: name.to_owned() }
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.name];
        args.extend_from_slice(keys);
        assert!(Command::new("tmux").args(&args).status().expect("send-keys").success());
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name, "-S", "-200"])
            .output()
            .expect("capture");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn wait_for(&self, what: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(what) {
                return screen;
            }
            assert!(start.elapsed() < Duration::from_secs(60), "`{what}` never appeared:\n{screen}");
            sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["kill-session", "-t", &self.name]).output();
    }
}

#[test]
fn completion_interrupt_and_history_in_a_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("history");
    let cmd = format!(
        "HARMONICA_HISTORY={} {} repl --workers 2 examples/reference_ex2.yaml",
        history.display(),
        env!("CARGO_BIN_EXE_harmonica")
    );
    let t = Tmux::start("harmonica-tty-test", &cmd);
    t.wait_for("In [2]:");
    // Tab completes a command name.
    t.keys(&["ste", "Tab"]);
    t.wait_for("In [2]: step");
    t.keys(&["Enter"]);
    t.wait_for("best so far: -812.8416 (trial 244)");
    // Tab completes a parameter name after `fix`.
    t.keys(&["fix x1", "Tab", "Tab"]);
    t.wait_for("x10");
    t.keys(&["C-u"]);
    // Ctrl-C during a run stops it; the session survives with its stages. Many
    // stages keep the run going for seconds (three take well under 300 ms).
    t.keys(&["set stages = 1000", "Enter"]);
    t.wait_for("In [4]:");
    t.keys(&["run", "Enter"]);
    sleep(Duration::from_millis(300));
    t.keys(&["C-c"]);
    let screen = t.wait_for("interrupted: finished trials are kept");
    assert!(!screen.contains("panicked"), "{screen}");
    t.keys(&["terms 1", "Enter"]);
    t.wait_for("+88.4266  x8 * x25 * x46");
    // An open brace continues the input on the next line until it closes.
    t.keys(&["optimizer harmonica {", "Enter"]);
    t.keys(&["  samples: 40", "Enter"]);
    sleep(Duration::from_millis(200));
    assert!(!t.screen().contains("defined optimizer"), "the input ended before its brace closed");
    t.keys(&["}", "Enter"]);
    t.wait_for("defined optimizer; the engine starts afresh");
    t.keys(&["step", "Enter"]);
    t.wait_for("Stage 1: 40 samples");
    t.keys(&["C-d"]);
    // The file may exist before its lines are written: wait for the whole history.
    let start = Instant::now();
    let mut saved = String::new();
    while start.elapsed() < Duration::from_secs(10) {
        saved = std::fs::read_to_string(&history).unwrap_or_default();
        if saved.contains("step") && saved.contains("terms 1") {
            break;
        }
        sleep(Duration::from_millis(50));
    }
    assert!(saved.contains("step") && saved.contains("terms 1"), "{saved}");
}
