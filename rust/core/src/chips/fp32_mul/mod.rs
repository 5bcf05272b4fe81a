//! `Fp32Mul`: `c = x * y` on FP32 words (round-to-nearest-even, subnormals kept, overflow
//! to infinity), one op per row.
//!
//! 1. **Normalize** each factor through two table lookups (`FP32_NRM` on the high half,
//!    `LOZ` on the low half: leading zeros of subnormals), into 12-bit limbs
//!    `n1 * 2^12 + n0 = M * 2^lz` in `[2^23, 2^24)` (or 0).
//! 2. **Multiply** in 12-bit limbs with range-checked carries: `P = Nx * Ny` in
//!    `[2^46, 2^48)`; `V1 = floor(P / 2^21)` (27 bits, split `vh * 2^16 + vl`).
//! 3. **Align** (`MULS` lookup on the normalized exponent sum `g` and `f = [P < 2^47]`):
//!    a normal result keeps `V1`; a result below 2^-126 shifts `V1` right onto the
//!    subnormal grid, splitting one limb as in the adder core; the dropped bits (and the
//!    21 below `V1`) make the sticky bit. `V = 2 al + st` has two guard bits.
//! 4. **Round check** (`MROUND`): the claimed result `Z`'s last place is `pn = 2^(jm+3)`
//!    units (`jm = ez - jb`), and `err = V - Mz * pn` lies within half of it, ties to
//!    even, halved below a power of two; a zero result is an ordinary (even) value, so
//!    underflow to zero is covered. The sign is `sx xor sy`.
//! 5. **Overflow**: exponent sums beyond the range skip the check and `Z` must be infinite;
//!    a normal product that rounds up to 2^128 gives the virtual exponent-255 `Z`; both
//!    output infinity.
//!
//! Every relation is over integers far below p (limbs of at most 16 bits, carries range
//! checked, `|err| < 2^30`).

mod air;
mod columns;
mod trace;

#[cfg(test)]
mod tests;

pub use air::Fp32MulAir;
pub use columns::{FactorCols, Fp32MulCols, NUM_FP32_MUL_COLS};
pub use trace::{fp32_mul_provable, generate_fp32_mul_trace, MulOp};
