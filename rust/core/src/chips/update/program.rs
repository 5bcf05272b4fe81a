//! Update programs: the straight-line sequence of primitive FP32 operations of one
//! element's optimizer update, recovered from the canonical generic code by symbolic
//! execution ([`SymArith`]).

use zkattest_softfloat::{f32_add, f32_div, f32_mul, f32_sqrt, is_inf, is_nan, SIGN_MASK};

use crate::error::{Error, Result};
use crate::optim::{Fp32Arith, OpKind};

/// Symbolic ids of scalars: `SCALAR_BASE + k`.
const SCALAR_BASE: u32 = 0x0100_0000;
/// Symbolic ids of registers (inputs, then op results): `REG_BASE + r`.
const REG_BASE: u32 = 0x0200_0000;

/// An operand of an operation (or an output of the program).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operand {
    /// Register `r`: input `r` if `r < n_inputs`, else the result of op `r - n_inputs`.
    Reg(usize),
    /// Register `r` with its sign flipped (exact: the chip proves it as a bit relation).
    Neg(usize),
    /// Public scalar `k` of the statement.
    Scalar(usize),
}

/// One primitive operation: `kind` is [`OpKind::Add`], [`OpKind::Mul`],
/// [`OpKind::Div`] or [`OpKind::Sqrt`] (a subtraction is recorded as `a + (-b)`,
/// which is how the reference defines it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProgOp {
    /// The operation.
    pub kind: OpKind,
    /// First operand.
    pub a: Operand,
    /// Second operand (`None` for sqrt).
    pub b: Option<Operand>,
}

/// A straight-line update program over registers and public scalars.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Program {
    /// Number of input registers (the element's words before the step, in slot order).
    pub n_inputs: usize,
    /// Number of public scalars the operations may read.
    pub n_scalars: usize,
    /// The operations, in program order; op `k` writes register `n_inputs + k`.
    pub ops: Vec<ProgOp>,
    /// The element's words after the step, in slot order.
    pub outputs: Vec<Operand>,
}

impl Program {
    /// Number of registers (inputs and op results).
    pub fn n_regs(&self) -> usize {
        self.n_inputs + self.ops.len()
    }

    /// Registers read negated somewhere, ascending (each gets a sign-bit column).
    pub fn neg_regs(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self
            .ops
            .iter()
            .flat_map(|o| [Some(o.a), o.b])
            .flatten()
            .chain(self.outputs.iter().copied())
            .filter_map(|x| match x {
                Operand::Neg(r) => Some(r),
                _ => None,
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Number of operations of `kind`.
    pub fn count(&self, kind: OpKind) -> usize {
        self.ops.iter().filter(|o| o.kind == kind).count()
    }

    /// Runs the program on one element with the reference arithmetic, writing every
    /// register into `regs` (length [`Program::n_regs`]). Every operand and result must
    /// be finite (the op chips prove finite arithmetic only; DESIGN §4 makes a
    /// non-finite state an invariant violation).
    pub fn eval(&self, scalars: &[u32], inputs: &[u32], regs: &mut [u32]) -> Result<()> {
        debug_assert_eq!(inputs.len(), self.n_inputs);
        debug_assert_eq!(regs.len(), self.n_regs());
        regs[..self.n_inputs].copy_from_slice(inputs);
        for (k, op) in self.ops.iter().enumerate() {
            let a = value(op.a, scalars, regs);
            let b = op.b.map(|b| value(b, scalars, regs)).unwrap_or(0);
            let c = match op.kind {
                OpKind::Add => f32_add(a, b),
                OpKind::Sub => zkattest_softfloat::f32_sub(a, b),
                OpKind::Mul => f32_mul(a, b),
                OpKind::Div => f32_div(a, b),
                OpKind::Sqrt => f32_sqrt(a),
            };
            if [a, b, c].iter().any(|&x| is_nan(x) || is_inf(x)) {
                return Err(Error::InvalidInput(format!(
                    "op {k} ({:?}) of the update has a non-finite operand or result \
                     ({a:#010x}, {b:#010x} -> {c:#010x}): only finite updates are provable",
                    op.kind
                )));
            }
            regs[self.n_inputs + k] = c;
        }
        Ok(())
    }

    /// The value of `x` given the registers.
    pub fn value(&self, x: Operand, scalars: &[u32], regs: &[u32]) -> u32 {
        value(x, scalars, regs)
    }
}

fn value(x: Operand, scalars: &[u32], regs: &[u32]) -> u32 {
    match x {
        Operand::Reg(r) => regs[r],
        Operand::Neg(r) => regs[r] ^ SIGN_MASK,
        Operand::Scalar(k) => scalars[k],
    }
}

/// Symbolic arithmetic: values are ids of registers and scalars, every operation is
/// recorded and returns the id of a new register. Run the canonical generic update on
/// [`SymArith::input`] / [`SymArith::scalar`] ids, then [`SymArith::finish`].
#[derive(Debug)]
pub struct SymArith {
    n_inputs: usize,
    n_scalars: usize,
    ops: Vec<ProgOp>,
    error: Option<String>,
}

impl SymArith {
    /// An empty program with `n_inputs` inputs and `n_scalars` scalars.
    pub fn new(n_inputs: usize, n_scalars: usize) -> Self {
        SymArith {
            n_inputs,
            n_scalars,
            ops: Vec::new(),
            error: None,
        }
    }

    /// The id of input `i`.
    pub fn input(&self, i: usize) -> u32 {
        REG_BASE + i as u32
    }

    /// The id of scalar `k`.
    pub fn scalar(&self, k: usize) -> u32 {
        SCALAR_BASE + k as u32
    }

    fn decode(&mut self, id: u32) -> Operand {
        let neg = id & SIGN_MASK != 0;
        let base = id & !SIGN_MASK;
        let n_regs = (self.n_inputs + self.ops.len()) as u32;
        if (SCALAR_BASE..SCALAR_BASE + self.n_scalars as u32).contains(&base) && !neg {
            return Operand::Scalar((base - SCALAR_BASE) as usize);
        }
        if (REG_BASE..REG_BASE + n_regs).contains(&base) {
            let r = (base - REG_BASE) as usize;
            return if neg {
                Operand::Neg(r)
            } else {
                Operand::Reg(r)
            };
        }
        self.error.get_or_insert_with(|| {
            format!("operand id {id:#010x} is neither a register nor a scalar")
        });
        Operand::Scalar(0)
    }

    fn push(&mut self, kind: OpKind, a: u32, b: Option<u32>) -> u32 {
        let a = self.decode(a);
        let b = b.map(|b| self.decode(b));
        self.ops.push(ProgOp { kind, a, b });
        REG_BASE + (self.n_inputs + self.ops.len() - 1) as u32
    }

    /// The program with `outputs` (ids) as its results.
    pub fn finish(mut self, outputs: &[u32]) -> Result<Program> {
        let outputs: Vec<Operand> = outputs.iter().map(|&o| self.decode(o)).collect();
        if let Some(e) = self.error {
            return Err(Error::InvalidInput(format!("update program: {e}")));
        }
        if outputs.iter().any(|o| matches!(o, Operand::Scalar(_))) {
            return Err(Error::InvalidInput(
                "update program: an output is a scalar".into(),
            ));
        }
        Ok(Program {
            n_inputs: self.n_inputs,
            n_scalars: self.n_scalars,
            ops: self.ops,
            outputs,
        })
    }
}

impl Fp32Arith for SymArith {
    fn add(&mut self, a: u32, b: u32) -> u32 {
        self.push(OpKind::Add, a, Some(b))
    }
    fn sub(&mut self, a: u32, b: u32) -> u32 {
        // a - b is a + (-b) bit for bit (the reference's definition).
        self.push(OpKind::Add, a, Some(b ^ SIGN_MASK))
    }
    fn mul(&mut self, a: u32, b: u32) -> u32 {
        self.push(OpKind::Mul, a, Some(b))
    }
    fn div(&mut self, a: u32, b: u32) -> u32 {
        self.push(OpKind::Div, a, Some(b))
    }
    fn sqrt(&mut self, a: u32) -> u32 {
        self.push(OpKind::Sqrt, a, None)
    }
}

/// Runs `f` (the canonical update on symbolic ids) and returns its program.
pub fn trace_program(
    n_inputs: usize,
    n_scalars: usize,
    f: impl FnOnce(&mut SymArith) -> Vec<u32>,
) -> Result<Program> {
    let mut sym = SymArith::new(n_inputs, n_scalars);
    let outs = f(&mut sym);
    sym.finish(&outs)
}
