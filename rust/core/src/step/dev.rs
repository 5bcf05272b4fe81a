//! Test-only sender of chunk words on `LEAF_WORD` (free columns, no hashing): it lets
//! the arithmetic of a step statement be proved and checked quickly while the in-circuit
//! leaf chip (whose setup is slow) is exercised by the `#[ignore]`d full tests. It is
//! not sound on its own (the prover picks the words) and never part of a real statement.

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use crate::chips::bus::LEAF_WORD;
use crate::prover::Val;

/// Sends `[slot, idx, lo, hi]` for every element of `slots` chunks (columns: `is_real`,
/// `idx`, then `lo`, `hi` per slot).
#[derive(Clone, Debug)]
pub struct DevWordsAir {
    /// Number of slots.
    pub slots: usize,
}

impl DevWordsAir {
    /// The trace for `words[slot][i]`, padded to `2^log_height` rows.
    pub fn trace(&self, words: &[&[u32]], log_height: usize) -> RowMajorMatrix<Val> {
        let w = 2 + 2 * self.slots;
        let n = words.first().map_or(0, |x| x.len());
        let mut v = Val::zero_vec(w << log_height);
        for (i, row) in v.chunks_exact_mut(w).enumerate() {
            row[1] = Val::from_usize(i);
            if i < n {
                row[0] = Val::ONE;
                for (s, ws) in words.iter().enumerate() {
                    row[2 + 2 * s] = Val::from_u32(ws[i] & 0xFFFF);
                    row[3 + 2 * s] = Val::from_u32(ws[i] >> 16);
                }
            }
        }
        RowMajorMatrix::new(v, w)
    }
}

impl<F: Field> BaseAir<F> for DevWordsAir {
    fn width(&self) -> usize {
        2 + 2 * self.slots
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

impl<AB: InteractionBuilder> Air<AB> for DevWordsAir
where
    AB::F: Field,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let r: Vec<AB::Expr> = main.current_slice().iter().map(|&x| x.into()).collect();
        builder.assert_bool(r[0].clone());
        for s in 0..self.slots {
            LEAF_WORD.send(
                builder,
                [
                    AB::Expr::from_usize(s),
                    r[1].clone(),
                    r[2 + 2 * s].clone(),
                    r[3 + 2 * s].clone(),
                ],
                Count::bounded(r[0].clone(), 1),
            );
        }
    }
}
