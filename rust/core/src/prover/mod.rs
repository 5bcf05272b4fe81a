//! The zero-knowledge proving stack: one STARK configuration (Plonky3 batch-STARK over
//! BabyBear with hiding FRI), a versioned proof envelope, cached setup, and the shared
//! prove / verify path every statement goes through.

pub mod config;
pub mod envelope;
pub mod floor;
pub mod guard;
pub mod hash;
pub mod rng;
pub mod setup;
pub mod statement;

pub use config::{
    security_bits, zk_config, Challenge, Val, ZkConfig, FRI_LOG_BLOWUP, FRI_NUM_QUERIES,
    FRI_QUERY_POW_BITS,
};
pub use envelope::ProofEnvelope;
pub use guard::{catch_panic, verify_guarded};
pub use statement::{Statement, StatementAir};
