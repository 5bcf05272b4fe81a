//! Proving and verifying one statement (a fixed list of AIRs proved together): the
//! shared path under every zkattest proof. Prove: setup, prove, envelope. Verify:
//! parse, check kind / public values / trace degrees, then the STARK, panic-safe.

use p3_air::{Air, DebugConstraintBuilder};
use p3_batch_stark::{prove_batch, verify_batch, StarkGenericConfig, StarkInstance};
use p3_lookup::folder::{ProverConstraintFolderWithLookups, VerifierConstraintFolderWithLookups};
use p3_lookup::InteractionSymbolicBuilder;
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;

use super::config::{zk_config, Challenge, Val, ZkConfig};
use super::envelope::ProofEnvelope;
use super::guard::{catch_panic, verify_guarded};
use super::setup::setup;
use crate::error::{Error, Result};

/// Everything the AIRs of a statement must implement to be proved and verified.
pub trait StatementAir:
    Clone
    + Air<InteractionSymbolicBuilder<Val, Challenge>>
    + for<'a> Air<DebugConstraintBuilder<'a, Val, Challenge>>
    + for<'a> Air<ProverConstraintFolderWithLookups<'a, ZkConfig>>
    + for<'a> Air<VerifierConstraintFolderWithLookups<'a, ZkConfig>>
{
}

impl<A> StatementAir for A where
    A: Clone
        + Air<InteractionSymbolicBuilder<Val, Challenge>>
        + for<'a> Air<DebugConstraintBuilder<'a, Val, Challenge>>
        + for<'a> Air<ProverConstraintFolderWithLookups<'a, ZkConfig>>
        + for<'a> Air<VerifierConstraintFolderWithLookups<'a, ZkConfig>>
{
}

/// A statement: its kind (written into every proof) and its AIRs, in proving order.
pub struct Statement<'a, A> {
    /// Kind tag, e.g. `"smoke.dot16.v1"`.
    pub kind: &'static str,
    /// The AIRs, one trace each.
    pub airs: &'a [A],
}

impl<A: StatementAir> Statement<'_, A> {
    /// Proves the statement for the given traces (one per AIR, power-of-two heights)
    /// and per-AIR public values. A witness that violates a constraint yields
    /// [`Error::Proving`] or a proof that does not verify; it never panics.
    pub fn prove(&self, traces: &[RowMajorMatrix<Val>], public: &[Vec<Val>]) -> Result<Vec<u8>> {
        if traces.len() != self.airs.len() || public.len() != self.airs.len() {
            return Err(Error::InvalidInput(format!(
                "{}: {} AIRs but {} traces and {} public-value lists",
                self.kind,
                self.airs.len(),
                traces.len(),
                public.len()
            )));
        }
        for (i, t) in traces.iter().enumerate() {
            if !t.height().is_power_of_two() || t.width() != self.airs[i].width() {
                return Err(Error::InvalidInput(format!(
                    "{}: trace {i} is {}x{}, needs a power-of-two height and width {}",
                    self.kind,
                    t.height(),
                    t.width(),
                    self.airs[i].width()
                )));
            }
        }
        let config = zk_config();
        let degrees: Vec<usize> = traces
            .iter()
            .map(|t| t.height().trailing_zeros() as usize + config.is_zk())
            .collect();
        let data = setup(self.kind, self.airs, &degrees);
        let proof = catch_panic(
            || {
                let refs: Vec<&RowMajorMatrix<Val>> = traces.iter().collect();
                let instances = StarkInstance::new_multiple(self.airs, &refs, public);
                Ok(prove_batch(&config, &instances, &data))
            },
            |m| Error::Proving(format!("the witness does not satisfy {}: {m}", self.kind)),
        )?;
        ProofEnvelope {
            kind: self.kind.to_string(),
            public_values: public.concat(),
            proof,
        }
        .to_bytes()
    }

    /// Verifies `proof` against the public values the verifier expects and the trace
    /// heights (log2, before ZK doubling) the statement fixes.
    pub fn verify(&self, proof: &[u8], public: &[Vec<Val>], log_heights: &[usize]) -> Result<()> {
        let env = ProofEnvelope::from_bytes(proof)?;
        if env.kind != self.kind {
            return Err(Error::Verification(format!(
                "proof is for statement {:?}, expected {:?}",
                env.kind, self.kind
            )));
        }
        if env.public_values != public.concat() {
            return Err(Error::Verification(format!(
                "{}: the proof's public values differ from the claimed statement",
                self.kind
            )));
        }
        let config = zk_config();
        let degrees: Vec<usize> = log_heights.iter().map(|d| d + config.is_zk()).collect();
        if env.proof.degree_bits != degrees {
            return Err(Error::Verification(format!(
                "{}: proof claims trace degrees {:?}, the statement fixes {:?}",
                self.kind, env.proof.degree_bits, degrees
            )));
        }
        let data = setup(self.kind, self.airs, &degrees);
        verify_guarded(|| {
            verify_batch(&config, self.airs, &env.proof, public, &data.common)
                .map_err(|e| Error::Verification(format!("{}: {e:?}", self.kind)))
        })
    }
}
