//! `OpPad`: sends the op chips' padding operations on `FP_OP`, so the op chips (in bus
//! mode) receive on every row and no update row has to send padding.
//!
//! Each column `k` is the multiplicity of one constant tuple (the padding op of one op
//! chip, e.g. `[Fp32Add, 0, 0, 0, 0, 0, 0]` for `+0 + +0 = +0`). The tuples are fixed by
//! the AIR and are true operations, so whatever multiplicities the prover picks, the op
//! chips still prove every tuple they receive, and the update chip's sends can only be
//! cancelled by receives of true operations.

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use crate::chips::bus::{FP_OP, FP_OP_WIDTH};
use crate::prover::Val;

/// Log2 of the pad AIR's height.
pub(crate) const PAD_LOG_HEIGHT: usize = 3;
/// Per-row bound declared for a pad multiplicity (LogUp height check): an op chip
/// height can reach 2^22 rows.
const PAD_WEIGHT: u32 = 1 << 22;

/// Sends constant padding tuples with witness multiplicities (one column each).
#[derive(Clone, Debug)]
pub struct OpPadAir {
    /// The padding tuple of each column.
    pub tuples: Vec<[u32; FP_OP_WIDTH]>,
}

impl OpPadAir {
    /// The trace sending `counts[k]` copies of tuple `k` (all in the first row).
    pub fn trace(&self, counts: &[usize]) -> RowMajorMatrix<Val> {
        let w = self.tuples.len();
        let mut values = Val::zero_vec(w << PAD_LOG_HEIGHT);
        for (v, &c) in values.iter_mut().zip(counts) {
            *v = Val::from_usize(c);
        }
        RowMajorMatrix::new(values, w)
    }
}

impl<F: Field> BaseAir<F> for OpPadAir {
    fn width(&self) -> usize {
        self.tuples.len()
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

impl<AB: InteractionBuilder> Air<AB> for OpPadAir
where
    AB::F: Field,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let mults: Vec<AB::Expr> = main.current_slice().iter().map(|&x| x.into()).collect();
        for (t, m) in self.tuples.iter().zip(mults) {
            FP_OP.send(
                builder,
                t.map(AB::Expr::from_u32),
                Count::bounded(m, PAD_WEIGHT),
            );
        }
    }
}
