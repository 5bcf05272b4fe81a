//! BF16 (the top 16 bits of binary32): conversions, the widening product, and
//! the multiply-accumulate and dot product built from it.

use crate::add::f32_add;
use crate::bits::{is_nan, POS_ZERO};
use crate::mul::f32_mul;

/// The one BF16 NaN that [`f32_to_bf16`] returns: the top half of
/// [`CANONICAL_NAN`](crate::CANONICAL_NAN).
pub const BF16_CANONICAL_NAN: u16 = 0x7FC0;

/// Widens a BF16 pattern to FP32. Exact: BF16 is FP32 with the low 16 fraction
/// bits zero, so this is a shift, and NaN payloads are kept.
pub const fn bf16_to_f32(x: u16) -> u32 {
    (x as u32) << 16
}

/// Narrows FP32 to BF16, round-to-nearest-even on the 16 dropped bits.
///
/// This is the shared FP32 rounding done at 8 instead of 24 significant bits:
/// the low half is compared with `0x8000` (half a BF16 last place), and the
/// increment may carry into the exponent, which moves a subnormal up to the
/// smallest normal or the largest finite values (`|x| >= 0x7F7F8000`) to
/// infinity, exactly as IEEE rounding requires. Any NaN gives
/// [`BF16_CANONICAL_NAN`]; plain truncation could turn a NaN into infinity.
pub const fn f32_to_bf16(x: u32) -> u16 {
    if is_nan(x) {
        return BF16_CANONICAL_NAN;
    }
    let upper = x >> 16;
    let lower = x & 0xFFFF;
    let round_up = lower > 0x8000 || (lower == 0x8000 && upper & 1 == 1);
    (upper + round_up as u32) as u16
}

/// `a * b` for BF16 `a`, `b`, as an FP32 result: `f32_mul` of the widened values.
///
/// The product of two 8-bit significands has at most 16 bits, which fits in
/// FP32's 24, so whenever the result is in FP32's normal range it is exact and
/// the rounding in `f32_mul` does nothing. Only the range can be exceeded: two
/// tiny (e.g. subnormal) BF16 values can have a product below `2^-126` that
/// needs more bits than the subnormal grid has, and two huge ones can
/// overflow. Defining the op through `f32_mul` makes those cases correctly
/// rounded FP32 products, the same as hardware multiplying the widened values.
pub const fn bf16_mul_f32(a: u16, b: u16) -> u32 {
    f32_mul(bf16_to_f32(a), bf16_to_f32(b))
}

/// Multiply-accumulate `acc + a * b` with BF16 `a`, `b` and FP32 `acc`:
/// `f32_add(acc, bf16_mul_f32(a, b))`.
///
/// Two roundings in general, but the product is exact in FP32's normal range,
/// so there this equals a fused multiply-add.
pub const fn bf16_mac(acc: u32, a: u16, b: u16) -> u32 {
    f32_add(acc, bf16_mul_f32(a, b))
}

/// Dot product of two BF16 vectors with FP32 accumulation, in the v1 order:
/// start from `+0.0` and apply [`bf16_mac`] for `k = 0..K-1` in sequence.
///
/// An empty dot product is `+0.0`.
///
/// # Panics
///
/// If `a` and `b` differ in length.
pub const fn bf16_dot(a: &[u16], b: &[u16]) -> u32 {
    assert!(a.len() == b.len(), "bf16_dot: length mismatch");
    let mut acc = POS_ZERO;
    let mut k = 0;
    while k < a.len() {
        acc = bf16_mac(acc, a[k], b[k]);
        k += 1;
    }
    acc
}
