//! Shared test helpers: the hardware oracle and input strategies.
//!
//! The oracle is the host's IEEE binary32 arithmetic (SSE on x86-64, which Rust
//! runs without flush-to-zero and never contracts into FMA). Its NaN bits
//! differ from the v1 canonical NaN, so results are compared as "both NaN".

#![allow(dead_code)] // each test binary uses a different subset

use proptest::prelude::*;
use zkattest_softfloat::CANONICAL_NAN;

/// Whether the softfloat result `got` agrees with the hardware result `want`:
/// the same bits, or `want` is any NaN and `got` is the canonical NaN.
pub fn agrees(got: u32, want: f32) -> bool {
    if want.is_nan() {
        got == CANONICAL_NAN
    } else {
        got == want.to_bits()
    }
}

/// `2^n` as an exact `f64`, for `-1022 <= n <= 1023`.
pub fn pow2(n: i32) -> f64 {
    assert!((-1022..=1023).contains(&n));
    f64::from_bits(((n + 1023) as u64) << 52)
}

/// `m * 2^n` as `f32` bits; the caller ensures it is exactly representable.
pub fn exact_f32(m: u64, n: i32) -> u32 {
    let v = m as f64 * pow2(n);
    let f = v as f32;
    assert_eq!(f as f64, v, "{m} * 2^{n} is not an f32");
    f.to_bits()
}

/// Interesting fixed patterns: signed zeros, subnormal and normal extremes,
/// one, infinities, quiet and signalling NaNs with either sign.
pub const SPECIALS: [u32; 20] = [
    0x0000_0000,
    0x8000_0000,
    0x0000_0001,
    0x8000_0001,
    0x007F_FFFF,
    0x807F_FFFF,
    0x0080_0000,
    0x8080_0000,
    0x3F80_0000,
    0xBF80_0000,
    0x3F80_0001,
    0x3F7F_FFFF,
    0x7F7F_FFFF,
    0xFF7F_FFFF,
    0x7F80_0000,
    0xFF80_0000,
    0x7FC0_0000,
    0xFFC0_0000,
    0x7F80_0001,
    0xFFBF_FFFF,
];

pub fn special() -> impl Strategy<Value = u32> {
    proptest::sample::select(&SPECIALS[..])
}

/// Floats assembled from fields, with exponent and fraction drawn mostly from
/// the edges of their ranges (zero / subnormal / normal / overflow / special
/// binades, empty / full / single-bit fractions).
pub fn edgy() -> impl Strategy<Value = u32> {
    let exp = prop_oneof![
        Just(0u32),
        Just(1),
        Just(2),
        Just(126),
        Just(127),
        Just(128),
        Just(253),
        Just(254),
        Just(255),
        0u32..=255,
    ];
    let frac = prop_oneof![
        Just(0u32),
        Just(1),
        Just(2),
        Just(0x40_0000),
        Just(0x7F_FFFE),
        Just(0x7F_FFFF),
        0u32..=0x7F_FFFF,
    ];
    (any::<bool>(), exp, frac).prop_map(|(s, e, f)| (s as u32) << 31 | e << 23 | f)
}

/// Nonzero subnormals of either sign.
pub fn subnormal() -> impl Strategy<Value = u32> {
    (any::<bool>(), 1u32..=0x7F_FFFF).prop_map(|(s, f)| (s as u32) << 31 | f)
}

/// Finite values of either sign with an exponent field in `exps`.
pub fn with_exp(exps: std::ops::RangeInclusive<u32>) -> impl Strategy<Value = u32> {
    (any::<bool>(), exps, 0u32..=0x7F_FFFF).prop_map(|(s, e, f)| (s as u32) << 31 | e << 23 | f)
}

/// `(a, b)` with `|b|` within a few units in the last place of `|a|` and either
/// sign: catastrophic cancellation for add / sub, quotients near one for div.
pub fn near_pair() -> impl Strategy<Value = (u32, u32)> {
    (any::<u32>(), -4i32..=4, any::<bool>()).prop_map(|(a, d, flip)| {
        let b = a.wrapping_add_signed(d);
        (a, if flip { b ^ 0x8000_0000 } else { b })
    })
}

/// Operand pairs for any binary op: arbitrary bits, field edges, specials
/// against anything, subnormals, near-equal magnitudes and huge values.
pub fn binary_pair() -> impl Strategy<Value = (u32, u32)> {
    prop_oneof![
        3 => (any::<u32>(), any::<u32>()),
        3 => (edgy(), edgy()),
        1 => (special(), any::<u32>()),
        1 => (any::<u32>(), special()),
        1 => (special(), special()),
        2 => (subnormal(), subnormal()),
        1 => (subnormal(), with_exp(1..=254)),
        1 => (with_exp(1..=254), subnormal()),
        2 => near_pair(),
        1 => (with_exp(250..=254), with_exp(250..=254)),
        1 => (with_exp(250..=254), with_exp(100..=130)),
    ]
}

/// Pairs whose exponents sum (or differ, for `div`) to land the result near the
/// bottom (subnormal / underflow) or top (overflow) of the range.
pub fn range_edge_pair(div: bool) -> impl Strategy<Value = (u32, u32)> {
    // Target biased exponent of the result, before normalisation.
    let target = prop_oneof![-30i32..=3, 250i32..=258];
    (
        any::<bool>(),
        any::<bool>(),
        0u32..=254,
        0u32..=0x7F_FFFF,
        0u32..=0x7F_FFFF,
        target,
    )
        .prop_map(move |(sa, sb, ea, fa, fb, t)| {
            // mul: ea + eb - 127 = t;  div: ea - eb + 127 = t.
            let eb = if div {
                ea as i32 + 127 - t
            } else {
                t + 127 - ea as i32
            };
            let eb = eb.clamp(0, 254) as u32;
            (
                (sa as u32) << 31 | ea << 23 | fa,
                (sb as u32) << 31 | eb << 23 | fb,
            )
        })
}

/// `(a, b)` whose exact sum or difference is, for small `m`, halfway between
/// two floats: `|b| = (2m + 1) * 2^(e_a - 151)` is an odd multiple of half of
/// `a`'s last place, so `2|a| +- (2m + 1)` is odd in units of half an ulp.
pub fn add_tie_pair() -> impl Strategy<Value = (u32, u32)> {
    (
        any::<bool>(),
        any::<bool>(),
        2u32..=254,
        0u32..=0x7F_FFFF,
        0u32..=23,
    )
        .prop_flat_map(|(sa, sb, ea, fa, bits)| (Just((sa, sb, ea, fa)), 0u64..(1u64 << bits)))
        .prop_map(|((sa, sb, ea, fa), m)| {
            let a = (sa as u32) << 31 | ea << 23 | fa;
            let b = exact_f32(2 * m + 1, ea as i32 - 151) | (sb as u32) << 31;
            (a, b)
        })
}

/// `(a, b)` with odd integer significands of `pa` and `26 - pa` bits, so the
/// exact product is odd with 25 or 26 bits: a halfway case whenever it has 25
/// significant bits (or sits just below the subnormal grid), at any scale.
pub fn mul_tie_pair() -> impl Strategy<Value = (u32, u32)> {
    (
        2u32..=24,
        any::<u64>(),
        any::<u64>(),
        any::<u32>(),
        any::<u32>(),
        any::<u8>(),
    )
        .prop_map(|(pa, ra, rb, ka, kb, signs)| {
            let pb = 26 - pa;
            let ma = (1 << (pa - 1)) | (ra & ((1 << (pa - 1)) - 1)) | 1;
            let mb = (1 << (pb - 1)) | (rb & ((1 << (pb - 1)) - 1)) | 1;
            // m * 2^k is an f32 iff -149 <= k and bits(m) + k - 1 <= 127.
            let ka = -149 + (ka % (278 - pa)) as i32;
            let kb = -149 + (kb % (278 - pb)) as i32;
            let a = exact_f32(ma, ka) | ((signs & 1) as u32) << 31;
            let b = exact_f32(mb, kb) | ((signs & 2) as u32) << 30;
            (a, b)
        })
}

/// `(a, b)` with `a / b = (2j + 1) * 2^-150` exactly, halfway between two
/// subnormals: `a = (2j + 1) c * 2^k`, `b = c * 2^(k + 150)` for odd `c`. (A
/// quotient cannot be an exact tie in the normal range: its odd part would need
/// 25 bits, and so would `a`'s.)
pub fn div_tie_pair() -> impl Strategy<Value = (u32, u32)> {
    (0u64..128, 0u64..(1 << 15), -149i32..=-31, any::<u8>()).prop_map(|(c, j, ka, signs)| {
        let c = 2 * c + 1;
        let a = exact_f32((2 * j + 1) * c, ka) | ((signs & 1) as u32) << 31;
        let b = exact_f32(c, ka + 150) | ((signs & 2) as u32) << 30;
        (a, b)
    })
}

/// Square-root inputs: arbitrary bits, field edges, subnormals, exact squares,
/// and values a few ulps from the square of a midpoint `(r + 1/2) * 2^k`, where
/// the root lands as near a tie as binary32 allows.
pub fn sqrt_input() -> impl Strategy<Value = u32> {
    let square = (1u64..4096, -74i32..=51).prop_map(|(r, k)| exact_f32(r * r, 2 * k));
    let near_mid = (1u64 << 23..1 << 24, -98i32..=39, -3i32..=3).prop_map(|(r, k, d)| {
        // ((2r + 1) / 2)^2 * 2^2k, rounded once to f32, then nudged.
        let v = ((2 * r + 1) * (2 * r + 1)) as f64 * pow2(2 * k - 2);
        (v as f32).to_bits().wrapping_add_signed(d)
    });
    prop_oneof![
        3 => any::<u32>(),
        3 => edgy(),
        1 => special(),
        2 => subnormal(),
        2 => square,
        3 => near_mid,
    ]
}

/// BF16 patterns drawn like [`edgy`] floats, plus arbitrary ones.
pub fn bf16() -> impl Strategy<Value = u16> {
    prop_oneof![
        any::<u16>(),
        edgy().prop_map(|x| (x >> 16) as u16),
        (any::<bool>(), 0u16..=0x7F).prop_map(|(s, f)| (s as u16) << 15 | f),
    ]
}
