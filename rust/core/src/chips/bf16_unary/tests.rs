//! Constraint-level tests of the `Bf16Unary` chip.

use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;

use super::*;
use crate::chips::fptables::unary::UnaryFn;
use crate::chips::fptables::FpTableCounter;
use crate::chips::opio::{OpIo, PublicOps};
use crate::chips::testing::check_chip;
use crate::prover::Val;

fn air(ops: &[(UnaryFn, u16)], ys: &[u16]) -> Bf16UnaryAir {
    let rows: Vec<[u32; 6]> = ops
        .iter()
        .zip(ys)
        .map(|(&(f, x), &y)| [x as u32, f as u32, 0, 0, 0, y as u32])
        .collect();
    Bf16UnaryAir {
        io: OpIo::Public(PublicOps::new("test", &rows).into()),
    }
}

#[test]
fn every_argument_of_every_function() {
    for f in UnaryFn::ALL {
        let ops: Vec<(UnaryFn, u16)> = (0..=u16::MAX)
            .filter(|&x| f.eval(x).is_some())
            .map(|x| (f, x))
            .collect();
        let ys: Vec<u16> = ops.iter().map(|&(f, x)| f.eval(x).unwrap()).collect();
        let mut counter = FpTableCounter::default();
        let mut padded = ops.clone();
        padded.resize(1 << 16, (UnaryFn::Gelu, 0));
        let mut ys_p = ys.clone();
        ys_p.resize(1 << 16, 0);
        let trace = generate_unary_trace(&padded, 16, &mut counter).unwrap();
        assert_eq!(counter.misses(), 0);
        assert!(
            check_chip(&air(&padded, &ys_p), &trace).is_empty(),
            "{}",
            f.name()
        );
    }
}

#[test]
fn wrong_results_and_arguments_are_rejected() {
    for (f, x) in [
        (UnaryFn::Gelu, 0x3F80u16),
        (UnaryFn::Exp, 0xC000),
        (UnaryFn::Exp, 0x0001),
    ] {
        let y = f.eval(x).unwrap();
        let row = |f: UnaryFn, x: u16, y: u16| {
            RowMajorMatrix::new(
                [f as u32, x as u32, y as u32].map(Val::from_u32).to_vec(),
                3,
            )
        };
        assert!(check_chip(&air(&[(f, x)], &[y]), &row(f, x, y)).is_empty());
        for bad in [y + 1, y - 1, y ^ 0x8000, 0x7FC0] {
            // the row proves bad, the public op claims bad: the table refuses it
            assert!(!check_chip(&air(&[(f, x)], &[bad]), &row(f, x, bad)).is_empty());
        }
        // another function's value, an unknown function id
        let other = if f == UnaryFn::Gelu {
            UnaryFn::Exp
        } else {
            UnaryFn::Gelu
        };
        let oy = other.eval(x).unwrap();
        if oy != y {
            assert!(!check_chip(&air(&[(f, x)], &[oy]), &row(f, x, oy)).is_empty());
        }
        let mut m = row(f, x, y);
        m.values[0] = Val::from_u32(9);
        assert!(!check_chip(&air(&[(f, x)], &[y]), &m).is_empty());
    }
    assert!(
        generate_unary_trace(&[(UnaryFn::Exp, 0x7F80)], 1, &mut FpTableCounter::default()).is_err()
    );
}
