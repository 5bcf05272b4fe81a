//! `Bf16Mul`: `c = bf16_mul_f32(a, b)`, the FP32 product of two BF16 values, one op per
//! row. The 16-bit product `P = ga * gb` of the normalized significands is exact; its
//! FP32 encoding depends only on the exponent sum `q = ea + eb` (and the normalization
//! bit `f`), which one `MULQ` lookup classifies:
//!
//! | mode | result |
//! |------|--------|
//! | normal (`nn`) | `e2 = q - 126 - f`, significand `hb.lb` (exact) |
//! | overflow (`no`) | infinity (the product is at least 2^128) |
//! | exact subnormal (`ne`) | `Mc = P * 2^t` on the subnormal grid |
//! | rounded subnormal | `Mc = RNE(P / 2^s)`, `s <= 16` (zero beyond) |
//!
//! The rounding proves `P = u 2^(s+1) + g 2^s + l` and
//! `l + 2^(s-1) - 1 + g - rnd 2^s in [0, 2^s)`: `Mc = 2u + g + rnd` is the quotient
//! rounded to nearest, ties to the even one (`g` is the truncated quotient's parity).
//!
//! The `Bf16Mac` chip proves every MAC whose product is exact; the statement proves the
//! others as `Bf16Mul` + `Fp32Add` (and an infinite product as the MAC's result).

mod air;
mod columns;
mod trace;

#[cfg(test)]
mod tests;

pub use air::Bf16MulAir;
pub use columns::{Bf16MulCols, NUM_BF16_MUL_COLS};
pub use trace::{generate_mul_trace, mul_provable, MulOp};
