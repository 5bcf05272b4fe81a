//! Constraint-level tests of the `Fp32Mul` chip.

use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use proptest::prelude::*;
use zkattest_softfloat::f32_mul;

use super::trace::fill_fp32_mul_row;
use super::*;
use crate::chips::fptables::FpTableCounter;
use crate::chips::opio::{OpIo, PublicOps};
use crate::chips::testing::{check_chip, claimed_words, forged_fp32_results, Sm64};
use crate::prover::Val;

const W: usize = NUM_FP32_MUL_COLS;

fn air(ops: &[MulOp], results: &[u32]) -> Fp32MulAir {
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
    Fp32MulAir {
        io: OpIo::Public(PublicOps::new("test", &rows).into()),
    }
}

fn sample_ops(seed: u64, n: usize) -> Vec<MulOp> {
    let mut rng = Sm64(seed);
    (0..n)
        .map(|_| {
            let mut x = rng.fp32();
            let mut y = rng.fp32();
            match rng.below(4) {
                // products near the bottom of the range (subnormal results, underflow)
                0 => {
                    x = (x & 0x807F_FFFF) | ((20 + rng.below(60) as u32) << 23);
                    y = (y & 0x807F_FFFF) | ((20 + rng.below(60) as u32) << 23);
                }
                // near the top (overflow, rounding up to infinity)
                1 => {
                    x = (x & 0x807F_FFFF) | ((180 + rng.below(75) as u32) << 23);
                    y = (y & 0x807F_FFFF) | ((120 + rng.below(20) as u32) << 23);
                }
                _ => {}
            }
            MulOp { x, y }
        })
        .filter(fp32_mul_provable)
        .collect()
}

fn edge_ops() -> Vec<MulOp> {
    let mut v = vec![
        MulOp { x: 0, y: 0 },
        MulOp {
            x: 0x8000_0000,
            y: 0x3F80_0000,
        },
        MulOp {
            x: 0x0000_0001,
            y: 0x3F80_0000,
        }, // subnormal factor, exact
        MulOp {
            x: 0x0000_0001,
            y: 0x3F00_0000,
        }, // 2^-150: tie to even, zero
        MulOp {
            x: 0x0000_0003,
            y: 0x3F00_0000,
        }, // 1.5 * 2^-149: tie up to 2
        MulOp {
            x: 0x0000_0001,
            y: 0x4B00_0000,
        }, // subnormal * 2^23 = 2^-126
        MulOp {
            x: 0x007F_FFFF,
            y: 0x3F80_0001,
        }, // rounds up to the smallest normal
        MulOp {
            x: 0x0001_0000,
            y: 0x7F00_0000,
        },
        MulOp {
            x: 0x3F80_0001,
            y: 0x3F80_0001,
        }, // 1 + 2^-22 + 2^-46: inexact
        MulOp {
            x: 0x3FFF_FFFF,
            y: 0x3FFF_FFFF,
        }, // rounds to the next binade
        MulOp {
            x: 0x7F7F_FFFF,
            y: 0x3F80_0001,
        }, // overflow by rounding
        MulOp {
            x: 0x7F7F_FFFF,
            y: 0x3F80_0000,
        },
        MulOp {
            x: 0x7F00_0000,
            y: 0x4000_0000,
        }, // exactly 2^128: infinity
        MulOp {
            x: 0x7F7F_FFFF,
            y: 0x7F7F_FFFF,
        }, // far overflow
        MulOp {
            x: 0x0080_0000,
            y: 0x0080_0000,
        }, // far underflow
        MulOp {
            x: 0x1F80_0000,
            y: 0x1F80_0000,
        }, // 2^-128: exact subnormal
        MulOp {
            x: 0x2000_0001,
            y: 0x1F00_0000,
        },
    ];
    for e in 0..40u32 {
        v.push(MulOp {
            x: 0x0055_5555,
            y: 0x3FAA_AAAA + (e << 23),
        });
        v.push(MulOp {
            x: 0x2F80_0001 + (e << 23),
            y: 0x0F7F_FFFF,
        });
    }
    v
}

fn check_ops(ops: &[MulOp]) {
    let log = ops.len().next_power_of_two().trailing_zeros() as usize;
    let mut counter = FpTableCounter::default();
    let trace = generate_fp32_mul_trace(ops, log, &mut counter).unwrap();
    assert_eq!(counter.misses(), 0);
    let results: Vec<u32> = ops.iter().map(|op| f32_mul(op.x, op.y)).collect();
    let n = ops.len();
    let fails = check_chip(
        &air(ops, &results),
        &RowMajorMatrix::new(trace.values[..n * W].to_vec(), W),
    );
    assert!(fails.is_empty(), "{fails:?}");
}

#[test]
fn random_and_edge_products_match_softfloat() {
    for seed in 0..4 {
        check_ops(&sample_ops(seed, 512));
    }
    check_ops(&edge_ops());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn proptest_products(x in any::<u32>(), y in any::<u32>()) {
        let op = MulOp { x, y };
        prop_assume!(fp32_mul_provable(&op));
        let mut row = vec![Val::ZERO; W];
        fill_fp32_mul_row(&mut row, &op, None, &mut FpTableCounter::default()).unwrap();
        let fails = check_chip(&air(&[op], &[f32_mul(x, y)]), &RowMajorMatrix::new(row, W));
        prop_assert!(fails.is_empty(), "{:?}", fails);
    }
}

#[test]
fn wrong_results_are_rejected() {
    let mut ops = sample_ops(77, 300);
    ops.extend(edge_ops());
    for op in &ops {
        let c = f32_mul(op.x, op.y);
        for bad in forged_fp32_results(c) {
            // the witness for the forged claim (infinity claimed as a virtual value)
            for z in claimed_words(bad) {
                let mut row = vec![Val::ZERO; W];
                fill_fp32_mul_row(&mut row, op, Some(z), &mut FpTableCounter::default()).unwrap();
                let fails = check_chip(&air(&[*op], &[bad]), &RowMajorMatrix::new(row, W));
                assert!(
                    !fails.is_empty(),
                    "{op:x?}: forged {bad:#x} (z {z:#x}) accepted, correct {c:#x}"
                );
            }
        }
    }
}

#[test]
fn every_cell_is_constrained() {
    let ops: Vec<MulOp> = sample_ops(13, 40).into_iter().chain(edge_ops()).collect();
    for op in &ops {
        let c = f32_mul(op.x, op.y);
        let a = air(&[*op], &[c]);
        let mut row = vec![Val::ZERO; W];
        fill_fp32_mul_row(&mut row, op, None, &mut FpTableCounter::default()).unwrap();
        assert!(
            check_chip(&a, &RowMajorMatrix::new(row.clone(), W)).is_empty(),
            "{op:x?}"
        );
        let cols: &Fp32MulCols<Val> = core::borrow::Borrow::borrow(&row[..]);
        let inv_free = cols.st == Val::ZERO;
        for i in 0..W {
            // inv is free when nothing was dropped
            let mut probe = [Val::ZERO; W];
            probe[i] = Val::ONE;
            let p: &Fp32MulCols<Val> = core::borrow::Borrow::borrow(&probe[..]);
            if p.inv == Val::ONE && inv_free {
                continue;
            }
            let mut bad = row.clone();
            bad[i] += Val::ONE;
            assert!(
                !check_chip(&a, &RowMajorMatrix::new(bad, W)).is_empty(),
                "{op:x?}: column {i} changed and still accepted"
            );
        }
    }
}
