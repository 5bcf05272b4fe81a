use core::borrow::Borrow;

use p3_air::{Air, AirBuilder, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;

use super::columns::{Fp32DivCols, NUM_FP32_DIV_COLS};
use super::{DIV_G_OFFSET, DIV_SHIFT, LIMB, ZERO_G_SHIFT};
use crate::chips::addcore::xor;
use crate::chips::fp32_mul::FactorCols;
use crate::chips::fptables::content::{
    TAG_FP32_FULL, TAG_FP32_NRM, TAG_LO16, TAG_LOZ, TAG_MROUND, TAG_MULS, TAG_VR,
};
use crate::chips::fptables::{lookup, OpCode};
use crate::chips::opio::{op_chip_base_air, OpIo};

/// `c = x / y` on FP32 words, one op per row (see the module docs).
#[derive(Clone, Debug)]
pub struct Fp32DivAir {
    /// Where the ops come from.
    pub io: OpIo,
}

/// Names of the constraints of [`Fp32DivAir`], in evaluation order (the op binding
/// follows: six equalities for public ops, none for bus ops). Tests use them to show
/// that a forgery violates exactly one group.
#[cfg(test)]
pub(crate) const DIV_CONSTRAINTS: [&str; 12] = [
    "x normalization",
    "y normalization",
    "zero dividend",
    "division digit 0",
    "division digit 1",
    "division top",
    "remainder bound",
    "alignment split",
    "aligned value",
    "sticky inverse",
    "sticky zero",
    "sign",
];

/// Names of the table lookups of [`Fp32DivAir`], in evaluation order.
#[cfg(test)]
pub(crate) const DIV_LOOKUPS: [&str; 27] = [
    "x FP32_NRM",
    "x LOZ",
    "x n1 range",
    "x n0 range",
    "y FP32_NRM",
    "y LOZ",
    "y n1 range",
    "y n0 range",
    "divisor nonzero",
    "q0 range",
    "q1 range",
    "q2 range",
    "r0 range",
    "r1 range",
    "c0 range",
    "c1 range",
    "dl range",
    "dh range",
    "vh range",
    "vl range",
    "quotient normalization",
    "MULS",
    "aq range",
    "ar range",
    "z FP32_FULL",
    "z LO16",
    "MROUND",
];

op_chip_base_air!(Fp32DivAir, NUM_FP32_DIV_COLS);

/// Decodes and normalizes an FP32 operand into 12-bit limbs
/// `n1 2^12 + n0 = M 2^lz` (as `Fp32Mul` does); returns the normalized exponent
/// `g = en - hz clz` (value `N 2^(g - 150)`). One constraint, four lookups.
pub(crate) fn eval_factor<AB: InteractionBuilder>(b: &mut AB, u: &FactorCols<AB::Var>) -> AB::Expr {
    let v = |x: AB::Var| -> AB::Expr { x.into() };
    let k = |x: u32| AB::Expr::from_u32(x);
    // [FP32_NRM, hi, s, en, mh, ph, hz] (finite only), [LOZ, lo, clz, 2^clz]
    lookup(
        b,
        TAG_FP32_NRM,
        [v(u.hi), v(u.s), v(u.en), v(u.mh), v(u.ph), v(u.hz)],
    );
    lookup(b, TAG_LOZ, [v(u.lo), v(u.clz), v(u.pc)]);
    // n1 2^12 + n0 = ph (mh 2^16 + lo (hz ? 2^clz : 1)), both 12 bits
    let lo = v(u.lo) * (AB::Expr::ONE + v(u.hz) * (v(u.pc) - AB::Expr::ONE));
    b.assert_eq(
        v(u.n1) * k(LIMB) + v(u.n0),
        v(u.ph) * (v(u.mh) * k(1 << 16) + lo),
    );
    lookup(b, TAG_VR, [k(12), v(u.n1)]);
    lookup(b, TAG_VR, [k(12), v(u.n0)]);
    v(u.en) - v(u.hz) * v(u.clz)
}

impl<AB: InteractionBuilder> Air<AB> for Fp32DivAir
where
    AB::F: Field,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &Fp32DivCols<AB::Var> = main.current_slice().borrow();
        let c = *local;
        type E<AB> = <AB as AirBuilder>::Expr;
        let v = |x: AB::Var| -> E<AB> { x.into() };
        let k = |x: u32| E::<AB>::from_u32(x);
        let one = E::<AB>::ONE;
        let b = k(LIMB);

        let gx = eval_factor(builder, &c.x);
        let gy = eval_factor(builder, &c.y);
        // y != 0: Ny >= 2^23, i.e. n1 >= 2^11
        lookup(builder, TAG_VR, [k(11), v(c.y.n1) - k(1 << 11)]);
        // zx = 1 only for a zero dividend (a nonzero Nx has n1 >= 2^11)
        builder.assert_zero(v(c.zx) * v(c.x.n1));

        // Long division in base B: 2^26 Nx = Q Ny + R, 0 <= R < Ny.
        let (y1, y0) = (v(c.y.n1), v(c.y.n0));
        let (q2, q1, q0) = (v(c.q2), v(c.q1), v(c.q0));
        // digit 0: q0 y0 + r0 = c0 B
        builder.assert_eq(q0.clone() * y0.clone() + v(c.r0), v(c.c0) * b.clone());
        // digit 1: q1 y0 + q0 y1 + r1 + c0 = c1 B
        builder.assert_eq(
            q1.clone() * y0.clone() + q0.clone() * y1.clone() + v(c.r1) + v(c.c0),
            v(c.c1) * b.clone(),
        );
        // digits 2..: q2 y0 + q1 y1 + c1 + q2 y1 B = 2^(26 - 24) Nx  (< 2^28, no wrap)
        let nx = v(c.x.n1) * b.clone() + v(c.x.n0);
        builder.assert_eq(
            q2.clone() * y0 + q1.clone() * y1.clone() + v(c.c1) + q2.clone() * y1 * b.clone(),
            nx * k(1 << (DIV_SHIFT - 24)),
        );
        for (bits, x) in [
            (12, c.q0),
            (12, c.q1),
            (3, c.q2),
            (12, c.r0),
            (12, c.r1),
            (12, c.c0),
            (14, c.c1),
        ] {
            lookup(builder, TAG_VR, [k(bits), v(x)]);
        }
        // R < Ny: Ny - 1 - R = dh B + dl with 12-bit dh, dl
        let ny = v(c.y.n1) * b.clone() + v(c.y.n0);
        let r = v(c.r1) * b.clone() + v(c.r0);
        builder.assert_eq(v(c.dh) * b.clone() + v(c.dl), ny - one.clone() - r.clone());
        lookup(builder, TAG_VR, [k(12), v(c.dl)]);
        lookup(builder, TAG_VR, [k(12), v(c.dh)]);

        // Q = vh 2^16 + vl (11 + 16 bits); f = [Q < 2^26]: vh (1 + f) in [2^10, 2^11)
        let qv = q2 * b.clone() * b + q1 * k(LIMB) + q0;
        let vl = qv - v(c.vh) * k(1 << 16);
        lookup(builder, TAG_VR, [k(11), v(c.vh)]);
        lookup(builder, TAG_VR, [k(16), vl.clone()]);
        lookup(
            builder,
            TAG_VR,
            [
                k(10),
                v(c.vh) * (one.clone() + v(c.f)) - k(1 << 10) + v(c.zx) * k(1 << 10),
            ],
        );
        // The quotient's value is Q 2^(G - 279) with G = gx - gy + 253: the MULS entry
        // (no overflow: a finite result only) aligns it like a product. A zero dividend
        // moves G into the table's zero region.
        let g = gx - gy + k(DIV_G_OFFSET) - v(c.zx) * k(ZERO_G_SHIFT);
        lookup(
            builder,
            TAG_MULS,
            [
                g,
                v(c.f),
                v(c.zx),
                E::<AB>::ZERO,
                v(c.hi),
                v(c.pw),
                v(c.mr),
                v(c.jb),
            ],
        );
        // T = hi ? vh : vl = aq pw + ar, aq < 2^(16 - 5 hi - mr), ar < 2^mr
        let t = vl.clone() + v(c.hi) * (v(c.vh) - vl.clone());
        builder.assert_eq(t, v(c.aq) * v(c.pw) + v(c.ar));
        lookup(builder, TAG_VR, [k(16) - k(5) * v(c.hi) - v(c.mr), v(c.aq)]);
        lookup(builder, TAG_VR, [v(c.mr), v(c.ar)]);
        // al pw = (1 - hi) 2^16 vh + aq pw
        builder.assert_eq(
            v(c.al) * v(c.pw),
            (one.clone() - v(c.hi)) * k(1 << 16) * v(c.vh) + v(c.aq) * v(c.pw),
        );
        // st = [U != 0], U = ar + hi vl + R (dropped bits and the remainder)
        let u = v(c.ar) + v(c.hi) * vl + r;
        builder.assert_eq(u.clone() * v(c.inv), c.st);
        builder.assert_zero(u * (one.clone() - v(c.st)));
        // Z: sign sx xor sy; decoded with ovf = 0 (an infinite Z has no entry)
        builder.assert_eq(c.sz, xor(v(c.x.s), v(c.y.s)));
        lookup(
            builder,
            TAG_FP32_FULL,
            [
                v(c.z_hi),
                v(c.sz),
                v(c.ez),
                v(c.mhz),
                E::<AB>::ZERO,
                v(c.cz),
            ],
        );
        lookup(builder, TAG_LO16, [v(c.z_lo), v(c.par), v(c.isz)]);
        // [MROUND, jm, pn, err, cz, par, isz]: Z = RNE(x / y) at its own last place
        let mz = v(c.mhz) * k(1 << 16) + v(c.z_lo);
        let sum = v(c.al) * E::<AB>::TWO + v(c.st);
        lookup(
            builder,
            TAG_MROUND,
            [
                v(c.ez) - v(c.jb),
                v(c.pn),
                sum - mz * v(c.pn),
                v(c.cz),
                v(c.par),
                v(c.isz),
            ],
        );
        self.io.eval(
            builder,
            OpCode::Fp32Div,
            [
                v(c.x.hi),
                v(c.x.lo),
                v(c.y.hi),
                v(c.y.lo),
                v(c.z_hi),
                v(c.z_lo),
            ],
        );
    }
}
