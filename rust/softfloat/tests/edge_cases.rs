//! Hand-derived edge cases with their expected bits written out, independent of
//! the hardware oracle. Values in comments are exact.

use zkattest_softfloat::{
    f32_add, f32_div, f32_mul, f32_sqrt, f32_sub, CANONICAL_NAN, NEG_INF, NEG_ZERO, POS_INF,
    POS_ZERO,
};

const ONE: u32 = 0x3F80_0000;
const NEG_ONE: u32 = 0xBF80_0000;
const ONE_PLUS_ULP: u32 = 0x3F80_0001; // 1 + 2^-23
const ONE_MINUS_HALF_ULP: u32 = 0x3F7F_FFFF; // 1 - 2^-24
const TWO: u32 = 0x4000_0000;
const HALF: u32 = 0x3F00_0000;
const MIN_SUB: u32 = 0x0000_0001; // 2^-149
const MAX_SUB: u32 = 0x007F_FFFF; // (2^23 - 1) * 2^-149
const MIN_NORMAL: u32 = 0x0080_0000; // 2^-126
const MAX: u32 = 0x7F7F_FFFF; // (2^24 - 1) * 2^104

#[test]
fn add_ties_to_even_both_directions() {
    // 1 + 2^-24: halfway between 1 (even) and 1 + 2^-23 (odd): down.
    assert_eq!(f32_add(ONE, 0x3380_0000), ONE);
    // (1 + 2^-23) + 2^-24: halfway between odd and 1 + 2^-22 (even): up.
    assert_eq!(f32_add(ONE_PLUS_ULP, 0x3380_0000), 0x3F80_0002);
    // A hair above the tie rounds up: 1 + (2^-24 + 2^-47).
    assert_eq!(f32_add(ONE, 0x3380_0001), ONE_PLUS_ULP);
    // 1 - 2^-25 is halfway between 1 - 2^-24 (odd) and 1 (even): up to 1.
    assert_eq!(f32_sub(ONE, 0x3300_0000), ONE);
    // 1 - (2^-25 + 2^-48) is a hair below that tie: down to 1 - 2^-24.
    assert_eq!(f32_sub(ONE, 0x3300_0001), ONE_MINUS_HALF_ULP);
    // Around 2^24 the last place is 2: 2^24 + 1 is a tie (to 2^24, even),
    // 2^24 + 1 - 2^-24 is below it and 2^24 + 1 + 2^-23 above it.
    assert_eq!(f32_add(0x4B80_0000, ONE), 0x4B80_0000);
    assert_eq!(f32_add(0x4B80_0000, ONE_MINUS_HALF_ULP), 0x4B80_0000);
    assert_eq!(f32_add(0x4B80_0000, ONE_PLUS_ULP), 0x4B80_0001);
    // An operand too small to align exactly (only its sticky bit survives):
    // 1 - 2^-32 is nearest to 1, 2^24 - 2^-149 nearest to 2^24.
    assert_eq!(f32_sub(ONE, 0x2F80_0000), ONE);
    assert_eq!(f32_sub(0x4B80_0000, MIN_SUB), 0x4B80_0000);
}

#[test]
fn mul_ties_to_even_both_directions() {
    // (1 + 2^-12)^2 = 1 + 2^-11 + 2^-24: tie between frac 0x1000 (even) and 0x1001.
    assert_eq!(f32_mul(0x3F80_0800, 0x3F80_0800), 0x3F80_1000);
    // 1.5 * (1 + 2^-23) = 1.5 + 2^-23 + 2^-24: tie between frac 0x400001 (odd)
    // and 0x400002 (even): up.
    assert_eq!(f32_mul(0x3FC0_0000, ONE_PLUS_ULP), 0x3FC0_0002);
}

#[test]
fn smallest_subnormal() {
    assert_eq!(f32_add(MIN_SUB, MIN_SUB), 0x0000_0002);
    assert_eq!(f32_sub(MIN_SUB, MIN_SUB), POS_ZERO);
    // 2^-149 / 2 = 2^-150: halfway between 0 (even) and 2^-149: to zero.
    assert_eq!(f32_mul(MIN_SUB, HALF), POS_ZERO);
    assert_eq!(f32_div(MIN_SUB, TWO), POS_ZERO);
    assert_eq!(f32_div(0x8000_0001, TWO), NEG_ZERO);
    // 3 * 2^-150: halfway between 1 and 2 (even) times 2^-149: up.
    assert_eq!(f32_mul(0x0000_0003, HALF), 0x0000_0002);
    // Just above half of the smallest subnormal rounds up to it.
    assert_eq!(f32_mul(MIN_SUB, 0x3F00_0001), MIN_SUB);
    // Far below the grid: (2^-149)^2 underflows to a signed zero.
    assert_eq!(f32_mul(MIN_SUB, MIN_SUB), POS_ZERO);
    assert_eq!(f32_mul(0x8000_0001, MIN_SUB), NEG_ZERO);
}

#[test]
fn largest_subnormal_rounds_to_smallest_normal() {
    assert_eq!(f32_add(MAX_SUB, MIN_SUB), MIN_NORMAL);
    // 2^-126 * (1 - 2^-24) = 2^-126 - 2^-150: halfway between the largest
    // subnormal (odd) and the smallest normal (even): up.
    assert_eq!(f32_mul(MIN_NORMAL, ONE_MINUS_HALF_ULP), MIN_NORMAL);
    // 2^-126 * (1 - 2^-23) = 2^-126 - 2^-149 is exactly the largest subnormal.
    assert_eq!(f32_mul(MIN_NORMAL, 0x3F7F_FFFE), MAX_SUB);
    // And back: the smallest normal halved is an exact subnormal.
    assert_eq!(f32_div(MIN_NORMAL, TWO), 0x0040_0000);
}

#[test]
fn max_finite_plus_half_ulp_overflows() {
    // The last place of MAX is 2^104; half of it is 2^103 = 0x7300_0000.
    // MAX + 2^103 is a tie and MAX's fraction is odd: rounds to infinity.
    assert_eq!(f32_add(MAX, 0x7300_0000), POS_INF);
    assert_eq!(f32_sub(0xFF7F_FFFF, 0x7300_0000), NEG_INF);
    // Just below the tie stays finite.
    assert_eq!(f32_add(MAX, 0x72FF_FFFF), MAX);
    assert_eq!(f32_mul(MAX, TWO), POS_INF);
    assert_eq!(f32_mul(MAX, 0xC000_0000), NEG_INF);
    assert_eq!(f32_div(MAX, HALF), POS_INF);
    assert_eq!(f32_add(MAX, MAX), POS_INF);
}

#[test]
fn exact_cancellation_is_positive_zero() {
    assert_eq!(f32_add(ONE, NEG_ONE), POS_ZERO);
    assert_eq!(f32_add(NEG_ONE, ONE), POS_ZERO);
    assert_eq!(f32_sub(ONE, ONE), POS_ZERO);
    assert_eq!(f32_sub(NEG_ONE, NEG_ONE), POS_ZERO);
    assert_eq!(f32_sub(MAX, MAX), POS_ZERO);
    assert_eq!(f32_sub(0x8000_0005, 0x8000_0005), POS_ZERO);
    // Near cancellation is exact (Sterbenz): 1 - (1 - 2^-24) = 2^-24.
    assert_eq!(f32_sub(ONE, ONE_MINUS_HALF_ULP), 0x3380_0000);
}

#[test]
fn signed_zeros() {
    assert_eq!(f32_add(NEG_ZERO, NEG_ZERO), NEG_ZERO);
    assert_eq!(f32_add(NEG_ZERO, POS_ZERO), POS_ZERO);
    assert_eq!(f32_add(POS_ZERO, NEG_ZERO), POS_ZERO);
    assert_eq!(f32_sub(NEG_ZERO, POS_ZERO), NEG_ZERO);
    assert_eq!(f32_sub(POS_ZERO, POS_ZERO), POS_ZERO);
    assert_eq!(f32_sub(POS_ZERO, NEG_ZERO), POS_ZERO);
    // x + 0 = x for either zero, x - 0 = x.
    assert_eq!(f32_add(NEG_ONE, POS_ZERO), NEG_ONE);
    assert_eq!(f32_add(MIN_SUB, NEG_ZERO), MIN_SUB);
    assert_eq!(f32_sub(NEG_ZERO, MIN_SUB), 0x8000_0001);
    assert_eq!(f32_mul(NEG_ZERO, TWO), NEG_ZERO);
    assert_eq!(f32_mul(NEG_ZERO, NEG_ONE), POS_ZERO);
    assert_eq!(f32_div(NEG_ZERO, TWO), NEG_ZERO);
    assert_eq!(f32_div(POS_ZERO, NEG_ONE), NEG_ZERO);
    assert_eq!(f32_div(ONE, NEG_INF), NEG_ZERO);
}

#[test]
fn sqrt_special_cases() {
    assert_eq!(f32_sqrt(NEG_ZERO), NEG_ZERO);
    assert_eq!(f32_sqrt(POS_ZERO), POS_ZERO);
    assert_eq!(f32_sqrt(NEG_ONE), CANONICAL_NAN);
    assert_eq!(f32_sqrt(0x8000_0001), CANONICAL_NAN);
    assert_eq!(f32_sqrt(NEG_INF), CANONICAL_NAN);
    assert_eq!(f32_sqrt(POS_INF), POS_INF);
    assert_eq!(f32_sqrt(0xFFC0_0001), CANONICAL_NAN);
    assert_eq!(f32_sqrt(0x4080_0000), TWO); // sqrt(4)
    assert_eq!(f32_sqrt(0x4000_0000), 0x3FB5_04F3); // sqrt(2)
    assert_eq!(f32_sqrt(0x0000_0002), 0x1A80_0000); // sqrt(2^-148) = 2^-74
    assert_eq!(f32_sqrt(MAX), 0x5F7F_FFFF); // sqrt((2^24 - 1) 2^104) rounds to (2^24 - 1) 2^40
}

#[test]
fn division_by_zero_and_invalid_ops() {
    assert_eq!(f32_div(ONE, POS_ZERO), POS_INF);
    assert_eq!(f32_div(ONE, NEG_ZERO), NEG_INF);
    assert_eq!(f32_div(NEG_ONE, POS_ZERO), NEG_INF);
    assert_eq!(f32_div(0x8000_0001, NEG_ZERO), POS_INF);
    assert_eq!(f32_div(POS_ZERO, POS_ZERO), CANONICAL_NAN);
    assert_eq!(f32_div(NEG_ZERO, POS_ZERO), CANONICAL_NAN);
    assert_eq!(f32_div(POS_INF, NEG_INF), CANONICAL_NAN);
    assert_eq!(f32_div(NEG_INF, TWO), NEG_INF);
    assert_eq!(f32_add(POS_INF, NEG_INF), CANONICAL_NAN);
    assert_eq!(f32_sub(POS_INF, POS_INF), CANONICAL_NAN);
    assert_eq!(f32_add(POS_INF, POS_INF), POS_INF);
    assert_eq!(f32_add(NEG_INF, MAX), NEG_INF);
    assert_eq!(f32_mul(POS_INF, NEG_ZERO), CANONICAL_NAN);
    assert_eq!(f32_mul(NEG_INF, NEG_ONE), POS_INF);
    assert_eq!(f32_mul(MIN_SUB, NEG_INF), NEG_INF);
}

#[test]
fn nan_operands_give_the_canonical_nan() {
    for nan in [
        0x7FC0_0000,
        0xFFC0_0000,
        0x7F80_0001,
        0xFFFF_FFFF,
        0x7FBF_FFFF,
    ] {
        for x in [POS_ZERO, ONE, POS_INF, NEG_INF, nan] {
            assert_eq!(f32_add(nan, x), CANONICAL_NAN);
            assert_eq!(f32_sub(x, nan), CANONICAL_NAN);
            assert_eq!(f32_mul(nan, x), CANONICAL_NAN);
            assert_eq!(f32_div(x, nan), CANONICAL_NAN);
        }
        assert_eq!(f32_sqrt(nan), CANONICAL_NAN);
    }
}

#[test]
fn subnormal_times_normal() {
    // Exact: 3 * 2^-149 * 4 = 12 * 2^-149.
    assert_eq!(f32_mul(0x0000_0003, 0x4080_0000), 0x0000_000C);
    // A subnormal scaled into the normal range is exact: MAX_SUB * 2^23 =
    // (2^23 - 1) * 2^-126 = (2 - 2^-22) * 2^-104: biased exponent 23, frac 0x7FFFFE.
    assert_eq!(f32_mul(MAX_SUB, 0x4B00_0000), 0x0BFF_FFFE);
    // Subnormal / normal stays on the subnormal grid: 5 * 2^-149 / 4 = 1.25 -> 1.
    assert_eq!(f32_div(0x0000_0005, 0x4080_0000), MIN_SUB);
    // 7 * 2^-149 / 4 = 1.75 -> 2.
    assert_eq!(f32_div(0x0000_0007, 0x4080_0000), 0x0000_0002);
    // Normal / huge lands on the subnormal grid: 1 / 2^127 = 2^-127.
    assert_eq!(f32_div(ONE, 0x7F00_0000), 0x0040_0000);
}
