use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;

use super::RANGE16_LOG_HEIGHT;
use crate::prover::Val;

/// Collects range-check lookups while other chips generate their traces, then emits
/// the multiplicity column.
#[derive(Clone, Debug)]
pub struct Range16Counter {
    counts: Vec<u32>,
}

impl Default for Range16Counter {
    fn default() -> Self {
        Self {
            counts: vec![0; 1 << RANGE16_LOG_HEIGHT],
        }
    }
}

impl Range16Counter {
    /// Records one lookup of `x` (which must be < 2^16 for an honest trace).
    pub fn add(&mut self, x: u32) {
        self.counts[x as usize] += 1;
    }

    /// The table's main trace: one multiplicity per value.
    pub fn trace(&self) -> RowMajorMatrix<Val> {
        RowMajorMatrix::new(self.counts.iter().map(|&c| Val::from_u32(c)).collect(), 1)
    }
}
