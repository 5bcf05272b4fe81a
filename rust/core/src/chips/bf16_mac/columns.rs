use core::mem::size_of;

use crate::chips::addcore::AddCoreCols;
use crate::chips::fptables::columns::impl_borrow;

/// Columns of [`super::Bf16MacAir`]: the adder core (operand 1 = the accumulator, or
/// the result in reverse mode) and the exact BF16 product as operand 2.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Bf16MacCols<T> {
    /// The adder core.
    pub core: AddCoreCols<T>,
    /// BF16 factor `a` (16 bits).
    pub a: T,
    /// BF16 factor `b`.
    pub b: T,
    /// Sign of `a`.
    pub sa: T,
    /// Normalized exponent of `a` (`BF16_ZERO_EXP` for zero).
    pub ea: T,
    /// Normalized significand of `a`, in `[128, 256)` (0 for zero).
    pub ga: T,
    /// Sign of `b`.
    pub sb: T,
    /// Normalized exponent of `b`.
    pub eb: T,
    /// Normalized significand of `b`.
    pub gb: T,
    /// 1 if the product `ga * gb` is below 2^15 (one more left shift normalizes it).
    pub f: T,
    /// High byte of `ga * gb * 2^f`, in `[128, 256)` (0 for a zero product).
    pub hb: T,
    /// Low byte of `ga * gb * 2^f`.
    pub lb: T,
    /// The product is zero.
    pub zq: T,
}

/// Width of [`Bf16MacCols`].
pub const NUM_BF16_MAC_COLS: usize = size_of::<Bf16MacCols<u8>>();

impl_borrow!(Bf16MacCols, NUM_BF16_MAC_COLS);
