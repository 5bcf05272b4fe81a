use core::borrow::Borrow;

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;

use super::columns::{U16TablePrep, NUM_U16_TABLE_PREP_COLS};
use super::content::*;
use super::sets::{U16Set, U16Sets};
use super::trace::{small_table_rows, u16_table_rows};
use super::unary::UnaryFn;
use super::{table_tuple, SmallTable, U16_TABLE_LOG_HEIGHT};
use crate::chips::bus::{FP_TABLE, FP_TABLE_WIDTH};

/// The 2^16-row table: row `h` provides the FP32 high-half decode, the finite-only
/// decode, the BF16 decode, the low-half decode, two variable-range entries of `h`, ...
/// (one tuple per [`U16Set`]). No constraint besides the bus: every provided tuple comes
/// from the fixed, transparent preprocessed columns. The preprocessed columns are the
/// same for every statement; a statement provides only the `sets` its chips look up
/// (one multiplicity main column each, in [`U16Set`] order).
#[derive(Clone, Copy, Debug)]
pub struct U16TableAir {
    /// The tuple sets provided.
    pub sets: U16Sets,
}

impl U16TableAir {
    /// The table providing every set (the arithmetic statement's).
    pub const ALL: U16TableAir = U16TableAir { sets: U16Sets::ALL };
}

impl Default for U16TableAir {
    fn default() -> Self {
        Self::ALL
    }
}

impl<F: Field> BaseAir<F> for U16TableAir {
    fn width(&self) -> usize {
        self.sets.len()
    }

    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<F>> {
        let rows = u16_table_rows();
        debug_assert_eq!(rows.len(), 1 << U16_TABLE_LOG_HEIGHT);
        let values = rows
            .iter()
            .flat_map(|r| r.iter().map(|&x| F::from_i64(x)))
            .collect();
        Some(RowMajorMatrix::new(values, NUM_U16_TABLE_PREP_COLS))
    }

    fn preprocessed_width(&self) -> usize {
        NUM_U16_TABLE_PREP_COLS
    }

    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }

    fn preprocessed_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

/// The tuple (tag first, unpadded) row `p` provides for `set`.
fn provided<E: PrimeCharacteristicRing, V: Into<E> + Copy>(
    set: U16Set,
    p: &U16TablePrep<V>,
) -> Vec<E> {
    let c = |x: u32| E::from_u32(x);
    let v = |x: V| -> E { x.into() };
    match set {
        // [FULL, h, s, e, mh, ovf, cz]
        U16Set::Full => vec![
            c(TAG_FP32_FULL),
            v(p.h),
            v(p.s),
            v(p.e),
            v(p.mh),
            v(p.ovf),
            v(p.cz),
        ],
        // [fin_tag, h, s, e, mh] (tag 0 on Inf / NaN rows: never matched)
        U16Set::Fin => vec![v(p.fin_tag), v(p.h), v(p.s), v(p.e), v(p.mh)],
        // [bf_tag, h, s, bf_e, bf_sig]
        U16Set::Bf16 => vec![v(p.bf_tag), v(p.h), v(p.s), v(p.bf_e), v(p.bf_sig)],
        // [LO16, h, h & 1, h == 0]
        U16Set::Lo16 => vec![c(TAG_LO16), v(p.h), v(p.par), v(p.isz)],
        // [VR, 16, h]: 0 <= h < 2^16
        U16Set::Vr16 => vec![c(TAG_VR), c(VR_MAX_BITS), v(p.h)],
        // [vr_tag, m, v]: 0 <= v < 2^m for m <= 15
        U16Set::VrSmall => vec![v(p.vr_tag), v(p.vr_m), v(p.vr_v)],
        // [finpar_tag, h, h & 1] (finite high halves)
        U16Set::FinPar => vec![v(p.finpar_tag), v(p.h), v(p.par)],
        // [HALF, h, h > 0x8000, h == 0x8000]
        U16Set::Half => vec![c(TAG_HALF), v(p.h), v(p.half_gt), v(p.half_eq)],
        // [nrm_tag, h, s, en, mh, ph, hz] (finite high halves)
        U16Set::Nrm => vec![
            v(p.nrm_tag),
            v(p.h),
            v(p.s),
            v(p.nrm_en),
            v(p.mh),
            v(p.nrm_ph),
            v(p.nrm_hz),
        ],
        // [LOZ, h, clz, 2^clz]
        U16Set::Loz => vec![c(TAG_LOZ), v(p.h), v(p.loz_clz), v(p.loz_pc)],
        // [unary_tag, fn, h, f(h)] for each unary function (finite h)
        U16Set::Gelu => vec![v(p.unary_tag), c(UnaryFn::Gelu as u32), v(p.h), v(p.gelu)],
        U16Set::Exp => vec![v(p.unary_tag), c(UnaryFn::Exp as u32), v(p.h), v(p.exp)],
    }
}

impl<AB: InteractionBuilder> Air<AB> for U16TableAir
where
    AB::F: Field,
{
    fn eval(&self, builder: &mut AB) {
        let mults: Vec<AB::Var> = builder.main().current_slice().to_vec();
        let prep = builder.preprocessed().current_slice().to_vec();
        let p: &U16TablePrep<AB::Var> = prep[..].borrow();
        let p = *p;
        for (set, m) in self.sets.iter().zip(mults) {
            let tuple = provided::<AB::Expr, AB::Var>(set, &p);
            FP_TABLE.table_entry(builder, table_tuple::<AB::Expr>(tuple), m);
        }
    }
}

/// One of the small tables: fixed tuples (preprocessed) and one multiplicity column.
#[derive(Clone, Copy, Debug)]
pub struct SmallTableAir {
    /// Which table.
    pub table: SmallTable,
}

impl<F: Field> BaseAir<F> for SmallTableAir {
    fn width(&self) -> usize {
        1
    }

    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<F>> {
        let rows = small_table_rows(self.table);
        let values = rows
            .iter()
            .flat_map(|r| r.iter().map(|&x| F::from_i64(x)))
            .collect();
        Some(RowMajorMatrix::new(values, FP_TABLE_WIDTH))
    }

    fn preprocessed_width(&self) -> usize {
        FP_TABLE_WIDTH
    }

    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }

    fn preprocessed_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

impl<AB: InteractionBuilder> Air<AB> for SmallTableAir
where
    AB::F: Field,
{
    fn eval(&self, builder: &mut AB) {
        let mult = builder.main().current_slice()[0];
        let prep: Vec<AB::Expr> = builder
            .preprocessed()
            .current_slice()
            .iter()
            .map(|&v| v.into())
            .collect();
        // provide the row's tuple (its tag is the first preprocessed column)
        FP_TABLE.table_entry(builder, prep, mult);
    }
}
