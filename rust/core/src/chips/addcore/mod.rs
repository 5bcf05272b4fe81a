//! The FP32 adder core: a gadget (columns + constraints + witness generation) that
//! proves `Z = RNE(O1 + O2)` for an FP32 word `O1` and an exactly known operand `O2`,
//! with round-to-nearest-even, subnormals, signed zeros and overflow to infinity,
//! exactly as `zkattest_softfloat::f32_add`. [`Fp32Add`](crate::chips::fp32_add) uses it
//! with `O2` a second FP32 word, [`Bf16Mac`](crate::chips::bf16_mac) with `O2` the
//! exact product of two BF16 values.
//!
//! # How it proves a rounding (verification, not computation)
//!
//! The prover supplies the result `Z`; the core checks it instead of computing it, so
//! there is no leading-zero count and no normalization shifter:
//!
//! 1. **Order.** `B` is the operand with the larger (clamped) exponent, `S` the other;
//!    `d = e_B - e_S`. A table lookup on `e1 - e2` gives the swap bit and the shift
//!    parameters.
//! 2. **Align** `S` to units of `2^(e_B - 152)` (two guard bits):
//!    `al = floor(M_S * 2^(2 - d))`, `st = [dropped bits != 0]`. The shift splits one
//!    16-bit limb `T = q * 2^mr + r` with `q, r` range checked to `16 - mr` and `mr`
//!    bits, so the split cannot wrap modulo p; beyond 24 bits everything is sticky.
//! 3. **Sum.** `V = 2 (4 M_B + sigma al) + sigma st` (`sigma = -1` for a subtraction)
//!    is the exact sum in units of `2^(e_B - 153)`, except that the dropped bits are
//!    replaced by one odd unit: the exact value lies strictly between `V - 1` and
//!    `V + 1`. Every rounding threshold is an even number of units whenever bits were
//!    dropped (the result is then within a factor 2 of `B`), so `V` and the exact sum
//!    round the same way and `V` is never a tie.
//! 4. **Round check.** With `j = e_z - e_B` and `pn = 2^(j + 3)`, `Z = Mz * pn` units
//!    and `err = +-V - Mz * pn` is the signed rounding error. One lookup into the
//!    `ROUND` table checks `|err| <= pn / 2` with ties to even, the halved interval
//!    below a power of two, and (for `Z = 0`) `err = 0` with the IEEE sign of an exact
//!    zero sum (`-0` only for `-0 + -0`). `j` ranges over `-3..=1`.
//!
//! **Overflow.** `Z` may carry exponent 255 (the patterns of Inf/NaN): it is read as
//! the finite *virtual* value `1.f * 2^128`, the rounding that an FP32 with one more
//! exponent would give; the chip then outputs infinity. Inputs are always finite (their
//! decode excludes exponent 255), so a NaN never appears.
//!
//! **Reverse mode.** A subtraction of nearly equal values can cancel down to a result
//! `2^-k` times smaller than `B` (`j < -3`); such a sum is always exact. In reverse
//! mode (`rev = 1`) the core instead proves `x = c + (-O2)` *exactly* (`err = 0`,
//! nonzero `c`), which implies `c = x + O2 = RNE(x + O2)`; the operand 1 / result
//! columns swap roles, so the same normal-mode machinery handles it. Zero results never
//! need it (their `j` is unrestricted in the table).
//!
//! All quantities are integers far below p (|V| < 2^29, |err| < 2^30), so every
//! relation holds over the integers, not just modulo p.

mod air;
mod columns;
mod trace;

pub(crate) use air::xor;
pub use air::{eval_add_core, AddCoreIo, Operand2};
pub use columns::{AddCoreCols, NUM_ADD_CORE_COLS};
#[cfg(test)]
pub(crate) use trace::{align, round_virtual, write_add_core, Aligned};
pub use trace::{populate_add_core, solve_add_core, Op2Val};
