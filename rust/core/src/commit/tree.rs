//! The binary Merkle tree of RFC 9162 §2.1 with BLAKE3: inner node
//! `BLAKE3(0x01 || left || right)`, the left subtree of `n > 1` leaves holding the
//! largest power of two smaller than `n`, the empty tree hashing to `BLAKE3("")`.
//!
//! RFC 9162 hashes a leaf as `H(0x00 || data)`; here the leaves are already
//! domain-separated digests (chunk leaves, tensor entries: their inputs start with an
//! ASCII tag, never with `0x01`), so the tree takes them as they are.
//!
//! Built level by level: pairing neighbours left to right and carrying an unpaired last
//! node up unchanged gives exactly the RFC 9162 tree, with one buffer and no recursion.

use super::domain::{MAX_PATH_LEN, NODE_PREFIX};
use super::Digest;
use crate::error::{Error, Result};

/// `BLAKE3(0x01 || left || right)`.
pub fn node_hash(left: &Digest, right: &Digest) -> Digest {
    let mut block = [0u8; 65];
    block[0] = NODE_PREFIX;
    block[1..33].copy_from_slice(left.as_bytes());
    block[33..].copy_from_slice(right.as_bytes());
    blake3::hash(&block)
}

/// Replaces `level` by the next level up (pairs hashed, an odd last node carried up).
fn reduce(level: &mut Vec<Digest>) {
    let n = level.len();
    for i in 0..n / 2 {
        level[i] = node_hash(&level[2 * i], &level[2 * i + 1]);
    }
    if n % 2 == 1 {
        level[n / 2] = level[n - 1];
    }
    level.truncate(n.div_ceil(2));
}

/// The root over `leaves` (RFC 9162 MTH).
pub fn root(leaves: &[Digest]) -> Digest {
    match leaves {
        [] => blake3::hash(b""),
        [one] => *one,
        _ => {
            let mut level = leaves.to_vec();
            while level.len() > 1 {
                reduce(&mut level);
            }
            level[0]
        }
    }
}

/// The audit path of leaf `index` (RFC 9162 PATH), bottom-up. `index < leaves.len()`.
pub fn audit_path(leaves: &[Digest], index: usize) -> Vec<Digest> {
    debug_assert!(index < leaves.len());
    let mut path = Vec::with_capacity(path_len(index as u64, leaves.len() as u64));
    let mut level = leaves.to_vec();
    let mut i = index;
    while level.len() > 1 {
        if let Some(sibling) = level.get(i ^ 1) {
            path.push(*sibling);
        }
        reduce(&mut level);
        i /= 2;
    }
    path
}

/// Length of the audit path of leaf `index` in a tree of `size` leaves.
pub fn path_len(index: u64, size: u64) -> usize {
    let (mut i, mut last, mut len) = (index, size.saturating_sub(1), 0);
    while last > 0 {
        if i ^ 1 <= last {
            len += 1;
        }
        i /= 2;
        last /= 2;
    }
    len
}

/// Recomputes the root from leaf `index` of a tree of `size` leaves and its audit path
/// (RFC 9162 §2.1.3.2). Fails if the index is out of range or the path has the wrong
/// length; the caller compares the result with the expected root.
pub fn root_from_path(index: u64, size: u64, leaf: &Digest, path: &[Digest]) -> Result<Digest> {
    if index >= size {
        return Err(Error::Verification(format!(
            "leaf index {index} is outside a tree of {size} leaves"
        )));
    }
    if path.len() > MAX_PATH_LEN || path.len() != path_len(index, size) {
        return Err(Error::Verification(format!(
            "audit path has {} hashes, a tree of {size} leaves needs {} for leaf {index}",
            path.len(),
            path_len(index, size)
        )));
    }
    let (mut fn_, mut sn, mut r) = (index, size - 1, *leaf);
    for p in path {
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    debug_assert_eq!(sn, 0, "path length was checked");
    Ok(r)
}
