//! The one STARK configuration every zkattest proof uses.
//!
//! BabyBear (two-adicity 27: up to 2^24 trace rows once ZK doubles the trace and the
//! blowup is 4), its degree-4 extension for challenges, Poseidon2 Merkle commitments
//! with salted (hiding) leaves, and hiding FRI with random codewords.
//!
//! Soundness (conjectured, the usual FRI accounting): `FRI_NUM_QUERIES * FRI_LOG_BLOWUP`
//! + `FRI_QUERY_POW_BITS` = 128 bits, capped by the ~124-bit challenge field.

use p3_baby_bear::{default_babybear_poseidon2_16, BabyBear, Poseidon2BabyBear};
use p3_challenger::DuplexChallenger;
use p3_commit::ExtensionMmcs;
use p3_dft::Radix2DitParallel;
use p3_field::extension::BinomialExtensionField;
use p3_field::Field;
use p3_fri::{FriParameters, HidingFriPcs};
use p3_merkle_tree::MerkleTreeHidingMmcs;
use p3_symmetric::{PaddingFreeSponge, TruncatedPermutation};
use p3_uni_stark::StarkConfig;

use super::rng::ZkRng;

/// The base field of every trace.
pub type Val = BabyBear;
/// The challenge field (degree-4 extension of [`Val`]).
pub type Challenge = BinomialExtensionField<Val, 4>;

type Perm = Poseidon2BabyBear<16>;
type Hash = PaddingFreeSponge<Perm, 16, 8, 8>;
type Compress = TruncatedPermutation<Perm, 2, 8, 16>;
/// Salt elements per Merkle leaf of the hiding MMCS.
const SALT_ELEMS: usize = 4;
type ValMmcs = MerkleTreeHidingMmcs<
    <Val as Field>::Packing,
    <Val as Field>::Packing,
    Hash,
    Compress,
    ZkRng,
    2,
    8,
    SALT_ELEMS,
>;
type ChallengeMmcs = ExtensionMmcs<Val, Challenge, ValMmcs>;
type Dft = Radix2DitParallel<Val>;
type Pcs = HidingFriPcs<Val, Dft, ValMmcs, ChallengeMmcs, ZkRng>;
type Challenger = DuplexChallenger<Val, Perm, 16, 8>;

/// The zero-knowledge STARK configuration.
pub type ZkConfig = StarkConfig<Pcs, Challenge, Challenger>;

/// log2 of the FRI blowup (4x: the minimum hiding FRI accepts).
pub const FRI_LOG_BLOWUP: usize = 2;
/// FRI queries.
pub const FRI_NUM_QUERIES: usize = 56;
/// Proof-of-work bits ground before the query phase.
pub const FRI_QUERY_POW_BITS: usize = 16;
/// Random codewords mixed into the FRI batch to hide the opened polynomials.
const NUM_RANDOM_CODEWORDS: usize = 4;

/// Seed of the blinding stream used to commit public preprocessed tables, so the
/// verifier recomputes the same commitment. Public by design: those tables are public.
const PUBLIC_PREPROCESSING_SEED: [u8; 32] = *b"zkattest.preprocessed.tables.v1\0";

/// Builds the proving / verifying configuration. Blinding streams for the trace MMCS
/// and the PCS are independent and OS-seeded ([`ZkRng`]); the Poseidon2 constants are
/// the published defaults, so prover and verifier agree without exchanging anything.
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
    let perm = default_babybear_poseidon2_16();
    let val_mmcs = ValMmcs::new(
        Hash::new(perm.clone()),
        Compress::new(perm.clone()),
        0,
        mmcs_rng,
    );
    let fri = FriParameters {
        log_blowup: FRI_LOG_BLOWUP,
        log_final_poly_len: 0,
        max_log_arity: 1,
        num_queries: FRI_NUM_QUERIES,
        commit_proof_of_work_bits: 0,
        query_proof_of_work_bits: FRI_QUERY_POW_BITS,
        mmcs: ChallengeMmcs::new(val_mmcs.clone()),
    };
    let pcs = Pcs::new(Dft::default(), val_mmcs, fri, NUM_RANDOM_CODEWORDS, pcs_rng);
    StarkConfig::new(pcs, Challenger::new(perm))
}
