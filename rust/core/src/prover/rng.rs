//! Blinding randomness for the hiding commitments.
//!
//! Plonky3's hiding MMCS and PCS each own an RNG, and the PCS clones the MMCS when it
//! builds the FRI commitment scheme. With a plain seeded RNG a clone replays the same
//! stream, so two commitments would share their "random" salts. `ZkRng` reseeds from
//! the operating system on every clone: every commitment scheme gets an independent,
//! unpredictable stream.

use core::convert::Infallible;
use rand::rngs::ChaCha20Rng;
use rand::{SeedableRng, TryCryptoRng, TryRng};

/// A CSPRNG seeded from the OS (via the thread-local OS-seeded generator), reseeded on clone.
///
/// The one exception is [`ZkRng::public_fixed`], used only to commit *public*
/// preprocessed tables, where prover and verifier must derive the same commitment.
pub struct ZkRng {
    inner: ChaCha20Rng,
    /// `Some` only for the public fixed generator.
    public_seed: Option<[u8; 32]>,
}

impl ZkRng {
    /// A fresh generator seeded from operating-system entropy.
    pub fn from_os() -> Self {
        ZkRng {
            inner: ChaCha20Rng::from_rng(&mut rand::rng()),
            public_seed: None,
        }
    }

    /// A deterministic generator for committing public data only (never witnesses).
    pub fn public_fixed(seed: [u8; 32]) -> Self {
        ZkRng {
            inner: ChaCha20Rng::from_seed(seed),
            public_seed: Some(seed),
        }
    }
}

impl Clone for ZkRng {
    /// A clone is an independent stream, never a replay (see the module docs), except
    /// for the public fixed generator, which restarts from its seed so prover and
    /// verifier derive the same values.
    fn clone(&self) -> Self {
        match self.public_seed {
            Some(seed) => Self::public_fixed(seed),
            None => Self::from_os(),
        }
    }
}

impl TryRng for ZkRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        self.inner.try_next_u32()
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.inner.try_next_u64()
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.inner.try_fill_bytes(dst)
    }
}

impl TryCryptoRng for ZkRng {}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn clones_are_independent_streams() {
        let mut a = ZkRng::from_os();
        let mut b = a.clone();
        let xs: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..4).map(|_| b.next_u64()).collect();
        assert_ne!(xs, ys);
    }
}
