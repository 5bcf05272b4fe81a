use core::borrow::Borrow;

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::Field;
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;

use super::columns::{Range16Cols, NUM_RANGE16_COLS};
use super::RANGE16_LOG_HEIGHT;
use crate::chips::bus::RANGE16;

/// The range table AIR. Its only constraint is the bus: row `i` provides the entry
/// `[i]` (from the fixed, transparent preprocessed column) `multiplicity` times.
#[derive(Clone, Copy, Debug, Default)]
pub struct Range16Air;

impl<F: Field> BaseAir<F> for Range16Air {
    fn width(&self) -> usize {
        NUM_RANGE16_COLS
    }

    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<F>> {
        let values = (0..1u32 << RANGE16_LOG_HEIGHT).map(F::from_u32).collect();
        Some(RowMajorMatrix::new(values, 1))
    }

    fn preprocessed_width(&self) -> usize {
        1
    }

    // Rows are independent: nothing reads the next row, so open only at zeta.
    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }

    fn preprocessed_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

impl<AB: InteractionBuilder> Air<AB> for Range16Air
where
    AB::F: Field,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &Range16Cols<AB::Var> = main.current_slice().borrow();
        let multiplicity = local.multiplicity;
        let value = builder.preprocessed().current_slice()[0];
        // table side: provide [value], consumed `multiplicity` times
        RANGE16.table_entry(builder, [value], multiplicity);
    }
}
