use core::borrow::Borrow;

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;

use super::columns::{Bf16UnaryCols, NUM_BF16_UNARY_COLS};
use crate::chips::fptables::content::TAG_UNARY;
use crate::chips::fptables::{lookup, OpCode};
use crate::chips::opio::OpIo;

/// `y = f(x)` for the BF16 unary functions: one table lookup per op.
#[derive(Clone, Debug)]
pub struct Bf16UnaryAir {
    /// Where the ops come from.
    pub io: OpIo,
}

impl<F: Field> BaseAir<F> for Bf16UnaryAir {
    fn width(&self) -> usize {
        NUM_BF16_UNARY_COLS
    }
    fn num_public_values(&self) -> usize {
        self.io.num_public_values()
    }
    fn num_periodic_columns(&self) -> usize {
        self.io.num_periodic_columns()
    }
    fn periodic_columns(&self) -> Vec<Vec<F>> {
        self.io.periodic_columns()
    }
    fn periodic_values(&self, row: usize) -> Vec<F> {
        self.io.periodic_values(row)
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

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
