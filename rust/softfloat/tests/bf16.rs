//! BF16: exhaustive conversion checks against independent definitions, and
//! the product / multiply-accumulate / dot product against hardware FP32.

mod common;

use common::*;
use proptest::prelude::*;
use zkattest_softfloat::{
    bf16_dot, bf16_mac, bf16_mul_f32, bf16_to_f32, f32_to_bf16, BF16_CANONICAL_NAN,
};

/// The value of a BF16 pattern from its fields, computed in f64 (exact): an
/// independent reading of the format, not a bit shift.
fn bf16_value(x: u16) -> f64 {
    let sign = if x >> 15 == 1 { -1.0 } else { 1.0 };
    let exp = ((x >> 7) & 0xFF) as i32;
    let frac = (x & 0x7F) as f64;
    match exp {
        0 => sign * frac * pow2(-133), // 0.frac * 2^-126
        0xFF if frac == 0.0 => sign * f64::INFINITY,
        0xFF => f64::NAN,
        _ => sign * (128.0 + frac) * pow2(exp - 134), // 1.frac * 2^(exp - 127)
    }
}

#[test]
fn bf16_to_f32_exhaustive() {
    for x in 0..=u16::MAX {
        let wide = f32::from_bits(bf16_to_f32(x));
        let want = bf16_value(x);
        if want.is_nan() {
            assert!(wide.is_nan(), "{x:#06x}");
            // Widening keeps the NaN's payload and sign: no canonicalisation.
            assert_eq!(bf16_to_f32(x) >> 16, x as u32);
        } else {
            assert_eq!(wide as f64, want, "{x:#06x}");
            // Zero signs survive too (f64 == ignores them).
            assert_eq!(wide.is_sign_negative(), x >> 15 == 1, "{x:#06x}");
        }
    }
}

#[test]
fn bf16_round_trip_exhaustive() {
    for x in 0..=u16::MAX {
        let back = f32_to_bf16(bf16_to_f32(x));
        if bf16_value(x).is_nan() {
            assert_eq!(back, BF16_CANONICAL_NAN, "{x:#06x}");
        } else {
            assert_eq!(back, x, "{x:#06x}");
        }
    }
}

/// Round-to-nearest-even to BF16 by its textbook definition, independent of
/// the bit trick in `f32_to_bf16`: of the two BF16 values around `x` (the one
/// truncated towards zero and the next one away from zero), take the nearer,
/// and on a tie the one whose last fraction bit is zero. Past the largest
/// finite BF16 the "next value" is `2^128`, the infinity of an unbounded
/// exponent, which is how IEEE decides overflow. Distances are exact in f64.
fn bf16_rne_reference(x: u32) -> u16 {
    let v = f32::from_bits(x);
    if v.is_nan() {
        return BF16_CANONICAL_NAN;
    }
    let toward_zero = x & 0xFFFF_0000;
    if toward_zero == x {
        return (x >> 16) as u16;
    }
    let away = toward_zero + 0x1_0000;
    let lo = f32::from_bits(toward_zero) as f64;
    let hi = if away & 0x7FFF_FFFF == 0x7F80_0000 {
        pow2(128).copysign(lo)
    } else {
        f32::from_bits(away) as f64
    };
    let v = v as f64;
    let (d_lo, d_hi) = ((v - lo).abs(), (hi - v).abs());
    let pick_away = d_hi < d_lo || (d_hi == d_lo && (toward_zero >> 16) & 1 == 1);
    if pick_away {
        (away >> 16) as u16
    } else {
        (toward_zero >> 16) as u16
    }
}

fn check_f32_to_bf16(x: u32) {
    let got = f32_to_bf16(x);
    let want = bf16_rne_reference(x);
    assert_eq!(got, want, "f32_to_bf16({x:#010x})");
}

/// Every exponent and sign (all 65,536 upper halves) against the lower halves
/// where rounding decides: 0, 1, just below / at / above the tie, all ones,
/// and a few arbitrary ones.
#[test]
fn f32_to_bf16_all_upper_halves_at_rounding_boundaries() {
    const LOWS: [u32; 10] = [
        0, 1, 0x7FFF, 0x8000, 0x8001, 0xFFFF, 0x1234, 0x4000, 0xC000, 0xBEEF,
    ];
    for upper in 0..=0xFFFFu32 {
        for low in LOWS {
            check_f32_to_bf16(upper << 16 | low);
        }
    }
}

/// A dense sweep: every 257th pattern. 257 is odd and coprime to 2^16, so the
/// sweep visits every lower half and every upper half, not one fixed offset.
#[test]
fn f32_to_bf16_strided_sweep() {
    let mut x = 0u32;
    loop {
        check_f32_to_bf16(x);
        x = match x.checked_add(257) {
            Some(next) => next,
            None => break,
        };
    }
}

/// All 2^32 patterns: about 20 s in release on one core, too slow for every
/// run; `cargo test --release -p zkattest-softfloat -- --ignored` runs it.
#[test]
#[ignore]
fn f32_to_bf16_exhaustive() {
    for x in 0..=u32::MAX {
        check_f32_to_bf16(x);
    }
}

/// Every BF16 `a` against a spread of `b`s (every 251st pattern plus the
/// specials), compared with hardware FP32 multiplication of the widened
/// values. Where the product is in FP32's normal range it must also be exact,
/// which is why BF16 multiply-then-add equals a fused multiply-add there.
#[test]
fn bf16_mul_f32_sweep_matches_hardware_and_is_exact() {
    let bs: Vec<u16> = (0..=u16::MAX)
        .step_by(251)
        .chain([
            0x0000, 0x8000, 0x0001, 0x007F, 0x0080, 0x3F80, 0x7F7F, 0xFF80, 0x7FC0,
        ])
        .collect();
    for a in 0..=u16::MAX {
        for &b in &bs {
            let got = bf16_mul_f32(a, b);
            let (wa, wb) = (
                f32::from_bits(bf16_to_f32(a)),
                f32::from_bits(bf16_to_f32(b)),
            );
            let hw = wa * wb;
            assert!(
                agrees(got, hw),
                "{a:#06x} * {b:#06x} = {got:#010x}, hardware {hw:e}"
            );
            let exact = wa as f64 * wb as f64; // 16-bit product: exact in f64
            if hw.is_normal() {
                assert_eq!(hw as f64, exact, "{a:#06x} * {b:#06x} not exact");
            }
        }
    }
}

fn check_dot(a: &[u16], b: &[u16]) -> Result<(), TestCaseError> {
    let mut acc = 0.0f32;
    for (&x, &y) in a.iter().zip(b) {
        // Separate multiply and add: Rust never contracts these into an FMA.
        acc += f32::from_bits(bf16_to_f32(x)) * f32::from_bits(bf16_to_f32(y));
    }
    let got = bf16_dot(a, b);
    prop_assert!(
        agrees(got, acc),
        "dot = {got:#010x}, hardware {:#010x}",
        acc.to_bits()
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100_000))]

    #[test]
    fn bf16_mul_f32_matches_hardware(a in bf16(), b in bf16()) {
        let got = bf16_mul_f32(a, b);
        let want = f32::from_bits(bf16_to_f32(a)) * f32::from_bits(bf16_to_f32(b));
        prop_assert!(agrees(got, want), "{a:#06x} * {b:#06x} = {got:#010x}, hardware {want:e}");
    }

    #[test]
    fn bf16_mac_matches_hardware(
        acc in prop_oneof![any::<u32>(), edgy(), special()],
        a in bf16(),
        b in bf16(),
    ) {
        let got = bf16_mac(acc, a, b);
        let (wa, wb) = (f32::from_bits(bf16_to_f32(a)), f32::from_bits(bf16_to_f32(b)));
        let want = f32::from_bits(acc) + wa * wb;
        prop_assert!(agrees(got, want), "{acc:#010x} + {a:#06x} * {b:#06x} = {got:#010x}");
        // With the product exact (normal range), mul-then-add is one rounding.
        if (wa * wb).is_normal() {
            let fused = wa.mul_add(wb, f32::from_bits(acc));
            prop_assert!(agrees(got, fused), "mac != fma for {acc:#010x} {a:#06x} {b:#06x}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn bf16_dot_matches_sequential_hardware(
        ab in (0usize..=64).prop_flat_map(|k| {
            // Finite inputs of moderate size, so sums rather than NaNs dominate.
            let v = prop_oneof![
                4 => (any::<bool>(), 100u16..=150, 0u16..=0x7F)
                    .prop_map(|(s, e, f)| (s as u16) << 15 | e << 7 | f),
                1 => bf16(),
            ];
            (prop::collection::vec(v.clone(), k), prop::collection::vec(v, k))
        })
    ) {
        check_dot(&ab.0, &ab.1)?;
    }
}

#[test]
fn bf16_dot_order_and_edges() {
    assert_eq!(bf16_dot(&[], &[]), 0x0000_0000); // empty: +0
                                                 // -0 * 1 accumulated onto +0 is +0: the start value is +0, not -0.
    assert_eq!(bf16_dot(&[0x8000], &[0x3F80]), 0x0000_0000);
    // Order matters: 2^30 + 1 - 2^30 = 0 in sequence, but 1 if reordered.
    let big = 0x4E80; // 2^30
    let a = [big, 0x3F80, big];
    let b = [0x3F80, 0x3F80, 0xBF80];
    assert_eq!(bf16_dot(&a, &b), 0x0000_0000);
    assert_eq!(
        bf16_dot(&[big, big, 0x3F80], &[0x3F80, 0xBF80, 0x3F80]),
        0x3F80_0000
    );
}

#[test]
#[should_panic(expected = "length mismatch")]
fn bf16_dot_rejects_length_mismatch() {
    bf16_dot(&[0x3F80], &[]);
}
