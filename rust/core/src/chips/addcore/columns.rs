use core::mem::size_of;

/// Columns of the FP32 adder core (see the module docs for the relations).
///
/// Operand 1 and the result `Z` are FP32 words held as 16-bit limbs; operand 2 is given
/// by the chip (a decoded FP32 word, or an exact BF16 product). In normal mode
/// (`rev = 0`) the core proves `Z = RNE(O1 + O2)`; in reverse mode it proves
/// `Z = O1 + O2` exactly, and the chip maps `O1` to the op's result (see
/// [`super::eval_add_core`]).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct AddCoreCols<T> {
    /// High limb of operand 1.
    pub o1_hi: T,
    /// Low limb of operand 1 (16-bit range checked).
    pub o1_lo: T,
    /// Sign of operand 1.
    pub s1: T,
    /// Clamped biased exponent of operand 1 (`FP32_FIN` decode: operand 1 is finite).
    pub e1: T,
    /// Top 8 significand bits of operand 1: `M1 = mh1 * 2^16 + o1_lo`.
    pub mh1: T,
    /// High limb of the result `Z` (exponent 255 = virtual value `1.f * 2^128`).
    pub z_hi: T,
    /// Low limb of `Z`.
    pub z_lo: T,
    /// Sign of `Z`.
    pub sz: T,
    /// Clamped biased exponent of `Z`.
    pub ez: T,
    /// Top 8 significand bits of `Z`: `Mz = mhz * 2^16 + z_lo`.
    pub mhz: T,
    /// `Z` has exponent 255: the op's result is the infinity of sign `sz`.
    pub ovf: T,
    /// Class of `z_hi` (generic / power-of-two candidate / zero candidate).
    pub cz: T,
    /// `z_lo & 1` (the parity of `Mz`).
    pub par: T,
    /// `z_lo == 0`.
    pub isz: T,
    /// Reverse mode.
    pub rev: T,
    /// Sign of operand 2 as the core sees it (flipped in reverse mode).
    pub s2: T,
    /// `s1 xor s2`: the magnitudes are subtracted.
    pub sub: T,
    /// `sz xor sB`: the result's sign differs from the larger operand's.
    pub flip: T,
    /// Operand 1 is the one with the smaller exponent (the one aligned).
    pub w: T,
    /// The alignment splits the high limb of the smaller operand (shift >= 17).
    pub hi: T,
    /// `2^mr`.
    pub pw: T,
    /// Bits of the split limb dropped into the remainder.
    pub mr: T,
    /// `2^(2 - d)` when the exponent difference `d <= 2`, else 1.
    pub f2: T,
    /// Quotient of the split limb: `T = q * pw + r`.
    pub q: T,
    /// Remainder of the split limb, `0 <= r < pw`.
    pub r: T,
    /// The aligned smaller significand `floor(S * 2^(2 - d))`.
    pub al: T,
    /// Sticky bit: some dropped bit is nonzero.
    pub st: T,
    /// Inverse witness: of the dropped bits in normal mode, of `|O1|`'s limbs in reverse.
    pub inv: T,
    /// `2^(j + 3)` with `j = ez - e_B`, or 0 for a zero result.
    pub pn: T,
}

/// Width of [`AddCoreCols`].
pub const NUM_ADD_CORE_COLS: usize = size_of::<AddCoreCols<u8>>();
