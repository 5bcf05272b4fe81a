//! `SgdUpdate`: the [update chip](crate::chips::update) running
//! [`sgd_element`](crate::optim::sgd_element), one row per element.
//!
//! Slots (inputs, then outputs): `param`, `grad`, `momentum_buffer` (only with momentum
//! after its first step), then `param` after and `momentum_buffer` after (with
//! momentum). On the first momentum step torch creates the buffer as a copy of the
//! (decayed) gradient: there is no buffer before, one after.
//!
//! Public scalars, in order: [`SGD_SCALARS`]. The flags (`use_weight_decay`,
//! `use_momentum`, `nesterov`, `maximize`, `one_minus_dampening == 1`, first momentum
//! step) select the program.

use std::sync::Arc;

use crate::chips::update::{trace_program, Program};
use crate::error::Result;
use crate::optim::{sgd_element, SgdScalars};

#[cfg(test)]
mod tests;

/// Names of the public scalars of an SGD update, in public-value order.
pub const SGD_SCALARS: [&str; 4] = ["neg_lr", "weight_decay", "momentum", "one_minus_dampening"];

const ONE: u32 = 0x3F80_0000;

/// The scalar bit patterns in [`SGD_SCALARS`] order.
pub fn sgd_scalar_values(s: &SgdScalars) -> Vec<u32> {
    vec![s.neg_lr, s.weight_decay, s.momentum, s.one_minus_dampening]
}

/// Whether a step with these scalars reads a momentum buffer (`init_buf`: its first
/// step, where the buffer does not exist yet).
pub fn sgd_reads_buffer(s: &SgdScalars, init_buf: bool) -> bool {
    s.use_momentum && !init_buf
}

/// The per-element program of an SGD step with scalars `s` (`init_buf`: the momentum
/// buffer's first step).
pub fn sgd_program(s: &SgdScalars, init_buf: bool) -> Result<Arc<Program>> {
    let reads_buf = sgd_reads_buffer(s, init_buf);
    let n_in = 2 + reads_buf as usize;
    let p = trace_program(n_in, SGD_SCALARS.len(), |a| {
        let sym = SgdScalars {
            neg_lr: a.scalar(0),
            weight_decay: a.scalar(1),
            momentum: a.scalar(2),
            // The reference skips the multiplication by exactly 1.0: keep the value
            // so the same branch is taken.
            one_minus_dampening: if s.one_minus_dampening == ONE {
                ONE
            } else {
                a.scalar(3)
            },
            ..*s
        };
        let (param, grad) = (a.input(0), a.input(1));
        let buf = if reads_buf { a.input(2) } else { 0 };
        let (p, b) = sgd_element(a, &sym, param, grad, buf, init_buf && s.use_momentum);
        if s.use_momentum {
            vec![p, b]
        } else {
            vec![p]
        }
    })?;
    Ok(Arc::new(p))
}
