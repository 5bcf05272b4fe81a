//! Common (prover + verifier) data of a statement: the lookup layout of its AIRs and
//! the commitment to their public preprocessed tables. It depends only on the AIRs and
//! the trace degrees, so it is computed once per (statement, degrees) and cached.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use p3_air::Air;
use p3_batch_stark::ProverData;
use p3_lookup::InteractionSymbolicBuilder;

use super::config::{preprocessing_config, Challenge, Val, ZkConfig};

type Key = (&'static str, Vec<usize>);
type Cache = Mutex<HashMap<Key, Arc<ProverData<ZkConfig>>>>;

static CACHE: OnceLock<Cache> = OnceLock::new();

/// The statement's common data for the given extended (ZK-doubled) degree bits.
pub fn setup<A>(
    kind: &'static str,
    airs: &[A],
    ext_degree_bits: &[usize],
) -> Arc<ProverData<ZkConfig>>
where
    A: Air<InteractionSymbolicBuilder<Val, Challenge>>,
{
    let cache = CACHE.get_or_init(Default::default);
    let key = (kind, ext_degree_bits.to_vec());
    if let Some(hit) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return hit.clone();
    }
    // Computed outside the lock: two racing threads compute the same value.
    let data = Arc::new(ProverData::from_airs_and_degrees(
        &preprocessing_config(),
        airs,
        ext_degree_bits,
    ));
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(key)
        .or_insert(data)
        .clone()
}
