use std::collections::HashMap;
use std::sync::OnceLock;

use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;

use super::columns::NUM_U16_TABLE_PREP_COLS;
use super::content::*;
use super::sets::{TablesUsed, U16Set, U16Sets};
use super::unary::UnaryFn;
use super::{SmallTable, U16_TABLE_LOG_HEIGHT};
use crate::chips::bus::FP_TABLE_WIDTH;
use crate::error::{Error, Result};
use crate::prover::Val;

/// The preprocessed rows of the 2^16-row table (as signed integers).
pub(crate) fn u16_table_rows() -> &'static [[i64; NUM_U16_TABLE_PREP_COLS]] {
    static ROWS: OnceLock<Vec<[i64; NUM_U16_TABLE_PREP_COLS]>> = OnceLock::new();
    ROWS.get_or_init(|| {
        (0..1u32 << U16_TABLE_LOG_HEIGHT)
            .map(|h| {
                let d = fp32_hi(h);
                let fin_tag = if d.ovf == 1 { TAG_NONE } else { TAG_FP32_FIN };
                let (bf_tag, bf_e, bf_sig) = match bf16_norm(h) {
                    Some(b) => (TAG_BF16N, b.e as i64, b.sig),
                    None => (TAG_NONE, 0, 0),
                };
                let (par, isz) = lo16(h);
                let (nrm_tag, nrm) = match fp32_nrm(h) {
                    Some(n) => (TAG_FP32_NRM, n),
                    None => (
                        TAG_NONE,
                        Fp32Nrm {
                            s: 0,
                            en: 0,
                            mh: 0,
                            ph: 0,
                            hz: 0,
                        },
                    ),
                };
                let (clz, pc) = loz(h);
                let (vr_tag, vr_m, vr_v) = match vr_small_entry(h as usize) {
                    Some((m, v)) => (TAG_VR, m, v),
                    None => (TAG_NONE, 0, 0),
                };
                [
                    h as i64,
                    d.s as i64,
                    d.e as i64,
                    d.mh as i64,
                    d.ovf as i64,
                    d.cz as i64,
                    fin_tag as i64,
                    bf_tag as i64,
                    bf_e,
                    bf_sig as i64,
                    par as i64,
                    isz as i64,
                    vr_tag as i64,
                    vr_m as i64,
                    vr_v as i64,
                    fin_tag.min(1) as i64 * TAG_FINPAR as i64,
                    (h > 0x8000) as i64,
                    (h == 0x8000) as i64,
                    nrm_tag as i64,
                    nrm.en as i64,
                    nrm.ph as i64,
                    nrm.hz as i64,
                    clz as i64,
                    pc as i64,
                    if bf16_norm(h).is_some() {
                        TAG_UNARY as i64
                    } else {
                        0
                    },
                    UnaryFn::Gelu.eval(h as u16).unwrap_or(0) as i64,
                    UnaryFn::Exp.eval(h as u16).unwrap_or(0) as i64,
                ]
            })
            .collect()
    })
}

type Row = [i64; FP_TABLE_WIDTH];

/// Tuple sets (multiplicity columns) of the 2^16-row table.
const U16_SETS: usize = super::NUM_U16_TABLE_COLS;

fn pad_rows(mut rows: Vec<Row>) -> Vec<Row> {
    let n = rows.len().next_power_of_two();
    rows.resize(n, [TAG_NONE as i64; FP_TABLE_WIDTH]);
    rows
}

fn shift_rows() -> Vec<Row> {
    let rows = (SHIFT_MIN..=SHIFT_MAX)
        .map(|delta| {
            let e = shift_entry(delta).expect("in range");
            let mut r = [0; FP_TABLE_WIDTH];
            r[..7].copy_from_slice(&[
                TAG_SHIFT as i64,
                delta as i64,
                e.w as i64,
                e.hi as i64,
                e.pw as i64,
                e.mr as i64,
                e.f2 as i64,
            ]);
            r
        })
        .collect();
    pad_rows(rows)
}

fn macq_rows() -> Vec<Row> {
    let rows = macq_entries()
        .into_iter()
        .map(|(q, f, zq)| {
            let mut r = [0; FP_TABLE_WIDTH];
            r[..4].copy_from_slice(&[TAG_MACQ as i64, q as i64, f as i64, zq as i64]);
            r
        })
        .collect();
    pad_rows(rows)
}

fn muls_rows() -> Vec<Row> {
    let rows = muls_entries()
        .into_iter()
        .map(|(g, f, e)| {
            let mut r = [0; FP_TABLE_WIDTH];
            r[..9].copy_from_slice(&[
                TAG_MULS as i64,
                g as i64,
                f as i64,
                e.zq as i64,
                e.no as i64,
                e.hi as i64,
                e.pw as i64,
                e.mr as i64,
                e.jb as i64,
            ]);
            r
        })
        .collect();
    pad_rows(rows)
}

fn mround_rows() -> Vec<Row> {
    let rows = mround_entries()
        .into_iter()
        .map(|k| {
            let mut r = [0; FP_TABLE_WIDTH];
            r[0] = TAG_MROUND as i64;
            for (o, x) in r[1..7].iter_mut().zip(k) {
                *o = x as i64;
            }
            r
        })
        .collect();
    pad_rows(rows)
}

fn mulq_rows() -> Vec<Row> {
    let rows = mulq_entries()
        .into_iter()
        .map(|(q, f, e)| {
            [
                TAG_MULQ as i64,
                q as i64,
                f as i64,
                e.nn as i64,
                e.no as i64,
                e.ne as i64,
                e.pw as i64,
                e.ps as i64,
                e.hs as i64,
                e.sb as i64,
                e.ub as i64,
            ]
        })
        .collect();
    pad_rows(rows)
}

/// The tuple (after the tag) of a [`RoundKey`].
pub(crate) fn round_key_elems(k: &RoundKey) -> [i64; 10] {
    [
        k.rev as i64,
        k.j as i64,
        k.pn as i64,
        k.err as i64,
        k.cz as i64,
        k.par as i64,
        k.isz as i64,
        k.sz as i64,
        k.s1 as i64,
        k.s2 as i64,
    ]
}

fn round_rows() -> Vec<Row> {
    let rows = round_entries()
        .iter()
        .map(|k| {
            let mut r = [0; FP_TABLE_WIDTH];
            r[0] = TAG_ROUND as i64;
            r[1..].copy_from_slice(&round_key_elems(k));
            r
        })
        .collect();
    pad_rows(rows)
}

/// The preprocessed rows of a small table: each row is a full bus tuple.
pub(crate) fn small_table_rows(table: SmallTable) -> &'static [Row] {
    static SHIFT: OnceLock<Vec<Row>> = OnceLock::new();
    static MACQ: OnceLock<Vec<Row>> = OnceLock::new();
    static ROUND: OnceLock<Vec<Row>> = OnceLock::new();
    static MULQ: OnceLock<Vec<Row>> = OnceLock::new();
    static MULS: OnceLock<Vec<Row>> = OnceLock::new();
    static MROUND: OnceLock<Vec<Row>> = OnceLock::new();
    match table {
        SmallTable::Shift => SHIFT.get_or_init(shift_rows),
        SmallTable::Macq => MACQ.get_or_init(macq_rows),
        SmallTable::Round => ROUND.get_or_init(round_rows),
        SmallTable::Mulq => MULQ.get_or_init(mulq_rows),
        SmallTable::Muls => MULS.get_or_init(muls_rows),
        SmallTable::Mround => MROUND.get_or_init(mround_rows),
    }
}

fn macq_index() -> &'static HashMap<(i32, u32), usize> {
    static MAP: OnceLock<HashMap<(i32, u32), usize>> = OnceLock::new();
    MAP.get_or_init(|| {
        macq_entries()
            .into_iter()
            .enumerate()
            .map(|(i, (q, f, _))| ((q, f), i))
            .collect()
    })
}

fn mulq_index() -> &'static HashMap<(i32, u32), usize> {
    static MAP: OnceLock<HashMap<(i32, u32), usize>> = OnceLock::new();
    MAP.get_or_init(|| {
        mulq_entries()
            .into_iter()
            .enumerate()
            .map(|(i, (q, f, _))| ((q, f), i))
            .collect()
    })
}

fn muls_index() -> &'static HashMap<(i32, u32), usize> {
    static MAP: OnceLock<HashMap<(i32, u32), usize>> = OnceLock::new();
    MAP.get_or_init(|| {
        muls_entries()
            .into_iter()
            .enumerate()
            .map(|(i, (g, f, _))| ((g, f), i))
            .collect()
    })
}

fn mround_index() -> &'static HashMap<[i32; 6], usize> {
    static MAP: OnceLock<HashMap<[i32; 6], usize>> = OnceLock::new();
    MAP.get_or_init(|| {
        mround_entries()
            .into_iter()
            .enumerate()
            .map(|(i, k)| (k, i))
            .collect()
    })
}

fn round_index() -> &'static HashMap<RoundKey, usize> {
    static MAP: OnceLock<HashMap<RoundKey, usize>> = OnceLock::new();
    MAP.get_or_init(|| {
        round_entries()
            .into_iter()
            .enumerate()
            .map(|(i, k)| (k, i))
            .collect()
    })
}

/// Counts lookups into the shared tables while chips generate their traces, then emits
/// the tables' multiplicity columns. A lookup of a tuple that is not in its table is
/// recorded as a miss (an honest trace has none; a forged one simply cannot be proved).
#[derive(Clone, Debug)]
pub struct FpTableCounter {
    u16: Vec<[u32; U16_SETS]>,
    shift: Vec<u32>,
    macq: Vec<u32>,
    round: Vec<u32>,
    mulq: Vec<u32>,
    muls: Vec<u32>,
    mround: Vec<u32>,
    misses: usize,
}

impl Default for FpTableCounter {
    fn default() -> Self {
        Self {
            u16: vec![[0; U16_SETS]; 1 << U16_TABLE_LOG_HEIGHT],
            shift: vec![0; small_table_rows(SmallTable::Shift).len()],
            macq: vec![0; small_table_rows(SmallTable::Macq).len()],
            round: vec![0; small_table_rows(SmallTable::Round).len()],
            mulq: vec![0; small_table_rows(SmallTable::Mulq).len()],
            muls: vec![0; small_table_rows(SmallTable::Muls).len()],
            mround: vec![0; small_table_rows(SmallTable::Mround).len()],
            misses: 0,
        }
    }
}

impl FpTableCounter {
    fn u16_slot(&mut self, h: u32, set: U16Set, ok: bool) {
        if ok && h < 1 << U16_TABLE_LOG_HEIGHT {
            self.u16[h as usize][set as usize] += 1;
        } else {
            self.misses += 1;
        }
    }

    /// `[TAG_FP32_FULL, h, ..]`.
    pub fn fp32_full(&mut self, h: u32) {
        self.u16_slot(h, U16Set::Full, true);
    }

    /// `[TAG_FP32_FIN, h, ..]` (a miss for Inf / NaN).
    pub fn fp32_fin(&mut self, h: u32) {
        self.u16_slot(h, U16Set::Fin, fp32_hi(h & 0xFFFF).ovf == 0);
    }

    /// `[TAG_BF16N, h, ..]` (a miss for Inf / NaN).
    pub fn bf16n(&mut self, h: u32) {
        self.u16_slot(h, U16Set::Bf16, bf16_norm(h & 0xFFFF).is_some());
    }

    /// `[TAG_LO16, l, ..]`.
    pub fn lo16(&mut self, l: u32) {
        self.u16_slot(l, U16Set::Lo16, true);
    }

    /// `[TAG_VR, m, v]`: `0 <= v < 2^m`.
    pub fn vr(&mut self, m: u32, v: u32) {
        if m == VR_MAX_BITS {
            self.u16_slot(v, U16Set::Vr16, true);
        } else if m < VR_MAX_BITS && v < 1 << m {
            self.u16[vr_small_row(m, v)][U16Set::VrSmall as usize] += 1;
        } else {
            self.misses += 1;
        }
    }

    /// `[TAG_FINPAR, h, h & 1]` (a miss for Inf / NaN).
    pub fn finpar(&mut self, h: u32) {
        self.u16_slot(h, U16Set::FinPar, fp32_hi(h & 0xFFFF).ovf == 0);
    }

    /// `[TAG_HALF, l, ..]`.
    pub fn half(&mut self, l: u32) {
        self.u16_slot(l, U16Set::Half, true);
    }

    /// `[TAG_SHIFT, delta, ..]`.
    pub fn shift(&mut self, delta: i32) {
        if (SHIFT_MIN..=SHIFT_MAX).contains(&delta) {
            self.shift[(delta - SHIFT_MIN) as usize] += 1;
        } else {
            self.misses += 1;
        }
    }

    /// `[TAG_MACQ, q, f, zq]`.
    pub fn macq(&mut self, q: i32, f: u32) {
        match macq_index().get(&(q, f)) {
            Some(&i) => self.macq[i] += 1,
            None => self.misses += 1,
        }
    }

    /// `[TAG_MULQ, q, f, ..]`.
    pub fn mulq(&mut self, q: i32, f: u32) {
        match mulq_index().get(&(q, f)) {
            Some(&i) => self.mulq[i] += 1,
            None => self.misses += 1,
        }
    }

    /// `[TAG_FP32_NRM, h, ..]` (a miss for Inf / NaN).
    pub fn fp32_nrm(&mut self, h: u32) {
        self.u16_slot(h, U16Set::Nrm, fp32_nrm(h & 0xFFFF).is_some());
    }

    /// `[TAG_LOZ, l, ..]`.
    pub fn loz(&mut self, l: u32) {
        self.u16_slot(l, U16Set::Loz, true);
    }

    /// `[TAG_UNARY, fn, x, f(x)]` (a miss for Inf / NaN).
    pub fn unary(&mut self, f: UnaryFn, x: u32) {
        let set = match f {
            UnaryFn::Gelu => U16Set::Gelu,
            UnaryFn::Exp => U16Set::Exp,
        };
        self.u16_slot(x, set, f.eval(x as u16).is_some());
    }

    /// `[TAG_MULS, g, f, ..]`.
    pub fn muls(&mut self, g: i32, f: u32) {
        match muls_index().get(&(g, f)) {
            Some(&i) => self.muls[i] += 1,
            None => self.misses += 1,
        }
    }

    /// `[TAG_MROUND, jm, pn, err, cz, par, isz]`.
    pub fn mround(&mut self, key: [i64; 6]) {
        let k = key.map(|x| x.clamp(i32::MIN as i64, i32::MAX as i64) as i32);
        match mround_index().get(&k) {
            Some(&i) => self.mround[i] += 1,
            None => self.misses += 1,
        }
    }

    /// `[TAG_ROUND, ..key]`.
    pub fn round(&mut self, key: &RoundKey) {
        match round_index().get(key) {
            Some(&i) => self.round[i] += 1,
            None => self.misses += 1,
        }
    }

    /// Lookups that hit no table entry.
    pub fn misses(&self) -> usize {
        self.misses
    }

    /// Adds another counter's counts (for counting in parallel).
    pub fn merge(&mut self, other: &Self) {
        for (a, b) in self.u16.iter_mut().zip(&other.u16) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        for (a, b) in [
            (&mut self.shift, &other.shift),
            (&mut self.macq, &other.macq),
            (&mut self.round, &other.round),
            (&mut self.mulq, &other.mulq),
            (&mut self.muls, &other.muls),
            (&mut self.mround, &other.mround),
        ] {
            for (x, y) in a.iter_mut().zip(b.iter()) {
                *x += y;
            }
        }
        self.misses += other.misses;
    }

    /// Main trace of the 2^16-row table providing every set.
    pub fn u16_trace(&self) -> RowMajorMatrix<Val> {
        let values = self
            .u16
            .iter()
            .flat_map(|r| r.iter().map(|&c| Val::from_u32(c)))
            .collect();
        RowMajorMatrix::new(values, U16_SETS)
    }

    /// Main trace of the 2^16-row table providing only `sets` (its multiplicity columns
    /// in [`U16Set`] order). A lookup counted in a set the table does not provide is an
    /// error: that proof could not verify.
    pub fn u16_subset_trace(&self, sets: U16Sets) -> Result<RowMajorMatrix<Val>> {
        for set in U16Set::ALL.into_iter().filter(|&s| !sets.contains(s)) {
            let n: u64 = self.u16.iter().map(|r| r[set as usize] as u64).sum();
            if n != 0 {
                return Err(Error::Proving(format!(
                    "{n} lookups of the u16 table's {set:?} tuples, which this statement's \
                     table does not provide"
                )));
            }
        }
        let values = self
            .u16
            .iter()
            .flat_map(|r| sets.iter().map(|s| Val::from_u32(r[s as usize])))
            .collect();
        Ok(RowMajorMatrix::new(values, sets.len()))
    }

    /// Main traces of the tables `used` provides, in statement order (the 2^16-row
    /// table, then the small tables). A lookup counted in a table or set that `used`
    /// lacks is an error: that proof could not verify.
    pub fn traces_for(&self, used: &TablesUsed) -> Result<Vec<RowMajorMatrix<Val>>> {
        let mut out = vec![self.u16_subset_trace(used.u16)?];
        for t in SmallTable::ALL {
            if used.small.contains(&t) {
                out.push(self.small_trace(t));
            } else if self.small_counts(t).iter().any(|&c| c != 0) {
                return Err(Error::Proving(format!(
                    "lookups of {}, which this statement does not provide",
                    t.name()
                )));
            }
        }
        Ok(out)
    }

    fn small_counts(&self, table: SmallTable) -> &[u32] {
        match table {
            SmallTable::Shift => &self.shift,
            SmallTable::Macq => &self.macq,
            SmallTable::Round => &self.round,
            SmallTable::Mulq => &self.mulq,
            SmallTable::Muls => &self.muls,
            SmallTable::Mround => &self.mround,
        }
    }

    /// Main trace of a small table.
    pub fn small_trace(&self, table: SmallTable) -> RowMajorMatrix<Val> {
        let counts = self.small_counts(table);
        RowMajorMatrix::new(counts.iter().map(|&c| Val::from_u32(c)).collect(), 1)
    }
}
