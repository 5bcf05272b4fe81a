//! Deterministic sweeps against the host's IEEE arithmetic: every fraction of
//! one binade, which together with exponent scaling covers each operation's
//! rounding behaviour far more densely than random sampling.

mod common;

use common::agrees;
use zkattest_softfloat::{f32_add, f32_div, f32_mul, f32_sqrt};

/// All 2^23 fractions with the given exponent field and sign.
fn binade(sign: bool, biased_exp: u32) -> impl Iterator<Item = u32> {
    let base = (sign as u32) << 31 | biased_exp << 23;
    (0..1u32 << 23).map(move |frac| base | frac)
}

fn check_unary(x: u32) {
    let got = f32_sqrt(x);
    let want = f32::from_bits(x).sqrt();
    assert!(
        agrees(got, want),
        "sqrt({x:#010x}) = {got:#010x}, hardware {want:e}"
    );
}

fn check_binary(name: &str, op: fn(u32, u32) -> u32, hw: fn(f32, f32) -> f32, a: u32, b: u32) {
    let got = op(a, b);
    let want = hw(f32::from_bits(a), f32::from_bits(b));
    assert!(
        agrees(got, want),
        "{name}({a:#010x}, {b:#010x}) = {got:#010x}, hardware {:#010x}",
        want.to_bits()
    );
}

/// The root of `sig * 2^exp` depends only on `sig` and the parity of `exp`, so
/// two adjacent binades cover every normal input up to scaling; the
/// subnormal binade covers the inputs that need normalising first.
#[test]
fn sqrt_every_fraction_of_both_exponent_parities_and_subnormals() {
    for x in binade(false, 127)
        .chain(binade(false, 128))
        .chain(binade(false, 0))
    {
        check_unary(x);
    }
}

/// All 2^32 inputs; `-- --ignored` runs it.
#[test]
#[ignore]
fn sqrt_exhaustive() {
    for x in 0..=u32::MAX {
        check_unary(x);
    }
}

/// Divisors whose quotients of one binade include hard-to-round cases: odd
/// significands (non-terminating binary quotients), near-one values, extremes.
const DIVISORS: [u32; 6] = [
    0x4040_0000,
    0x3F80_0001,
    0x3FFF_FFFF,
    0x3FAA_AAAB,
    0x0000_0003,
    0x7F7F_FFFF,
];

#[test]
fn div_every_numerator_fraction_of_one_binade() {
    for a in binade(false, 127) {
        for b in DIVISORS {
            check_binary("div", f32_div, |x, y| x / y, a, b);
        }
    }
}

/// Products of a binade with values that move the result to the subnormal
/// range, the overflow threshold and the normal range.
#[test]
fn mul_every_fraction_of_one_binade() {
    const FACTORS: [u32; 5] = [
        0x0000_0003,
        0x0080_0001,
        0x3FAA_AAAB,
        0x7F00_0001,
        0xBF7F_FFFF,
    ];
    for a in binade(false, 127) {
        for b in FACTORS {
            check_binary("mul", f32_mul, |x, y| x * y, a, b);
        }
    }
}

/// One binade plus small values at every alignment distance from 0 to 30,
/// both signs (so both the carry and the cancellation paths).
#[test]
fn add_every_fraction_of_one_binade_at_every_alignment() {
    for a in binade(false, 127).step_by(7) {
        for shift in 0..31 {
            let b = (127 - shift) << 23 | (a.wrapping_mul(0x9E37_79B9) >> 9);
            check_binary("add", f32_add, |x, y| x + y, a, b);
            check_binary("add", f32_add, |x, y| x + y, a, b | 1 << 31);
        }
    }
}
