//! How a floating-point chip gets its operands: public (the verifier knows every op)
//! or from the [`FP_OP`](crate::chips::bus::FP_OP) bus (another chip sends them).
//!
//! Public ops are *periodic columns* of period = trace height: the verifier evaluates
//! them itself (O(n) work, nothing committed), and the chip constrains its operand and
//! result columns to equal them row by row. Plonky3 does not put periodic data into the
//! Fiat-Shamir transcript, so a digest of the ops is a public value of the chip (public
//! values are observed before any challenge).

use std::sync::Arc;

use p3_air::AirBuilder;
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;
use rayon::prelude::*;

use crate::chips::bus::FP_OP;
use crate::chips::fptables::{FpTableCounter, OpCode};
use crate::error::{Error, Result};
use crate::prover::Val;

/// Public values of a chip with public ops: the BLAKE3 digest of the ops, as 16
/// little-endian 16-bit limbs.
pub const OP_DIGEST_LIMBS: usize = 16;

/// Rows of public ops hashed per `update` call when computing their digest.
const DIGEST_BLOCK_ROWS: usize = 4096;

/// Public ops of one chip: six 16-bit limbs per row (padding rows included).
#[derive(Debug)]
pub struct PublicOps {
    /// `rows[row][i]`: limb `i` of the op at `row` (the op tuple without its code).
    pub rows: Vec<[u32; 6]>,
    /// [`OP_DIGEST_LIMBS`] public values binding the ops into the transcript.
    pub digest: [u32; OP_DIGEST_LIMBS],
}

impl PublicOps {
    /// Builds the periodic columns from per-row limbs and binds them with a digest of
    /// `domain` and the limbs.
    pub fn new(domain: &str, rows: &[[u32; 6]]) -> Self {
        let mut h = blake3::Hasher::new();
        h.update(b"zkattest.arith.public-ops.v1");
        h.update(&(domain.len() as u64).to_le_bytes());
        h.update(domain.as_bytes());
        h.update(&(rows.len() as u64).to_le_bytes());
        // The limbs as little-endian u32s, fed in large blocks: one `update` per limb
        // cost more than the hashing itself (the verifier pays this for every op).
        let mut buf = Vec::with_capacity(DIGEST_BLOCK_ROWS * 24);
        for block in rows.chunks(DIGEST_BLOCK_ROWS) {
            buf.clear();
            buf.extend(block.iter().flatten().flat_map(|x| x.to_le_bytes()));
            h.update(&buf);
        }
        let d = h.finalize();
        let mut digest = [0; OP_DIGEST_LIMBS];
        for (o, c) in digest.iter_mut().zip(d.as_bytes().chunks_exact(2)) {
            *o = u16::from_le_bytes([c[0], c[1]]) as u32;
        }
        Self {
            rows: rows.to_vec(),
            digest,
        }
    }
}

/// The `BaseAir` of an op chip with an [`OpIo`] field `io`: its width, and the public
/// values and periodic columns of its `io`; no next-row access.
macro_rules! op_chip_base_air {
    ($air:ty, $width:expr) => {
        impl<F: p3_field::Field> p3_air::BaseAir<F> for $air {
            fn width(&self) -> usize {
                $width
            }
            fn num_public_values(&self) -> usize {
                self.io.num_public_values()
            }
            fn num_periodic_columns(&self) -> usize {
                self.io.num_periodic_columns()
            }
            fn periodic_columns(&self) -> Vec<Vec<F>> {
                self.io.periodic_columns()
            }
            fn periodic_values(&self, row: usize) -> Vec<F> {
                self.io.periodic_values(row)
            }
            fn main_next_row_columns(&self) -> Vec<usize> {
                Vec::new()
            }
        }
    };
}
pub(crate) use op_chip_base_air;

/// The six 16-bit limbs `[a_hi, a_lo, b_hi, b_lo, c_hi, c_lo]` of an op's operands
/// and result: a row of [`PublicOps`], an [`FP_OP`] tuple after its opcode.
pub(crate) fn op_limbs(a: u32, b: u32, c: u32) -> [u32; 6] {
    [
        a >> 16,
        a & 0xFFFF,
        b >> 16,
        b & 0xFFFF,
        c >> 16,
        c & 0xFFFF,
    ]
}

/// Where a chip's ops come from.
#[derive(Clone, Debug)]
pub enum OpIo {
    /// Public ops (periodic columns).
    Public(Arc<PublicOps>),
    /// Received on the op bus, once per row.
    Bus,
}

impl OpIo {
    /// Periodic columns of the chip.
    pub fn periodic_columns<F: Field>(&self) -> Vec<Vec<F>> {
        match self {
            OpIo::Public(p) => (0..6)
                .map(|i| p.rows.iter().map(|r| F::from_u32(r[i])).collect())
                .collect(),
            OpIo::Bus => Vec::new(),
        }
    }

    /// Number of periodic columns.
    pub fn num_periodic_columns(&self) -> usize {
        match self {
            OpIo::Public(_) => 6,
            OpIo::Bus => 0,
        }
    }

    /// Periodic values at `row`.
    pub fn periodic_values<F: Field>(&self, row: usize) -> Vec<F> {
        match self {
            OpIo::Public(p) => p.rows[row % p.rows.len()]
                .iter()
                .map(|&x| F::from_u32(x))
                .collect(),
            OpIo::Bus => Vec::new(),
        }
    }

    /// Public values the chip declares.
    pub fn num_public_values(&self) -> usize {
        match self {
            OpIo::Public(_) => OP_DIGEST_LIMBS,
            OpIo::Bus => 0,
        }
    }

    /// Public values of the chip.
    pub fn public_values(&self) -> Vec<Val> {
        match self {
            OpIo::Public(p) => p.digest.iter().map(|&x| Val::from_u32(x)).collect(),
            OpIo::Bus => Vec::new(),
        }
    }

    /// Binds the row's op `[in_0, in_1, in_2, in_3, out_0, out_1]`: equal to the
    /// periodic columns, or received on the op bus with the op code.
    pub fn eval<AB: InteractionBuilder>(&self, builder: &mut AB, op: OpCode, limbs: [AB::Expr; 6]) {
        match self {
            OpIo::Public(_) => {
                let periodic: Vec<AB::Expr> = builder
                    .periodic_values()
                    .iter()
                    .map(|&p| p.into())
                    .collect();
                // limb_i = public_i (row by row)
                for (l, p) in limbs.into_iter().zip(periodic) {
                    builder.assert_eq(l, p);
                }
            }
            OpIo::Bus => {
                let code = <AB as AirBuilder>::Expr::from_u32(op as u32);
                FP_OP.receive(builder, core::iter::once(code).chain(limbs), 1);
            }
        }
    }
}

/// The main trace of an op chip: row `i` is filled by `fill` from `ops[i]`, rows past
/// the ops from `pad`, up to `2^log_height` rows of `width` columns (in parallel); every
/// row's table lookups are added to `counter`.
pub fn op_trace<T: Sync>(
    ops: &[T],
    pad: &T,
    width: usize,
    log_height: usize,
    counter: &mut FpTableCounter,
    fill: impl Fn(&mut [Val], &T, &mut FpTableCounter) -> Result<()> + Sync,
) -> Result<RowMajorMatrix<Val>> {
    let height = 1usize << log_height;
    if ops.len() > height {
        return Err(Error::InvalidInput(format!(
            "{} ops do not fit 2^{log_height} rows",
            ops.len()
        )));
    }
    let mut values = Val::zero_vec(height * width);
    let counts = values
        .par_chunks_mut(width)
        .enumerate()
        .try_fold(FpTableCounter::default, |mut acc, (i, row)| {
            fill(row, ops.get(i).unwrap_or(pad), &mut acc)?;
            Ok::<_, Error>(acc)
        })
        .try_reduce(FpTableCounter::default, |mut a, b| {
            a.merge(&b);
            Ok(a)
        })?;
    counter.merge(&counts);
    Ok(RowMajorMatrix::new(values, width))
}
