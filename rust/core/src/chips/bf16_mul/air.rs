use core::borrow::Borrow;

use p3_air::{Air, AirBuilder, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;

use super::columns::{Bf16MulCols, NUM_BF16_MUL_COLS};
use crate::chips::addcore::xor;
use crate::chips::fptables::content::{TAG_BF16N, TAG_MULQ, TAG_VR};
use crate::chips::fptables::{lookup, OpCode};
use crate::chips::opio::{op_chip_base_air, OpIo};

/// `c = bf16_mul_f32(a, b)`: the exact product of two BF16 values rounded to FP32 (it
/// only rounds below 2^-126, to the subnormal grid, and overflows at 2^128).
#[derive(Clone, Debug)]
pub struct Bf16MulAir {
    /// Where the ops come from.
    pub io: OpIo,
}

op_chip_base_air!(Bf16MulAir, NUM_BF16_MUL_COLS);

impl<AB: InteractionBuilder> Air<AB> for Bf16MulAir
where
    AB::F: Field,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &Bf16MulCols<AB::Var> = main.current_slice().borrow();
        let c = *local;
        type E<AB> = <AB as AirBuilder>::Expr;
        let v = |x: AB::Var| -> E<AB> { x.into() };
        let k = |x: u32| E::<AB>::from_u32(x);
        let one = E::<AB>::ONE;

        // a = (-1)^sa * ga * 2^(ea - 134), b likewise
        lookup(builder, TAG_BF16N, [v(c.a), v(c.sa), v(c.ea), v(c.ga)]);
        lookup(builder, TAG_BF16N, [v(c.b), v(c.sb), v(c.eb), v(c.gb)]);
        let p = v(c.ga) * v(c.gb);
        // P * 2^f = 256 hb + lb, bytes
        builder.assert_eq(
            (one.clone() + v(c.f)) * p.clone(),
            v(c.hb) * k(256) + v(c.lb),
        );
        lookup(builder, TAG_VR, [k(8), v(c.hb)]);
        lookup(builder, TAG_VR, [k(8), v(c.lb)]);
        // normal or overflowing: normalized (128 <= hb), so f is the true shift
        lookup(
            builder,
            TAG_VR,
            [k(8), v(c.hb) - k(128) * (v(c.nn) + v(c.no))],
        );
        // [MULQ, ea + eb, f, nn, no, ne, pw, ps, hs, sb, ub]
        lookup(
            builder,
            TAG_MULQ,
            [
                v(c.ea) + v(c.eb),
                v(c.f),
                v(c.nn),
                v(c.no),
                v(c.ne),
                v(c.pw),
                v(c.ps),
                v(c.hs),
                v(c.sbits),
                v(c.ub),
            ],
        );
        // rounding to the subnormal grid: P = u * 2 ps + g ps + l, 0 <= l < ps,
        // 0 <= u < 2^ub, and RNE(P / ps) = 2u + g + rnd with
        // h = l + hs - 1 + g - rnd * ps in [0, ps) (ties go to the even quotient)
        builder.assert_bool(c.g);
        builder.assert_bool(c.rnd);
        builder.assert_eq(
            p.clone(),
            v(c.u) * v(c.ps) * E::<AB>::TWO + v(c.g) * v(c.ps) + v(c.l),
        );
        lookup(builder, TAG_VR, [v(c.sbits), v(c.l)]);
        lookup(builder, TAG_VR, [v(c.ub), v(c.u)]);
        lookup(
            builder,
            TAG_VR,
            [
                v(c.sbits),
                v(c.l) + v(c.hs) - one.clone() + v(c.g) - v(c.rnd) * v(c.ps),
            ],
        );
        // Mc = ne ? P * pw : 2u + g + rnd;  Mc = mc_hi * 2^16 + mc_lo
        let rounded = v(c.u) * E::<AB>::TWO + v(c.g) + v(c.rnd);
        builder.assert_eq(
            v(c.mc_hi) * k(1 << 16) + v(c.mc_lo),
            v(c.ne) * p * v(c.pw) + (one.clone() - v(c.ne)) * rounded,
        );
        lookup(builder, TAG_VR, [k(16), v(c.mc_lo)]);
        lookup(builder, TAG_VR, [k(8), v(c.mc_hi)]);
        // c = sign | (normal: exponent e2 = ea + eb - 126 - f, significand hb.lb;
        //              overflow: infinity; else the subnormal significand Mc)
        let sign = xor(v(c.sa), v(c.sb));
        let e2 = v(c.ea) + v(c.eb) - k(126) - v(c.f);
        let sub = one - v(c.nn) - v(c.no);
        let c_hi = sign * k(1 << 15)
            + v(c.nn) * ((e2 - E::<AB>::ONE) * k(128) + v(c.hb))
            + v(c.no) * k(0x7F80)
            + sub.clone() * v(c.mc_hi);
        let c_lo = v(c.nn) * v(c.lb) * k(256) + sub * v(c.mc_lo);
        self.io.eval(
            builder,
            OpCode::Bf16Mul,
            [v(c.a), v(c.b), k(0), k(0), c_hi, c_lo],
        );
    }
}
