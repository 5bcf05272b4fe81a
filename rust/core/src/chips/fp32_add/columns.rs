use core::mem::size_of;

use crate::chips::addcore::AddCoreCols;
use crate::chips::fptables::columns::impl_borrow;

/// Columns of [`super::Fp32AddAir`]: the adder core and the second FP32 operand.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Fp32AddCols<T> {
    /// The adder core (operand 1 = `x`, or the result in reverse mode).
    pub core: AddCoreCols<T>,
    /// High limb of `y`.
    pub y_hi: T,
    /// Low limb of `y` (16-bit range checked).
    pub y_lo: T,
    /// Sign of `y`.
    pub sy: T,
    /// Clamped biased exponent of `y`.
    pub ey: T,
    /// Top 8 significand bits of `y`.
    pub mhy: T,
}

/// Width of [`Fp32AddCols`].
pub const NUM_FP32_ADD_COLS: usize = size_of::<Fp32AddCols<u8>>();

impl_borrow!(Fp32AddCols, NUM_FP32_ADD_COLS);
