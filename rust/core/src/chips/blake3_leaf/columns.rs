//! Column layout of [`super::Blake3LeafAir`]: one BLAKE3 compression per row.

use core::mem::size_of;

use crate::chips::fptables::columns::impl_borrow;

/// Words per 16-bit-limb pair.
pub const LIMBS: usize = 2;

/// The public block schedule of a row. Every field equals the periodic column of the
/// same index on every row (the verifier computes those from the chunk lengths), so the
/// prover cannot choose any of them; they are main columns only because bus tuples and
/// multiplicities must be trace columns.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ScheduleCols<T> {
    /// 1 on a compression of the statement, 0 on padding rows.
    pub real: T,
    /// The first block of a leaf message (tag words constant, salt words private).
    pub first: T,
    /// A parent-node compression (message = left CV || right CV, received on the CV bus).
    pub parent: T,
    /// The input chaining value is the IV (first block of a BLAKE3 chunk, or a parent).
    pub iv: T,
    /// The output CV is sent on the CV bus (every real compression but a root).
    pub send_out: T,
    /// BLAKE3 counter (chunk index; parents 0).
    pub counter: T,
    /// Block length in bytes.
    pub block_len: T,
    /// BLAKE3 flags (`CHUNK_START | CHUNK_END | PARENT | ROOT`).
    pub flags: T,
    /// Which leaf of the statement this compression belongs to.
    pub slot: T,
    /// Index in the leaf message of the block's first 32-bit word (`offset / 4`).
    pub wbase: T,
    /// Id under which the output CV is sent (row index + 1).
    pub out_id: T,
    /// Id of the input CV received (the previous block of the same BLAKE3 chunk).
    pub in_id: T,
    /// Id of the left child CV (parents).
    pub left_id: T,
    /// Id of the right child CV (parents).
    pub right_id: T,
    /// `send[i]`: message word `i` is a chunk word, sent on `LEAF_WORD`.
    pub send: [T; 16],
}

/// Number of schedule columns (and of the periodic columns mirroring them).
pub const NUM_SCHEDULE_COLS: usize = size_of::<ScheduleCols<u8>>();

impl_borrow!(ScheduleCols, NUM_SCHEDULE_COLS);

/// A BLAKE3 state `v[0..16]` as a 4x4 matrix: rows 0 and 2 (the `a` and `c` words of
/// the G function) as 16-bit limbs, rows 1 and 3 (`b`, `d`, the words that get rotated)
/// as bits, little-endian.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct StateCols<T> {
    /// `v[0..4]`, limbs.
    pub row0: [[T; LIMBS]; 4],
    /// `v[4..8]`, bits.
    pub row1: [[T; 32]; 4],
    /// `v[8..12]`, limbs.
    pub row2: [[T; LIMBS]; 4],
    /// `v[12..16]`, bits.
    pub row3: [[T; 32]; 4],
}

/// One round: column step (half G, full G), then diagonal step (half G, full G).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct RoundCols<T> {
    /// After the first half of the four column G functions.
    pub col_half: StateCols<T>,
    /// After the column step.
    pub col_out: StateCols<T>,
    /// After the first half of the four diagonal G functions.
    pub diag_half: StateCols<T>,
    /// After the round (input of the next round).
    pub out: StateCols<T>,
}

/// Columns of [`super::Blake3LeafAir`].
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Blake3LeafCols<T> {
    /// The public schedule (mirrors the periodic columns).
    pub sched: ScheduleCols<T>,
    /// The 16 message words of the block, bits (boolean: range-checks every limb).
    pub msg: [[T; 32]; 16],
    /// Input chaining value words 0..4 (state row 0), limbs.
    pub cv_lo: [[T; LIMBS]; 4],
    /// Input chaining value words 4..8 (state row 1), bits.
    pub cv_hi: [[T; 32]; 4],
    /// Initial state row 2: `IV[0..4]`, limbs.
    pub iv_row: [[T; LIMBS]; 4],
    /// Initial state row 3: counter low, counter high, block length, flags; bits.
    pub params: [[T; 32]; 4],
    /// The seven rounds.
    pub rounds: [RoundCols<T>; 7],
    /// Bits of the final state row 2 (`v[8..12]`).
    pub row2_bits: [[T; 32]; 4],
    /// Output words 0..4 (`v[i] ^ v[i + 8]`), bits. Output words 4..8 are the xor of
    /// the final rows 1 and 3, already bits, so they need no columns.
    pub out_lo: [[T; 32]; 4],
}

/// Width of [`Blake3LeafCols`].
pub const NUM_BLAKE3_LEAF_COLS: usize = size_of::<Blake3LeafCols<u8>>();

impl_borrow!(Blake3LeafCols, NUM_BLAKE3_LEAF_COLS);

impl<T: Copy> ScheduleCols<T> {
    /// The fields in column order.
    pub fn values(&self) -> [T; NUM_SCHEDULE_COLS] {
        let head = [
            self.real,
            self.first,
            self.parent,
            self.iv,
            self.send_out,
            self.counter,
            self.block_len,
            self.flags,
            self.slot,
            self.wbase,
            self.out_id,
            self.in_id,
            self.left_id,
            self.right_id,
        ];
        core::array::from_fn(|i| {
            if i < head.len() {
                head[i]
            } else {
                self.send[i - head.len()]
            }
        })
    }
}
