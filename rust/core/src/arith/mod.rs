//! Proofs of batches of FP32 / BF16 operations (arithmetic semantics v1, DESIGN §4):
//! "each `c_i` is exactly `op(inputs_i)`" for public inputs and outputs, with the
//! floating-point chips ([`crate::chips`]) and their shared tables in one
//! zero-knowledge batch-STARK.
//!
//! ```text
//! prove_ops(batch)                -> proof bytes   (results = evaluate(batch))
//! verify_ops(batch, results, pf)  -> Ok(())        (the results are the claim)
//! ```
//!
//! Every op goes to one chip, as one row; the ops of a chip are its public periodic
//! columns (the verifier evaluates them, O(n)) bound into the transcript by a digest.
//! Ops: `bf16_mac`, `bf16_mul`, `fp32_add`, `fp32_sub` (as `x + (-y)`), `fp32_mul`,
//! `fp32_to_bf16`, `bf16_gelu`, `bf16_exp`, `fp32_div`, `fp32_sqrt`. A BF16 multiply-accumulate whose product
//! FP32 itself rounds (below the subnormal grid) or overflows is proved as `Bf16Mul`
//! then `Fp32Add` (an infinite product is the result itself, which the verifier checks
//! on the public values). NaN and infinite inputs are rejected everywhere (DESIGN §4:
//! non-finite state is an invariant violation). Every proof contains every chip (unused
//! ones padded to 8 rows), so one statement kind covers every batch. Division and square
//! root prove finite results only: a zero divisor, a quotient that overflows and the
//! root of a negative number are rejected as invalid input.

mod plan;
mod statement;

#[cfg(test)]
mod tests;

pub use plan::{evaluate, OpBatch, OpKind};
pub use statement::{layout, prove_ops, verify_ops, AirLayout, Layout, ARITH_KIND};

/// Largest log2 of the number of ops in one batch (rows of one chip).
pub const MAX_LOG_OPS: usize = 20;
/// Smallest chip height (log2): chips with fewer ops are padded.
pub const MIN_LOG_ROWS: usize = 3;
