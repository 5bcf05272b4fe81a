use p3_air::AirBuilder;
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;

use super::columns::AddCoreCols;
use crate::chips::fptables::content::{
    TAG_FP32_FIN, TAG_FP32_FULL, TAG_LO16, TAG_ROUND, TAG_SHIFT, TAG_VR,
};
use crate::chips::fptables::lookup;

/// Operand 2 of the adder core, as expressions over the chip's columns.
#[derive(Clone, Debug)]
pub struct Operand2<E> {
    /// Sign bit, before the reverse-mode flip.
    pub sign: E,
    /// Biased exponent: the value is `(mh * 2^16 + lo) * 2^(e - 150)`. Not clamped
    /// (an exact BF16 product may sit below the FP32 range) and, for zero, far below
    /// every FP32 exponent.
    pub e: E,
    /// High limb of the significand (< 2^8). The significand must be normalized
    /// (`>= 2^23`) or the value must lie on the subnormal grid with `e = 1`.
    pub mh: E,
    /// Low limb of the significand (< 2^16).
    pub lo: E,
}

/// The op-level view of the core: the first input (the accumulator / `x`) and the
/// op's result, as 16-bit limbs.
#[derive(Clone, Debug)]
pub struct AddCoreIo<E> {
    /// High limb of the op's first input.
    pub x_hi: E,
    /// Low limb of the op's first input.
    pub x_lo: E,
    /// High limb of the op's result (an infinity on overflow).
    pub c_hi: E,
    /// Low limb of the op's result.
    pub c_lo: E,
}

/// `a xor b` for bits.
pub(crate) fn xor<E: PrimeCharacteristicRing + Clone>(a: E, b: E) -> E {
    a.clone() + b.clone() - a * b * E::TWO
}

/// Constrains the adder core (see the module docs) and returns the op-level view.
///
/// Max constraint degree 4. Lookups: `FP32_FIN(o1)`, `VR(16, o1_lo)`, `FP32_FULL(z)`,
/// `LO16(z_lo)`, `SHIFT`, `VR(q)`, `VR(r)`, `ROUND`.
pub fn eval_add_core<AB: InteractionBuilder>(
    builder: &mut AB,
    c: &AddCoreCols<AB::Var>,
    op2: Operand2<AB::Expr>,
) -> AddCoreIo<AB::Expr> {
    type E<AB> = <AB as AirBuilder>::Expr;
    let k = |x: u32| E::<AB>::from_u32(x);
    let v = |x: AB::Var| -> E<AB> { x.into() };
    let one = E::<AB>::ONE;
    let two16 = k(1 << 16);

    // --- operand 1 and Z: decodes and range checks -------------------------------
    // O1 = (-1)^s1 * (mh1 * 2^16 + o1_lo) * 2^(e1 - 150), finite
    lookup(
        builder,
        TAG_FP32_FIN,
        [v(c.o1_hi), v(c.s1), v(c.e1), v(c.mh1)],
    );
    lookup(builder, TAG_VR, [k(16), v(c.o1_lo)]);
    // Z = (-1)^sz * (mhz * 2^16 + z_lo) * 2^(ez - 150); ovf = [exponent 255]
    lookup(
        builder,
        TAG_FP32_FULL,
        [v(c.z_hi), v(c.sz), v(c.ez), v(c.mhz), v(c.ovf), v(c.cz)],
    );
    lookup(builder, TAG_LO16, [v(c.z_lo), v(c.par), v(c.isz)]);

    // --- signs --------------------------------------------------------------------
    // rev in {0, 1}
    builder.assert_bool(c.rev);
    // s2 = sign2 xor rev (reverse mode proves Z = O1 - O2)
    builder.assert_eq(c.s2, xor(op2.sign.clone(), v(c.rev)));
    // sub = s1 xor s2
    builder.assert_eq(c.sub, xor(v(c.s1), v(c.s2)));
    // B = the operand with the larger exponent (operand 2 when w = 1)
    let sel = |a: E<AB>, b: E<AB>| a.clone() + v(c.w) * (b - a);
    let s_b = sel(v(c.s1), v(c.s2));
    // flip = sz xor sB
    builder.assert_eq(c.flip, xor(v(c.sz), s_b));

    // --- alignment of the smaller operand S to 2^(e_B - 152) ----------------------
    // [SHIFT, e1 - e2, w, hi, pw, mr, f2]: w = [e1 < e2], d = |e1 - e2|
    lookup(
        builder,
        TAG_SHIFT,
        [
            v(c.e1) - op2.e.clone(),
            v(c.w),
            v(c.hi),
            v(c.pw),
            v(c.mr),
            v(c.f2),
        ],
    );
    let m1 = v(c.mh1) * two16.clone() + v(c.o1_lo);
    let m2 = op2.mh.clone() * two16.clone() + op2.lo.clone();
    let m_b = sel(m1, m2);
    let e_b = sel(v(c.e1), op2.e.clone());
    // S's limbs: S = S_h * 2^16 + S_l
    let s_h = sel(op2.mh.clone(), v(c.mh1));
    let s_l = sel(op2.lo.clone(), v(c.o1_lo));
    // T = hi ? S_h : S_l;  T = q * pw + r
    let t = s_l.clone() + v(c.hi) * (s_h.clone() - s_l.clone());
    builder.assert_eq(t, v(c.q) * v(c.pw) + v(c.r));
    // 0 <= q < 2^(16 - 8 hi - mr), 0 <= r < 2^mr: q * pw + r cannot wrap
    lookup(builder, TAG_VR, [k(16) - k(8) * v(c.hi) - v(c.mr), v(c.q)]);
    lookup(builder, TAG_VR, [v(c.mr), v(c.r)]);
    // al * pw = f2 * ((1 - hi) * 2^16 * S_h + q * pw)
    //   lo split: al = f2 * (S_h * 2^(16 - mr) + q);  hi split: al = q
    builder.assert_eq(
        v(c.al) * v(c.pw),
        v(c.f2) * ((one.clone() - v(c.hi)) * two16 * s_h + v(c.q) * v(c.pw)),
    );
    // st = [U != 0] with U = r + hi * S_l (the dropped bits):
    //   U * inv = st,  U * (1 - st) = 0
    let u = v(c.r) + v(c.hi) * s_l;
    builder.assert_eq(u.clone() * v(c.inv), c.st);
    builder.assert_zero(u * (one.clone() - v(c.st)));

    // --- the sum and the rounding check ------------------------------------------
    // V = 2 * (4 * M_B + sigma * al) + sigma * st,  sigma = 1 - 2 sub: the exact sum in
    // units of 2^(e_B - 153), the sticky bit standing in for the dropped bits
    let sigma = one.clone() - v(c.sub) * E::<AB>::TWO;
    let sum = (m_b * k(4) + sigma.clone() * v(c.al)) * E::<AB>::TWO + sigma * v(c.st);
    // err = (1 - 2 flip) * V - Mz * pn, j = ez - e_B
    let mz = v(c.mhz) * k(1 << 16) + v(c.z_lo);
    let err = (one.clone() - v(c.flip) * E::<AB>::TWO) * sum - mz * v(c.pn);
    // [ROUND, rev, j, pn, err, cz, par, isz, sz, s1, s2]: RNE (exact when rev), zero
    // results only for exact zero sums, with the IEEE sign of zero
    lookup(
        builder,
        TAG_ROUND,
        [
            v(c.rev),
            v(c.ez) - e_b,
            v(c.pn),
            err,
            v(c.cz),
            v(c.par),
            v(c.isz),
            v(c.sz),
            v(c.s1),
            v(c.s2),
        ],
    );

    // --- reverse mode ---------------------------------------------------------------
    // rev => O1 != 0: rev * ((mh1 + o1_lo) * inv - 1) = 0 (U = 0 there, inv is free)
    builder.assert_zero(v(c.rev) * ((v(c.mh1) + v(c.o1_lo)) * v(c.inv) - one.clone()));
    // rev => Z finite
    builder.assert_zero(v(c.rev) * v(c.ovf));

    // --- the op's view ----------------------------------------------------------------
    // normal: x = O1, c = ovf ? inf : Z;  reverse: x = Z, c = O1
    let rev = v(c.rev);
    let not_rev = one.clone() - rev.clone();
    AddCoreIo {
        x_hi: v(c.o1_hi) + rev.clone() * (v(c.z_hi) - v(c.o1_hi)),
        x_lo: v(c.o1_lo) + rev.clone() * (v(c.z_lo) - v(c.o1_lo)),
        c_hi: not_rev.clone() * (v(c.z_hi) - v(c.ovf) * (v(c.mhz) - k(128)))
            + rev.clone() * v(c.o1_hi),
        c_lo: not_rev * (one - v(c.ovf)) * v(c.z_lo) + rev * v(c.o1_lo),
    }
}
