//! Binding of step-chunk proofs (`zkattest_core::step`): FP32 chunks as numpy `uint32`
//! bit-pattern arrays, public claims and proofs as bytes; the GIL is released while
//! proving and verifying.

use numpy::{PyArray1, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use zkattest_core::commit::salt::{key_from_slice, Salt};
use zkattest_core::optim::{AdamWScalars, SgdScalars};
use zkattest_core::step::{self, StepChunk, StepChunkPublic, StepScalars};
use zkattest_core::Error;

use crate::error::{CoreError, CoreResult};
use crate::optim::{adamw_dict, sgd_dict, PyAdamWScalars, PySgdScalars};

fn invalid(msg: String) -> CoreError {
    CoreError(Error::InvalidInput(msg))
}

fn words(name: &str, obj: &Bound<'_, PyAny>) -> CoreResult<Vec<u32>> {
    let arr = obj.cast::<PyArray1<u32>>().map_err(|_| {
        invalid(format!(
            "step_prove_chunk: {name} must be a 1-D numpy uint32 array"
        ))
    })?;
    let ro = arr
        .try_readonly()
        .map_err(|e| invalid(format!("step_prove_chunk: {name} cannot be read: {e}")))?;
    Ok(ro.as_array().to_vec())
}

fn get<'py, T: FromPyObjectOwned<'py>>(d: &Bound<'py, PyDict>, key: &str) -> CoreResult<T> {
    d.get_item(key)
        .ok()
        .flatten()
        .and_then(|v| v.extract::<T>().ok())
        .ok_or_else(|| invalid(format!("scalars: field {key} missing or of the wrong type")))
}

/// The core scalars of an `AdamWScalars` / `SgdScalars` object (through its public
/// `as_dict`, the same field names as the core structs).
fn scalars(obj: &Bound<'_, PyAny>) -> CoreResult<StepScalars> {
    let is_adamw = obj.cast::<PyAdamWScalars>().is_ok();
    if !is_adamw && obj.cast::<PySgdScalars>().is_err() {
        return Err(invalid(
            "scalars must be zkattest AdamWScalars or SgdScalars".into(),
        ));
    }
    let d = obj
        .call_method0("as_dict")
        .and_then(|d| d.cast_into::<PyDict>().map_err(PyErr::from))
        .map_err(|e| invalid(format!("scalars.as_dict() failed: {e}")))?;
    Ok(if is_adamw {
        StepScalars::AdamW(AdamWScalars {
            step: get(&d, "step")?,
            lr_f64: get(&d, "lr_f64")?,
            use_weight_decay: get(&d, "use_weight_decay")?,
            decay: get(&d, "decay")?,
            lerp_weight: get(&d, "lerp_weight")?,
            lerp_small: get(&d, "lerp_small")?,
            lerp_coeff: get(&d, "lerp_coeff")?,
            beta2: get(&d, "beta2")?,
            one_minus_beta2: get(&d, "one_minus_beta2")?,
            bias_correction2_sqrt: get(&d, "bias_correction2_sqrt")?,
            eps: get(&d, "eps")?,
            neg_step_size: get(&d, "neg_step_size")?,
            maximize: get(&d, "maximize")?,
        })
    } else {
        StepScalars::Sgd(SgdScalars {
            lr_f64: get(&d, "lr_f64")?,
            neg_lr: get(&d, "neg_lr")?,
            use_weight_decay: get(&d, "use_weight_decay")?,
            weight_decay: get(&d, "weight_decay")?,
            use_momentum: get(&d, "use_momentum")?,
            momentum: get(&d, "momentum")?,
            one_minus_dampening: get(&d, "one_minus_dampening")?,
            nesterov: get(&d, "nesterov")?,
            maximize: get(&d, "maximize")?,
        })
    })
}

fn salts(name: &str, xs: &[Vec<u8>]) -> CoreResult<Vec<Salt>> {
    xs.iter()
        .enumerate()
        .map(|(i, s)| Ok(Salt(key_from_slice(s, &format!("{name}[{i}]"))?)))
        .collect()
}

/// Proves one chunk of one optimizer step. `bufs` are the optimizer buffers before the
/// step in slot order (SGD: `[momentum_buffer]`, or `[]` without momentum and on its
/// first step; AdamW: `[exp_avg, exp_avg_sq]`); `salts_before = [param, *bufs]` (step
/// `t`'s key), `salts_after = [param, *bufs after]` (step `t + 1`'s key). Returns
/// `(public_bytes, proof_bytes)`.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn step_prove_chunk<'py>(
    py: Python<'py>,
    scalars: Bound<'py, PyAny>,
    step: u64,
    param: Bound<'py, PyAny>,
    grad: Bound<'py, PyAny>,
    bufs: Vec<Bound<'py, PyAny>>,
    salts_before: Vec<Vec<u8>>,
    grad_salt: Vec<u8>,
    salts_after: Vec<Vec<u8>>,
) -> CoreResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
    let scalars = self::scalars(&scalars)?;
    let param = words("param", &param)?;
    let grad = words("grad", &grad)?;
    let bufs: Vec<Vec<u32>> = bufs
        .iter()
        .enumerate()
        .map(|(i, b)| words(&format!("bufs[{i}]"), b))
        .collect::<CoreResult<_>>()?;
    let salts_before = salts("salts_before", &salts_before)?;
    let salts_after = salts("salts_after", &salts_after)?;
    let grad_salt = Salt(key_from_slice(&grad_salt, "grad_salt")?);
    let (public, proof) = py.detach(|| {
        step::prove_step_chunk(&StepChunk {
            scalars,
            step,
            param: &param,
            grad: &grad,
            bufs: bufs.iter().map(|b| b.as_slice()).collect(),
            salts_before,
            grad_salt,
            salts_after,
        })
    })?;
    Ok((
        PyBytes::new(py, &public.to_bytes()),
        PyBytes::new(py, &proof),
    ))
}

/// Verifies a step-chunk proof against its public bytes; raises `VerificationError`
/// (or `MalformedError` for unparsable bytes).
#[pyfunction]
pub fn step_verify_chunk(py: Python<'_>, public: Vec<u8>, proof: Vec<u8>) -> CoreResult<()> {
    py.detach(|| {
        let p = StepChunkPublic::from_bytes(&public)?;
        step::verify_step_chunk(&p, &proof)
    })?;
    Ok(())
}

fn scalars_dict<'py>(py: Python<'py>, s: &StepScalars) -> PyResult<Bound<'py, PyDict>> {
    match s {
        StepScalars::Sgd(s) => sgd_dict(py, s),
        StepScalars::AdamW(s) => adamw_dict(py, s),
    }
}

/// The contents of public bytes: `optimizer` ("sgd" | "adamw"), `step`, `n`, `scalars`
/// (the fields of `SgdScalars.as_dict()` / `AdamWScalars.as_dict()`), `leaves_before`
/// (param, then buffers), `grad_leaf`, `leaves_after` (param, then buffers), and
/// `kind` (the statement kind).
#[pyfunction]
pub fn step_public_info<'py>(py: Python<'py>, public: &[u8]) -> PyResult<Bound<'py, PyDict>> {
    let p = StepChunkPublic::from_bytes(public).map_err(CoreError)?;
    let d = PyDict::new(py);
    d.set_item("optimizer", p.optimizer().name())?;
    d.set_item("step", p.step)?;
    d.set_item("n", p.n)?;
    d.set_item("scalars", scalars_dict(py, &p.scalars)?)?;
    let leaf = |i: usize| PyBytes::new(py, p.leaves[i].as_bytes());
    let nb = p.n_before();
    let before: Vec<_> = [0].into_iter().chain(2..nb).map(leaf).collect();
    d.set_item("leaves_before", before)?;
    d.set_item("grad_leaf", leaf(1))?;
    let after: Vec<_> = (nb..p.leaves.len()).map(leaf).collect();
    d.set_item("leaves_after", after)?;
    d.set_item("kind", step::statement_kind(&p))?;
    Ok(d)
}

/// The statement's layout for public bytes: one dict per AIR (`name`, `log_height`,
/// `main_cols`, `aux_cols` in base-field elements, `preprocessed_cols`,
/// `periodic_cols`, `hash`: whether it is leaf hashing rather than arithmetic).
#[pyfunction]
pub fn step_layout<'py>(py: Python<'py>, public: Vec<u8>) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let lay = py
        .detach(|| {
            let p = StepChunkPublic::from_bytes(&public)?;
            step::step_layout(&p)
        })
        .map_err(CoreError)?;
    lay.iter()
        .map(|(a, hash)| {
            let d = PyDict::new(py);
            d.set_item("name", a.name)?;
            d.set_item("log_height", a.log_height)?;
            d.set_item("main_cols", a.main_cols)?;
            d.set_item("aux_cols", a.aux_cols)?;
            d.set_item("preprocessed_cols", a.preprocessed_cols)?;
            d.set_item("periodic_cols", a.periodic_cols)?;
            d.set_item("hash", *hash)?;
            Ok(d)
        })
        .collect()
}
