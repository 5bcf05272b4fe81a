use core::borrow::BorrowMut;

use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use rayon::prelude::*;
use zkattest_softfloat::{is_inf, is_nan};

use super::columns::{Fp32ToBf16Cols, NUM_FP32_TO_BF16_COLS};
use crate::chips::fptables::FpTableCounter;
use crate::error::{Error, Result};
use crate::prover::Val;

/// Fills one row for the finite word `x`; returns the BF16 result it encodes.
pub(crate) fn fill_to_bf16_row(row: &mut [Val], x: u32, counter: &mut FpTableCounter) -> u32 {
    let (hi, lo) = (x >> 16, x & 0xFFFF);
    let (par, gt, eq) = (hi & 1, (lo > 0x8000) as u32, (lo == 0x8000) as u32);
    let cols: &mut Fp32ToBf16Cols<Val> = row.borrow_mut();
    cols.x_hi = Val::from_u32(hi);
    cols.x_lo = Val::from_u32(lo);
    cols.par = Val::from_u32(par);
    cols.gt = Val::from_u32(gt);
    cols.eq = Val::from_u32(eq);
    counter.finpar(hi);
    counter.half(lo);
    hi + gt + eq * par
}

/// The main trace for `xs` padded with `+0` rows to `2^log_height` rows.
pub fn generate_to_bf16_trace(
    xs: &[u32],
    log_height: usize,
    counter: &mut FpTableCounter,
) -> Result<RowMajorMatrix<Val>> {
    let height = 1usize << log_height;
    if xs.len() > height {
        return Err(Error::InvalidInput(format!(
            "{} ops do not fit 2^{log_height} rows",
            xs.len()
        )));
    }
    if let Some(&x) = xs.iter().find(|&&x| is_nan(x) || is_inf(x)) {
        return Err(Error::InvalidInput(format!(
            "fp32 to bf16 of {x:#010x}: inputs must be finite"
        )));
    }
    let mut values = Val::zero_vec(height * NUM_FP32_TO_BF16_COLS);
    let counts = values
        .par_chunks_mut(NUM_FP32_TO_BF16_COLS)
        .enumerate()
        .fold(FpTableCounter::default, |mut acc, (i, row)| {
            fill_to_bf16_row(row, xs.get(i).copied().unwrap_or(0), &mut acc);
            acc
        })
        .reduce(FpTableCounter::default, |mut a, b| {
            a.merge(&b);
            a
        });
    counter.merge(&counts);
    Ok(RowMajorMatrix::new(values, NUM_FP32_TO_BF16_COLS))
}
