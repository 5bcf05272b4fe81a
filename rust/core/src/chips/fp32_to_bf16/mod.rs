//! `Fp32ToBf16`: `c = f32_to_bf16(x)`, one op per row. BF16 keeps the high half of the
//! word; the dropped low half rounds it to nearest, ties to even:
//! `c = x_hi + [x_lo > 0x8000] + [x_lo == 0x8000] * (x_hi & 1)`. The increment carries
//! into the exponent on its own (a subnormal becomes the smallest normal, the largest
//! values become infinity), as IEEE rounding requires.
//!
//! | group | constraint |
//! |-------|------------|
//! | input | `FINPAR(x_hi) -> par` (finite, parity) |
//! | rounding | `HALF(x_lo) -> (gt, eq)` |
//! | op binding | `[x, c]` equal the public ops, or received on `fp.op` |

mod air;
mod columns;
mod trace;

#[cfg(test)]
mod tests;

pub use air::Fp32ToBf16Air;
pub use columns::{Fp32ToBf16Cols, NUM_FP32_TO_BF16_COLS};
pub use trace::generate_to_bf16_trace;
