//! Thread pools for `score_many`: bounded, and safe across `fork`.
//!
//! - `jobs` is capped at [`qa_core::max_jobs`] (4 × the cores), and at most [`POOLS_KEPT`] pools
//!   are kept (the ones used last): calling with many `jobs` values cannot pile up threads
//!   (issue 16.2: one pool per value kept forever left 32,450 threads).
//! - Each pool belongs to the process that built it. A child made by `fork` (multiprocessing's
//!   default on Linux) has none of its parent's threads, so a pool copied from the parent would
//!   take jobs that no thread ever runs (issue 16.1: the child hung in its next `score_many`).
//!   A child forgets the copied pools without touching them (their locks may have been
//!   copied held) and builds its own: right after a fork made by Python (`os.register_at_fork`,
//!   see `lib.rs`), and in any case on its first call, when the pid is not the one the pools
//!   were built in (a fork made outside Python).
//! - No call uses rayon's global pool, which cannot be rebuilt after a fork: the default
//!   (`jobs=None`) is a pool of one thread per core, built here like the others, and one thread
//!   scores on the calling thread.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use rayon::{ThreadPool, ThreadPoolBuildError, ThreadPoolBuilder};

/// Largest `jobs` value accepted (a larger one is an error, not a cap).
pub(crate) const MAX_JOBS: usize = 256;

/// How many pools (of distinct sizes) are kept, the ones used last.
pub(crate) const POOLS_KEPT: usize = 2;

/// The kept pools, in the process that built them.
#[derive(Debug)]
struct Pools {
    /// The process the pools belong to (0: none built yet).
    pid: u32,
    /// `(threads, pool)`, the one used last at the end.
    kept: Vec<(usize, Arc<ThreadPool>)>,
}

/// Only locked with the GIL held, and never across Python code: when Python forks (holding the
/// GIL) no other thread holds it, so the child's copy is never locked.
static POOLS: Mutex<Pools> = Mutex::new(Pools {
    pid: 0,
    kept: Vec::new(),
});

impl Pools {
    /// Forgets the pools, which are a forked parent's, and makes the (empty) list this
    /// process's. Their threads do not exist here, and dropping a pool would signal them through
    /// state copied in whatever shape the parent's threads left it: they are leaked instead,
    /// once per process.
    fn forget_the_parents(&mut self) {
        for (_, pool) in self.kept.drain(..) {
            std::mem::forget(pool);
        }
        self.pid = std::process::id();
    }
}

fn lock() -> std::sync::MutexGuard<'static, Pools> {
    // a poisoned lock only means a thread panicked while building a pool: the list is fine
    POOLS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Called in the child right after Python forks (`os.register_at_fork(after_in_child=…)`):
/// the pools are the parent's, even if the child's pid is the one they were built in (a
/// recycled pid).
pub(crate) fn forked() {
    lock().forget_the_parents();
}

/// The cores this process may use (CPU affinity and cgroup quota, as rayon counts them).
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// The number of threads that score a call with `jobs` (`None`: one per core), capped at
/// [`qa_core::max_jobs`] (4 × the cores).
pub(crate) fn threads(jobs: Option<usize>) -> usize {
    let cores = cores();
    jobs.unwrap_or(cores).clamp(1, qa_core::max_jobs())
}

/// A pool of `threads` threads, shared by the calls that use the same number, built in this
/// process.
pub(crate) fn with_threads(threads: usize) -> Result<Arc<ThreadPool>, ThreadPoolBuildError> {
    let mut pools = lock();
    if pools.pid != std::process::id() {
        pools.forget_the_parents();
    }
    if let Some(i) = pools.kept.iter().position(|(n, _)| *n == threads) {
        let entry = pools.kept.remove(i);
        let pool = Arc::clone(&entry.1);
        pools.kept.push(entry);
        return Ok(pool);
    }
    let pool = Arc::new(
        ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(move |i| format!("qa-engine-{threads}-{i}"))
            .build()?,
    );
    let evicted = if pools.kept.len() >= POOLS_KEPT {
        Some(pools.kept.remove(0))
    } else {
        None
    };
    pools.kept.push((threads, Arc::clone(&pool)));
    drop(pools);
    // its threads end once the calls still using it return
    drop(evicted);
    Ok(pool)
}

/// The pool that scores a batch call with `jobs` (checked: 1 to [`MAX_JOBS`], `None` for one
/// thread per core); `None` when one thread scores on the calling thread.
pub(crate) fn for_jobs(jobs: Option<usize>) -> pyo3::PyResult<Option<Arc<ThreadPool>>> {
    use pyo3::exceptions::{PyRuntimeError, PyValueError};
    let threads = match jobs {
        None | Some(1..=MAX_JOBS) => threads(jobs),
        Some(n) => {
            return Err(PyValueError::new_err(format!(
                "jobs must be between 1 and {MAX_JOBS}, not {n}"
            )))
        }
    };
    // a pool even for one thread: the core scores with rayon, which must never fall back to its
    // global pool (it cannot be rebuilt after a fork)
    with_threads(threads)
        .map(Some)
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start {threads} threads: {e}")))
}
