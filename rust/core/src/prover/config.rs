//! The one STARK configuration every zkattest proof uses.
//!
//! BabyBear (two-adicity 27: up to 2^24 trace rows once ZK doubles the trace and the
//! blowup is 4), its degree-4 extension for challenges, BLAKE3 Merkle commitments with
//! salted (hiding) leaves and a BLAKE3 Fiat-Shamir transcript ([`super::hash`]), and
//! hiding FRI with random codewords. The DFT is Plonky3's `Radix2DFTSmallBatch`, 2-3x
//! faster than `Radix2DitParallel` on our trace shapes (measured, 2 cores).
//!
//! Soundness (conjectured): `FRI_NUM_QUERIES * FRI_LOG_BLOWUP + FRI_QUERY_POW_BITS`
//! = 44 * 2 + 16 = 104 bits in the usual accounting; the stricter random-words estimate
//! Plonky3 implements (`p3_uni_stark::ConjecturedSecurity`, ePrint 2025/2010) gives
//! 44 * 1.96 + 16 = 102 bits. Both are below the ~124-bit challenge field and the
//! 128-bit collision resistance of BLAKE3-256. `security_bits` pins the figure.

use p3_baby_bear::BabyBear;
use p3_challenger::{HashChallenger, SerializingChallenger32};
use p3_commit::ExtensionMmcs;
use p3_dft::Radix2DFTSmallBatch;
use p3_field::extension::BinomialExtensionField;
use p3_fri::{FriParameters, HidingFriPcs};
use p3_merkle_tree::MerkleTreeHidingMmcs;
use p3_uni_stark::StarkConfig;

use super::hash::{LeafHash, NodeCompress, TranscriptHash, DIGEST_BYTES};
use super::rng::ZkRng;

/// The base field of every trace.
pub type Val = BabyBear;
/// The challenge field (degree-4 extension of [`Val`]).
pub type Challenge = BinomialExtensionField<Val, 4>;

/// Salt elements per Merkle leaf of the hiding MMCS.
const SALT_ELEMS: usize = 4;
type ValMmcs =
    MerkleTreeHidingMmcs<Val, u8, LeafHash, NodeCompress, ZkRng, 2, DIGEST_BYTES, SALT_ELEMS>;
type ChallengeMmcs = ExtensionMmcs<Val, Challenge, ValMmcs>;
type Dft = Radix2DFTSmallBatch<Val>;
type Pcs = HidingFriPcs<Val, Dft, ValMmcs, ChallengeMmcs, ZkRng>;
type Challenger = SerializingChallenger32<Val, HashChallenger<u8, TranscriptHash, DIGEST_BYTES>>;

/// The zero-knowledge STARK configuration.
pub type ZkConfig = StarkConfig<Pcs, Challenge, Challenger>;

/// log2 of the FRI blowup (4x: the minimum hiding FRI accepts).
pub const FRI_LOG_BLOWUP: usize = 2;
/// FRI queries: with [`FRI_QUERY_POW_BITS`], 44 * 2 + 16 = 104 bits in the usual
/// accounting (see the module docs for the random-words estimate).
pub const FRI_NUM_QUERIES: usize = 44;
/// Proof-of-work bits ground before the query phase (2^16 BLAKE3 calls: milliseconds).
pub const FRI_QUERY_POW_BITS: usize = 16;
/// log2 of the FRI folding arity: 8-way folding needs a third of the commit-phase
/// rounds (and Merkle paths per query) of binary folding.
pub const FRI_MAX_LOG_ARITY: usize = 3;
/// log2 of the final FRI polynomial length. 0 keeps every trace height provable: the
/// prover requires LDE heights above `2^(FRI_LOG_FINAL_POLY_LEN + FRI_LOG_BLOWUP)`.
pub const FRI_LOG_FINAL_POLY_LEN: usize = 0;
/// Height of the Merkle caps: every commitment is its 2^4 top digests instead of one
/// root, so each opening path is 4 digests shorter (Plonky3 lowers it for small trees).
pub const MERKLE_CAP_HEIGHT: usize = 4;
/// Random codewords mixed into the FRI batch to hide the opened polynomials (one per
/// coordinate of the degree-4 challenge field, so the mask is uniform there).
const NUM_RANDOM_CODEWORDS: usize = 4;

/// Seed of the blinding stream used to commit public preprocessed tables, so the
/// verifier recomputes the same commitment. Public by design: those tables are public.
const PUBLIC_PREPROCESSING_SEED: [u8; 32] = *b"zkattest.preprocessed.tables.v1\0";

/// Builds the proving / verifying configuration. Blinding streams for the trace MMCS
/// and the PCS are independent and OS-seeded ([`ZkRng`]); the hashes are fixed
/// ([`super::hash`]), so prover and verifier agree without exchanging anything.
pub fn zk_config() -> ZkConfig {
    build(ZkRng::from_os(), ZkRng::from_os())
}

/// The configuration used only to commit public preprocessed tables (see
/// [`super::setup`]): same parameters, deterministic salts.
pub(crate) fn preprocessing_config() -> ZkConfig {
    build(
        ZkRng::public_fixed(PUBLIC_PREPROCESSING_SEED),
        ZkRng::public_fixed(PUBLIC_PREPROCESSING_SEED),
    )
}

fn build(mmcs_rng: ZkRng, pcs_rng: ZkRng) -> ZkConfig {
    let val_mmcs = ValMmcs::new(LeafHash, NodeCompress, MERKLE_CAP_HEIGHT, mmcs_rng);
    let fri = FriParameters {
        log_blowup: FRI_LOG_BLOWUP,
        log_final_poly_len: FRI_LOG_FINAL_POLY_LEN,
        max_log_arity: FRI_MAX_LOG_ARITY,
        num_queries: FRI_NUM_QUERIES,
        commit_proof_of_work_bits: 0,
        query_proof_of_work_bits: FRI_QUERY_POW_BITS,
        mmcs: ChallengeMmcs::new(val_mmcs.clone()),
    };
    let pcs = Pcs::new(Dft::default(), val_mmcs, fri, NUM_RANDOM_CODEWORDS, pcs_rng);
    let transcript = HashChallenger::new(Vec::new(), TranscriptHash);
    StarkConfig::new(pcs, Challenger::new(transcript))
}

/// Conjectured security of the configuration in bits: the random-words estimate of
/// Plonky3's calculator (FRI queries and grinding), capped by BLAKE3's collision
/// resistance and the challenge field.
pub fn security_bits() -> usize {
    const CHALLENGE_FIELD_BITS: usize = 124;
    const HASH_COLLISION_BITS: usize = 8 * DIGEST_BYTES / 2;
    p3_uni_stark::ConjecturedSecurity::compute(
        FRI_LOG_BLOWUP,
        FRI_NUM_QUERIES,
        FRI_QUERY_POW_BITS,
        HASH_COLLISION_BITS,
        CHALLENGE_FIELD_BITS,
    )
    .security_bits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_is_at_least_100_bits() {
        const { assert!(FRI_NUM_QUERIES * FRI_LOG_BLOWUP + FRI_QUERY_POW_BITS >= 100) };
        assert_eq!(security_bits(), 102);
    }
}
