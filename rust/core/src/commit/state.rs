//! The state root binds the RFC 9162 Merkle root over the tensor entries, in ascending
//! byte-wise order of the tensor names (Python's `sorted()` on `str` gives the same
//! order), together with the number of tensors:
//!
//! ```text
//! state_root = BLAKE3("zkattest.state.v1" || u64le(num_tensors) || MTH(entries))
//! ```
//!
//! RFC 9162 roots do not bind the tree size (leaf 2 of 3 and leaf 1 of 2 have the same
//! path shape); binding it here makes a proof's position authenticated, so a verifier
//! holding the declared tensor names can check that `position` is the name's rank.
//! Names must be unique; an empty state is rejected.

use rayon::prelude::*;

use super::domain::{DOMAIN_STATE, SALT_SEED_LEN};
use super::proof::ChunkProof;
use super::salt::{derive_step_key, StepKey};
use super::tensor::{check_chunk_size, commit_tensor, TensorCommitment, TensorView};
use super::{tree, Digest};
use crate::error::{Error, Result};

/// The commitment to one step's state.
#[derive(Debug, Clone)]
pub struct StateCommitment {
    /// Chunk size every tensor was cut at.
    pub chunk_size: usize,
    /// The state root.
    pub root: Digest,
    /// The tensors, sorted by name.
    pub tensors: Vec<TensorCommitment>,
}

impl StateCommitment {
    /// Builds the state from committed tensors (any order; names must be unique and
    /// every tensor cut at `chunk_size`).
    pub fn from_tensors(chunk_size: usize, mut tensors: Vec<TensorCommitment>) -> Result<Self> {
        check_chunk_size(chunk_size)?;
        if tensors.is_empty() {
            return Err(Error::InvalidInput(
                "cannot commit an empty state (no tensors)".into(),
            ));
        }
        tensors.sort_unstable_by(|a, b| a.meta.name().cmp(b.meta.name()));
        if let Some(w) = tensors
            .windows(2)
            .find(|w| w[0].meta.name() == w[1].meta.name())
        {
            return Err(Error::InvalidInput(format!(
                "duplicate tensor name {:?}",
                w[0].meta.name()
            )));
        }
        for t in &tensors {
            if t.leaves.len() as u64 != t.meta.num_chunks(chunk_size) {
                return Err(Error::InvalidInput(format!(
                    "tensor {:?} was not cut at chunk size {chunk_size}",
                    t.meta.name()
                )));
            }
        }
        let entries: Vec<Digest> = tensors.iter().map(|t| t.entry).collect();
        Ok(Self {
            chunk_size,
            root: state_root(entries.len() as u64, &tree::root(&entries)),
            tensors,
        })
    }

    /// Position of tensor `name` in the state tree, if present.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.tensors
            .binary_search_by(|t| t.meta.name().cmp(name))
            .ok()
    }

    /// The committed tensor `name`, if present.
    pub fn tensor(&self, name: &str) -> Option<&TensorCommitment> {
        self.position(name).map(|i| &self.tensors[i])
    }

    /// The inclusion proof of chunk `index` of tensor `name` in this state.
    pub fn prove_chunk(&self, name: &str, index: u64) -> Result<ChunkProof> {
        let position = self.position(name).ok_or_else(|| {
            Error::InvalidInput(format!("no tensor named {name:?} in this state"))
        })?;
        let t = &self.tensors[position];
        let n = t.leaves.len() as u64;
        if index >= n {
            return Err(Error::InvalidInput(format!(
                "tensor {name:?} has {n} chunks, no chunk {index}"
            )));
        }
        let entries: Vec<Digest> = self.tensors.iter().map(|t| t.entry).collect();
        Ok(ChunkProof {
            chunk_size: self.chunk_size,
            meta: t.meta.clone(),
            index,
            tensor_path: tree::audit_path(&t.leaves, index as usize),
            position: position as u64,
            num_tensors: entries.len() as u64,
            state_path: tree::audit_path(&entries, position),
        })
    }
}

/// `BLAKE3(DOMAIN_STATE || u64le(num_tensors) || entries_root)`.
pub fn state_root(num_tensors: u64, entries_root: &Digest) -> Digest {
    let mut h = blake3::Hasher::new();
    h.update(DOMAIN_STATE);
    h.update(&num_tensors.to_le_bytes());
    h.update(entries_root.as_bytes());
    h.finalize()
}

/// Commits a state under a step key: every tensor's chunks are hashed in parallel on
/// the current rayon pool. This is also how anyone holding a disclosed step key
/// recomputes that step's root from released weights.
pub fn commit_with_step_key(
    step_key: &StepKey,
    chunk_size: usize,
    tensors: &[TensorView<'_>],
) -> Result<StateCommitment> {
    check_chunk_size(chunk_size)?;
    let committed = tensors
        .par_iter()
        .map(|t| commit_tensor(step_key, chunk_size, t))
        .collect::<Result<Vec<_>>>()?;
    StateCommitment::from_tensors(chunk_size, committed)
}

/// Commits the state of optimizer step `step` under the run's secret salt seed.
pub fn commit_step(
    salt_seed: &[u8; SALT_SEED_LEN],
    step: u64,
    chunk_size: usize,
    tensors: &[TensorView<'_>],
) -> Result<StateCommitment> {
    commit_with_step_key(&derive_step_key(salt_seed, step), chunk_size, tensors)
}
