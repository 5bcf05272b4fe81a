use core::mem::size_of;

use crate::chips::fptables::columns::impl_borrow;

/// Columns of [`super::Bf16MulAir`].
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Bf16MulCols<T> {
    /// BF16 factor `a`.
    pub a: T,
    /// BF16 factor `b`.
    pub b: T,
    /// Sign of `a`.
    pub sa: T,
    /// Normalized exponent of `a`.
    pub ea: T,
    /// Normalized significand of `a` (0 for zero).
    pub ga: T,
    /// Sign of `b`.
    pub sb: T,
    /// Normalized exponent of `b`.
    pub eb: T,
    /// Normalized significand of `b`.
    pub gb: T,
    /// Normalization shift of the product `P = ga * gb` (1 if `P < 2^15`).
    pub f: T,
    /// High byte of `P * 2^f` (in `[128, 256)` for normal and overflowing results).
    pub hb: T,
    /// Low byte of `P * 2^f`.
    pub lb: T,
    /// Normal result.
    pub nn: T,
    /// Overflow: the result is infinite.
    pub no: T,
    /// Exact subnormal result `Mc = P * pw`.
    pub ne: T,
    /// `2^t` of an exact subnormal result.
    pub pw: T,
    /// `2^s`: a rounded subnormal result is `RNE(P / 2^s)`.
    pub ps: T,
    /// `2^(s - 1)`.
    pub hs: T,
    /// `s`.
    pub sbits: T,
    /// Bits of `u`.
    pub ub: T,
    /// `P = u * 2^(s + 1) + g * 2^s + l`.
    pub u: T,
    /// Bit `s` of `P` (the parity of the truncated quotient).
    pub g: T,
    /// `P mod 2^s`.
    pub l: T,
    /// Rounding increment.
    pub rnd: T,
    /// High limb of the subnormal significand `Mc`.
    pub mc_hi: T,
    /// Low limb of `Mc`.
    pub mc_lo: T,
}

/// Width of [`Bf16MulCols`].
pub const NUM_BF16_MUL_COLS: usize = size_of::<Bf16MulCols<u8>>();

impl_borrow!(Bf16MulCols, NUM_BF16_MUL_COLS);
