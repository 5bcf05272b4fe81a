//! The one recipe for the per-step FP32 scalars of each optimizer.
//!
//! Inputs are the hyperparameters and the learning rate as IEEE binary64 values (the
//! Python floats a training script passes to `torch.optim`, recorded exactly in the
//! spec and the step log), plus the step number. The recipe evaluates a fixed
//! sequence of binary64 operations (add, sub, mul, div, sqrt: correctly rounded, so
//! every IEEE platform and every language gets the same bits; no FMA, no libm) and
//! rounds each scalar the update uses to FP32 once, round-to-nearest-even. The
//! verifier recomputes the same scalars from the public spec and the logged learning
//! rate, so they are public inputs of a step proof, not witnesses.
//!
//! Why binary64 and not FP32: `torch.optim` computes these scalars in binary64 and
//! rounds them to FP32 when the kernel reads them, and `1 - beta2^t` cancels
//! catastrophically for `beta2 = 0.999` and small `t` (at `t = 2` an FP32 recipe loses
//! 9 bits; taking `beta2` as `fp32(0.999)` alone moves `1 - beta2` by 1.3e-5
//! relative). A binary64 recipe gives FP32 scalars equal to torch's in practice (see
//! `docs/optim.md` for the measurement), so the canonical optimizer differs from
//! torch only by the per-element operation order.
//!
//! A thread flushing subnormals to zero (`torch.set_flush_denormal(True)`) cannot
//! change the result: the conversion to FP32 is integer-only, and a binary64
//! operation of the recipe meets a subnormal only when a product falls below
//! `2^-1022` (`beta^t`, `lr * wd`, a subnormal hyperparameter), where the next
//! operation (`1 - x`, or the conversion of a value far below FP32's smallest
//! subnormal) gives the same bits whether it was flushed or not. A rounding mode
//! other than nearest-even is rejected.

use super::ops::Hardware;
use crate::error::{Error, Result};
use zkattest_softfloat::{round_pack, CANONICAL_NAN, POS_INF, SIGN_MASK};

/// `base^exp` by left-to-right binary exponentiation in binary64: `r = 1`; for each
/// bit of `exp` from the most significant set bit down to bit 0, `r = r * r`, then
/// `r = r * base` if the bit is set. `exp = 0` gives 1. Every product is one IEEE
/// binary64 multiplication, so the result is the same on every platform (it may differ
/// from a libm `pow` in the last binary64 bits, far below FP32 resolution).
pub fn powi_f64(base: f64, exp: u64) -> f64 {
    let mut r = 1.0f64;
    for i in (0..u64::BITS - exp.leading_zeros()).rev() {
        r *= r;
        if (exp >> i) & 1 == 1 {
            r *= base;
        }
    }
    r
}

/// `x` rounded to FP32 (round-to-nearest-even, subnormals kept, overflow to
/// infinity, NaN to the canonical NaN), as bits. Integer-only, through softfloat's
/// one rounding routine, so a flush-to-zero mode of the thread cannot change it.
pub fn f64_to_f32_bits(x: f64) -> u32 {
    let b = x.to_bits();
    let sign = b >> 63 == 1;
    let exp = ((b >> 52) & 0x7FF) as i32;
    let frac = b & ((1u64 << 52) - 1);
    match exp {
        0x7FF if frac != 0 => CANONICAL_NAN,
        0x7FF => POS_INF | if sign { SIGN_MASK } else { 0 },
        // Subnormal binary64: frac * 2^-1074 (zero included).
        0 => round_pack(sign, -1074, frac, false),
        _ => round_pack(sign, exp - 1075, frac | (1u64 << 52), false),
    }
}

fn to_f32_bits(x: f64) -> u32 {
    f64_to_f32_bits(x)
}

/// The recipe's binary64 operations depend on the rounding mode (not on
/// flush-to-zero: see the module docs), so it refuses to run under another mode.
fn check_rounding() -> Result<()> {
    if Hardware::rounding_is_nearest_even() {
        Ok(())
    } else {
        Err(Error::InvalidInput(
            "the thread's floating-point rounding mode is not round-to-nearest-even; \
             the canonical optimizer scalars need it"
                .into(),
        ))
    }
}

fn check_finite_nonneg(name: &str, x: f64) -> Result<()> {
    if x.is_finite() && x >= 0.0 {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "{name} must be finite and >= 0, got {x}"
        )))
    }
}

fn check_beta(name: &str, x: f64) -> Result<()> {
    if (0.0..1.0).contains(&x) {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "{name} must be in [0, 1), got {x}"
        )))
    }
}

fn check_scalar_finite(name: &str, bits: u32) -> Result<()> {
    if f32::from_bits(bits).is_finite() {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "the FP32 scalar {name} is not finite (hyperparameters too large)"
        )))
    }
}

/// AdamW hyperparameters other than the learning rate (torch's `betas`, `eps`,
/// `weight_decay`, `maximize`; `amsgrad` is not supported).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamWHyper {
    /// `betas[0]`, in `[0, 1)`.
    pub beta1: f64,
    /// `betas[1]`, in `[0, 1)`.
    pub beta2: f64,
    /// Added to the denominator; finite, `>= 0`.
    pub eps: f64,
    /// Decoupled weight decay; finite, `>= 0`.
    pub weight_decay: f64,
    /// Ascend the objective (the gradient is negated, exactly).
    pub maximize: bool,
}

/// The FP32 scalars (bit patterns) and flags of one AdamW step `t` for one parameter.
/// `(b64)` marks a binary64 operation; each field is rounded to FP32 once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdamWScalars {
    /// The step number `t >= 1` (torch's `state["step"]` after its increment).
    pub step: u64,
    /// The learning rate as binary64 bits (the value the scalars derive from).
    pub lr_f64: u64,
    /// Whether weight decay is applied (`weight_decay != 0`, as torch decides).
    pub use_weight_decay: bool,
    /// `fp32(1 - lr * wd)` (b64 mul, b64 sub).
    pub decay: u32,
    /// `fp32(1 - beta1)` (b64 sub): torch's lerp weight.
    pub lerp_weight: u32,
    /// Whether `|lerp_weight| < 0.5`, which selects torch's lerp formula.
    pub lerp_small: bool,
    /// `lerp_weight` if `lerp_small`, else `1 - lerp_weight` computed in FP32.
    pub lerp_coeff: u32,
    /// `fp32(beta2)`.
    pub beta2: u32,
    /// `fp32(1 - beta2)` (b64 sub).
    pub one_minus_beta2: u32,
    /// `fp32(sqrt(1 - beta2^t))` (b64 [`powi_f64`], sub, sqrt).
    pub bias_correction2_sqrt: u32,
    /// `fp32(eps)`.
    pub eps: u32,
    /// `fp32(-(lr / (1 - beta1^t)))` (b64 [`powi_f64`], sub, div; exact negation).
    pub neg_step_size: u32,
    /// Whether the gradient is negated.
    pub maximize: bool,
}

impl AdamWScalars {
    /// The scalars of step `step` (>= 1) with learning rate `lr`, by the recipe above.
    /// Rejects out-of-range hyperparameters and scalars that overflow FP32.
    pub fn new(hyper: &AdamWHyper, lr: f64, step: u64) -> Result<Self> {
        check_rounding()?;
        check_finite_nonneg("lr", lr)?;
        check_beta("beta1", hyper.beta1)?;
        check_beta("beta2", hyper.beta2)?;
        check_finite_nonneg("eps", hyper.eps)?;
        check_finite_nonneg("weight_decay", hyper.weight_decay)?;
        if step == 0 {
            return Err(Error::InvalidInput(
                "step must be >= 1 (the step being taken)".into(),
            ));
        }
        let bias_correction1 = 1.0 - powi_f64(hyper.beta1, step);
        let bias_correction2 = 1.0 - powi_f64(hyper.beta2, step);
        let step_size = lr / bias_correction1;
        let lerp_weight = to_f32_bits(1.0 - hyper.beta1);
        let lerp_small = f32::from_bits(lerp_weight).abs() < 0.5;
        let lerp_coeff = if lerp_small {
            lerp_weight
        } else {
            zkattest_softfloat::f32_sub(1.0f32.to_bits(), lerp_weight)
        };
        let s = AdamWScalars {
            step,
            lr_f64: lr.to_bits(),
            use_weight_decay: hyper.weight_decay != 0.0,
            decay: to_f32_bits(1.0 - lr * hyper.weight_decay),
            lerp_weight,
            lerp_small,
            lerp_coeff,
            beta2: to_f32_bits(hyper.beta2),
            one_minus_beta2: to_f32_bits(1.0 - hyper.beta2),
            bias_correction2_sqrt: to_f32_bits(bias_correction2.sqrt()),
            eps: to_f32_bits(hyper.eps),
            neg_step_size: to_f32_bits(-step_size),
            maximize: hyper.maximize,
        };
        check_scalar_finite("decay", s.decay)?;
        check_scalar_finite("neg_step_size", s.neg_step_size)?;
        check_scalar_finite("eps", s.eps)?;
        Ok(s)
    }
}

/// SGD hyperparameters other than the learning rate (torch's `momentum`,
/// `dampening`, `weight_decay`, `nesterov`, `maximize`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SgdHyper {
    /// Momentum factor; finite, `>= 0`.
    pub momentum: f64,
    /// Dampening of the momentum; finite.
    pub dampening: f64,
    /// L2 penalty added to the gradient; finite, `>= 0`.
    pub weight_decay: f64,
    /// Nesterov momentum (needs `momentum > 0` and `dampening == 0`).
    pub nesterov: bool,
    /// Ascend the objective (the gradient is negated, exactly).
    pub maximize: bool,
}

/// The FP32 scalars (bit patterns) and flags of one SGD step. SGD has no
/// step-dependent scalar; the learning rate may change every step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SgdScalars {
    /// The learning rate as binary64 bits.
    pub lr_f64: u64,
    /// `fp32(-lr)`.
    pub neg_lr: u32,
    /// Whether weight decay is applied (`weight_decay != 0`, as torch decides).
    pub use_weight_decay: bool,
    /// `fp32(weight_decay)`.
    pub weight_decay: u32,
    /// Whether momentum is used (`momentum != 0`, as torch decides).
    pub use_momentum: bool,
    /// `fp32(momentum)`.
    pub momentum: u32,
    /// `fp32(1 - dampening)` (b64 sub).
    pub one_minus_dampening: u32,
    /// Nesterov momentum.
    pub nesterov: bool,
    /// Whether the gradient is negated.
    pub maximize: bool,
}

impl SgdScalars {
    /// The scalars of a step with learning rate `lr`. Rejects what torch rejects (and
    /// non-finite values).
    pub fn new(hyper: &SgdHyper, lr: f64) -> Result<Self> {
        check_rounding()?;
        check_finite_nonneg("lr", lr)?;
        check_finite_nonneg("momentum", hyper.momentum)?;
        check_finite_nonneg("weight_decay", hyper.weight_decay)?;
        if !hyper.dampening.is_finite() {
            return Err(Error::InvalidInput(format!(
                "dampening must be finite, got {}",
                hyper.dampening
            )));
        }
        if hyper.nesterov && (hyper.momentum <= 0.0 || hyper.dampening != 0.0) {
            return Err(Error::InvalidInput(
                "nesterov momentum requires momentum > 0 and dampening == 0".into(),
            ));
        }
        let s = SgdScalars {
            lr_f64: lr.to_bits(),
            neg_lr: to_f32_bits(-lr),
            use_weight_decay: hyper.weight_decay != 0.0,
            weight_decay: to_f32_bits(hyper.weight_decay),
            use_momentum: hyper.momentum != 0.0,
            momentum: to_f32_bits(hyper.momentum),
            one_minus_dampening: to_f32_bits(1.0 - hyper.dampening),
            nesterov: hyper.nesterov,
            maximize: hyper.maximize,
        };
        check_scalar_finite("neg_lr", s.neg_lr)?;
        check_scalar_finite("weight_decay", s.weight_decay)?;
        check_scalar_finite("momentum", s.momentum)?;
        check_scalar_finite("one_minus_dampening", s.one_minus_dampening)?;
        Ok(s)
    }
}
