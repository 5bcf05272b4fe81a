//! The public block schedule: from the chunk lengths alone, which row proves which
//! compression (BLAKE3 chunk block or parent node), with which counter, block length,
//! flags and chaining-value wiring.
//!
//! Rows of leaf `s` come in one run: the blocks of BLAKE3 chunk 0, 1, ..., then the
//! parent nodes in post-order (children first); the last row of the run is the root.
//! The tree is BLAKE3's: the left subtree holds the largest power of two of chunks that
//! leaves at least one for the right. Padding rows (all zero) fill the power-of-two
//! height.

use super::columns::ScheduleCols;
use super::{
    check_chunk_len, BLOCK_LEN, CHUNK_END, CHUNK_LEN, CHUNK_START, MAX_LEAVES, MAX_LOG_HEIGHT,
    PARENT, PREFIX_WORDS, ROOT,
};
use crate::error::{Error, Result};

/// Smallest trace height (log2).
pub const MIN_LOG_HEIGHT: usize = 2;

/// The schedule of a statement.
#[derive(Debug)]
pub struct Schedule {
    /// One entry per trace row (padding rows included).
    pub rows: Vec<ScheduleCols<u32>>,
    /// The root row of each leaf.
    pub roots: Vec<usize>,
    /// Chunk length of each leaf, in words.
    pub words: Vec<usize>,
    /// log2 of the trace height.
    pub log_height: usize,
}

impl Schedule {
    /// The schedule for chunks of `lens` bytes each (`k >= 1` leaves, each length a
    /// positive multiple of 4 up to 64 KiB).
    pub fn new(lens: &[usize]) -> Result<Self> {
        if lens.is_empty() || lens.len() > MAX_LEAVES {
            return Err(Error::InvalidInput(format!(
                "{} leaves: a leaf statement holds 1 to {MAX_LEAVES}",
                lens.len()
            )));
        }
        let mut rows = Vec::new();
        let mut roots = Vec::with_capacity(lens.len());
        for (slot, &len) in lens.iter().enumerate() {
            check_chunk_len(len)?;
            push_leaf(&mut rows, slot as u32, len);
            roots.push(rows.len() - 1);
        }
        let log_height = rows
            .len()
            .next_power_of_two()
            .trailing_zeros()
            .max(MIN_LOG_HEIGHT as u32) as usize;
        if log_height > MAX_LOG_HEIGHT {
            return Err(Error::InvalidInput(format!(
                "leaves need {} compressions, more than 2^{MAX_LOG_HEIGHT}",
                rows.len()
            )));
        }
        rows.resize(1 << log_height, ScheduleCols::default());
        Ok(Self {
            rows,
            roots,
            words: lens.iter().map(|l| l / 4).collect(),
            log_height,
        })
    }
}

fn push_leaf(rows: &mut Vec<ScheduleCols<u32>>, slot: u32, len: usize) {
    let nwords = len / 4;
    let msg_len = PREFIX_WORDS * 4 + len;
    let n_chunks = msg_len.div_ceil(CHUNK_LEN);
    let mut chunk_ids = Vec::with_capacity(n_chunks);
    for c in 0..n_chunks {
        let clen = (msg_len - c * CHUNK_LEN).min(CHUNK_LEN);
        let nb = clen.div_ceil(BLOCK_LEN);
        for b in 0..nb {
            let id = rows.len() as u32 + 1;
            let last = b == nb - 1;
            let root = last && n_chunks == 1;
            let wbase = (c * CHUNK_LEN + b * BLOCK_LEN) / 4;
            let mut r = ScheduleCols {
                real: 1,
                first: (c == 0 && b == 0) as u32,
                parent: 0,
                iv: (b == 0) as u32,
                send_out: (!root) as u32,
                counter: c as u32,
                block_len: (clen - b * BLOCK_LEN).min(BLOCK_LEN) as u32,
                flags: if b == 0 { CHUNK_START } else { 0 }
                    | if last { CHUNK_END } else { 0 }
                    | if root { ROOT } else { 0 },
                slot,
                wbase: wbase as u32,
                out_id: id,
                in_id: if b == 0 { 0 } else { id - 1 },
                ..Default::default()
            };
            for (i, s) in r.send.iter_mut().enumerate() {
                let w = wbase + i;
                *s = (w >= PREFIX_WORDS && w - PREFIX_WORDS < nwords) as u32;
            }
            rows.push(r);
        }
        chunk_ids.push(rows.len() as u32);
    }
    if n_chunks > 1 {
        push_subtree(rows, slot, &chunk_ids, true);
    }
}

/// Pushes the parent nodes over `ids` (post-order); returns the subtree's output id.
fn push_subtree(rows: &mut Vec<ScheduleCols<u32>>, slot: u32, ids: &[u32], root: bool) -> u32 {
    if ids.len() == 1 {
        return ids[0];
    }
    // the largest power of two below the number of chunks
    let left = 1usize << (ids.len() - 1).ilog2();
    let l = push_subtree(rows, slot, &ids[..left], false);
    let r = push_subtree(rows, slot, &ids[left..], false);
    let id = rows.len() as u32 + 1;
    rows.push(ScheduleCols {
        real: 1,
        parent: 1,
        iv: 1,
        send_out: (!root) as u32,
        block_len: BLOCK_LEN as u32,
        flags: PARENT | if root { ROOT } else { 0 },
        slot,
        out_id: id,
        left_id: l,
        right_id: r,
        ..Default::default()
    });
    id
}
