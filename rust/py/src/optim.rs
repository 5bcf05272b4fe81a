//! Binding of the canonical optimizers (`zkattest_core::optim`): the per-step scalar
//! recipe and in-place updates of numpy float32 arrays (zero-copy, GIL released).
//! `*_update` runs the parallel native path, `*_update_reference` the sequential
//! softfloat reference; both give the same bits.

use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1, PyReadwriteArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use zkattest_core::optim::{self, AdamWHyper, AdamWScalars, SgdHyper, SgdScalars, Soft};
use zkattest_core::Error;

use crate::error::{CoreError, CoreResult};

fn invalid(msg: String) -> CoreError {
    CoreError(Error::InvalidInput(msg))
}

const ARRAY_KIND: &str = "a 1-D C-contiguous numpy float32 array";

fn writeable<'py>(name: &str, obj: &Bound<'py, PyAny>) -> CoreResult<PyReadwriteArray1<'py, f32>> {
    let arr = obj
        .cast::<PyArray1<f32>>()
        .map_err(|_| invalid(format!("{name} must be {ARRAY_KIND}")))?;
    arr.try_readwrite()
        .map_err(|e| invalid(format!("{name} cannot be updated in place: {e}")))
}

fn readable<'py>(name: &str, obj: &Bound<'py, PyAny>) -> CoreResult<PyReadonlyArray1<'py, f32>> {
    let arr = obj
        .cast::<PyArray1<f32>>()
        .map_err(|_| invalid(format!("{name} must be {ARRAY_KIND}")))?;
    arr.try_readonly()
        .map_err(|e| invalid(format!("{name} cannot be read: {e}")))
}

/// Rejects overlapping arrays: numpy views of one torch storage are distinct objects,
/// so numpy's own borrow tracking does not see the aliasing.
fn check_disjoint(arrays: &[(&str, *const f32, usize)]) -> CoreResult<()> {
    for (i, &(na, pa, la)) in arrays.iter().enumerate() {
        for &(nb, pb, lb) in &arrays[i + 1..] {
            let (a0, b0) = (pa as usize, pb as usize);
            let (a1, b1) = (a0 + 4 * la, b0 + 4 * lb);
            if la > 0 && lb > 0 && a0 < b1 && b0 < a1 {
                return Err(invalid(format!("{na} and {nb} share memory")));
            }
        }
    }
    Ok(())
}

macro_rules! slice_mut {
    ($name:literal, $arr:expr) => {
        $arr.as_slice_mut()
            .map_err(|_| invalid(format!("{} must be {ARRAY_KIND}", $name)))?
    };
}

macro_rules! slice {
    ($name:literal, $arr:expr) => {
        $arr.as_slice()
            .map_err(|_| invalid(format!("{} must be {ARRAY_KIND}", $name)))?
    };
}

/// The FP32 scalars of one AdamW step (see `adamw_scalars`). Immutable.
#[pyclass(
    module = "zkattest._core",
    name = "AdamWScalars",
    frozen,
    eq,
    skip_from_py_object
)]
#[derive(Clone, PartialEq)]
pub struct PyAdamWScalars(AdamWScalars);

#[pymethods]
impl PyAdamWScalars {
    /// The step number `t`.
    #[getter]
    fn step(&self) -> u64 {
        self.0.step
    }

    /// Every scalar as its bit pattern (FP32 as `int`; `lr_f64` is the binary64 bits
    /// of the learning rate) and the flags that select the operation sequence.
    fn as_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        adamw_dict(py, &self.0)
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.0)
    }
}

/// The FP32 scalars of one SGD step (see `sgd_scalars`). Immutable.
#[pyclass(
    module = "zkattest._core",
    name = "SgdScalars",
    frozen,
    eq,
    skip_from_py_object
)]
#[derive(Clone, PartialEq)]
pub struct PySgdScalars(SgdScalars);

#[pymethods]
impl PySgdScalars {
    /// Every scalar as its bit pattern (FP32 as `int`; `lr_f64` is the binary64 bits
    /// of the learning rate) and the flags that select the operation sequence.
    fn as_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        sgd_dict(py, &self.0)
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.0)
    }
}

/// The FP32 scalars of AdamW step `step` (>= 1) by the canonical recipe, from the
/// binary64 learning rate and hyperparameters.
#[pyfunction]
#[pyo3(signature = (*, lr, beta1, beta2, eps, weight_decay, step, maximize = false))]
pub fn adamw_scalars(
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    step: u64,
    maximize: bool,
) -> CoreResult<PyAdamWScalars> {
    let hyper = AdamWHyper {
        beta1,
        beta2,
        eps,
        weight_decay,
        maximize,
    };
    Ok(PyAdamWScalars(AdamWScalars::new(&hyper, lr, step)?))
}

/// The FP32 scalars of an SGD step by the canonical recipe, from the binary64
/// learning rate and hyperparameters.
#[pyfunction]
#[pyo3(signature = (*, lr, momentum = 0.0, dampening = 0.0, weight_decay = 0.0, nesterov = false, maximize = false))]
pub fn sgd_scalars(
    lr: f64,
    momentum: f64,
    dampening: f64,
    weight_decay: f64,
    nesterov: bool,
    maximize: bool,
) -> CoreResult<PySgdScalars> {
    let hyper = SgdHyper {
        momentum,
        dampening,
        weight_decay,
        nesterov,
        maximize,
    };
    Ok(PySgdScalars(SgdScalars::new(&hyper, lr)?))
}

fn adamw_common(
    py: Python<'_>,
    scalars: &Bound<'_, PyAdamWScalars>,
    arrays: [&Bound<'_, PyAny>; 4],
    reference: bool,
) -> CoreResult<()> {
    let s = scalars.get().0;
    let [param, grad, exp_avg, exp_avg_sq] = arrays;
    let mut p = writeable("param", param)?;
    let g = readable("grad", grad)?;
    let mut m = writeable("exp_avg", exp_avg)?;
    let mut v = writeable("exp_avg_sq", exp_avg_sq)?;
    let (p, g, m, v) = (
        slice_mut!("param", p),
        slice!("grad", g),
        slice_mut!("exp_avg", m),
        slice_mut!("exp_avg_sq", v),
    );
    check_disjoint(&[
        ("param", p.as_ptr(), p.len()),
        ("grad", g.as_ptr(), g.len()),
        ("exp_avg", m.as_ptr(), m.len()),
        ("exp_avg_sq", v.as_ptr(), v.len()),
    ])?;
    py.detach(|| {
        if reference {
            optim::adamw_update(&mut Soft, &s, p, g, m, v)
        } else {
            optim::adamw_update_fast(&s, p, g, m, v)
        }
    })?;
    Ok(())
}

/// One AdamW step in place on float32 arrays, native arithmetic, parallel.
#[pyfunction]
pub fn adamw_update(
    py: Python<'_>,
    scalars: &Bound<'_, PyAdamWScalars>,
    param: &Bound<'_, PyAny>,
    grad: &Bound<'_, PyAny>,
    exp_avg: &Bound<'_, PyAny>,
    exp_avg_sq: &Bound<'_, PyAny>,
) -> CoreResult<()> {
    adamw_common(py, scalars, [param, grad, exp_avg, exp_avg_sq], false)
}

/// One AdamW step in place on float32 arrays with the softfloat reference
/// (sequential; same bits as `adamw_update`).
#[pyfunction]
pub fn adamw_update_reference(
    py: Python<'_>,
    scalars: &Bound<'_, PyAdamWScalars>,
    param: &Bound<'_, PyAny>,
    grad: &Bound<'_, PyAny>,
    exp_avg: &Bound<'_, PyAny>,
    exp_avg_sq: &Bound<'_, PyAny>,
) -> CoreResult<()> {
    adamw_common(py, scalars, [param, grad, exp_avg, exp_avg_sq], true)
}

fn sgd_common(
    py: Python<'_>,
    scalars: &Bound<'_, PySgdScalars>,
    param: &Bound<'_, PyAny>,
    grad: &Bound<'_, PyAny>,
    momentum_buffer: Option<&Bound<'_, PyAny>>,
    init_buffer: bool,
    reference: bool,
) -> CoreResult<()> {
    let s = scalars.get().0;
    let mut p = writeable("param", param)?;
    let g = readable("grad", grad)?;
    let mut b = momentum_buffer
        .map(|b| writeable("momentum_buffer", b))
        .transpose()?;
    let (p, g) = (slice_mut!("param", p), slice!("grad", g));
    let b = match b.as_mut() {
        Some(b) => Some(slice_mut!("momentum_buffer", b)),
        None => None,
    };
    let mut spans = vec![
        ("param", p.as_ptr(), p.len()),
        ("grad", g.as_ptr(), g.len()),
    ];
    if let Some(b) = &b {
        spans.push(("momentum_buffer", b.as_ptr(), b.len()));
    }
    check_disjoint(&spans)?;
    py.detach(|| {
        if reference {
            optim::sgd_update(&mut Soft, &s, p, g, b, init_buffer)
        } else {
            optim::sgd_update_fast(&s, p, g, b, init_buffer)
        }
    })?;
    Ok(())
}

/// One SGD step in place on float32 arrays, native arithmetic, parallel.
/// `momentum_buffer` is required exactly when momentum is on; `init_buffer=True`
/// marks its first step (it is overwritten with the gradient).
#[pyfunction]
#[pyo3(signature = (scalars, param, grad, momentum_buffer = None, init_buffer = false))]
pub fn sgd_update(
    py: Python<'_>,
    scalars: &Bound<'_, PySgdScalars>,
    param: &Bound<'_, PyAny>,
    grad: &Bound<'_, PyAny>,
    momentum_buffer: Option<&Bound<'_, PyAny>>,
    init_buffer: bool,
) -> CoreResult<()> {
    sgd_common(
        py,
        scalars,
        param,
        grad,
        momentum_buffer,
        init_buffer,
        false,
    )
}

/// One SGD step in place with the softfloat reference (sequential; same bits as
/// `sgd_update`).
#[pyfunction]
#[pyo3(signature = (scalars, param, grad, momentum_buffer = None, init_buffer = false))]
pub fn sgd_update_reference(
    py: Python<'_>,
    scalars: &Bound<'_, PySgdScalars>,
    param: &Bound<'_, PyAny>,
    grad: &Bound<'_, PyAny>,
    momentum_buffer: Option<&Bound<'_, PyAny>>,
    init_buffer: bool,
) -> CoreResult<()> {
    sgd_common(py, scalars, param, grad, momentum_buffer, init_buffer, true)
}

/// AdamW's scalars as a dict: every FP32 scalar as its bit pattern (`lr_f64`: the
/// binary64 bits of the learning rate) and the flags (`AdamWScalars.as_dict()`).
pub(crate) fn adamw_dict<'py>(py: Python<'py>, s: &AdamWScalars) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("step", s.step)?;
    d.set_item("lr_f64", s.lr_f64)?;
    d.set_item("use_weight_decay", s.use_weight_decay)?;
    d.set_item("decay", s.decay)?;
    d.set_item("lerp_weight", s.lerp_weight)?;
    d.set_item("lerp_small", s.lerp_small)?;
    d.set_item("lerp_coeff", s.lerp_coeff)?;
    d.set_item("beta2", s.beta2)?;
    d.set_item("one_minus_beta2", s.one_minus_beta2)?;
    d.set_item("bias_correction2_sqrt", s.bias_correction2_sqrt)?;
    d.set_item("eps", s.eps)?;
    d.set_item("neg_step_size", s.neg_step_size)?;
    d.set_item("maximize", s.maximize)?;
    Ok(d)
}

/// SGD's scalars as a dict, like [`adamw_dict`] (`SgdScalars.as_dict()`).
pub(crate) fn sgd_dict<'py>(py: Python<'py>, s: &SgdScalars) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("lr_f64", s.lr_f64)?;
    d.set_item("neg_lr", s.neg_lr)?;
    d.set_item("use_weight_decay", s.use_weight_decay)?;
    d.set_item("weight_decay", s.weight_decay)?;
    d.set_item("use_momentum", s.use_momentum)?;
    d.set_item("momentum", s.momentum)?;
    d.set_item("one_minus_dampening", s.one_minus_dampening)?;
    d.set_item("nesterov", s.nesterov)?;
    d.set_item("maximize", s.maximize)?;
    Ok(d)
}
