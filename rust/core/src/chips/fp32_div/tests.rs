//! Constraint-level tests of the `Fp32Div` chip.

use core::borrow::Borrow;

use p3_air::BaseAir;
use p3_field::PrimeCharacteristicRing;
use p3_lookup::Lookups;
use p3_matrix::dense::RowMajorMatrix;
use proptest::prelude::*;
use zkattest_softfloat::{f32_div, is_inf, CANONICAL_NAN, POS_INF, SIGN_MASK};

use super::air::{DIV_CONSTRAINTS, DIV_LOOKUPS};
use super::trace::{
    div_qr, div_witness, div_witness_qr, fill_fp32_div_row, write_div_row, DivWitness,
};
use super::*;
use crate::chips::fptables::FpTableCounter;
use crate::chips::opio::{OpIo, PublicOps};
use crate::chips::testing::{check_chip, claimed_words, forged_fp32_results, Sm64};
use crate::error::Error;
use crate::prover::{Challenge, Val};

const W: usize = NUM_FP32_DIV_COLS;

fn air(ops: &[DivOp], results: &[u32]) -> Fp32DivAir {
    let rows: Vec<[u32; 6]> = ops
        .iter()
        .zip(results)
        .map(|(op, &c)| {
            [
                op.x >> 16,
                op.x & 0xFFFF,
                op.y >> 16,
                op.y & 0xFFFF,
                c >> 16,
                c & 0xFFFF,
            ]
        })
        .collect();
    Fp32DivAir {
        io: OpIo::Public(PublicOps::new("test", &rows).into()),
    }
}

fn op(x: u32, y: u32) -> DivOp {
    DivOp { x, y }
}

fn sample_ops(seed: u64, n: usize) -> Vec<DivOp> {
    let mut rng = Sm64(seed);
    (0..n)
        .map(|_| {
            let mut x = rng.fp32();
            let mut y = rng.fp32();
            match rng.below(4) {
                // quotients near the bottom of the range (subnormal results, underflow)
                0 => {
                    x = (x & 0x807F_FFFF) | ((rng.below(40) as u32) << 23);
                    y = (y & 0x807F_FFFF) | ((100 + rng.below(60) as u32) << 23);
                }
                // near the top (largest finite results)
                1 => {
                    x = (x & 0x807F_FFFF) | ((200 + rng.below(55) as u32) << 23);
                    y = (y & 0x807F_FFFF) | ((60 + rng.below(70) as u32) << 23);
                }
                _ => {}
            }
            op(x, y)
        })
        .filter(fp32_div_provable)
        .collect()
}

fn edge_ops() -> Vec<DivOp> {
    let mut v = vec![
        op(0, 0x3F80_0000),           // +0 / 1
        op(0x8000_0000, 0x3F80_0000), // -0 / 1 = -0
        op(0, 0xC040_0000),           // +0 / -3 = -0
        op(0, 0x0000_0001),           // 0 / smallest subnormal
        op(0x40C0_0000, 0x4040_0000), // 6 / 3 = 2 exactly
        op(0x3F80_0000, 0x4040_0000), // 1 / 3
        op(0xBF80_0000, 0x4040_0000), // -1 / 3
        op(0x3F80_0000, 0x3F80_0000), // 1 / 1
        op(0x0000_0001, 0x4000_0000), // 2^-150: tie to even, +0
        op(0x0000_0003, 0x4000_0000), // 1.5 * 2^-149: tie up to 2
        op(0x0000_0005, 0x4000_0000), // 2.5 * 2^-149: tie down to 2
        op(0x0000_0001, 0x3F00_0000), // subnormal / 0.5: exact
        op(0x0000_0001, 0x3F80_0000), // smallest subnormal / 1
        op(0x007F_FFFF, 0x3F80_0000), // largest subnormal / 1
        op(0x3F7F_FFFF, 0x7E80_0000), // (1 - 2^-24) 2^-126: rounds up to 2^-126
        op(0x3FFF_FFFF, 0x3F7F_FFFF), // rounds up into the next binade (2.0)
        op(0x7F7F_FFFF, 0x3F80_0000), // max finite / 1
        op(0x7F7F_FFFF, 0x4000_0000), // max finite / 2
        op(0x7F7F_FFFF, 0x7F7F_FFFF), // max / max = 1
        op(0x0000_0001, 0x7F7F_FFFF), // far underflow to zero
        op(0x8000_0001, 0x7F7F_FFFF), // far underflow to -0
        op(0x7F7F_FFFF, 0x3F80_0001), // just below max finite
        op(0x0080_0000, 0x4B00_0000), // 2^-126 / 2^23 = 2^-149 exactly
        op(0x4B00_0000, 0x0080_0000), // 2^23 / 2^-126 = 2^149: overflow? (filtered)
        op(0x3F80_0000, 0x0000_0001), // 1 / 2^-149: overflow (filtered)
        op(0x3E80_0000, 0x0040_0000), // 2^-2 / 2^-127 = 2^125
        op(0x0040_0000, 0x0000_0003), // subnormal / subnormal
        op(0x3FAA_AAAB, 0x3FAA_AAAA), // quotient just above 1
        op(0x3FAA_AAAA, 0x3FAA_AAAB), // just below 1
    ];
    for e in 0..40u32 {
        v.push(op(0x0055_5555, 0x3FAA_AAAA + (e << 23)));
        v.push(op(0x2F80_0001 + (e << 23), 0x4F7F_FFFF));
    }
    v.retain(fp32_div_provable);
    v
}

fn check_ops(ops: &[DivOp]) {
    let log = ops.len().next_power_of_two().trailing_zeros() as usize;
    let mut counter = FpTableCounter::default();
    let trace = generate_fp32_div_trace(ops, log, &mut counter).unwrap();
    assert_eq!(counter.misses(), 0);
    let results: Vec<u32> = ops.iter().map(|o| f32_div(o.x, o.y)).collect();
    let n = ops.len();
    let fails = check_chip(
        &air(ops, &results),
        &RowMajorMatrix::new(trace.values[..n * W].to_vec(), W),
    );
    assert!(fails.is_empty(), "{fails:?}");
}

#[test]
fn random_and_edge_quotients_match_softfloat() {
    for seed in 0..4 {
        check_ops(&sample_ops(seed, 512));
    }
    let edges = edge_ops();
    assert!(edges.len() > 100);
    check_ops(&edges);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn proptest_quotients(x in any::<u32>(), y in any::<u32>()) {
        let o = op(x, y);
        prop_assume!(fp32_div_provable(&o));
        let mut row = vec![Val::ZERO; W];
        fill_fp32_div_row(&mut row, &o, None, &mut FpTableCounter::default()).unwrap();
        let fails = check_chip(&air(&[o], &[f32_div(x, y)]), &RowMajorMatrix::new(row, W));
        prop_assert!(fails.is_empty(), "{:?}", fails);
    }
}

#[test]
fn non_finite_ops_are_invalid_input() {
    let one = 0x3F80_0000;
    for o in [
        op(one, 0),                   // x / +0 = inf
        op(one, 0x8000_0000),         // x / -0 = -inf
        op(0, 0),                     // 0 / 0 = NaN
        op(POS_INF, one),             // infinite dividend
        op(one, POS_INF),             // infinite divisor
        op(CANONICAL_NAN, one),       // NaN
        op(0x7F7F_FFFF, 0x3F00_0000), // overflow
        op(0x7F7F_FFFF, 0x3F7F_FFFF), // rounds up to infinity
        op(one, 0x0000_0001),         // overflow by a subnormal divisor
    ] {
        let mut row = vec![Val::ZERO; W];
        let r = fill_fp32_div_row(&mut row, &o, None, &mut FpTableCounter::default());
        assert!(matches!(r, Err(Error::InvalidInput(_))), "{o:x?}");
        let mut counter = FpTableCounter::default();
        assert!(generate_fp32_div_trace(&[o], 3, &mut counter).is_err());
    }
}

/// A row for `op` from a witness (no validity check: forgeries are built this way).
fn row_of(o: &DivOp, w: &DivWitness) -> Vec<Val> {
    let mut row = vec![Val::ZERO; W];
    write_div_row(&mut row, o, w, &mut FpTableCounter::default());
    row
}

fn rejects(o: &DivOp, claim: u32, z: u32) -> bool {
    let (q, r) = div_qr(o);
    let row = row_of(o, &div_witness_qr(o, q, r, z));
    !check_chip(&air(&[*o], &[claim]), &RowMajorMatrix::new(row, W)).is_empty()
}

#[test]
fn wrong_results_are_rejected() {
    let mut ops = sample_ops(77, 300);
    ops.extend(edge_ops());
    for o in &ops {
        let c = f32_div(o.x, o.y);
        for bad in forged_fp32_results(c) {
            for z in claimed_words(bad) {
                assert!(
                    rejects(o, bad, z),
                    "{o:x?}: forged {bad:#x} (z {z:#x}) accepted"
                );
            }
        }
    }
    // Ops whose true result is not finite: no claim at all is accepted.
    let one = 0x3F80_0000;
    for o in [
        op(0x7F7F_FFFF, 0x3F00_0000),
        op(0x7F7F_FFFF, 0x3F7F_FFFF),
        op(one, 0x0000_0001),
        op(one, 0),
        op(0x8000_0000, 0),
    ] {
        let c = f32_div(o.x, o.y);
        for z in [
            c,
            0x7F7F_FFFF,
            0x7F80_0001,
            0,
            CANONICAL_NAN,
            0x7F80_0000 | (c & SIGN_MASK),
        ] {
            for claim in [z, z ^ SIGN_MASK] {
                assert!(rejects(&o, claim, claim), "{o:x?}: {claim:#x} accepted");
            }
        }
    }
}

#[test]
fn every_cell_is_constrained() {
    let ops: Vec<DivOp> = sample_ops(13, 40).into_iter().chain(edge_ops()).collect();
    for o in &ops {
        let c = f32_div(o.x, o.y);
        let a = air(&[*o], &[c]);
        let row = row_of(o, &div_witness(o, None));
        assert!(
            check_chip(&a, &RowMajorMatrix::new(row.clone(), W)).is_empty(),
            "{o:x?}"
        );
        let cols: &Fp32DivCols<Val> = row[..].borrow();
        let inv_free = cols.st == Val::ZERO;
        for i in 0..W {
            // inv is free when nothing was dropped
            let mut probe = [Val::ZERO; W];
            probe[i] = Val::ONE;
            let p: &Fp32DivCols<Val> = probe[..].borrow();
            if p.inv == Val::ONE && inv_free {
                continue;
            }
            let mut bad = row.clone();
            bad[i] += Val::ONE;
            assert!(
                !check_chip(&a, &RowMajorMatrix::new(bad, W)).is_empty(),
                "{o:x?}: column {i} changed and still accepted"
            );
        }
    }
}

/// The constraint or lookup group a `check_chip` message names.
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
        return DIV_CONSTRAINTS.get(i).copied().unwrap_or("op binding");
    }
    match num("lookup ") {
        Some(i) => DIV_LOOKUPS[i],
        None => "?",
    }
}

/// The groups a row for `o` violates when the public result is `claim`.
fn violated(o: &DivOp, row: Vec<Val>, claim: u32) -> Vec<&'static str> {
    let mut g: Vec<&str> = check_chip(&air(&[*o], &[claim]), &RowMajorMatrix::new(row, W))
        .iter()
        .map(|m| group(m))
        .collect();
    g.dedup();
    g
}

/// Builds a forgery: `(q, r)` and then the witness tweaked; among the results near
/// the honest one, the claim that satisfies the rounding check (the forged quotient's
/// own rounding) is made, so only the tampered group can object. Asserts that exactly
/// `expect` is violated.
fn assert_only(
    o: &DivOp,
    qr: impl Fn(u64, u64) -> (u64, u64),
    tweak: impl Fn(&mut DivWitness),
    expect: &str,
) {
    let (q, r) = div_qr(o);
    let (q, r) = qr(q, r);
    let c = f32_div(o.x, o.y);
    let mut best: Option<Vec<&str>> = None;
    for dz in [0i64, 1, -1, 2, -2, 1 << 23, -(1 << 23)] {
        let z = (c as i64 + dz) as u32;
        let mut w = div_witness_qr(o, q, r, z);
        tweak(&mut w);
        let claim = w.z;
        let g = violated(o, row_of(o, &w), claim);
        if best.as_ref().is_none_or(|b| g.len() < b.len()) {
            best = Some(g);
        }
    }
    let g = best.unwrap();
    assert_eq!(
        g,
        vec![expect],
        "{o:x?}: forgery for {expect} violates {g:?}"
    );
}

#[test]
fn group_tables_match_the_air() {
    let a = air(&[op(0, 0x3F80_0000)], &[0]);
    let lookups = Lookups::<Val>::from_air::<Challenge, Fp32DivAir>(&a);
    assert_eq!(lookups.len(), DIV_LOOKUPS.len());
    assert_eq!(BaseAir::<Val>::width(&a), W);
}

#[test]
fn each_constraint_group_is_load_bearing() {
    let one_third = op(0x3F80_0000, 0x4040_0000); // 1 / 3: R != 0
    let exact = op(0x40C0_0000, 0x4040_0000); // 6 / 3
    let by_one = op(0x3FAA_AAAB, 0x3F80_0000); // Ny = 2^23: R + Ny fits 24 bits
                                               // R >= Ny: the quotient one less, the remainder one divisor more
    assert_only(
        &by_one,
        |q, r| (q - 1, r + (1 << 23)),
        |_| {},
        "remainder bound",
    );
    // the division of a neighbouring dividend: only the top digits involve Nx
    let next = op(one_third.x + 1, one_third.y);
    assert_only(&one_third, |_, _| div_qr(&next), |_| {}, "division top");
    // a carry out of digit 0 that does not divide evenly
    assert_only(
        &one_third,
        |q, r| (q, r),
        |w| {
            // c0 one more, r1 one less (digit 1 still balances; R, R's bound and the
            // sticky sum follow)
            assert!(w.r[1] > 0 && w.d[1] < 4095);
            w.c[0] += 1;
            w.r[1] -= 1;
            w.d[1] += 1;
            w.u -= 1 << 12;
        },
        "division digit 0",
    );
    // the sticky bit dropped (R != 0)
    assert_only(
        &one_third,
        |q, r| (q, r),
        |w| {
            assert_eq!(w.st, 1);
            w.st = 0;
            w.u = 0;
        },
        "sticky zero",
    );
    // a sticky bit invented (R = 0, nothing dropped)
    assert_only(
        &exact,
        |q, r| (q, r),
        |w| {
            assert_eq!(w.u, 0);
            w.st = 1;
        },
        "sticky inverse",
    );
    // the split of the aligned limb: aq one more, ar unchanged, al following aq (on a
    // subnormal quotient with a real split and room for aq + 1 in its range)
    let sub = [
        op(0x0040_0001, 0x3FC0_0000),
        op(0x0012_3457, 0x3F90_0001),
        op(0x0000_0007, 0x4080_0000),
    ]
    .into_iter()
    .find(|o| {
        let w = div_witness(o, None);
        w.pw > 1 && w.aq + 1 < 1 << (16 - 5 * w.hi - w.mr)
    })
    .expect("a quotient with a real split");
    assert_only(
        &sub,
        |q, r| (q, r),
        |w| {
            w.aq += 1;
            w.al += 1;
        },
        "alignment split",
    );
    // the aligned value one more
    assert_only(&one_third, |q, r| (q, r), |w| w.al += 1, "aligned value");
    // the sign: a negative quotient of positive operands
    assert_only(
        &one_third,
        |q, r| (q, r),
        |w| {
            w.sz = 1;
            w.z |= SIGN_MASK;
        },
        "sign",
    );
    // lookups: the rounding (a result one ulp up), the normalization bit
    let up = f32_div(one_third.x, one_third.y) + 1; // one ulp up, witness otherwise honest
    let row = row_of(&one_third, &div_witness(&one_third, Some(up)));
    assert_eq!(violated(&one_third, row, up), vec!["MROUND"]);
    assert_only(
        &one_third,
        |q, r| (q, r),
        |w| w.f ^= 1,
        "quotient normalization",
    );
}

#[test]
fn overflowing_and_infinite_results_have_no_witness() {
    // the largest quotient that rounds to the largest finite value is provable; one
    // that rounds up to 2^128 is not, even when claimed as a virtual value
    let ok = op(0x7F7F_FFFF, 0x3F80_0000);
    assert!(!rejects(&ok, 0x7F7F_FFFF, 0x7F7F_FFFF));
    let up = op(0x7F7F_FFFF, 0x3F7F_FFFF);
    assert!(is_inf(f32_div(up.x, up.y)));
    for z in [0x7F80_0000, 0x7F7F_FFFF] {
        assert!(rejects(&up, z, z));
    }
}
