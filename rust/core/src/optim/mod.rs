//! Canonical optimizers: `torch.optim.SGD` and `torch.optim.AdamW` defined as explicit
//! sequences of primitive FP32 operations (DESIGN §4), so that a step-proof chip can
//! prove exactly what training ran.
//!
//! - [`ops`]: the [`Fp32Arith`] trait (add, sub, mul, div, sqrt on bit patterns) with
//!   the reference [`Soft`] (softfloat), the bit-identical native [`Hardware`], and
//!   [`Tracer`], which records the operation rows a chip proves;
//! - [`scalars`]: the one recipe for each step's FP32 scalars (learning rate, bias
//!   corrections, `1 - lr * wd`, ...) from the hyperparameters, the learning rate and
//!   the step number;
//! - [`sgd`], [`adamw`]: each update written once, per element, generic over the
//!   arithmetic, plus slice drivers: sequential with any arithmetic (the reference) and
//!   parallel with native arithmetic (the fast path, same bits).

pub mod adamw;
pub mod ops;
pub mod scalars;
pub mod sgd;

#[cfg(test)]
mod tests;

pub use adamw::{adamw_element, adamw_update, adamw_update_fast, ADAMW_OPS};
pub use ops::{Fp32Arith, Hardware, OpKind, OpRecord, Soft, Tracer};
pub use scalars::{f64_to_f32_bits, powi_f64, AdamWHyper, AdamWScalars, SgdHyper, SgdScalars};
pub use sgd::{sgd_element, sgd_update, sgd_update_fast};

use crate::error::{Error, Result};
use rayon::prelude::*;

/// Elements per parallel work item: large enough to amortize scheduling, small enough
/// to balance. Below one chunk the update runs on the calling thread.
pub const PAR_CHUNK: usize = 1 << 14;

/// `Err` naming `what` unless `len == want`.
pub(crate) fn check_len(what: &str, len: usize, want: usize) -> Result<()> {
    if len == want {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "{what} has {len} elements, the parameter has {want}"
        )))
    }
}

/// Runs `f(hardware_ok, param, grad, bufs)` over aligned chunks of the (equal-length)
/// slices, in parallel. `hardware_ok` is [`Hardware::environment_is_ieee`] evaluated on
/// the thread that runs the chunk.
pub(crate) fn par_chunks_run<const K: usize, F>(
    param: &mut [f32],
    grad: &[f32],
    bufs: [&mut [f32]; K],
    f: F,
) where
    F: Fn(bool, &mut [f32], &[f32], [&mut [f32]; K]) + Sync,
{
    if param.len() <= PAR_CHUNK {
        f(Hardware::environment_is_ieee(), param, grad, bufs);
        return;
    }
    let mut buf_chunks = bufs.map(|b| b.chunks_mut(PAR_CHUNK));
    let jobs: Vec<_> = param
        .chunks_mut(PAR_CHUNK)
        .zip(grad.chunks(PAR_CHUNK))
        .filter_map(|(p, g)| {
            let bs: [Option<&mut [f32]>; K] = core::array::from_fn(|i| buf_chunks[i].next());
            // The callers checked that all lengths are equal, so every chunk exists.
            let bs = bs.into_iter().collect::<Option<Vec<_>>>()?;
            Some((p, g, <[&mut [f32]; K]>::try_from(bs).ok()?))
        })
        .collect();
    jobs.into_par_iter()
        .for_each(|(p, g, bs)| f(Hardware::environment_is_ieee(), p, g, bs));
}
