//! Bit-exact reference arithmetic for zkattest's arithmetic semantics v1
//! (DESIGN §4): the canonical definition of what the zero-knowledge chips prove.
//!
//! Values are raw bit patterns: FP32 (IEEE 754 binary32) as `u32`, BF16 (the top
//! 16 bits of binary32) as `u16`. The implementation uses integer arithmetic
//! only, so it gives the same bits on every platform; hardware floats appear
//! only in the tests, as the oracle.
//!
//! # Semantics
//!
//! - `f32_add`, `f32_sub`, `f32_mul`, `f32_div`, `f32_sqrt` and `f32_to_bf16`
//!   are correctly rounded, round-to-nearest-even, with subnormals kept (no
//!   flush-to-zero), IEEE signed zeros and overflow to signed infinity. All
//!   FP32 operations round through the one routine [`round_pack`].
//! - BF16 x BF16 -> FP32 ([`bf16_mul_f32`]) is exact in FP32's normal range;
//!   [`bf16_mac`] and [`bf16_dot`] accumulate in FP32 in the declared order.
//! - The field helpers ([`unpack`], [`pack`], the `is_*` class predicates) and
//!   [`round_pack`] are public so that the AIR chips share one decomposition
//!   and one rounding definition with this reference.
//! - **NaN policy (v1):** every NaN result is the single quiet NaN
//!   [`CANONICAL_NAN`] (`0x7FC00000`), or [`BF16_CANONICAL_NAN`] (`0x7FC0`) for
//!   BF16; input payloads and signs are not propagated. Hardware returns
//!   other NaN patterns, so comparisons against it must check "both NaN"
//!   rather than bits. The chips treat NaN in committed state as an invariant
//!   violation, so no payload semantics are needed.
//!
//! ```
//! use zkattest_softfloat::{bf16_dot, f32_add, f32_sqrt, CANONICAL_NAN, NEG_INF};
//!
//! let one = 0x3F80_0000; // 1.0f32
//! assert_eq!(f32_add(one, one), 0x4000_0000); // 2.0
//! assert_eq!(f32_add(one, 0x3380_0000), one); // 1 + 2^-24: a tie, to even
//! assert_eq!(f32_add(NEG_INF, 0x7F80_0000), CANONICAL_NAN);
//! assert_eq!(f32_sqrt(0x8000_0000), 0x8000_0000); // sqrt(-0) = -0
//! // BF16 1.0 = 0x3F80, 2.0 = 0x4000: 1*2 + 2*2 = 6.0
//! assert_eq!(bf16_dot(&[0x3F80, 0x4000], &[0x4000, 0x4000]), 0x40C0_0000);
//! ```

#![no_std]
#![deny(missing_docs)]

mod add;
mod bf16;
mod bits;
mod div;
mod mul;
mod round;
mod sqrt;

pub use add::{f32_add, f32_sub};
pub use bf16::{bf16_dot, bf16_mac, bf16_mul_f32, bf16_to_f32, f32_to_bf16, BF16_CANONICAL_NAN};
pub use bits::{
    is_inf, is_nan, is_subnormal, is_zero, pack, unpack, CANONICAL_NAN, EXP_BIAS, EXP_MASK,
    EXP_SPECIAL, FRAC_BITS, FRAC_MASK, NEG_INF, NEG_ZERO, POS_INF, POS_ZERO, SIGN_MASK,
};
pub use div::f32_div;
pub use mul::f32_mul;
pub use round::round_pack;
pub use sqrt::f32_sqrt;
