use core::borrow::Borrow;

use p3_air::{Air, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;

use super::columns::{Fp32ToBf16Cols, NUM_FP32_TO_BF16_COLS};
use crate::chips::fptables::content::{TAG_FINPAR, TAG_HALF};
use crate::chips::fptables::{lookup, OpCode};
use crate::chips::opio::{op_chip_base_air, OpIo};

/// `c = f32_to_bf16(x)`: round-to-nearest-even on the 16 dropped bits; the increment
/// carries into the exponent by itself (largest values round to infinity).
#[derive(Clone, Debug)]
pub struct Fp32ToBf16Air {
    /// Where the ops come from.
    pub io: OpIo,
}

op_chip_base_air!(Fp32ToBf16Air, NUM_FP32_TO_BF16_COLS);

impl<AB: InteractionBuilder> Air<AB> for Fp32ToBf16Air
where
    AB::F: Field,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &Fp32ToBf16Cols<AB::Var> = main.current_slice().borrow();
        let c = *local;
        let v = |x: AB::Var| -> AB::Expr { x.into() };
        // [FINPAR, x_hi, par]: x finite, par = x_hi & 1
        lookup(builder, TAG_FINPAR, [v(c.x_hi), v(c.par)]);
        // [HALF, x_lo, gt, eq]
        lookup(builder, TAG_HALF, [v(c.x_lo), v(c.gt), v(c.eq)]);
        // c = x_hi + [x_lo > half] + [x_lo == half] * par
        let out = v(c.x_hi) + v(c.gt) + v(c.eq) * v(c.par);
        let z = AB::Expr::ZERO;
        self.io.eval(
            builder,
            OpCode::Fp32ToBf16,
            [v(c.x_hi), v(c.x_lo), z.clone(), z.clone(), z, out],
        );
    }
}
