//! Binding of the FP32 / BF16 arithmetic statement (`zkattest_core::arith`): batches of
//! ops as numpy bit-pattern arrays (FP32 as `uint32`, BF16 as `uint16`), GIL released
//! while proving and verifying.

use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use zkattest_core::arith::{self, OpBatch, OpKind};
use zkattest_core::chips::fptables::unary::UnaryFn;
use zkattest_core::Error;

use crate::error::{CoreError, CoreResult};

fn invalid(msg: String) -> CoreError {
    CoreError(Error::InvalidInput(msg))
}

/// An owned batch (inputs copied out of numpy so the GIL can be released).
enum Owned {
    Bf16Mac {
        acc: Vec<u32>,
        a: Vec<u16>,
        b: Vec<u16>,
    },
    Binary {
        kind: OpKind,
        x: Vec<u32>,
        y: Vec<u32>,
    },
    Bf16Mul {
        a: Vec<u16>,
        b: Vec<u16>,
    },
    ToBf16 {
        x: Vec<u32>,
    },
    Sqrt {
        x: Vec<u32>,
    },
    Unary {
        f: UnaryFn,
        x: Vec<u16>,
    },
}

impl Owned {
    fn batch(&self) -> OpBatch<'_> {
        match self {
            Owned::Bf16Mac { acc, a, b } => OpBatch::Bf16Mac { acc, a, b },
            Owned::Bf16Mul { a, b } => OpBatch::Bf16Mul { a, b },
            Owned::ToBf16 { x } => OpBatch::Fp32ToBf16 { x },
            Owned::Sqrt { x } => OpBatch::Fp32Sqrt { x },
            Owned::Unary { f, x } => OpBatch::Bf16Unary { f: *f, x },
            Owned::Binary { kind, x, y } => match kind {
                OpKind::Fp32Sub => OpBatch::Fp32Sub { x, y },
                OpKind::Fp32Mul => OpBatch::Fp32Mul { x, y },
                OpKind::Fp32Div => OpBatch::Fp32Div { x, y },
                _ => OpBatch::Fp32Add { x, y },
            },
        }
    }
}

fn array<'py, T: numpy::Element + Copy>(
    op: &str,
    name: &str,
    dtype: &str,
    obj: &Bound<'py, PyAny>,
) -> CoreResult<Vec<T>> {
    let kind = format!("a 1-D numpy {dtype} array");
    let arr = obj
        .cast::<PyArray1<T>>()
        .map_err(|_| invalid(format!("{op}: {name} must be {kind}")))?;
    let ro: PyReadonlyArray1<'py, T> = arr
        .try_readonly()
        .map_err(|e| invalid(format!("{op}: {name} cannot be read: {e}")))?;
    Ok(ro.as_array().to_vec())
}

fn owned(op: &str, inputs: &[Bound<'_, PyAny>]) -> CoreResult<Owned> {
    let kind = OpKind::from_name(op)?;
    let expect = |names: &[&str]| -> CoreResult<()> {
        if inputs.len() != names.len() {
            return Err(invalid(format!(
                "{op} takes {} input arrays ({}), got {}",
                names.len(),
                names.join(", "),
                inputs.len()
            )));
        }
        Ok(())
    };
    Ok(match kind {
        OpKind::Bf16Mac => {
            expect(&["acc: uint32", "a: uint16", "b: uint16"])?;
            Owned::Bf16Mac {
                acc: array(op, "acc", "uint32", &inputs[0])?,
                a: array(op, "a", "uint16", &inputs[1])?,
                b: array(op, "b", "uint16", &inputs[2])?,
            }
        }
        OpKind::Bf16Mul => {
            expect(&["a: uint16", "b: uint16"])?;
            Owned::Bf16Mul {
                a: array(op, "a", "uint16", &inputs[0])?,
                b: array(op, "b", "uint16", &inputs[1])?,
            }
        }
        OpKind::Bf16Gelu | OpKind::Bf16Exp => {
            expect(&["x: uint16"])?;
            Owned::Unary {
                f: if kind == OpKind::Bf16Gelu {
                    UnaryFn::Gelu
                } else {
                    UnaryFn::Exp
                },
                x: array(op, "x", "uint16", &inputs[0])?,
            }
        }
        OpKind::Fp32ToBf16 => {
            expect(&["x: uint32"])?;
            Owned::ToBf16 {
                x: array(op, "x", "uint32", &inputs[0])?,
            }
        }
        OpKind::Fp32Sqrt => {
            expect(&["x: uint32"])?;
            Owned::Sqrt {
                x: array(op, "x", "uint32", &inputs[0])?,
            }
        }
        OpKind::Fp32Add | OpKind::Fp32Sub | OpKind::Fp32Mul | OpKind::Fp32Div => {
            expect(&["x: uint32", "y: uint32"])?;
            Owned::Binary {
                kind,
                x: array(op, "x", "uint32", &inputs[0])?,
                y: array(op, "y", "uint32", &inputs[1])?,
            }
        }
    })
}

/// Names of the supported ops.
#[pyfunction]
pub fn arith_ops() -> Vec<&'static str> {
    OpKind::ALL.iter().map(|k| k.name()).collect()
}

/// The reference results (uint32 bit patterns) of a batch of `op` on `inputs`.
#[pyfunction]
pub fn arith_evaluate<'py>(
    py: Python<'py>,
    op: &str,
    inputs: Vec<Bound<'py, PyAny>>,
) -> CoreResult<Bound<'py, PyArray1<u32>>> {
    let batch = owned(op, &inputs)?;
    let out = py.detach(|| arith::evaluate(&batch.batch()))?;
    Ok(PyArray1::from_vec(py, out))
}

/// Proves a batch; returns `(proof_bytes, results)` (results as uint32 bit patterns).
#[pyfunction]
pub fn arith_prove<'py>(
    py: Python<'py>,
    op: &str,
    inputs: Vec<Bound<'py, PyAny>>,
) -> CoreResult<(Bound<'py, PyBytes>, Bound<'py, PyArray1<u32>>)> {
    let batch = owned(op, &inputs)?;
    let (proof, out) = py.detach(|| -> CoreResult<_> {
        let b = batch.batch();
        let out = arith::evaluate(&b)?;
        Ok((arith::prove_ops(&b)?, out))
    })?;
    Ok((PyBytes::new(py, &proof), PyArray1::from_vec(py, out)))
}

/// Verifies that `proof` shows `outputs` are the results of `op` on `inputs`; raises
/// on failure.
#[pyfunction]
pub fn arith_verify<'py>(
    py: Python<'py>,
    op: &str,
    inputs: Vec<Bound<'py, PyAny>>,
    outputs: Bound<'py, PyAny>,
    proof: &[u8],
) -> CoreResult<()> {
    let batch = owned(op, &inputs)?;
    let outputs: Vec<u32> = array(op, "outputs", "uint32", &outputs)?;
    let proof = proof.to_vec();
    py.detach(|| arith::verify_ops(&batch.batch(), &outputs, &proof))?;
    Ok(())
}

/// The statement's layout for a batch: one dict per AIR (`name`, `log_height`,
/// `main_cols`, `aux_cols` in base-field elements, `preprocessed_cols`,
/// `periodic_cols`).
#[pyfunction]
pub fn arith_layout<'py>(
    py: Python<'py>,
    op: &str,
    inputs: Vec<Bound<'py, PyAny>>,
) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let batch = owned(op, &inputs)?;
    let lay = py
        .detach(|| arith::layout(&batch.batch()))
        .map_err(CoreError)?;
    lay.airs
        .iter()
        .map(|a| {
            let d = PyDict::new(py);
            d.set_item("name", a.name)?;
            d.set_item("log_height", a.log_height)?;
            d.set_item("main_cols", a.main_cols)?;
            d.set_item("aux_cols", a.aux_cols)?;
            d.set_item("preprocessed_cols", a.preprocessed_cols)?;
            d.set_item("periodic_cols", a.periodic_cols)?;
            Ok(d)
        })
        .collect()
}
