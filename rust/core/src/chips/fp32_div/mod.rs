//! `Fp32Div`: `c = x / y` on FP32 words (round-to-nearest-even, subnormal inputs and
//! results kept, signed zeros), one op per row. Only finite results are provable: a zero
//! divisor and a quotient that overflows (or rounds up) to infinity have no witness.
//!
//! 1. **Normalize** both operands as `Fp32Mul` does (`FP32_NRM` + `LOZ`): 12-bit limbs
//!    `N = n1 2^12 + n0 = M 2^lz`, in `[2^23, 2^24)` or 0, normalized exponent `g`.
//!    The divisor is nonzero: `VR(11, ny1 - 2^11)`.
//! 2. **Divide** by proving the long division in base `B = 2^12`:
//!    `2^26 Nx = Q Ny + R` with `0 <= R < Ny` (`Ny - 1 - R` in two 12-bit limbs), `Q` in
//!    limbs of 12, 12 and 3 bits, carries range checked; every digit equation stays
//!    below 2^28, so nothing wraps. `Q = floor(2^26 Nx / Ny)` is in `[2^25, 2^27)`, the
//!    same 27-bit window as `Fp32Mul`'s `V1`, with `f = [Q < 2^26]`.
//! 3. **Align** exactly like a product: the value is `Q 2^(G - 279)` with
//!    `G = gx - gy + 253`, so the `MULS` entry of `(G, f)` gives the subnormal shift and
//!    `jb`; its overflow entries (`no = 1`) are not looked up, so an overflowing quotient
//!    is unprovable. A zero dividend (`zx`, only if `Nx = 0`) shifts `G` by -400 into the
//!    table's zero region (`zq = zx`).
//! 4. **Round check**: the sticky bit covers `R` and the dropped bits; `MROUND` checks
//!    `Z = RNE(V)`, `V = 2 al + st`, at `Z`'s own last place (ties to even, the halved
//!    interval below a power of two, underflow to zero). `Z` is decoded with `ovf = 0`:
//!    exponent 255 (infinity, NaN) has no entry. The sign is `sx xor sy`.
//!
//! Every relation is over integers far below p (limbs of at most 16 bits, carries range
//! checked, `|err| < 2^30`).

mod air;
mod columns;
mod trace;

#[cfg(test)]
mod tests;

pub(crate) use air::eval_factor;
pub use air::Fp32DivAir;
pub use columns::{Fp32DivCols, NUM_FP32_DIV_COLS};
pub(crate) use trace::fill_factor;
pub use trace::{fp32_div_provable, generate_fp32_div_trace, DivOp};

/// Fills one row for `op` claiming the result `z` (statement tests forge rows with it).
#[cfg(test)]
pub(crate) fn fill_fp32_div_row_for_tests(row: &mut [crate::prover::Val], op: &DivOp, z: u32) {
    let mut counter = crate::chips::fptables::FpTableCounter::default();
    trace::fill_fp32_div_row(row, op, Some(z), &mut counter).expect("provable op");
}

/// Limb base of the long division and of the normalized significands.
pub(crate) const LIMB: u32 = 1 << 12;
/// The quotient is `floor(2^DIV_SHIFT Nx / Ny)`: 26 bits put it in `[2^25, 2^27)`.
pub(crate) const DIV_SHIFT: u32 = 26;
/// `G = gx - gy + DIV_G_OFFSET` gives the quotient `Q 2^(G - 279)`, the scale of the
/// `MULS` table (`279 - DIV_SHIFT`).
pub(crate) const DIV_G_OFFSET: u32 = 279 - DIV_SHIFT;
/// A zero dividend lowers `G` by this much, into the `MULS` zero region.
pub(crate) const ZERO_G_SHIFT: u32 = 400;
