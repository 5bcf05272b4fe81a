//! The versioned wire format of every zkattest proof.
//!
//! ```text
//! magic "ZKAP" | version u8 | kind_len u8 | kind (ASCII) | n_public u32le
//! | public values (u32le canonical BabyBear each) | proof_len u64le | postcard(BatchProof)
//! ```
//! The kind names the statement (which AIRs, which public-value layout) so a proof of
//! one statement can never be checked as another.

use p3_batch_stark::BatchProof;
use p3_field::{PrimeCharacteristicRing, PrimeField32};

use super::config::{Val, ZkConfig};
use crate::error::{Error, Result};
use crate::wire::{self, Reader};

/// Magic bytes at the start of every proof.
pub const MAGIC: &[u8; 4] = b"ZKAP";
/// Proof wire-format version. 2: BLAKE3 Merkle commitments and transcript, 8-way FRI
/// folding, Merkle caps of height 4, 44 queries (version 1 was Poseidon2, binary
/// folding, 56 queries); a version-1 proof is rejected as unsupported.
pub const FORMAT_VERSION: u8 = 2;
/// Upper bound on public values in one proof (a sanity limit against hostile lengths).
pub const MAX_PUBLIC_VALUES: usize = 1 << 22;

/// A proof together with the statement it proves.
pub struct ProofEnvelope {
    /// Statement kind, e.g. `"smoke.range16.v1"`.
    pub kind: String,
    /// Public values, flattened in the order the statement defines.
    pub public_values: Vec<Val>,
    /// The batch-STARK proof.
    pub proof: BatchProof<ZkConfig>,
}

fn malformed(detail: impl Into<String>) -> Error {
    wire::malformed("proof", detail)
}

impl ProofEnvelope {
    /// Serializes to the wire format.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let body = postcard::to_allocvec(&self.proof)
            .map_err(|e| Error::Proving(format!("cannot serialize proof: {e}")))?;
        let kind = self.kind.as_bytes();
        if kind.len() > u8::MAX as usize || !self.kind.is_ascii() {
            return Err(Error::InvalidInput(format!(
                "bad proof kind {:?}",
                self.kind
            )));
        }
        let mut out =
            Vec::with_capacity(16 + kind.len() + 4 * self.public_values.len() + body.len());
        out.extend_from_slice(MAGIC);
        out.push(FORMAT_VERSION);
        out.push(kind.len() as u8);
        out.extend_from_slice(kind);
        out.extend_from_slice(&(self.public_values.len() as u32).to_le_bytes());
        for v in &self.public_values {
            out.extend_from_slice(&v.as_canonical_u32().to_le_bytes());
        }
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Parses the wire format, rejecting anything truncated, oversized, non-canonical
    /// or followed by trailing bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes, "proof");
        if r.take(4, "magic")? != MAGIC {
            return Err(malformed("not a zkattest proof (bad magic)"));
        }
        let version = r.u8("version")?;
        if version != FORMAT_VERSION {
            return Err(malformed(format!(
                "unsupported proof format version {version} (this build reads {FORMAT_VERSION})"
            )));
        }
        let kind_len = r.u8("kind length")? as usize;
        let kind = std::str::from_utf8(r.take(kind_len, "kind")?)
            .ok()
            .filter(|k| k.is_ascii())
            .ok_or_else(|| malformed("kind is not ASCII"))?
            .to_string();
        let n = r.u32("public value count")? as usize;
        if n > MAX_PUBLIC_VALUES {
            return Err(malformed(format!("{n} public values exceeds the limit")));
        }
        let mut public_values = Vec::with_capacity(n.min(r.rest().len() / 4));
        for _ in 0..n {
            let x = r.u32("public value")?;
            if x >= Val::ORDER_U32 {
                return Err(malformed("public value is not a canonical field element"));
            }
            public_values.push(Val::from_u32(x));
        }
        let len = r.u64("proof length")?;
        if len != r.rest().len() as u64 {
            return Err(malformed(format!(
                "declared proof length {len} but {} bytes follow",
                r.rest().len()
            )));
        }
        let (proof, rest) = postcard::take_from_bytes(r.rest())
            .map_err(|e| malformed(format!("cannot decode proof body: {e}")))?;
        if !rest.is_empty() {
            return Err(malformed(format!(
                "{} trailing bytes after the proof body",
                rest.len()
            )));
        }
        Ok(ProofEnvelope {
            kind,
            public_values,
            proof,
        })
    }
}
