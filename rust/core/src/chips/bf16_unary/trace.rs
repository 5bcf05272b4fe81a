use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;

use super::columns::NUM_BF16_UNARY_COLS;
use crate::chips::fptables::unary::UnaryFn;
use crate::chips::fptables::FpTableCounter;
use crate::error::{Error, Result};
use crate::prover::Val;

/// The main trace for `(f, x)` ops padded with `gelu(0)` rows to `2^log_height` rows.
pub fn generate_unary_trace(
    ops: &[(UnaryFn, u16)],
    log_height: usize,
    counter: &mut FpTableCounter,
) -> Result<RowMajorMatrix<Val>> {
    let height = 1usize << log_height;
    if ops.len() > height {
        return Err(Error::InvalidInput(format!(
            "{} ops do not fit 2^{log_height} rows",
            ops.len()
        )));
    }
    let mut values = Vec::with_capacity(height * NUM_BF16_UNARY_COLS);
    for i in 0..height {
        let (f, x) = ops.get(i).copied().unwrap_or((UnaryFn::Gelu, 0));
        let y = f.eval(x).ok_or_else(|| {
            Error::InvalidInput(format!(
                "bf16 {}({x:#06x}): the argument must be finite",
                f.name()
            ))
        })?;
        counter.unary(f, x as u32);
        values.extend([f as u32, x as u32, y as u32].map(Val::from_u32));
    }
    Ok(RowMajorMatrix::new(values, NUM_BF16_UNARY_COLS))
}
