//! Step-chunk proofs (issue #6): "the chunk of state committed after step `t` is exactly
//! what the declared optimizer computes from the chunk committed before it and the
//! committed gradient, with the declared scalars", revealing nothing about weights,
//! gradients or buffers.
//!
//! ```text
//! prove_step_chunk(chunk)          -> (StepChunkPublic, proof bytes)
//! verify_step_chunk(public, proof) -> Ok(())
//! ```
//!
//! One zero-knowledge batch-STARK per chunk (chunks are independent proofs), with:
//!
//! - the optimizer-update chip ([`crate::chips::sgd_update`] /
//!   [`crate::chips::adamw_update`]): one row per element, sending every FP32 op on
//!   `FP_OP` and receiving every word of every chunk on `LEAF_WORD`;
//! - the op chips (`Fp32Add`, `Fp32Mul`, and for AdamW `Fp32Div`, `Fp32Sqrt`) in bus
//!   mode, with their padding sent by [`pad::OpPadAir`];
//! - the in-circuit leaf hashes ([`crate::chips::blake3_leaf`]): each leaf
//!   `BLAKE3("zkattest.leaf.v1" || salt || chunk)` is a public digest, the salts are
//!   private, and the chunk words are what the update chip reads and writes;
//! - the shared floating-point tables.
//!
//! The public claim ([`StepChunkPublic`]) holds the optimizer, the step, the element
//! count, the scalars (FP32 bit patterns and flags; public values of the update chip,
//! which constrains its scalar operands to them) and the leaves in slot order. The
//! flags and the chunk length fix the AIRs, so they are part of the statement kind
//! ([`statement_kind`], e.g. `step.adamw.v1;n=16384;wd=1,lerp_small=1,maximize=0`).
//! Merkle paths from the leaves to the committed roots are checked outside the proof.
//!
//! Public bytes (`StepChunkPublic::to_bytes`, little-endian): [`STEP_PUBLIC_MAGIC`],
//! optimizer `u8` (1 = SGD, 2 = AdamW), step `u64`, n `u32`, the scalars (SGD:
//! `lr_f64 u64, neg_lr u32, use_weight_decay u8, weight_decay u32, use_momentum u8,
//! momentum u32, one_minus_dampening u32, nesterov u8, maximize u8, init_buf u8`; AdamW:
//! `step u64, lr_f64 u64, use_weight_decay u8, decay u32, lerp_weight u32, lerp_small
//! u8, lerp_coeff, beta2, one_minus_beta2, bias_correction2_sqrt, eps, neg_step_size
//! (u32 each), maximize u8`), the leaf count `u8`, then 32 bytes per leaf.

mod dev;
mod pad;
mod public;
mod split;
mod statement;

#[cfg(test)]
mod tests;

pub use pad::OpPadAir;
pub use public::{Optimizer, StepChunkPublic, StepScalars};
pub use statement::{
    prove_step_chunk, statement_kind, step_layout, verify_step_chunk, StepAir, StepChunk,
};

/// Statement kind (base) of SGD step-chunk proofs.
pub const STEP_SGD_KIND: &str = "step.sgd.v1";
/// Statement kind (base) of AdamW step-chunk proofs.
pub const STEP_ADAMW_KIND: &str = "step.adamw.v1";
/// First bytes of the public-values encoding (format version 1).
pub const STEP_PUBLIC_MAGIC: &[u8] = b"zkattest.step-public.v1";
/// Largest chunk of one step proof, in FP32 elements (one default 64 KiB commitment
/// chunk).
pub const MAX_CHUNK_ELEMS: usize = crate::commit::domain::DEFAULT_CHUNK_SIZE / 4;
/// Smallest chip height (log2).
pub const MIN_LOG_ROWS: usize = 3;
/// Most instances of one op chip in a statement (see `split`): the ops of one kind are
/// spread over instances whose heights are the largest powers of two of their count.
pub const MAX_OP_INSTANCES: usize = 3;
