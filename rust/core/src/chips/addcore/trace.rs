use p3_field::{Field, PrimeCharacteristicRing};
use zkattest_softfloat::{round_pack, POS_INF, SIGN_MASK};

use super::columns::AddCoreCols;
use crate::chips::fptables::content::{fp32_hi, lo16, shift_entry, RoundKey, CZ_ZERO};
use crate::chips::fptables::FpTableCounter;
use crate::prover::Val;

/// Operand 2 of the core as values (see [`super::Operand2`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Op2Val {
    /// Sign bit, before the reverse-mode flip.
    pub sign: u32,
    /// Biased exponent (unclamped).
    pub e: i32,
    /// High significand limb.
    pub mh: u32,
    /// Low significand limb.
    pub lo: u32,
}

/// Everything about `O1 + O2` that does not depend on the claimed result (tests
/// tamper with these fields to build forged witnesses).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Aligned {
    pub(crate) s2: u32,
    pub(crate) sub: u32,
    pub(crate) delta: i32,
    pub(crate) w: u32,
    pub(crate) hi: u32,
    pub(crate) pw: u32,
    pub(crate) mr: u32,
    pub(crate) f2: u32,
    pub(crate) q: u32,
    pub(crate) r: u32,
    pub(crate) al: u64,
    pub(crate) u: u32,
    pub(crate) st: u32,
    /// Significand, exponent and sign of the larger operand.
    pub(crate) m_b: u64,
    pub(crate) e_b: i32,
    pub(crate) s_b: u32,
    /// The sum in units of 2^(e_b - 153) (odd when sticky).
    pub(crate) sum: i64,
    /// `mh1 + o1_lo` for the reverse-mode inverse.
    pub(crate) o1_mag: u32,
    /// Sign of operand 1.
    pub(crate) s1: u32,
}

impl Aligned {
    /// Recomputes [`Aligned::sum`] from the other fields.
    pub(crate) fn resum(&mut self) {
        let sigma = 1 - 2 * self.sub as i64;
        self.sum = 2 * (4 * self.m_b as i64 + sigma * self.al as i64) + sigma * self.st as i64;
    }
}

/// Aligns the smaller operand and forms the sum `V`; `None` if the exponent difference
/// is outside the shift table (the op is not provable by the core).
pub(crate) fn align(o1: u32, op2: &Op2Val, rev: bool) -> Option<Aligned> {
    let d1 = fp32_hi(o1 >> 16);
    let o1_lo = o1 & 0xFFFF;
    let s2 = op2.sign ^ rev as u32;
    let sub = d1.s ^ s2;
    let delta = d1.e as i32 - op2.e;
    let sh = shift_entry(delta)?;
    let m1 = ((d1.mh as u64) << 16) | o1_lo as u64;
    let m2 = ((op2.mh as u64) << 16) | op2.lo as u64;
    let (m_b, e_b, s_b, s_h, s_l) = if sh.w == 1 {
        (m2, op2.e, s2, d1.mh, o1_lo)
    } else {
        (m1, d1.e as i32, d1.s, op2.mh, op2.lo)
    };
    let t = if sh.hi == 1 { s_h } else { s_l };
    let q = t >> sh.mr;
    let r = t & (sh.pw - 1);
    let al = sh.f2 as u64 * ((1 - sh.hi as u64) * ((s_h as u64) << (16 - sh.mr)) + q as u64);
    let u = r + sh.hi * s_l;
    let st = (u != 0) as u32;
    let mut out = Aligned {
        s2,
        sub,
        delta,
        w: sh.w,
        hi: sh.hi,
        pw: sh.pw,
        mr: sh.mr,
        f2: sh.f2,
        q,
        r,
        al,
        u,
        st,
        m_b,
        e_b,
        s_b,
        sum: 0,
        o1_mag: d1.mh + o1_lo,
        s1: d1.s,
    };
    out.resum();
    Some(out)
}

/// The round-to-nearest-even result of the aligned sum, with the exponent range
/// extended by one binade: a sum that overflows FP32 gives the *virtual* word of
/// exponent 255 (value `1.f * 2^128`), which the chips output as infinity.
pub(crate) fn round_virtual(al: &Aligned) -> u32 {
    if al.sum == 0 {
        // An exact zero sum is +0 unless both operands are negative.
        return (al.s1 & al.s2) << 31;
    }
    let sign = (al.s_b == 1) != (al.sum < 0);
    let mag = al.sum.unsigned_abs();
    let exp = al.e_b - 153;
    let r = round_pack(sign, exp, mag, al.st == 1);
    if r & !SIGN_MASK != POS_INF {
        return r;
    }
    // Half the value rounds at the same relative precision; one binade up again.
    let h = round_pack(sign, exp - 1, mag, al.st == 1);
    debug_assert_eq!((h >> 23) & 0xFF, 254, "a finite sum is below 2^129");
    h + (1 << 23)
}

/// `(j, pn, err)` of a claimed (virtual) result `z` against an aligned sum: the key
/// values of the rounding check (see [`RoundKey`]).
pub(crate) fn round_terms(al: &Aligned, z: u32) -> (i32, u32, i64) {
    let dz = fp32_hi(z >> 16);
    let (_, isz) = lo16(z & 0xFFFF);
    let j = dz.e as i32 - al.e_b;
    let zero = dz.cz == CZ_ZERO && isz == 1;
    let pn: u32 = if zero || !(-3..=1).contains(&j) {
        0
    } else {
        1 << (j + 3)
    };
    let flip = dz.s ^ al.s_b;
    let mz = ((dz.mh as i64) << 16) | (z & 0xFFFF) as i64;
    (j, pn, (1 - 2 * flip as i64) * al.sum - mz * pn as i64)
}

/// Fills the core columns for operand 1 `o1`, operand 2 `op2`, the claimed (virtual)
/// result `z` and the mode `rev`, and records the core's table lookups. Nothing is
/// checked here: a wrong claim gives a trace that violates a constraint or a lookup.
/// Returns `false` if the exponent difference is outside the shift table.
pub fn populate_add_core(
    c: &mut AddCoreCols<Val>,
    o1: u32,
    op2: &Op2Val,
    z: u32,
    rev: bool,
    counter: &mut FpTableCounter,
) -> bool {
    let al = align(o1, op2, rev);
    if al.is_none() {
        counter.shift(fp32_hi(o1 >> 16).e as i32 - op2.e);
    }
    write_add_core(c, o1, z, rev, al.as_ref(), counter);
    al.is_some()
}

/// [`populate_add_core`] from an explicit [`Aligned`] (which tests may have tampered
/// with); `None` leaves the alignment columns zero.
pub(crate) fn write_add_core(
    c: &mut AddCoreCols<Val>,
    o1: u32,
    z: u32,
    rev: bool,
    al: Option<&Aligned>,
    counter: &mut FpTableCounter,
) {
    let d1 = fp32_hi(o1 >> 16);
    let dz = fp32_hi(z >> 16);
    let (par, isz) = lo16(z & 0xFFFF);
    let b = |x: u32| Val::from_u32(x);
    c.o1_hi = b(o1 >> 16);
    c.o1_lo = b(o1 & 0xFFFF);
    c.s1 = b(d1.s);
    c.e1 = b(d1.e);
    c.mh1 = b(d1.mh);
    c.z_hi = b(z >> 16);
    c.z_lo = b(z & 0xFFFF);
    c.sz = b(dz.s);
    c.ez = b(dz.e);
    c.mhz = b(dz.mh);
    c.ovf = b(dz.ovf);
    c.cz = b(dz.cz);
    c.par = b(par);
    c.isz = b(isz);
    c.rev = b(rev as u32);
    counter.fp32_fin(o1 >> 16);
    counter.vr(16, o1 & 0xFFFF);
    counter.fp32_full(z >> 16);
    counter.lo16(z & 0xFFFF);
    let Some(al) = al else {
        return;
    };
    c.s2 = b(al.s2);
    c.sub = b(al.sub);
    let flip = dz.s ^ al.s_b;
    c.flip = b(flip);
    c.w = b(al.w);
    c.hi = b(al.hi);
    c.pw = b(al.pw);
    c.mr = b(al.mr);
    c.f2 = b(al.f2);
    c.q = b(al.q);
    c.r = b(al.r);
    c.al = Val::from_u64(al.al);
    c.st = b(al.st);
    c.inv = if rev {
        Val::from_u32(al.o1_mag).try_inverse().unwrap_or(Val::ZERO)
    } else {
        Val::from_u32(al.u).try_inverse().unwrap_or(Val::ZERO)
    };
    counter.shift(al.delta);
    counter.vr((16 - 8 * al.hi).wrapping_sub(al.mr), al.q);
    counter.vr(al.mr, al.r);
    let (j, pn, err) = round_terms(al, z);
    c.pn = b(pn);
    counter.round(&RoundKey {
        rev: rev as u32,
        j,
        pn,
        err: err.clamp(i32::MIN as i64, i32::MAX as i64) as i32,
        cz: dz.cz,
        par,
        isz,
        sz: dz.s,
        s1: d1.s,
        s2: al.s2,
    });
}

/// The honest witness of `x + O2` for the core: `(o1, z, rev)` given the op's first
/// input `x` and its reference result `c` (an infinity on overflow). Normal mode unless
/// the result is a nonzero value far below the larger operand (deep cancellation),
/// where the sum is exact and reverse mode proves `x = c - O2`.
///
/// `None` if the core cannot prove the op (exponents outside the table, or the
/// reference result disagrees with the core's own rounding: a bug).
pub fn solve_add_core(x: u32, op2: &Op2Val, c: u32) -> Option<(u32, u32, bool)> {
    let al = align(x, op2, false)?;
    let z = round_virtual(&al);
    let out = if (z >> 23) & 0xFF == 0xFF {
        (z & SIGN_MASK) | POS_INF
    } else {
        z
    };
    if out != c {
        return None;
    }
    let zero = z & !SIGN_MASK == 0;
    if zero || round_terms(&al, z).0 >= -3 {
        return Some((x, z, false));
    }
    // Deep cancellation: c = x + O2 exactly, so x = c + (-O2) exactly.
    let al_rev = align(c, op2, true)?;
    let (j, _, err) = round_terms(&al_rev, x);
    if al_rev.st != 0 || err != 0 || !(-3..=1).contains(&j) {
        return None;
    }
    Some((c, x, true))
}
