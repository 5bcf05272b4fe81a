use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;

use super::air::NUM_BYTE_XOR_COLS;
use super::{Flavour, BYTE_XOR_LOG_HEIGHT};
use crate::prover::Val;

/// Multiplicities of the byte table's tuples, counted while a chip's trace is generated.
#[derive(Clone, Debug)]
pub struct ByteXorCounter {
    /// `counts[row * NUM_BYTE_XOR_COLS + flavour column]`.
    counts: Vec<u32>,
}

impl Default for ByteXorCounter {
    fn default() -> Self {
        Self {
            counts: vec![0; NUM_BYTE_XOR_COLS << BYTE_XOR_LOG_HEIGHT],
        }
    }
}

impl ByteXorCounter {
    /// Counts one lookup of the `flavour` tuple of bytes `x`, `y`.
    #[inline]
    pub fn add(&mut self, flavour: Flavour, x: u32, y: u32) {
        debug_assert!(x < 256 && y < 256, "bytes {x}, {y}");
        self.counts[((x | y << 8) as usize) * NUM_BYTE_XOR_COLS + flavour.column()] += 1;
    }

    /// Counts one lookup of the 16-bit limb `h` ([`Flavour::R16`]).
    #[inline]
    pub fn add_limb(&mut self, h: u32) {
        self.add(Flavour::R16, h & 0xFF, h >> 8);
    }

    /// Adds another counter's counts.
    pub fn merge(&mut self, other: &Self) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
    }

    /// Number of lookups counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().map(|&c| c as u64).sum()
    }

    /// The table's main trace (one multiplicity column per flavour).
    pub fn trace(&self) -> RowMajorMatrix<Val> {
        RowMajorMatrix::new(
            self.counts.iter().map(|&c| Val::from_u32(c)).collect(),
            NUM_BYTE_XOR_COLS,
        )
    }
}
