//! The `arith.ops.v1` statement: its AIRs, traces, public values and layout.

use std::sync::Arc;

use p3_air::BaseAir;
use p3_batch_stark::StarkGenericConfig;
use p3_matrix::dense::RowMajorMatrix;

use super::plan::{evaluate, OpBatch, Plan};
use super::MIN_LOG_ROWS;
use crate::air_enum;
use crate::chips::bf16_mac::{generate_mac_trace, Bf16MacAir};
use crate::chips::bf16_mul::{generate_mul_trace, Bf16MulAir};
use crate::chips::bf16_unary::{generate_unary_trace, Bf16UnaryAir};
use crate::chips::fp32_add::{generate_add_trace, Fp32AddAir};
use crate::chips::fp32_div::{generate_fp32_div_trace, Fp32DivAir};
use crate::chips::fp32_mul::{generate_fp32_mul_trace, Fp32MulAir};
use crate::chips::fp32_sqrt::{generate_fp32_sqrt_trace, Fp32SqrtAir};
use crate::chips::fp32_to_bf16::{generate_to_bf16_trace, Fp32ToBf16Air};
use crate::chips::fptables::unary::UnaryFn;
use crate::chips::fptables::{
    FpTableCounter, SmallTable, SmallTableAir, U16TableAir, U16_TABLE_LOG_HEIGHT,
};
use crate::chips::opio::{OpIo, PublicOps};
use crate::error::{Error, Result};
use crate::prover::setup::setup;
use crate::prover::{zk_config, Statement, Val};

/// Statement kind written into every proof.
pub const ARITH_KIND: &str = "arith.ops.v1";

air_enum! {
    /// The AIRs of the statement, in proving order: the chips, then the tables.
    pub enum ArithAir {
        /// `Bf16Mac` chip.
        Mac(Bf16MacAir),
        /// `Fp32Add` chip.
        Add(Fp32AddAir),
        /// `Bf16Mul` chip.
        Mul(Bf16MulAir),
        /// `Fp32ToBf16` chip.
        ToBf16(Fp32ToBf16Air),
        /// `Fp32Mul` chip.
        FMul(Fp32MulAir),
        /// `Bf16Unary` chip.
        Unary(Bf16UnaryAir),
        /// `Fp32Div` chip.
        FDiv(Fp32DivAir),
        /// `Fp32Sqrt` chip.
        FSqrt(Fp32SqrtAir),
        /// The 2^16-row table.
        U16(U16TableAir),
        /// A small table.
        Small(SmallTableAir),
    }
}

/// Log2 of a chip's height for `n` rows.
fn chip_log_height(n: usize) -> usize {
    n.next_power_of_two()
        .trailing_zeros()
        .max(MIN_LOG_ROWS as u32) as usize
}

/// Pads public op limbs with the chip's padding op (the one its trace generator pads
/// with) to `2^log` rows.
fn padded(rows: &[[u32; 6]], log: usize, pad: [u32; 6]) -> Vec<[u32; 6]> {
    let mut v = rows.to_vec();
    v.resize(1 << log, pad);
    v
}

/// Padding op of most chips: all-zero limbs (`0 + 0 * 0 = +0`, `0 * 0 = +0`, ...).
const ZERO_PAD: [u32; 6] = [0; 6];
/// Padding op of the division chip: `+0 / 1 = +0`.
const DIV_PAD: [u32; 6] = [0, 0, 0x3F80, 0, 0, 0];
/// Padding op of the unary chip: `gelu(+0) = +0`.
const UNARY_PAD: [u32; 6] = [0, UnaryFn::Gelu as u32, 0, 0, 0, 0];

/// The AIRs, their log heights and public values for a plan.
struct Instance {
    airs: Vec<ArithAir>,
    log_heights: Vec<usize>,
    public: Vec<Vec<Val>>,
}

/// A chip's public op columns (padded) and its log height.
fn public_io(name: &str, rows: &[[u32; 6]], pad: [u32; 6]) -> (OpIo, usize) {
    let log = chip_log_height(rows.len());
    let io = OpIo::Public(Arc::new(PublicOps::new(name, &padded(rows, log, pad))));
    (io, log)
}

fn instance(plan: &Plan) -> Instance {
    let (mac_io, mac_log) = public_io("arith.bf16_mac", &plan.mac_public, ZERO_PAD);
    let (add_io, add_log) = public_io("arith.fp32_add", &plan.add_public, ZERO_PAD);
    let (mul_io, mul_log) = public_io("arith.bf16_mul", &plan.mul_public, ZERO_PAD);
    let (cvt_io, cvt_log) = public_io("arith.fp32_to_bf16", &plan.to_bf16_public, ZERO_PAD);
    let (fmul_io, fmul_log) = public_io("arith.fp32_mul", &plan.fmul_public, ZERO_PAD);
    let (un_io, un_log) = public_io("arith.bf16_unary", &plan.unary_public, UNARY_PAD);
    let (div_io, div_log) = public_io("arith.fp32_div", &plan.fdiv_public, DIV_PAD);
    let (sqrt_io, sqrt_log) = public_io("arith.fp32_sqrt", &plan.fsqrt_public, ZERO_PAD);
    let mut public = vec![
        mac_io.public_values(),
        add_io.public_values(),
        mul_io.public_values(),
        cvt_io.public_values(),
        fmul_io.public_values(),
        un_io.public_values(),
        div_io.public_values(),
        sqrt_io.public_values(),
    ];
    let mut airs = vec![
        ArithAir::Mac(Bf16MacAir { io: mac_io }),
        ArithAir::Add(Fp32AddAir { io: add_io }),
        ArithAir::Mul(Bf16MulAir { io: mul_io }),
        ArithAir::ToBf16(Fp32ToBf16Air { io: cvt_io }),
        ArithAir::FMul(Fp32MulAir { io: fmul_io }),
        ArithAir::Unary(Bf16UnaryAir { io: un_io }),
        ArithAir::FDiv(Fp32DivAir { io: div_io }),
        ArithAir::FSqrt(Fp32SqrtAir { io: sqrt_io }),
    ];
    let mut log_heights = vec![
        mac_log, add_log, mul_log, cvt_log, fmul_log, un_log, div_log, sqrt_log,
    ];
    airs.push(ArithAir::U16(U16TableAir::ALL));
    log_heights.push(U16_TABLE_LOG_HEIGHT);
    public.push(Vec::new());
    for t in SmallTable::ALL {
        airs.push(ArithAir::Small(SmallTableAir { table: t }));
        log_heights.push(t.log_height());
        public.push(Vec::new());
    }
    Instance {
        airs,
        log_heights,
        public,
    }
}

fn statement(airs: &[ArithAir]) -> Statement<'_, ArithAir> {
    Statement {
        kind: ARITH_KIND,
        airs,
    }
}

/// The traces of every AIR for a plan.
fn traces(plan: &Plan, inst: &Instance) -> Result<Vec<RowMajorMatrix<Val>>> {
    let mut counter = FpTableCounter::default();
    let mac = generate_mac_trace(&plan.mac, inst.log_heights[0], &mut counter)?;
    let add = generate_add_trace(&plan.add, inst.log_heights[1], &mut counter)?;
    let mul = generate_mul_trace(&plan.mul, inst.log_heights[2], &mut counter)?;
    let cvt = generate_to_bf16_trace(&plan.to_bf16, inst.log_heights[3], &mut counter)?;
    let fmul = generate_fp32_mul_trace(&plan.fmul, inst.log_heights[4], &mut counter)?;
    let unary = generate_unary_trace(&plan.unary, inst.log_heights[5], &mut counter)?;
    let fdiv = generate_fp32_div_trace(&plan.fdiv, inst.log_heights[6], &mut counter)?;
    let fsqrt = generate_fp32_sqrt_trace(&plan.fsqrt, inst.log_heights[7], &mut counter)?;
    if counter.misses() != 0 {
        return Err(Error::Proving(format!(
            "{} table lookups of the honest witness miss their tables (a bug)",
            counter.misses()
        )));
    }
    let mut out = vec![
        mac,
        add,
        mul,
        cvt,
        fmul,
        unary,
        fdiv,
        fsqrt,
        counter.u16_trace(),
    ];
    out.extend(SmallTable::ALL.iter().map(|&t| counter.small_trace(t)));
    Ok(out)
}

/// Proves that every op of `batch` has the result [`evaluate`] gives. Returns the proof.
pub fn prove_ops(batch: &OpBatch<'_>) -> Result<Vec<u8>> {
    let outputs = evaluate(batch)?;
    let plan = Plan::new(batch, &outputs)?;
    let inst = instance(&plan);
    let traces = traces(&plan, &inst)?;
    statement(&inst.airs).prove(&traces, &inst.public)
}

/// Proves `batch` with explicit claimed results (tests use it to attempt forgeries).
#[cfg(test)]
pub(crate) fn prove_claim(batch: &OpBatch<'_>, outputs: &[u32]) -> Result<Vec<u8>> {
    let plan = Plan::new(batch, outputs)?;
    let inst = instance(&plan);
    let honest = Plan::new(batch, &evaluate(batch)?)?;
    // The witness proves the honest results; the public columns claim `outputs`.
    let traces = traces(&honest, &inst)?;
    statement(&inst.airs).prove(&traces, &inst.public)
}

/// Proves `batch` claiming `outputs`, after `tamper` edits the honest traces (tests
/// use it to prove forged witnesses; the table multiplicities stay the honest ones).
#[cfg(test)]
pub(crate) fn prove_tampered(
    batch: &OpBatch<'_>,
    outputs: &[u32],
    tamper: impl FnOnce(&mut [RowMajorMatrix<Val>]),
) -> Result<Vec<u8>> {
    let plan = Plan::new(batch, outputs)?;
    let inst = instance(&plan);
    let honest = Plan::new(batch, &evaluate(batch)?)?;
    let mut traces = traces(&honest, &inst)?;
    tamper(&mut traces);
    statement(&inst.airs).prove(&traces, &inst.public)
}

/// Verifies that `proof` shows `outputs[i] = op(inputs_i)` for every op of `batch`.
pub fn verify_ops(batch: &OpBatch<'_>, outputs: &[u32], proof: &[u8]) -> Result<()> {
    let plan = Plan::new(batch, outputs)?;
    let inst = instance(&plan);
    statement(&inst.airs).verify(proof, &inst.public, &inst.log_heights)
}

/// Size of one AIR of the statement, as committed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AirLayout {
    /// AIR name.
    pub name: &'static str,
    /// log2 of its height (before the zero-knowledge doubling).
    pub log_height: usize,
    /// Main (committed witness) columns.
    pub main_cols: usize,
    /// Auxiliary LogUp columns, counted in base-field elements (each extension column
    /// is 4): one per packed fraction column plus the running sum.
    pub aux_cols: usize,
    /// Preprocessed (fixed) columns.
    pub preprocessed_cols: usize,
    /// Periodic (public) columns.
    pub periodic_cols: usize,
}

impl AirLayout {
    /// The layout of `air` at `2^log_height` rows with `lookups` (packed) LogUp
    /// fraction columns.
    pub fn new<A: BaseAir<Val>>(
        name: &'static str,
        air: &A,
        log_height: usize,
        lookups: usize,
    ) -> Self {
        Self {
            name,
            log_height,
            main_cols: air.width(),
            aux_cols: if lookups == 0 { 0 } else { 4 * (lookups + 1) },
            preprocessed_cols: air.preprocessed_width(),
            periodic_cols: air.num_periodic_columns(),
        }
    }
}

/// The layout of every AIR of the statement for `batch`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// One entry per AIR, in proving order.
    pub airs: Vec<AirLayout>,
}

/// The statement's layout for `batch` (from the actual setup: LogUp columns after
/// Plonky3 packs same-bus lookups).
pub fn layout(batch: &OpBatch<'_>) -> Result<Layout> {
    let outputs = evaluate(batch)?;
    let plan = Plan::new(batch, &outputs)?;
    let inst = instance(&plan);
    let zk = zk_config().is_zk();
    let degrees: Vec<usize> = inst.log_heights.iter().map(|d| d + zk).collect();
    let data = setup(ARITH_KIND, &inst.airs, &degrees);
    let airs = inst
        .airs
        .iter()
        .zip(&inst.log_heights)
        .zip(&data.common.lookups)
        .map(|((air, &log_height), lookups)| {
            let name = match air {
                ArithAir::Mac(_) => "bf16_mac",
                ArithAir::Add(_) => "fp32_add",
                ArithAir::U16(_) => "table.u16",
                ArithAir::Mul(_) => "bf16_mul",
                ArithAir::ToBf16(_) => "fp32_to_bf16",
                ArithAir::FMul(_) => "fp32_mul",
                ArithAir::Unary(_) => "bf16_unary",
                ArithAir::FDiv(_) => "fp32_div",
                ArithAir::FSqrt(_) => "fp32_sqrt",
                ArithAir::Small(t) => t.table.name(),
            };
            AirLayout::new(name, air, log_height, lookups.len())
        })
        .collect();
    Ok(Layout { airs })
}
