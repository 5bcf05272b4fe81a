//! FP32 addition and subtraction.

use crate::bits::{decode, is_inf, is_nan, is_zero, sign, zero, CANONICAL_NAN, SIGN_MASK};
use crate::round::round_pack;

/// Headroom given to the larger significand before alignment. With 24 + 39 = 63
/// bits the sum cannot overflow a `u64`. An operand shifted further than this
/// loses bits, but only far below the result's guard bit (the larger operand
/// is then normal, so the result keeps its top bit at 61 or above), where a
/// sticky flag is all the rounding needs.
const ALIGN_BITS: u32 = 39;

/// `a + b` on binary32 bit patterns, correctly rounded (nearest, ties to even).
///
/// Signed zeros follow IEEE 754 for round-to-nearest: an exact zero sum is `+0`
/// unless both operands are `-0`. `inf + -inf` and any NaN operand give
/// [`CANONICAL_NAN`].
pub const fn f32_add(a: u32, b: u32) -> u32 {
    if is_nan(a) || is_nan(b) {
        return CANONICAL_NAN;
    }
    if is_inf(a) || is_inf(b) {
        if is_inf(a) && is_inf(b) && sign(a) != sign(b) {
            return CANONICAL_NAN;
        }
        return if is_inf(a) { a } else { b };
    }
    if is_zero(a) && is_zero(b) {
        return zero(sign(a) && sign(b));
    }

    // Order by magnitude; for finite values the bit patterns order the same way.
    let (big, small) = if a & !SIGN_MASK >= b & !SIGN_MASK {
        (a, b)
    } else {
        (b, a)
    };
    let (big_exp, big_sig) = decode(big);
    let (small_exp, small_sig) = decode(small);

    // Both terms as integers in units of 2^(big_exp - ALIGN_BITS).
    let big_wide = (big_sig as u64) << ALIGN_BITS;
    let (small_wide, sticky) = shift_right_sticky(
        (small_sig as u64) << ALIGN_BITS,
        (big_exp - small_exp) as u32,
    );
    let exp = big_exp - ALIGN_BITS as i32;

    if sign(a) == sign(b) {
        return round_pack(sign(big), exp, big_wide + small_wide, sticky);
    }
    // The exact difference is big_wide - (small_wide + d) with 0 < d < 1 when
    // sticky, i.e. (big_wide - small_wide - 1) + (1 - d): truncate and keep sticky.
    let diff = big_wide - small_wide - sticky as u64;
    if diff == 0 && !sticky {
        // x + (-x) is +0 in round-to-nearest.
        return zero(false);
    }
    round_pack(sign(big), exp, diff, sticky)
}

/// `a - b`, defined as `a + (-b)`: flipping the sign bit is exact, and a NaN `b`
/// stays NaN.
pub const fn f32_sub(a: u32, b: u32) -> u32 {
    f32_add(a, b ^ SIGN_MASK)
}

/// `(x >> n, whether any one bits were shifted out)`, for any `n`.
const fn shift_right_sticky(x: u64, n: u32) -> (u64, bool) {
    if n >= 64 {
        (0, x != 0)
    } else {
        (x >> n, x & ((1 << n) - 1) != 0)
    }
}
