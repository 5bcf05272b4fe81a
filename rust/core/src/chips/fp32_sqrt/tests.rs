//! Constraint-level tests of the `Fp32Sqrt` chip.

use core::borrow::Borrow;

use p3_air::BaseAir;
use p3_field::PrimeCharacteristicRing;
use p3_lookup::Lookups;
use p3_matrix::dense::RowMajorMatrix;
use proptest::prelude::*;
use zkattest_softfloat::{f32_sqrt, CANONICAL_NAN, NEG_INF, POS_INF, SIGN_MASK};

use super::air::{SQRT_CONSTRAINTS, SQRT_LOOKUPS};
use super::trace::{
    fill_fp32_sqrt_row, sqrt_sr, sqrt_witness, sqrt_witness_sr, write_sqrt_row, SqrtWitness,
};
use super::*;
use crate::chips::fptables::FpTableCounter;
use crate::chips::opio::{OpIo, PublicOps};
use crate::chips::testing::{check_chip, forged_fp32_results, Sm64};
use crate::error::Error;
use crate::prover::{Challenge, Val};

const W: usize = NUM_FP32_SQRT_COLS;

fn air(xs: &[u32], results: &[u32]) -> Fp32SqrtAir {
    let rows: Vec<[u32; 6]> = xs
        .iter()
        .zip(results)
        .map(|(&x, &c)| [x >> 16, x & 0xFFFF, 0, 0, c >> 16, c & 0xFFFF])
        .collect();
    Fp32SqrtAir {
        io: OpIo::Public(PublicOps::new("test", &rows).into()),
    }
}

fn sample(seed: u64, n: usize) -> Vec<u32> {
    let mut rng = Sm64(seed);
    (0..n)
        .map(|_| rng.fp32() & !SIGN_MASK)
        .filter(|&x| fp32_sqrt_provable(x))
        .collect()
}

fn edges() -> Vec<u32> {
    let mut v = vec![
        0,
        0x8000_0000, // sqrt(-0) = -0
        0x3F80_0000, // 1
        0x4080_0000, // 4: exact 2
        0x4000_0000, // 2
        0x4110_0000, // 9: exact 3
        0x0000_0001, // smallest subnormal: 2^-74.5
        0x0000_0004, // 2^-147: exact 2^-73.5? no: 2^-147 = odd power, inexact
        0x0000_0002, // 2^-148: exact 2^-74
        0x007F_FFFF, // largest subnormal
        0x0080_0000, // smallest normal: exact 2^-63
        0x7F7F_FFFF, // largest finite
        0x7F00_0000, // 2^127
        0x3F7F_FFFF, // just below 1: rounds up to 1
        0x3F80_0001, // just above 1
        0x407F_FFFF, // just below 4: rounds up into the next binade (2.0)
        0x4B80_0000, // 2^24
    ];
    for e in 0..60u32 {
        v.push(0x0055_5555 + (e << 23));
        v.push((0x007F_FFFF >> (e % 23)) | ((e * 4) << 23));
    }
    v.retain(|&x| fp32_sqrt_provable(x));
    v
}

fn check_xs(xs: &[u32]) {
    let log = xs.len().next_power_of_two().trailing_zeros() as usize;
    let mut counter = FpTableCounter::default();
    let trace = generate_fp32_sqrt_trace(xs, log, &mut counter).unwrap();
    assert_eq!(counter.misses(), 0);
    let results: Vec<u32> = xs.iter().map(|&x| f32_sqrt(x)).collect();
    let n = xs.len();
    let fails = check_chip(
        &air(xs, &results),
        &RowMajorMatrix::new(trace.values[..n * W].to_vec(), W),
    );
    assert!(fails.is_empty(), "{fails:?}");
}

#[test]
fn random_and_edge_roots_match_softfloat() {
    for seed in 0..4 {
        check_xs(&sample(seed, 512));
    }
    check_xs(&edges());
    assert_eq!(f32_sqrt(0x8000_0000), 0x8000_0000);
}

#[test]
fn every_subnormal_and_a_binade_sweep() {
    // every 97th subnormal and every 89th word of [1, 4): both exponent parities
    let xs: Vec<u32> = (1..0x80_0000u32)
        .step_by(97)
        .chain((0x3F80_0000..0x4080_0000).step_by(89 * 7))
        .collect();
    check_xs(&xs);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn proptest_roots(x in any::<u32>()) {
        let x = x & !SIGN_MASK;
        prop_assume!(fp32_sqrt_provable(x));
        let mut row = vec![Val::ZERO; W];
        fill_fp32_sqrt_row(&mut row, x, None, &mut FpTableCounter::default()).unwrap();
        let fails = check_chip(&air(&[x], &[f32_sqrt(x)]), &RowMajorMatrix::new(row, W));
        prop_assert!(fails.is_empty(), "{:?}", fails);
    }
}

#[test]
fn negative_and_non_finite_radicands_are_invalid_input() {
    for x in [
        0xBF80_0000,
        0x8000_0001,
        POS_INF,
        NEG_INF,
        CANONICAL_NAN,
        0xFF7F_FFFF,
    ] {
        let mut row = vec![Val::ZERO; W];
        let r = fill_fp32_sqrt_row(&mut row, x, None, &mut FpTableCounter::default());
        assert!(matches!(r, Err(Error::InvalidInput(_))), "{x:#x}");
        assert!(generate_fp32_sqrt_trace(&[x], 3, &mut FpTableCounter::default()).is_err());
    }
}

fn row_of(x: u32, w: &SqrtWitness) -> Vec<Val> {
    let mut row = vec![Val::ZERO; W];
    write_sqrt_row(&mut row, x, w, &mut FpTableCounter::default());
    row
}

fn rejects(x: u32, claim: u32, z: u32) -> bool {
    let (s, r) = sqrt_sr(x & !SIGN_MASK);
    let row = row_of(x, &sqrt_witness_sr(x, s, r, z));
    !check_chip(&air(&[x], &[claim]), &RowMajorMatrix::new(row, W)).is_empty()
}

#[test]
fn wrong_results_are_rejected() {
    let mut xs = sample(77, 300);
    xs.extend(edges());
    for &x in &xs {
        let c = f32_sqrt(x);
        for bad in forged_fp32_results(c) {
            assert!(
                rejects(x, bad, bad),
                "sqrt({x:#x}): forged {bad:#x} accepted"
            );
        }
    }
    // negative radicands: neither NaN nor -sqrt(|x|) nor +sqrt(|x|) is accepted, with
    // the witness of |x|
    for x in [0xC080_0000u32, 0x8000_0001, 0xBF80_0000] {
        let m = f32_sqrt(x & !SIGN_MASK);
        for claim in [CANONICAL_NAN, m, m | SIGN_MASK, 0, 0x8000_0000] {
            assert!(
                rejects(x, claim, claim),
                "sqrt({x:#x}) = {claim:#x} accepted"
            );
        }
    }
}

#[test]
fn every_cell_is_constrained() {
    let xs: Vec<u32> = sample(13, 40).into_iter().chain(edges()).collect();
    for &x in &xs {
        let a = air(&[x], &[f32_sqrt(x)]);
        let row = row_of(x, &sqrt_witness(x, None));
        assert!(
            check_chip(&a, &RowMajorMatrix::new(row.clone(), W)).is_empty(),
            "{x:#x}"
        );
        let cols: &Fp32SqrtCols<Val> = row[..].borrow();
        let inv_free = cols.st == Val::ZERO;
        for i in 0..W {
            let mut probe = [Val::ZERO; W];
            probe[i] = Val::ONE;
            let p: &Fp32SqrtCols<Val> = probe[..].borrow();
            if p.inv == Val::ONE && inv_free {
                continue;
            }
            let mut bad = row.clone();
            bad[i] += Val::ONE;
            assert!(
                !check_chip(&a, &RowMajorMatrix::new(bad, W)).is_empty(),
                "{x:#x}: column {i} changed and still accepted"
            );
        }
    }
}

fn group(msg: &str) -> &'static str {
    let num = |key: &str| -> Option<usize> {
        let rest = msg.split(key).nth(1)?;
        rest.trim_start()
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    };
    if let Some(i) = num("constraint ") {
        return SQRT_CONSTRAINTS.get(i).copied().unwrap_or("op binding");
    }
    match num("lookup ") {
        Some(i) => SQRT_LOOKUPS[i],
        None => "?",
    }
}

/// Builds a forgery from `(S, R)` and a tweak of the witness, claiming whichever result
/// near the honest one the forged root rounds to; asserts exactly `expect` objects.
fn assert_only(
    x: u32,
    sr: impl Fn(u64, u64) -> (u64, u64),
    tweak: impl Fn(&mut SqrtWitness),
    expect: &str,
) {
    let (s, r) = sqrt_sr(x & !SIGN_MASK);
    let (s, r) = sr(s, r);
    let c = f32_sqrt(x & !SIGN_MASK);
    let mut best: Option<Vec<&str>> = None;
    for dz in [0i64, 1, -1, 2, -2, 1 << 23, -(1 << 23)] {
        let mut w = sqrt_witness_sr(x, s, r, (c as i64 + dz) as u32);
        tweak(&mut w);
        let claim = w.z;
        let mut g: Vec<&str> =
            check_chip(&air(&[x], &[claim]), &RowMajorMatrix::new(row_of(x, &w), W))
                .iter()
                .map(|m| group(m))
                .collect();
        g.dedup();
        if best.as_ref().is_none_or(|b| g.len() < b.len()) {
            best = Some(g);
        }
    }
    let g = best.unwrap();
    assert_eq!(
        g,
        vec![expect],
        "{x:#x}: forgery for {expect} violates {g:?}"
    );
}

#[test]
fn group_tables_match_the_air() {
    let a = air(&[0], &[0]);
    let lookups = Lookups::<Val>::from_air::<Challenge, Fp32SqrtAir>(&a);
    assert_eq!(lookups.len(), SQRT_LOOKUPS.len());
    assert_eq!(BaseAir::<Val>::width(&a), W);
}

#[test]
fn each_constraint_group_is_load_bearing() {
    let two = 0x4000_0000; // sqrt(2): S < 2^26, R != 0
    let four = 0x4080_0000; // exact
    let id = |s, r| (s, r);
    // R > 2 S: the root one less, the remainder 2 S - 1 more
    assert_only(
        two,
        |s, r| (s - 1, r + 2 * s - 1),
        |_| {},
        "remainder bound",
    );
    // the root of a neighbouring radicand: only the top digits involve Nx
    assert_only(two, |_, _| sqrt_sr(two + 1), |_| {}, "root top");
    // a carry out of digit 0 that does not divide evenly
    assert_only(
        two,
        id,
        |w| {
            // c0 one more, r1 one less (digit 1 still balances; R and 2 S - R follow)
            assert!(w.r[1] > 0);
            w.c[0] += 1;
            w.r[1] -= 1;
            w.rem -= 1 << 12;
            let d = (w.d[1] << 16) + w.d[0] + (1 << 12);
            w.d = [d & 0xFFFF, d >> 16];
        },
        "root digit 0",
    );
    // sticky bit dropped / invented
    assert_only(
        two,
        id,
        |w| {
            w.st = 0;
            w.rem = 0; // the inverse witness of a "zero" remainder
        },
        "sticky zero",
    );
    assert_only(four, id, |w| w.st = 1, "sticky inverse");
    // sqrt(-4) = -2: the honest witness of |x| with x's sign
    assert_only(0xC080_0000, id, |w| w.z |= SIGN_MASK, "negative radicand");
    // the exponent halved wrongly: h one more, the result one binade up
    assert_only(
        two,
        id,
        |w| {
            w.h += 1;
            w.z += 1 << 23;
        },
        "exponent halving",
    );
    // rounding: one ulp up
    let up = f32_sqrt(two) + 1; // one ulp up, witness otherwise honest
    let row = row_of(two, &sqrt_witness(two, Some(up)));
    let mut g: Vec<&str> = check_chip(&air(&[two], &[up]), &RowMajorMatrix::new(row, W))
        .iter()
        .map(|m| group(m))
        .collect();
    g.dedup();
    assert_eq!(g, vec!["MROUND"]);
}
