//! `Fp32Add`: `c = x + y` on FP32 words (and `x - y` as `x + (-y)`), one op per row:
//! the [adder core](crate::chips::addcore) with `y` decoded as operand 2.
//!
//! | group | constraint |
//! |-------|------------|
//! | operand decode | `FP32_FIN(y_hi) -> (sy, ey, mhy)`, `VR(16, y_lo)` |
//! | adder core | see [`crate::chips::addcore`] |
//! | op binding | `[x, y, c]` equal the public ops, or received on `fp.op` |

mod air;
mod columns;
mod trace;

#[cfg(test)]
mod tests;

pub use air::Fp32AddAir;
pub use columns::{Fp32AddCols, NUM_FP32_ADD_COLS};
pub use trace::{add_provable, generate_add_trace, AddOp};
