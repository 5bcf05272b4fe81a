use core::borrow::BorrowMut;

use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use zkattest_softfloat::{is_inf, is_nan};

use super::columns::{Fp32ToBf16Cols, NUM_FP32_TO_BF16_COLS};
use crate::chips::fptables::FpTableCounter;
use crate::chips::opio::op_trace;
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
    if xs.len() <= 1 << log_height {
        if let Some(&x) = xs.iter().find(|&&x| is_nan(x) || is_inf(x)) {
            return Err(Error::InvalidInput(format!(
                "fp32 to bf16 of {x:#010x}: inputs must be finite"
            )));
        }
    }
    op_trace(
        xs,
        &0,
        NUM_FP32_TO_BF16_COLS,
        log_height,
        counter,
        |row, &x, acc| {
            fill_to_bf16_row(row, x, acc);
            Ok(())
        },
    )
}
