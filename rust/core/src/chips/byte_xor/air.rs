use core::borrow::Borrow;
use core::mem::size_of;

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;

use super::{Flavour, BYTE_XOR_LOG_HEIGHT};
use crate::chips::bus::BYTE_XOR;
use crate::chips::fptables::columns::impl_borrow;

/// Preprocessed (fixed, public) columns of the byte table; row `r` describes the bytes
/// `x = r & 0xFF`, `y = r >> 8`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ByteXorPrep<T> {
    /// `x`.
    pub x: T,
    /// `y`.
    pub y: T,
    /// `x ^ y`.
    pub xor: T,
    /// `(x ^ y) & 0xF`.
    pub lo4: T,
    /// `(x ^ y) >> 4`.
    pub hi4: T,
    /// `(x ^ y) & 0x7F`.
    pub low7: T,
    /// `(x ^ y) >> 7`.
    pub top1: T,
}

/// Width of [`ByteXorPrep`].
pub const NUM_BYTE_XOR_PREP_COLS: usize = size_of::<ByteXorPrep<u8>>();
/// Main columns: one multiplicity per [`Flavour`].
pub const NUM_BYTE_XOR_COLS: usize = Flavour::ALL.len();

impl_borrow!(ByteXorPrep, NUM_BYTE_XOR_PREP_COLS);

/// The byte table (see the module docs). No constraint besides the bus: every provided
/// tuple comes from the preprocessed columns.
#[derive(Clone, Copy, Debug, Default)]
pub struct ByteXorTableAir;

impl<F: Field> BaseAir<F> for ByteXorTableAir {
    fn width(&self) -> usize {
        NUM_BYTE_XOR_COLS
    }

    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<F>> {
        let values = (0..1u32 << BYTE_XOR_LOG_HEIGHT)
            .flat_map(|r| {
                let (x, y) = (r & 0xFF, r >> 8);
                let z = x ^ y;
                [x, y, z, z & 0xF, z >> 4, z & 0x7F, z >> 7].map(F::from_u32)
            })
            .collect();
        Some(RowMajorMatrix::new(values, NUM_BYTE_XOR_PREP_COLS))
    }

    fn preprocessed_width(&self) -> usize {
        NUM_BYTE_XOR_PREP_COLS
    }

    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }

    fn preprocessed_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

impl<AB: InteractionBuilder> Air<AB> for ByteXorTableAir
where
    AB::F: Field,
{
    fn eval(&self, builder: &mut AB) {
        let mults: Vec<AB::Var> = builder.main().current_slice().to_vec();
        let prep = builder.preprocessed().current_slice().to_vec();
        let p: &ByteXorPrep<AB::Var> = prep[..].borrow();
        let v = |x: AB::Var| -> AB::Expr { x.into() };
        let zero = AB::Expr::ZERO;
        for (f, m) in Flavour::ALL.into_iter().zip(mults) {
            let keys = match f {
                Flavour::Xor => [v(p.x), v(p.y), v(p.xor), zero.clone()],
                Flavour::Nib => [v(p.x), v(p.y), v(p.lo4), v(p.hi4)],
                Flavour::B7 => [v(p.x), v(p.y), v(p.low7), v(p.top1)],
                Flavour::R16 => [
                    v(p.x) + v(p.y) * AB::Expr::from_u32(256),
                    zero.clone(),
                    zero.clone(),
                    zero.clone(),
                ],
            };
            let tuple = core::iter::once(AB::Expr::from_u32(f as u32)).chain(keys);
            BYTE_XOR.table_entry(builder, tuple, m);
        }
    }
}
