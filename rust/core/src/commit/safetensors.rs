//! Committing a `.safetensors` file in place: the file is memory-mapped and its tensors
//! are hashed straight from the mapping, giving the same root as committing the loaded
//! tensors.
//!
//! Format: `u64le(header_len) || header (JSON object) || data`. Each header key other
//! than `__metadata__` maps a tensor name to `{"dtype", "shape", "data_offsets":
//! [begin, end]}` with offsets relative to the data section. Parsing is strict, like the
//! `safetensors` crate's: known dtypes only, sizes matching shapes, and tensors tiling
//! the data section exactly (no gap, overlap or trailing bytes).
//!
//! The file must not be modified while it is being committed (a memory map cannot stop
//! another process from writing it).

use std::collections::BTreeMap;
use std::fs::File;
use std::ops::Range;
use std::path::Path;

use memmap2::Mmap;
use serde::Deserialize;

use super::domain::MAX_SAFETENSORS_HEADER;
use super::dtype::DType;
use super::salt::StepKey;
use super::state::{commit_with_step_key, StateCommitment};
use super::tensor::{TensorMeta, TensorView};
use crate::error::{Error, Result};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderEntry {
    dtype: String,
    shape: Vec<u64>,
    data_offsets: [u64; 2],
}

/// A memory-mapped, validated safetensors file.
pub struct SafetensorsFile {
    map: Mmap,
    data_start: usize,
    tensors: Vec<(TensorMeta, Range<usize>)>,
}

impl SafetensorsFile {
    /// Maps and validates `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let shown = path.display();
        let file = File::open(path).map_err(|e| Error::Io(format!("cannot open {shown}: {e}")))?;
        // SAFETY: the mapping is read-only; the documented contract is that the file is
        // not modified while it is mapped.
        let map = unsafe { Mmap::map(&file) }
            .map_err(|e| Error::Io(format!("cannot map {shown}: {e}")))?;
        let bad = |detail: String| Error::Malformed {
            what: "safetensors file",
            detail: format!("{shown}: {detail}"),
        };
        if map.len() < 8 {
            return Err(bad(format!(
                "{} bytes is too short for a header",
                map.len()
            )));
        }
        let header_len = u64::from_le_bytes(map[..8].try_into().unwrap());
        if header_len > MAX_SAFETENSORS_HEADER as u64 || 8 + header_len > map.len() as u64 {
            return Err(bad(format!(
                "header length {header_len} is too large for a {}-byte file",
                map.len()
            )));
        }
        let data_start = 8 + header_len as usize;
        let header: BTreeMap<String, serde_json::Value> =
            serde_json::from_slice(&map[8..data_start])
                .map_err(|e| bad(format!("header is not a JSON object: {e}")))?;
        let data_len = (map.len() - data_start) as u64;
        let mut tensors = Vec::with_capacity(header.len());
        for (name, value) in header {
            if name == "__metadata__" {
                serde_json::from_value::<BTreeMap<String, String>>(value)
                    .map_err(|e| bad(format!("__metadata__ is not a string map: {e}")))?;
                continue;
            }
            let e: HeaderEntry =
                serde_json::from_value(value).map_err(|e| bad(format!("entry {name:?}: {e}")))?;
            let dtype = DType::from_safetensors(&e.dtype).ok_or_else(|| {
                Error::InvalidInput(format!(
                    "{shown}: tensor {name:?} has unsupported dtype {:?}",
                    e.dtype
                ))
            })?;
            let meta = TensorMeta::new(&name, dtype, &e.shape).map_err(|e| bad(e.to_string()))?;
            let [begin, end] = e.data_offsets;
            if begin > end || end > data_len || end - begin != meta.byte_len() {
                return Err(bad(format!(
                    "tensor {name:?}: offsets [{begin}, {end}] do not hold {} bytes inside the \
                     {data_len}-byte data section",
                    meta.byte_len()
                )));
            }
            tensors.push((meta, begin as usize..end as usize));
        }
        let mut order: Vec<&Range<usize>> = tensors.iter().map(|(_, r)| r).collect();
        order.sort_by_key(|r| (r.start, r.end));
        let mut next = 0usize;
        for r in order {
            if r.start != next {
                return Err(bad(format!(
                    "tensor data must tile the data section: expected offset {next}, found {}",
                    r.start
                )));
            }
            next = r.end;
        }
        if next as u64 != data_len {
            return Err(bad(format!(
                "{} bytes after the last tensor",
                data_len - next as u64
            )));
        }
        Ok(Self {
            map,
            data_start,
            tensors,
        })
    }

    /// Zero-copy views of every tensor, in header (sorted-name) order.
    pub fn views(&self) -> Vec<TensorView<'_>> {
        let data = &self.map[self.data_start..];
        self.tensors
            .iter()
            .map(|(meta, range)| TensorView {
                name: meta.name(),
                dtype: meta.dtype(),
                shape: meta.shape(),
                data: &data[range.clone()],
            })
            .collect()
    }
}

/// Commits the tensors of a safetensors file under `step_key` (same root as committing
/// the loaded tensors with the same names).
pub fn commit_safetensors(
    path: &Path,
    step_key: &StepKey,
    chunk_size: usize,
) -> Result<StateCommitment> {
    let file = SafetensorsFile::open(path)?;
    commit_with_step_key(step_key, chunk_size, &file.views())
}
