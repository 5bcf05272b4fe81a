//! FP32 square root.

use crate::bits::{decode_normalized, is_nan, is_zero, sign, CANONICAL_NAN, POS_INF};
use crate::round::round_pack;

/// The radicand is the significand shifted up by this (even) amount, so that
/// the integer root has 31 or 32 bits, at least 7 more than the 24 kept.
const RADICAND_SHIFT: u32 = 38;

/// `sqrt(x)` on a binary32 bit pattern, correctly rounded (nearest, ties to
/// even; an exact tie cannot occur for square roots, but the rounding is the
/// shared one anyway).
///
/// `sqrt(-0) = -0`, `sqrt(+inf) = +inf`; a NaN or any negative nonzero input
/// (including `-inf`) gives [`CANONICAL_NAN`].
pub const fn f32_sqrt(x: u32) -> u32 {
    if is_nan(x) {
        return CANONICAL_NAN;
    }
    if is_zero(x) {
        return x;
    }
    if sign(x) {
        return CANONICAL_NAN;
    }
    if x == POS_INF {
        return POS_INF;
    }

    // x = sig * 2^exp. Make exp even so it halves exactly; sig < 2^25 then.
    let (exp, sig) = decode_normalized(x);
    let (exp, sig) = if exp % 2 != 0 {
        (exp - 1, (sig as u64) << 1)
    } else {
        (exp, sig as u64)
    };
    // sqrt(x) = sqrt(sig << 38) * 2^((exp - 38) / 2); radicand < 2^63.
    let radicand = sig << RADICAND_SHIFT;
    let (root, rem) = isqrt_rem(radicand);
    round_pack(false, (exp - RADICAND_SHIFT as i32) / 2, root, rem != 0)
}

/// `(floor(sqrt(n)), n - floor(sqrt(n))^2)` by the binary digit-by-digit
/// recurrence, one root bit per step. Spelled out rather than calling
/// `u64::isqrt` so that the definition is visibly integer-only and does not
/// depend on how a library chooses to compute it.
const fn isqrt_rem(n: u64) -> (u64, u64) {
    let mut rem = n;
    let mut root = 0u64;
    // `bit` walks down the powers of four, starting at the highest one <= n.
    let mut bit = 1u64 << 62;
    while bit > n {
        bit >>= 2;
    }
    while bit != 0 {
        if rem >= root + bit {
            rem -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    (root, rem)
}

#[cfg(test)]
mod tests {
    use super::isqrt_rem;

    #[test]
    fn isqrt_rem_small_and_boundaries() {
        let mut n = 0u64;
        while n < 10_000 {
            let (r, rem) = isqrt_rem(n);
            assert!(
                r * r <= n && (r + 1) * (r + 1) > n && rem == n - r * r,
                "{n}"
            );
            n += 1;
        }
        for r in [1u64 << 30, (1 << 31) + 12345, (1 << 31) | ((1 << 31) - 1)] {
            assert_eq!(isqrt_rem(r * r), (r, 0));
            assert_eq!(isqrt_rem(r * r - 1), (r - 1, 2 * r - 2));
            assert_eq!(isqrt_rem(r * r + 2 * r), (r, 2 * r));
        }
    }
}
