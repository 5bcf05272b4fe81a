use core::mem::size_of;

/// Main columns of the 2^16-row table providing every set ([`U16TableAir::ALL`]): one
/// multiplicity per tuple set the row provides. A table providing a subset keeps the
/// provided columns, in this order ([`U16Set`]).
///
/// [`U16TableAir::ALL`]: super::U16TableAir::ALL
/// [`U16Set`]: super::U16Set
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct U16TableCols<T> {
    /// Lookups of `[TAG_FP32_FULL, h, ..]`.
    pub m_full: T,
    /// Lookups of `[TAG_FP32_FIN, h, ..]`.
    pub m_fin: T,
    /// Lookups of `[TAG_BF16N, h, ..]`.
    pub m_bf: T,
    /// Lookups of `[TAG_LO16, h, ..]`.
    pub m_lo: T,
    /// Lookups of `[TAG_VR, 16, h]`.
    pub m_vr16: T,
    /// Lookups of the row's small variable-range entry `[TAG_VR, m, v]`.
    pub m_vrs: T,
    /// Lookups of `[TAG_FINPAR, h, h & 1]`.
    pub m_finpar: T,
    /// Lookups of `[TAG_HALF, h, ..]`.
    pub m_half: T,
    /// Lookups of `[TAG_FP32_NRM, h, ..]`.
    pub m_nrm: T,
    /// Lookups of `[TAG_LOZ, h, ..]`.
    pub m_loz: T,
    /// Lookups of `[TAG_UNARY, GELU, h, gelu(h)]`.
    pub m_gelu: T,
    /// Lookups of `[TAG_UNARY, EXP, h, exp(h)]`.
    pub m_exp: T,
}

/// Width of [`U16TableCols`].
pub const NUM_U16_TABLE_COLS: usize = size_of::<U16TableCols<u8>>();

/// Preprocessed (fixed, public) columns of the 2^16-row table; row `h` describes the
/// 16-bit value `h`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct U16TablePrep<T> {
    /// The key `h`.
    pub h: T,
    /// Sign bit of `h` (FP32 and BF16 alike).
    pub s: T,
    /// FP32 clamped exponent.
    pub e: T,
    /// FP32 top 8 significand bits.
    pub mh: T,
    /// FP32 exponent is 255.
    pub ovf: T,
    /// FP32 high-half class.
    pub cz: T,
    /// `TAG_FP32_FIN`, or `TAG_NONE` for Inf / NaN patterns.
    pub fin_tag: T,
    /// `TAG_BF16N`, or `TAG_NONE` for Inf / NaN patterns.
    pub bf_tag: T,
    /// BF16 normalized exponent.
    pub bf_e: T,
    /// BF16 normalized significand.
    pub bf_sig: T,
    /// `h & 1`.
    pub par: T,
    /// `h == 0`.
    pub isz: T,
    /// `TAG_VR`, or `TAG_NONE` on the padding row.
    pub vr_tag: T,
    /// `m` of the row's small variable-range entry.
    pub vr_m: T,
    /// `v` of the row's small variable-range entry.
    pub vr_v: T,
    /// `TAG_FINPAR`, or `TAG_NONE` for Inf / NaN patterns.
    pub finpar_tag: T,
    /// `h > 0x8000`.
    pub half_gt: T,
    /// `h == 0x8000`.
    pub half_eq: T,
    /// `TAG_FP32_NRM`, or `TAG_NONE` for Inf / NaN patterns.
    pub nrm_tag: T,
    /// Exponent after the high-half normalization shift.
    pub nrm_en: T,
    /// `2^clz8(mh)`.
    pub nrm_ph: T,
    /// `mh == 0`.
    pub nrm_hz: T,
    /// Leading zeros of `h` as a low half (`LOZ_ZERO_CLZ` for zero).
    pub loz_clz: T,
    /// `2^loz_clz` (0 for zero).
    pub loz_pc: T,
    /// `TAG_UNARY` for a finite BF16 `h`, else `TAG_NONE`.
    pub unary_tag: T,
    /// `gelu(h)` (BF16).
    pub gelu: T,
    /// `exp(h)` (BF16).
    pub exp: T,
}

/// Width of [`U16TablePrep`].
pub const NUM_U16_TABLE_PREP_COLS: usize = size_of::<U16TablePrep<u8>>();

macro_rules! impl_borrow {
    ($cols:ident, $n:expr) => {
        impl<T> core::borrow::Borrow<$cols<T>> for [T] {
            fn borrow(&self) -> &$cols<T> {
                debug_assert_eq!(self.len(), $n);
                let (prefix, cols, suffix) = unsafe { self.align_to::<$cols<T>>() };
                debug_assert!(prefix.is_empty() && suffix.is_empty());
                &cols[0]
            }
        }

        impl<T> core::borrow::BorrowMut<$cols<T>> for [T] {
            fn borrow_mut(&mut self) -> &mut $cols<T> {
                debug_assert_eq!(self.len(), $n);
                let (prefix, cols, suffix) = unsafe { self.align_to_mut::<$cols<T>>() };
                debug_assert!(prefix.is_empty() && suffix.is_empty());
                &mut cols[0]
            }
        }
    };
}
pub(crate) use impl_borrow;

impl_borrow!(U16TableCols, NUM_U16_TABLE_COLS);
impl_borrow!(U16TablePrep, NUM_U16_TABLE_PREP_COLS);
