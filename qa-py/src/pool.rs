//! Thread pools for `score_many(jobs=N)`: one rayon pool per distinct `N`, built on first use
//! and kept for the life of the process, so no call ever builds a pool of its own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use rayon::{ThreadPool, ThreadPoolBuildError, ThreadPoolBuilder};

/// Most threads one `jobs` value may ask for.
pub(crate) const MAX_JOBS: usize = 256;

static POOLS: OnceLock<Mutex<HashMap<usize, Arc<ThreadPool>>>> = OnceLock::new();

/// The shared pool of `jobs` threads (`1..=MAX_JOBS`).
pub(crate) fn with_jobs(jobs: usize) -> Result<Arc<ThreadPool>, ThreadPoolBuildError> {
    let pools = POOLS.get_or_init(Mutex::default);
    // a poisoned lock only means another thread panicked while building a pool: the map is fine
    let mut pools = pools.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(pool) = pools.get(&jobs) {
        return Ok(Arc::clone(pool));
    }
    let pool = Arc::new(
        ThreadPoolBuilder::new()
            .num_threads(jobs)
            .thread_name(move |i| format!("qa-engine-{jobs}-{i}"))
            .build()?,
    );
    pools.insert(jobs, Arc::clone(&pool));
    Ok(pool)
}
