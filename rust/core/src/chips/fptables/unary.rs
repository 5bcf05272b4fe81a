//! The BF16 unary functions (DESIGN §4): each is *defined* as a 65,536-entry table, `f(x)`
//! = the BF16 value nearest (ties to even) to a reference computed in `f64`:
//!
//! - `exp(x)`: `f64::exp`.
//! - `gelu(x) = x * Phi(x)`, `Phi(x) = erfc(-x / sqrt 2) / 2`, with `erfc` computed here
//!   in `f64` by its Maclaurin series for `|z| <= 1.5` and Lentz's continued fraction
//!   beyond (relative error around 1e-15, far below half a BF16 ulp, 2^-9); the `erfc`
//!   form avoids cancellation for negative `x`.
//!
//! NaN and infinite inputs have no entry (inputs must be finite); a result beyond the
//! BF16 range is infinity. The digests of both tables are pinned in the tests, so a
//! change of the reference (or of the platform's `exp`) is caught.

/// The unary functions, by table id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum UnaryFn {
    /// `x * Phi(x)` (exact GELU, the erf form).
    Gelu = 1,
    /// `e^x`.
    Exp = 2,
}

impl UnaryFn {
    /// Every function, in table order.
    pub const ALL: [UnaryFn; 2] = [UnaryFn::Gelu, UnaryFn::Exp];

    /// The function's name (`gelu`, `exp`).
    pub fn name(self) -> &'static str {
        match self {
            UnaryFn::Gelu => "gelu",
            UnaryFn::Exp => "exp",
        }
    }

    /// The reference value in `f64`.
    pub fn eval_f64(self, x: f64) -> f64 {
        match self {
            UnaryFn::Exp => x.exp(),
            UnaryFn::Gelu => 0.5 * x * erfc(-x / core::f64::consts::SQRT_2),
        }
    }

    /// `f(x)` for a finite BF16 `x`; `None` for Inf / NaN.
    pub fn eval(self, x: u16) -> Option<u16> {
        let v = f32::from_bits((x as u32) << 16);
        if !v.is_finite() {
            return None;
        }
        Some(f64_to_bf16(self.eval_f64(v as f64)))
    }
}

/// `f64` to BF16, round to nearest, ties to even, subnormals kept, overflow to infinity.
pub fn f64_to_bf16(v: f64) -> u16 {
    if v.is_nan() {
        return 0x7FC0;
    }
    let sign = if v.is_sign_negative() { 0x8000 } else { 0 };
    let a = v.abs();
    if a == 0.0 {
        return sign;
    }
    if a.is_infinite() {
        return sign | 0x7F80;
    }
    // Last place of the BF16 result: 8 significant bits, not below 2^-133.
    let e = a.log2().floor() as i32;
    // log2 may be off by one next to a power of two: fix with exact comparisons.
    let e = if 2f64.powi(e) > a {
        e - 1
    } else if 2f64.powi(e + 1) <= a {
        e + 1
    } else {
        e
    };
    let ulp_exp = (e - 7).max(-133);
    let q = (a * 2f64.powi(-ulp_exp)).round_ties_even();
    let r = q * 2f64.powi(ulp_exp);
    if r >= 2f64.powi(128) {
        return sign | 0x7F80;
    }
    sign | ((r as f32).to_bits() >> 16) as u16
}

/// `erfc(z)` in `f64` (see the module docs).
pub fn erfc(z: f64) -> f64 {
    if z < 0.0 {
        return 2.0 - erfc(-z);
    }
    if z <= 1.5 {
        return 1.0 - erf_series(z);
    }
    if z > 27.3 {
        return 0.0; // below the smallest f64 subnormal
    }
    // erfc(z) = exp(-z^2) / sqrt(pi) * 1 / (z + (1/2) / (z + 1 / (z + (3/2) / (z + ...))))
    // evaluated by the modified Lentz algorithm.
    let tiny = 1e-300;
    let mut f = z;
    let mut c = z;
    let mut d = 0.0;
    for n in 1..2000 {
        let an = n as f64 / 2.0;
        d = z + an * d;
        d = if d.abs() < tiny { tiny } else { d };
        c = z + an / c;
        c = if c.abs() < tiny { tiny } else { c };
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-z * z).exp() / (core::f64::consts::PI.sqrt() * f)
}

/// `erf(z) = 2 / sqrt(pi) * sum_n (-1)^n z^(2n+1) / (n! (2n+1))` for small `z`.
fn erf_series(z: f64) -> f64 {
    let z2 = z * z;
    let mut term = z; // (-1)^n z^(2n+1) / n!
    let mut sum = z;
    for n in 1..200 {
        term *= -z2 / n as f64;
        let add = term / (2 * n + 1) as f64;
        sum += add;
        if add.abs() < 1e-17 * sum.abs() {
            break;
        }
    }
    sum * 2.0 / core::f64::consts::PI.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    // Reference values are quoted at full published precision.
    #[allow(clippy::excessive_precision)]
    fn erfc_matches_known_values() {
        // erfc(0) = 1, erfc(1) = 0.157299207050285..., erfc(3) = 2.209049699858544e-5,
        // erfc(5) = 1.5374597944280349e-12, erfc(10) = 2.088487583762545e-45
        for (z, want) in [
            (0.0, 1.0),
            (1.0, 0.157_299_207_050_285_13),
            (1.5, 0.033_894_853_524_689_27),
            (1.6, 0.023_651_616_655_355_92),
            (2.5, 4.069_520_174_449_589_4e-4),
            (3.0, 2.209_049_699_858_544e-5),
            (5.0, 1.537_459_794_428_034_9e-12),
            (10.0, 2.088_487_583_762_545e-45),
            (-1.0, 1.842_700_792_949_715),
        ] {
            let got = erfc(z);
            assert!(
                ((got - want) / want).abs() < 1e-13,
                "erfc({z}) = {got}, want {want}"
            );
        }
    }

    #[test]
    fn f64_to_bf16_rounds_to_nearest_even() {
        assert_eq!(f64_to_bf16(1.0), 0x3F80);
        assert_eq!(f64_to_bf16(1.0 + 2f64.powi(-8)), 0x3F80); // tie, to even
        assert_eq!(f64_to_bf16(1.0 + 3.0 * 2f64.powi(-8)), 0x3F82); // tie, to even
        assert_eq!(f64_to_bf16(1.0 + 2f64.powi(-8) + 1e-12), 0x3F81);
        assert_eq!(f64_to_bf16(-0.0), 0x8000);
        assert_eq!(f64_to_bf16(2f64.powi(-133)), 0x0001); // smallest subnormal
        assert_eq!(f64_to_bf16(2f64.powi(-134)), 0x0000); // tie to even zero
        assert_eq!(f64_to_bf16(1e39), 0x7F80);
        assert_eq!(f64_to_bf16(3.3895313892515355e38), 0x7F7F); // largest finite
                                                                // agrees with ml_dtypes-style rounding through f32 wherever f32 is exact
        for bits in (0..1u32 << 16).step_by(7) {
            let x = f32::from_bits(bits << 16);
            if x.is_finite() {
                assert_eq!(f64_to_bf16(x as f64) as u32, bits);
            }
        }
    }

    /// BLAKE3 of each function's 65,536 results (little-endian `u16`, NaN / Inf inputs
    /// as `0xFFFF`): the definition of the functions, pinned.
    #[test]
    fn function_tables_are_pinned() {
        let mut got = Vec::new();
        for f in UnaryFn::ALL {
            let mut h = blake3::Hasher::new();
            for x in 0..=u16::MAX {
                h.update(&f.eval(x).unwrap_or(0xFFFF).to_le_bytes());
            }
            got.push((f.name(), h.finalize().to_hex().to_string()));
        }
        let got: Vec<(&str, &str)> = got.iter().map(|(n, d)| (*n, d.as_str())).collect();
        assert_eq!(
            got,
            [
                (
                    "gelu",
                    "45acf06907fcc6d1a6535404e031f45d097e72c33a300c5e5a9cc1e2301c6692"
                ),
                (
                    "exp",
                    "edd3c55f4b8bc7372c1e1f6c493a9fbc5441f9eae2c4d5a81f789c73c16239f5"
                )
            ]
        );
    }

    #[test]
    fn reference_values() {
        assert_eq!(UnaryFn::Exp.eval(0x0000), Some(0x3F80)); // e^0 = 1
        assert_eq!(
            UnaryFn::Exp.eval(0x3F80),
            Some(f64_to_bf16(core::f64::consts::E))
        );
        assert_eq!(UnaryFn::Exp.eval(0x42B2), Some(0x7F80)); // e^89 overflows
        assert_eq!(UnaryFn::Gelu.eval(0x0000), Some(0x0000));
        assert_eq!(UnaryFn::Gelu.eval(0x4120), Some(0x4120)); // gelu(10) = 10
                                                              // gelu(-10) = -5 erfc(7.07...) = -7.62e-23: tiny, but a normal BF16
        let g = f32::from_bits((UnaryFn::Gelu.eval(0xC120).unwrap() as u32) << 16);
        assert!((g as f64 + 7.62e-23).abs() < 0.01e-23, "{g}");
        assert_eq!(UnaryFn::Gelu.eval(0x7F80), None);
    }
}
