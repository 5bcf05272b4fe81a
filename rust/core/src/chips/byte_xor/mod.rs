//! `ByteXor`: the 2^16-row byte table of the narrow BLAKE3 chip
//! ([`crate::chips::blake3_leaf`]), on the bus [`BYTE_XOR`](crate::chips::bus::BYTE_XOR).
//! Row `r` describes the byte pair `x = r & 0xFF`, `y = r >> 8` and provides one tuple
//! per flavour, `[tag, k1, k2, k3, k4]`:
//!
//! | flavour | tuple | proves |
//! |---------|-------|--------|
//! | [`Flavour::Xor`] | `[XOR, x, y, x ^ y, 0]` | bytes `x`, `y` and their xor |
//! | [`Flavour::Nib`] | `[NIB, x, y, lo4(x ^ y), hi4(x ^ y)]` | the xor split in nibbles (rotations by 4) |
//! | [`Flavour::B7`] | `[B7, x, y, low7(x ^ y), top1(x ^ y)]` | the xor split 7 + 1 (rotations by 1) |
//! | [`Flavour::R16`] | `[R16, x + 256 y, 0, 0, 0]` | a 16-bit limb |
//!
//! The tuples come from fixed, transparent preprocessed columns; the main trace is one
//! multiplicity column per flavour.

mod air;
mod trace;

#[cfg(test)]
mod tests;

pub use air::{ByteXorPrep, ByteXorTableAir, NUM_BYTE_XOR_COLS, NUM_BYTE_XOR_PREP_COLS};
pub use trace::ByteXorCounter;

use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;

use crate::chips::bus::{BYTE_XOR, BYTE_XOR_WIDTH};

/// Rows of [`ByteXorTableAir`] (log2): every pair of bytes.
pub const BYTE_XOR_LOG_HEIGHT: usize = 16;

/// The tuple flavours of the byte table (the tag is the discriminant).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Flavour {
    /// `[XOR, x, y, x ^ y, 0]`.
    Xor = 1,
    /// `[NIB, x, y, lo4(x ^ y), hi4(x ^ y)]`.
    Nib = 2,
    /// `[B7, x, y, low7(x ^ y), top1(x ^ y)]`.
    B7 = 3,
    /// `[R16, x + 256 y, 0, 0, 0]`.
    R16 = 4,
}

impl Flavour {
    /// Every flavour, in multiplicity-column order.
    pub const ALL: [Flavour; 4] = [Flavour::Xor, Flavour::Nib, Flavour::B7, Flavour::R16];

    /// The multiplicity column of the flavour.
    pub const fn column(self) -> usize {
        self as usize - 1
    }

    /// The tuple of row `x + 256 y` (tag first), as integers.
    pub fn tuple(self, x: u8, y: u8) -> [u32; BYTE_XOR_WIDTH] {
        let z = (x ^ y) as u32;
        let (x, y) = (x as u32, y as u32);
        match self {
            Flavour::Xor => [self as u32, x, y, z, 0],
            Flavour::Nib => [self as u32, x, y, z & 0xF, z >> 4],
            Flavour::B7 => [self as u32, x, y, z & 0x7F, z >> 7],
            Flavour::R16 => [self as u32, x + 256 * y, 0, 0, 0],
        }
    }
}

/// Looks up `[flavour, k1, k2, k3, k4]` once in the byte table.
pub fn lookup_byte<AB: InteractionBuilder>(
    builder: &mut AB,
    flavour: Flavour,
    keys: [AB::Expr; BYTE_XOR_WIDTH - 1],
) {
    let tuple = core::iter::once(AB::Expr::from_u32(flavour as u32)).chain(keys);
    BYTE_XOR.lookup_key(builder, tuple, 1);
}
