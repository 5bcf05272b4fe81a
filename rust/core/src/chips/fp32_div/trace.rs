use core::borrow::BorrowMut;

use p3_field::{Field, PrimeCharacteristicRing};
use p3_matrix::dense::RowMajorMatrix;
use zkattest_softfloat::{f32_div, is_inf, is_nan, is_zero};

use super::columns::{Fp32DivCols, NUM_FP32_DIV_COLS};
use super::{DIV_G_OFFSET, DIV_SHIFT, ZERO_G_SHIFT};
use crate::chips::fp32_mul::FactorCols;
use crate::chips::fptables::content::{fe, fp32_hi, fp32_nrm, lo16, loz, muls_entry};
use crate::chips::fptables::FpTableCounter;
use crate::chips::opio::op_trace;
use crate::error::{Error, Result};
use crate::prover::Val;

/// One FP32 quotient `c = x / y`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DivOp {
    /// Dividend.
    pub x: u32,
    /// Divisor.
    pub y: u32,
}

impl Default for DivOp {
    /// The padding op `+0 / 1 = +0`.
    fn default() -> Self {
        Self {
            x: 0,
            y: 0x3F80_0000,
        }
    }
}

/// Whether [`super::Fp32DivAir`] proves `x / y`: both finite, `y` nonzero, and the
/// quotient finite (no overflow to infinity).
pub fn fp32_div_provable(op: &DivOp) -> bool {
    let finite = |v: u32| !is_nan(v) && !is_inf(v);
    finite(op.x) && finite(op.y) && !is_zero(op.y) && finite(f32_div(op.x, op.y))
}

/// Fills an operand's columns (decode and normalized limbs, see `eval_factor`);
/// returns `(normalized significand, normalized exponent)`.
pub(crate) fn fill_factor(
    u: &mut FactorCols<Val>,
    w: u32,
    counter: &mut FpTableCounter,
) -> (u64, i64) {
    let (hi, lo) = (w >> 16, w & 0xFFFF);
    let n = fp32_nrm(hi).expect("finite operand");
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

/// The witness of one row after the operand decode, as integers (tests tamper with it
/// to build forgeries that break exactly one constraint group).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct DivWitness {
    pub(crate) zx: i64,
    pub(crate) q: [i64; 3],
    pub(crate) r: [i64; 2],
    pub(crate) c: [i64; 2],
    pub(crate) d: [i64; 2],
    pub(crate) vh: i64,
    pub(crate) f: i64,
    pub(crate) hi: i64,
    pub(crate) pw: i64,
    pub(crate) mr: i64,
    pub(crate) jb: i64,
    pub(crate) aq: i64,
    pub(crate) ar: i64,
    pub(crate) al: i64,
    pub(crate) st: i64,
    /// Sticky sum `U` (its inverse is the `inv` column).
    pub(crate) u: i64,
    /// The result word (exponent 255 only in forgeries).
    pub(crate) z: u32,
    pub(crate) sz: i64,
    pub(crate) pn: i64,
}

/// `G` of an operand pair (see the module docs) and the `MULS` key `(G, f)`.
pub(crate) fn div_g(gx: i64, gy: i64, zx: i64) -> i64 {
    gx - gy + DIV_G_OFFSET as i64 - zx * ZERO_G_SHIFT as i64
}

/// `(Nx, Ny, gx, gy)`: the operands' normalized significands and exponents.
fn normalized(op: &DivOp) -> (u64, u64, i64, i64) {
    let mut scratch = FactorCols::default();
    let mut c = FpTableCounter::default();
    let (nx, gx) = fill_factor(&mut scratch, op.x, &mut c);
    let (ny, gy) = fill_factor(&mut scratch, op.y, &mut c);
    (nx, ny, gx, gy)
}

/// The honest quotient and remainder `(Q, R)` of `2^26 Nx / Ny` (`Ny = 0` gives `(0, 0)`;
/// such an op is rejected before).
pub(crate) fn div_qr(op: &DivOp) -> (u64, u64) {
    let (nx, ny, _, _) = normalized(op);
    let num = nx << DIV_SHIFT;
    match ny {
        0 => (0, 0),
        _ => (num / ny, num % ny),
    }
}

/// The honest witness of `op` (claiming `z`, or the reference result).
pub(crate) fn div_witness(op: &DivOp, claim: Option<u32>) -> DivWitness {
    let (q, r) = div_qr(op);
    div_witness_qr(op, q, r, claim.unwrap_or_else(|| f32_div(op.x, op.y)))
}

/// The witness of `op` built on a quotient `q` and remainder `r` (honest or not)
/// claiming the result `z`: carries, alignment and sticky bit follow from them.
pub(crate) fn div_witness_qr(op: &DivOp, q: u64, r: u64, z: u32) -> DivWitness {
    let (nx, ny, gx, gy) = normalized(op);
    let (y1, y0) = (ny >> 12, ny & 0xFFF);
    let q0 = q & 0xFFF;
    let q1 = (q >> 12) & 0xFFF;
    let q2 = q >> 24;
    let (r1, r0) = (r >> 12, r & 0xFFF);
    let c0 = (q0 * y0 + r0) >> 12;
    let c1 = (q1 * y0 + q0 * y1 + r1 + c0) >> 12;
    let d = ny.wrapping_sub(1).wrapping_sub(r) & 0xFF_FFFF;
    let zx = (nx == 0) as i64;
    let (vh, vl) = (q >> 16, q & 0xFFFF);
    let f = (q != 0 && q < 1 << 26) as i64;
    let g = div_g(gx, gy, zx);
    let m = muls_entry(g as i32, f as u32)
        .filter(|m| m.no == 0)
        .unwrap_or_else(|| muls_entry(MULS_NEUTRAL_G, 0).unwrap());
    let tt = if m.hi == 1 { vh } else { vl };
    let aq = tt >> m.mr;
    let ar = tt & (m.pw as u64 - 1);
    let al = (1 - m.hi as u64) * (vh << (16 - m.mr)) + aq;
    let u = ar + m.hi as u64 * vl + r;
    let jm = fp32_hi(z >> 16).e as i64 - m.jb as i64;
    let pn = if (0..=2).contains(&jm) {
        1 << (jm + 3)
    } else {
        0
    };
    DivWitness {
        zx,
        q: [q0 as i64, q1 as i64, q2 as i64],
        r: [r0 as i64, r1 as i64],
        c: [c0 as i64, c1 as i64],
        d: [(d & 0xFFF) as i64, (d >> 12) as i64],
        vh: vh as i64,
        f,
        hi: m.hi as i64,
        pw: m.pw as i64,
        mr: m.mr as i64,
        jb: m.jb as i64,
        aq: aq as i64,
        ar: ar as i64,
        al: al as i64,
        st: (u != 0) as i64,
        u: u as i64,
        z,
        sz: ((op.x ^ op.y) >> 31) as i64,
        pn,
    }
}

/// An exponent sum whose `MULS` entry exists (for rows outside the table).
const MULS_NEUTRAL_G: i32 = 200;

/// Writes a row for `op` from witness `w`, counting its table lookups.
pub(crate) fn write_div_row(
    row: &mut [Val],
    op: &DivOp,
    w: &DivWitness,
    counter: &mut FpTableCounter,
) {
    let cols: &mut Fp32DivCols<Val> = row.borrow_mut();
    let (_, gx) = fill_factor(&mut cols.x, op.x, counter);
    let (ny, gy) = fill_factor(&mut cols.y, op.y, counter);
    counter.vr(11, (ny >> 12).wrapping_sub(1 << 11) as u32);
    let v = |x: i64| fe(x);
    cols.zx = v(w.zx);
    [cols.q0, cols.q1, cols.q2] = w.q.map(v);
    [cols.r0, cols.r1] = w.r.map(v);
    [cols.c0, cols.c1] = w.c.map(v);
    [cols.dl, cols.dh] = w.d.map(v);
    cols.vh = v(w.vh);
    cols.f = v(w.f);
    cols.hi = v(w.hi);
    cols.pw = v(w.pw);
    cols.mr = v(w.mr);
    cols.jb = v(w.jb);
    cols.aq = v(w.aq);
    cols.ar = v(w.ar);
    cols.al = v(w.al);
    cols.st = v(w.st);
    cols.inv = v(w.u).try_inverse().unwrap_or(Val::ZERO);
    let z = w.z;
    let dz = fp32_hi(z >> 16);
    let (par, isz) = lo16(z & 0xFFFF);
    cols.z_hi = Val::from_u32(z >> 16);
    cols.z_lo = Val::from_u32(z & 0xFFFF);
    cols.sz = v(w.sz);
    cols.ez = Val::from_u32(dz.e);
    cols.mhz = Val::from_u32(dz.mh);
    cols.cz = Val::from_u32(dz.cz);
    cols.par = Val::from_u32(par);
    cols.isz = Val::from_u32(isz);
    cols.pn = v(w.pn);
    // lookups, in the AIR's order
    for (bits, x) in [
        (12, w.q[0]),
        (12, w.q[1]),
        (3, w.q[2]),
        (12, w.r[0]),
        (12, w.r[1]),
        (12, w.c[0]),
        (14, w.c[1]),
        (12, w.d[0]),
        (12, w.d[1]),
        (11, w.vh),
    ] {
        counter.vr(bits, x as u32);
    }
    let q = (w.q[2] << 24) + (w.q[1] << 12) + w.q[0];
    let vl = q - (w.vh << 16);
    counter.vr(16, vl as u32);
    counter.vr(10, (w.vh * (1 + w.f) - 1024 + 1024 * w.zx) as u32);
    counter.muls(div_g(gx, gy, w.zx) as i32, w.f as u32);
    counter.vr((16 - 5 * w.hi - w.mr) as u32, w.aq as u32);
    counter.vr(w.mr as u32, w.ar as u32);
    counter.fp32_full(z >> 16);
    counter.lo16(z & 0xFFFF);
    let mz = ((dz.mh as i64) << 16) | (z & 0xFFFF) as i64;
    let err = 2 * w.al + w.st - mz * w.pn;
    counter.mround([
        dz.e as i64 - w.jb,
        w.pn,
        err,
        dz.cz as i64,
        par as i64,
        isz as i64,
    ]);
}

/// Fills one row for `op`; with `claim = Some(z)` the result columns hold `z` instead
/// of the honest result.
pub(crate) fn fill_fp32_div_row(
    row: &mut [Val],
    op: &DivOp,
    claim: Option<u32>,
    counter: &mut FpTableCounter,
) -> Result<()> {
    if !fp32_div_provable(op) {
        return Err(Error::InvalidInput(format!(
            "fp32 div {:#010x} / {:#010x}: operands must be finite, the divisor nonzero \
             and the quotient finite",
            op.x, op.y
        )));
    }
    let w = div_witness(op, claim);
    write_div_row(row, op, &w, counter);
    Ok(())
}

/// The main trace for `ops` padded with `+0 / 1` rows to `2^log_height` rows.
pub fn generate_fp32_div_trace(
    ops: &[DivOp],
    log_height: usize,
    counter: &mut FpTableCounter,
) -> Result<RowMajorMatrix<Val>> {
    let pad = DivOp::default();
    op_trace(
        ops,
        &pad,
        NUM_FP32_DIV_COLS,
        log_height,
        counter,
        |row, op, acc| fill_fp32_div_row(row, op, None, acc),
    )
}
