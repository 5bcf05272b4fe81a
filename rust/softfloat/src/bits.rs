//! The binary32 encoding: field masks, special values, field access and class
//! predicates. Everything here is a pure function of the bit pattern.

/// The sign bit.
pub const SIGN_MASK: u32 = 0x8000_0000;
/// The 8-bit biased-exponent field.
pub const EXP_MASK: u32 = 0x7F80_0000;
/// The 23-bit fraction field (the significand without its hidden bit).
pub const FRAC_MASK: u32 = 0x007F_FFFF;
/// Width of the fraction field.
pub const FRAC_BITS: u32 = 23;
/// Exponent bias: a normal number is `1.frac * 2^(biased_exp - EXP_BIAS)`.
pub const EXP_BIAS: u32 = 127;
/// Biased exponent of infinities and NaNs.
pub const EXP_SPECIAL: u32 = 0xFF;

/// `+0.0`.
pub const POS_ZERO: u32 = 0x0000_0000;
/// `-0.0`.
pub const NEG_ZERO: u32 = 0x8000_0000;
/// `+inf`.
pub const POS_INF: u32 = 0x7F80_0000;
/// `-inf`.
pub const NEG_INF: u32 = 0xFF80_0000;
/// The one NaN every operation returns (v1 NaN policy, see the crate docs).
pub const CANONICAL_NAN: u32 = 0x7FC0_0000;

/// Exponent of the last place of a subnormal: the smallest subnormal is `2^-149`.
pub(crate) const MIN_ULP_EXP: i32 = -149;

/// Splits `x` into `(sign, biased_exp, frac)`: the three raw fields, no hidden bit.
pub const fn unpack(x: u32) -> (bool, u32, u32) {
    (
        x & SIGN_MASK != 0,
        (x & EXP_MASK) >> FRAC_BITS,
        x & FRAC_MASK,
    )
}

/// Inverse of [`unpack`]. `biased_exp` must fit 8 bits and `frac` 23 bits.
pub const fn pack(sign: bool, biased_exp: u32, frac: u32) -> u32 {
    debug_assert!(biased_exp <= EXP_SPECIAL && frac <= FRAC_MASK);
    (sign as u32) << 31 | biased_exp << FRAC_BITS | frac
}

/// True for every NaN pattern (quiet or signalling, any sign or payload).
pub const fn is_nan(x: u32) -> bool {
    x & !SIGN_MASK > POS_INF
}

/// True for `+inf` and `-inf`.
pub const fn is_inf(x: u32) -> bool {
    x & !SIGN_MASK == POS_INF
}

/// True for `+0.0` and `-0.0`.
pub const fn is_zero(x: u32) -> bool {
    x & !SIGN_MASK == 0
}

/// True for nonzero values with a zero exponent field (no hidden bit).
pub const fn is_subnormal(x: u32) -> bool {
    x & EXP_MASK == 0 && x & FRAC_MASK != 0
}

/// The sign of `x` as a bool (`true` = negative), also for zeros and NaNs.
pub(crate) const fn sign(x: u32) -> bool {
    x & SIGN_MASK != 0
}

/// Signed zero.
pub(crate) const fn zero(sign: bool) -> u32 {
    pack(sign, 0, 0)
}

/// Signed infinity.
pub(crate) const fn inf(sign: bool) -> u32 {
    pack(sign, EXP_SPECIAL, 0)
}

/// Magnitude of a finite `x` as `(exp, sig)` with `|x| = sig * 2^exp` exactly.
///
/// `sig` carries the hidden bit for normals. Subnormals share the exponent of
/// the smallest normal binade, which is why the exponent field is clamped to 1.
pub(crate) const fn decode(x: u32) -> (i32, u32) {
    let (_, biased, frac) = unpack(x);
    if biased == 0 {
        (MIN_ULP_EXP, frac)
    } else {
        (
            biased as i32 - (EXP_BIAS + FRAC_BITS) as i32,
            frac | 1 << FRAC_BITS,
        )
    }
}

/// [`decode`] for a finite nonzero `x`, then shifts subnormal significands up so
/// that `sig` always has its top bit at position 23 (`2^23 <= sig < 2^24`).
/// Division and square root need this to get a quotient / root of known width.
pub(crate) const fn decode_normalized(x: u32) -> (i32, u32) {
    let (exp, sig) = decode(x);
    debug_assert!(sig != 0);
    let shift = sig.leading_zeros() - (31 - FRAC_BITS);
    (exp - shift as i32, sig << shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_inverts_unpack() {
        for x in [
            0,
            1,
            FRAC_MASK,
            0x3F80_0000,
            POS_INF,
            CANONICAL_NAN,
            0xFFFF_FFFF,
        ] {
            let (s, e, f) = unpack(x);
            assert_eq!(pack(s, e, f), x);
        }
    }

    #[test]
    fn classes_partition_the_encoding() {
        for x in [
            0,
            NEG_ZERO,
            1,
            0x8000_0001,
            FRAC_MASK,
            0x0080_0000,
            POS_INF,
            NEG_INF,
        ] {
            let n = is_nan(x) as u8 + is_inf(x) as u8 + is_zero(x) as u8 + is_subnormal(x) as u8;
            assert!(n <= 1, "{x:#x}");
        }
        assert!(is_nan(0x7F80_0001) && is_nan(0xFFC0_0000) && is_nan(CANONICAL_NAN));
        assert!(!is_nan(POS_INF) && is_inf(NEG_INF) && is_subnormal(0x8000_0001));
    }

    #[test]
    fn decode_normalized_subnormal() {
        // 2^-149 = 2^23 * 2^-172.
        assert_eq!(decode_normalized(1), (-172, 1 << 23));
        // 1.0 = 2^23 * 2^-23.
        assert_eq!(decode_normalized(0x3F80_0000), (-23, 1 << 23));
    }
}
