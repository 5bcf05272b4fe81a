//! Chunk inclusion proofs: chunk -> leaf -> tensor root -> tensor entry -> entries root
//! -> state root.
//!
//! Wire format (integers little-endian, no padding, nothing after the last field):
//!
//! ```text
//! magic "zkattest.chunk-proof.v1" | chunk_size u64
//! | name_len u32 | name (UTF-8) | dtype_len u8 | dtype tag | ndim u32 | dims u64 x ndim
//! | chunk_index u64 | tensor_path_len u8 | 32-byte hashes x tensor_path_len
//! | position u64 | num_tensors u64 | state_path_len u8 | 32-byte hashes x state_path_len
//! ```
//!
//! Parsing is strict: every length is bounded, every field is validated (known dtype,
//! valid chunk size, index within the tensor, path lengths equal to what RFC 9162 needs
//! for that index and tree size), and trailing bytes are rejected.

use super::domain::{CHUNK_PROOF_MAGIC, DIGEST_LEN, MAX_NAME_LEN, MAX_NDIM};
use super::dtype::DType;
use super::leaf::leaf_hash;
use super::salt::Salt;
use super::state::state_root;
use super::tensor::{check_chunk_size, TensorMeta};
use super::{tree, Digest};
use crate::error::{Error, Result};
use crate::wire::{self, Reader};

/// Proof that one chunk belongs to a state root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkProof {
    /// Chunk size of the commitment.
    pub chunk_size: usize,
    /// Name, dtype and shape of the tensor (needed to recompute its entry).
    pub meta: TensorMeta,
    /// Global chunk index within the tensor.
    pub index: u64,
    /// Audit path from the leaf to the tensor root (bottom-up).
    pub tensor_path: Vec<Digest>,
    /// Position of the tensor in the state tree (its rank in sorted-name order).
    pub position: u64,
    /// Number of tensors in the state.
    pub num_tensors: u64,
    /// Audit path from the tensor entry to the state root (bottom-up).
    pub state_path: Vec<Digest>,
}

fn malformed(detail: impl Into<String>) -> Error {
    wire::malformed("chunk proof", detail)
}

/// Reads a length-prefixed audit path of exactly `expected` hashes.
fn read_path(r: &mut Reader<'_>, field: &str, expected: usize) -> Result<Vec<Digest>> {
    let n = r.u8(field)? as usize;
    if n != expected {
        return Err(malformed(format!(
            "{field} has {n} hashes, expected {expected}"
        )));
    }
    (0..n)
        .map(|_| {
            let b: [u8; DIGEST_LEN] = r.take(DIGEST_LEN, field)?.try_into().unwrap();
            Ok(Digest::from_bytes(b))
        })
        .collect()
}

impl ChunkProof {
    /// Serializes to the wire format.
    pub fn to_bytes(&self) -> Vec<u8> {
        let m = &self.meta;
        let tag = m.dtype().tag();
        let mut out = Vec::with_capacity(
            128 + m.name().len()
                + 8 * m.shape().len()
                + DIGEST_LEN * (self.tensor_path.len() + self.state_path.len()),
        );
        out.extend_from_slice(CHUNK_PROOF_MAGIC);
        out.extend_from_slice(&(self.chunk_size as u64).to_le_bytes());
        out.extend_from_slice(&(m.name().len() as u32).to_le_bytes());
        out.extend_from_slice(m.name().as_bytes());
        out.push(tag.len() as u8);
        out.extend_from_slice(tag.as_bytes());
        out.extend_from_slice(&(m.shape().len() as u32).to_le_bytes());
        for d in m.shape() {
            out.extend_from_slice(&d.to_le_bytes());
        }
        out.extend_from_slice(&self.index.to_le_bytes());
        out.push(self.tensor_path.len() as u8);
        for h in &self.tensor_path {
            out.extend_from_slice(h.as_bytes());
        }
        out.extend_from_slice(&self.position.to_le_bytes());
        out.extend_from_slice(&self.num_tensors.to_le_bytes());
        out.push(self.state_path.len() as u8);
        for h in &self.state_path {
            out.extend_from_slice(h.as_bytes());
        }
        out
    }

    /// Parses the wire format strictly (see the module docs).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes, "chunk proof");
        if r.take(CHUNK_PROOF_MAGIC.len(), "magic")? != CHUNK_PROOF_MAGIC {
            return Err(malformed(
                "not a zkattest chunk proof (bad magic or version)",
            ));
        }
        let chunk_size = usize::try_from(r.u64("chunk size")?)
            .map_err(|_| malformed("chunk size does not fit in memory"))?;
        check_chunk_size(chunk_size).map_err(|e| malformed(e.to_string()))?;
        let name_len = r.u32("name length")? as usize;
        if name_len > MAX_NAME_LEN {
            return Err(malformed(format!(
                "name length {name_len} exceeds {MAX_NAME_LEN}"
            )));
        }
        let name = std::str::from_utf8(r.take(name_len, "name")?)
            .map_err(|_| malformed("name is not UTF-8"))?;
        let tag_len = r.u8("dtype length")? as usize;
        let tag = std::str::from_utf8(r.take(tag_len, "dtype")?)
            .map_err(|_| malformed("dtype is not UTF-8"))?;
        let dtype = DType::from_tag(tag).map_err(|e| malformed(e.to_string()))?;
        let ndim = r.u32("ndim")? as usize;
        if ndim > MAX_NDIM {
            return Err(malformed(format!("{ndim} dimensions exceeds {MAX_NDIM}")));
        }
        let shape = (0..ndim)
            .map(|_| r.u64("shape"))
            .collect::<Result<Vec<_>>>()?;
        let meta = TensorMeta::new(name, dtype, &shape).map_err(|e| malformed(e.to_string()))?;
        let index = r.u64("chunk index")?;
        let num_chunks = meta.num_chunks(chunk_size);
        if index >= num_chunks {
            return Err(malformed(format!(
                "chunk index {index} is outside tensor {name:?} ({num_chunks} chunks)"
            )));
        }
        let tensor_path = read_path(&mut r, "tensor path", tree::path_len(index, num_chunks))?;
        let position = r.u64("position")?;
        let num_tensors = r.u64("tensor count")?;
        if position >= num_tensors {
            return Err(malformed(format!(
                "position {position} is outside a state of {num_tensors} tensors"
            )));
        }
        let state_path = read_path(&mut r, "state path", tree::path_len(position, num_tensors))?;
        if !r.rest().is_empty() {
            return Err(malformed(format!("{} trailing bytes", r.rest().len())));
        }
        Ok(Self {
            chunk_size,
            meta,
            index,
            tensor_path,
            position,
            num_tensors,
            state_path,
        })
    }

    /// Length of the chunk this proof is about (the last chunk may be short).
    pub fn chunk_len(&self) -> u64 {
        let start = self.index.saturating_mul(self.chunk_size as u64);
        (self.meta.byte_len().saturating_sub(start)).min(self.chunk_size as u64)
    }
}

/// Verifies that `leaf` is chunk `index` of tensor `name` under state `root`: the path
/// to use when the chunk stays private (a zero-knowledge proof vouches for the leaf).
pub fn verify_leaf(
    root: &Digest,
    name: &str,
    index: u64,
    leaf: &Digest,
    proof: &ChunkProof,
) -> Result<()> {
    if proof.meta.name() != name || proof.index != index {
        return Err(Error::Verification(format!(
            "proof is for chunk {} of {:?}, not chunk {index} of {name:?}",
            proof.index,
            proof.meta.name()
        )));
    }
    let num_chunks = proof.meta.num_chunks(proof.chunk_size);
    let tensor_root = tree::root_from_path(index, num_chunks, leaf, &proof.tensor_path)?;
    let entry = proof.meta.entry(proof.chunk_size, &tensor_root);
    let entries_root =
        tree::root_from_path(proof.position, proof.num_tensors, &entry, &proof.state_path)?;
    let state_root = state_root(proof.num_tensors, &entries_root);
    // blake3::Hash compares in constant time.
    if state_root != *root {
        return Err(Error::Verification(format!(
            "chunk {index} of {name:?} does not lead to the state root"
        )));
    }
    Ok(())
}

/// Verifies an opened chunk: recomputes its leaf from the chunk bytes and salt, then
/// checks the path as [`verify_leaf`] does.
pub fn verify_chunk(
    root: &Digest,
    name: &str,
    index: u64,
    chunk: &[u8],
    salt: &Salt,
    proof: &ChunkProof,
) -> Result<()> {
    if proof.meta.name() == name && proof.index == index && chunk.len() as u64 != proof.chunk_len()
    {
        return Err(Error::Verification(format!(
            "chunk {index} of {name:?} must be {} bytes, got {}",
            proof.chunk_len(),
            chunk.len()
        )));
    }
    verify_leaf(root, name, index, &leaf_hash(salt, chunk), proof)
}
