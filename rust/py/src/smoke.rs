//! Binding of the smoke statement (`zkattest_core::smoke`).

use numpy::PyReadonlyArray1;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use zkattest_core::smoke;

use crate::error::CoreResult;

/// Proves that the dot product of two uint16 vectors (power-of-two length) is
/// `sum(a*b) mod p`; returns `(proof_bytes, sum)`.
#[pyfunction]
pub fn smoke_prove<'py>(
    py: Python<'py>,
    a: PyReadonlyArray1<'py, u16>,
    b: PyReadonlyArray1<'py, u16>,
) -> CoreResult<(Bound<'py, PyBytes>, u32)> {
    let a = a.as_array().to_vec();
    let b = b.as_array().to_vec();
    let (proof, sum) = py.detach(|| -> CoreResult<_> {
        let sum = smoke::dot_mod_p(&a, &b);
        Ok((smoke::prove(&a, &b)?, sum))
    })?;
    Ok((PyBytes::new(py, &proof), sum))
}

/// Verifies a smoke proof for length `n` and sum `sum`; raises on failure.
#[pyfunction]
pub fn smoke_verify(py: Python<'_>, proof: &[u8], n: usize, sum: u32) -> CoreResult<()> {
    let proof = proof.to_vec();
    py.detach(|| smoke::verify(&proof, n, sum))?;
    Ok(())
}
