use core::borrow::BorrowMut;

use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use zkattest_softfloat::{f32_add, is_inf, is_nan};

use super::columns::{Fp32AddCols, NUM_FP32_ADD_COLS};
use crate::chips::addcore::{populate_add_core, solve_add_core, Op2Val};
use crate::chips::fptables::content::fp32_hi;
use crate::chips::fptables::FpTableCounter;
use crate::chips::opio::op_trace;
use crate::error::{Error, Result};
use crate::prover::Val;

/// One FP32 addition `c = x + y`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AddOp {
    /// First operand.
    pub x: u32,
    /// Second operand.
    pub y: u32,
}

/// Operand 2 of the core for `y`.
pub(crate) fn operand(y: u32) -> Op2Val {
    let d = fp32_hi(y >> 16);
    Op2Val {
        sign: d.s,
        e: d.e as i32,
        mh: d.mh,
        lo: y & 0xFFFF,
    }
}

/// Whether [`super::Fp32AddAir`] proves `x + y`: both finite.
pub fn add_provable(op: &AddOp) -> bool {
    [op.x, op.y].iter().all(|&v| !is_nan(v) && !is_inf(v))
}

/// Fills one row (honest with `claim = None`, else the core takes `(o1, z, rev)`).
pub(crate) fn fill_add_row(
    row: &mut [Val],
    op: &AddOp,
    claim: Option<(u32, u32, bool)>,
    counter: &mut FpTableCounter,
) -> Result<()> {
    let unsupported = || {
        Error::InvalidInput(format!(
            "fp32 add {:#010x} + {:#010x} is not provable (inputs must be finite)",
            op.x, op.y
        ))
    };
    let cols: &mut Fp32AddCols<Val> = row.borrow_mut();
    let op2 = operand(op.y);
    let (o1, z, rev) = match claim {
        Some(c) => c,
        None => {
            if !add_provable(op) {
                return Err(unsupported());
            }
            solve_add_core(op.x, &op2, f32_add(op.x, op.y)).ok_or_else(unsupported)?
        }
    };
    let d = fp32_hi(op.y >> 16);
    let v = |x: u32| Val::from_u32(x);
    cols.y_hi = v(op.y >> 16);
    cols.y_lo = v(op.y & 0xFFFF);
    cols.sy = v(d.s);
    cols.ey = v(d.e);
    cols.mhy = v(d.mh);
    counter.fp32_fin(op.y >> 16);
    counter.vr(16, op.y & 0xFFFF);
    if !populate_add_core(&mut cols.core, o1, &op2, z, rev, counter) && claim.is_none() {
        return Err(unsupported());
    }
    Ok(())
}

/// The main trace for `ops` padded with `0 + 0` rows to `2^log_height` rows.
pub fn generate_add_trace(
    ops: &[AddOp],
    log_height: usize,
    counter: &mut FpTableCounter,
) -> Result<RowMajorMatrix<Val>> {
    let pad = AddOp::default();
    op_trace(
        ops,
        &pad,
        NUM_FP32_ADD_COLS,
        log_height,
        counter,
        |row, op, acc| fill_add_row(row, op, None, acc),
    )
}
