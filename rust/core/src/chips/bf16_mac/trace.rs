use core::borrow::BorrowMut;

use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use zkattest_softfloat::{bf16_mac, is_inf, is_nan};

use super::columns::{Bf16MacCols, NUM_BF16_MAC_COLS};
use crate::chips::addcore::{populate_add_core, solve_add_core, Op2Val};
use crate::chips::fptables::content::{bf16_norm, fe, macq_entry};
use crate::chips::fptables::FpTableCounter;
use crate::chips::opio::op_trace;
use crate::error::{Error, Result};
use crate::prover::Val;

/// One multiply-accumulate `c = acc + a * b` (FP32 `acc`, BF16 `a`, `b`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MacOp {
    /// FP32 accumulator.
    pub acc: u32,
    /// BF16 factor.
    pub a: u16,
    /// BF16 factor.
    pub b: u16,
}

/// The decoded factors and the normalized product of a BF16 pair.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Product {
    pub(crate) sa: u32,
    pub(crate) ea: i32,
    pub(crate) ga: u32,
    pub(crate) sb: u32,
    pub(crate) eb: i32,
    pub(crate) gb: u32,
    pub(crate) f: u32,
    pub(crate) hb: u32,
    pub(crate) lb: u32,
    pub(crate) zq: u32,
    /// The product as operand 2 of the adder core.
    pub(crate) op2: Op2Val,
    /// Whether the `MACQ` table holds the product (exact in FP32, below 2^128).
    pub(crate) exact: bool,
}

/// Decodes `a`, `b` and normalizes their product; `None` for Inf / NaN factors.
pub(crate) fn product(a: u16, b: u16) -> Option<Product> {
    let da = bf16_norm(a as u32)?;
    let db = bf16_norm(b as u32)?;
    let p = da.sig * db.sig;
    let zq = (p == 0) as u32;
    let f = (p != 0 && p < 1 << 15) as u32;
    let pn = p << f;
    let (hb, lb) = (pn >> 8, pn & 0xFF);
    let q = da.e + db.e;
    Some(Product {
        sa: da.s,
        ea: da.e,
        ga: da.sig,
        sb: db.s,
        eb: db.e,
        gb: db.sig,
        f,
        hb,
        lb,
        zq,
        op2: Op2Val {
            sign: da.s ^ db.s,
            e: q - 126 - f as i32,
            mh: hb,
            lo: lb << 8,
        },
        exact: macq_entry(q, f) == Some(zq),
    })
}

/// Whether [`super::Bf16MacAir`] can prove `acc + a * b`: finite inputs and an FP32-exact
/// product. (Inputs with Inf / NaN are rejected by every chip; a product FP32 would
/// round or overflow is proved as a multiply and an add instead.)
pub fn mac_provable(op: &MacOp) -> bool {
    !is_nan(op.acc) && !is_inf(op.acc) && product(op.a, op.b).is_some_and(|p| p.exact)
}

/// Fills one row for `op`. With `claim = None` the row is the honest witness (an
/// error if the op is not provable); with `Some((o1, z, rev))` the core columns take
/// that claim instead (for tests of forged results).
/// (Also used by the statement tests to forge witnesses.)
pub(crate) fn fill_mac_row(
    row: &mut [Val],
    op: &MacOp,
    claim: Option<(u32, u32, bool)>,
    counter: &mut FpTableCounter,
) -> Result<()> {
    let unsupported = || {
        Error::InvalidInput(format!(
            "bf16 mac {:#010x} + {:#06x} * {:#06x} is not provable by the Bf16Mac chip",
            op.acc, op.a, op.b
        ))
    };
    let cols: &mut Bf16MacCols<Val> = row.borrow_mut();
    let p = product(op.a, op.b).ok_or_else(unsupported)?;
    let (o1, z, rev) = match claim {
        Some(c) => c,
        None => {
            if !mac_provable(op) {
                return Err(unsupported());
            }
            let c = bf16_mac(op.acc, op.a, op.b);
            solve_add_core(op.acc, &p.op2, c).ok_or_else(unsupported)?
        }
    };
    write_mac_row(cols, op, &p, counter);
    if !populate_add_core(&mut cols.core, o1, &p.op2, z, rev, counter) && claim.is_none() {
        return Err(unsupported());
    }
    Ok(())
}

/// Writes the factor / product columns of a row (no core) and records their lookups.
pub(crate) fn write_mac_row(
    cols: &mut Bf16MacCols<Val>,
    op: &MacOp,
    p: &Product,
    counter: &mut FpTableCounter,
) {
    let v = |x: u32| Val::from_u32(x);
    cols.a = v(op.a as u32);
    cols.b = v(op.b as u32);
    cols.sa = v(p.sa);
    cols.ea = fe(p.ea as i64);
    cols.ga = v(p.ga);
    cols.sb = v(p.sb);
    cols.eb = fe(p.eb as i64);
    cols.gb = v(p.gb);
    cols.f = v(p.f);
    cols.hb = v(p.hb);
    cols.lb = v(p.lb);
    cols.zq = v(p.zq);
    counter.bf16n(op.a as u32);
    counter.bf16n(op.b as u32);
    counter.macq(p.ea + p.eb, p.f);
    counter.vr(7, (p.hb + 128 * p.zq).wrapping_sub(128));
    counter.vr(8, p.lb);
}

/// The main trace for `ops` padded with `0 + 0 * 0` rows to `2^log_height` rows; table
/// lookups are added to `counter`.
pub fn generate_mac_trace(
    ops: &[MacOp],
    log_height: usize,
    counter: &mut FpTableCounter,
) -> Result<RowMajorMatrix<Val>> {
    let pad = MacOp::default();
    op_trace(
        ops,
        &pad,
        NUM_BF16_MAC_COLS,
        log_height,
        counter,
        |row, op, acc| fill_mac_row(row, op, None, acc),
    )
}
