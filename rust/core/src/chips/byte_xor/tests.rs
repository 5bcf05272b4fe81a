//! The byte table provides exactly its documented tuples.

use p3_air::BaseAir;
use p3_field::PrimeCharacteristicRing;
use p3_matrix::Matrix;

use super::*;
use crate::prover::Val;

#[test]
fn preprocessed_rows() {
    let prep = BaseAir::<Val>::preprocessed_trace(&ByteXorTableAir).unwrap();
    assert_eq!(prep.height(), 1 << BYTE_XOR_LOG_HEIGHT);
    assert_eq!(prep.width(), NUM_BYTE_XOR_PREP_COLS);
    for r in [0usize, 1, 0x80, 0xFF, 0x1234, 0xABCD, 0xFFFF] {
        let (x, y) = ((r & 0xFF) as u8, (r >> 8) as u8);
        let row: Vec<Val> = prep.row_slice(r).unwrap().to_vec();
        let z = (x ^ y) as u32;
        let want = [x as u32, y as u32, z, z & 15, z >> 4, z & 127, z >> 7].map(Val::from_u32);
        assert_eq!(row, want, "row {r:#x}");
        assert_eq!(
            Flavour::Nib.tuple(x, y)[3] + 16 * Flavour::Nib.tuple(x, y)[4],
            z
        );
        assert_eq!(
            Flavour::B7.tuple(x, y)[3] + 128 * Flavour::B7.tuple(x, y)[4],
            z
        );
        assert_eq!(Flavour::R16.tuple(x, y)[1], r as u32);
    }
}

#[test]
fn counter_columns() {
    let mut c = ByteXorCounter::default();
    c.add(Flavour::Xor, 3, 5);
    c.add(Flavour::B7, 3, 5);
    c.add_limb(0x0503);
    c.add_limb(0x0503);
    let t = c.trace();
    assert_eq!(t.width(), NUM_BYTE_XOR_COLS);
    let row: Vec<Val> = t.row_slice(0x0503).unwrap().to_vec();
    assert_eq!(row, [1, 0, 1, 2].map(Val::from_u32));
    assert_eq!(c.total(), 4);
}
