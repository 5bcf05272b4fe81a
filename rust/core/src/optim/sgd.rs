//! SGD with momentum, dampening, weight decay, Nesterov and maximize, written once
//! over [`Fp32Arith`].
//!
//! The per-element sequence mirrors torch's `_single_tensor_sgd` (torch 2.15,
//! `torch/optim/sgd.py`); torch's `add(x, alpha=a)` is an FMA on CPU, here a rounded
//! multiply then a rounded add (DESIGN §4: no FMA contraction). `g` is the gradient,
//! negated (exactly) when `maximize`; flags and scalars are [`SgdScalars`].
//!
//! | op                               | when                         | torch                                |
//! |----------------------------------|------------------------------|--------------------------------------|
//! | `t = weight_decay * p`           | `use_weight_decay`           | `grad = grad.add(param, alpha=wd)`   |
//! | `g = g + t`                      |                              |                                      |
//! | `b = g` (copy, no op)            | momentum, first step         | `buf = clone(grad)`                  |
//! | `b0 = b * momentum`              | momentum, later steps        | `buf.mul_(momentum)`                 |
//! | `t = g * one_minus_dampening`    |   unless it is exactly 1.0   | `.add_(grad, alpha=1 - dampening)`   |
//! | `b = b0 + t`                     |                              |                                      |
//! | `t = b * momentum; g = g + t`    | momentum, Nesterov           | `grad = grad.add(buf, alpha=momentum)` |
//! | `g = b` (no op)                  | momentum, not Nesterov       | `grad = buf`                         |
//! | `t = g * neg_lr; p = p + t`      | always                       | `param.add_(grad, alpha=-lr)`        |
//!
//! Skipping the multiplication by `one_minus_dampening == 1.0` changes no result
//! (`x * 1 = x`, and a NaN stays NaN through the next add); it saves a chip row in
//! the common `dampening = 0` case. Operation counts: plain 2, momentum 4 (first step
//! 2), Nesterov 6 (first step 4), plus 2 with weight decay.

use super::ops::{neg, Fp32Arith};
use super::scalars::SgdScalars;
use super::{check_len, par_chunks_run};
use crate::error::{Error, Result};

const ONE: u32 = 0x3F80_0000;

/// One element's SGD update (table above) on FP32 bit patterns: returns
/// `(param, momentum_buffer)` after the step. `buf` is ignored (and returned
/// unchanged) without momentum; `init_buf` marks the first momentum step, where
/// torch's buffer is still `None`.
#[inline(always)]
pub fn sgd_element<A: Fp32Arith>(
    a: &mut A,
    s: &SgdScalars,
    param: u32,
    grad: u32,
    buf: u32,
    init_buf: bool,
) -> (u32, u32) {
    let mut g = if s.maximize { neg(grad) } else { grad };
    if s.use_weight_decay {
        let t = a.mul(s.weight_decay, param);
        g = a.add(g, t);
    }
    let mut b = buf;
    if s.use_momentum {
        b = if init_buf {
            g
        } else {
            let b0 = a.mul(buf, s.momentum);
            let t = if s.one_minus_dampening == ONE {
                g
            } else {
                a.mul(g, s.one_minus_dampening)
            };
            a.add(b0, t)
        };
        g = if s.nesterov {
            let t = a.mul(b, s.momentum);
            a.add(g, t)
        } else {
            b
        };
    }
    let t = a.mul(g, s.neg_lr);
    (a.add(param, t), b)
}

fn sgd_chunk<A: Fp32Arith>(
    a: &mut A,
    s: &SgdScalars,
    param: &mut [f32],
    grad: &[f32],
    buf: Option<&mut [f32]>,
    init_buf: bool,
) {
    match buf {
        Some(buf) => {
            for ((p, g), b) in param.iter_mut().zip(grad).zip(buf.iter_mut()) {
                let (p2, b2) = sgd_element(a, s, p.to_bits(), g.to_bits(), b.to_bits(), init_buf);
                *p = f32::from_bits(p2);
                *b = f32::from_bits(b2);
            }
        }
        None => {
            for (p, g) in param.iter_mut().zip(grad) {
                *p = f32::from_bits(sgd_element(a, s, p.to_bits(), g.to_bits(), 0, false).0);
            }
        }
    }
}

/// Checks the slices against the scalars: equal lengths, and a momentum buffer exactly
/// when momentum is on.
fn check_args(s: &SgdScalars, n: usize, grad: &[f32], buf: &Option<&mut [f32]>) -> Result<()> {
    check_len("grad", grad.len(), n)?;
    match (s.use_momentum, buf) {
        (true, Some(b)) => check_len("momentum_buffer", b.len(), n),
        (true, None) => Err(Error::InvalidInput(
            "momentum is on but no momentum_buffer was given".into(),
        )),
        (false, Some(_)) => Err(Error::InvalidInput(
            "a momentum_buffer was given but momentum is 0".into(),
        )),
        (false, None) => Ok(()),
    }
}

/// Applies one SGD step in place, sequentially, with the arithmetic `a` (use
/// [`super::Soft`] for the reference). `momentum_buffer` is required exactly when
/// momentum is on; `init_buffer` makes this the buffer's first step (it is
/// overwritten with the gradient, its input contents are ignored).
pub fn sgd_update<A: Fp32Arith>(
    a: &mut A,
    s: &SgdScalars,
    param: &mut [f32],
    grad: &[f32],
    momentum_buffer: Option<&mut [f32]>,
    init_buffer: bool,
) -> Result<()> {
    check_args(s, param.len(), grad, &momentum_buffer)?;
    sgd_chunk(a, s, param, grad, momentum_buffer, init_buffer);
    Ok(())
}

/// [`sgd_update`] with native arithmetic, in parallel (rayon) over chunks of elements;
/// bit-identical to it with [`super::Soft`] (a chunk whose worker thread has a
/// non-IEEE floating-point environment runs on [`super::Soft`]).
pub fn sgd_update_fast(
    s: &SgdScalars,
    param: &mut [f32],
    grad: &[f32],
    momentum_buffer: Option<&mut [f32]>,
    init_buffer: bool,
) -> Result<()> {
    check_args(s, param.len(), grad, &momentum_buffer)?;
    let run = |hw: bool, p: &mut [f32], g: &[f32], b: Option<&mut [f32]>| {
        if hw {
            sgd_chunk(&mut super::Hardware, s, p, g, b, init_buffer)
        } else {
            sgd_chunk(&mut super::Soft, s, p, g, b, init_buffer)
        }
    };
    match momentum_buffer {
        Some(b) => par_chunks_run(param, grad, [b], |hw, p, g, [b]| run(hw, p, g, Some(b))),
        None => par_chunks_run(param, grad, [], |hw, p, g, []| run(hw, p, g, None)),
    }
    Ok(())
}
