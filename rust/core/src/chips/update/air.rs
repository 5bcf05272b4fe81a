use std::sync::Arc;

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::{Count, InteractionBuilder};

use super::program::{Operand, Program};
use crate::chips::bus::{FP_OP, LEAF_WORD};
use crate::chips::fptables::content::TAG_VR;
use crate::chips::fptables::{lookup, OpCode};
use crate::optim::OpKind;

/// Column of the real-row flag.
pub(crate) const COL_IS_REAL: usize = 0;
/// Column of the element index (the word index within every chunk).
pub(crate) const COL_IDX: usize = 1;
/// First register column (`hi` of register 0, then its `lo`, ...).
pub(crate) const COL_REGS: usize = 2;
/// `2^15`: the sign bit of a high limb.
pub(crate) const SIGN_HI: u32 = 1 << 15;

/// The op code an update operation is sent with.
pub(crate) fn op_code(kind: OpKind) -> OpCode {
    match kind {
        // Subtractions are recorded as additions of a negated operand.
        OpKind::Add | OpKind::Sub => OpCode::Fp32Add,
        OpKind::Mul => OpCode::Fp32Mul,
        OpKind::Div => OpCode::Fp32Div,
        OpKind::Sqrt => OpCode::Fp32Sqrt,
    }
}

/// The optimizer-update chip for one [`Program`]: see the [module docs](super).
#[derive(Clone, Debug)]
pub struct UpdateAir {
    /// The per-element program (fixed by the statement's public flags).
    pub program: Arc<Program>,
    /// `LEAF_WORD` slot of each input, then of each output.
    pub slots: Vec<u32>,
    /// Registers read negated, ascending; `neg_regs[k]`'s sign bit is column
    /// `sign_col(k)`.
    neg_regs: Vec<usize>,
}

impl UpdateAir {
    /// The chip for `program`, receiving inputs then outputs on consecutive slots from
    /// `first_slot`.
    pub fn new(program: Arc<Program>, first_slot: u32) -> Self {
        let n = (program.n_inputs + program.outputs.len()) as u32;
        let neg_regs = program.neg_regs();
        UpdateAir {
            slots: (first_slot..first_slot + n).collect(),
            program,
            neg_regs,
        }
    }

    /// Column of the sign bit of negated register number `k` (of [`Program::neg_regs`]).
    pub(crate) fn sign_col(&self, k: usize) -> usize {
        COL_REGS + 2 * self.program.n_regs() + k
    }

    /// Registers read negated (ascending).
    pub(crate) fn neg_regs(&self) -> &[usize] {
        &self.neg_regs
    }

    /// Main columns: flag, index, two limbs per register, one sign bit per negated one.
    pub fn width(&self) -> usize {
        COL_REGS + 2 * self.program.n_regs() + self.neg_regs.len()
    }

    /// Public values: the scalars, as `hi`, `lo` limbs each.
    pub fn num_public_values(&self) -> usize {
        2 * self.program.n_scalars
    }
}

impl<F: Field> BaseAir<F> for UpdateAir {
    fn width(&self) -> usize {
        UpdateAir::width(self)
    }
    fn num_public_values(&self) -> usize {
        UpdateAir::num_public_values(self)
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![COL_IDX]
    }
}

impl<AB: InteractionBuilder> Air<AB> for UpdateAir
where
    AB::F: Field,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: Vec<AB::Expr> = main.current_slice().iter().map(|&x| x.into()).collect();
        let next_idx: AB::Expr = main.next_slice()[COL_IDX].into();
        let publics: Vec<AB::Expr> = builder.public_values().iter().map(|&x| x.into()).collect();
        let is_real = local[COL_IS_REAL].clone();
        let idx = local[COL_IDX].clone();
        let c = |x: u32| AB::Expr::from_u32(x);

        // is_real in {0, 1}; idx = 0, 1, 2, ... (the word index of the row's element)
        builder.assert_bool(is_real.clone());
        builder.when_first_row().assert_zero(idx.clone());
        builder
            .when_transition()
            .assert_eq(next_idx, idx.clone() + AB::Expr::ONE);

        // sign bits: hi = 2^15 s + rest, rest < 2^15, so -x = (hi + 2^15 - 2^16 s, lo)
        let mut neg_hi = vec![None; self.program.n_regs()];
        for (k, &r) in self.neg_regs.iter().enumerate() {
            let s = local[self.sign_col(k)].clone();
            let hi = local[COL_REGS + 2 * r].clone();
            builder.assert_bool(s.clone());
            lookup(
                builder,
                TAG_VR,
                [c(15), hi.clone() - s.clone() * c(SIGN_HI)],
            );
            neg_hi[r] = Some(hi + c(SIGN_HI) - s * c(2 * SIGN_HI));
        }
        let limbs = |x: Operand| -> [AB::Expr; 2] {
            match x {
                Operand::Reg(r) => [
                    local[COL_REGS + 2 * r].clone(),
                    local[COL_REGS + 2 * r + 1].clone(),
                ],
                Operand::Neg(r) => [
                    neg_hi[r]
                        .clone()
                        .expect("sign column of a negated register"),
                    local[COL_REGS + 2 * r + 1].clone(),
                ],
                Operand::Scalar(k) => [publics[2 * k].clone(), publics[2 * k + 1].clone()],
            }
        };

        // every op, sent to the op chips: [code, a_hi, a_lo, b_hi, b_lo, c_hi, c_lo]
        let n_in = self.program.n_inputs;
        for (k, op) in self.program.ops.iter().enumerate() {
            let [a_hi, a_lo] = limbs(op.a);
            let [b_hi, b_lo] = match op.b {
                Some(b) => limbs(b),
                None => [AB::Expr::ZERO, AB::Expr::ZERO],
            };
            let [c_hi, c_lo] = limbs(Operand::Reg(n_in + k));
            FP_OP.send(
                builder,
                [
                    c(op_code(op.kind) as u32),
                    a_hi,
                    a_lo,
                    b_hi,
                    b_lo,
                    c_hi,
                    c_lo,
                ],
                Count::bounded(is_real.clone(), 1),
            );
        }

        // the element's word in every chunk: inputs, then outputs
        let words = (0..n_in)
            .map(Operand::Reg)
            .chain(self.program.outputs.iter().copied());
        for (&slot, w) in self.slots.iter().zip(words) {
            let [hi, lo] = limbs(w);
            LEAF_WORD.receive(
                builder,
                [c(slot), idx.clone(), lo, hi],
                Count::bounded(is_real.clone(), 1),
            );
        }
    }
}
