//! The one rounding step every FP32 operation ends in.

use crate::bits::{FRAC_BITS, MIN_ULP_EXP, POS_INF, SIGN_MASK};

/// Rounds `(-1)^sign * (sig + d) * 2^exp` to binary32, round-to-nearest-even.
///
/// `sticky` says whether `d`, the part of the exact value the caller could not
/// keep, is nonzero: `d = 0` when `sticky` is false, `0 < d < 1` when it is true.
/// So `sig` is the exact value truncated to an integer multiple of `2^exp`.
/// When `sticky` is set, `sig` must reach at least one bit below the result's
/// last place (the guard bit); otherwise `d` could not be placed relative to the
/// halfway point. Every caller in this crate keeps 15 or more such bits.
///
/// Handles the whole range: results below the normal range are rounded at the
/// fixed subnormal last place `2^-149` (no flush to zero), results that round
/// past the largest finite value become infinity, and a zero magnitude gives a
/// zero of the given sign.
pub const fn round_pack(sign: bool, exp: i32, sig: u64, sticky: bool) -> u32 {
    let sign_bit = if sign { SIGN_MASK } else { 0 };
    if sig == 0 {
        debug_assert!(!sticky, "a sticky remainder needs bits above it");
        return sign_bit;
    }
    // The exact value lies in [2^top, 2^(top + 1)).
    let top = exp + (63 - sig.leading_zeros() as i32);
    // Last place of the result: 24 significant bits, but never below 2^-149.
    let ulp_exp = max(top - FRAC_BITS as i32, MIN_ULP_EXP);
    let shift = ulp_exp - exp;
    debug_assert!(!sticky || shift >= 1, "sticky needs a guard bit");

    let q = if shift <= 0 {
        // Exact: the value already fits (q < 2^24 by the choice of ulp_exp).
        sig << -shift
    } else if shift > 64 {
        // Even sig + d < 2^64 is below half of 2^ulp_exp: round to zero.
        0
    } else {
        // q = sig / 2^shift, rounded to nearest, ties to even q. The dropped
        // bits `rem` are compared with one half of the last place; `d` only
        // breaks an exact tie upwards, because rem is an integer and d < 1.
        let wide = sig as u128;
        let q = (wide >> shift) as u64;
        let rem = wide & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        let round_up = rem > half || (rem == half && (sticky || q & 1 == 1));
        q + round_up as u64
    };

    // q includes the hidden bit, so adding it to the exponent field (minus one)
    // lets a carry out of rounding move up one binade by itself: the largest
    // subnormal becomes the smallest normal, and the largest finite value
    // becomes the infinity pattern. For subnormals ulp_exp = -149 and the field
    // part is 0, leaving q itself.
    let magnitude = ((ulp_exp - MIN_ULP_EXP) as u64) << FRAC_BITS;
    let magnitude = magnitude + q;
    if magnitude >= POS_INF as u64 {
        // Round-to-nearest has no largest-finite clamp: overflow is infinity.
        return sign_bit | POS_INF;
    }
    sign_bit | magnitude as u32
}

const fn max(a: i32, b: i32) -> i32 {
    if a > b {
        a
    } else {
        b
    }
}

#[cfg(test)]
mod tests {
    use super::round_pack;

    #[test]
    fn exact_values_pass_through() {
        assert_eq!(round_pack(false, -23, 1 << 23, false), 0x3F80_0000);
        assert_eq!(round_pack(true, 0, 1, false), 0xBF80_0000);
        assert_eq!(round_pack(false, -149, 1, false), 0x0000_0001);
        assert_eq!(round_pack(true, 7, 0, false), 0x8000_0000);
    }

    #[test]
    fn subnormal_halfway_cases() {
        // 0.5 * 2^-149: tie between 0 (even) and 2^-149 (odd).
        assert_eq!(round_pack(false, -150, 1, false), 0);
        assert_eq!(round_pack(true, -150, 1, false), 0x8000_0000);
        // Just above the tie.
        assert_eq!(round_pack(false, -150, 1, true), 1);
        // 1.5 * 2^-149: tie between 1 (odd) and 2 (even).
        assert_eq!(round_pack(false, -150, 3, false), 2);
    }

    #[test]
    fn carries_cross_binades() {
        // (2^23 - 1/2) * 2^-149: halfway between the largest subnormal (odd) and
        // the smallest normal (even).
        assert_eq!(round_pack(false, -150, (1 << 24) - 1, false), 0x0080_0000);
        // (2^25 - 1) * 2^-24 rounds to 2.0.
        assert_eq!(round_pack(false, -24, (1 << 25) - 1, false), 0x4000_0000);
        // (2^24 - 1/2) * 2^104 = max finite + half ulp: tie, max is odd -> inf.
        assert_eq!(round_pack(false, 103, (1 << 25) - 1, false), 0x7F80_0000);
        assert_eq!(round_pack(false, 103, (1 << 25) - 2, true), 0x7F7F_FFFF);
    }

    #[test]
    fn far_out_of_range() {
        assert_eq!(round_pack(false, 1000, 1, false), 0x7F80_0000);
        assert_eq!(round_pack(true, -1000, u64::MAX, true), 0x8000_0000);
        // 2^63 * 2^-213 = 2^-150 exactly plus a little: above the tie.
        assert_eq!(round_pack(false, -213, 1 << 63, true), 1);
        assert_eq!(round_pack(false, -213, 1 << 63, false), 0);
    }
}
