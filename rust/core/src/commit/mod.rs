//! State commitments, scheme `blake3-salted-v1` (DESIGN §3; spec in
//! `docs/commitments.md`).
//!
//! ```text
//! step_key = BLAKE3_keyed(salt_seed, "zkattest.step-key.v1" || u64(step))          salt.rs
//! salt_i   = BLAKE3_keyed(step_key, "zkattest.salt.v1" || u64(|name|) || name || u64(i))
//! leaf_i   = BLAKE3("zkattest.leaf.v1" || salt_i || chunk_i)                        leaf.rs
//! tensor root = RFC 9162 Merkle root of the leaves, node = BLAKE3(0x01 || l || r)  tree.rs
//! entry    = BLAKE3("zkattest.tensor.v1" || name, dtype, shape, chunk size, root)  tensor.rs
//! state root = BLAKE3("zkattest.state.v1" || u64(count) || Merkle root of the entries
//!              in sorted-name order)                                               state.rs
//! ```
//!
//! Hashing runs in parallel over tensors and chunks (rayon) on borrowed byte slices;
//! [`with_threads`] pins the thread count. Inclusion proofs (`proof.rs`) go from one
//! chunk to the state root; sharded tensors (`tensor.rs`) give the same roots as whole
//! ones; `safetensors.rs` commits a file through a memory map.

pub mod domain;
pub mod dtype;
pub mod leaf;
pub mod pool;
pub mod proof;
pub mod safetensors;
pub mod salt;
pub mod state;
pub mod tensor;
pub mod tree;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod vectors;

/// A 32-byte BLAKE3 digest (leaves, nodes, roots, entries); compares in constant time.
pub type Digest = blake3::Hash;

pub use dtype::DType;
pub use pool::with_threads;
pub use proof::{verify_chunk, verify_leaf, ChunkProof};
pub use safetensors::{commit_safetensors, SafetensorsFile};
pub use salt::{chunk_salt, derive_step_key, Salt, StepKey};
pub use state::{commit_step, commit_with_step_key, state_root, StateCommitment};
pub use tensor::{
    commit_shard, commit_tensor, tensor_from_shards, ShardLeaves, TensorCommitment, TensorMeta,
    TensorView,
};
