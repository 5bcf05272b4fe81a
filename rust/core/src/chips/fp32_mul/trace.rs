use core::borrow::BorrowMut;

use p3_field::{Field, PrimeCharacteristicRing};
use p3_matrix::dense::RowMajorMatrix;
use zkattest_softfloat::{f32_mul, is_inf, is_nan, POS_INF, SIGN_MASK};

use super::columns::{FactorCols, Fp32MulCols, NUM_FP32_MUL_COLS};
use crate::chips::fptables::content::{fe, fp32_hi, fp32_nrm, lo16, loz, muls_entry};
use crate::chips::fptables::FpTableCounter;
use crate::chips::opio::op_trace;
use crate::error::{Error, Result};
use crate::prover::Val;

/// One FP32 product `c = x * y`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MulOp {
    /// Factor.
    pub x: u32,
    /// Factor.
    pub y: u32,
}

/// Whether [`super::Fp32MulAir`] proves `x * y`: both finite.
pub fn fp32_mul_provable(op: &MulOp) -> bool {
    [op.x, op.y].iter().all(|&v| !is_nan(v) && !is_inf(v))
}

/// Fills a factor's columns; returns `(normalized significand, normalized exponent)`.
fn fill_factor(u: &mut FactorCols<Val>, w: u32, counter: &mut FpTableCounter) -> (u64, i64) {
    let (hi, lo) = (w >> 16, w & 0xFFFF);
    let n = fp32_nrm(hi).expect("finite factor");
    let (clz, pc) = loz(lo);
    let m =
        n.ph as u64 * (((n.mh as u64) << 16) + lo as u64 * if n.hz == 1 { pc as u64 } else { 1 });
    let v = |x: u32| Val::from_u32(x);
    u.hi = v(hi);
    u.lo = v(lo);
    u.s = v(n.s);
    u.en = fe(n.en as i64);
    u.mh = v(n.mh);
    u.ph = v(n.ph);
    u.hz = v(n.hz);
    u.clz = v(clz);
    u.pc = v(pc);
    u.n1 = Val::from_u64(m >> 12);
    u.n0 = Val::from_u64(m & 0xFFF);
    counter.fp32_nrm(hi);
    counter.loz(lo);
    counter.vr(12, (m >> 12) as u32);
    counter.vr(12, (m & 0xFFF) as u32);
    (m, n.en as i64 - (n.hz * clz) as i64)
}

/// Fills one row for `op`; with `claim = Some(z)` the result columns hold `z` (a
/// virtual word with exponent 255 for infinity) instead of the honest result.
pub(crate) fn fill_fp32_mul_row(
    row: &mut [Val],
    op: &MulOp,
    claim: Option<u32>,
    counter: &mut FpTableCounter,
) -> Result<()> {
    if !fp32_mul_provable(op) {
        return Err(Error::InvalidInput(format!(
            "fp32 mul {:#010x} * {:#010x}: factors must be finite",
            op.x, op.y
        )));
    }
    let cols: &mut Fp32MulCols<Val> = row.borrow_mut();
    let (mx, gx) = fill_factor(&mut cols.x, op.x, counter);
    let (my, gy) = fill_factor(&mut cols.y, op.y, counter);
    let (x1, x0, y1, y0) = (mx >> 12, mx & 0xFFF, my >> 12, my & 0xFFF);
    let p0 = x0 * y0;
    let (d0, c0) = (p0 & 0xFFF, p0 >> 12);
    let s1 = x1 * y0 + x0 * y1 + c0;
    let (d1, c1) = (s1 & 0xFFF, s1 >> 12);
    let q2 = x1 * y1 + c1;
    let t = d1 >> 9;
    let v1 = 8 * q2 + t;
    let (vh, vl) = (v1 >> 16, v1 & 0xFFFF);
    let p = mx * my;
    let zq = (p == 0) as u32;
    let f = (p != 0 && p < 1 << 47) as u32;
    let g = (gx + gy) as i32;
    let e = muls_entry(g, f);
    let m = e.unwrap_or_else(|| muls_entry(MULS_NEUTRAL_G, 0).unwrap());
    let tt = if m.hi == 1 { vh } else { vl };
    let q = tt >> m.mr;
    let r = tt & (m.pw as u64 - 1);
    let al = (1 - m.hi as u64) * (vh << (16 - m.mr)) + q;
    let u = r + m.hi as u64 * vl + (d1 & 511) + d0;
    let st = (u != 0) as u64;
    let sum = 2 * al as i64 + st as i64;
    let v = |x: u64| Val::from_u64(x);
    cols.d0 = v(d0);
    cols.d1 = v(d1);
    cols.c0 = v(c0);
    cols.c1 = v(c1);
    cols.t = v(t);
    cols.vh = v(vh);
    cols.f = v(f as u64);
    cols.zq = v(m.zq as u64);
    cols.no = v(m.no as u64);
    cols.hi = v(m.hi as u64);
    cols.pw = v(m.pw as u64);
    cols.mr = v(m.mr as u64);
    cols.jb = fe(m.jb as i64);
    cols.q = v(q);
    cols.r = v(r);
    cols.al = v(al);
    cols.st = v(st);
    cols.inv = Val::from_u64(u).try_inverse().unwrap_or(Val::ZERO);
    for (bits, x) in [(12, d0), (12, d1), (12, c0), (14, c1)] {
        counter.vr(bits, x as u32);
    }
    counter.vr(3, t as u32);
    counter.vr(9, (d1 & 511) as u32);
    counter.vr(11, vh as u32);
    counter.vr(16, vl as u32);
    counter.vr(
        10,
        ((vh * (1 + f as u64)) as u32 + 1024 * zq).wrapping_sub(1024),
    );
    match e {
        Some(_) => counter.muls(g, f),
        None => counter.muls(i32::MIN, 0),
    }
    counter.vr((16 - 5 * m.hi).wrapping_sub(m.mr), q as u32);
    counter.vr(m.mr, r as u32);
    // The result: the reference, with an infinity as the virtual 2^128.
    let z = claim.unwrap_or_else(|| {
        let c = f32_mul(op.x, op.y);
        if is_inf(c) {
            (c & SIGN_MASK) | POS_INF
        } else {
            c
        }
    });
    let dz = fp32_hi(z >> 16);
    let (par, isz) = lo16(z & 0xFFFF);
    cols.z_hi = Val::from_u32(z >> 16);
    cols.z_lo = Val::from_u32(z & 0xFFFF);
    cols.sz = Val::from_u32(dz.s);
    cols.ez = Val::from_u32(dz.e);
    cols.mhz = Val::from_u32(dz.mh);
    cols.ovf = Val::from_u32(dz.ovf);
    cols.cz = Val::from_u32(dz.cz);
    cols.par = Val::from_u32(par);
    cols.isz = Val::from_u32(isz);
    counter.fp32_full(z >> 16);
    counter.lo16(z & 0xFFFF);
    let jm = if m.no == 1 {
        0
    } else {
        dz.e as i64 - m.jb as i64
    };
    let pn: u64 = if (0..=2).contains(&jm) {
        1 << (jm + 3)
    } else {
        0
    };
    cols.pn = v(pn);
    let mz = ((dz.mh as i64) << 16) | (z & 0xFFFF) as i64;
    let err = if m.no == 1 { 0 } else { sum - mz * pn as i64 };
    counter.mround([jm, pn as i64, err, dz.cz as i64, par as i64, isz as i64]);
    Ok(())
}

/// An exponent sum whose `MULS` entry exists (for rows outside the table).
const MULS_NEUTRAL_G: i32 = 200;

/// The main trace for `ops` padded with `0 * 0` rows to `2^log_height` rows.
pub fn generate_fp32_mul_trace(
    ops: &[MulOp],
    log_height: usize,
    counter: &mut FpTableCounter,
) -> Result<RowMajorMatrix<Val>> {
    let pad = MulOp::default();
    op_trace(
        ops,
        &pad,
        NUM_FP32_MUL_COLS,
        log_height,
        counter,
        |row, op, acc| fill_fp32_mul_row(row, op, None, acc),
    )
}
