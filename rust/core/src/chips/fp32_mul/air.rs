use core::borrow::Borrow;

use p3_air::{Air, AirBuilder, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;

use super::columns::{FactorCols, Fp32MulCols, NUM_FP32_MUL_COLS};
use crate::chips::addcore::xor;
use crate::chips::fptables::content::{
    TAG_FP32_FULL, TAG_FP32_NRM, TAG_LO16, TAG_LOZ, TAG_MROUND, TAG_MULS, TAG_VR,
};
use crate::chips::fptables::{lookup, OpCode};
use crate::chips::opio::{op_chip_base_air, OpIo};

/// `c = x * y` on FP32 words, one op per row (see the module docs).
#[derive(Clone, Debug)]
pub struct Fp32MulAir {
    /// Where the ops come from.
    pub io: OpIo,
}

op_chip_base_air!(Fp32MulAir, NUM_FP32_MUL_COLS);

/// Decodes and normalizes one factor; returns its normalized exponent.
fn eval_factor<AB: InteractionBuilder>(b: &mut AB, u: &FactorCols<AB::Var>) -> AB::Expr {
    let v = |x: AB::Var| -> AB::Expr { x.into() };
    let k = |x: u32| AB::Expr::from_u32(x);
    // [FP32_NRM, hi, s, en, mh, ph, hz] (finite), [LOZ, lo, clz, 2^clz]
    lookup(
        b,
        TAG_FP32_NRM,
        [v(u.hi), v(u.s), v(u.en), v(u.mh), v(u.ph), v(u.hz)],
    );
    lookup(b, TAG_LOZ, [v(u.lo), v(u.clz), v(u.pc)]);
    // n1 * 2^12 + n0 = ph * (mh * 2^16 + lo * (hz ? 2^clz : 1)), both 12 bits
    let lo = v(u.lo) * (AB::Expr::ONE + v(u.hz) * (v(u.pc) - AB::Expr::ONE));
    b.assert_eq(
        v(u.n1) * k(1 << 12) + v(u.n0),
        v(u.ph) * (v(u.mh) * k(1 << 16) + lo),
    );
    lookup(b, TAG_VR, [k(12), v(u.n1)]);
    lookup(b, TAG_VR, [k(12), v(u.n0)]);
    v(u.en) - v(u.hz) * v(u.clz)
}

impl<AB: InteractionBuilder> Air<AB> for Fp32MulAir
where
    AB::F: Field,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &Fp32MulCols<AB::Var> = main.current_slice().borrow();
        let c = *local;
        type E<AB> = <AB as AirBuilder>::Expr;
        let v = |x: AB::Var| -> E<AB> { x.into() };
        let k = |x: u32| E::<AB>::from_u32(x);
        let one = E::<AB>::ONE;

        let gx = eval_factor(builder, &c.x);
        let gy = eval_factor(builder, &c.y);
        // P = Nx * Ny in 12-bit limbs: p2 2^24 + p1 2^12 + p0
        let (x1, x0, y1, y0) = (v(c.x.n1), v(c.x.n0), v(c.y.n1), v(c.y.n0));
        let p0 = x0.clone() * y0.clone();
        let p1 = x1.clone() * y0 + x0 * y1.clone();
        let p2 = x1 * y1;
        // carries: p0 = d0 + c0 2^12,  p1 + c0 = d1 + c1 2^12
        builder.assert_eq(p0, v(c.d0) + v(c.c0) * k(1 << 12));
        builder.assert_eq(p1 + v(c.c0), v(c.d1) + v(c.c1) * k(1 << 12));
        for (bits, x) in [(12, c.d0), (12, c.d1), (12, c.c0), (14, c.c1)] {
            lookup(builder, TAG_VR, [k(bits), v(x)]);
        }
        // V1 = floor(P / 2^21) = 8 (p2 + c1) + t, t = d1 >> 9
        let d1_low = v(c.d1) - v(c.t) * k(512);
        lookup(builder, TAG_VR, [k(3), v(c.t)]);
        lookup(builder, TAG_VR, [k(9), d1_low.clone()]);
        let v1 = (p2 + v(c.c1)) * k(8) + v(c.t);
        // V1 = vh * 2^16 + vl, 11 + 16 bits
        let vl = v1 - v(c.vh) * k(1 << 16);
        lookup(builder, TAG_VR, [k(11), v(c.vh)]);
        lookup(builder, TAG_VR, [k(16), vl.clone()]);
        // f = [P < 2^47]: vh * (1 + f) in [2^10, 2^11) unless a factor is zero
        lookup(
            builder,
            TAG_VR,
            [
                k(10),
                v(c.vh) * (one.clone() + v(c.f)) - k(1 << 10) + v(c.zq) * k(1 << 10),
            ],
        );
        // [MULS, g, f, zq, no, hi, pw, mr, jb], g = the normalized exponent sum
        lookup(
            builder,
            TAG_MULS,
            [
                gx + gy,
                v(c.f),
                v(c.zq),
                v(c.no),
                v(c.hi),
                v(c.pw),
                v(c.mr),
                v(c.jb),
            ],
        );
        // align V1 to the result's grid: T = hi ? vh : vl = q pw + r, q < 2^(16-5hi-mr)
        let t = vl.clone() + v(c.hi) * (v(c.vh) - vl.clone());
        builder.assert_eq(t, v(c.q) * v(c.pw) + v(c.r));
        lookup(builder, TAG_VR, [k(16) - k(5) * v(c.hi) - v(c.mr), v(c.q)]);
        lookup(builder, TAG_VR, [v(c.mr), v(c.r)]);
        // al * pw = (1 - hi) 2^16 vh + q pw
        builder.assert_eq(
            v(c.al) * v(c.pw),
            (one.clone() - v(c.hi)) * k(1 << 16) * v(c.vh) + v(c.q) * v(c.pw),
        );
        // st = [dropped bits != 0]: U = r + hi vl + (d1 & 511) + d0
        let u = v(c.r) + v(c.hi) * vl + d1_low + v(c.d0);
        builder.assert_eq(u.clone() * v(c.inv), c.st);
        builder.assert_zero(u * (one.clone() - v(c.st)));
        // Z: sign sx xor sy; decode
        builder.assert_eq(c.sz, xor(v(c.x.s), v(c.y.s)));
        lookup(
            builder,
            TAG_FP32_FULL,
            [v(c.z_hi), v(c.sz), v(c.ez), v(c.mhz), v(c.ovf), v(c.cz)],
        );
        lookup(builder, TAG_LO16, [v(c.z_lo), v(c.par), v(c.isz)]);
        // overflow => Z is (virtually) infinite
        builder.assert_zero(v(c.no) * (one.clone() - v(c.ovf)));
        // [MROUND, jm, pn, err, cz, par, isz]: Z = RNE(V) at its own last place
        // (unchecked when the product overflows)
        let not_no = one.clone() - v(c.no);
        let mz = v(c.mhz) * k(1 << 16) + v(c.z_lo);
        let sum = v(c.al) * E::<AB>::TWO + v(c.st);
        lookup(
            builder,
            TAG_MROUND,
            [
                not_no.clone() * (v(c.ez) - v(c.jb)),
                v(c.pn),
                not_no * (sum - mz * v(c.pn)),
                v(c.cz),
                v(c.par),
                v(c.isz),
            ],
        );
        // c = ovf ? inf : Z
        let c_hi = v(c.z_hi) - v(c.ovf) * (v(c.mhz) - k(128));
        let c_lo = (one - v(c.ovf)) * v(c.z_lo);
        self.io.eval(
            builder,
            OpCode::Fp32Mul,
            [v(c.x.hi), v(c.x.lo), v(c.y.hi), v(c.y.lo), c_hi, c_lo],
        );
    }
}
