//! AdamW (decoupled weight decay, `amsgrad = False`), written once over [`Fp32Arith`].
//!
//! The per-element sequence mirrors torch's `_single_tensor_adam` with
//! `decoupled_weight_decay=True` (torch 2.15, `torch/optim/adam.py`), each tensor
//! operation there becoming the FP32 operations its CPU kernel performs, except that
//! torch fuses some multiply-adds (FMA) and we round after every operation (DESIGN §4:
//! no FMA contraction). Scalars are [`AdamWScalars`]; `g` is the gradient, negated
//! (exactly) when `maximize`.
//!
//! | # | op                        | torch                                          |
//! |---|---------------------------|------------------------------------------------|
//! | 1 | `p1 = p * decay`          | `param.mul_(1 - lr * wd)` (only if `wd != 0`)  |
//! | 2 | `d = g - m`               | `exp_avg.lerp_(grad, 1 - beta1)`:              |
//! | 3 | `t = lerp_coeff * d`      |   small weight: `m + w * (g - m)`              |
//! | 4 | `m1 = m + t` or `g - t`    |   else: `g - (g - m) * (1 - w)` (FMA in torch) |
//! | 5 | `v0 = v * beta2`          | `exp_avg_sq.mul_(beta2)`                       |
//! | 6 | `s = one_minus_beta2 * g` | `.addcmul_(grad, grad, value=1 - beta2)`       |
//! | 7 | `s2 = s * g`              |   `= v0 + (value * g) * g` (FMA in torch)      |
//! | 8 | `v1 = v0 + s2`            |                                                |
//! | 9 | `r = sqrt(v1)`            | `exp_avg_sq.sqrt()` (MKL in torch, +-1 ulp)    |
//! | 10| `q = r / bc2_sqrt`        | `/ bias_correction2_sqrt`                      |
//! | 11| `den = q + eps`           | `.add_(eps)`                                   |
//! | 12| `u = neg_step_size * m1`  | `param.addcdiv_(exp_avg, denom,`               |
//! | 13| `u2 = u / den`            |   `value=-step_size)`                          |
//! | 14| `p2 = p1 + u2`            |   `= p + (value * m) / den`                    |
//!
//! 14 rounded operations per element (13 without weight decay): 6 mul, 4 add, 1 sub,
//! 2 div, 1 sqrt ([`ADAMW_OPS`]).

use super::ops::{neg, Fp32Arith, OpKind};
use super::scalars::AdamWScalars;
use super::{check_len, par_chunks_run};
use crate::error::Result;

/// The operation kinds of one element's update, in order, with weight decay on and a
/// small lerp weight (`beta1 > 0.5`). Without weight decay the leading `Mul` is
/// skipped; with `beta1 <= 0.5` op 4 is a `Sub`.
pub const ADAMW_OPS: [OpKind; 14] = [
    OpKind::Mul,
    OpKind::Sub,
    OpKind::Mul,
    OpKind::Add,
    OpKind::Mul,
    OpKind::Mul,
    OpKind::Mul,
    OpKind::Add,
    OpKind::Sqrt,
    OpKind::Div,
    OpKind::Add,
    OpKind::Mul,
    OpKind::Div,
    OpKind::Add,
];

/// One element's AdamW update (table above). Takes and returns FP32 bit patterns:
/// `(param, exp_avg, exp_avg_sq)` after the step.
#[inline(always)]
pub fn adamw_element<A: Fp32Arith>(
    a: &mut A,
    s: &AdamWScalars,
    param: u32,
    grad: u32,
    exp_avg: u32,
    exp_avg_sq: u32,
) -> (u32, u32, u32) {
    let g = if s.maximize { neg(grad) } else { grad };
    // 1. decoupled weight decay
    let p = if s.use_weight_decay {
        a.mul(param, s.decay)
    } else {
        param
    };
    // 2-4. first moment: torch's lerp, both branches of its weight test
    let d = a.sub(g, exp_avg);
    let t = a.mul(s.lerp_coeff, d);
    let m = if s.lerp_small {
        a.add(exp_avg, t)
    } else {
        a.sub(g, t)
    };
    // 5-8. second moment
    let v0 = a.mul(exp_avg_sq, s.beta2);
    let s1 = a.mul(s.one_minus_beta2, g);
    let s2 = a.mul(s1, g);
    let v = a.add(v0, s2);
    // 9-11. denominator
    let r = a.sqrt(v);
    let q = a.div(r, s.bias_correction2_sqrt);
    let den = a.add(q, s.eps);
    // 12-14. parameter
    let u = a.mul(s.neg_step_size, m);
    let u = a.div(u, den);
    let p = a.add(p, u);
    (p, m, v)
}

fn adamw_chunk<A: Fp32Arith>(
    a: &mut A,
    s: &AdamWScalars,
    param: &mut [f32],
    grad: &[f32],
    exp_avg: &mut [f32],
    exp_avg_sq: &mut [f32],
) {
    for (((p, g), m), v) in param
        .iter_mut()
        .zip(grad)
        .zip(exp_avg.iter_mut())
        .zip(exp_avg_sq.iter_mut())
    {
        let (p2, m2, v2) = adamw_element(a, s, p.to_bits(), g.to_bits(), m.to_bits(), v.to_bits());
        *p = f32::from_bits(p2);
        *m = f32::from_bits(m2);
        *v = f32::from_bits(v2);
    }
}

/// Applies one AdamW step in place, sequentially, with the arithmetic `a` (use
/// [`super::Soft`] for the reference). All slices must have the same length.
pub fn adamw_update<A: Fp32Arith>(
    a: &mut A,
    s: &AdamWScalars,
    param: &mut [f32],
    grad: &[f32],
    exp_avg: &mut [f32],
    exp_avg_sq: &mut [f32],
) -> Result<()> {
    let n = param.len();
    check_len("grad", grad.len(), n)?;
    check_len("exp_avg", exp_avg.len(), n)?;
    check_len("exp_avg_sq", exp_avg_sq.len(), n)?;
    adamw_chunk(a, s, param, grad, exp_avg, exp_avg_sq);
    Ok(())
}

/// Applies one AdamW step in place with native arithmetic, in parallel (rayon) over
/// chunks of elements. Bit-identical to [`adamw_update`] with [`super::Soft`]: a
/// chunk whose worker thread has a non-IEEE floating-point environment runs on
/// [`super::Soft`].
pub fn adamw_update_fast(
    s: &AdamWScalars,
    param: &mut [f32],
    grad: &[f32],
    exp_avg: &mut [f32],
    exp_avg_sq: &mut [f32],
) -> Result<()> {
    let n = param.len();
    check_len("grad", grad.len(), n)?;
    check_len("exp_avg", exp_avg.len(), n)?;
    check_len("exp_avg_sq", exp_avg_sq.len(), n)?;
    par_chunks_run(param, grad, [exp_avg, exp_avg_sq], |hw, p, g, [m, v]| {
        if hw {
            adamw_chunk(&mut super::Hardware, s, p, g, m, v)
        } else {
            adamw_chunk(&mut super::Soft, s, p, g, m, v)
        }
    });
    Ok(())
}
