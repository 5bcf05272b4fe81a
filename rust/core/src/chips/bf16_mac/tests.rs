//! Constraint-level tests of the `Bf16Mac` chip (no proving: `check_chip` evaluates
//! every constraint and every table lookup of a trace).

use core::borrow::{Borrow, BorrowMut};

use p3_field::{PrimeCharacteristicRing, PrimeField32};
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;
use proptest::prelude::*;
use zkattest_softfloat::{bf16_mac, bf16_mul_f32, CANONICAL_NAN, POS_INF, SIGN_MASK};

use super::trace::{fill_mac_row, product, write_mac_row, Product};
use super::*;
use crate::chips::addcore::{align, round_virtual, solve_add_core, write_add_core, Aligned};
use crate::chips::fptables::FpTableCounter;
use crate::chips::opio::{OpIo, PublicOps};
use crate::chips::testing::{check_chip, Sm64};
use crate::error::Error;
use crate::prover::Val;

const W: usize = NUM_BF16_MAC_COLS;

fn air() -> Bf16MacAir {
    Bf16MacAir { io: OpIo::Bus }
}

fn u(x: Val) -> u32 {
    x.as_canonical_u32()
}

/// The op a row proves, read back through the same mapping the AIR uses.
fn io_of(row: &[Val]) -> (u32, u16, u16, u32) {
    let c: &Bf16MacCols<Val> = row.borrow();
    let k = &c.core;
    let o1 = u(k.o1_hi) << 16 | u(k.o1_lo);
    let z = u(k.z_hi) << 16 | u(k.z_lo);
    let (acc, out) = if u(k.rev) == 1 {
        (z, o1)
    } else if u(k.ovf) == 1 {
        (o1, (z & SIGN_MASK) | POS_INF)
    } else {
        (o1, z)
    };
    (acc, u(c.a) as u16, u(c.b) as u16, out)
}

fn check_rows(rows: Vec<Val>) -> Vec<String> {
    check_chip(&air(), &RowMajorMatrix::new(rows, W))
}

/// A row with the given claim for the core (`(o1, z, rev)`).
fn claimed_row(op: &MacOp, claim: (u32, u32, bool)) -> Vec<Val> {
    let mut row = vec![Val::ZERO; W];
    fill_mac_row(&mut row, op, Some(claim), &mut FpTableCounter::default()).unwrap();
    row
}

fn honest_claim(op: &MacOp) -> (u32, u32, bool) {
    let p = product(op.a, op.b).unwrap();
    solve_add_core(op.acc, &p.op2, bf16_mac(op.acc, op.a, op.b)).unwrap()
}

/// Random provable ops, plus crafted deep cancellations (acc close to -a*b).
fn sample_ops(seed: u64, n: usize) -> Vec<MacOp> {
    let mut rng = Sm64(seed);
    let mut ops = Vec::with_capacity(n);
    while ops.len() < n {
        let (a, b) = (rng.bf16(), rng.bf16());
        let acc = if rng.below(4) == 0 {
            let p = bf16_mul_f32(a, b);
            (p ^ SIGN_MASK)
                .wrapping_add(rng.below(5) as u32)
                .wrapping_sub(2)
        } else {
            rng.fp32()
        };
        let op = MacOp { acc, a, b };
        if mac_provable(&op) {
            ops.push(op);
        }
    }
    ops
}

fn edge_ops() -> Vec<MacOp> {
    let one = 0x3F80; // bf16 1.0
    let mut ops = vec![
        // zeros and their signs
        MacOp { acc: 0, a: 0, b: 0 },
        MacOp {
            acc: 0x8000_0000,
            a: 0x8000,
            b: 0,
        }, // -0 + (-0)*0 = -0
        MacOp {
            acc: 0x8000_0000,
            a: 0x8000,
            b: 0x8000,
        }, // -0 + (+0) = +0
        MacOp {
            acc: 0x8000_0000,
            a: 0,
            b: 0,
        }, // -0 + 0 = +0
        MacOp {
            acc: 0x3F80_0000,
            a: 0xBF80,
            b: one,
        }, // 1 - 1 = +0
        MacOp {
            acc: 0xBF80_0000,
            a: one,
            b: one,
        }, // -1 + 1 = +0
        // ties to even: 1 + 2^-24 (tie, to 1), 1 + 3 * 2^-24 (tie, to even upwards)
        MacOp {
            acc: 0x3F80_0000,
            a: 0x3380,
            b: one,
        },
        MacOp {
            acc: 0x3F80_0001,
            a: 0x3380,
            b: one,
        },
        MacOp {
            acc: 0x3F80_0000,
            a: 0x33C0,
            b: one,
        },
        // just above / below a tie (product 2^-24 * 1.5 after the 1.0 ulp)
        MacOp {
            acc: 0x3F80_0000,
            a: 0x3381,
            b: one,
        },
        // power of two below: 1 - 2^-25 (tie, to 1), 1 - 2^-26 (rounds to 1)
        MacOp {
            acc: 0x3F80_0000,
            a: 0xB300,
            b: one,
        },
        MacOp {
            acc: 0x3F80_0000,
            a: 0xB280,
            b: one,
        },
        MacOp {
            acc: 0x3F80_0000,
            a: 0xB340,
            b: one,
        },
        // overflow to infinity and the largest finite value
        MacOp {
            acc: 0x7F7F_FFFF,
            a: 0x7F7F,
            b: one,
        },
        MacOp {
            acc: 0xFF7F_FFFF,
            a: 0xFF00,
            b: one,
        },
        MacOp {
            acc: 0x7F7F_FFFF,
            a: 0x7300,
            b: one,
        }, // + half an ulp of max: tie -> inf
        MacOp {
            acc: 0x7F7F_FFFF,
            a: 0x72FF,
            b: one,
        }, // just below the tie: max
        MacOp {
            acc: 0x7F00_0000,
            a: 0x5F80,
            b: 0x5F80,
        }, // 2^127 + 2^128 -> inf
        // subnormals: accumulators, products on the subnormal grid, results
        MacOp {
            acc: 0x0000_0001,
            a: 0x0001,
            b: 0x3F80,
        },
        MacOp {
            acc: 0x807F_FFFF,
            a: 0x0080,
            b: one,
        },
        MacOp {
            acc: 0x0080_0000,
            a: 0x8080,
            b: one,
        }, // 2^-126 - 2^-126 = 0
        MacOp {
            acc: 0x0080_0001,
            a: 0x8080,
            b: one,
        }, // -> smallest subnormal
        MacOp {
            acc: 0x0000_0003,
            a: 0x1F80,
            b: 0x1F80,
        }, // exact tiny product 2^-128
        MacOp {
            acc: 0x3F80_0000,
            a: 0x0001,
            b: 0x7F00,
        }, // subnormal bf16 factor
        // deep cancellation (reverse mode) and far-apart operands (all sticky)
        MacOp {
            acc: 0xBF80_0001,
            a: one,
            b: one,
        },
        MacOp {
            acc: 0x4B80_0001,
            a: 0xCB80,
            b: one,
        },
        MacOp {
            acc: 0x7F7F_FFFF,
            a: 0x0080,
            b: one,
        },
        MacOp {
            acc: 0x0000_0001,
            a: 0x7F7F,
            b: 0x3F00,
        },
    ];
    // Every exponent difference around the limb boundaries of the alignment.
    for d in 0..30u32 {
        ops.push(MacOp {
            acc: 0x4000_0000 | 0x55_5555,
            a: (0x4000 - (d << 7)) as u16 | 0x55,
            b: 0xBF80,
        });
    }
    ops.retain(mac_provable);
    ops
}

fn assert_ops_prove(ops: &[MacOp]) {
    let log = ops.len().next_power_of_two().trailing_zeros() as usize;
    let mut counter = FpTableCounter::default();
    let trace = generate_mac_trace(ops, log, &mut counter).unwrap();
    assert_eq!(counter.misses(), 0);
    let fails = check_chip(&air(), &trace);
    assert!(fails.is_empty(), "{fails:?}");
    for (i, op) in ops.iter().enumerate() {
        let got = io_of(&trace.row_slice(i).unwrap());
        assert_eq!(
            got,
            (op.acc, op.a, op.b, bf16_mac(op.acc, op.a, op.b)),
            "{op:x?}"
        );
    }
}

#[test]
fn random_ops_satisfy_constraints_and_match_softfloat() {
    for seed in 0..4 {
        let ops = sample_ops(seed, 512);
        let revs = ops.iter().filter(|op| honest_claim(op).2).count();
        assert!(revs > 0, "no reverse-mode rows sampled");
        assert_ops_prove(&ops);
    }
}

#[test]
fn edge_cases_satisfy_constraints_and_match_softfloat() {
    let ops = edge_ops();
    assert!(ops.len() > 50);
    assert!(ops
        .iter()
        .any(|op| bf16_mac(op.acc, op.a, op.b) & !SIGN_MASK == POS_INF));
    assert_ops_prove(&ops);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn proptest_ops(acc in any::<u32>(), a in any::<u16>(), b in any::<u16>()) {
        let op = MacOp { acc, a, b };
        prop_assume!(mac_provable(&op));
        let mut row = vec![Val::ZERO; W];
        fill_mac_row(&mut row, &op, None, &mut FpTableCounter::default()).unwrap();
        prop_assert_eq!(io_of(&row), (acc, a, b, bf16_mac(acc, a, b)));
        let fails = check_rows(row);
        prop_assert!(fails.is_empty(), "{:?}", fails);
    }
}

#[test]
fn unprovable_ops_are_invalid_input() {
    let nan = MacOp {
        acc: CANONICAL_NAN,
        a: 0,
        b: 0,
    };
    let inf = MacOp {
        acc: 0,
        a: 0x7F80,
        b: 0x3F80,
    };
    let tiny = MacOp {
        acc: 0,
        a: 0x0001,
        b: 0x0001,
    }; // product below 2^-149
    let huge = MacOp {
        acc: 0,
        a: 0x7F00,
        b: 0x7F00,
    }; // product overflows
    for op in [nan, inf, tiny, huge] {
        assert!(!mac_provable(&op));
        let r = generate_mac_trace(&[op], 1, &mut FpTableCounter::default());
        assert!(matches!(r, Err(Error::InvalidInput(_))), "{op:x?}");
    }
}

/// Claimed results other than the correct one, for an op with result `c`.
fn wrong_results(c: u32) -> Vec<u32> {
    let mut v = vec![
        c.wrapping_add(1), // one ulp up (or the wrong rounding direction)
        c.wrapping_sub(1), // one ulp down
        c ^ SIGN_MASK,     // flipped sign (also +0 / -0)
        CANONICAL_NAN,     // NaN where a number belongs
        POS_INF | (c & SIGN_MASK),
        c.wrapping_add(2),
        c ^ 0x0080_0000, // exponent off by one
    ];
    v.retain(|&x| x != c);
    v
}

/// Every claim a prover could make for `op` with result `bad`: normal mode with `bad`
/// (and, for an infinity, every virtual exponent-255 value nearby), reverse mode.
fn claims_for(op: &MacOp, bad: u32) -> Vec<(u32, u32, bool)> {
    let mut v = vec![(op.acc, bad, false), (bad, op.acc, true)];
    if bad & !SIGN_MASK == POS_INF {
        for frac in [1, 2, 0x40_0000, 0x7F_FFFF] {
            v.push((op.acc, bad | frac, false));
        }
    }
    v
}

#[test]
fn wrong_results_are_rejected() {
    let mut ops = sample_ops(99, 300);
    ops.extend(edge_ops());
    for op in &ops {
        let c = bf16_mac(op.acc, op.a, op.b);
        for bad in wrong_results(c) {
            for claim in claims_for(op, bad) {
                let row = claimed_row(op, claim);
                // The claimed op must really be the forged one...
                let (acc, _, _, out) = io_of(&row);
                if acc != op.acc || out == c {
                    continue;
                }
                // ...and no witness for it satisfies the chip.
                assert!(
                    !check_rows(row).is_empty(),
                    "{op:x?}: forged result {bad:#x} ({claim:x?}) accepted, correct {c:#x}"
                );
            }
        }
    }
}

/// The chip with `op` (and its correct result) as its one public op.
fn public_air(op: &MacOp) -> Bf16MacAir {
    let c = bf16_mac(op.acc, op.a, op.b);
    let limbs = [
        op.acc >> 16,
        op.acc & 0xFFFF,
        op.a as u32,
        op.b as u32,
        c >> 16,
        c & 0xFFFF,
    ];
    Bf16MacAir {
        io: OpIo::Public(PublicOps::new("test", &[limbs]).into()),
    }
}

#[test]
fn every_cell_is_constrained() {
    // Adding 1 to any one cell of an honest row (with its op public) breaks a
    // constraint or a lookup. The one free cell is `inv` when nothing was dropped in
    // normal mode (U = 0).
    let ops: Vec<MacOp> = sample_ops(7, 40).into_iter().chain(edge_ops()).collect();
    for op in &ops {
        let air = public_air(op);
        let mut row = vec![Val::ZERO; W];
        fill_mac_row(&mut row, op, None, &mut FpTableCounter::default()).unwrap();
        assert!(check_chip(&air, &RowMajorMatrix::new(row.clone(), W)).is_empty());
        let c: &Bf16MacCols<Val> = row[..].borrow();
        let inv_free = u(c.core.st) == 0 && u(c.core.rev) == 0;
        let inv_index = col_index(|c| &mut c.core.inv);
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

/// Index of a column, through a field accessor on a row of zeros.
fn col_index(f: impl Fn(&mut Bf16MacCols<Val>) -> &mut Val) -> usize {
    let mut row = [Val::ZERO; W];
    let c: &mut Bf16MacCols<Val> = row[..].borrow_mut();
    *f(c) = Val::ONE;
    row.iter().position(|&x| x == Val::ONE).unwrap()
}

/// A row for `op` built from a tampered product and alignment, with the result the
/// tampered sum rounds to: every group but the one guarding the tampered value holds.
fn tampered_row(
    op: &MacOp,
    tweak_p: impl Fn(&mut Product),
    tweak_al: impl Fn(&mut Aligned),
) -> Vec<Val> {
    let mut p = product(op.a, op.b).unwrap();
    tweak_p(&mut p);
    let mut al = align(op.acc, &p.op2, false).unwrap();
    tweak_al(&mut al);
    let z = round_virtual(&al);
    let mut row = vec![Val::ZERO; W];
    let mut counter = FpTableCounter::default();
    let cols: &mut Bf16MacCols<Val> = row[..].borrow_mut();
    write_mac_row(cols, op, &p, &mut counter);
    write_add_core(&mut cols.core, op.acc, z, false, Some(&al), &mut counter);
    row
}

fn assert_forgery_caught(name: &str, op: &MacOp, row: Vec<Val>, expect: &str) {
    // The forgery is real: the row claims a different result or decode.
    let fails = check_rows(row);
    assert!(!fails.is_empty(), "{name}: {op:x?} accepted");
    assert!(
        fails.iter().any(|f| f.contains(expect)),
        "{name}: {op:x?} caught by {fails:?}, expected {expect}"
    );
}

#[test]
fn each_constraint_group_is_load_bearing() {
    let op = MacOp {
        acc: 0x3FC0_0123,
        a: 0x3FAB,
        b: 0xC0CD,
    };
    let honest = tampered_row(&op, |_| {}, |_| {});
    assert!(check_rows(honest).is_empty());
    let lookup = "lookup";
    let constraint = "constraint";
    // factor decode: the exponent of a is off by one (product, sum, result consistent)
    let row = tampered_row(
        &op,
        |p| {
            p.ea += 1;
            p.op2.e += 1;
        },
        |_| {},
    );
    assert_forgery_caught("BF16N decode", &op, row, lookup);
    // product: hb * 256 + lb is not ga * gb
    let row = tampered_row(
        &op,
        |p| {
            p.lb ^= 1;
            p.op2.lo ^= 1 << 8;
        },
        |_| {},
    );
    assert_forgery_caught("product", &op, row, constraint);
    // normalization: an unnormalized product (hb < 128) with f = 0
    let op_small = MacOp {
        acc: 0x3F80_0000,
        a: 0x3F80,
        b: 0x3F80,
    }; // 128 * 128 = 2^14
    let row = tampered_row(
        &op_small,
        |p| {
            p.f = 0;
            p.hb = (p.ga * p.gb) >> 8;
            p.lb = (p.ga * p.gb) & 0xFF;
            p.op2 = crate::chips::addcore::Op2Val {
                e: p.ea + p.eb - 126,
                mh: p.hb,
                lo: p.lb << 8,
                ..p.op2
            };
        },
        |_| {},
    );
    assert_forgery_caught("product normalization", &op_small, row, lookup);
    // alignment: wrong shift parameters (the entry of another exponent difference)
    let row = tampered_row(
        &op,
        |_| {},
        |al| {
            al.w ^= 1;
        },
    );
    assert_forgery_caught("SHIFT", &op, row, lookup);
    // split: T != q * pw + r
    let row = tampered_row(
        &op,
        |_| {},
        |al| {
            al.q += 1;
            al.al += 1;
            al.resum();
        },
    );
    assert_forgery_caught("limb split", &op, row, constraint);
    // split range: q - 1, r + pw (T unchanged, r out of range)
    let op_far = MacOp {
        acc: 0x4B00_0000,
        a: 0x3FFF,
        b: 0x3F80,
    }; // d > 2: a real split
    let row = tampered_row(
        &op_far,
        |_| {},
        |al| {
            assert!(al.pw > 1 && al.q > 0);
            al.q -= 1;
            al.r += al.pw;
            al.al -= 1;
            al.resum();
        },
    );
    assert_forgery_caught("split range", &op_far, row, lookup);
    // aligned value: al off by one
    let row = tampered_row(
        &op,
        |_| {},
        |al| {
            al.al += 1;
            al.resum();
        },
    );
    assert_forgery_caught("aligned value", &op, row, constraint);
    // sticky: dropped bits treated as zero
    let row = tampered_row(
        &op_far,
        |_| {},
        |al| {
            assert_eq!(al.st, 1);
            al.st = 0;
            al.u = 0;
            al.resum();
        },
    );
    assert_forgery_caught("sticky", &op_far, row, constraint);
    // signs: an addition treated as a subtraction
    let row = tampered_row(
        &op,
        |_| {},
        |al| {
            al.sub ^= 1;
            al.resum();
        },
    );
    assert_forgery_caught("sub = s1 xor s2", &op, row, constraint);
    // rounding: the result one ulp off (everything else honest)
    let (o1, z, rev) = honest_claim(&op);
    let row = claimed_row(&op, (o1, z + 1, rev));
    assert_forgery_caught("ROUND", &op, row, lookup);
}

#[test]
fn decode_and_flag_columns_are_load_bearing() {
    let op = MacOp {
        acc: 0x3F80_0000,
        a: 0x3380,
        b: 0x3F80,
    }; // a tie: parity decides
    let claim = honest_claim(&op);
    let row = claimed_row(&op, claim);
    assert!(check_rows(row.clone()).is_empty());
    let idx = |f: fn(&mut Bf16MacCols<Val>) -> &mut Val| col_index(f);
    // a tie resolved with a forged parity bit: the LO16 decode catches it
    let mut bad = claimed_row(&op, (claim.0, claim.1 + 1, false));
    bad[idx(|c| &mut c.core.par)] = Val::ZERO;
    assert!(!check_rows(bad).is_empty(), "forged parity accepted");
    // the rounding scale pn must match j
    let mut bad = row.clone();
    bad[idx(|c| &mut c.core.pn)] = bad[idx(|c| &mut c.core.pn)].double();
    assert!(!check_rows(bad).is_empty());
    // reverse mode needs a nonzero result and a finite operand
    let zero_op = MacOp {
        acc: 0xBF80_0000,
        a: 0x3F80,
        b: 0x3F80,
    }; // -1 + 1 = +0
    let bad = claimed_row(&zero_op, (0x8000_0000, zero_op.acc, true));
    let (_, _, _, out) = io_of(&bad);
    assert_eq!(out, 0x8000_0000); // claims -0
    assert!(!check_rows(bad).is_empty(), "-0 via reverse mode accepted");
    let mut bad = row;
    bad[idx(|c| &mut c.core.rev)] = Val::TWO;
    assert!(!check_rows(bad).is_empty());
}

#[test]
fn public_io_binds_every_limb() {
    let ops = sample_ops(3, 8);
    let mut counter = FpTableCounter::default();
    let trace = generate_mac_trace(&ops, 3, &mut counter).unwrap();
    let public_rows: Vec<[u32; 6]> = ops
        .iter()
        .map(|op| {
            let c = bf16_mac(op.acc, op.a, op.b);
            [
                op.acc >> 16,
                op.acc & 0xFFFF,
                op.a as u32,
                op.b as u32,
                c >> 16,
                c & 0xFFFF,
            ]
        })
        .collect();
    let good = Bf16MacAir {
        io: OpIo::Public(PublicOps::new("test", &public_rows).into()),
    };
    assert!(check_chip(&good, &trace).is_empty());
    for limb in 0..6 {
        let mut rows = public_rows.clone();
        rows[5][limb] ^= 1;
        let bad = Bf16MacAir {
            io: OpIo::Public(PublicOps::new("test", &rows).into()),
        };
        assert!(!check_chip(&bad, &trace).is_empty(), "limb {limb} unbound");
    }
}
