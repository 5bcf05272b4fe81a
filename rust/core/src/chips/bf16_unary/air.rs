use core::borrow::Borrow;

use p3_air::{Air, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;

use super::columns::{Bf16UnaryCols, NUM_BF16_UNARY_COLS};
use crate::chips::fptables::content::TAG_UNARY;
use crate::chips::fptables::{lookup, OpCode};
use crate::chips::opio::{op_chip_base_air, OpIo};

/// `y = f(x)` for the BF16 unary functions: one table lookup per op.
#[derive(Clone, Debug)]
pub struct Bf16UnaryAir {
    /// Where the ops come from.
    pub io: OpIo,
}

op_chip_base_air!(Bf16UnaryAir, NUM_BF16_UNARY_COLS);

impl<AB: InteractionBuilder> Air<AB> for Bf16UnaryAir
where
    AB::F: Field,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &Bf16UnaryCols<AB::Var> = main.current_slice().borrow();
        let c = *local;
        let v = |x: AB::Var| -> AB::Expr { x.into() };
        // [UNARY, f, x, y]: y = f(x), x finite, f a defined function
        lookup(builder, TAG_UNARY, [v(c.f), v(c.x), v(c.y)]);
        let z = AB::Expr::ZERO;
        self.io.eval(
            builder,
            OpCode::Bf16Unary,
            [v(c.x), v(c.f), z.clone(), z.clone(), z, v(c.y)],
        );
    }
}
