//! Column layout of [`super::Blake3LeafAir`]: one BLAKE3 compression per row,
//! words as bytes (xored through the byte table) or 16-bit limbs (only added).

use core::mem::size_of;

use crate::chips::fptables::columns::impl_borrow;

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

/// Limbs (16 bits) of a word.
pub const LIMBS: usize = 2;
/// Bytes of a word.
pub const BYTES: usize = 4;

/// Half a G function, `(r1, r2) = (16, 12)` (first half) or `(8, 7)` (second half):
///
/// ```text
/// a' = a + b + m        d' = (d ^ a') >>> r1
/// c' = c + d'           b' = (b ^ c') >>> r2
/// ```
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct HalfCols<T> {
    /// Bytes of `a'`.
    pub a: [T; BYTES],
    /// Carries of `a + b + m` out of the low and high limbs, in `{0, 1, 2}`.
    pub a_carry: [T; LIMBS],
    /// Bytes of `d ^ a'` (`XOR` lookups); `d'` is a byte rotation of them.
    pub d: [T; BYTES],
    /// Bytes of `c'`.
    pub c: [T; BYTES],
    /// Carries of `c + d'`, boolean.
    pub c_carry: [T; LIMBS],
    /// The bytes `z_i` of `b ^ c'` split: first half `[lo4(z_i); 4], [hi4(z_i); 4]`
    /// (`NIB` lookups), second half `[low7(z_i); 4], [top1(z_i); 4]` (`B7` lookups).
    /// `b'` is linear in them.
    pub b: [T; 2 * BYTES],
}

/// One round: four steps (column halves, column second halves, diagonal halves,
/// diagonal second halves) of four half G functions each.
pub type RoundCols<T> = [[HalfCols<T>; 4]; 4];

/// Columns of [`super::Blake3LeafAir`].
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Blake3LeafCols<T> {
    /// The public schedule (mirrors the periodic columns).
    pub sched: ScheduleCols<T>,
    /// The 16 message words as limbs (`R16` lookups).
    pub msg: [[T; LIMBS]; 16],
    /// Input chaining value words 0..4 (state row 0, only added), limbs: the IV or
    /// received on the CV bus from a range-checked sender.
    pub cv_lo: [[T; LIMBS]; 4],
    /// Input chaining value words 4..8 (state row 1), bytes (range-checked by the
    /// first round's `NIB` lookups).
    pub cv_hi: [[T; BYTES]; 4],
    /// The seven rounds.
    pub rounds: [RoundCols<T>; 7],
    /// Output words `v_i ^ v_{i+8}`, bytes (`XOR` lookups).
    pub out: [[T; BYTES]; 8],
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
