//! Constraint-level tests of the `Bf16Mul` chip.

use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use zkattest_softfloat::bf16_mul_f32;

use super::trace::fill_mul_row;
use super::*;
use crate::chips::fptables::FpTableCounter;
use crate::chips::opio::{OpIo, PublicOps};
use crate::chips::testing::{check_chip, Sm64};
use crate::prover::Val;

const W: usize = NUM_BF16_MUL_COLS;

fn public_air(ops: &[MulOp], results: &[u32]) -> Bf16MulAir {
    let rows: Vec<[u32; 6]> = ops
        .iter()
        .zip(results)
        .map(|(op, &c)| [op.a as u32, op.b as u32, 0, 0, c >> 16, c & 0xFFFF])
        .collect();
    Bf16MulAir {
        io: OpIo::Public(PublicOps::new("test", &rows).into()),
    }
}

/// Products across every regime: tiny exponents (rounded and exact subnormal results,
/// underflow to zero), normal, huge (overflow), zeros and subnormal factors.
fn sample_ops(seed: u64, n: usize) -> Vec<MulOp> {
    let mut rng = Sm64(seed);
    (0..n)
        .map(|_| {
            let mut a = rng.bf16();
            let mut b = rng.bf16();
            if rng.below(2) == 0 {
                // steer the exponent sum into the subnormal boundary region
                let ea = 40 + rng.below(30) as u16;
                let eb = 40 + rng.below(30) as u16;
                a = (a & 0x807F) | ea << 7;
                b = (b & 0x807F) | eb << 7;
            }
            MulOp { a, b }
        })
        .filter(mul_provable)
        .collect()
}

fn check_ops(ops: &[MulOp]) {
    let log = ops.len().next_power_of_two().trailing_zeros() as usize;
    let mut counter = FpTableCounter::default();
    let trace = generate_mul_trace(ops, log, &mut counter).unwrap();
    assert_eq!(counter.misses(), 0);
    let results: Vec<u32> = ops.iter().map(|op| bf16_mul_f32(op.a, op.b)).collect();
    let fails = check_chip(
        &public_air(ops, &results),
        &RowMajorMatrix::new(trace.values[..ops.len() * W].to_vec(), W),
    );
    assert!(fails.is_empty(), "{fails:?}");
}

#[test]
fn random_products_match_softfloat() {
    for seed in 0..4 {
        check_ops(&sample_ops(seed, 1024));
    }
}

#[test]
fn every_exponent_sum_and_significand_pattern() {
    // One factor sweeps every finite BF16 value; the other is a few fixed values that
    // put the product in each regime.
    for b in [
        0x3F80u16, 0x0080, 0x00FF, 0x0001, 0x7F7F, 0x2000, 0x1F80, 0xA0C1, 0x8000,
    ] {
        let ops: Vec<MulOp> = (0..=u16::MAX)
            .map(|a| MulOp { a, b })
            .filter(mul_provable)
            .collect();
        for chunk in ops.chunks(1 << 13) {
            check_ops(chunk);
        }
    }
}

#[test]
fn wrong_results_and_witnesses_are_rejected() {
    let ops = sample_ops(9, 400);
    for op in &ops {
        let c = bf16_mul_f32(op.a, op.b);
        let mut row = vec![Val::ZERO; W];
        fill_mul_row(&mut row, op, None, None, &mut FpTableCounter::default()).unwrap();
        // a claimed result one ulp off, with a flipped sign, or NaN
        for bad in [
            c.wrapping_add(1),
            c.wrapping_sub(1),
            c ^ 0x8000_0000,
            0x7FC0_0000,
        ] {
            let air = public_air(&[*op], &[bad]);
            assert!(!check_chip(&air, &RowMajorMatrix::new(row.clone(), W)).is_empty());
        }
        // the other rounding direction, and the other normalization bit
        let air = public_air(&[*op], &[c]);
        for (f, rnd) in [
            (None, Some(0)),
            (None, Some(1)),
            (Some(0), None),
            (Some(1), None),
        ] {
            let mut forged = vec![Val::ZERO; W];
            let got =
                fill_mul_row(&mut forged, op, f, rnd, &mut FpTableCounter::default()).unwrap();
            if got == c {
                continue; // another witness of the right result (f is free below 2^-126)
            }
            let fails = check_chip(&air, &RowMajorMatrix::new(forged, W));
            assert!(
                !fails.is_empty(),
                "{op:x?}: forged witness (f {f:?}, rnd {rnd:?}) claiming {got:#x} accepted"
            );
        }
    }
}

#[test]
fn every_cell_is_constrained() {
    let ops = sample_ops(21, 60);
    for op in &ops {
        let c = bf16_mul_f32(op.a, op.b);
        let air = public_air(&[*op], &[c]);
        let mut row = vec![Val::ZERO; W];
        fill_mul_row(&mut row, op, None, None, &mut FpTableCounter::default()).unwrap();
        assert!(check_chip(&air, &RowMajorMatrix::new(row.clone(), W)).is_empty());
        for i in 0..W {
            let mut bad = row.clone();
            bad[i] += Val::ONE;
            assert!(
                !check_chip(&air, &RowMajorMatrix::new(bad, W)).is_empty(),
                "{op:x?}: column {i} changed and still accepted"
            );
        }
    }
}
