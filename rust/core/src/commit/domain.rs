//! Every constant of the commitment scheme: domain tags, version strings, sizes and
//! limits. This file is the one source of truth; the binding exports these values to
//! Python (`zkattest._core.commit_constants()`), and the checked-in test vectors pin
//! them.
//!
//! Domain separation: each hash input starts with a distinct ASCII tag (or, for inner
//! Merkle nodes, the byte `0x01`, which no tag starts with), and every variable-length
//! field is length-prefixed, so no input of one kind parses as an input of another.
//! Changing any value here changes every root: bump [`SCHEME`] and the `v1` tags.

/// Name and version of the commitment scheme; recorded in every commitment.
pub const SCHEME: &str = "blake3-salted-v1";

/// Message prefix of a step key: `step_key = BLAKE3_keyed(salt_seed, TAG || u64le(step))`.
pub const DOMAIN_STEP_KEY: &[u8] = b"zkattest.step-key.v1";

/// Message prefix of a chunk salt:
/// `salt = BLAKE3_keyed(step_key, TAG || u64le(len(name)) || name || u64le(chunk_index))`.
pub const DOMAIN_SALT: &[u8] = b"zkattest.salt.v1";

/// Message prefix of a leaf: `leaf = BLAKE3(TAG || salt || chunk)`.
pub const DOMAIN_LEAF: &[u8] = b"zkattest.leaf.v1";

/// Message prefix of a tensor entry (the state tree's leaves); see `tensor.rs`.
pub const DOMAIN_TENSOR: &[u8] = b"zkattest.tensor.v1";

/// Message prefix of the state root:
/// `state_root = BLAKE3(TAG || u64le(num_tensors) || MTH(entries))`. Binding the count
/// makes a proof's (position, tensor count) authenticated, not just its hashes.
pub const DOMAIN_STATE: &[u8] = b"zkattest.state.v1";

/// First byte of an inner Merkle node: `node = BLAKE3(0x01 || left || right)` (RFC 9162).
pub const NODE_PREFIX: u8 = 0x01;

/// Magic bytes opening a serialized chunk inclusion proof (the version is in the tag).
pub const CHUNK_PROOF_MAGIC: &[u8] = b"zkattest.chunk-proof.v1";

/// Length of every digest, key and salt, in bytes.
pub const DIGEST_LEN: usize = 32;

/// Length of a salt seed (it is a BLAKE3 key).
pub const SALT_SEED_LEN: usize = 32;

/// Default chunk size: 64 KiB (= 64 BLAKE3 chunks, so one leaf keeps BLAKE3's SIMD
/// lanes full while staying small enough to prove in-circuit).
pub const DEFAULT_CHUNK_SIZE: usize = 1 << 16;

/// Smallest allowed chunk size (one BLAKE3 block; tests use it to get many leaves).
pub const MIN_CHUNK_SIZE: usize = 64;

/// Largest allowed chunk size (a chunk is hashed through a per-worker buffer of this size).
pub const MAX_CHUNK_SIZE: usize = 1 << 24;

/// Longest tensor name, in UTF-8 bytes.
pub const MAX_NAME_LEN: usize = 4096;

/// Most dimensions a tensor may have.
pub const MAX_NDIM: usize = 64;

/// Longest Merkle audit path a proof may carry (trees of up to 2^64 leaves).
pub const MAX_PATH_LEN: usize = 64;

/// Largest safetensors JSON header accepted (the `safetensors` crate's own limit).
pub const MAX_SAFETENSORS_HEADER: usize = 100_000_000;

/// Most threads a caller may request for one commitment.
pub const MAX_THREADS: usize = 1024;
