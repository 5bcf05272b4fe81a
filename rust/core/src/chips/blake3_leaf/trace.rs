use core::borrow::BorrowMut;

use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use rayon::prelude::*;

use super::air::Blake3LeafAir;
use super::columns::{Blake3LeafCols, HalfCols, ScheduleCols, BYTES, NUM_BLAKE3_LEAF_COLS};
use super::schedule::Schedule;
use super::{g_indices, initial_state, permute, LeafInput, BLOCK_LEN, CV_WORDS, IV};
use crate::chips::byte_xor::{ByteXorCounter, Flavour};
use crate::commit::domain::DOMAIN_LEAF;
use crate::commit::Digest;
use crate::error::{Error, Result};
use crate::prover::Val;

/// One compression's inputs, as the schedule and the witness fix them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Job {
    /// Input chaining value.
    pub(crate) cv: [u32; CV_WORDS],
    /// Message block.
    pub(crate) msg: [u32; 16],
}

/// Hook that may alter a row's schedule and inputs before it is compressed (tests
/// forge witnesses with it; the honest trace uses none).
pub(crate) type Tamper<'a> = &'a dyn Fn(usize, &mut ScheduleCols<u32>, &mut Job);

/// Every compression's schedule row and inputs (through `tamper`), and the leaves'
/// digests: the sequential pass (children come first).
#[allow(clippy::type_complexity)]
fn compute_jobs(
    sched: &Schedule,
    leaves: &[LeafInput],
    tamper: Tamper<'_>,
) -> Result<(Vec<ScheduleCols<u32>>, Vec<Job>, Vec<Digest>)> {
    if leaves.len() != sched.words.len()
        || leaves
            .iter()
            .zip(&sched.words)
            .any(|(l, &w)| l.words.len() != w)
    {
        return Err(Error::InvalidInput(
            "leaves do not match the chunk lengths the leaf AIR was built for".into(),
        ));
    }
    // message words of each leaf: tag || salt || chunk
    let messages: Vec<Vec<u32>> = leaves
        .iter()
        .map(|l| {
            DOMAIN_LEAF
                .iter()
                .chain(&l.salt)
                .copied()
                .collect::<Vec<u8>>()
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .chain(l.words.iter().copied())
                .collect()
        })
        .collect();
    // sequential pass: every compression's inputs and outputs (children come first)
    let mut jobs = Vec::with_capacity(sched.rows.len());
    let mut rows = Vec::with_capacity(sched.rows.len());
    let mut outs: Vec<[u32; CV_WORDS]> = Vec::with_capacity(sched.rows.len());
    for (i, r) in sched.rows.iter().enumerate() {
        let mut job = job_for(r, &messages, &outs);
        let mut r = *r;
        tamper(i, &mut r, &mut job);
        outs.push(super::compress(
            &job.cv,
            &job.msg,
            r.counter as u64,
            r.block_len,
            r.flags,
        ));
        jobs.push(job);
        rows.push(r);
    }
    let digests = sched
        .roots
        .iter()
        .map(|&root| {
            let mut b = [0u8; 32];
            for (c, w) in b.chunks_exact_mut(4).zip(&outs[root]) {
                c.copy_from_slice(&w.to_le_bytes());
            }
            Digest::from_bytes(b)
        })
        .collect();
    Ok((rows, jobs, digests))
}

fn job_for(r: &ScheduleCols<u32>, messages: &[Vec<u32>], outs: &[[u32; CV_WORDS]]) -> Job {
    if r.real == 0 {
        return Job {
            cv: IV,
            msg: [0; 16],
        };
    }
    let cv = if r.iv == 1 {
        IV
    } else {
        outs[r.in_id as usize - 1]
    };
    let mut msg = [0u32; 16];
    if r.parent == 1 {
        msg[..CV_WORDS].copy_from_slice(&outs[r.left_id as usize - 1]);
        msg[CV_WORDS..].copy_from_slice(&outs[r.right_id as usize - 1]);
    } else {
        let m = &messages[r.slot as usize];
        let base = r.wbase as usize;
        let n = (r.block_len as usize).div_ceil(4).min(BLOCK_LEN / 4);
        msg[..n].copy_from_slice(&m[base..base + n]);
    }
    Job { cv, msg }
}

/// Rows per parallel task (each task counts its byte lookups in its own table).
const ROWS_PER_TASK: usize = 256;

/// The main trace of `air` for `leaves` (same order and chunk lengths as the AIR was
/// built with) and the leaves' digests; the byte lookups are counted into `bytes` (the
/// [`crate::chips::byte_xor::ByteXorTableAir`] multiplicities).
pub fn generate_blake3_leaf_trace(
    air: &Blake3LeafAir,
    leaves: &[LeafInput],
    bytes: &mut ByteXorCounter,
) -> Result<(RowMajorMatrix<Val>, Vec<Digest>)> {
    generate_with(air, leaves, bytes, &|_, _, _| {})
}

/// [`generate_blake3_leaf_trace`] with a [`Tamper`] hook.
pub(crate) fn generate_with(
    air: &Blake3LeafAir,
    leaves: &[LeafInput],
    bytes: &mut ByteXorCounter,
    tamper: Tamper<'_>,
) -> Result<(RowMajorMatrix<Val>, Vec<Digest>)> {
    generate_forged(air, leaves, bytes, tamper, None)
}

/// Where a [`Forge`] hook may change a half G function's values (tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Point {
    /// `a'` and its carries, after the addition.
    A,
    /// `d ^ a'`, before the rotation.
    Z,
    /// `c'` and its carries, after the addition.
    C,
    /// `b ^ c'`, before its split.
    Z2,
}

/// Test hook: `(half index 0..112, point, value, carries)`; later values follow the
/// forged one honestly.
pub(crate) type Forge<'a> = &'a (dyn Fn(usize, Point, &mut u32, &mut [Val; 2]) + Sync);

/// [`generate_with`], and on trace row `forge.0` the hook `forge.1`.
pub(crate) fn generate_forged(
    air: &Blake3LeafAir,
    leaves: &[LeafInput],
    bytes: &mut ByteXorCounter,
    tamper: Tamper<'_>,
    forge: Option<(usize, Forge<'_>)>,
) -> Result<(RowMajorMatrix<Val>, Vec<Digest>)> {
    let (rows, jobs, digests) = compute_jobs(air.schedule(), leaves, tamper)?;
    let mut values = Val::zero_vec(rows.len() * NUM_BLAKE3_LEAF_COLS);
    let counts = values
        .par_chunks_mut(NUM_BLAKE3_LEAF_COLS * ROWS_PER_TASK)
        .zip(
            rows.par_chunks(ROWS_PER_TASK)
                .zip(jobs.par_chunks(ROWS_PER_TASK)),
        )
        .enumerate()
        .map(|(t, (block, (rs, js)))| {
            let mut c = ByteXorCounter::default();
            let rows = block.chunks_exact_mut(NUM_BLAKE3_LEAF_COLS).zip(rs).zip(js);
            for (i, ((row, r), job)) in rows.enumerate() {
                let hook = forge.filter(|f| f.0 == t * ROWS_PER_TASK + i).map(|f| f.1);
                fill_row(row, r, job, &mut c, hook);
            }
            c
        })
        .reduce_with(|mut a, b| {
            a.merge(&b);
            a
        });
    if let Some(c) = counts {
        bytes.merge(&c);
    }
    Ok((RowMajorMatrix::new(values, NUM_BLAKE3_LEAF_COLS), digests))
}

fn set_limbs(dst: &mut [Val; 2], x: u32) {
    dst[0] = Val::from_u32(x & 0xFFFF);
    dst[1] = Val::from_u32(x >> 16);
}

fn set_bytes(dst: &mut [Val; BYTES], x: u32) {
    for (d, b) in dst.iter_mut().zip(x.to_le_bytes()) {
        *d = Val::from_u8(b);
    }
}

fn byte(x: u32, i: usize) -> u32 {
    (x >> (8 * i)) & 0xFF
}

/// `x + y (+ z)` and the carries out of its low and high limbs.
fn add_carries(ins: &[u32]) -> (u32, [u32; 2]) {
    let lo: u32 = ins.iter().map(|x| x & 0xFFFF).sum();
    let hi: u32 = ins.iter().map(|x| x >> 16).sum::<u32>() + (lo >> 16);
    ((lo & 0xFFFF) | (hi & 0xFFFF) << 16, [lo >> 16, hi >> 16])
}

/// Half a G function on `v` (the reference `half_g`), filling `h` and counting lookups.
#[allow(clippy::too_many_arguments)]
fn half(
    v: &mut [u32; 16],
    idx: [usize; 4],
    m: u32,
    second: bool,
    h: &mut HalfCols<Val>,
    c: &mut ByteXorCounter,
    forge: Option<(usize, Forge<'_>)>,
) {
    let [ia, ib, ic, id] = idx;
    let (r1, r2) = if second { (8, 7) } else { (16, 12) };
    let hook = |p: Point, x: &mut u32, carry: &mut [Val; 2]| {
        if let Some((n, f)) = forge {
            f(n, p, x, carry)
        }
    };
    let mut none = [Val::ZERO; 2];
    let (mut a1, ca) = add_carries(&[v[ia], v[ib], m]);
    let mut ca = ca.map(Val::from_u32);
    hook(Point::A, &mut a1, &mut ca);
    let mut z = v[id] ^ a1;
    hook(Point::Z, &mut z, &mut none);
    for i in 0..BYTES {
        c.add(Flavour::Xor, byte(v[id], i), byte(a1, i));
    }
    let d1 = z.rotate_right(r1);
    let (mut c1, cc) = add_carries(&[v[ic], d1]);
    let mut cc = cc.map(Val::from_u32);
    hook(Point::C, &mut c1, &mut cc);
    let mut z2 = v[ib] ^ c1;
    hook(Point::Z2, &mut z2, &mut none);
    let flavour = if second { Flavour::B7 } else { Flavour::Nib };
    let split = if second { 7 } else { 4 };
    for i in 0..BYTES {
        c.add(flavour, byte(v[ib], i), byte(c1, i));
        let zi = byte(z2, i);
        h.b[i] = Val::from_u32(zi & ((1 << split) - 1));
        h.b[BYTES + i] = Val::from_u32(zi >> split);
    }
    let b1 = z2.rotate_right(r2);
    set_bytes(&mut h.a, a1);
    h.a_carry = ca;
    set_bytes(&mut h.d, z);
    set_bytes(&mut h.c, c1);
    h.c_carry = cc;
    v[ia] = a1;
    v[id] = d1;
    v[ic] = c1;
    v[ib] = b1;
}

/// Fills one row: the schedule, the message, the input CV and the rounds; counts the
/// row's byte lookups.
fn fill_row(
    row: &mut [Val],
    r: &ScheduleCols<u32>,
    job: &Job,
    c: &mut ByteXorCounter,
    forge: Option<Forge<'_>>,
) {
    for (d, s) in row.iter_mut().zip(r.values()) {
        *d = Val::from_u32(s);
    }
    let cols: &mut Blake3LeafCols<Val> = row.borrow_mut();
    for (d, &w) in cols.msg.iter_mut().zip(&job.msg) {
        set_limbs(d, w);
        c.add_limb(w & 0xFFFF);
        c.add_limb(w >> 16);
    }
    let mut v = initial_state(&job.cv, r.counter as u64, r.block_len, r.flags);
    for i in 0..4 {
        set_limbs(&mut cols.cv_lo[i], v[i]);
        set_bytes(&mut cols.cv_hi[i], v[4 + i]);
    }
    let mut m = job.msg;
    for (n, rd) in cols.rounds.iter_mut().enumerate() {
        for (step, (base, second)) in [(0, false), (0, true), (4, false), (4, true)]
            .into_iter()
            .enumerate()
        {
            for (i, h) in rd[step].iter_mut().enumerate() {
                let j = base + i;
                let mj = m[2 * j + second as usize];
                let forge = forge.map(|f| (16 * n + 4 * step + i, f));
                half(&mut v, g_indices(j), mj, second, h, c, forge);
            }
        }
        m = permute(&m);
    }
    for (i, o) in cols.out.iter_mut().enumerate() {
        set_bytes(o, v[i] ^ v[i + 8]);
        for j in 0..BYTES {
            c.add(Flavour::Xor, byte(v[i], j), byte(v[i + 8], j));
        }
    }
}
