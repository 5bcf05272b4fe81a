//! `Blake3Leaf`: proves in-circuit that chunks hash to their committed salted leaves,
//!
//! ```text
//! leaf = BLAKE3("zkattest.leaf.v1" || salt || chunk)     (salt private)
//! ```
//!
//! for a batch of `k` leaves (issue #6). One BLAKE3 compression per row, 2,806 main
//! columns (the bit-decomposed `p3-blake3-air` layout took 8,686):
//!
//! 1. **Compression.** Words that are xored are kept as 4 bytes, words that are only
//!    added (the message, CV words 0..4) as two 16-bit limbs. Per half G function
//!    (`a' = a + b + m`, `d' = (d ^ a') >>> r1`, `c' = c + d'`, `b' = (b ^ c') >>> r2`,
//!    [`HalfCols`], 24 columns):
//!    - additions mod 2^32 in 16-bit halves, `lo(a) + lo(b) + lo(m) = lo(a') + 2^16 c0`,
//!      `hi(a) + hi(b) + hi(m) + c0 = hi(a') + 2^16 c1`, carries in `{0, 1, 2}` (a cubic;
//!      boolean for the two-operand `c'`); BabyBear (p < 2^31) could not hold 32-bit sums;
//!    - xors through the byte table [`crate::chips::byte_xor`] on the
//!      [`BYTE_XOR`](crate::chips::bus::BYTE_XOR) bus, one lookup per byte: `XOR` for
//!      `d ^ a'` (rotations by 16 and 8 are byte permutations, free), `NIB` for `b ^ c'`
//!      in the first half (the nibble split makes the rotation by 12 linear:
//!      `(z >>> 12)_i = hi4(z_{i+1}) + 16 lo4(z_{i+2})`), `B7` in the second half
//!      (`(z >>> 7)_i = top1(z_i) + 2 low7(z_{i+1})`);
//!    - ranges: every byte column enters a byte lookup as an operand or a result (the
//!      `a'`, `c'`, xor and output bytes, CV words 4..8 in the first round's `NIB`
//!      lookups); message limbs go through `R16` lookups; CV words 0..4 are the IV or
//!      received from a compression whose output bytes are range-checked; `b'` and `d'`
//!      are sums of table outputs. So every limb that enters an addition is 16 bits and
//!      the additions are exact mod 2^32.
//!
//!    960 byte lookups per row (896 in the rounds, 32 for the output, 32 `R16`), which
//!    the prover packs three per LogUp column (degree-3 constraints): 329 extension
//!    columns with the chaining and word buses.
//! 2. **Schedule.** Which row is which block of which BLAKE3 chunk or parent node, and its
//!    counter, block length and flags, follow from the public chunk lengths alone
//!    ([`schedule`]): periodic columns the verifier computes, mirrored by main columns
//!    constrained equal to them row by row.
//! 3. **Message.** Tag words are constants on a leaf's first block; salt words are free
//!    (private witness); chunk words are *sent* on [`LEAF_WORD`](crate::chips::bus::LEAF_WORD) as
//!    `[slot, word_index, lo16, hi16]`, each exactly once; the bytes past the end of the
//!    message are zero.
//! 4. **Chaining.** Every compression but a root sends its output chaining value on the
//!    private [`BLAKE3_CV`](crate::chips::bus::BLAKE3_CV) bus under a unique id (its row index + 1); the next block of
//!    the same BLAKE3 chunk receives it as its input CV, a parent receives its two
//!    children's CVs as its message. Ids to receive are schedule data, so the wiring is
//!    fixed.
//! 5. **Digest.** The root compression's output (first 8 words) equals the leaf's public
//!    digest.
//!
//! Public values: per leaf `s`, [`PUBLIC_PER_LEAF`] elements at `17 s`: the digest as 16
//! little-endian 16-bit limbs (limb `j` = digest bytes `2j, 2j+1`), then the chunk's
//! length in words (it binds the schedule into the Fiat-Shamir transcript, which does not
//! observe periodic columns).
//!
//! Use at most one [`Blake3LeafAir`] per statement: the CV bus ids are unique within one;
//! the statement needs a [`ByteXorTableAir`](crate::chips::byte_xor::ByteXorTableAir)
//! whose multiplicities [`generate_blake3_leaf_trace`] counts.

mod air;
mod columns;
pub mod schedule;
mod statement;
mod trace;
mod words;

#[cfg(test)]
mod tests;

pub use air::Blake3LeafAir;
pub use columns::{
    Blake3LeafCols, HalfCols, ScheduleCols, NUM_BLAKE3_LEAF_COLS, NUM_SCHEDULE_COLS,
};
pub use statement::{
    prove_leaves, prove_leaves_public, verify_leaves, verify_leaves_public, LEAVES_KIND,
    LEAVES_PUBLIC_KIND,
};
pub use trace::generate_blake3_leaf_trace;
pub use words::{LeafWordsAir, NUM_LEAF_WORDS_COLS, WORDS_PER_ROW};

use crate::commit::domain::{DIGEST_LEN, DOMAIN_LEAF};
use crate::commit::Digest;
use crate::error::{Error, Result};

/// One leaf to prove: its private salt and its chunk as little-endian 32-bit words.
#[derive(Clone, Debug)]
pub struct LeafInput {
    /// The leaf's salt (private).
    pub salt: [u8; DIGEST_LEN],
    /// The chunk, `len / 4` little-endian words.
    pub words: Vec<u32>,
}

impl LeafInput {
    /// A leaf from a salt and chunk bytes (length a multiple of 4).
    pub fn from_bytes(salt: [u8; DIGEST_LEN], chunk: &[u8]) -> Result<Self> {
        check_chunk_len(chunk.len())?;
        let words = chunk
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Ok(Self { salt, words })
    }

    /// The chunk bytes.
    pub fn chunk_bytes(&self) -> Vec<u8> {
        self.words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }
}

/// Largest chunk the chip proves, in bytes (the default commitment chunk size).
pub const MAX_LEAF_CHUNK_BYTES: usize = crate::commit::domain::DEFAULT_CHUNK_SIZE;

// State row 3 holds the counter, block length and flags as single bytes.
const _: () = assert!((PREFIX_WORDS * 4 + MAX_LEAF_CHUNK_BYTES).div_ceil(CHUNK_LEN) <= 256);
/// Largest number of leaves in one statement (each costs a periodic selector column).
pub const MAX_LEAVES: usize = 64;
/// Largest trace height (log2) of the chip.
pub const MAX_LOG_HEIGHT: usize = 20;
/// Public values per leaf: 16 digest limbs and the chunk length in words.
pub const PUBLIC_PER_LEAF: usize = DIGEST_LIMBS + 1;
/// Digest limbs (16 bits each) per leaf.
pub const DIGEST_LIMBS: usize = 2 * CV_WORDS;

/// Words of the message prefix (tag, then salt).
pub const PREFIX_WORDS: usize = (DOMAIN_LEAF.len() + DIGEST_LEN) / 4;
/// Words of the domain tag.
pub const TAG_WORDS: usize = DOMAIN_LEAF.len() / 4;

/// BLAKE3 block length in bytes.
pub const BLOCK_LEN: usize = 64;
/// BLAKE3 chunk length in bytes.
pub const CHUNK_LEN: usize = blake3::CHUNK_LEN;
/// Words of a chaining value.
pub const CV_WORDS: usize = 8;
/// BLAKE3 flag: first block of a chunk.
pub const CHUNK_START: u32 = 1;
/// BLAKE3 flag: last block of a chunk.
pub const CHUNK_END: u32 = 2;
/// BLAKE3 flag: parent node.
pub const PARENT: u32 = 4;
/// BLAKE3 flag: the root compression.
pub const ROOT: u32 = 8;
/// BLAKE3's IV (the SHA-256 IV).
pub const IV: [u32; 8] = [
    0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19,
];
/// BLAKE3's message permutation, applied between rounds.
pub const MSG_PERMUTATION: [usize; 16] = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8];

/// The tag words (`DOMAIN_LEAF` as little-endian words).
pub fn tag_words() -> [u32; TAG_WORDS] {
    core::array::from_fn(|i| {
        let b = &DOMAIN_LEAF[4 * i..4 * i + 4];
        u32::from_le_bytes([b[0], b[1], b[2], b[3]])
    })
}

/// Rejects chunk lengths the chip does not prove.
pub fn check_chunk_len(len: usize) -> Result<()> {
    if len == 0 || len % 4 != 0 || len > MAX_LEAF_CHUNK_BYTES {
        return Err(Error::InvalidInput(format!(
            "leaf chunk length {len} bytes: must be a positive multiple of 4 up to \
             {MAX_LEAF_CHUNK_BYTES}"
        )));
    }
    Ok(())
}

/// The BLAKE3 compression function's first 8 output words (the reference the trace
/// follows; tests compare full leaf hashes with the `blake3` crate).
pub fn compress(
    cv: &[u32; 8],
    msg: &[u32; 16],
    counter: u64,
    block_len: u32,
    flags: u32,
) -> [u32; 8] {
    let mut v = initial_state(cv, counter, block_len, flags);
    let mut m = *msg;
    for _ in 0..7 {
        round(&mut v, &m, None);
        m = permute(&m);
    }
    core::array::from_fn(|i| v[i] ^ v[i + 8])
}

/// `v = cv || IV[0..4] || counter_lo, counter_hi, block_len, flags`.
pub(crate) fn initial_state(cv: &[u32; 8], counter: u64, block_len: u32, flags: u32) -> [u32; 16] {
    let mut v = [0; 16];
    v[..8].copy_from_slice(cv);
    v[8..12].copy_from_slice(&IV[..4]);
    v[12] = counter as u32;
    v[13] = (counter >> 32) as u32;
    v[14] = block_len;
    v[15] = flags;
    v
}

/// `(a, b, c, d)` state indices of G function `j` (0..4 columns, 4..8 diagonals).
pub(crate) const fn g_indices(j: usize) -> [usize; 4] {
    let i = j % 4;
    if j < 4 {
        [i, 4 + i, 8 + i, 12 + i]
    } else {
        [i, 4 + (i + 1) % 4, 8 + (i + 2) % 4, 12 + (i + 3) % 4]
    }
}

/// First (`second = false`) or second half of G on `v` at `idx` with message word `m`.
pub(crate) fn half_g(v: &mut [u32; 16], idx: [usize; 4], m: u32, second: bool) {
    let [a, b, c, d] = idx;
    let (r1, r2) = if second { (8, 7) } else { (16, 12) };
    v[a] = v[a].wrapping_add(v[b]).wrapping_add(m);
    v[d] = (v[d] ^ v[a]).rotate_right(r1);
    v[c] = v[c].wrapping_add(v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(r2);
}

/// One round; `record` receives the state after each of its four half steps.
pub(crate) fn round(v: &mut [u32; 16], m: &[u32; 16], mut record: Option<&mut [[u32; 16]; 4]>) {
    for (step, (base, second)) in [(0, false), (0, true), (4, false), (4, true)]
        .into_iter()
        .enumerate()
    {
        for i in 0..4 {
            let j = base + i;
            half_g(v, g_indices(j), m[2 * j + second as usize], second);
        }
        if let Some(r) = record.as_deref_mut() {
            r[step] = *v;
        }
    }
}

/// Applies [`MSG_PERMUTATION`].
pub(crate) fn permute<T: Clone>(m: &[T; 16]) -> [T; 16] {
    core::array::from_fn(|i| m[MSG_PERMUTATION[i]].clone())
}

/// A digest as 16 little-endian 16-bit limbs.
pub fn digest_limbs(d: &Digest) -> [u32; DIGEST_LIMBS] {
    let b = d.as_bytes();
    core::array::from_fn(|j| u16::from_le_bytes([b[2 * j], b[2 * j + 1]]) as u32)
}
