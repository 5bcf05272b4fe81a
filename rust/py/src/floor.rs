//! Binding of the proof system's floor measurement (`zkattest_core::prover::floor`); the
//! GIL is released while proving.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use zkattest_core::prover::floor;

use crate::error::CoreError;

/// Proves and verifies a constraint-free AIR of `width` columns at `2^log_rows` rows
/// (random trace from `seed`) under the project's ZK configuration. Returns a dict:
/// `prove_s`, `prove_cpu_s` (process CPU seconds while proving), `verify_s`,
/// `proof_bytes`, `cells` (`width * 2^log_rows`). Raises `InvalidInputError` for
/// `log_rows` outside 3..=22, `width < 3`, or more than 2^28 cells.
#[pyfunction]
#[pyo3(signature = (log_rows, width, seed = 0))]
pub fn floor_prove(
    py: Python<'_>,
    log_rows: usize,
    width: usize,
    seed: u64,
) -> PyResult<Bound<'_, PyDict>> {
    let run = py
        .detach(|| floor::prove_floor(log_rows, width, seed))
        .map_err(CoreError)?;
    let d = PyDict::new(py);
    d.set_item("prove_s", run.prove_s)?;
    d.set_item("prove_cpu_s", run.prove_cpu_s)?;
    d.set_item("verify_s", run.verify_s)?;
    d.set_item("proof_bytes", run.proof_bytes)?;
    d.set_item("cells", run.cells)?;
    Ok(d)
}
