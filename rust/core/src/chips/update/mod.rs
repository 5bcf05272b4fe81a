//! The optimizer-update chip shared by [`sgd_update`](crate::chips::sgd_update) and
//! [`adamw_update`](crate::chips::adamw_update): one row per tensor element, whose
//! columns hold the element's inputs, every intermediate and the outputs (FP32 words as
//! `hi`/`lo` 16-bit limbs). The chip proves no arithmetic itself: it *sends* each
//! operation `[opcode, a, b, out]` on [`FP_OP`](crate::chips::bus::FP_OP), where the op
//! chips (in [`OpIo::Bus`](crate::chips::opio::OpIo::Bus) mode) prove it, and it
//! *receives* the element's words of every committed chunk on
//! [`LEAF_WORD`](crate::chips::bus::LEAF_WORD), so its inputs and outputs are the
//! words the leaf chip hashes. The wiring between operations is the sharing of columns.
//!
//! The sequence of operations is a [`Program`], derived by running the canonical
//! per-element update (`optim::sgd_element` / `optim::adamw_element`) once on symbolic
//! register ids ([`trace_program`]): the chip proves exactly the code the optimizer
//! runs, for every combination of flags, with no second copy of the update to drift.
//!
//! | group | constraint |
//! |-------|------------|
//! | rows  | `is_real` boolean; `idx = 0` on the first row, `idx' = idx + 1` |
//! | negation | `s` boolean, `VR(15, hi - 2^15 s)`: `s` is the sign bit, so `-x = (hi + 2^15 - 2^16 s, lo)` |
//! | ops   | `send FP_OP [code, a_hi, a_lo, b_hi, b_lo, c_hi, c_lo]` x `is_real` (scalars are public values) |
//! | words | `receive LEAF_WORD [slot, idx, lo, hi]` x `is_real` for every input and output slot |
//!
//! Padding rows (`is_real = 0`) send and receive nothing; the leaf chip sends every word
//! of each chunk exactly once, which forces `is_real = 1` on rows `0..n` and 0 after.

mod air;
mod program;
mod trace;

pub use air::UpdateAir;
pub use program::{trace_program, Operand, ProgOp, Program, SymArith};
pub use trace::{generate_update_trace, OpRows, UpdateTrace};
