//! Op batches, their reference results, and the split of a batch into chip rows.

use zkattest_softfloat::{
    bf16_mac, bf16_mul_f32, f32_add, f32_div, f32_mul, f32_sqrt, f32_sub, f32_to_bf16, is_inf,
    is_nan, is_zero, SIGN_MASK,
};

use super::MAX_LOG_OPS;
use crate::chips::bf16_mac::{mac_provable, MacOp};
use crate::chips::bf16_mul::MulOp;
use crate::chips::fp32_add::AddOp;
use crate::chips::fp32_div::DivOp;
use crate::chips::fp32_mul::MulOp as Fp32MulOp;
use crate::chips::fptables::unary::UnaryFn;
use crate::chips::opio::op_limbs;
use crate::error::{Error, Result};

/// The kinds of op a batch can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// `c = fp32_add(acc, bf16_mul_f32(a, b))`.
    Bf16Mac,
    /// `c = x + y`.
    Fp32Add,
    /// `c = x - y` (proved as `x + (-y)`, which is how the reference defines it).
    Fp32Sub,
    /// `c = bf16_mul_f32(a, b)`.
    Bf16Mul,
    /// `c = f32_to_bf16(x)` (the result is a BF16 value, returned as `u32`).
    Fp32ToBf16,
    /// `c = x * y`.
    Fp32Mul,
    /// `y = gelu(x)` on BF16 (the pinned table; result returned as `u32`).
    Bf16Gelu,
    /// `y = exp(x)` on BF16 (the pinned table).
    Bf16Exp,
    /// `c = x / y` (finite results only: a zero divisor or an overflow is rejected).
    Fp32Div,
    /// `c = sqrt(x)` for `x >= 0` (and `sqrt(-0) = -0`).
    Fp32Sqrt,
}

impl OpKind {
    /// Every kind, in a fixed order.
    pub const ALL: [OpKind; 10] = [
        OpKind::Bf16Mac,
        OpKind::Bf16Mul,
        OpKind::Fp32Add,
        OpKind::Fp32Sub,
        OpKind::Fp32Mul,
        OpKind::Fp32ToBf16,
        OpKind::Bf16Gelu,
        OpKind::Bf16Exp,
        OpKind::Fp32Div,
        OpKind::Fp32Sqrt,
    ];

    /// The kind's name (`bf16_mac`, ...), as the CLI and the Python API spell it.
    pub fn name(self) -> &'static str {
        match self {
            OpKind::Bf16Mac => "bf16_mac",
            OpKind::Fp32Add => "fp32_add",
            OpKind::Fp32Sub => "fp32_sub",
            OpKind::Bf16Mul => "bf16_mul",
            OpKind::Fp32ToBf16 => "fp32_to_bf16",
            OpKind::Fp32Mul => "fp32_mul",
            OpKind::Bf16Gelu => "bf16_gelu",
            OpKind::Bf16Exp => "bf16_exp",
            OpKind::Fp32Div => "fp32_div",
            OpKind::Fp32Sqrt => "fp32_sqrt",
        }
    }

    /// The kind named `name`.
    pub fn from_name(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|k| k.name()).collect();
                Error::InvalidInput(format!("unknown op {name:?} (expected one of {names:?})"))
            })
    }
}

/// A batch of ops of one kind; inputs are raw bit patterns (FP32 as `u32`, BF16 as
/// `u16`), every slice of the same length.
#[derive(Clone, Copy, Debug)]
pub enum OpBatch<'a> {
    /// `c_i = acc_i + a_i * b_i`.
    Bf16Mac {
        /// FP32 accumulators.
        acc: &'a [u32],
        /// BF16 factors.
        a: &'a [u16],
        /// BF16 factors.
        b: &'a [u16],
    },
    /// `c_i = x_i + y_i`.
    Fp32Add {
        /// FP32 operands.
        x: &'a [u32],
        /// FP32 operands.
        y: &'a [u32],
    },
    /// `c_i = x_i - y_i`.
    Fp32Sub {
        /// FP32 operands.
        x: &'a [u32],
        /// FP32 operands.
        y: &'a [u32],
    },
    /// `c_i = a_i * b_i` (BF16 factors, FP32 product).
    Bf16Mul {
        /// BF16 factors.
        a: &'a [u16],
        /// BF16 factors.
        b: &'a [u16],
    },
    /// `c_i = bf16(x_i)`, rounded to nearest even.
    Fp32ToBf16 {
        /// FP32 values.
        x: &'a [u32],
    },
    /// `c_i = x_i * y_i`.
    Fp32Mul {
        /// FP32 factors.
        x: &'a [u32],
        /// FP32 factors.
        y: &'a [u32],
    },
    /// `c_i = x_i / y_i`.
    Fp32Div {
        /// FP32 dividends.
        x: &'a [u32],
        /// FP32 divisors (nonzero).
        y: &'a [u32],
    },
    /// `c_i = sqrt(x_i)`.
    Fp32Sqrt {
        /// FP32 radicands (`>= 0` or `-0`).
        x: &'a [u32],
    },
    /// `y_i = f(x_i)` for a BF16 unary function.
    Bf16Unary {
        /// The function.
        f: UnaryFn,
        /// BF16 arguments.
        x: &'a [u16],
    },
}

impl OpBatch<'_> {
    /// The kind of op.
    pub fn kind(&self) -> OpKind {
        match self {
            OpBatch::Bf16Mac { .. } => OpKind::Bf16Mac,
            OpBatch::Fp32Add { .. } => OpKind::Fp32Add,
            OpBatch::Fp32Sub { .. } => OpKind::Fp32Sub,
            OpBatch::Bf16Mul { .. } => OpKind::Bf16Mul,
            OpBatch::Fp32ToBf16 { .. } => OpKind::Fp32ToBf16,
            OpBatch::Fp32Mul { .. } => OpKind::Fp32Mul,
            OpBatch::Fp32Div { .. } => OpKind::Fp32Div,
            OpBatch::Fp32Sqrt { .. } => OpKind::Fp32Sqrt,
            OpBatch::Bf16Unary {
                f: UnaryFn::Gelu, ..
            } => OpKind::Bf16Gelu,
            OpBatch::Bf16Unary {
                f: UnaryFn::Exp, ..
            } => OpKind::Bf16Exp,
        }
    }

    /// Number of ops.
    pub fn len(&self) -> usize {
        match self {
            OpBatch::Bf16Mac { acc, .. } => acc.len(),
            OpBatch::Fp32Add { x, .. }
            | OpBatch::Fp32Sub { x, .. }
            | OpBatch::Fp32Mul { x, .. }
            | OpBatch::Fp32Div { x, .. } => x.len(),
            OpBatch::Fp32Sqrt { x } => x.len(),
            OpBatch::Bf16Mul { a, .. } => a.len(),
            OpBatch::Fp32ToBf16 { x } => x.len(),
            OpBatch::Bf16Unary { x, .. } => x.len(),
        }
    }

    /// Whether the batch holds no op.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks lengths and finiteness of every input.
    fn validate(&self) -> Result<()> {
        let n = self.len();
        if n == 0 || n > 1 << MAX_LOG_OPS {
            return Err(Error::InvalidInput(format!(
                "{}: a batch holds 1 to 2^{MAX_LOG_OPS} ops, got {n}",
                self.kind().name()
            )));
        }
        match self {
            OpBatch::Bf16Mac { acc, a, b } => {
                same_len(
                    self.kind(),
                    &[("acc", acc.len()), ("a", a.len()), ("b", b.len())],
                )?;
                finite32(self.kind(), "acc", acc)?;
                finite16(self.kind(), "a", a)?;
                finite16(self.kind(), "b", b)?;
            }
            OpBatch::Fp32Add { x, y } | OpBatch::Fp32Sub { x, y } | OpBatch::Fp32Mul { x, y } => {
                same_len(self.kind(), &[("x", x.len()), ("y", y.len())])?;
                finite32(self.kind(), "x", x)?;
                finite32(self.kind(), "y", y)?;
            }
            OpBatch::Bf16Mul { a, b } => {
                same_len(self.kind(), &[("a", a.len()), ("b", b.len())])?;
                finite16(self.kind(), "a", a)?;
                finite16(self.kind(), "b", b)?;
            }
            OpBatch::Fp32ToBf16 { x } => finite32(self.kind(), "x", x)?,
            OpBatch::Bf16Unary { x, .. } => finite16(self.kind(), "x", x)?,
            OpBatch::Fp32Div { x, y } => {
                same_len(self.kind(), &[("x", x.len()), ("y", y.len())])?;
                finite32(self.kind(), "x", x)?;
                finite32(self.kind(), "y", y)?;
                for (i, (&p, &q)) in x.iter().zip(y.iter()).enumerate() {
                    if is_zero(q) {
                        return Err(Error::InvalidInput(format!(
                            "fp32_div: y[{i}] = {q:#010x} is zero (x / 0 is not finite, \
                             not provable)"
                        )));
                    }
                    let c = f32_div(p, q);
                    if is_inf(c) {
                        return Err(Error::InvalidInput(format!(
                            "fp32_div: x[{i}] / y[{i}] = {p:#010x} / {q:#010x} overflows to \
                             infinity (not provable)"
                        )));
                    }
                }
            }
            OpBatch::Fp32Sqrt { x } => {
                finite32(self.kind(), "x", x)?;
                if let Some(i) = x.iter().position(|&v| v & SIGN_MASK != 0 && !is_zero(v)) {
                    return Err(Error::InvalidInput(format!(
                        "fp32_sqrt: x[{i}] = {:#010x} is negative (sqrt is NaN, not provable)",
                        x[i]
                    )));
                }
            }
        }
        Ok(())
    }
}

fn same_len(kind: OpKind, lens: &[(&str, usize)]) -> Result<()> {
    if lens.iter().any(|&(_, l)| l != lens[0].1) {
        return Err(Error::InvalidInput(format!(
            "{}: inputs differ in length: {lens:?}",
            kind.name()
        )));
    }
    Ok(())
}

fn finite32(kind: OpKind, name: &str, xs: &[u32]) -> Result<()> {
    match xs.iter().position(|&x| is_nan(x) || is_inf(x)) {
        Some(i) => Err(Error::InvalidInput(format!(
            "{}: {name}[{i}] = {:#010x} is not finite (NaN / Inf inputs are not provable)",
            kind.name(),
            xs[i]
        ))),
        None => Ok(()),
    }
}

fn finite16(kind: OpKind, name: &str, xs: &[u16]) -> Result<()> {
    match xs.iter().position(|&x| x & 0x7F80 == 0x7F80) {
        Some(i) => Err(Error::InvalidInput(format!(
            "{}: {name}[{i}] = {:#06x} is not finite (NaN / Inf inputs are not provable)",
            kind.name(),
            xs[i]
        ))),
        None => Ok(()),
    }
}

/// The reference results of `batch` (the softfloat crate's semantics), after checking
/// its inputs.
pub fn evaluate(batch: &OpBatch<'_>) -> Result<Vec<u32>> {
    batch.validate()?;
    Ok(match batch {
        OpBatch::Bf16Mac { acc, a, b } => acc
            .iter()
            .zip(a.iter().zip(b.iter()))
            .map(|(&x, (&p, &q))| bf16_mac(x, p, q))
            .collect(),
        OpBatch::Fp32Add { x, y } => x
            .iter()
            .zip(y.iter())
            .map(|(&p, &q)| f32_add(p, q))
            .collect(),
        OpBatch::Fp32Sub { x, y } => x
            .iter()
            .zip(y.iter())
            .map(|(&p, &q)| f32_sub(p, q))
            .collect(),
        OpBatch::Bf16Mul { a, b } => a
            .iter()
            .zip(b.iter())
            .map(|(&p, &q)| bf16_mul_f32(p, q))
            .collect(),
        OpBatch::Fp32ToBf16 { x } => x.iter().map(|&v| f32_to_bf16(v) as u32).collect(),
        OpBatch::Fp32Mul { x, y } => x
            .iter()
            .zip(y.iter())
            .map(|(&p, &q)| f32_mul(p, q))
            .collect(),
        OpBatch::Bf16Unary { f, x } => x
            .iter()
            .map(|&v| f.eval(v).expect("finite, checked") as u32)
            .collect(),
        OpBatch::Fp32Div { x, y } => x
            .iter()
            .zip(y.iter())
            .map(|(&p, &q)| f32_div(p, q))
            .collect(),
        OpBatch::Fp32Sqrt { x } => x.iter().map(|&v| f32_sqrt(v)).collect(),
    })
}

/// The rows of every chip for a batch and its claimed results.
#[derive(Clone, Debug, Default)]
pub(crate) struct Plan {
    /// Ops of the `Bf16Mac` chip.
    pub(crate) mac: Vec<MacOp>,
    /// Public limbs of the `Bf16Mac` rows: `[acc_hi, acc_lo, a, b, c_hi, c_lo]`.
    pub(crate) mac_public: Vec<[u32; 6]>,
    /// Ops of the `Fp32Add` chip.
    pub(crate) add: Vec<AddOp>,
    /// Public limbs of the `Fp32Add` rows: `[x_hi, x_lo, y_hi, y_lo, c_hi, c_lo]`.
    pub(crate) add_public: Vec<[u32; 6]>,
    /// Ops of the `Bf16Mul` chip.
    pub(crate) mul: Vec<MulOp>,
    /// Public limbs of the `Bf16Mul` rows: `[a, b, 0, 0, c_hi, c_lo]`.
    pub(crate) mul_public: Vec<[u32; 6]>,
    /// Inputs of the `Fp32ToBf16` chip.
    pub(crate) to_bf16: Vec<u32>,
    /// Public limbs of the `Fp32ToBf16` rows: `[x_hi, x_lo, 0, 0, 0, c]`.
    pub(crate) to_bf16_public: Vec<[u32; 6]>,
    /// Ops of the `Fp32Mul` chip.
    pub(crate) fmul: Vec<Fp32MulOp>,
    /// Public limbs of the `Fp32Mul` rows: `[x_hi, x_lo, y_hi, y_lo, c_hi, c_lo]`.
    pub(crate) fmul_public: Vec<[u32; 6]>,
    /// Ops of the `Bf16Unary` chip.
    pub(crate) unary: Vec<(UnaryFn, u16)>,
    /// Public limbs of the `Bf16Unary` rows: `[x, f, 0, 0, 0, y]`.
    pub(crate) unary_public: Vec<[u32; 6]>,
    /// Ops of the `Fp32Div` chip.
    pub(crate) fdiv: Vec<DivOp>,
    /// Public limbs of the `Fp32Div` rows: `[x_hi, x_lo, y_hi, y_lo, c_hi, c_lo]`.
    pub(crate) fdiv_public: Vec<[u32; 6]>,
    /// Radicands of the `Fp32Sqrt` chip.
    pub(crate) fsqrt: Vec<u32>,
    /// Public limbs of the `Fp32Sqrt` rows: `[x_hi, x_lo, 0, 0, c_hi, c_lo]`.
    pub(crate) fsqrt_public: Vec<[u32; 6]>,
}

impl Plan {
    /// Splits `batch` with claimed `outputs` into chip rows. Deterministic in the
    /// public data, so prover and verifier agree.
    pub(crate) fn new(batch: &OpBatch<'_>, outputs: &[u32]) -> Result<Self> {
        batch.validate()?;
        if outputs.len() != batch.len() {
            return Err(Error::InvalidInput(format!(
                "{}: {} results for {} ops",
                batch.kind().name(),
                outputs.len(),
                batch.len()
            )));
        }
        let mut plan = Plan::default();
        match batch {
            OpBatch::Bf16Mac { acc, a, b } => {
                for i in 0..acc.len() {
                    let op = MacOp {
                        acc: acc[i],
                        a: a[i],
                        b: b[i],
                    };
                    let c = outputs[i];
                    if !mac_provable(&op) {
                        // FP32 rounds (or overflows) this product: prove p = a * b with
                        // the Bf16Mul chip, then c = acc + p with the Fp32Add chip.
                        let p = bf16_mul_f32(op.a, op.b);
                        plan.push_mul(op.a, op.b, p);
                        if is_inf(p) {
                            // acc is finite, so acc + p = p: the claim must be p itself.
                            if c != p {
                                return Err(Error::Verification(format!(
                                    "bf16_mac[{i}]: the product overflows to {p:#010x}, \
                                     which the claimed result {c:#010x} is not"
                                )));
                            }
                        } else {
                            plan.push_add(op.acc, p, c);
                        }
                        continue;
                    }
                    plan.mac.push(op);
                    plan.mac_public.push([
                        op.acc >> 16,
                        op.acc & 0xFFFF,
                        op.a as u32,
                        op.b as u32,
                        c >> 16,
                        c & 0xFFFF,
                    ]);
                }
            }
            OpBatch::Fp32Add { x, y } | OpBatch::Fp32Sub { x, y } => {
                // x - y is x + (-y) bit for bit (the reference's definition).
                let flip = if batch.kind() == OpKind::Fp32Sub {
                    SIGN_MASK
                } else {
                    0
                };
                for ((&p, &q), &c) in x.iter().zip(y.iter()).zip(outputs) {
                    plan.push_add(p, q ^ flip, c);
                }
            }
            OpBatch::Bf16Mul { a, b } => {
                for ((&p, &q), &c) in a.iter().zip(b.iter()).zip(outputs) {
                    plan.push_mul(p, q, c);
                }
            }
            OpBatch::Fp32Mul { x, y } => {
                for ((&p, &q), &c) in x.iter().zip(y.iter()).zip(outputs) {
                    plan.fmul.push(Fp32MulOp { x: p, y: q });
                    plan.fmul_public.push(op_limbs(p, q, c));
                }
            }
            OpBatch::Fp32Div { x, y } => {
                for ((&p, &q), &c) in x.iter().zip(y.iter()).zip(outputs) {
                    plan.fdiv.push(DivOp { x: p, y: q });
                    plan.fdiv_public.push(op_limbs(p, q, c));
                }
            }
            OpBatch::Fp32Sqrt { x } => {
                for (&v, &c) in x.iter().zip(outputs) {
                    plan.fsqrt.push(v);
                    plan.fsqrt_public.push(op_limbs(v, 0, c));
                }
            }
            OpBatch::Bf16Unary { f, x } => {
                for (&v, &c) in x.iter().zip(outputs) {
                    plan.unary.push((*f, v));
                    plan.unary_public.push([v as u32, *f as u32, 0, 0, 0, c]);
                }
            }
            OpBatch::Fp32ToBf16 { x } => {
                for (&v, &c) in x.iter().zip(outputs) {
                    plan.to_bf16.push(v);
                    plan.to_bf16_public.push([v >> 16, v & 0xFFFF, 0, 0, 0, c]);
                }
            }
        }
        Ok(plan)
    }

    fn push_add(&mut self, x: u32, y: u32, c: u32) {
        self.add.push(AddOp { x, y });
        self.add_public.push(op_limbs(x, y, c));
    }

    fn push_mul(&mut self, a: u16, b: u16, c: u32) {
        self.mul.push(MulOp { a, b });
        self.mul_public
            .push([a as u32, b as u32, 0, 0, c >> 16, c & 0xFFFF]);
    }
}
