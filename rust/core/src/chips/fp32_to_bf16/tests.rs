//! Constraint-level tests of the `Fp32ToBf16` chip.

use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use zkattest_softfloat::f32_to_bf16;

use super::trace::fill_to_bf16_row;
use super::*;
use crate::chips::fptables::FpTableCounter;
use crate::chips::opio::{OpIo, PublicOps};
use crate::chips::testing::{check_chip, Sm64};
use crate::prover::Val;

const W: usize = NUM_FP32_TO_BF16_COLS;

fn air(xs: &[u32], cs: &[u32]) -> Fp32ToBf16Air {
    let rows: Vec<[u32; 6]> = xs
        .iter()
        .zip(cs)
        .map(|(&x, &c)| [x >> 16, x & 0xFFFF, 0, 0, 0, c])
        .collect();
    Fp32ToBf16Air {
        io: OpIo::Public(PublicOps::new("test", &rows).into()),
    }
}

#[test]
fn every_low_half_and_many_high_halves_match_softfloat() {
    // Every low half (the rounding) against high halves with each parity, the top of
    // the finite range (rounding to infinity) and subnormals.
    let mut rng = Sm64(3);
    let mut his: Vec<u32> = vec![0x0000, 0x007F, 0x3F80, 0x3F81, 0x7F7F, 0xFF7F, 0x8001];
    his.extend((0..8).map(|_| (rng.fp32() >> 16) & 0xFF7F));
    for hi in his {
        let xs: Vec<u32> = (0..1u32 << 16).map(|lo| hi << 16 | lo).collect();
        let cs: Vec<u32> = xs.iter().map(|&x| f32_to_bf16(x) as u32).collect();
        let mut counter = FpTableCounter::default();
        let trace = generate_to_bf16_trace(&xs, 16, &mut counter).unwrap();
        assert_eq!(counter.misses(), 0);
        let fails = check_chip(&air(&xs, &cs), &trace);
        assert!(
            fails.is_empty(),
            "{hi:#x}: {:?}",
            &fails[..fails.len().min(4)]
        );
    }
}

#[test]
fn wrong_results_and_cells_are_rejected() {
    let mut rng = Sm64(8);
    for _ in 0..300 {
        let x = rng.fp32();
        let c = f32_to_bf16(x) as u32;
        let mut row = vec![Val::ZERO; W];
        fill_to_bf16_row(&mut row, x, &mut FpTableCounter::default());
        assert!(check_chip(&air(&[x], &[c]), &RowMajorMatrix::new(row.clone(), W)).is_empty());
        for bad in [c + 1, c.wrapping_sub(1) & 0xFFFF, c ^ 0x8000, 0x7FC0] {
            let fails = check_chip(&air(&[x], &[bad]), &RowMajorMatrix::new(row.clone(), W));
            assert!(!fails.is_empty(), "{x:#x} -> {bad:#x} accepted");
        }
        for i in 0..W {
            let mut bad = row.clone();
            bad[i] += Val::ONE;
            let fails = check_chip(&air(&[x], &[c]), &RowMajorMatrix::new(bad, W));
            assert!(!fails.is_empty(), "{x:#x}: column {i} changed and accepted");
        }
    }
    // Inf / NaN inputs are not provable.
    for x in [0x7F80_0000, 0xFFC0_0000] {
        assert!(generate_to_bf16_trace(&[x], 1, &mut FpTableCounter::default()).is_err());
    }
}
