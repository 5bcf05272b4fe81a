//! The shared lookup tables of the floating-point chips, all on the one bus
//! [`FP_TABLE`](crate::chips::bus::FP_TABLE) with a tag as the first tuple element:
//!
//! | tag | tuple after the tag | table |
//! |-----|---------------------|-------|
//! | `FP32_FULL` | `h, s, e, mh, ovf, cz` | [`U16TableAir`] (2^16 rows) |
//! | `FP32_FIN` | `h, s, e, mh` (finite `h` only) | [`U16TableAir`] |
//! | `BF16N` | `h, s, e, sig` (normalized, finite only) | [`U16TableAir`] |
//! | `LO16` | `l, l & 1, l == 0` | [`U16TableAir`] |
//! | `VR` | `m, v` with `v < 2^m`, `m <= 16` | [`U16TableAir`] (two entries a row) |
//! | `FINPAR` | `h, h & 1` (finite `h` only) | [`U16TableAir`] |
//! | `HALF` | `l, l > 0x8000, l == 0x8000` | [`U16TableAir`] |
//! | `FP32_NRM` | `h, s, en, mh, ph, hz` (finite `h` only) | [`U16TableAir`] |
//! | `LOZ` | `l, clz, 2^clz` | [`U16TableAir`] |
//! | `UNARY` | `fn, x, f(x)` (GELU, exp; finite `x`) | [`U16TableAir`] (two entries a row) |
//! | `SHIFT` | `delta, w, hi, pw, mr, f2` | [`SmallTableAir`] (2^11 rows) |
//! | `MACQ` | `q, f, zq` | [`SmallTableAir`] (2^11 rows) |
//! | `ROUND` | `rev, j, pn, err, cz, par, isz, sz, s1, s2` | [`SmallTableAir`] (2^12 rows) |
//! | `MULQ` | `q, f, nN, nO, nE, pw, ps, hs, sb, ub` | [`SmallTableAir`] (2^11 rows) |
//! | `MULS` | `g, f, zq, no, hi, pw, mr, jb` | [`SmallTableAir`] (2^11 rows) |
//! | `MROUND` | `jm, pn, err, cz, par, isz` | [`SmallTableAir`] (2^9 rows) |
//!
//! [`content`] defines every entry; rows without an entry carry tag 0, which no chip
//! looks up.

mod air;
pub(crate) mod columns;
pub mod content;
mod sets;
mod trace;
pub mod unary;

#[cfg(test)]
mod tests;

pub use air::{SmallTableAir, U16TableAir};
pub use columns::{U16TableCols, U16TablePrep, NUM_U16_TABLE_COLS, NUM_U16_TABLE_PREP_COLS};
pub use content::OpCode;
pub use sets::{tables_looked_up, TablesUsed, U16Set, U16Sets};
pub use trace::FpTableCounter;

use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;

use crate::chips::bus::{FP_TABLE, FP_TABLE_WIDTH};

/// Rows of [`U16TableAir`].
pub const U16_TABLE_LOG_HEIGHT: usize = 16;

/// The small tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SmallTable {
    /// Alignment parameters of an exponent difference.
    Shift,
    /// Exact BF16 products.
    Macq,
    /// Round-to-nearest-even check.
    Round,
    /// Rounding of BF16 products to FP32.
    Mulq,
    /// Alignment of FP32 products.
    Muls,
    /// Round-to-nearest-even check of FP32 products.
    Mround,
}

impl SmallTable {
    /// Every small table, in statement order.
    pub const ALL: [SmallTable; 6] = [
        SmallTable::Shift,
        SmallTable::Macq,
        SmallTable::Round,
        SmallTable::Mulq,
        SmallTable::Muls,
        SmallTable::Mround,
    ];

    /// The table's name in layouts and benchmarks.
    pub fn name(self) -> &'static str {
        match self {
            SmallTable::Shift => "table.shift",
            SmallTable::Macq => "table.macq",
            SmallTable::Round => "table.round",
            SmallTable::Mulq => "table.mulq",
            SmallTable::Muls => "table.muls",
            SmallTable::Mround => "table.mround",
        }
    }

    /// The tag of the table's tuples.
    pub fn tag(self) -> u32 {
        match self {
            SmallTable::Shift => content::TAG_SHIFT,
            SmallTable::Macq => content::TAG_MACQ,
            SmallTable::Round => content::TAG_ROUND,
            SmallTable::Mulq => content::TAG_MULQ,
            SmallTable::Muls => content::TAG_MULS,
            SmallTable::Mround => content::TAG_MROUND,
        }
    }

    /// log2 of the table's height.
    pub fn log_height(self) -> usize {
        trace::small_table_rows(self).len().trailing_zeros() as usize
    }
}

/// Pads `elems` (tag first) with zeros to the bus width.
pub fn table_tuple<E: PrimeCharacteristicRing>(elems: impl IntoIterator<Item = E>) -> Vec<E> {
    let mut v: Vec<E> = elems.into_iter().collect();
    debug_assert!(v.len() <= FP_TABLE_WIDTH);
    v.resize(FP_TABLE_WIDTH, E::ZERO);
    v
}

/// Looks up `[tag, elems..]` once in the shared tables.
pub fn lookup<AB: InteractionBuilder>(
    builder: &mut AB,
    tag: u32,
    elems: impl IntoIterator<Item = AB::Expr>,
) {
    let tuple = table_tuple(core::iter::once(AB::Expr::from_u32(tag)).chain(elems));
    FP_TABLE.lookup_key(builder, tuple, 1);
}

/// Every valid table tuple (for tests: a lookup is valid iff its tuple is in here).
#[cfg(test)]
pub(crate) fn all_table_tuples() -> std::collections::HashSet<Vec<crate::prover::Val>> {
    use crate::prover::Val;
    let mut set = std::collections::HashSet::new();
    let fe = |x: i64| Val::from_i64(x);
    for r in trace::u16_table_rows() {
        let p: Vec<Val> = r.iter().map(|&x| fe(x)).collect();
        let p: &U16TablePrep<Val> = core::borrow::Borrow::borrow(&p[..]);
        let c = |x: u32| Val::from_u32(x);
        let sets = [
            vec![c(content::TAG_FP32_FULL), p.h, p.s, p.e, p.mh, p.ovf, p.cz],
            vec![p.fin_tag, p.h, p.s, p.e, p.mh],
            vec![p.bf_tag, p.h, p.s, p.bf_e, p.bf_sig],
            vec![c(content::TAG_LO16), p.h, p.par, p.isz],
            vec![c(content::TAG_VR), c(content::VR_MAX_BITS), p.h],
            vec![p.vr_tag, p.vr_m, p.vr_v],
            vec![p.finpar_tag, p.h, p.par],
            vec![c(content::TAG_HALF), p.h, p.half_gt, p.half_eq],
            vec![p.nrm_tag, p.h, p.s, p.nrm_en, p.mh, p.nrm_ph, p.nrm_hz],
            vec![c(content::TAG_LOZ), p.h, p.loz_clz, p.loz_pc],
            vec![p.unary_tag, c(unary::UnaryFn::Gelu as u32), p.h, p.gelu],
            vec![p.unary_tag, c(unary::UnaryFn::Exp as u32), p.h, p.exp],
        ];
        for t in sets {
            if t[0] != Val::ZERO {
                set.insert(table_tuple(t));
            }
        }
    }
    for t in SmallTable::ALL {
        for r in trace::small_table_rows(t) {
            if r[0] != 0 {
                set.insert(r.iter().map(|&x| fe(x)).collect());
            }
        }
    }
    set
}
