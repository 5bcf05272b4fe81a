//! FP32 multiplication.

use crate::bits::{decode, inf, is_inf, is_nan, is_zero, sign, CANONICAL_NAN};
use crate::round::round_pack;

/// `a * b` on binary32 bit patterns, correctly rounded (nearest, ties to even).
///
/// The sign of a zero or infinite result is the XOR of the operand signs.
/// `0 * inf` and any NaN operand give [`CANONICAL_NAN`].
pub const fn f32_mul(a: u32, b: u32) -> u32 {
    if is_nan(a) || is_nan(b) {
        return CANONICAL_NAN;
    }
    let sign = sign(a) != sign(b);
    if is_inf(a) || is_inf(b) {
        if is_zero(a) || is_zero(b) {
            return CANONICAL_NAN;
        }
        return inf(sign);
    }
    // Two 24-bit significands give an exact product of at most 48 bits, so the
    // only rounding is the final one (no sticky). Subnormal operands need no
    // normalisation: round_pack finds the leading one itself, and a zero
    // operand gives a zero product of the right sign.
    let (a_exp, a_sig) = decode(a);
    let (b_exp, b_sig) = decode(b);
    round_pack(sign, a_exp + b_exp, a_sig as u64 * b_sig as u64, false)
}
