//! `AdamWUpdate`: the [update chip](crate::chips::update) running
//! [`adamw_element`](crate::optim::adamw_element), one row per element (14 sent
//! operations with weight decay, 13 without: [`ADAMW_OPS`](crate::optim::ADAMW_OPS)).
//!
//! Slots (inputs, then outputs): `param`, `grad`, `exp_avg`, `exp_avg_sq`, then
//! `param`, `exp_avg`, `exp_avg_sq` after the step. Public scalars, in order:
//! [`ADAMW_SCALARS`]; the flags `use_weight_decay`, `lerp_small` and `maximize` select
//! the program.

use std::sync::Arc;

use crate::chips::update::{trace_program, Program};
use crate::error::Result;
use crate::optim::{adamw_element, AdamWScalars};

#[cfg(test)]
mod tests;

/// Names of the public scalars of an AdamW update, in public-value order.
pub const ADAMW_SCALARS: [&str; 7] = [
    "decay",
    "lerp_coeff",
    "beta2",
    "one_minus_beta2",
    "bias_correction2_sqrt",
    "eps",
    "neg_step_size",
];

/// The scalar bit patterns in [`ADAMW_SCALARS`] order.
pub fn adamw_scalar_values(s: &AdamWScalars) -> Vec<u32> {
    vec![
        s.decay,
        s.lerp_coeff,
        s.beta2,
        s.one_minus_beta2,
        s.bias_correction2_sqrt,
        s.eps,
        s.neg_step_size,
    ]
}

/// The per-element program of an AdamW step with scalars `s`.
pub fn adamw_program(s: &AdamWScalars) -> Result<Arc<Program>> {
    let p = trace_program(4, ADAMW_SCALARS.len(), |a| {
        let sym = AdamWScalars {
            decay: a.scalar(0),
            lerp_coeff: a.scalar(1),
            beta2: a.scalar(2),
            one_minus_beta2: a.scalar(3),
            bias_correction2_sqrt: a.scalar(4),
            eps: a.scalar(5),
            neg_step_size: a.scalar(6),
            ..*s
        };
        let ins = [a.input(0), a.input(1), a.input(2), a.input(3)];
        let (p, m, v) = adamw_element(a, &sym, ins[0], ins[1], ins[2], ins[3]);
        vec![p, m, v]
    })?;
    Ok(Arc::new(p))
}
