use core::borrow::Borrow;

use p3_air::{Air, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;

use super::columns::{Fp32AddCols, NUM_FP32_ADD_COLS};
use crate::chips::addcore::{eval_add_core, Operand2};
use crate::chips::fptables::content::{TAG_FP32_FIN, TAG_VR};
use crate::chips::fptables::{lookup, OpCode};
use crate::chips::opio::{op_chip_base_air, OpIo};

/// `c = x + y` on FP32 words, one op per row (a subtraction is `x + (-y)`, exactly as
/// the reference defines it).
#[derive(Clone, Debug)]
pub struct Fp32AddAir {
    /// Where the ops come from.
    pub io: OpIo,
}

op_chip_base_air!(Fp32AddAir, NUM_FP32_ADD_COLS);

impl<AB: InteractionBuilder> Air<AB> for Fp32AddAir
where
    AB::F: Field,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &Fp32AddCols<AB::Var> = main.current_slice().borrow();
        let c = *local;
        let v = |x: AB::Var| -> AB::Expr { x.into() };
        // y = (-1)^sy * (mhy * 2^16 + y_lo) * 2^(ey - 150), finite
        lookup(
            builder,
            TAG_FP32_FIN,
            [v(c.y_hi), v(c.sy), v(c.ey), v(c.mhy)],
        );
        lookup(builder, TAG_VR, [AB::Expr::from_u32(16), v(c.y_lo)]);
        let op2 = Operand2 {
            sign: v(c.sy),
            e: v(c.ey),
            mh: v(c.mhy),
            lo: v(c.y_lo),
        };
        let io = eval_add_core(builder, &c.core, op2);
        self.io.eval(
            builder,
            OpCode::Fp32Add,
            [io.x_hi, io.x_lo, v(c.y_hi), v(c.y_lo), io.c_hi, io.c_lo],
        );
    }
}
