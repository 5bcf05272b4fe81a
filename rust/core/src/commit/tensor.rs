//! One tensor: its leaves, root and entry, whole or assembled from shards.
//!
//! Chunk `i` of a tensor is bytes `[i * chunk_size, (i + 1) * chunk_size)` of its raw
//! little-endian data (the last chunk may be shorter; an empty tensor has no chunk and
//! the empty-tree root). Leaves are keyed by this global index, so a rank holding a
//! chunk-aligned byte range of a sharded tensor computes exactly the leaves the whole
//! tensor would have there, and the tensor root does not depend on the sharding.
//!
//! The tensor entry, a leaf of the state tree, binds everything needed to interpret
//! the root (all integers u64 little-endian, strings length-prefixed):
//!
//! ```text
//! entry = BLAKE3("zkattest.tensor.v1" || u64(len(name)) || name || u64(len(dtype)) || dtype
//!                || u64(element_size) || u64(ndim) || u64(dim_0) .. u64(dim_{ndim-1})
//!                || u64(chunk_size) || tensor_root)
//! ```

use super::domain::{DOMAIN_TENSOR, MAX_CHUNK_SIZE, MAX_NDIM, MIN_CHUNK_SIZE};
use super::dtype::DType;
use super::leaf::hash_leaves;
use super::salt::{check_name, SaltDeriver, StepKey};
use super::{tree, Digest};
use crate::error::{Error, Result};

/// Checks a chunk size: a power of two in `[MIN_CHUNK_SIZE, MAX_CHUNK_SIZE]`.
pub fn check_chunk_size(chunk_size: usize) -> Result<()> {
    if !chunk_size.is_power_of_two() || !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&chunk_size) {
        return Err(Error::InvalidInput(format!(
            "chunk size {chunk_size} must be a power of two between {MIN_CHUNK_SIZE} and \
             {MAX_CHUNK_SIZE}"
        )));
    }
    Ok(())
}

/// Name, dtype and shape of a tensor: what its entry binds besides the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorMeta {
    name: String,
    dtype: DType,
    shape: Vec<u64>,
    byte_len: u64,
}

impl TensorMeta {
    /// Validates the name and shape (at most `MAX_NDIM` dimensions, byte length
    /// representable).
    pub fn new(name: &str, dtype: DType, shape: &[u64]) -> Result<Self> {
        check_name(name)?;
        if shape.len() > MAX_NDIM {
            return Err(Error::InvalidInput(format!(
                "tensor {name:?} has {} dimensions, more than {MAX_NDIM}",
                shape.len()
            )));
        }
        let byte_len = shape
            .iter()
            .try_fold(dtype.size() as u64, |acc, &d| acc.checked_mul(d))
            .filter(|&n| usize::try_from(n).is_ok())
            .ok_or_else(|| {
                Error::InvalidInput(format!("tensor {name:?}: shape {shape:?} is too large"))
            })?;
        Ok(Self {
            name: name.to_owned(),
            dtype,
            shape: shape.to_vec(),
            byte_len,
        })
    }

    /// Tensor name (unique within a state; sets its position in the state tree).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Element type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Shape (`[]` for a scalar).
    pub fn shape(&self) -> &[u64] {
        &self.shape
    }

    /// Size of the raw data in bytes (`prod(shape) * element size`).
    pub fn byte_len(&self) -> u64 {
        self.byte_len
    }

    /// Number of chunks (leaves) at `chunk_size`.
    pub fn num_chunks(&self, chunk_size: usize) -> u64 {
        self.byte_len.div_ceil(chunk_size as u64)
    }

    /// The tensor entry over `root` (see the module docs for the encoding).
    pub fn entry(&self, chunk_size: usize, root: &Digest) -> Digest {
        let mut h = blake3::Hasher::new();
        let u64 = |h: &mut blake3::Hasher, x: u64| {
            h.update(&x.to_le_bytes());
        };
        h.update(DOMAIN_TENSOR);
        u64(&mut h, self.name.len() as u64);
        h.update(self.name.as_bytes());
        let tag = self.dtype.tag();
        u64(&mut h, tag.len() as u64);
        h.update(tag.as_bytes());
        u64(&mut h, self.dtype.size() as u64);
        u64(&mut h, self.shape.len() as u64);
        for &d in &self.shape {
            u64(&mut h, d);
        }
        u64(&mut h, chunk_size as u64);
        h.update(root.as_bytes());
        h.finalize()
    }
}

/// A borrowed tensor to commit: raw little-endian bytes plus metadata.
#[derive(Debug, Clone, Copy)]
pub struct TensorView<'a> {
    /// Tensor name.
    pub name: &'a str,
    /// Element type.
    pub dtype: DType,
    /// Shape; `data.len()` must equal `prod(shape) * dtype.size()`.
    pub shape: &'a [u64],
    /// Raw little-endian element bytes, row-major.
    pub data: &'a [u8],
}

/// A committed tensor: metadata, leaves, root and entry.
#[derive(Debug, Clone)]
pub struct TensorCommitment {
    /// Name, dtype, shape.
    pub meta: TensorMeta,
    /// Merkle root over the leaves.
    pub root: Digest,
    /// The entry (leaf of the state tree).
    pub entry: Digest,
    /// One leaf per chunk, by global chunk index (kept to answer inclusion proofs:
    /// 32 bytes per chunk, 0.05% of the data at 64 KiB chunks).
    pub leaves: Vec<Digest>,
}

impl TensorCommitment {
    /// Builds the commitment from a complete leaf list.
    pub fn from_leaves(meta: TensorMeta, chunk_size: usize, leaves: Vec<Digest>) -> Self {
        debug_assert_eq!(leaves.len() as u64, meta.num_chunks(chunk_size));
        let root = tree::root(&leaves);
        let entry = meta.entry(chunk_size, &root);
        Self {
            meta,
            root,
            entry,
            leaves,
        }
    }
}

/// Commits one whole tensor (leaves hashed in parallel on the current rayon pool).
pub fn commit_tensor(
    step_key: &StepKey,
    chunk_size: usize,
    t: &TensorView<'_>,
) -> Result<TensorCommitment> {
    check_chunk_size(chunk_size)?;
    let meta = TensorMeta::new(t.name, t.dtype, t.shape)?;
    if meta.byte_len() != t.data.len() as u64 {
        return Err(Error::InvalidInput(format!(
            "tensor {:?}: shape {:?} of {} needs {} bytes, got {}",
            t.name,
            t.shape,
            t.dtype,
            meta.byte_len(),
            t.data.len()
        )));
    }
    let salts = SaltDeriver::new(step_key, t.name);
    let leaves = hash_leaves(&salts, 0, t.data, chunk_size);
    Ok(TensorCommitment::from_leaves(meta, chunk_size, leaves))
}

/// The leaves of one shard: a contiguous byte range of a tensor starting at a
/// chunk-aligned global offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardLeaves {
    /// Name of the tensor the shard belongs to (it keys the salts).
    pub name: String,
    /// Chunk size the leaves were cut at.
    pub chunk_size: usize,
    /// Global byte offset of the shard in the tensor (a multiple of `chunk_size`).
    pub offset: u64,
    /// Length of the shard in bytes.
    pub len: u64,
    /// Leaves of chunks `offset / chunk_size ..`, in order.
    pub leaves: Vec<Digest>,
}

/// Commits the shard `data` of tensor `name` starting at byte `global_offset`.
pub fn commit_shard(
    step_key: &StepKey,
    name: &str,
    chunk_size: usize,
    global_offset: u64,
    data: &[u8],
) -> Result<ShardLeaves> {
    check_chunk_size(chunk_size)?;
    check_name(name)?;
    if global_offset % chunk_size as u64 != 0 {
        return Err(Error::InvalidInput(format!(
            "shard of {name:?} at byte offset {global_offset} is not aligned to the chunk size \
             {chunk_size}"
        )));
    }
    let salts = SaltDeriver::new(step_key, name);
    Ok(ShardLeaves {
        name: name.to_owned(),
        chunk_size,
        offset: global_offset,
        len: data.len() as u64,
        leaves: hash_leaves(&salts, global_offset / chunk_size as u64, data, chunk_size),
    })
}

/// Assembles a tensor's commitment from the leaves of shards that together cover its
/// bytes exactly once (in any order). Every shard but the last must be a whole number
/// of chunks.
pub fn tensor_from_shards(
    meta: TensorMeta,
    chunk_size: usize,
    mut shards: Vec<ShardLeaves>,
) -> Result<TensorCommitment> {
    check_chunk_size(chunk_size)?;
    let name = meta.name();
    let bad = |detail: String| Error::InvalidInput(format!("shards of {name:?}: {detail}"));
    shards.sort_by_key(|s| s.offset);
    let mut next = 0u64;
    for s in &shards {
        if s.name != name || s.chunk_size != chunk_size {
            return Err(bad(format!(
                "a shard of {:?} at chunk size {} does not belong here (chunk size {chunk_size})",
                s.name, s.chunk_size
            )));
        }
        if s.offset != next {
            return Err(bad(format!(
                "expected a shard at byte {next}, found one at byte {} (gap or overlap)",
                s.offset
            )));
        }
        let expected_leaves = s.len.div_ceil(chunk_size as u64);
        if s.leaves.len() as u64 != expected_leaves {
            return Err(bad(format!(
                "shard at byte {} has {} bytes but {} leaves",
                s.offset,
                s.len,
                s.leaves.len()
            )));
        }
        next = s
            .offset
            .checked_add(s.len)
            .ok_or_else(|| bad("length overflow".into()))?;
        if next % chunk_size as u64 != 0 && next != meta.byte_len() {
            return Err(bad(format!(
                "shard at byte {} ends mid-chunk at byte {next} but is not the last",
                s.offset
            )));
        }
    }
    if next != meta.byte_len() {
        return Err(bad(format!(
            "shards cover {next} bytes, the tensor has {}",
            meta.byte_len()
        )));
    }
    let leaves = shards.into_iter().flat_map(|s| s.leaves).collect();
    Ok(TensorCommitment::from_leaves(meta, chunk_size, leaves))
}
