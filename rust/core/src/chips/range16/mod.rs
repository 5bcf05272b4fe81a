//! The shared 16-bit range table: a preprocessed column holding 0..2^16 and a main
//! multiplicity column counting how often each value is looked up.

mod air;
mod columns;
mod trace;

pub use air::Range16Air;
pub use columns::{Range16Cols, NUM_RANGE16_COLS};
pub use trace::Range16Counter;

/// Rows of the table (one per 16-bit value).
pub const RANGE16_LOG_HEIGHT: usize = 16;
