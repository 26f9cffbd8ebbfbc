//! Watches the process groups of running trials: kills a group when its deadline
//! passes, and every group at once when the run is stopped (Ctrl-C).
//!
//! Safety of `killpg`: a group is only signalled while it is registered, and a
//! worker unregisters it *before* reaping its leader (it waits with `WNOWAIT`
//! first). While the leader is an unreaped zombie its pid, and so the group id,
//! cannot be reused, so a signal can never reach an unrelated process.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Instant;

/// Why a group was killed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Killed {
    /// Its deadline passed.
    Timeout,
    /// The run was stopped.
    Stopped,
}

#[derive(Default)]
struct State {
    /// Running groups: leader pid -> deadline.
    running: HashMap<u32, Option<Instant>>,
    /// Groups killed while registered, and why.
    killed: HashMap<u32, Killed>,
    shutdown: bool,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    stopping: AtomicBool,
}

/// Kills trial process groups on timeout or stop. Cheap to clone; the watchdog
/// thread ends when the last clone is dropped.
#[derive(Clone)]
pub struct Supervisor {
    shared: Arc<Shared>,
    _watchdog: Arc<Watchdog>,
}

struct Watchdog {
    shared: Arc<Shared>,
    handle: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        lock(&self.shared).shutdown = true;
        self.shared.wake.notify_all();
        if let Some(h) = self.handle.lock().ok().and_then(|mut h| h.take()) {
            let _ = h.join();
        }
    }
}

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    // A panic while holding the lock leaves consistent data (plain inserts/removes).
    shared.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Default for Supervisor {
    fn default() -> Self {
        Self::new()
    }
}

impl Supervisor {
    /// A supervisor with its watchdog thread.
    pub fn new() -> Self {
        let shared =
            Arc::new(Shared { state: Mutex::default(), wake: Condvar::new(), stopping: AtomicBool::new(false) });
        let for_thread = Arc::clone(&shared);
        let handle = std::thread::Builder::new().name("harmonica-watchdog".into()).spawn(move || watch(&for_thread));
        let watchdog = Watchdog { shared: Arc::clone(&shared), handle: Mutex::new(handle.ok()) };
        Self { shared, _watchdog: Arc::new(watchdog) }
    }

    /// True once [`stop`](Self::stop) was called.
    pub fn is_stopping(&self) -> bool {
        self.shared.stopping.load(Ordering::SeqCst)
    }

    /// Kills every registered group and refuses new ones.
    pub fn stop(&self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        let mut st = lock(&self.shared);
        let pids: Vec<u32> = st.running.keys().copied().collect();
        for pid in pids {
            kill_group(pid);
            st.killed.entry(pid).or_insert(Killed::Stopped);
        }
    }

    /// Registers a started group leader. `false` when the run is stopping: the
    /// caller must kill the group itself.
    pub fn register(&self, pid: u32, deadline: Option<Instant>) -> bool {
        let mut st = lock(&self.shared);
        if self.is_stopping() {
            return false;
        }
        st.running.insert(pid, deadline);
        drop(st);
        self.shared.wake.notify_all();
        true
    }

    /// Unregisters a group whose leader has exited (not yet reaped), kills what is
    /// left of the group, and says whether it had been killed and why.
    pub fn finish(&self, pid: u32) -> Option<Killed> {
        let mut st = lock(&self.shared);
        st.running.remove(&pid);
        // Stragglers (background children) would hold the output pipes open.
        kill_group(pid);
        st.killed.remove(&pid)
    }
}

fn watch(shared: &Shared) {
    let mut st = lock(shared);
    loop {
        if st.shutdown {
            return;
        }
        let now = Instant::now();
        let expired: Vec<u32> =
            st.running.iter().filter(|(_, d)| d.is_some_and(|d| d <= now)).map(|(&p, _)| p).collect();
        for pid in expired {
            kill_group(pid);
            st.running.insert(pid, None);
            st.killed.insert(pid, Killed::Timeout);
        }
        let next = st.running.values().flatten().min().copied();
        st = match next {
            Some(when) => {
                let wait = when.saturating_duration_since(Instant::now());
                match shared.wake.wait_timeout(st, wait) {
                    Ok((g, _)) => g,
                    Err(p) => p.into_inner().0,
                }
            }
            None => shared.wake.wait(st).unwrap_or_else(std::sync::PoisonError::into_inner),
        };
    }
}

/// SIGKILL to the process group led by `pid`.
fn kill_group(pid: u32) {
    if let Ok(pgid) = libc::pid_t::try_from(pid) {
        // SAFETY: killpg has no memory-safety preconditions; see the module docs for
        // why the group id is still ours.
        unsafe {
            libc::killpg(pgid, libc::SIGKILL);
        }
    }
}
