//! Test helpers: check one chip trace against its constraints *and* its table lookups
//! without proving (fast, and it names the violated constraint).

use std::collections::HashSet;
use std::sync::OnceLock;

use p3_air::{check_all_constraints, Air, AirBuilder, BaseAir, DebugConstraintBuilder, RowWindow};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{InteractionSymbolicBuilder, Kind, Lookups};
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;

use crate::chips::bus::FP_TABLE;
use crate::chips::fptables::all_table_tuples;
use crate::prover::{Challenge, Val};

/// Evaluates symbolic expressions on one concrete row (its own successor; no
/// preprocessed columns): resolves lookup tuples and multiplicities in tests.
pub(crate) struct RowBuilder<'a> {
    main: RowWindow<'a, Val>,
    prep: RowWindow<'a, Val>,
    periodic: &'a [Val],
    public: &'a [Val],
}

impl<'a> RowBuilder<'a> {
    /// A builder over `row` with the AIR's periodic values and public values there.
    pub(crate) fn new(row: &'a [Val], periodic: &'a [Val], public: &'a [Val]) -> Self {
        Self {
            main: RowWindow::from_two_rows(row, row),
            prep: RowWindow::from_two_rows(&[], &[]),
            periodic,
            public,
        }
    }
}

impl<'a> AirBuilder for RowBuilder<'a> {
    type F = Val;
    type Expr = Val;
    type Var = Val;
    type PreprocessedWindow = RowWindow<'a, Val>;
    type MainWindow = RowWindow<'a, Val>;
    type PublicVar = Val;
    type PeriodicVar = Val;

    fn main(&self) -> Self::MainWindow {
        self.main
    }
    fn preprocessed(&self) -> &Self::PreprocessedWindow {
        &self.prep
    }
    fn is_first_row(&self) -> Val {
        Val::ZERO
    }
    fn is_last_row(&self) -> Val {
        Val::ZERO
    }
    fn is_transition(&self) -> Val {
        Val::ONE
    }
    fn assert_zero<I: Into<Val>>(&mut self, _x: I) {}
    fn public_values(&self) -> &[Val] {
        self.public
    }
    fn periodic_values(&self) -> &[Val] {
        self.periodic
    }
}

fn table_tuples() -> &'static HashSet<Vec<Val>> {
    static SET: OnceLock<HashSet<Vec<Val>>> = OnceLock::new();
    SET.get_or_init(all_table_tuples)
}

/// Every violated constraint and every table lookup that misses, as messages (empty for
/// a valid trace). Bus interactions other than the table bus are not checked.
pub(crate) fn check_chip<A>(air: &A, trace: &RowMajorMatrix<Val>) -> Vec<String>
where
    A: BaseAir<Val>
        + for<'a> Air<DebugConstraintBuilder<'a, Val>>
        + Air<InteractionSymbolicBuilder<Val, Challenge>>,
{
    let public = vec![Val::ZERO; air.num_public_values()];
    let report = check_all_constraints(air, trace, &public, Some(64));
    let mut out: Vec<String> = report
        .failures
        .iter()
        .map(|f| format!("row {}: constraint {}", f.row, f.constraint))
        .collect();
    let lookups = Lookups::<Val>::from_air::<Challenge, A>(air);
    let tables = table_tuples();
    for row in 0..trace.height() {
        let cur = trace.row_slice(row).unwrap().to_vec();
        let periodic = air.periodic_values(row);
        let b = RowBuilder::new(&cur, &periodic, &public);
        for (li, l) in lookups.iter().enumerate() {
            if l.kind != Kind::Global(FP_TABLE.name().to_string()) {
                continue;
            }
            for (t, m) in l.elements.iter().zip(&l.multiplicities) {
                if m.resolve(&b) == Val::ZERO {
                    continue;
                }
                let tuple: Vec<Val> = t.iter().map(|e| e.resolve(&b)).collect();
                if !tables.contains(&tuple) {
                    out.push(format!("row {row}: lookup {li} misses: {tuple:?}"));
                }
            }
            if out.len() > 64 {
                return out;
            }
        }
    }
    out
}

/// A small deterministic generator (SplitMix64) for test values.
pub(crate) struct Sm64(pub u64);

impl Sm64 {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub(crate) fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }

    /// A finite FP32 word biased towards the interesting places: extreme and small
    /// exponents, subnormals, zeros, all-ones and single-bit fractions.
    pub(crate) fn fp32(&mut self) -> u32 {
        let sign = (self.next() as u32 & 1) << 31;
        let e = match self.below(4) {
            0 => self.below(255) as u32,
            1 => self.pick(&[
                0, 1, 2, 3, 24, 25, 26, 103, 104, 126, 127, 128, 252, 253, 254,
            ]),
            _ => 100 + self.below(56) as u32,
        };
        let frac = match self.below(5) {
            0 => 0,
            1 => 0x7F_FFFF,
            2 => 1 << self.below(23),
            3 => (self.next() as u32 & 0x7F_FFFF) | 1,
            _ => self.next() as u32 & 0x7F_FFFF,
        };
        sign | e << 23 | frac
    }

    /// A finite BF16 value, biased like [`Sm64::fp32`].
    pub(crate) fn bf16(&mut self) -> u16 {
        let sign = (self.next() as u16 & 1) << 15;
        let e = match self.below(4) {
            0 => self.below(255) as u16,
            1 => self.pick(&[0, 1, 2, 60, 63, 64, 65, 120, 127, 128, 190, 191, 192, 254]),
            _ => 100 + self.below(56) as u16,
        };
        let frac = match self.below(4) {
            0 => 0,
            1 => 0x7F,
            _ => self.next() as u16 & 0x7F,
        };
        sign | e << 7 | frac
    }
}

/// Wrong FP32 results to claim for an op whose true result is `c`: one ulp either way,
/// the other sign, NaN, the infinity of `c`'s sign and a flipped exponent bit (any that
/// equals `c` left out).
pub(crate) fn forged_fp32_results(c: u32) -> Vec<u32> {
    use zkattest_softfloat::{CANONICAL_NAN, POS_INF, SIGN_MASK};
    let mut bads = vec![
        c.wrapping_add(1),
        c.wrapping_sub(1),
        c ^ SIGN_MASK,
        CANONICAL_NAN,
        POS_INF | (c & SIGN_MASK),
        c ^ 0x0080_0000,
    ];
    bads.retain(|&b| b != c);
    bads
}

/// The words a prover could put in a result column to claim `bad`: `bad` itself and, for
/// an infinity, "virtual" exponent-255 words with a nonzero fraction.
pub(crate) fn claimed_words(bad: u32) -> Vec<u32> {
    use zkattest_softfloat::{POS_INF, SIGN_MASK};
    let mut words = vec![bad];
    if bad & !SIGN_MASK == POS_INF {
        words.extend([1, 0x40_0000, 0x7F_FFFF].map(|f| bad | f));
    }
    words
}

/// The honest trace of an update chip for `inputs` (8 rows), checked: every table lookup
/// hits and every constraint holds (the baseline a forgery test edits).
pub(crate) fn honest_update_trace(
    air: &crate::chips::update::UpdateAir,
    scalars: &[u32],
    inputs: &[Vec<u32>],
) -> crate::chips::update::UpdateTrace {
    let refs: Vec<&[u32]> = inputs.iter().map(|v| v.as_slice()).collect();
    let mut counter = crate::chips::fptables::FpTableCounter::default();
    let t =
        crate::chips::update::generate_update_trace(air, scalars, &refs, 3, &mut counter).unwrap();
    assert_eq!(counter.misses(), 0);
    let fails = check_chip(air, &t.main);
    assert!(fails.is_empty(), "{fails:?}");
    t
}
