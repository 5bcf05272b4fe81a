//! Thread control: run a commitment on a rayon pool with exactly N threads. Pools are
//! built once per thread count and cached, so benchmarks and training loops that
//! commit every step do not pay for thread start-up.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use super::domain::MAX_THREADS;
use crate::error::{Error, Result};

fn pool(threads: usize) -> Result<Arc<rayon::ThreadPool>> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<rayon::ThreadPool>>>> = OnceLock::new();
    let mut pools = POOLS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(p) = pools.get(&threads) {
        return Ok(p.clone());
    }
    let p = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("zkattest-commit-{i}"))
        .build()
        .map_err(|e| Error::Io(format!("cannot start {threads} threads: {e}")))?;
    let p = Arc::new(p);
    pools.insert(threads, p.clone());
    Ok(p)
}

/// Runs `f` on a pool of exactly `threads` threads, or on the global rayon pool (one
/// thread per core) when `threads` is `None`.
pub fn with_threads<R: Send>(threads: Option<usize>, f: impl FnOnce() -> R + Send) -> Result<R> {
    match threads {
        None => Ok(f()),
        Some(n) if (1..=MAX_THREADS).contains(&n) => Ok(pool(n)?.install(f)),
        Some(n) => Err(Error::InvalidInput(format!(
            "threads must be between 1 and {MAX_THREADS}, got {n}"
        ))),
    }
}
