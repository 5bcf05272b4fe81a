use core::mem::size_of;

use crate::chips::fptables::columns::impl_borrow;

/// Columns of [`super::Fp32ToBf16Air`].
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Fp32ToBf16Cols<T> {
    /// High limb of `x` (finite).
    pub x_hi: T,
    /// Low limb of `x`: the bits BF16 drops.
    pub x_lo: T,
    /// `x_hi & 1`: the parity of the truncated BF16 value.
    pub par: T,
    /// `x_lo > 0x8000`: above half a BF16 last place.
    pub gt: T,
    /// `x_lo == 0x8000`: exactly half (a tie).
    pub eq: T,
}

/// Width of [`Fp32ToBf16Cols`].
pub const NUM_FP32_TO_BF16_COLS: usize = size_of::<Fp32ToBf16Cols<u8>>();

impl_borrow!(Fp32ToBf16Cols, NUM_FP32_TO_BF16_COLS);
