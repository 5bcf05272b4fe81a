//! `Fp32Sqrt`: `c = sqrt(x)` on FP32 words (round-to-nearest-even, subnormal inputs
//! kept, `sqrt(-0) = -0`), one op per row. Negative nonzero radicands (NaN) have no
//! witness; the result of a finite `x >= 0` is always a normal number or zero.
//!
//! 1. **Normalize** `x` as `Fp32Mul` does: `Nx = n1 2^12 + n0` in `[2^23, 2^24)` (or 0),
//!    value `Nx 2^(gx - 150)`. Halve the exponent: `gx - 150 = 2 h + o`, `o` a bit, `h`
//!    range checked (so the split is unique).
//! 2. **Root** by proving `S^2 + R = Nx 2^(28 + o)` with `0 <= R <= 2 S` in base
//!    `B = 2^12` (`S` in limbs of 12, 12, 3 bits; `R` 12, 12, 4; `2 S - R` 16 + 12; carries
//!    range checked; the top equation stays below 1.1e9 < p, so nothing wraps). `S = floor(sqrt(Nx 2^(28 + o)))` lies in `[2^25, 2^27)`.
//! 3. **Round check**: `sqrt(x) = S' 2^(h - 14)` is always normal, so there is no
//!    alignment: `MROUND(ez - jb, pn, 2 S + st - Mz pn, ..)` with `jb = h + 138` and the
//!    sticky bit `st = [R != 0]` (the scale of `Fp32Mul`'s `V1` with `G = h + 265`).
//! 4. **Zero and sign**: `zx` (only if `Nx = 0`) adds 283 to the halved exponent so that
//!    `jb = 1` and the result is a zero of `x`'s sign; the result's sign is `sx`, and
//!    `sx (1 - zx) = 0` rejects negative nonzero radicands.
//!
//! Every relation is over integers far below p (limbs of at most 16 bits, carries range
//! checked, `|err| < 2^30`).

mod air;
mod columns;
mod trace;

#[cfg(test)]
mod tests;

pub use air::Fp32SqrtAir;
pub use columns::{Fp32SqrtCols, NUM_FP32_SQRT_COLS};
pub use trace::{fp32_sqrt_provable, generate_fp32_sqrt_trace};

/// The root is `floor(sqrt(Nx 2^(SQRT_SHIFT + o)))`: it lands in `[2^25, 2^27)`.
pub(crate) const SQRT_SHIFT: u32 = 28;
/// Exponent bias of the normalized significand: `x = Nx 2^(gx - EXP_OFFSET)`.
pub(crate) const EXP_OFFSET: i64 = 150;
/// `jb = h + JB_OFFSET` (`279 - 127 - SQRT_SHIFT / 2`).
pub(crate) const JB_OFFSET: i64 = 279 - 127 - (SQRT_SHIFT as i64) / 2;
/// A zero radicand adds this to the halved exponent, so that `h = 1 - JB_OFFSET`
/// (`jb = 1`: the zero result's last place).
pub(crate) const ZERO_H_SHIFT: i64 = 2 * (1 - JB_OFFSET) + EXP_OFFSET - ZERO_GX;
/// Normalized exponent of a zero FP32 word (`1 - 8 - LOZ_ZERO_CLZ`).
pub(crate) const ZERO_GX: i64 = 1 - 8 - crate::chips::fptables::content::LOZ_ZERO_CLZ as i64;
/// `h + H_BIAS` is range checked in [`H_BITS`] bits (`h` in `[-137, 52]`).
pub(crate) const H_BIAS: i64 = JB_OFFSET - 1;
/// Bits of the range check of `h + H_BIAS`.
pub(crate) const H_BITS: u32 = 8;
