//! FP32 division.

use crate::bits::{decode_normalized, inf, is_inf, is_nan, is_zero, sign, zero, CANONICAL_NAN};
use crate::round::round_pack;

/// Extra quotient bits: with both significands in [2^23, 2^24) the integer
/// quotient `(a_sig << 40) / b_sig` lies in (2^39, 2^41), at least 16 bits more
/// than the 24 kept, so the remainder only has to say "nonzero" (sticky).
const QUOTIENT_SHIFT: u32 = 40;

/// `a / b` on binary32 bit patterns, correctly rounded (nearest, ties to even).
///
/// The sign of a zero or infinite result is the XOR of the operand signs, so a
/// finite nonzero `x / ±0` is a signed infinity. `0 / 0`, `inf / inf` and any
/// NaN operand give [`CANONICAL_NAN`].
pub const fn f32_div(a: u32, b: u32) -> u32 {
    if is_nan(a) || is_nan(b) {
        return CANONICAL_NAN;
    }
    let sign = sign(a) != sign(b);
    if is_inf(a) {
        return if is_inf(b) { CANONICAL_NAN } else { inf(sign) };
    }
    if is_inf(b) {
        return zero(sign);
    }
    if is_zero(b) {
        return if is_zero(a) { CANONICAL_NAN } else { inf(sign) };
    }
    if is_zero(a) {
        return zero(sign);
    }

    let (a_exp, a_sig) = decode_normalized(a);
    let (b_exp, b_sig) = decode_normalized(b);
    let num = (a_sig as u64) << QUOTIENT_SHIFT;
    let quotient = num / b_sig as u64;
    let sticky = num % b_sig as u64 != 0;
    round_pack(
        sign,
        a_exp - b_exp - QUOTIENT_SHIFT as i32,
        quotient,
        sticky,
    )
}
