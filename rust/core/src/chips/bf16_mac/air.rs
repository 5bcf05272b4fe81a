use core::borrow::Borrow;

use p3_air::{Air, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;

use super::columns::{Bf16MacCols, NUM_BF16_MAC_COLS};
use crate::chips::addcore::{eval_add_core, xor, Operand2};
use crate::chips::fptables::content::{TAG_BF16N, TAG_MACQ, TAG_VR};
use crate::chips::fptables::{lookup, OpCode};
use crate::chips::opio::{op_chip_base_air, OpIo};

/// `c = fp32_add(acc, bf16_mul_f32(a, b))` in one row: the BF16 x BF16 product is exact
/// (16 significant bits), so it enters the adder core as an exact operand and the MAC
/// has a single rounding. Products that FP32 would round (below the subnormal grid) or
/// overflow are not provable here: the `MACQ` lookup rejects them (the statement proves
/// such ops as an `Fp32Mul` followed by an `Fp32Add`).
#[derive(Clone, Debug)]
pub struct Bf16MacAir {
    /// Where the ops come from.
    pub io: OpIo,
}

op_chip_base_air!(Bf16MacAir, NUM_BF16_MAC_COLS);

impl<AB: InteractionBuilder> Air<AB> for Bf16MacAir
where
    AB::F: Field,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &Bf16MacCols<AB::Var> = main.current_slice().borrow();
        let c = *local;
        let v = |x: AB::Var| -> AB::Expr { x.into() };
        let k = |x: u32| AB::Expr::from_u32(x);

        // a = (-1)^sa * ga * 2^(ea - 134), b likewise (finite, normalized)
        lookup(builder, TAG_BF16N, [v(c.a), v(c.sa), v(c.ea), v(c.ga)]);
        lookup(builder, TAG_BF16N, [v(c.b), v(c.sb), v(c.eb), v(c.gb)]);
        // ga * gb * 2^f = hb * 2^8 + lb
        builder.assert_eq(
            (AB::Expr::ONE + v(c.f)) * v(c.ga) * v(c.gb),
            v(c.hb) * k(256) + v(c.lb),
        );
        // [MACQ, ea + eb, f, zq]: the product is zero (zq = 1), or exact in FP32 and
        // below 2^128
        lookup(builder, TAG_MACQ, [v(c.ea) + v(c.eb), v(c.f), v(c.zq)]);
        // 128 <= hb < 256 unless the product is zero (then hb = lb = 0); 0 <= lb < 256
        lookup(builder, TAG_VR, [k(7), v(c.hb) - k(128) + k(128) * v(c.zq)]);
        lookup(builder, TAG_VR, [k(8), v(c.lb)]);
        // product = (hb * 2^16 + lb * 2^8) * 2^(ea + eb - 126 - f - 150), sign sa xor sb
        let op2 = Operand2 {
            sign: xor(v(c.sa), v(c.sb)),
            e: v(c.ea) + v(c.eb) - k(126) - v(c.f),
            mh: v(c.hb),
            lo: v(c.lb) * k(256),
        };
        let io = eval_add_core(builder, &c.core, op2);
        self.io.eval(
            builder,
            OpCode::Bf16Mac,
            [io.x_hi, io.x_lo, v(c.a), v(c.b), io.c_hi, io.c_lo],
        );
    }
}
