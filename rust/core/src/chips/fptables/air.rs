use core::borrow::Borrow;

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;

use super::columns::{U16TableCols, U16TablePrep, NUM_U16_TABLE_COLS, NUM_U16_TABLE_PREP_COLS};
use super::content::*;
use super::trace::{small_table_rows, u16_table_rows};
use super::unary::UnaryFn;
use super::{table_tuple, SmallTable, U16_TABLE_LOG_HEIGHT};
use crate::chips::bus::{FP_TABLE, FP_TABLE_WIDTH};

/// The 2^16-row table: row `h` provides the FP32 high-half decode, the finite-only
/// decode, the BF16 decode, the low-half decode and two variable-range entries of `h`.
/// No constraint besides the bus: every provided tuple comes from the fixed,
/// transparent preprocessed columns.
#[derive(Clone, Copy, Debug, Default)]
pub struct U16TableAir;

impl<F: Field> BaseAir<F> for U16TableAir {
    fn width(&self) -> usize {
        NUM_U16_TABLE_COLS
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

impl<AB: InteractionBuilder> Air<AB> for U16TableAir
where
    AB::F: Field,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let m: &U16TableCols<AB::Var> = main.current_slice().borrow();
        let m = *m;
        let prep = builder.preprocessed().current_slice().to_vec();
        let p: &U16TablePrep<AB::Var> = prep[..].borrow();
        let p = *p;
        let c = |x: u32| AB::Expr::from_u32(x);
        // provide [FULL, h, s, e, mh, ovf, cz]
        FP_TABLE.table_entry(
            builder,
            table_tuple::<AB::Expr>([
                c(TAG_FP32_FULL),
                p.h.into(),
                p.s.into(),
                p.e.into(),
                p.mh.into(),
                p.ovf.into(),
                p.cz.into(),
            ]),
            m.m_full,
        );
        // provide [fin_tag, h, s, e, mh] (tag 0 on Inf / NaN rows: never matched)
        FP_TABLE.table_entry(
            builder,
            table_tuple::<AB::Expr>([
                p.fin_tag.into(),
                p.h.into(),
                p.s.into(),
                p.e.into(),
                p.mh.into(),
            ]),
            m.m_fin,
        );
        // provide [bf_tag, h, s, bf_e, bf_sig]
        FP_TABLE.table_entry(
            builder,
            table_tuple::<AB::Expr>([
                p.bf_tag.into(),
                p.h.into(),
                p.s.into(),
                p.bf_e.into(),
                p.bf_sig.into(),
            ]),
            m.m_bf,
        );
        // provide [LO16, h, h & 1, h == 0]
        FP_TABLE.table_entry(
            builder,
            table_tuple::<AB::Expr>([c(TAG_LO16), p.h.into(), p.par.into(), p.isz.into()]),
            m.m_lo,
        );
        // provide [VR, 16, h]: 0 <= h < 2^16
        FP_TABLE.table_entry(
            builder,
            table_tuple::<AB::Expr>([c(TAG_VR), c(VR_MAX_BITS), p.h.into()]),
            m.m_vr16,
        );
        // provide [vr_tag, m, v]: 0 <= v < 2^m for m <= 15
        FP_TABLE.table_entry(
            builder,
            table_tuple::<AB::Expr>([p.vr_tag.into(), p.vr_m.into(), p.vr_v.into()]),
            m.m_vrs,
        );
        // provide [finpar_tag, h, h & 1] (finite high halves)
        FP_TABLE.table_entry(
            builder,
            table_tuple::<AB::Expr>([p.finpar_tag.into(), p.h.into(), p.par.into()]),
            m.m_finpar,
        );
        // provide [HALF, h, h > 0x8000, h == 0x8000]
        FP_TABLE.table_entry(
            builder,
            table_tuple::<AB::Expr>([c(TAG_HALF), p.h.into(), p.half_gt.into(), p.half_eq.into()]),
            m.m_half,
        );
        // provide [nrm_tag, h, s, en, mh, ph, hz] (finite high halves)
        FP_TABLE.table_entry(
            builder,
            table_tuple::<AB::Expr>([
                p.nrm_tag.into(),
                p.h.into(),
                p.s.into(),
                p.nrm_en.into(),
                p.mh.into(),
                p.nrm_ph.into(),
                p.nrm_hz.into(),
            ]),
            m.m_nrm,
        );
        // provide [LOZ, h, clz, 2^clz]
        FP_TABLE.table_entry(
            builder,
            table_tuple::<AB::Expr>([c(TAG_LOZ), p.h.into(), p.loz_clz.into(), p.loz_pc.into()]),
            m.m_loz,
        );
        // provide [unary_tag, fn, h, f(h)] for each unary function (finite h)
        for (id, y, mult) in [
            (UnaryFn::Gelu, p.gelu, m.m_gelu),
            (UnaryFn::Exp, p.exp, m.m_exp),
        ] {
            FP_TABLE.table_entry(
                builder,
                table_tuple::<AB::Expr>([p.unary_tag.into(), c(id as u32), p.h.into(), y.into()]),
                mult,
            );
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
