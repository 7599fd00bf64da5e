//! Threads that serve ADB streams and then wait a while for the next stream, so a handset
//! that runs thousands of short commands (a call-state poll every 100 ms) does not start and
//! end a thread for each: threads started and ended by the thousand leave the allocator's
//! per-thread arenas fragmented, and a long run's resident memory creeps up.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Work for a stream thread.
pub type Job = Box<dyn FnOnce() + Send>;

/// How long a thread with nothing to do waits before it ends.
const IDLE: Duration = Duration::from_secs(30);

/// An elastic set of stream threads: a job goes to a waiting thread when there is one, else
/// to a new thread.
pub struct StreamThreads {
    jobs: Mutex<Sender<Job>>,
    queue: Arc<Mutex<Receiver<Job>>>,
    /// Threads waiting for a job and not yet promised one.
    idle: Arc<AtomicUsize>,
}

/// Takes one unit from `counter` when it has one.
fn claim(counter: &AtomicUsize) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

impl StreamThreads {
    /// The stream threads every virtual handset of the process shares.
    pub fn shared() -> &'static StreamThreads {
        static SHARED: OnceLock<StreamThreads> = OnceLock::new();
        SHARED.get_or_init(|| {
            let (jobs, queue) = channel();
            StreamThreads {
                jobs: Mutex::new(jobs),
                queue: Arc::new(Mutex::new(queue)),
                idle: Arc::new(AtomicUsize::new(0)),
            }
        })
    }

    /// Runs `job` on a waiting thread, or on a new one named `name`; false when no thread
    /// could be had.
    pub fn run(&self, name: String, job: Job) -> bool {
        if claim(&self.idle) {
            // A waiting thread was promised this job: it cannot leave before taking one.
            let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
            return jobs.send(job).is_ok();
        }
        let (queue, idle) = (self.queue.clone(), self.idle.clone());
        std::thread::Builder::new()
            .name(name)
            .spawn(move || serve(job, &queue, &idle))
            .is_ok()
    }
}

/// Runs `first`, then jobs from the queue until none came for [`IDLE`].
fn serve(first: Job, queue: &Mutex<Receiver<Job>>, idle: &AtomicUsize) {
    first();
    loop {
        idle.fetch_add(1, Ordering::SeqCst);
        loop {
            let next = queue
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .recv_timeout(IDLE);
            match next {
                // The submitter took this thread's idle unit when it sent the job.
                Ok(job) => {
                    job();
                    break;
                }
                // Leave only by giving up an idle unit nobody has claimed; otherwise a job
                // promised to a waiting thread is on its way.
                Err(RecvTimeoutError::Timeout) if claim(idle) => return,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_reuse_a_waiting_thread() {
        let (jobs, queue) = channel();
        let pool = StreamThreads {
            jobs: Mutex::new(jobs),
            queue: Arc::new(Mutex::new(queue)),
            idle: Arc::new(AtomicUsize::new(0)),
        };
        let (done, results) = channel();
        for _ in 0..20 {
            let done = done.clone();
            assert!(pool.run(
                "t".into(),
                Box::new(move || {
                    let _ = done.send(std::thread::current().id());
                })
            ));
            // Submit the next job only once the thread has finished this one and waits: on a
            // loaded machine it may take a while to be scheduled, and a job submitted before
            // rightly starts a thread of its own.
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            while pool.idle.load(Ordering::SeqCst) == 0 {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the thread waits for the next job within 10 s"
                );
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        let ids: std::collections::HashSet<_> = results.iter().take(20).collect();
        assert_eq!(ids.len(), 1, "one thread served every job");
    }
}
