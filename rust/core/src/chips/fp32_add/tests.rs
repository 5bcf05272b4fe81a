//! Constraint-level tests of the `Fp32Add` chip.

use core::borrow::{Borrow, BorrowMut};

use p3_field::{PrimeCharacteristicRing, PrimeField32};
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;
use proptest::prelude::*;
use zkattest_softfloat::{f32_add, CANONICAL_NAN, POS_INF, SIGN_MASK};

use super::trace::fill_add_row;
use super::*;
use crate::chips::fptables::FpTableCounter;
use crate::chips::opio::{OpIo, PublicOps};
use crate::chips::testing::{check_chip, forged_fp32_results, Sm64};
use crate::error::Error;
use crate::prover::Val;

const W: usize = NUM_FP32_ADD_COLS;

fn u(x: Val) -> u32 {
    x.as_canonical_u32()
}

fn io_of(row: &[Val]) -> (u32, u32, u32) {
    let c: &Fp32AddCols<Val> = row.borrow();
    let k = &c.core;
    let o1 = u(k.o1_hi) << 16 | u(k.o1_lo);
    let z = u(k.z_hi) << 16 | u(k.z_lo);
    let y = u(c.y_hi) << 16 | u(c.y_lo);
    let (x, out) = if u(k.rev) == 1 {
        (z, o1)
    } else if u(k.ovf) == 1 {
        (o1, (z & SIGN_MASK) | POS_INF)
    } else {
        (o1, z)
    };
    (x, y, out)
}

fn public_air(op: &AddOp) -> Fp32AddAir {
    let c = f32_add(op.x, op.y);
    let limbs = [
        op.x >> 16,
        op.x & 0xFFFF,
        op.y >> 16,
        op.y & 0xFFFF,
        c >> 16,
        c & 0xFFFF,
    ];
    Fp32AddAir {
        io: OpIo::Public(PublicOps::new("test", &[limbs]).into()),
    }
}

fn bus_air() -> Fp32AddAir {
    Fp32AddAir { io: OpIo::Bus }
}

fn row_for(op: &AddOp, claim: Option<(u32, u32, bool)>) -> Vec<Val> {
    let mut row = vec![Val::ZERO; W];
    fill_add_row(&mut row, op, claim, &mut FpTableCounter::default()).unwrap();
    row
}

fn sample_ops(seed: u64, n: usize) -> Vec<AddOp> {
    let mut rng = Sm64(seed);
    (0..n)
        .map(|_| {
            let x = rng.fp32();
            let y = match rng.below(4) {
                // near-cancellations: y = -x plus a few ulps, or -x with another exponent
                0 => (x ^ SIGN_MASK)
                    .wrapping_add(rng.below(9) as u32)
                    .wrapping_sub(4),
                1 => (x ^ SIGN_MASK) ^ (1 << (23 + rng.below(3))),
                _ => rng.fp32(),
            };
            AddOp { x, y }
        })
        .filter(add_provable)
        .collect()
}

fn edge_ops() -> Vec<AddOp> {
    let mut v = vec![
        AddOp { x: 0, y: 0 },
        AddOp {
            x: 0x8000_0000,
            y: 0x8000_0000,
        },
        AddOp {
            x: 0x8000_0000,
            y: 0,
        },
        AddOp {
            x: 0x3F80_0000,
            y: 0xBF80_0000,
        },
        AddOp {
            x: 0x3F80_0000,
            y: 0x3380_0000,
        }, // tie to even (down)
        AddOp {
            x: 0x3F80_0001,
            y: 0x3380_0000,
        }, // tie to even (up)
        AddOp {
            x: 0x3F80_0000,
            y: 0xB300_0000,
        }, // power of two, tie below
        AddOp {
            x: 0x3F80_0000,
            y: 0xB2FF_FFFF,
        },
        AddOp {
            x: 0x7F7F_FFFF,
            y: 0x7F7F_FFFF,
        }, // overflow
        AddOp {
            x: 0x7F7F_FFFF,
            y: 0x7300_0000,
        }, // tie to infinity
        AddOp {
            x: 0xFF7F_FFFF,
            y: 0xF2FF_FFFF,
        },
        AddOp {
            x: 0x0000_0001,
            y: 0x8000_0002,
        }, // subnormals
        AddOp {
            x: 0x007F_FFFF,
            y: 0x0000_0001,
        }, // subnormal -> normal
        AddOp {
            x: 0x0080_0000,
            y: 0x8000_0001,
        }, // normal -> subnormal
        AddOp {
            x: 0x4B80_0001,
            y: 0xCB80_0000,
        }, // deep cancellation
        AddOp {
            x: 0x7F7F_FFFF,
            y: 0x0000_0001,
        }, // far apart: all sticky
        AddOp {
            x: 0x3F80_0000,
            y: 0x0000_0001,
        },
    ];
    for d in 0..30u32 {
        v.push(AddOp {
            x: 0x4055_5555,
            y: (0x4055_5555u32 - (d << 23)) ^ SIGN_MASK,
        });
        v.push(AddOp {
            x: 0x4000_0000,
            y: 0x4000_0001 - (d << 23),
        });
    }
    v
}

fn assert_ops_prove(ops: &[AddOp]) {
    let log = ops.len().next_power_of_two().trailing_zeros() as usize;
    let mut counter = FpTableCounter::default();
    let trace = generate_add_trace(ops, log, &mut counter).unwrap();
    assert_eq!(counter.misses(), 0);
    let fails = check_chip(&bus_air(), &trace);
    assert!(fails.is_empty(), "{fails:?}");
    for (i, op) in ops.iter().enumerate() {
        let got = io_of(&trace.row_slice(i).unwrap());
        assert_eq!(got, (op.x, op.y, f32_add(op.x, op.y)), "{op:x?}");
    }
}

#[test]
fn random_and_edge_ops_satisfy_constraints_and_match_softfloat() {
    for seed in 0..4 {
        assert_ops_prove(&sample_ops(seed, 512));
    }
    assert_ops_prove(&edge_ops());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn proptest_ops(x in any::<u32>(), y in any::<u32>()) {
        let op = AddOp { x, y };
        prop_assume!(add_provable(&op));
        let row = row_for(&op, None);
        prop_assert_eq!(io_of(&row), (x, y, f32_add(x, y)));
        let fails = check_chip(&public_air(&op), &RowMajorMatrix::new(row, W));
        prop_assert!(fails.is_empty(), "{:?}", fails);
    }
}

#[test]
fn non_finite_inputs_are_invalid_input() {
    for op in [
        AddOp {
            x: CANONICAL_NAN,
            y: 0,
        },
        AddOp { x: 0, y: POS_INF },
    ] {
        let r = generate_add_trace(&[op], 1, &mut FpTableCounter::default());
        assert!(matches!(r, Err(Error::InvalidInput(_))));
    }
}

#[test]
fn wrong_results_are_rejected() {
    let mut ops = sample_ops(41, 300);
    ops.extend(edge_ops());
    for op in &ops {
        let c = f32_add(op.x, op.y);
        for bad in forged_fp32_results(c) {
            let mut claims = vec![(op.x, bad, false), (bad, op.x, true)];
            if bad & !SIGN_MASK == POS_INF {
                claims.extend([1, 0x40_0000, 0x7F_FFFF].map(|f| (op.x, bad | f, false)));
            }
            for claim in claims {
                let row = row_for(op, Some(claim));
                let (x, _, out) = io_of(&row);
                if x != op.x || out == c {
                    continue;
                }
                assert!(
                    !check_chip(&bus_air(), &RowMajorMatrix::new(row, W)).is_empty(),
                    "{op:x?}: forged {bad:#x} via {claim:x?} accepted (correct {c:#x})"
                );
            }
        }
    }
}

#[test]
fn every_cell_is_constrained() {
    let ops: Vec<AddOp> = sample_ops(5, 40).into_iter().chain(edge_ops()).collect();
    let inv_index = {
        let mut row = [Val::ZERO; W];
        let c: &mut Fp32AddCols<Val> = row[..].borrow_mut();
        c.core.inv = Val::ONE;
        row.iter().position(|&x| x == Val::ONE).unwrap()
    };
    for op in &ops {
        let air = public_air(op);
        let row = row_for(op, None);
        assert!(check_chip(&air, &RowMajorMatrix::new(row.clone(), W)).is_empty());
        let c: &Fp32AddCols<Val> = row[..].borrow();
        let inv_free = u(c.core.st) == 0 && u(c.core.rev) == 0;
        for i in 0..W {
            if i == inv_index && inv_free {
                continue;
            }
            let mut bad = row.clone();
            bad[i] += Val::ONE;
            assert!(
                !check_chip(&air, &RowMajorMatrix::new(bad, W)).is_empty(),
                "{op:x?}: column {i} changed and still accepted"
            );
        }
    }
}

#[test]
fn operand_decode_is_load_bearing() {
    // y's decoded exponent one off, with the core consistent with the wrong value.
    let op = AddOp {
        x: 0x3FC0_0000,
        y: 0x3F20_0000,
    };
    let fake_y = op.y + (1 << 23);
    let mut row = row_for(&AddOp { x: op.x, y: fake_y }, None);
    let c: &mut Fp32AddCols<Val> = row[..].borrow_mut();
    c.y_hi = Val::from_u32(op.y >> 16);
    let fails = check_chip(&bus_air(), &RowMajorMatrix::new(row, W));
    assert!(fails.iter().any(|f| f.contains("lookup")), "{fails:?}");
}
