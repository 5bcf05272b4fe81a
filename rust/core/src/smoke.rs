//! The smoke statement: the smallest proof that exercises the whole stack the chips
//! rely on (several AIRs in one batch-STARK, a LogUp lookup into the shared 16-bit
//! range table, a preprocessed table, hiding / zero knowledge).
//!
//! Statement `smoke.dot16.v1`: "I know 16-bit vectors `a`, `b` of length n (a power of
//! two) whose dot product is `S` (mod p)". Public values: `[n, S]`. The vectors stay
//! hidden.

use core::borrow::{Borrow, BorrowMut};
use core::mem::size_of;

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;

use crate::air_enum;
use crate::chips::bus::RANGE16;
use crate::chips::range16::{Range16Air, Range16Counter, RANGE16_LOG_HEIGHT};
use crate::error::{Error, Result};
use crate::prover::{Statement, Val};

/// Statement kind written into the proof envelope.
pub const SMOKE_KIND: &str = "smoke.dot16.v1";
/// Largest supported log2 of the vector length.
pub const SMOKE_MAX_LOG_N: usize = 20;

/// Columns of the dot-product AIR.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct DotCols<T> {
    /// Left operand, range-checked to 16 bits.
    pub a: T,
    /// Right operand, range-checked to 16 bits.
    pub b: T,
    /// Running sum of `a * b` up to and including this row.
    pub acc: T,
}

const NUM_DOT_COLS: usize = size_of::<DotCols<u8>>();

impl<T> Borrow<DotCols<T>> for [T] {
    fn borrow(&self) -> &DotCols<T> {
        let (prefix, cols, suffix) = unsafe { self.align_to::<DotCols<T>>() };
        debug_assert!(prefix.is_empty() && suffix.is_empty() && cols.len() == 1);
        &cols[0]
    }
}

impl<T> BorrowMut<DotCols<T>> for [T] {
    fn borrow_mut(&mut self) -> &mut DotCols<T> {
        let (prefix, cols, suffix) = unsafe { self.align_to_mut::<DotCols<T>>() };
        debug_assert!(prefix.is_empty() && suffix.is_empty() && cols.len() == 1);
        &mut cols[0]
    }
}

/// Running dot product with range-checked operands.
#[derive(Clone, Copy, Debug, Default)]
pub struct DotAir;

impl<F> BaseAir<F> for DotAir {
    fn width(&self) -> usize {
        NUM_DOT_COLS
    }
    fn num_public_values(&self) -> usize {
        2
    }
}

impl<AB: InteractionBuilder> Air<AB> for DotAir {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &DotCols<AB::Var> = main.current_slice().borrow();
        let next: &DotCols<AB::Var> = main.next_slice().borrow();
        let sum = builder.public_values()[1];
        let (a, b, acc) = (local.a, local.b, local.acc);
        let (a1, b1, acc1) = (next.a, next.b, next.acc);

        // acc_0 = a_0 b_0;  acc_{i+1} = acc_i + a_{i+1} b_{i+1};  acc_{n-1} = S
        builder.when_first_row().assert_eq(acc, a * b);
        builder
            .when_transition()
            .assert_eq(acc1, acc.into() + a1.into() * b1.into());
        builder.when_last_row().assert_eq(acc, sum);
        // 0 <= a, b < 2^16
        RANGE16.lookup_key(builder, [a], 1);
        RANGE16.lookup_key(builder, [b], 1);
    }
}

air_enum! {
    /// The AIRs of the smoke statement.
    pub enum SmokeAir {
        /// The running dot product.
        Dot(DotAir),
        /// The shared range table.
        Range(Range16Air),
    }
}

const AIRS: [SmokeAir; 2] = [SmokeAir::Dot(DotAir), SmokeAir::Range(Range16Air)];
const STATEMENT: Statement<'static, SmokeAir> = Statement {
    kind: SMOKE_KIND,
    airs: &AIRS,
};

fn check_len(n: usize) -> Result<usize> {
    if !n.is_power_of_two() || n < 2 || n.trailing_zeros() as usize > SMOKE_MAX_LOG_N {
        return Err(Error::InvalidInput(format!(
            "vector length {n} must be a power of two between 2 and 2^{SMOKE_MAX_LOG_N}"
        )));
    }
    Ok(n.trailing_zeros() as usize)
}

fn public(n: usize, sum: u32) -> Vec<Vec<Val>> {
    vec![vec![Val::from_usize(n), Val::from_u32(sum)], vec![]]
}

/// The dot product mod p, as the statement defines it.
pub fn dot_mod_p(a: &[u16], b: &[u16]) -> u32 {
    a.iter()
        .zip(b)
        .fold(Val::ZERO, |acc, (&x, &y)| {
            acc + Val::from_u32(x as u32) * Val::from_u32(y as u32)
        })
        .as_canonical_u32()
}

/// Builds the (honest) traces for `a`, `b`. Exposed so tests can tamper with them.
pub fn traces(a: &[u16], b: &[u16]) -> Result<[RowMajorMatrix<Val>; 2]> {
    if a.len() != b.len() {
        return Err(Error::InvalidInput(format!(
            "vectors differ in length ({} vs {})",
            a.len(),
            b.len()
        )));
    }
    check_len(a.len())?;
    let mut dot = RowMajorMatrix::new(Val::zero_vec(a.len() * NUM_DOT_COLS), NUM_DOT_COLS);
    let mut range = Range16Counter::default();
    let mut acc = Val::ZERO;
    for ((row, &x), &y) in dot.values.chunks_exact_mut(NUM_DOT_COLS).zip(a).zip(b) {
        let cols: &mut DotCols<Val> = row.borrow_mut();
        cols.a = Val::from_u32(x as u32);
        cols.b = Val::from_u32(y as u32);
        acc += cols.a * cols.b;
        cols.acc = acc;
        range.add(x as u32);
        range.add(y as u32);
    }
    Ok([dot, range.trace()])
}

/// Proves the statement from explicit traces and public values (tests use this to
/// attempt forgeries; honest callers use [`prove`]).
pub fn prove_traces(traces: [RowMajorMatrix<Val>; 2], n: usize, sum: u32) -> Result<Vec<u8>> {
    STATEMENT.prove(&traces, &public(n, sum))
}

/// Proves that the dot product of `a` and `b` is [`dot_mod_p`]`(a, b)`.
/// Returns the serialized proof.
pub fn prove(a: &[u16], b: &[u16]) -> Result<Vec<u8>> {
    prove_traces(traces(a, b)?, a.len(), dot_mod_p(a, b))
}

/// Verifies a smoke proof against the claimed length `n` and sum `sum`.
pub fn verify(proof: &[u8], n: usize, sum: u32) -> Result<()> {
    let log_n = check_len(n)?;
    if sum >= Val::ORDER_U32 {
        return Err(Error::InvalidInput(format!(
            "sum {sum} is not a field element"
        )));
    }
    STATEMENT.verify(proof, &public(n, sum), &[log_n, RANGE16_LOG_HEIGHT])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(n: usize) -> (Vec<u16>, Vec<u16>) {
        let a = (0..n).map(|i| (i * 7919 % 65536) as u16).collect();
        let b = (0..n).map(|i| (65535 - i * 31 % 65536) as u16).collect();
        (a, b)
    }

    fn is_rejected(r: Result<()>) -> bool {
        matches!(
            r,
            Err(Error::Verification(_)) | Err(Error::Malformed { .. })
        )
    }

    /// One honest proof shared by the tests that only read it (proving costs seconds).
    fn shared() -> &'static (Vec<u8>, u32) {
        static PROOF: std::sync::OnceLock<(Vec<u8>, u32)> = std::sync::OnceLock::new();
        PROOF.get_or_init(|| {
            let (a, b) = sample(16);
            (prove(&a, &b).unwrap(), dot_mod_p(&a, &b))
        })
    }

    #[test]
    fn honest_proof_verifies() {
        let (proof, s) = shared();
        verify(proof, 16, *s).unwrap();
    }

    #[test]
    fn proofs_are_randomized() {
        // Hiding: two proofs of the same witness differ.
        let (a, b) = sample(16);
        assert_ne!(&prove(&a, &b).unwrap(), &shared().0);
    }

    #[test]
    fn wrong_public_values_rejected() {
        let (proof, s) = shared();
        assert!(is_rejected(verify(proof, 16, (s + 1) % Val::ORDER_U32)));
        assert!(matches!(
            verify(proof, 16, Val::ORDER_U32),
            Err(Error::InvalidInput(_))
        ));
        assert!(verify(proof, 32, *s).is_err());
    }

    #[test]
    fn public_values_inside_envelope_are_bound() {
        // Rewriting the sum inside the envelope (and claiming it) must fail the STARK.
        let (proof, s) = shared();
        let mut proof = proof.clone();
        let kind_len = proof[5] as usize;
        let off = 6 + kind_len + 4 + 4; // second public value
        let forged = (s + 1) % Val::ORDER_U32;
        proof[off..off + 4].copy_from_slice(&forged.to_le_bytes());
        assert!(is_rejected(verify(&proof, 16, forged)));
    }

    #[test]
    fn flipped_bytes_and_truncation_rejected() {
        let (proof, s) = shared();
        let (proof, s) = (proof.clone(), *s);
        // Flip one bit in a spread of positions across header and body.
        let step = (proof.len() / 29).max(1);
        for pos in (0..proof.len()).step_by(step) {
            let mut p = proof.clone();
            p[pos] ^= 0x10;
            assert!(is_rejected(verify(&p, 16, s)), "bit flip at {pos} accepted");
        }
        for cut in [0, 3, 10, proof.len() / 2, proof.len() - 1] {
            assert!(
                is_rejected(verify(&proof[..cut], 16, s)),
                "truncation to {cut} accepted"
            );
        }
        let mut longer = proof.clone();
        longer.push(0);
        assert!(is_rejected(verify(&longer, 16, s)));
    }

    #[test]
    fn out_of_range_witness_cannot_prove() {
        // a_0 = 2^16 satisfies the arithmetic but not the range lookup.
        let (a, b) = sample(8);
        let [mut dot, range] = traces(&a, &b).unwrap();
        let delta = Val::from_u32(65536) - dot.values[0];
        dot.values[0] = Val::from_u32(65536);
        let b0 = dot.values[1];
        for row in 0..8 {
            dot.values[row * NUM_DOT_COLS + 2] += delta * b0;
        }
        let sum = dot.values[7 * NUM_DOT_COLS + 2].as_canonical_u32();
        let out = prove_traces([dot, range], 8, sum);
        match out {
            Err(_) => {}
            Ok(proof) => assert!(is_rejected(verify(&proof, 8, sum))),
        }
    }

    #[test]
    fn wrong_running_sum_cannot_prove() {
        let (a, b) = sample(8);
        let [mut dot, range] = traces(&a, &b).unwrap();
        dot.values[3 * NUM_DOT_COLS + 2] += Val::ONE;
        let s = dot_mod_p(&a, &b);
        match prove_traces([dot, range], 8, s) {
            Err(_) => {}
            Ok(proof) => assert!(is_rejected(verify(&proof, 8, s))),
        }
    }

    #[test]
    fn bad_lengths_are_invalid_input() {
        assert!(matches!(
            prove(&[1, 2, 3], &[1, 2, 3]),
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(prove(&[1, 2], &[1]), Err(Error::InvalidInput(_))));
        assert!(matches!(verify(&[], 3, 0), Err(Error::InvalidInput(_))));
    }
}
