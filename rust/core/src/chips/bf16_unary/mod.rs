//! `Bf16Unary`: `y = f(x)` for the BF16 unary functions (GELU, exp), one op per row and one
//! lookup `UNARY(f, x) -> y` into the pinned 65,536-entry tables (see
//! [`crate::chips::fptables::unary`] for the reference that defines them).
//!
//! | group | constraint |
//! |-------|------------|
//! | function | `UNARY(f, x, y)`: `f` a defined function, `x` finite, `y = f(x)` |
//! | op binding | `[x, f, y]` equal the public ops, or received on `fp.op` |

mod air;
mod columns;
mod trace;

#[cfg(test)]
mod tests;

pub use air::Bf16UnaryAir;
pub use columns::{Bf16UnaryCols, NUM_BF16_UNARY_COLS};
pub use trace::generate_unary_trace;
