//! What the shared floating-point tables contain: pure functions of the key, used both
//! to build the preprocessed tables and to count lookups while generating traces. All
//! values are small integers; negative ones are stored as `p - |x|`.

use p3_field::PrimeCharacteristicRing;

use crate::prover::Val;

/// A lookup tuple on [`crate::chips::bus::FP_TABLE`] with tag 0 matches nothing: rows of
/// a table that hold no entry (padding, NaN / Inf patterns) carry it.
pub const TAG_NONE: u32 = 0;
/// `[h, s, e, mh, ovf, cz]`: every 16-bit high half of an FP32 word (see [`fp32_hi`]).
pub const TAG_FP32_FULL: u32 = 1;
/// `[h, s, e, mh]`: the high halves of *finite* FP32 words only.
pub const TAG_FP32_FIN: u32 = 2;
/// `[h, s, e, sig]`: finite BF16 values with normalized significands (see [`bf16_norm`]).
pub const TAG_BF16N: u32 = 3;
/// `[l, l & 1, l == 0]`: a 16-bit low half (also its range check).
pub const TAG_LO16: u32 = 4;
/// `[m, v]` for `0 <= v < 2^m`, `0 <= m <= 16`: the variable range check.
pub const TAG_VR: u32 = 5;
/// `[delta, w, hi, pw, mr, f2]`: the alignment parameters of an exponent difference.
pub const TAG_SHIFT: u32 = 6;
/// `[q, f, zq]`: the exponent sums of BF16 products that are exact in FP32.
pub const TAG_MACQ: u32 = 7;
/// `[rev, j, pn, err, cz, par, isz, sz, s1, s2]`: the round-to-nearest-even check.
pub const TAG_ROUND: u32 = 8;
/// `[q, f, nN, nO, nE, pw, ps, hs, sb, ub]`: how a BF16 product rounds to FP32.
pub const TAG_MULQ: u32 = 9;
/// `[h, h & 1]` for the high halves of finite FP32 words.
pub const TAG_FINPAR: u32 = 10;
/// `[l, l > 0x8000, l == 0x8000]`: a low half against half a BF16 last place.
pub const TAG_HALF: u32 = 11;
/// `[h, s, en, mh, ph, hz]`: finite FP32 high halves with their normalization shift.
pub const TAG_FP32_NRM: u32 = 12;
/// `[l, clz, 2^clz]`: leading zeros of a 16-bit low half (`clz = 400` for zero).
pub const TAG_LOZ: u32 = 13;
/// `[g, f, zq, no, hi, pw, mr, jb]`: how an FP32 product with exponent sum `g` rounds.
pub const TAG_MULS: u32 = 14;
/// `[jm, pn, err, cz, par, isz]`: round-to-nearest-even check of a product.
pub const TAG_MROUND: u32 = 15;
/// `[fn, x, f(x)]`: the BF16 unary functions (see [`super::unary`]).
pub const TAG_UNARY: u32 = 16;

/// `clz` the [`TAG_LOZ`] table gives a zero low half: a zero FP32 significand then gets
/// a normalized exponent far below every nonzero one.
pub const LOZ_ZERO_CLZ: u32 = 400;

/// The normalization of an FP32 high half `h` (see [`TAG_FP32_NRM`]): the significand
/// `M = mh * 2^16 + lo` normalized is `ph * (mh * 2^16 + lo * (hz ? 2^clz(lo) : 1))`,
/// its exponent `en - hz * clz(lo)`; `None` for Inf / NaN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fp32Nrm {
    /// Sign bit.
    pub s: u32,
    /// Exponent after the high-half shift (`e - clz8(mh)`, `-7` when `mh = 0`).
    pub en: i32,
    /// Top 8 significand bits (hidden bit included).
    pub mh: u32,
    /// `2^clz8(mh)` (`2^8` when `mh = 0`).
    pub ph: u32,
    /// `mh == 0`: the low half's leading zeros continue the shift.
    pub hz: u32,
}

/// Normalization data of a finite FP32 high half.
pub fn fp32_nrm(h: u32) -> Option<Fp32Nrm> {
    let d = fp32_hi(h);
    if d.ovf == 1 {
        return None;
    }
    let lz = if d.mh == 0 {
        8
    } else {
        d.mh.leading_zeros() - 24
    };
    Some(Fp32Nrm {
        s: d.s,
        en: d.e as i32 - lz as i32,
        mh: d.mh,
        ph: 1 << lz,
        hz: (d.mh == 0) as u32,
    })
}

/// `(clz, 2^clz)` of a 16-bit low half (`(LOZ_ZERO_CLZ, 0)` for zero).
pub fn loz(l: u32) -> (u32, u32) {
    if l == 0 {
        (LOZ_ZERO_CLZ, 0)
    } else {
        let c = l.leading_zeros() - 16;
        (c, 1 << c)
    }
}

/// Smallest exponent sum of the [`TAG_MULS`] table (two zero factors).
pub const MULS_G_MIN: i32 = 2 * (1 - 8 - LOZ_ZERO_CLZ as i32);
/// Largest exponent sum of normalized nonzero factors with a zero factor.
pub const MULS_ZERO_G_MAX: i32 = 254 + 1 - 8 - LOZ_ZERO_CLZ as i32;
/// Smallest exponent sum of two nonzero normalized factors (`2 * (1 - 23)`).
pub const MULS_NONZERO_G_MIN: i32 = -44;
/// Largest exponent sum of two finite factors.
pub const MULS_G_MAX: i32 = 508;

/// The [`TAG_MULS`] entry of `(g, f)`: an FP32 product with normalized factors has
/// value `P * 2^(g - 300)`, `P` in `[2^(47 - f), 2^(48 - f))`, nominal exponent
/// `e = g - 126 - f`. Normal (`1 <= e <= 254`): no shift, `jb = g - 127`. Overflow
/// (`e >= 255`): `no`. Below: the 27 top bits of `P` shift right by `k = 128 - g` (to
/// the subnormal grid; clamped at 27 where everything is sticky), `jb = 1`. A zero
/// factor: `zq`. Shift parameters `(hi, pw, mr)` split a 27-bit value `vh * 2^16 + vl`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MulsEntry {
    /// A factor is zero.
    pub zq: u32,
    /// The product overflows.
    pub no: u32,
    /// The shift splits the high limb `vh`.
    pub hi: u32,
    /// `2^mr`.
    pub pw: u32,
    /// Bits dropped from the split limb.
    pub mr: u32,
    /// `jm = ez - jb` places the result's last place: `pn = 2^(jm + 3)`.
    pub jb: i32,
}

/// The [`TAG_MULS`] entry of `(g, f)`, `None` outside the table.
pub fn muls_entry(g: i32, f: u32) -> Option<MulsEntry> {
    let base = MulsEntry {
        zq: 0,
        no: 0,
        hi: 0,
        pw: 1,
        mr: 0,
        jb: 1,
    };
    if (MULS_G_MIN..=MULS_ZERO_G_MAX).contains(&g) {
        return (f == 0).then_some(MulsEntry { zq: 1, ..base });
    }
    if !(MULS_NONZERO_G_MIN..=MULS_G_MAX).contains(&g) || f > 1 {
        return None;
    }
    let e = g - 126 - f as i32;
    if e >= 255 {
        return Some(MulsEntry { no: 1, ..base });
    }
    if e >= 1 {
        return Some(MulsEntry {
            jb: g - 127,
            ..base
        });
    }
    let k = (128 - g).min(27) as u32;
    Some(if k <= 16 {
        MulsEntry {
            pw: 1 << k,
            mr: k,
            ..base
        }
    } else {
        MulsEntry {
            hi: 1,
            pw: 1 << (k - 16),
            mr: k - 16,
            ..base
        }
    })
}

/// Every `(g, f, entry)` of the [`TAG_MULS`] table, in table order.
pub fn muls_entries() -> Vec<(i32, u32, MulsEntry)> {
    let mut out = Vec::new();
    for g in MULS_G_MIN..=MULS_G_MAX {
        for f in 0..2 {
            if let Some(e) = muls_entry(g, f) {
                out.push((g, f, e));
            }
        }
    }
    out
}

/// Whether `(jm, pn, err, cz, par, isz)` is in the [`TAG_MROUND`] table: the product's
/// result `Mz` (last place `pn` units, `jm` in 0..=2) is the round-to-nearest-even
/// value of the aligned product (`err = V - Mz * pn`): ties to even, the halved interval
/// below a power of two; a zero result is an ordinary even value (underflow).
pub fn mround_valid(jm: i32, pn: u32, err: i32, cz: u32, par: u32, isz: u32) -> bool {
    if !(0..=2).contains(&jm) || pn != 1 << (jm + 3) || cz > CZ_ZERO || par > 1 || isz > 1 {
        return false;
    }
    let pn = pn as i32;
    if cz == CZ_POW2 && isz == 1 {
        return par == 0 && 4 * err >= -pn && 2 * err <= pn;
    }
    if cz == CZ_ZERO && isz == 1 && par != 0 {
        return false;
    }
    2 * err.abs() < pn || (2 * err.abs() == pn && par == 0)
}

/// Every `(jm, pn, err, cz, par, isz)` of the [`TAG_MROUND`] table, in table order.
pub fn mround_entries() -> Vec<[i32; 6]> {
    let mut out = Vec::new();
    for jm in 0..=2 {
        let pn = 1 << (jm + 3);
        for err in -16..=16 {
            for cz in 0..=CZ_ZERO {
                for par in 0..2 {
                    for isz in 0..2 {
                        if mround_valid(jm, pn, err, cz, par, isz) {
                            out.push([jm, pn as i32, err, cz as i32, par as i32, isz as i32]);
                        }
                    }
                }
            }
        }
    }
    out
}

/// Largest `m` of the variable range table.
pub const VR_MAX_BITS: u32 = 16;

/// Exponent the BF16 decode gives to zero. Chosen so that every exponent sum involving
/// a zero factor lies below every sum of two nonzero factors (those are >= -12): the
/// [`TAG_MACQ`] table tells the two regions apart by the sum alone.
pub const BF16_ZERO_EXP: i32 = -300;

/// `cz` class of an FP32 high half: none of the below.
pub const CZ_GENERIC: u32 = 0;
/// `cz` class: fraction bits of the high half are zero and the exponent is >= 2, so
/// with a zero low half the value is a power of two whose lower neighbour is half an
/// ulp closer (the asymmetric rounding interval).
pub const CZ_POW2: u32 = 1;
/// `cz` class: exponent and high fraction bits are zero, so with a zero low half the
/// value is a (signed) zero.
pub const CZ_ZERO: u32 = 2;

/// The field element of a small signed integer.
pub fn fe(x: i64) -> Val {
    Val::from_i64(x)
}

/// The decode of an FP32 high half `h` (sign bit, 8 exponent bits, 7 fraction bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fp32Hi {
    /// Sign bit.
    pub s: u32,
    /// Biased exponent clamped to `>= 1` (subnormals share the smallest normal
    /// exponent), 255 for Inf / NaN patterns.
    pub e: u32,
    /// Top 8 bits of the significand: hidden bit (exponent != 0) * 128 + fraction bits.
    pub mh: u32,
    /// 1 for exponent 255 (the chips read it as a virtual finite value 1.f * 2^128).
    pub ovf: u32,
    /// [`CZ_GENERIC`], [`CZ_POW2`] or [`CZ_ZERO`].
    pub cz: u32,
}

/// Decodes an FP32 high half.
pub fn fp32_hi(h: u32) -> Fp32Hi {
    debug_assert!(h < 1 << 16);
    let s = h >> 15;
    let e = (h >> 7) & 0xFF;
    let m7 = h & 0x7F;
    let cz = if m7 == 0 && e >= 2 {
        CZ_POW2
    } else if m7 == 0 && e == 0 {
        CZ_ZERO
    } else {
        CZ_GENERIC
    };
    Fp32Hi {
        s,
        e: e.max(1),
        mh: if e != 0 { 0x80 | m7 } else { m7 },
        ovf: (e == 0xFF) as u32,
        cz,
    }
}

/// A finite BF16 value `(-1)^s * sig * 2^(e - 134)` with `sig` in `[128, 256)`, or
/// `sig = 0` and `e = BF16_ZERO_EXP` for zeros.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bf16N {
    /// Sign bit.
    pub s: u32,
    /// Exponent, normalized for subnormals (can be as low as -6).
    pub e: i32,
    /// Normalized 8-bit significand.
    pub sig: u32,
}

/// Decodes a BF16 value; `None` for Inf / NaN.
pub fn bf16_norm(h: u32) -> Option<Bf16N> {
    let s = h >> 15;
    let e = ((h >> 7) & 0xFF) as i32;
    let m7 = h & 0x7F;
    match (e, m7) {
        (0xFF, _) => None,
        (0, 0) => Some(Bf16N {
            s,
            e: BF16_ZERO_EXP,
            sig: 0,
        }),
        (0, _) => {
            // m7 * 2^(1 - 134): shift the leading one up to bit 7.
            let t = m7.leading_zeros() - 24;
            Some(Bf16N {
                s,
                e: 1 - t as i32,
                sig: m7 << t,
            })
        }
        _ => Some(Bf16N {
            s,
            e,
            sig: 0x80 | m7,
        }),
    }
}

/// `(l & 1, l == 0)` for a 16-bit low half.
pub fn lo16(l: u32) -> (u32, u32) {
    (l & 1, (l == 0) as u32)
}

/// Row of `(m, v)` in the small variable-range table (`m <= 15`): entries are listed
/// by increasing `m`, so `(m, v)` sits at `2^m - 1 + v`.
pub fn vr_small_row(m: u32, v: u32) -> usize {
    debug_assert!(m < VR_MAX_BITS && v < 1 << m);
    (1usize << m) - 1 + v as usize
}

/// Inverse of [`vr_small_row`]; `None` for the one padding row.
pub fn vr_small_entry(row: usize) -> Option<(u32, u32)> {
    let m = (row + 1).ilog2();
    if m >= VR_MAX_BITS {
        return None;
    }
    Some((m, (row + 1 - (1 << m)) as u32))
}

/// Smallest exponent difference the shift table holds.
pub const SHIFT_MIN: i32 = -256;
/// Largest exponent difference the shift table holds (zero BF16 products sit far
/// below every FP32 exponent, see [`BF16_ZERO_EXP`]).
pub const SHIFT_MAX: i32 = 1023;
/// Guard bits kept below the larger operand's last place when aligning the smaller.
pub const GUARD_BITS: i32 = 2;

/// Alignment parameters for an exponent difference `delta = e_1 - e_2` (see the adder
/// core): the smaller operand `S = S_h * 2^16 + S_l` is shifted right by
/// `k = |delta| - GUARD_BITS` bits, split at the 16-bit limb boundary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShiftEntry {
    /// 1 if operand 1 is the smaller one (`delta < 0`).
    pub w: u32,
    /// 1 if the shift reaches past the low limb (`k >= 17`): only `S_h` is split.
    pub hi: u32,
    /// `2^mr`, the divisor of the limb that is split.
    pub pw: u32,
    /// Bits dropped from the split limb (into the sticky remainder).
    pub mr: u32,
    /// `2^-k` for `k <= 0` (a left shift by at most the guard bits), else 1.
    pub f2: u32,
}

/// The shift table entry of `delta`, `None` outside the table.
pub fn shift_entry(delta: i32) -> Option<ShiftEntry> {
    if !(SHIFT_MIN..=SHIFT_MAX).contains(&delta) {
        return None;
    }
    let w = (delta < 0) as u32;
    let k = delta.abs() - GUARD_BITS;
    Some(if k <= 0 {
        ShiftEntry {
            w,
            hi: 0,
            pw: 1,
            mr: 0,
            f2: 1 << -k,
        }
    } else if k <= 16 {
        ShiftEntry {
            w,
            hi: 0,
            pw: 1 << k,
            mr: k as u32,
            f2: 1,
        }
    } else {
        // Past 24 bits everything is sticky: the 8-bit high limb splits into 0 and itself.
        let kk = (k.min(24) - 16) as u32;
        ShiftEntry {
            w,
            hi: 1,
            pw: 1 << kk,
            mr: kk,
            f2: 1,
        }
    })
}

/// Smallest exponent sum `q = e_a + e_b` of a product with a zero factor.
pub const MACQ_ZERO_MIN: i32 = 2 * BF16_ZERO_EXP;
/// Largest exponent sum of a product with a zero factor (`BF16_ZERO_EXP + 254`).
pub const MACQ_ZERO_MAX: i32 = BF16_ZERO_EXP + 254;
/// Smallest exponent sum of a nonzero product that is exact in FP32: its last place
/// `2^(q - 268)` is at least the subnormal last place `2^-149`.
pub const MACQ_EXACT_MIN: i32 = 119;
/// Largest exponent sum of a finite product with `f = 1` (`q - f <= 380`, i.e. the
/// normalized product is below 2^128).
pub const MACQ_EXACT_MAX: i32 = 381;

/// `zq` of the [`TAG_MACQ`] entry `(q, f)`, or `None` if there is no such entry: the
/// product is a zero (`zq = 1`, `f = 0`), or nonzero, exact in FP32 and below 2^128.
pub fn macq_entry(q: i32, f: u32) -> Option<u32> {
    if (MACQ_ZERO_MIN..=MACQ_ZERO_MAX).contains(&q) {
        return (f == 0).then_some(1);
    }
    if (MACQ_EXACT_MIN..=MACQ_EXACT_MAX).contains(&q) && f <= 1 && q - f as i32 <= 380 {
        return Some(0);
    }
    None
}

/// Every `(q, f, zq)` of the [`TAG_MACQ`] table, in table order.
pub fn macq_entries() -> Vec<(i32, u32, u32)> {
    let mut out = Vec::new();
    for q in MACQ_ZERO_MIN..=MACQ_EXACT_MAX {
        for f in 0..2 {
            if let Some(zq) = macq_entry(q, f) {
                out.push((q, f, zq));
            }
        }
    }
    out
}

/// How the FP32 product of two BF16 values with exponent sum `q` (and normalization
/// bit `f`) is formed, see [`crate::chips::bf16_mul`]. Exactly one of: normal (`nn`),
/// overflow (`no`), exact subnormal (`ne`, `Mc = P * pw`), or rounded to the subnormal
/// grid (none set: `Mc = RNE(P / ps)`, with `hs = ps / 2`, `sb = log2 ps`, `ub` the
/// bits of `P >> (sb + 1)`). Rounding parameters are neutral (`ps = 2^16`, `hs = 1`:
/// `Mc = 0`) wherever they are unused or the product rounds to zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MulqEntry {
    /// Normal result.
    pub nn: u32,
    /// Overflow to infinity.
    pub no: u32,
    /// Exact subnormal result.
    pub ne: u32,
    /// `2^t` for an exact subnormal result (`t = q - 119`), else 1.
    pub pw: u32,
    /// `2^s`, the rounding divisor.
    pub ps: u32,
    /// `2^(s - 1)` (1 when neutral).
    pub hs: u32,
    /// `s` (16 when neutral).
    pub sb: u32,
    /// Bits of the quotient's upper part `P >> (s + 1)`.
    pub ub: u32,
}

impl MulqEntry {
    /// `s`, the bits dropped by the rounding.
    pub fn sbits(&self) -> u32 {
        self.sb
    }
}

/// The [`TAG_MULQ`] entry of `(q, f)`, `None` if there is none.
pub fn mulq_entry(q: i32, f: u32) -> Option<MulqEntry> {
    let neutral = MulqEntry {
        nn: 0,
        no: 0,
        ne: 0,
        pw: 1,
        ps: 1 << 16,
        hs: 1,
        sb: 16,
        ub: 0,
    };
    if (MACQ_ZERO_MIN..=MACQ_ZERO_MAX).contains(&q) {
        return (f == 0).then_some(neutral);
    }
    if !(-12..=508).contains(&q) || f > 1 {
        return None;
    }
    // Normalized product value: M2 * 2^(e2 - 150) with M2 in [2^23, 2^24).
    let e2 = q - 126 - f as i32;
    if e2 >= 255 {
        return Some(MulqEntry { no: 1, ..neutral });
    }
    if e2 >= 1 {
        return Some(MulqEntry { nn: 1, ..neutral });
    }
    // Below 2^-126: the product P * 2^(q - 268) on the grid 2^-149 is P * 2^t.
    let t = q - 119;
    if t >= 0 {
        return Some(MulqEntry {
            ne: 1,
            pw: 1 << t,
            ..neutral
        });
    }
    let s = -t as u32;
    if s > 16 {
        return Some(neutral); // P < 2^16 <= 2^(s - 1): rounds to zero
    }
    Some(MulqEntry {
        ps: 1 << s,
        hs: 1 << (s - 1),
        sb: s,
        ub: 15u32.saturating_sub(s),
        ..neutral
    })
}

/// Every `(q, f, entry)` of the [`TAG_MULQ`] table, in table order.
pub fn mulq_entries() -> Vec<(i32, u32, MulqEntry)> {
    let mut out = Vec::new();
    for q in MACQ_ZERO_MIN..=508 {
        for f in 0..2 {
            if let Some(e) = mulq_entry(q, f) {
                out.push((q, f, e));
            }
        }
    }
    out
}

/// The key of a [`TAG_ROUND`] lookup. `j = e_z - e_B` compares the result's exponent
/// with the larger operand's; `pn = 2^(j + 3)` scales the result's significand to the
/// sum's units (`2^(e_B - 153)`); `err` is the signed distance from the exact sum to
/// the result in those units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RoundKey {
    /// 1 in reverse mode (the sum must be exact).
    pub rev: u32,
    /// `e_z - e_B`.
    pub j: i32,
    /// `2^(j + 3)`, or 0 for a zero result.
    pub pn: u32,
    /// The rounding error, in units of `2^(e_B - 153)`.
    pub err: i32,
    /// Class of the result's high half.
    pub cz: u32,
    /// Low bit of the result's significand.
    pub par: u32,
    /// 1 if the result's low half is zero.
    pub isz: u32,
    /// Sign of the result.
    pub sz: u32,
    /// Sign of operand 1.
    pub s1: u32,
    /// Sign of operand 2.
    pub s2: u32,
}

/// Smallest `j` of a zero result in the table (a zero cancels two equal magnitudes of
/// any exponent).
pub const ROUND_ZERO_J_MIN: i32 = -260;
/// Largest `j` of a zero result in the table.
pub const ROUND_ZERO_J_MAX: i32 = 12;

/// Whether `key` is in the [`TAG_ROUND`] table: the result is the round-to-nearest-even
/// value of the sum (ties to the even significand; the interval below a power of two is
/// half as wide), exact in reverse mode, and a zero result only for an exact zero sum,
/// signed `-0` only when both operands are negative.
pub fn round_valid(key: &RoundKey) -> bool {
    let bits = [key.par, key.isz, key.sz, key.s1, key.s2, key.rev];
    if bits.iter().any(|&b| b > 1) || key.cz > CZ_ZERO {
        return false;
    }
    let zero = key.cz == CZ_ZERO && key.isz == 1;
    if zero {
        // A zero low half has low bit 0; the sum is exactly zero.
        return key.rev == 0
            && key.par == 0
            && key.pn == 0
            && key.err == 0
            && (ROUND_ZERO_J_MIN..=ROUND_ZERO_J_MAX).contains(&key.j)
            && key.sz == key.s1 & key.s2;
    }
    if !(-3..=1).contains(&key.j) || key.pn != 1 << (key.j + 3) {
        return false;
    }
    if key.rev == 1 {
        return key.err == 0;
    }
    let pn = key.pn as i32;
    let pow2 = key.cz == CZ_POW2 && key.isz == 1;
    if pow2 {
        return key.par == 0 && 4 * key.err >= -pn && 2 * key.err <= pn;
    }
    2 * key.err.abs() < pn || (2 * key.err.abs() == pn && key.par == 0)
}

/// Every [`TAG_ROUND`] entry, in table order.
pub fn round_entries() -> Vec<RoundKey> {
    let mut out = Vec::new();
    let mut push = |key: RoundKey| {
        if round_valid(&key) {
            out.push(key);
        }
    };
    for rev in 0..2 {
        for cz in [CZ_GENERIC, CZ_POW2, CZ_ZERO] {
            for isz in 0..2 {
                for par in 0..2 {
                    for signs in 0..8u32 {
                        let (sz, s1, s2) = (signs >> 2, (signs >> 1) & 1, signs & 1);
                        let base = RoundKey {
                            rev,
                            j: 0,
                            pn: 0,
                            err: 0,
                            cz,
                            par,
                            isz,
                            sz,
                            s1,
                            s2,
                        };
                        if cz == CZ_ZERO && isz == 1 {
                            for j in ROUND_ZERO_J_MIN..=ROUND_ZERO_J_MAX {
                                push(RoundKey { j, ..base });
                            }
                            continue;
                        }
                        for j in -3..=1 {
                            let pn = 1u32 << (j + 3);
                            for err in -8..=8 {
                                push(RoundKey { j, pn, err, ..base });
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// Operation codes on [`crate::chips::bus::FP_OP`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum OpCode {
    /// `c = fp32_add(acc, bf16_mul_f32(a, b))`: `[op, acc_hi, acc_lo, a, b, c_hi, c_lo]`.
    Bf16Mac = 1,
    /// `c = x + y`: `[op, x_hi, x_lo, y_hi, y_lo, c_hi, c_lo]`.
    Fp32Add = 2,
    /// `c = x - y`.
    Fp32Sub = 3,
    /// `c = x * y`.
    Fp32Mul = 4,
    /// `c = bf16_mul_f32(a, b)`: `[op, a, b, 0, 0, c_hi, c_lo]`.
    Bf16Mul = 5,
    /// `c = f32_to_bf16(x)`: `[op, x_hi, x_lo, 0, 0, 0, c]`.
    Fp32ToBf16 = 6,
    /// `y = f(x)` for a BF16 unary function: `[op, x, fn, 0, 0, 0, y]`.
    Bf16Unary = 7,
    /// `c = x / y` (finite `c`): `[op, x_hi, x_lo, y_hi, y_lo, c_hi, c_lo]`.
    Fp32Div = 8,
    /// `c = sqrt(x)` (`x >= 0` or `-0`): `[op, x_hi, x_lo, 0, 0, c_hi, c_lo]`.
    Fp32Sqrt = 9,
}
