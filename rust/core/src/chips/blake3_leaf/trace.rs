use core::borrow::BorrowMut;

use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use rayon::prelude::*;

use super::air::Blake3LeafAir;
use super::columns::{Blake3LeafCols, ScheduleCols, StateCols, NUM_BLAKE3_LEAF_COLS};
use super::{initial_state, permute, round, LeafInput, BLOCK_LEN, CV_WORDS, IV};
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

/// The main trace of `air` for `leaves` (same order and chunk lengths as the AIR was
/// built with), and the leaves' digests.
pub fn generate_blake3_leaf_trace(
    air: &Blake3LeafAir,
    leaves: &[LeafInput],
) -> Result<(RowMajorMatrix<Val>, Vec<Digest>)> {
    generate_with(air, leaves, &|_, _, _| {})
}

/// [`generate_blake3_leaf_trace`] with a [`Tamper`] hook.
pub(crate) fn generate_with(
    air: &Blake3LeafAir,
    leaves: &[LeafInput],
    tamper: Tamper<'_>,
) -> Result<(RowMajorMatrix<Val>, Vec<Digest>)> {
    let sched = air.schedule();
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
    let mut values = Val::zero_vec(sched.rows.len() * NUM_BLAKE3_LEAF_COLS);
    values
        .par_chunks_mut(NUM_BLAKE3_LEAF_COLS)
        .zip(rows.par_iter().zip(&jobs))
        .for_each(|(row, (r, job))| {
            fill_row(row, r, job);
        });
    Ok((RowMajorMatrix::new(values, NUM_BLAKE3_LEAF_COLS), digests))
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

fn set_limbs(dst: &mut [Val; 2], x: u32) {
    dst[0] = Val::from_u32(x & 0xFFFF);
    dst[1] = Val::from_u32(x >> 16);
}

fn set_bits(dst: &mut [Val; 32], x: u32) {
    for (i, d) in dst.iter_mut().enumerate() {
        *d = Val::from_u32((x >> i) & 1);
    }
}

fn set_state(dst: &mut StateCols<Val>, v: &[u32; 16]) {
    for i in 0..4 {
        set_limbs(&mut dst.row0[i], v[i]);
        set_bits(&mut dst.row1[i], v[4 + i]);
        set_limbs(&mut dst.row2[i], v[8 + i]);
        set_bits(&mut dst.row3[i], v[12 + i]);
    }
}

/// Fills one row: the schedule, the message and the intermediate states.
fn fill_row(row: &mut [Val], r: &ScheduleCols<u32>, job: &Job) {
    for (d, s) in row.iter_mut().zip(r.values()) {
        *d = Val::from_u32(s);
    }
    let cols: &mut Blake3LeafCols<Val> = row.borrow_mut();
    for (d, &w) in cols.msg.iter_mut().zip(&job.msg) {
        set_bits(d, w);
    }
    let mut v = initial_state(&job.cv, r.counter as u64, r.block_len, r.flags);
    for i in 0..4 {
        set_limbs(&mut cols.cv_lo[i], v[i]);
        set_bits(&mut cols.cv_hi[i], v[4 + i]);
        set_limbs(&mut cols.iv_row[i], v[8 + i]);
        set_bits(&mut cols.params[i], v[12 + i]);
    }
    let mut m = job.msg;
    for rd in cols.rounds.iter_mut() {
        let mut rec = [[0u32; 16]; 4];
        round(&mut v, &m, Some(&mut rec));
        set_state(&mut rd.col_half, &rec[0]);
        set_state(&mut rd.col_out, &rec[1]);
        set_state(&mut rd.diag_half, &rec[2]);
        set_state(&mut rd.out, &rec[3]);
        m = permute(&m);
    }
    for i in 0..4 {
        set_bits(&mut cols.row2_bits[i], v[8 + i]);
        set_bits(&mut cols.out_lo[i], v[i] ^ v[8 + i]);
    }
}
