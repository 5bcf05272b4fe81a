//! A small receiver that closes the [`LEAF_WORD`] bus in standalone leaf statements
//! (tests, benchmarks): it receives `[slot, word_index, lo16, hi16]` once for every
//! chunk word of every leaf. Slots and indices are periodic (public); the words are
//! either public too (periodic, bound into the transcript by a digest public value) or
//! private (free columns: the statement then proves knowledge of chunks and salts
//! hashing to the public digests).

use std::sync::Arc;

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use super::schedule::MIN_LOG_HEIGHT;
use super::DIGEST_LIMBS;
use crate::chips::bus::LEAF_WORD;
use crate::error::{Error, Result};
use crate::prover::Val;

/// Words received per row.
pub const WORDS_PER_ROW: usize = 8;
/// Elements per received word: slot, index, lo16, hi16, multiplicity.
const TUPLE: usize = 5;
/// Width of [`LeafWordsAir`].
pub const NUM_LEAF_WORDS_COLS: usize = WORDS_PER_ROW * TUPLE;
/// Tuple fields that are periodic when the words are private (slot, index, multiplicity).
const PRIVATE_FIELDS: [usize; 3] = [0, 1, 4];

/// Domain of the digest binding public words into the transcript.
const WORDS_DOMAIN: &[u8] = b"zkattest.leaf-words.v1";

/// Receiver AIR of the [`LEAF_WORD`] bus with public slots and indices.
#[derive(Clone, Debug)]
pub struct LeafWordsAir {
    /// `[slot, index, lo, hi, 1]` per word, zero padded to the trace size.
    entries: Arc<Vec<[u32; TUPLE]>>,
    /// Whether `lo`, `hi` are public (periodic) too.
    public_words: bool,
    log_height: usize,
    digest: [u32; DIGEST_LIMBS],
}

impl LeafWordsAir {
    /// Receiver of private words: `counts[s]` words for leaf `s`.
    pub fn private(counts: &[usize]) -> Self {
        let entries = counts
            .iter()
            .enumerate()
            .flat_map(|(s, &n)| (0..n).map(move |i| [s as u32, i as u32, 0, 0, 1]))
            .collect();
        Self::build(entries, false)
    }

    /// Receiver of public words: `words[s]` are leaf `s`'s chunk words.
    pub fn public(words: &[&[u32]]) -> Self {
        let entries = words
            .iter()
            .enumerate()
            .flat_map(|(s, w)| {
                w.iter()
                    .enumerate()
                    .map(move |(i, &x)| [s as u32, i as u32, x & 0xFFFF, x >> 16, 1])
            })
            .collect();
        Self::build(entries, true)
    }

    fn build(mut entries: Vec<[u32; TUPLE]>, public_words: bool) -> Self {
        let rows = entries.len().div_ceil(WORDS_PER_ROW).next_power_of_two();
        let log_height = (rows.trailing_zeros() as usize).max(MIN_LOG_HEIGHT);
        let mut h = blake3::Hasher::new();
        h.update(WORDS_DOMAIN);
        h.update(&(entries.len() as u64).to_le_bytes());
        for e in &entries {
            for x in e {
                h.update(&x.to_le_bytes());
            }
        }
        let digest = super::digest_limbs(&h.finalize());
        entries.resize(WORDS_PER_ROW << log_height, [0; TUPLE]);
        Self {
            entries: Arc::new(entries),
            public_words,
            log_height,
            digest,
        }
    }

    /// log2 of the trace height.
    pub fn log_height(&self) -> usize {
        self.log_height
    }

    /// Public values: the digest of the public words (none for private words).
    pub fn public_values(&self) -> Vec<Val> {
        if self.public_words {
            self.digest.iter().map(|&x| Val::from_u32(x)).collect()
        } else {
            Vec::new()
        }
    }

    /// The trace: `words[s]` are leaf `s`'s chunk words (must match the AIR's).
    pub fn trace(&self, words: &[&[u32]]) -> Result<RowMajorMatrix<Val>> {
        let mut values = Val::zero_vec(self.entries.len() * TUPLE);
        for (v, e) in values.chunks_exact_mut(TUPLE).zip(self.entries.iter()) {
            let mut e = *e;
            if e[4] == 1 {
                let w = words
                    .get(e[0] as usize)
                    .and_then(|w| w.get(e[1] as usize))
                    .ok_or_else(|| {
                        Error::InvalidInput("chunk words do not match the receiver".into())
                    })?;
                e[2] = w & 0xFFFF;
                e[3] = w >> 16;
            }
            for (d, x) in v.iter_mut().zip(e) {
                *d = Val::from_u32(x);
            }
        }
        Ok(RowMajorMatrix::new(values, NUM_LEAF_WORDS_COLS))
    }

    /// `(main column, entry field)` of every periodic column, in order.
    fn periodic_map(&self) -> Vec<(usize, usize)> {
        (0..WORDS_PER_ROW)
            .flat_map(|t| {
                let fields: &[usize] = if self.public_words {
                    &[0, 1, 2, 3, 4]
                } else {
                    &PRIVATE_FIELDS
                };
                fields.iter().map(move |&f| (t * TUPLE + f, f))
            })
            .collect()
    }
}

impl<F: Field> BaseAir<F> for LeafWordsAir {
    fn width(&self) -> usize {
        NUM_LEAF_WORDS_COLS
    }
    fn num_public_values(&self) -> usize {
        if self.public_words {
            DIGEST_LIMBS
        } else {
            0
        }
    }
    fn num_periodic_columns(&self) -> usize {
        self.periodic_map().len()
    }
    fn periodic_columns(&self) -> Vec<Vec<F>> {
        self.periodic_map()
            .into_iter()
            .map(|(c, f)| {
                let t = c / TUPLE;
                (0..1usize << self.log_height)
                    .map(|r| F::from_u32(self.entries[r * WORDS_PER_ROW + t][f]))
                    .collect()
            })
            .collect()
    }
    fn periodic_values(&self, row: usize) -> Vec<F> {
        let r = row % (1 << self.log_height);
        self.periodic_map()
            .into_iter()
            .map(|(c, f)| F::from_u32(self.entries[r * WORDS_PER_ROW + c / TUPLE][f]))
            .collect()
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

impl<AB: InteractionBuilder> Air<AB> for LeafWordsAir
where
    AB::F: Field,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let row: &[AB::Var] = main.current_slice();
        let periodic: Vec<AB::Expr> = builder
            .periodic_values()
            .iter()
            .map(|&p| p.into())
            .collect();
        // main column = its periodic column, every row
        for ((c, _), p) in self.periodic_map().into_iter().zip(periodic) {
            builder.assert_eq(row[c], p);
        }
        for t in row.chunks_exact(TUPLE) {
            LEAF_WORD.receive(
                builder,
                [t[0], t[1], t[2], t[3]],
                Count::bounded(t[4].into(), 1),
            );
        }
    }
}
