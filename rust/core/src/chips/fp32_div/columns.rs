use core::mem::size_of;

use crate::chips::fp32_mul::FactorCols;
use crate::chips::fptables::columns::impl_borrow;

/// Columns of [`super::Fp32DivAir`]. `B = 2^12` is the limb base of the long division.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Fp32DivCols<T> {
    /// Dividend `x`: limbs, decode, normalized 12-bit limbs `Nx = n1 B + n0`.
    pub x: FactorCols<T>,
    /// Divisor `y` (nonzero: `Ny` in `[2^23, 2^24)`).
    pub y: FactorCols<T>,
    /// `x` is zero (then `Nx = 0`, the quotient is 0 and the result a signed zero).
    pub zx: T,
    /// Quotient `Q = floor(2^26 Nx / Ny) = q2 B^2 + q1 B + q0`: bits 0..12.
    pub q0: T,
    /// Bits 12..24 of `Q`.
    pub q1: T,
    /// Bits 24..27 of `Q`.
    pub q2: T,
    /// Remainder `R = r1 B + r0 < Ny`: bits 0..12.
    pub r0: T,
    /// Bits 12..24 of `R`.
    pub r1: T,
    /// Carry of the long multiplication `Q Ny + R` out of digit 0.
    pub c0: T,
    /// Carry out of digit 1.
    pub c1: T,
    /// `Ny - 1 - R = dh B + dl` (proves `R < Ny`): low 12 bits.
    pub dl: T,
    /// High 12 bits of `Ny - 1 - R`.
    pub dh: T,
    /// High 11 bits of `Q = vh 2^16 + vl`.
    pub vh: T,
    /// `Q < 2^26` (`Nx < Ny`).
    pub f: T,
    /// The alignment splits `vh`.
    pub hi: T,
    /// `2^mr`.
    pub pw: T,
    /// Bits dropped from the split limb.
    pub mr: T,
    /// `jm = ez - jb`.
    pub jb: T,
    /// Quotient of the split limb.
    pub aq: T,
    /// Remainder of the split limb.
    pub ar: T,
    /// `Q` shifted to the result's grid (two guard bits).
    pub al: T,
    /// Sticky bit: `R` or dropped bits nonzero.
    pub st: T,
    /// Inverse witness of the sticky sum.
    pub inv: T,
    /// High limb of the result `Z` (finite: exponent 255 has no entry).
    pub z_hi: T,
    /// Low limb of `Z`.
    pub z_lo: T,
    /// Sign of `Z`.
    pub sz: T,
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
    /// `2^(jm + 3)`: `Z`'s last place in units of the aligned quotient.
    pub pn: T,
}

/// Width of [`Fp32DivCols`].
pub const NUM_FP32_DIV_COLS: usize = size_of::<Fp32DivCols<u8>>();

impl_borrow!(Fp32DivCols, NUM_FP32_DIV_COLS);
