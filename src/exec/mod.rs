//! Evaluating trials: a streaming pool of worker threads that reports each
//! trial as it starts and as it finishes, and the supervision of the external
//! processes trials start.

pub mod process;
pub mod slurm;
pub mod supervisor;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

pub use supervisor::Supervisor;

use crate::harmonica::TrialRequest;

/// How many evaluations run at once.
#[derive(Clone, Copy, Debug)]
pub struct LocalPool {
    workers: usize,
}

impl LocalPool {
    /// A pool of `workers` threads (at least one).
    pub fn new(workers: usize) -> Self {
        Self { workers: workers.max(1) }
    }

    /// Number of worker threads.
    pub fn workers(&self) -> usize {
        self.workers
    }
}

/// What workers report, by index into the job list.
#[derive(Debug)]
pub enum Message<R> {
    /// A worker took job `i`.
    Started(usize),
    /// Job `i` finished with this result.
    Done(usize, R),
}

/// Whether the coordinator wants more jobs started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Keep going.
    Continue,
    /// Start no new job; the running ones still report.
    Stop,
}

/// How often the coordinator wakes without messages (to notice Ctrl-C).
const TICK: Duration = Duration::from_millis(50);

impl LocalPool {
    /// Runs `work` on every job on the pool's threads. `handle` runs on the calling
    /// thread with every message that arrived since its last call (so the caller
    /// can make each group durable at once), and with an empty list at least every
    /// [`TICK`]. After it returns [`Flow::Stop`] no job starts, but the messages of
    /// jobs already running are still delivered.
    pub fn stream<J, R, W, H>(&self, jobs: &[J], work: W, mut handle: H)
    where
        J: Sync,
        R: Send,
        W: Fn(&J) -> R + Sync,
        H: FnMut(Vec<Message<R>>) -> Flow,
    {
        let next = AtomicUsize::new(0);
        let stopped = AtomicBool::new(false);
        let (tx, rx) = mpsc::channel::<Message<R>>();
        std::thread::scope(|s| {
            for _ in 0..self.workers.min(jobs.len()) {
                let tx = tx.clone();
                let (next, stopped, work) = (&next, &stopped, &work);
                s.spawn(move || worker(jobs, next, stopped, work, &tx));
            }
            drop(tx);
            loop {
                let (batch, open) = receive(&rx);
                if handle(batch) == Flow::Stop {
                    stopped.store(true, Ordering::SeqCst);
                }
                if !open {
                    break;
                }
            }
        });
    }
}

fn worker<J, R, W: Fn(&J) -> R>(
    jobs: &[J],
    next: &AtomicUsize,
    stopped: &AtomicBool,
    work: &W,
    tx: &mpsc::Sender<Message<R>>,
) {
    while !stopped.load(Ordering::SeqCst) {
        let i = next.fetch_add(1, Ordering::SeqCst);
        let Some(job) = jobs.get(i) else { return };
        if tx.send(Message::Started(i)).is_err() {
            return;
        }
        let r = work(job);
        if tx.send(Message::Done(i, r)).is_err() {
            return;
        }
    }
}

/// Everything waiting on the channel (blocking up to [`TICK`] for the first), and
/// whether any worker may still send.
fn receive<R>(rx: &mpsc::Receiver<Message<R>>) -> (Vec<Message<R>>, bool) {
    let mut batch = Vec::new();
    match rx.recv_timeout(TICK) {
        Ok(m) => batch.push(m),
        Err(mpsc::RecvTimeoutError::Timeout) => return (batch, true),
        Err(mpsc::RecvTimeoutError::Disconnected) => return (batch, false),
    }
    loop {
        match rx.try_recv() {
            Ok(m) => batch.push(m),
            Err(mpsc::TryRecvError::Empty) => return (batch, true),
            Err(mpsc::TryRecvError::Disconnected) => return (batch, false),
        }
    }
}

impl LocalPool {
    /// Evaluates every request with `eval`, calling `done` (on the calling thread)
    /// as each finishes. Results come back in request order.
    pub fn run<T, E, D>(&self, batch: &[TrialRequest], eval: E, done: D) -> Vec<T>
    where
        T: Send,
        E: Fn(&TrialRequest) -> T + Sync,
        D: Fn(&TrialRequest, &T) + Sync,
    {
        let mut out: Vec<Option<T>> = std::iter::repeat_with(|| None).take(batch.len()).collect();
        self.stream(batch, eval, |msgs| {
            for m in msgs {
                if let Message::Done(i, r) = m {
                    done(&batch[i], &r);
                    out[i] = Some(r);
                }
            }
            Flow::Continue
        });
        // Every job runs when the handler never stops the stream.
        out.into_iter().flatten().collect()
    }
}

/// The number of cores, the default worker count.
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_reports_start_then_done() {
        let jobs: Vec<usize> = (0..100).collect();
        let mut started = [false; 100];
        let mut done = vec![None; 100];
        LocalPool::new(3).stream(
            &jobs,
            |j| j * 2,
            |msgs| {
                for m in msgs {
                    match m {
                        Message::Started(i) => started[i] = true,
                        Message::Done(i, r) => {
                            assert!(started[i]);
                            done[i] = Some(r);
                        }
                    }
                }
                Flow::Continue
            },
        );
        assert_eq!(done, (0..100).map(|j| Some(j * 2)).collect::<Vec<_>>());
    }

    #[test]
    fn stop_starts_no_new_job_but_running_ones_report() {
        let jobs: Vec<usize> = (0..1000).collect();
        let go = AtomicBool::new(false);
        let (mut done, mut asked_stop) = (Vec::new(), false);
        LocalPool::new(1).stream(
            &jobs,
            |&j| {
                // Job 1 is running when the stop comes; it finishes only after it.
                while j > 0 && !go.load(Ordering::SeqCst) {
                    std::thread::yield_now();
                }
                j
            },
            |msgs| {
                if asked_stop {
                    go.store(true, Ordering::SeqCst);
                }
                // Stop as soon as job 1 has started: it is then running, held until
                // the call after this one, so the stop reaches the worker before it
                // could take job 2, whatever the threads' timing.
                for m in msgs {
                    match m {
                        Message::Done(i, _) => done.push(i),
                        Message::Started(i) => asked_stop |= i == 1,
                    }
                }
                if asked_stop {
                    Flow::Stop
                } else {
                    Flow::Continue
                }
            },
        );
        assert_eq!(done, vec![0, 1]);
    }
}
