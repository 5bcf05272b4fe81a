use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use rayon::prelude::*;
use zkattest_softfloat::SIGN_MASK;

use super::air::{UpdateAir, COL_IDX, COL_IS_REAL, COL_REGS, SIGN_HI};
use crate::chips::fptables::FpTableCounter;
use crate::error::{Error, Result};
use crate::optim::OpKind;
use crate::prover::Val;

/// The operations of a trace, grouped by the op chip that proves them: `(a, b)` with
/// any negation applied (`b = 0` for sqrt).
#[derive(Clone, Debug, Default)]
pub struct OpRows {
    /// `a + b`.
    pub add: Vec<(u32, u32)>,
    /// `a * b`.
    pub mul: Vec<(u32, u32)>,
    /// `a / b`.
    pub div: Vec<(u32, u32)>,
    /// `sqrt(a)`.
    pub sqrt: Vec<u32>,
}

/// An update chip's trace and what the other chips need from it.
#[derive(Debug)]
pub struct UpdateTrace {
    /// The main trace.
    pub main: RowMajorMatrix<Val>,
    /// The operations the rows send.
    pub ops: OpRows,
    /// The element words after the step, one vector per output slot.
    pub outputs: Vec<Vec<u32>>,
}

/// The trace of `air` for `n` elements (`inputs[j][i]`: element `i` of input slot `j`)
/// with the given scalar bit patterns, padded to `2^log_height` rows.
pub fn generate_update_trace(
    air: &UpdateAir,
    scalars: &[u32],
    inputs: &[&[u32]],
    log_height: usize,
    counter: &mut FpTableCounter,
) -> Result<UpdateTrace> {
    let prog = &*air.program;
    let height = 1usize << log_height;
    if inputs.len() != prog.n_inputs || scalars.len() != prog.n_scalars {
        return Err(Error::InvalidInput(format!(
            "update trace: {} inputs and {} scalars given, the program takes {} and {}",
            inputs.len(),
            scalars.len(),
            prog.n_inputs,
            prog.n_scalars
        )));
    }
    let n = inputs.first().map_or(0, |x| x.len());
    if inputs.iter().any(|x| x.len() != n) || n > height {
        return Err(Error::InvalidInput(format!(
            "update trace: inputs of unequal lengths or more than 2^{log_height} elements"
        )));
    }
    let nr = prog.n_regs();
    // Registers of every element (the reference arithmetic), in parallel.
    let mut regs = vec![0u32; n * nr];
    regs.par_chunks_mut(nr.max(1))
        .enumerate()
        .try_for_each(|(i, r)| {
            let ins: Vec<u32> = inputs.iter().map(|x| x[i]).collect();
            prog.eval(scalars, &ins, r)
                .map_err(|e| Error::InvalidInput(format!("element {i}: {e}")))
        })?;
    let width = air.width();
    let neg = air.neg_regs().to_vec();
    let mut values = Val::zero_vec(height * width);
    values
        .par_chunks_mut(width)
        .enumerate()
        .for_each(|(i, row)| {
            row[COL_IDX] = Val::from_usize(i);
            if i >= n {
                return;
            }
            row[COL_IS_REAL] = Val::ONE;
            let r = &regs[i * nr..(i + 1) * nr];
            for (k, &w) in r.iter().enumerate() {
                row[COL_REGS + 2 * k] = Val::from_u32(w >> 16);
                row[COL_REGS + 2 * k + 1] = Val::from_u32(w & 0xFFFF);
            }
            for (k, &reg) in neg.iter().enumerate() {
                row[air.sign_col(k)] = Val::from_u32(r[reg] >> 31);
            }
        });
    // Table lookups: the sign split of every negated register, padding rows included.
    for i in 0..height {
        for &reg in &neg {
            let hi = if i < n { regs[i * nr + reg] >> 16 } else { 0 };
            counter.vr(15, hi & (SIGN_HI - 1));
        }
    }
    let mut ops = OpRows::default();
    for i in 0..n {
        let r = &regs[i * nr..(i + 1) * nr];
        for op in &prog.ops {
            let a = prog.value(op.a, scalars, r);
            let b = op.b.map_or(0, |b| prog.value(b, scalars, r));
            match op.kind {
                OpKind::Add => ops.add.push((a, b)),
                OpKind::Sub => ops.add.push((a, b ^ SIGN_MASK)),
                OpKind::Mul => ops.mul.push((a, b)),
                OpKind::Div => ops.div.push((a, b)),
                OpKind::Sqrt => ops.sqrt.push(a),
            }
        }
    }
    let outputs = prog
        .outputs
        .iter()
        .map(|&o| {
            (0..n)
                .map(|i| prog.value(o, scalars, &regs[i * nr..(i + 1) * nr]))
                .collect()
        })
        .collect();
    Ok(UpdateTrace {
        main: RowMajorMatrix::new(values, width),
        ops,
        outputs,
    })
}
