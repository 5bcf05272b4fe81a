use core::mem::size_of;

use crate::chips::fptables::columns::impl_borrow;

/// Columns of [`super::Bf16UnaryAir`].
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Bf16UnaryCols<T> {
    /// Function id ([`crate::chips::fptables::unary::UnaryFn`]).
    pub f: T,
    /// BF16 argument.
    pub x: T,
    /// BF16 result `f(x)`.
    pub y: T,
}

/// Width of [`Bf16UnaryCols`].
pub const NUM_BF16_UNARY_COLS: usize = size_of::<Bf16UnaryCols<u8>>();

impl_borrow!(Bf16UnaryCols, NUM_BF16_UNARY_COLS);
