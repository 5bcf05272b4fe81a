//! zkattest core: state commitments, the zero-knowledge proving configuration, the
//! arithmetic chips and the prover / verifier. No Python in this crate: the binding
//! crate (`rust/py`) only converts types and releases the GIL.

#![deny(missing_docs)]

pub mod arith;
pub mod chips;
pub mod commit;
pub mod error;
pub mod optim;
pub mod prover;
pub mod smoke;
pub mod step;
mod wire;

pub use error::{Error, Result};
