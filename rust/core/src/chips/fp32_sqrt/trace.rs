use core::borrow::BorrowMut;

use p3_field::{Field, PrimeCharacteristicRing};
use p3_matrix::dense::RowMajorMatrix;
use zkattest_softfloat::{f32_sqrt, is_inf, is_nan, is_zero, SIGN_MASK};

use super::columns::{Fp32SqrtCols, NUM_FP32_SQRT_COLS};
use super::{EXP_OFFSET, H_BIAS, H_BITS, JB_OFFSET, SQRT_SHIFT, ZERO_H_SHIFT};
use crate::chips::fp32_div::fill_factor;
use crate::chips::fp32_mul::FactorCols;
use crate::chips::fptables::content::{fe, fp32_hi, lo16};
use crate::chips::fptables::FpTableCounter;
use crate::chips::opio::op_trace;
use crate::error::{Error, Result};
use crate::prover::Val;

/// Whether [`super::Fp32SqrtAir`] proves `sqrt(x)`: `x` finite and `>= 0` (`-0` too).
pub fn fp32_sqrt_provable(x: u32) -> bool {
    !is_nan(x) && !is_inf(x) && (x & SIGN_MASK == 0 || is_zero(x))
}

/// The witness of one row after the operand decode, as integers (tests tamper with it).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SqrtWitness {
    pub(crate) zx: i64,
    pub(crate) o: i64,
    pub(crate) h: i64,
    pub(crate) s: [i64; 3],
    pub(crate) r: [i64; 3],
    pub(crate) c: [i64; 2],
    pub(crate) d: [i64; 2],
    pub(crate) st: i64,
    /// `R` (its inverse is the `inv` column).
    pub(crate) rem: i64,
    /// The result word.
    pub(crate) z: u32,
    pub(crate) pn: i64,
}

/// `(N, h, o, zx)`: the radicand `N = Nx 2^(28 + o)` and the exponent split.
fn radicand(x: u32) -> (u64, i64, i64, i64) {
    let mut scratch = FactorCols::default();
    let (nx, gx) = fill_factor(&mut scratch, x, &mut FpTableCounter::default());
    let zx = (nx == 0) as i64;
    let t = gx - EXP_OFFSET + zx * ZERO_H_SHIFT;
    let o = t.rem_euclid(2);
    (nx << (SQRT_SHIFT as i64 + o), (t - o) / 2, o, zx)
}

/// The honest root and remainder `(S, R)` of the radicand of `x`.
pub(crate) fn sqrt_sr(x: u32) -> (u64, u64) {
    let n = radicand(x).0;
    let root = n.isqrt();
    (root, n - root * root)
}

/// The honest witness of `sqrt(x)` (claiming `z`, or the reference result).
pub(crate) fn sqrt_witness(x: u32, claim: Option<u32>) -> SqrtWitness {
    let (root, rem) = sqrt_sr(x);
    sqrt_witness_sr(x, root, rem, claim.unwrap_or_else(|| f32_sqrt(x)))
}

/// The witness of `sqrt(x)` built on a root `root` and remainder `rem` (honest or not)
/// claiming `z`: carries and the sticky bit follow from them.
pub(crate) fn sqrt_witness_sr(x: u32, root: u64, rem: u64, z: u32) -> SqrtWitness {
    let (_, h, o, zx) = radicand(x);
    let d = (2 * root).wrapping_sub(rem) & 0xFFF_FFFF;
    let (s0, s1, s2) = (root & 0xFFF, (root >> 12) & 0xFFF, root >> 24);
    let (r0, r1, r2) = (rem & 0xFFF, (rem >> 12) & 0xFFF, rem >> 24);
    let c0 = (s0 * s0 + r0) >> 12;
    let c1 = (2 * s0 * s1 + r1 + c0) >> 12;
    let jm = fp32_hi(z >> 16).e as i64 - h - JB_OFFSET;
    let pn = if (0..=2).contains(&jm) {
        1 << (jm + 3)
    } else {
        0
    };
    let i = |x: u64| x as i64;
    SqrtWitness {
        zx,
        o,
        h,
        s: [i(s0), i(s1), i(s2)],
        r: [i(r0), i(r1), i(r2)],
        c: [i(c0), i(c1)],
        d: [i(d & 0xFFFF), i(d >> 16)],
        st: (rem != 0) as i64,
        rem: i(rem),
        z,
        pn,
    }
}

/// Writes a row for `sqrt(x)` from witness `w`, counting its table lookups.
pub(crate) fn write_sqrt_row(
    row: &mut [Val],
    x: u32,
    w: &SqrtWitness,
    counter: &mut FpTableCounter,
) {
    let cols: &mut Fp32SqrtCols<Val> = row.borrow_mut();
    fill_factor(&mut cols.x, x, counter);
    let v = |x: i64| fe(x);
    cols.zx = v(w.zx);
    cols.o = v(w.o);
    cols.h = v(w.h);
    [cols.s0, cols.s1, cols.s2] = w.s.map(v);
    [cols.r0, cols.r1, cols.r2] = w.r.map(v);
    [cols.c0, cols.c1] = w.c.map(v);
    [cols.dl, cols.dh] = w.d.map(v);
    cols.st = v(w.st);
    cols.inv = v(w.rem).try_inverse().unwrap_or(Val::ZERO);
    let z = w.z;
    let dz = fp32_hi(z >> 16);
    let (par, isz) = lo16(z & 0xFFFF);
    cols.z_hi = Val::from_u32(z >> 16);
    cols.z_lo = Val::from_u32(z & 0xFFFF);
    cols.ez = Val::from_u32(dz.e);
    cols.mhz = Val::from_u32(dz.mh);
    cols.cz = Val::from_u32(dz.cz);
    cols.par = Val::from_u32(par);
    cols.isz = Val::from_u32(isz);
    cols.pn = v(w.pn);
    counter.vr(H_BITS, (w.h + H_BIAS) as u32);
    for (bits, x) in [
        (12, w.s[0]),
        (12, w.s[1]),
        (3, w.s[2]),
        (12, w.r[0]),
        (12, w.r[1]),
        (4, w.r[2]),
        (12, w.c[0]),
        (14, w.c[1]),
        (16, w.d[0]),
        (12, w.d[1]),
    ] {
        counter.vr(bits, x as u32);
    }
    counter.fp32_full(z >> 16);
    counter.lo16(z & 0xFFFF);
    let root = (w.s[2] << 24) + (w.s[1] << 12) + w.s[0];
    let mz = ((dz.mh as i64) << 16) | (z & 0xFFFF) as i64;
    counter.mround([
        dz.e as i64 - w.h - JB_OFFSET,
        w.pn,
        2 * root + w.st - mz * w.pn,
        dz.cz as i64,
        par as i64,
        isz as i64,
    ]);
}

/// Fills one row for `sqrt(x)`; with `claim = Some(z)` the result columns hold `z`.
pub(crate) fn fill_fp32_sqrt_row(
    row: &mut [Val],
    x: u32,
    claim: Option<u32>,
    counter: &mut FpTableCounter,
) -> Result<()> {
    if !fp32_sqrt_provable(x) {
        return Err(Error::InvalidInput(format!(
            "fp32 sqrt {x:#010x}: the radicand must be finite and not negative (-0 is fine)"
        )));
    }
    let w = sqrt_witness(x, claim);
    write_sqrt_row(row, x, &w, counter);
    Ok(())
}

/// The main trace for the radicands `xs` padded with `sqrt(+0)` rows to
/// `2^log_height` rows.
pub fn generate_fp32_sqrt_trace(
    xs: &[u32],
    log_height: usize,
    counter: &mut FpTableCounter,
) -> Result<RowMajorMatrix<Val>> {
    op_trace(
        xs,
        &0,
        NUM_FP32_SQRT_COLS,
        log_height,
        counter,
        |row, &x, acc| fill_fp32_sqrt_row(row, x, None, acc),
    )
}
