use core::mem::size_of;

use crate::chips::fptables::columns::impl_borrow;

/// A factor of [`super::Fp32MulAir`]: limbs, decode and normalized 12-bit limbs.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct FactorCols<T> {
    /// High limb of the FP32 word.
    pub hi: T,
    /// Low limb.
    pub lo: T,
    /// Sign.
    pub s: T,
    /// Exponent after the high-half normalization (`FP32_NRM`).
    pub en: T,
    /// Top 8 significand bits.
    pub mh: T,
    /// `2^clz8(mh)`.
    pub ph: T,
    /// `mh == 0`.
    pub hz: T,
    /// Leading zeros of the low limb (`LOZ`).
    pub clz: T,
    /// `2^clz`.
    pub pc: T,
    /// High 12 bits of the normalized significand.
    pub n1: T,
    /// Low 12 bits of the normalized significand.
    pub n0: T,
}

/// Columns of [`super::Fp32MulAir`].
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Fp32MulCols<T> {
    /// Factor `x`.
    pub x: FactorCols<T>,
    /// Factor `y`.
    pub y: FactorCols<T>,
    /// Bits 0..12 of the product `P` of the normalized significands.
    pub d0: T,
    /// Bits 12..24 of `P`.
    pub d1: T,
    /// Carry out of bits 0..12.
    pub c0: T,
    /// Carry out of bits 12..24.
    pub c1: T,
    /// Bits 21..24 of `P` (the top of `d1`).
    pub t: T,
    /// High 11 bits of `V1 = floor(P / 2^21)` (27 bits).
    pub vh: T,
    /// `P < 2^47`.
    pub f: T,
    /// A factor is zero.
    pub zq: T,
    /// The product overflows.
    pub no: T,
    /// The alignment splits `vh`.
    pub hi: T,
    /// `2^mr`.
    pub pw: T,
    /// Bits dropped from the split limb.
    pub mr: T,
    /// `jm = ez - jb`.
    pub jb: T,
    /// Quotient of the split limb.
    pub q: T,
    /// Remainder of the split limb.
    pub r: T,
    /// `V1` shifted to the result's grid (two guard bits).
    pub al: T,
    /// Sticky bit.
    pub st: T,
    /// Inverse witness of the dropped bits.
    pub inv: T,
    /// High limb of the result `Z` (exponent 255 = virtual, output infinity).
    pub z_hi: T,
    /// Low limb of `Z`.
    pub z_lo: T,
    /// Sign of `Z`.
    pub sz: T,
    /// Clamped exponent of `Z`.
    pub ez: T,
    /// Top 8 significand bits of `Z`.
    pub mhz: T,
    /// `Z` has exponent 255.
    pub ovf: T,
    /// Class of `z_hi`.
    pub cz: T,
    /// `z_lo & 1`.
    pub par: T,
    /// `z_lo == 0`.
    pub isz: T,
    /// `2^(jm + 3)`: `Z`'s last place in units of the aligned product.
    pub pn: T,
}

/// Width of [`Fp32MulCols`].
pub const NUM_FP32_MUL_COLS: usize = size_of::<Fp32MulCols<u8>>();

impl_borrow!(Fp32MulCols, NUM_FP32_MUL_COLS);
