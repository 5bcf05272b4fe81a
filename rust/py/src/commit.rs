//! Binding of the state commitments (`zkattest_core::commit`). Functions convert types,
//! release the GIL around the hashing and return bytes; the API lives in
//! `python/zkattest/commit.py`.
//!
//! Tensor data arrives as buffer-protocol objects of unsigned bytes (numpy `uint8`
//! views, `bytes`, `memoryview`) and is hashed in place, without a copy, while the GIL
//! is released. The caller must not mutate those buffers during the call.

use std::path::PathBuf;

use pyo3::buffer::PyBuffer;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use zkattest_core::commit::{self as core, domain, DType, Digest, Salt, StepKey};
use zkattest_core::Error;

use crate::error::CoreResult;

/// Borrows a C-contiguous byte buffer as a slice.
fn bytes_of<'a>(buf: &'a PyBuffer<u8>, what: &str) -> CoreResult<&'a [u8]> {
    if !buf.is_c_contiguous() {
        return Err(Error::InvalidInput(format!("{what} is not a contiguous buffer")).into());
    }
    let len = buf.len_bytes();
    if len == 0 {
        return Ok(&[]);
    }
    // SAFETY: the buffer is C-contiguous, `len` bytes long, and kept alive (and its
    // exporter pinned) by `buf` for the slice's lifetime. Python code must not write to
    // it concurrently (documented in zkattest.commit).
    Ok(unsafe { std::slice::from_raw_parts(buf.buf_ptr() as *const u8, len) })
}

fn key32(bytes: &[u8], what: &str) -> CoreResult<[u8; 32]> {
    Ok(core::salt::key_from_slice(bytes, what)?)
}

fn digest(bytes: &[u8], what: &str) -> CoreResult<Digest> {
    Ok(Digest::from_bytes(key32(bytes, what)?))
}

/// A committed state (root, tensors, leaves); answers chunk inclusion proofs.
#[pyclass(module = "zkattest._core", name = "CommittedState", frozen)]
pub struct PyCommittedState(core::StateCommitment);

#[pymethods]
impl PyCommittedState {
    /// The 32-byte state root.
    #[getter]
    fn root<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.0.root.as_bytes())
    }

    /// The chunk size the tensors were cut at.
    #[getter]
    fn chunk_size(&self) -> usize {
        self.0.chunk_size
    }

    /// `[(name, dtype, shape, root, entry, num_chunks)]` in sorted-name order.
    #[allow(clippy::type_complexity)]
    fn tensors<'py>(
        &self,
        py: Python<'py>,
    ) -> Vec<(
        String,
        &'static str,
        Vec<u64>,
        Bound<'py, PyBytes>,
        Bound<'py, PyBytes>,
        usize,
    )> {
        self.0
            .tensors
            .iter()
            .map(|t| {
                (
                    t.meta.name().to_owned(),
                    t.meta.dtype().tag(),
                    t.meta.shape().to_vec(),
                    PyBytes::new(py, t.root.as_bytes()),
                    PyBytes::new(py, t.entry.as_bytes()),
                    t.leaves.len(),
                )
            })
            .collect()
    }

    /// The serialized inclusion proof of chunk `index` of tensor `name`.
    fn prove_chunk<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        index: u64,
    ) -> CoreResult<Bound<'py, PyBytes>> {
        let proof = py.detach(|| self.0.prove_chunk(name, index))?;
        Ok(PyBytes::new(py, &proof.to_bytes()))
    }
}

/// The scheme's constants and dtype table (the one source of truth is
/// `zkattest_core::commit::domain`).
#[pyfunction]
pub fn commit_constants(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("scheme", domain::SCHEME)?;
    d.set_item("domain_step_key", PyBytes::new(py, domain::DOMAIN_STEP_KEY))?;
    d.set_item("domain_salt", PyBytes::new(py, domain::DOMAIN_SALT))?;
    d.set_item("domain_leaf", PyBytes::new(py, domain::DOMAIN_LEAF))?;
    d.set_item("domain_tensor", PyBytes::new(py, domain::DOMAIN_TENSOR))?;
    d.set_item("domain_state", PyBytes::new(py, domain::DOMAIN_STATE))?;
    d.set_item("node_prefix", domain::NODE_PREFIX)?;
    d.set_item(
        "chunk_proof_magic",
        PyBytes::new(py, domain::CHUNK_PROOF_MAGIC),
    )?;
    d.set_item("digest_len", domain::DIGEST_LEN)?;
    d.set_item("salt_seed_len", domain::SALT_SEED_LEN)?;
    d.set_item("default_chunk_size", domain::DEFAULT_CHUNK_SIZE)?;
    d.set_item("min_chunk_size", domain::MIN_CHUNK_SIZE)?;
    d.set_item("max_chunk_size", domain::MAX_CHUNK_SIZE)?;
    d.set_item("max_name_len", domain::MAX_NAME_LEN)?;
    d.set_item("max_ndim", domain::MAX_NDIM)?;
    d.set_item("max_threads", domain::MAX_THREADS)?;
    let dtypes: Vec<(&str, usize, &str)> = DType::ALL
        .iter()
        .map(|t| (t.tag(), t.size(), t.safetensors_name()))
        .collect();
    d.set_item("dtypes", dtypes)?;
    Ok(d)
}

/// `step_key = BLAKE3_keyed(salt_seed, DOMAIN_STEP_KEY || u64le(step))`.
#[pyfunction]
pub fn commit_derive_step_key<'py>(
    py: Python<'py>,
    salt_seed: &[u8],
    step: u64,
) -> CoreResult<Bound<'py, PyBytes>> {
    let seed = key32(salt_seed, "salt_seed")?;
    Ok(PyBytes::new(py, &core::derive_step_key(&seed, step).0))
}

/// The salt of chunk `index` of tensor `name` under `step_key`.
#[pyfunction]
pub fn commit_chunk_salt<'py>(
    py: Python<'py>,
    step_key: &[u8],
    name: &str,
    index: u64,
) -> CoreResult<Bound<'py, PyBytes>> {
    let key = StepKey(key32(step_key, "step_key")?);
    core::salt::check_name(name)?;
    Ok(PyBytes::new(py, &core::chunk_salt(&key, name, index).0))
}

/// `leaf = BLAKE3(DOMAIN_LEAF || salt || chunk)`.
#[pyfunction]
pub fn commit_leaf_hash<'py>(
    py: Python<'py>,
    salt: &[u8],
    chunk: PyBuffer<u8>,
) -> CoreResult<Bound<'py, PyBytes>> {
    let salt = Salt(key32(salt, "salt")?);
    let chunk = bytes_of(&chunk, "chunk")?;
    let leaf = py.detach(|| core::leaf::leaf_hash(&salt, chunk));
    Ok(PyBytes::new(py, leaf.as_bytes()))
}

/// One tensor as passed from Python: `(name, dtype tag, shape, uint8 buffer)`.
type PyTensor = (String, String, Vec<u64>, PyBuffer<u8>);

/// Commits `tensors` under `step_key` on `threads` threads (None: one per core).
#[pyfunction]
#[pyo3(signature = (step_key, chunk_size, tensors, threads=None))]
pub fn commit_state(
    py: Python<'_>,
    step_key: &[u8],
    chunk_size: usize,
    tensors: Vec<PyTensor>,
    threads: Option<usize>,
) -> CoreResult<PyCommittedState> {
    let key = StepKey(key32(step_key, "step_key")?);
    let views = tensors
        .iter()
        .map(|(name, dtype, shape, buf)| {
            Ok(core::TensorView {
                name,
                dtype: DType::from_tag(dtype)
                    .map_err(|e| Error::InvalidInput(format!("tensor {name:?}: {e}")))?,
                shape,
                data: bytes_of(buf, name)?,
            })
        })
        .collect::<CoreResult<Vec<_>>>()?;
    let state = py.detach(|| {
        core::with_threads(threads, || {
            core::commit_with_step_key(&key, chunk_size, &views)
        })?
    })?;
    Ok(PyCommittedState(state))
}

/// Commits the tensors of a safetensors file (memory-mapped) under `step_key`.
#[pyfunction]
#[pyo3(signature = (path, step_key, chunk_size, threads=None))]
pub fn commit_safetensors(
    py: Python<'_>,
    path: PathBuf,
    step_key: &[u8],
    chunk_size: usize,
    threads: Option<usize>,
) -> CoreResult<PyCommittedState> {
    let key = StepKey(key32(step_key, "step_key")?);
    let state = py.detach(|| {
        core::with_threads(threads, || {
            core::commit_safetensors(&path, &key, chunk_size)
        })?
    })?;
    Ok(PyCommittedState(state))
}

/// The leaves (concatenated 32-byte digests) of a shard of tensor `name` that starts
/// at byte `global_offset`.
#[pyfunction]
#[pyo3(signature = (step_key, name, chunk_size, global_offset, data, threads=None))]
pub fn commit_shard<'py>(
    py: Python<'py>,
    step_key: &[u8],
    name: &str,
    chunk_size: usize,
    global_offset: u64,
    data: PyBuffer<u8>,
    threads: Option<usize>,
) -> CoreResult<Bound<'py, PyBytes>> {
    let key = StepKey(key32(step_key, "step_key")?);
    let data = bytes_of(&data, name)?;
    let shard = py.detach(|| {
        core::with_threads(threads, || {
            core::commit_shard(&key, name, chunk_size, global_offset, data)
        })?
    })?;
    let flat: Vec<u8> = shard.leaves.iter().flat_map(|l| *l.as_bytes()).collect();
    Ok(PyBytes::new(py, &flat))
}

/// One sharded tensor: `(name, dtype, shape, [(offset, len, leaves)])`.
type PyShardedTensor = (String, String, Vec<u64>, Vec<(u64, u64, Vec<u8>)>);

/// Assembles a committed state from the shard leaves of every tensor.
#[pyfunction]
pub fn commit_from_shards(
    py: Python<'_>,
    chunk_size: usize,
    tensors: Vec<PyShardedTensor>,
) -> CoreResult<PyCommittedState> {
    let state = py.detach(|| {
        let committed = tensors
            .into_iter()
            .map(|(name, dtype, shape, shards)| {
                let bad = |e: Error| Error::InvalidInput(format!("tensor {name:?}: {e}"));
                let meta =
                    core::TensorMeta::new(&name, DType::from_tag(&dtype).map_err(bad)?, &shape)?;
                let shards = shards
                    .into_iter()
                    .map(|(offset, len, leaves)| {
                        if leaves.len() % domain::DIGEST_LEN != 0 {
                            return Err(bad(Error::InvalidInput(
                                "shard leaves are not a whole number of digests".into(),
                            )));
                        }
                        Ok(core::ShardLeaves {
                            name: name.clone(),
                            chunk_size,
                            offset,
                            len,
                            leaves: leaves
                                .chunks_exact(domain::DIGEST_LEN)
                                .map(|c| Digest::from_bytes(c.try_into().unwrap()))
                                .collect(),
                        })
                    })
                    .collect::<zkattest_core::Result<Vec<_>>>()?;
                core::tensor_from_shards(meta, chunk_size, shards)
            })
            .collect::<zkattest_core::Result<Vec<_>>>()?;
        core::StateCommitment::from_tensors(chunk_size, committed)
    })?;
    Ok(PyCommittedState(state))
}

/// Verifies an opened chunk against a state root; raises `VerificationError` if it
/// does not verify and `MalformedError` if the proof does not parse.
#[pyfunction]
pub fn commit_verify_chunk(
    py: Python<'_>,
    root: &[u8],
    name: &str,
    index: u64,
    chunk: PyBuffer<u8>,
    salt: &[u8],
    proof: &[u8],
) -> CoreResult<()> {
    let root = digest(root, "root")?;
    let salt = Salt(key32(salt, "salt")?);
    let chunk = bytes_of(&chunk, "chunk")?;
    let proof = core::ChunkProof::from_bytes(proof)?;
    py.detach(|| core::verify_chunk(&root, name, index, chunk, &salt, &proof))?;
    Ok(())
}

/// Verifies that `leaf` is chunk `index` of tensor `name` under `root` (the
/// zero-knowledge path: the chunk stays private).
#[pyfunction]
pub fn commit_verify_leaf(
    root: &[u8],
    name: &str,
    index: u64,
    leaf: &[u8],
    proof: &[u8],
) -> CoreResult<()> {
    let root = digest(root, "root")?;
    let leaf = digest(leaf, "leaf")?;
    let proof = core::ChunkProof::from_bytes(proof)?;
    core::verify_leaf(&root, name, index, &leaf, &proof)?;
    Ok(())
}

/// Parses a serialized chunk proof strictly; returns its fields as a dict.
#[pyfunction]
pub fn commit_parse_proof<'py>(py: Python<'py>, proof: &[u8]) -> CoreResult<Bound<'py, PyDict>> {
    let p = core::ChunkProof::from_bytes(proof)?;
    let build = || -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("chunk_size", p.chunk_size)?;
        d.set_item("name", p.meta.name())?;
        d.set_item("dtype", p.meta.dtype().tag())?;
        d.set_item("shape", p.meta.shape())?;
        d.set_item("index", p.index)?;
        d.set_item("chunk_len", p.chunk_len())?;
        d.set_item("position", p.position)?;
        d.set_item("num_tensors", p.num_tensors)?;
        Ok(d)
    };
    build().map_err(|e| Error::InvalidInput(e.to_string()).into())
}
