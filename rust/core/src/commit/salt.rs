//! The salt PRF. A run's secret `salt_seed` yields one key per optimizer step, and a
//! step key yields one salt per (tensor name, chunk index):
//!
//! ```text
//! step_key = BLAKE3_keyed(salt_seed, "zkattest.step-key.v1" || u64le(step))
//! salt     = BLAKE3_keyed(step_key,  "zkattest.salt.v1" || u64le(len(name)) || name
//!                                    || u64le(chunk_index))
//! ```
//!
//! Disclosing one step key lets anyone recompute that step's root from the released
//! weights without learning any other step's salts (keyed BLAKE3 is a PRF).

use super::domain::{DIGEST_LEN, DOMAIN_SALT, DOMAIN_STEP_KEY, MAX_NAME_LEN, SALT_SEED_LEN};
use crate::error::{Error, Result};

/// A step key: the PRF key of one step's salts. Secret unless deliberately disclosed,
/// so `Debug` does not print it.
#[derive(Clone, PartialEq, Eq)]
pub struct StepKey(pub [u8; DIGEST_LEN]);

/// The salt of one chunk (32 bytes). Revealed only when that chunk is opened.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Salt(pub [u8; DIGEST_LEN]);

impl std::fmt::Debug for StepKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StepKey(<secret>)")
    }
}

impl std::fmt::Debug for Salt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Salt(<secret>)")
    }
}

/// Reads a 32-byte key (salt seed, step key or salt) from a slice, naming `what` on error.
pub fn key_from_slice(bytes: &[u8], what: &str) -> Result<[u8; DIGEST_LEN]> {
    bytes.try_into().map_err(|_| {
        Error::InvalidInput(format!(
            "{what} must be {SALT_SEED_LEN} bytes, got {}",
            bytes.len()
        ))
    })
}

/// `step_key = BLAKE3_keyed(salt_seed, DOMAIN_STEP_KEY || u64le(step))`.
pub fn derive_step_key(salt_seed: &[u8; SALT_SEED_LEN], step: u64) -> StepKey {
    let mut h = blake3::Hasher::new_keyed(salt_seed);
    h.update(DOMAIN_STEP_KEY);
    h.update(&step.to_le_bytes());
    StepKey(*h.finalize().as_bytes())
}

/// Checks a tensor name: non-empty and at most [`MAX_NAME_LEN`] bytes.
pub fn check_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::InvalidInput("tensor name is empty".into()));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(Error::InvalidInput(format!(
            "tensor name {:?}... is {} bytes, more than {MAX_NAME_LEN}",
            name.chars().take(40).collect::<String>(),
            name.len()
        )));
    }
    Ok(())
}

/// Derives the salts of one tensor. The name-dependent prefix is absorbed once; each
/// salt then costs one BLAKE3 compression.
#[derive(Clone)]
pub struct SaltDeriver {
    prefix: blake3::Hasher,
}

impl SaltDeriver {
    /// The deriver for tensor `name` under `step_key`.
    pub fn new(step_key: &StepKey, name: &str) -> Self {
        let mut prefix = blake3::Hasher::new_keyed(&step_key.0);
        prefix.update(DOMAIN_SALT);
        prefix.update(&(name.len() as u64).to_le_bytes());
        prefix.update(name.as_bytes());
        Self { prefix }
    }

    /// The salt of chunk `index` (global chunk index within the tensor).
    pub fn salt(&self, index: u64) -> Salt {
        let mut h = self.prefix.clone();
        h.update(&index.to_le_bytes());
        Salt(*h.finalize().as_bytes())
    }
}

/// The salt of chunk `index` of tensor `name` under `step_key`.
pub fn chunk_salt(step_key: &StepKey, name: &str, index: u64) -> Salt {
    SaltDeriver::new(step_key, name).salt(index)
}
