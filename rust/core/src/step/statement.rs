//! The step-chunk statement: its AIRs, traces and public values.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};

use p3_batch_stark::StarkGenericConfig;
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use zkattest_softfloat::{f32_add, f32_div, f32_mul, f32_sqrt};

use super::dev::DevWordsAir;
use super::pad::{OpPadAir, PAD_LOG_HEIGHT};
use super::public::{StepChunkPublic, StepScalars};
use super::split::{log_height, op_instance_log_heights};
use super::{MAX_CHUNK_ELEMS, STEP_ADAMW_KIND, STEP_SGD_KIND};
use crate::air_enum;
use crate::arith::AirLayout;
use crate::chips::adamw_update::{adamw_program, adamw_scalar_values};
use crate::chips::blake3_leaf::{
    digest_limbs, generate_blake3_leaf_trace, Blake3LeafAir, LeafInput,
};
use crate::chips::bus::FP_OP_WIDTH;
use crate::chips::byte_xor::{ByteXorCounter, ByteXorTableAir, BYTE_XOR_LOG_HEIGHT};
use crate::chips::fp32_add::{generate_add_trace, AddOp, Fp32AddAir};
use crate::chips::fp32_div::{generate_fp32_div_trace, DivOp, Fp32DivAir};
use crate::chips::fp32_mul::{generate_fp32_mul_trace, Fp32MulAir, MulOp};
use crate::chips::fp32_sqrt::{generate_fp32_sqrt_trace, Fp32SqrtAir};
use crate::chips::fptables::{
    tables_looked_up, FpTableCounter, OpCode, SmallTableAir, TablesUsed, U16TableAir,
    U16_TABLE_LOG_HEIGHT,
};
use crate::chips::opio::{op_limbs, OpIo};
use crate::chips::sgd_update::{sgd_program, sgd_scalar_values};
use crate::chips::update::{generate_update_trace, OpRows, Program, UpdateAir};
use crate::commit::leaf::leaf_hash;
use crate::commit::salt::Salt;
use crate::commit::Digest;
use crate::error::{Error, Result};
use crate::optim::OpKind;
use crate::prover::setup::setup;
use crate::prover::{zk_config, Statement, Val};

air_enum! {
    /// The AIRs of a step statement, in proving order.
    pub enum StepAir {
        /// The optimizer-update chip.
        Update(UpdateAir),
        /// `Fp32Add` (bus mode).
        Add(Fp32AddAir),
        /// `Fp32Mul` (bus mode).
        Mul(Fp32MulAir),
        /// `Fp32Div` (bus mode).
        Div(Fp32DivAir),
        /// `Fp32Sqrt` (bus mode).
        Sqrt(Fp32SqrtAir),
        /// The op chips' padding.
        Pad(OpPadAir),
        /// The in-circuit leaf hashes.
        Leaf(Blake3LeafAir),
        /// The leaf chip's byte table.
        Bytes(ByteXorTableAir),
        /// Test-only word sender (replaces the leaf chip in fast tests).
        DevWords(DevWordsAir),
        /// The 2^16-row table.
        U16(U16TableAir),
        /// A small table.
        Small(SmallTableAir),
    }
}

/// One chunk of one optimizer step to prove: the state before the step (FP32 bit
/// patterns), the gradient, and the salts of every leaf.
#[derive(Clone, Debug)]
pub struct StepChunk<'a> {
    /// The optimizer's scalars for this step.
    pub scalars: StepScalars,
    /// The step number `t` (for AdamW it must equal `scalars.step`).
    pub step: u64,
    /// The parameter chunk before the step.
    pub param: &'a [u32],
    /// The gradient chunk.
    pub grad: &'a [u32],
    /// The optimizer buffers before the step, in slot order (SGD: `[momentum_buffer]`,
    /// or `[]` without momentum or on its first step; AdamW: `[exp_avg, exp_avg_sq]`).
    pub bufs: Vec<&'a [u32]>,
    /// Salts (under step `t`'s key) of the parameter and buffers before: `[param, *bufs]`.
    pub salts_before: Vec<Salt>,
    /// Salt of the gradient chunk.
    pub grad_salt: Salt,
    /// Salts (under step `t + 1`'s key) of the parameter and buffers after.
    pub salts_after: Vec<Salt>,
}

impl StepChunk<'_> {
    /// SGD's first momentum step (momentum on, no buffer given).
    pub fn init_buf(&self) -> bool {
        matches!(self.scalars, StepScalars::Sgd(s) if s.use_momentum && self.bufs.is_empty())
    }
}

/// The op chips of a step statement, in AIR order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OpChip {
    Add,
    Mul,
    Div,
    Sqrt,
}

impl OpChip {
    /// The op chips an optimizer's program uses.
    fn of(scalars: &StepScalars) -> &'static [OpChip] {
        match scalars {
            StepScalars::Sgd(_) => &[OpChip::Add, OpChip::Mul],
            StepScalars::AdamW(_) => &[OpChip::Add, OpChip::Mul, OpChip::Div, OpChip::Sqrt],
        }
    }

    fn kind(self) -> OpKind {
        match self {
            OpChip::Add => OpKind::Add,
            OpChip::Mul => OpKind::Mul,
            OpChip::Div => OpKind::Div,
            OpChip::Sqrt => OpKind::Sqrt,
        }
    }

    fn air(self) -> StepAir {
        match self {
            OpChip::Add => StepAir::Add(Fp32AddAir { io: OpIo::Bus }),
            OpChip::Mul => StepAir::Mul(Fp32MulAir { io: OpIo::Bus }),
            OpChip::Div => StepAir::Div(Fp32DivAir { io: OpIo::Bus }),
            OpChip::Sqrt => StepAir::Sqrt(Fp32SqrtAir { io: OpIo::Bus }),
        }
    }

    /// How many ops of this chip's kind the update chip sent.
    fn sent(self, ops: &OpRows) -> usize {
        match self {
            OpChip::Add => ops.add.len(),
            OpChip::Mul => ops.mul.len(),
            OpChip::Div => ops.div.len(),
            OpChip::Sqrt => ops.sqrt.len(),
        }
    }

    /// The trace of one instance proving `ops[range]` of this chip's kind.
    fn trace(
        self,
        ops: &OpRows,
        range: Range<usize>,
        log_height: usize,
        counter: &mut FpTableCounter,
    ) -> Result<RowMajorMatrix<Val>> {
        match self {
            OpChip::Add => {
                let ops: Vec<AddOp> = ops.add[range]
                    .iter()
                    .map(|&(x, y)| AddOp { x, y })
                    .collect();
                generate_add_trace(&ops, log_height, counter)
            }
            OpChip::Mul => {
                let ops: Vec<MulOp> = ops.mul[range]
                    .iter()
                    .map(|&(x, y)| MulOp { x, y })
                    .collect();
                generate_fp32_mul_trace(&ops, log_height, counter)
            }
            OpChip::Div => {
                let ops: Vec<DivOp> = ops.div[range]
                    .iter()
                    .map(|&(x, y)| DivOp { x, y })
                    .collect();
                generate_fp32_div_trace(&ops, log_height, counter)
            }
            OpChip::Sqrt => generate_fp32_sqrt_trace(&ops.sqrt[range], log_height, counter),
        }
    }

    /// The padding tuple of the chip: its trace generator's padding op and result.
    fn pad_tuple(self) -> [u32; FP_OP_WIDTH] {
        let (code, a, b, c) = match self {
            OpChip::Add => {
                let o = AddOp::default();
                (OpCode::Fp32Add, o.x, o.y, f32_add(o.x, o.y))
            }
            OpChip::Mul => {
                let o = MulOp::default();
                (OpCode::Fp32Mul, o.x, o.y, f32_mul(o.x, o.y))
            }
            OpChip::Div => {
                let o = DivOp::default();
                (OpCode::Fp32Div, o.x, o.y, f32_div(o.x, o.y))
            }
            // sqrt(+0) = +0, second operand 0
            OpChip::Sqrt => (OpCode::Fp32Sqrt, 0, 0, f32_sqrt(0)),
        };
        let mut tuple = [code as u32; FP_OP_WIDTH];
        tuple[1..].copy_from_slice(&op_limbs(a, b, c));
        tuple
    }
}

/// One instance of an op chip: the range of its kind's ops (in the update chip's send
/// order) that it proves; rows past them are padding.
#[derive(Clone, Debug)]
struct OpSlice {
    chip: OpChip,
    ops: Range<usize>,
}

/// Everything fixed by the public shape (scalars, flags, element count).
struct Instance {
    kind: &'static str,
    airs: Vec<StepAir>,
    log_heights: Vec<usize>,
    scalars: Vec<u32>,
    /// The op-chip instances, in AIR order (AIRs `1..=op_slices.len()`).
    op_slices: Vec<OpSlice>,
    /// Padding rows per op chip (the pad AIR's multiplicities), in [`OpChip::of`] order.
    pad_counts: Vec<usize>,
    /// The shared tables (and sets of the 2^16-row table) the chips look up.
    tables: TablesUsed,
    n_slots: usize,
}

/// The shared tables that `airs` look up, derived once per statement kind (the
/// symbolic evaluation of the leaf chip is not free, and the verifier pays it).
fn tables_of(kind: &'static str, airs: &[StepAir]) -> TablesUsed {
    static CACHE: OnceLock<Mutex<HashMap<&'static str, TablesUsed>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(t) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(kind) {
        return t.clone();
    }
    let tables = tables_looked_up(airs);
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(kind, tables.clone());
    tables
}

/// Interned statement kinds: the kind names the program and the chunk length, so
/// [`setup`]'s cache (keyed by kind and degrees) never mixes two layouts. A process
/// holds one entry per (flags, chunk length) it has seen.
fn intern(s: String) -> &'static str {
    static SET: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut set = SET
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(&k) = set.get(s.as_str()) {
        return k;
    }
    let k: &'static str = Box::leak(s.into_boxed_str());
    set.insert(k);
    k
}

fn b(x: bool) -> u8 {
    x as u8
}

/// The statement kind of a public claim: the base kind, the chunk length and the flags
/// that select the program.
pub fn statement_kind(p: &StepChunkPublic) -> &'static str {
    let s = match &p.scalars {
        StepScalars::Sgd(s) => format!(
            "{STEP_SGD_KIND};n={};wd={},mom={},init={},nesterov={},maximize={},damp1={}",
            p.n,
            b(s.use_weight_decay),
            b(s.use_momentum),
            b(p.init_buf),
            b(s.nesterov),
            b(s.maximize),
            b(s.one_minus_dampening == 0x3F80_0000),
        ),
        StepScalars::AdamW(s) => format!(
            "{STEP_ADAMW_KIND};n={};wd={},lerp_small={},maximize={}",
            p.n,
            b(s.use_weight_decay),
            b(s.lerp_small),
            b(s.maximize),
        ),
    };
    intern(s)
}

fn program_of(p: &StepChunkPublic) -> Result<(Arc<Program>, Vec<u32>)> {
    Ok(match &p.scalars {
        StepScalars::Sgd(s) => (sgd_program(s, p.init_buf)?, sgd_scalar_values(s)),
        StepScalars::AdamW(s) => (adamw_program(s)?, adamw_scalar_values(s)),
    })
}

fn instance(p: &StepChunkPublic, dev: bool) -> Result<Instance> {
    p.validate()?;
    let (program, scalars) = program_of(p)?;
    let n_slots = program.n_inputs + program.outputs.len();
    if n_slots != p.leaves.len() {
        return Err(Error::InvalidInput(format!(
            "the program has {n_slots} slots, the claim {} leaves",
            p.leaves.len()
        )));
    }
    let kind = statement_kind(p);
    let kind = if dev {
        intern(format!("{kind};dev"))
    } else {
        kind
    };
    let update = UpdateAir::new(program.clone(), 0);
    let mut airs = vec![StepAir::Update(update)];
    let mut log_heights = vec![log_height(p.n)];
    let chips = OpChip::of(&p.scalars);
    let mut op_slices = Vec::new();
    let mut pad_counts = Vec::new();
    for &chip in chips {
        let count = p.n * program.count(chip.kind());
        let mut start = 0;
        let mut rows = 0;
        for log in op_instance_log_heights(count) {
            let end = (start + (1 << log)).min(count);
            airs.push(chip.air());
            log_heights.push(log);
            op_slices.push(OpSlice {
                chip,
                ops: start..end,
            });
            rows += 1 << log;
            start = end;
        }
        pad_counts.push(rows - count);
    }
    airs.push(StepAir::Pad(OpPadAir {
        tuples: chips.iter().map(|c| c.pad_tuple()).collect(),
    }));
    log_heights.push(PAD_LOG_HEIGHT);
    if dev {
        airs.push(StepAir::DevWords(DevWordsAir { slots: n_slots }));
        log_heights.push(log_heights[0]);
    } else {
        let leaf = Blake3LeafAir::new(&vec![4 * p.n; n_slots])?;
        log_heights.push(leaf.log_height());
        airs.push(StepAir::Leaf(leaf));
        airs.push(StepAir::Bytes(ByteXorTableAir));
        log_heights.push(BYTE_XOR_LOG_HEIGHT);
    }
    // The tables provide what the chips above look up (derived, not listed).
    let tables = tables_of(kind, &airs);
    airs.push(StepAir::U16(U16TableAir { sets: tables.u16 }));
    log_heights.push(U16_TABLE_LOG_HEIGHT);
    for &t in &tables.small {
        airs.push(StepAir::Small(SmallTableAir { table: t }));
        log_heights.push(t.log_height());
    }
    Ok(Instance {
        kind,
        airs,
        log_heights,
        scalars,
        op_slices,
        pad_counts,
        tables,
        n_slots,
    })
}

/// Public values of every AIR: the update chip's scalars, the leaf chip's digests.
fn public_values(inst: &Instance, leaves: &[Digest]) -> Vec<Vec<Val>> {
    inst.airs
        .iter()
        .map(|a| match a {
            StepAir::Update(_) => inst
                .scalars
                .iter()
                .flat_map(|&s| [s >> 16, s & 0xFFFF])
                .map(Val::from_u32)
                .collect(),
            StepAir::Leaf(l) => {
                let limbs: Vec<_> = leaves.iter().map(digest_limbs).collect();
                l.public_values(&limbs)
            }
            _ => Vec::new(),
        })
        .collect()
}

fn statement(inst: &Instance) -> Statement<'_, StepAir> {
    Statement {
        kind: inst.kind,
        airs: &inst.airs,
    }
}

fn check_chunk(c: &StepChunk<'_>) -> Result<()> {
    let n = c.param.len();
    if n == 0 || n > MAX_CHUNK_ELEMS {
        return Err(Error::InvalidInput(format!(
            "a step chunk holds 1 to {MAX_CHUNK_ELEMS} elements, got {n}"
        )));
    }
    if c.grad.len() != n {
        return Err(Error::InvalidInput(format!(
            "grad has {} elements, param has {n}",
            c.grad.len()
        )));
    }
    let init = c.init_buf();
    let want_bufs = c.scalars.buffers_before(init);
    if c.bufs.len() != want_bufs {
        return Err(Error::InvalidInput(format!(
            "the {} step takes {want_bufs} buffers, got {}",
            c.scalars.optimizer().name(),
            c.bufs.len()
        )));
    }
    for (i, bf) in c.bufs.iter().enumerate() {
        if bf.len() != n {
            return Err(Error::InvalidInput(format!(
                "buffer {i} has {} elements, param has {n}",
                bf.len()
            )));
        }
    }
    if c.salts_before.len() != 1 + want_bufs {
        return Err(Error::InvalidInput(format!(
            "salts_before needs {} salts (param, buffers), got {}",
            1 + want_bufs,
            c.salts_before.len()
        )));
    }
    let after = 1 + c.scalars.buffers_after();
    if c.salts_after.len() != after {
        return Err(Error::InvalidInput(format!(
            "salts_after needs {after} salts (param, buffers), got {}",
            c.salts_after.len()
        )));
    }
    Ok(())
}

/// The witness traces and the claim for a chunk (`tamper` edits the update chip's
/// outputs before hashing and the ops before the op chips prove them, for tests).
fn witness(
    c: &StepChunk<'_>,
    dev: bool,
    tamper: impl FnOnce(&mut Vec<Vec<u32>>, &mut OpRows),
) -> Result<(StepChunkPublic, Instance, Vec<RowMajorMatrix<Val>>)> {
    check_chunk(c)?;
    let n = c.param.len();
    let mut public = StepChunkPublic {
        scalars: c.scalars,
        step: c.step,
        n,
        init_buf: c.init_buf(),
        leaves: Vec::new(),
    };
    // The instance does not depend on the leaves: build it with placeholders.
    public.leaves = vec![Digest::from([0u8; 32]); public.n_before() + public.n_after()];
    let inst = instance(&public, dev)?;
    let StepAir::Update(update) = &inst.airs[0] else {
        unreachable!("the update chip is first")
    };
    let mut counter = FpTableCounter::default();
    let inputs: Vec<&[u32]> = [c.param, c.grad]
        .into_iter()
        .chain(c.bufs.iter().copied())
        .collect();
    let up = generate_update_trace(
        update,
        &inst.scalars,
        &inputs,
        inst.log_heights[0],
        &mut counter,
    )?;
    let mut outputs = up.outputs;
    let mut ops = up.ops;
    tamper(&mut outputs, &mut ops);
    let mut traces = vec![up.main];
    for chip in OpChip::of(&c.scalars) {
        let want: usize = inst
            .op_slices
            .iter()
            .filter(|s| s.chip == *chip)
            .map(|s| s.ops.len())
            .sum();
        if chip.sent(&ops) != want {
            return Err(Error::Proving(format!(
                "the update chip sent {} {chip:?} ops, the statement proves {want} (a bug)",
                chip.sent(&ops)
            )));
        }
    }
    for (s, &log) in inst.op_slices.iter().zip(&inst.log_heights[1..]) {
        traces.push(s.chip.trace(&ops, s.ops.clone(), log, &mut counter)?);
    }
    let mut next = 1 + inst.op_slices.len();
    let StepAir::Pad(pad) = &inst.airs[next] else {
        unreachable!("the pad AIR follows the op chips")
    };
    traces.push(pad.trace(&inst.pad_counts));
    next += 1;
    // Leaves in slot order: param, grad, buffers before; outputs after.
    let salts: Vec<&Salt> = c.salts_before[..1]
        .iter()
        .chain([&c.grad_salt])
        .chain(&c.salts_before[1..])
        .chain(&c.salts_after)
        .collect();
    let words: Vec<&[u32]> = inputs
        .iter()
        .copied()
        .chain(outputs.iter().map(|v| v.as_slice()))
        .collect();
    debug_assert_eq!(salts.len(), inst.n_slots);
    let leaf_inputs: Vec<LeafInput> = salts
        .iter()
        .zip(&words)
        .map(|(s, w)| LeafInput {
            salt: s.0,
            words: w.to_vec(),
        })
        .collect();
    let digests = match &inst.airs[next] {
        StepAir::Leaf(leaf_air) => {
            let mut bytes = ByteXorCounter::default();
            let (leaf_trace, digests) =
                generate_blake3_leaf_trace(leaf_air, &leaf_inputs, &mut bytes)?;
            traces.push(leaf_trace);
            traces.push(bytes.trace());
            digests
        }
        StepAir::DevWords(d) => {
            traces.push(d.trace(&words, inst.log_heights[next]));
            leaf_inputs
                .iter()
                .map(|l| leaf_hash(&Salt(l.salt), &l.chunk_bytes()))
                .collect()
        }
        _ => unreachable!("the leaf chip follows the pad AIR"),
    };
    if counter.misses() != 0 {
        return Err(Error::Proving(format!(
            "{} table lookups of the honest witness miss their tables (a bug)",
            counter.misses()
        )));
    }
    traces.extend(counter.traces_for(&inst.tables)?);
    public.leaves = digests;
    Ok((public, inst, traces))
}

/// Proves one step chunk: computes the state after the step with the canonical update,
/// hashes every chunk in-circuit, and returns the public claim and the proof.
pub fn prove_step_chunk(chunk: &StepChunk<'_>) -> Result<(StepChunkPublic, Vec<u8>)> {
    let (public, inst, traces) = witness(chunk, false, |_, _| {})?;
    let pv = public_values(&inst, &public.leaves);
    let proof = statement(&inst).prove(&traces, &pv)?;
    Ok((public, proof))
}

/// Proves a chunk whose after-state words are edited by `tamper` before hashing (tests:
/// the update chip then disagrees with the leaves it receives).
#[cfg(test)]
pub(crate) fn prove_tampered(
    chunk: &StepChunk<'_>,
    dev: bool,
    tamper: impl FnOnce(&mut Vec<Vec<u32>>),
) -> Result<(StepChunkPublic, Vec<u8>)> {
    let (public, inst, traces) = witness(chunk, dev, |out, _| tamper(out))?;
    let pv = public_values(&inst, &public.leaves);
    let proof = statement(&inst).prove(&traces, &pv)?;
    Ok((public, proof))
}

/// Proves a chunk (dev word sender) whose op rows `edit_ops` changes before the op chips
/// prove them and whose AIRs and traces `edit` changes after witness generation, and verifies the proof against the edited AIRs (tests: forged op-chip
/// rows, a table lacking a looked-up set). The edited statement gets its own kind, so
/// the setup cache never mixes it with the honest one.
#[cfg(test)]
pub(crate) fn prove_edited(
    chunk: &StepChunk<'_>,
    tag: &str,
    edit_ops: impl FnOnce(&mut OpRows),
    edit: impl FnOnce(&mut [StepAir], &mut [RowMajorMatrix<Val>]),
) -> Result<()> {
    let (public, mut inst, mut traces) = witness(chunk, true, |_, ops| edit_ops(ops))?;
    edit(&mut inst.airs, &mut traces);
    inst.kind = intern(format!("{};edited={tag}", inst.kind));
    let pv = public_values(&inst, &public.leaves);
    let proof = statement(&inst).prove(&traces, &pv)?;
    statement(&inst).verify(&proof, &pv, &inst.log_heights)
}

/// Verifies that `proof` proves the claim `public`.
pub fn verify_step_chunk(public: &StepChunkPublic, proof: &[u8]) -> Result<()> {
    verify_with(public, proof, false)
}

/// [`verify_step_chunk`], or with the test-only word sender instead of the leaf chip.
pub(crate) fn verify_with(public: &StepChunkPublic, proof: &[u8], dev: bool) -> Result<()> {
    let inst = instance(public, dev)?;
    let pv = public_values(&inst, &public.leaves);
    statement(&inst).verify(proof, &pv, &inst.log_heights)
}

/// The size of every AIR of the statement for a claim, and whether it belongs to the
/// leaf hashing (`true`) or the arithmetic (`false`).
pub fn step_layout(public: &StepChunkPublic) -> Result<Vec<(AirLayout, bool)>> {
    let inst = instance(public, false)?;
    let zk = zk_config().is_zk();
    let degrees: Vec<usize> = inst.log_heights.iter().map(|d| d + zk).collect();
    let data = setup(inst.kind, &inst.airs, &degrees);
    Ok(inst
        .airs
        .iter()
        .zip(&inst.log_heights)
        .zip(&data.common.lookups)
        .map(|((air, &log_height), lookups)| {
            let (name, hash) = match air {
                StepAir::Update(_) => ("update", false),
                StepAir::Add(_) => ("fp32_add", false),
                StepAir::Mul(_) => ("fp32_mul", false),
                StepAir::Div(_) => ("fp32_div", false),
                StepAir::Sqrt(_) => ("fp32_sqrt", false),
                StepAir::Pad(_) => ("op_pad", false),
                StepAir::Leaf(_) => ("blake3_leaf", true),
                StepAir::Bytes(_) => ("table.byte_xor", true),
                StepAir::DevWords(_) => ("dev_words", true),
                StepAir::U16(_) => ("table.u16", false),
                StepAir::Small(t) => (t.table.name(), false),
            };
            (AirLayout::new(name, air, log_height, lookups.len()), hash)
        })
        .collect())
}
