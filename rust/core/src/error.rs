//! The one error type of the core. The binding maps each variant onto one Python
//! exception class of `zkattest.errors`.

use thiserror::Error as ThisError;

/// Every failure the core reports.
#[derive(Debug, ThisError, Clone, PartialEq, Eq)]
pub enum Error {
    /// The caller passed unusable input (wrong length, out of range, unsupported dtype, ...).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Bytes that should hold a serialized object (proof, commitment, ...) do not parse.
    #[error("malformed {what}: {detail}")]
    Malformed {
        /// What was being parsed.
        what: &'static str,
        /// Why it failed.
        detail: String,
    },
    /// A proof or opening was well-formed but does not verify.
    #[error("verification failed: {0}")]
    Verification(String),
    /// The prover could not produce a proof (e.g. the witness does not satisfy the AIR).
    #[error("proving failed: {0}")]
    Proving(String),
    /// An I/O error (file missing, unreadable, ...).
    #[error("i/o error: {0}")]
    Io(String),
}

/// `Result` with the core [`Error`].
pub type Result<T> = core::result::Result<T, Error>;

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e.to_string())
    }
}
