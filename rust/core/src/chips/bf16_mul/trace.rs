use core::borrow::BorrowMut;

use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use zkattest_softfloat::bf16_mul_f32;

use super::columns::{Bf16MulCols, NUM_BF16_MUL_COLS};
use crate::chips::fptables::content::{bf16_norm, fe, mulq_entry};
use crate::chips::fptables::FpTableCounter;
use crate::chips::opio::op_trace;
use crate::error::{Error, Result};
use crate::prover::Val;

/// One product `c = bf16_mul_f32(a, b)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MulOp {
    /// BF16 factor.
    pub a: u16,
    /// BF16 factor.
    pub b: u16,
}

/// Whether [`super::Bf16MulAir`] proves `a * b`: both finite.
pub fn mul_provable(op: &MulOp) -> bool {
    bf16_norm(op.a as u32).is_some() && bf16_norm(op.b as u32).is_some()
}

/// Fills one row; `claim_f` overrides the normalization bit and `claim_rnd` the
/// rounding increment (for tests of forged witnesses). Returns the result the row
/// encodes.
pub(crate) fn fill_mul_row(
    row: &mut [Val],
    op: &MulOp,
    claim_f: Option<u32>,
    claim_rnd: Option<u32>,
    counter: &mut FpTableCounter,
) -> Result<u32> {
    let (da, db) = match (bf16_norm(op.a as u32), bf16_norm(op.b as u32)) {
        (Some(a), Some(b)) => (a, b),
        _ => {
            return Err(Error::InvalidInput(format!(
                "bf16 mul {:#06x} * {:#06x}: factors must be finite",
                op.a, op.b
            )))
        }
    };
    let p = da.sig * db.sig;
    let q = da.e + db.e;
    let f = claim_f.unwrap_or((p != 0 && p < 1 << 15) as u32);
    let pn = p << f;
    let (hb, lb) = (pn >> 8, pn & 0xFF);
    let e = mulq_entry(q, f);
    let m = e.unwrap_or(mulq_entry(0, 0).unwrap_or_else(|| mulq_entry(-600, 0).unwrap()));
    let s = m.sbits();
    let (u, g, l) = (p >> (s + 1), (p >> s) & 1, p & (m.ps - 1));
    let rnd = claim_rnd.unwrap_or_else(|| {
        let h = l + m.hs - 1 + g;
        (h >= m.ps) as u32
    });
    let mc = if m.ne == 1 { p * m.pw } else { 2 * u + g + rnd };
    let cols: &mut Bf16MulCols<Val> = row.borrow_mut();
    let v = |x: u32| Val::from_u32(x);
    cols.a = v(op.a as u32);
    cols.b = v(op.b as u32);
    cols.sa = v(da.s);
    cols.ea = fe(da.e as i64);
    cols.ga = v(da.sig);
    cols.sb = v(db.s);
    cols.eb = fe(db.e as i64);
    cols.gb = v(db.sig);
    cols.f = v(f);
    cols.hb = v(hb);
    cols.lb = v(lb);
    cols.nn = v(m.nn);
    cols.no = v(m.no);
    cols.ne = v(m.ne);
    cols.pw = v(m.pw);
    cols.ps = v(m.ps);
    cols.hs = v(m.hs);
    cols.sbits = v(s);
    cols.ub = v(m.ub);
    cols.u = v(u);
    cols.g = v(g);
    cols.l = v(l);
    cols.rnd = v(rnd);
    cols.mc_hi = v(mc >> 16);
    cols.mc_lo = v(mc & 0xFFFF);
    counter.bf16n(op.a as u32);
    counter.bf16n(op.b as u32);
    counter.vr(8, hb);
    counter.vr(8, lb);
    counter.vr(8, hb.wrapping_sub(128 * (m.nn + m.no)));
    if e.is_some() {
        counter.mulq(q, f);
    } else {
        counter.mulq(i32::MIN, 0);
    }
    counter.vr(s, l);
    counter.vr(m.ub, u);
    counter.vr(s, (l + m.hs + g).wrapping_sub(1 + rnd * m.ps));
    counter.vr(16, mc & 0xFFFF);
    counter.vr(8, mc >> 16);
    let sign = (da.s ^ db.s) << 31;
    Ok(if m.nn == 1 {
        let e2 = (q - 126 - f as i32) as u32;
        sign | (((e2 - 1) << 23) + (hb << 16) + (lb << 8))
    } else if m.no == 1 {
        sign | 0x7F80_0000
    } else {
        sign | mc
    })
}

/// The main trace for `ops` padded with `0 * 0` rows to `2^log_height` rows.
pub fn generate_mul_trace(
    ops: &[MulOp],
    log_height: usize,
    counter: &mut FpTableCounter,
) -> Result<RowMajorMatrix<Val>> {
    let pad = MulOp::default();
    op_trace(
        ops,
        &pad,
        NUM_BF16_MUL_COLS,
        log_height,
        counter,
        |row, op, acc| {
            let c = fill_mul_row(row, op, None, None, acc)?;
            if c != bf16_mul_f32(op.a, op.b) {
                return Err(Error::Proving(format!(
                    "bf16 mul {op:x?}: witness gives {c:#010x}, reference {:#010x}",
                    bf16_mul_f32(op.a, op.b)
                )));
            }
            Ok(())
        },
    )
}
