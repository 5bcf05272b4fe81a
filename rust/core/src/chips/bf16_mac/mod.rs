//! `Bf16Mac`: `c = fp32_add(acc, bf16_mul_f32(a, b))`, one op per row.
//!
//! The BF16 x BF16 product has 16 significant bits, so it is exact in FP32 whenever its
//! last place is on the FP32 grid (`>= 2^-149`) and it is below 2^128. Then the MAC has
//! one rounding, and the row is the [adder core](crate::chips::addcore) with the
//! normalized product `(hb * 2^16 + lb * 2^8) * 2^(ea + eb - 276 - f)` as operand 2:
//!
//! | group | constraint |
//! |-------|------------|
//! | factor decode | `BF16N(a) -> (sa, ea, ga)`, `BF16N(b) -> (sb, eb, gb)` (finite) |
//! | product | `(1 + f) ga gb = 256 hb + lb`, `VR(7, hb - 128 + 128 zq)`, `VR(8, lb)` |
//! | exactness | `MACQ(ea + eb, f) -> zq`: zero, or exact and < 2^128 |
//! | adder core | see [`crate::chips::addcore`] |
//! | op binding | `[acc, a, b, c]` equal the public ops, or received on `fp.op` |
//!
//! Products that FP32 rounds (tiny) or overflows fail the `MACQ` lookup; callers prove
//! those ops as an `Fp32Mul` and an `Fp32Add` (see [`mac_provable`]).

mod air;
mod columns;
mod trace;

#[cfg(test)]
mod tests;

pub use air::Bf16MacAir;
pub use columns::{Bf16MacCols, NUM_BF16_MAC_COLS};
#[cfg(test)]
pub(crate) use trace::fill_mac_row;
pub use trace::{generate_mac_trace, mac_provable, MacOp};
