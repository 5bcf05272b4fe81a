use core::mem::size_of;

use crate::chips::fp32_mul::FactorCols;
use crate::chips::fptables::columns::impl_borrow;

/// Columns of [`super::Fp32SqrtAir`]. `B = 2^12` is the limb base of the root check.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Fp32SqrtCols<T> {
    /// Radicand `x`: limbs, decode, normalized 12-bit limbs `Nx = n1 B + n0`.
    pub x: FactorCols<T>,
    /// `x` is zero (then the root is 0 and the result is `x` itself, `sqrt(-0) = -0`).
    pub zx: T,
    /// Parity of the exponent: `gx - 150 = 2 h + o`.
    pub o: T,
    /// Half the even part of the exponent (`jb = h + 138`).
    pub h: T,
    /// Root `S = floor(sqrt(Nx 2^(28 + o))) = s2 B^2 + s1 B + s0`: bits 0..12.
    pub s0: T,
    /// Bits 12..24 of `S`.
    pub s1: T,
    /// Bits 24..27 of `S`.
    pub s2: T,
    /// Remainder `R = Nx 2^(28 + o) - S^2 = r2 B^2 + r1 B + r0`: bits 0..12.
    pub r0: T,
    /// Bits 12..24 of `R`.
    pub r1: T,
    /// Bits 24..28 of `R`.
    pub r2: T,
    /// Carry of `S^2 + R` out of digit 0.
    pub c0: T,
    /// Carry out of digit 1.
    pub c1: T,
    /// `2 S - R = dh 2^16 + dl` (proves `R <= 2 S`): low 16 bits.
    pub dl: T,
    /// High 12 bits of `2 S - R`.
    pub dh: T,
    /// Sticky bit `R != 0`.
    pub st: T,
    /// Inverse witness of `R`.
    pub inv: T,
    /// High limb of the result `Z`.
    pub z_hi: T,
    /// Low limb of `Z`.
    pub z_lo: T,
    /// Clamped exponent of `Z`.
    pub ez: T,
    /// Top 8 significand bits of `Z`.
    pub mhz: T,
    /// Class of `z_hi`.
    pub cz: T,
    /// `z_lo & 1`.
    pub par: T,
    /// `z_lo == 0`.
    pub isz: T,
    /// `2^(jm + 3)`: `Z`'s last place in units of the root.
    pub pn: T,
}

/// Width of [`Fp32SqrtCols`].
pub const NUM_FP32_SQRT_COLS: usize = size_of::<Fp32SqrtCols<u8>>();

impl_borrow!(Fp32SqrtCols, NUM_FP32_SQRT_COLS);
