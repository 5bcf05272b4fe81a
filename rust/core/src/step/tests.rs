//! Step-chunk proofs: honest SGD and AdamW chunks verify; a wrong update, a stale
//! gradient, wrong scalars, swapped or stale leaves, a changed flag and a flipped proof
//! byte are rejected; the public encoding round-trips and rejects malformed bytes.

use super::*;
use crate::chips::testing::Sm64;
use crate::commit::leaf::leaf_hash;
use crate::commit::salt::Salt;
use crate::error::Error;
use crate::optim::{
    adamw_element, sgd_element, AdamWHyper, AdamWScalars, SgdHyper, SgdScalars, Soft,
};
use crate::prover::Val;

const N: usize = 8;

fn vals(seed: u64, n: usize, nonneg: bool) -> Vec<u32> {
    let mut rng = Sm64(seed);
    (0..n)
        .map(|_| {
            let x = match rng.below(8) {
                0 => 0,
                _ => (rng.next() as u32 & 0x807F_FFFF) | ((110 + rng.below(20) as u32) << 23),
            };
            if nonneg {
                x & 0x7FFF_FFFF
            } else {
                x
            }
        })
        .collect()
}

fn salt(i: u8) -> Salt {
    Salt([i; 32])
}

fn sgd(momentum: f64, wd: f64, nesterov: bool, maximize: bool) -> StepScalars {
    let h = SgdHyper {
        momentum,
        dampening: 0.0,
        weight_decay: wd,
        nesterov,
        maximize,
    };
    StepScalars::Sgd(SgdScalars::new(&h, 0.1).unwrap())
}

fn adamw(wd: f64, beta1: f64, step: u64) -> StepScalars {
    let h = AdamWHyper {
        beta1,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: wd,
        maximize: false,
    };
    StepScalars::AdamW(AdamWScalars::new(&h, 1e-3, step).unwrap())
}

struct Data {
    param: Vec<u32>,
    grad: Vec<u32>,
    bufs: Vec<Vec<u32>>,
}

fn data(seed: u64, n: usize, nbufs: usize) -> Data {
    Data {
        param: vals(seed, n, false),
        grad: vals(seed + 100, n, false),
        bufs: (0..nbufs)
            .map(|j| vals(seed + 200 + j as u64, n, j == 1))
            .collect(),
    }
}

fn chunk<'a>(s: StepScalars, step: u64, d: &'a Data) -> StepChunk<'a> {
    let nb = d.bufs.len();
    let after = 1 + s.buffers_after();
    StepChunk {
        scalars: s,
        step,
        param: &d.param,
        grad: &d.grad,
        bufs: d.bufs.iter().map(|b| b.as_slice()).collect(),
        salts_before: (0..=nb as u8).map(|i| salt(10 + i)).collect(),
        grad_salt: salt(9),
        salts_after: (0..after as u8).map(|i| salt(20 + i)).collect(),
    }
}

fn bytes(w: &[u32]) -> Vec<u8> {
    w.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The reference after-state of a chunk, in output-slot order.
fn reference(c: &StepChunk<'_>) -> Vec<Vec<u32>> {
    let n = c.param.len();
    match c.scalars {
        StepScalars::Sgd(s) => {
            let init = c.init_buf();
            let mut p = Vec::new();
            let mut b = Vec::new();
            for i in 0..n {
                let buf = c.bufs.first().map_or(0, |x| x[i]);
                let (p2, b2) = sgd_element(&mut Soft, &s, c.param[i], c.grad[i], buf, init);
                p.push(p2);
                b.push(b2);
            }
            if s.use_momentum {
                vec![p, b]
            } else {
                vec![p]
            }
        }
        StepScalars::AdamW(s) => {
            let mut out = vec![Vec::new(), Vec::new(), Vec::new()];
            for i in 0..n {
                let (p, m, v) = adamw_element(
                    &mut Soft,
                    &s,
                    c.param[i],
                    c.grad[i],
                    c.bufs[0][i],
                    c.bufs[1][i],
                );
                out[0].push(p);
                out[1].push(m);
                out[2].push(v);
            }
            out
        }
    }
}

/// Fast proofs: the test-only word sender replaces the (slow to set up) leaf chip, so
/// the leaves are not bound; the `full_*` tests (ignored by default) use the real chip.
const DEV: bool = true;

fn prove_dev(c: &StepChunk<'_>) -> Result<(StepChunkPublic, Vec<u8>), Error> {
    statement::prove_tampered(c, DEV, |_| {})
}

fn honest(c: &StepChunk<'_>) -> (StepChunkPublic, Vec<u8>) {
    honest_with(c, DEV)
}

fn honest_with(c: &StepChunk<'_>, dev: bool) -> (StepChunkPublic, Vec<u8>) {
    let (public, proof) = statement::prove_tampered(c, dev, |_| {}).unwrap();
    statement::verify_with(&public, &proof, dev).unwrap();
    // The leaves are the reference leaves of the chunks before and after.
    let after = reference(c);
    let mut want = vec![
        leaf_hash(&c.salts_before[0], &bytes(c.param)),
        leaf_hash(&c.grad_salt, &bytes(c.grad)),
    ];
    for (b, s) in c.bufs.iter().zip(&c.salts_before[1..]) {
        want.push(leaf_hash(s, &bytes(b)));
    }
    for (w, s) in after.iter().zip(&c.salts_after) {
        want.push(leaf_hash(s, &bytes(w)));
    }
    assert_eq!(public.leaves, want);
    let back = StepChunkPublic::from_bytes(&public.to_bytes()).unwrap();
    assert_eq!(back, public);
    (public, proof)
}

fn rejected(public: &StepChunkPublic, proof: &[u8], what: &str) {
    rejected_with(public, proof, what, DEV)
}

fn rejected_with(public: &StepChunkPublic, proof: &[u8], what: &str, dev: bool) {
    match statement::verify_with(public, proof, dev) {
        Err(Error::Verification(_)) | Err(Error::Malformed { .. }) => {}
        other => panic!("{what}: expected a verification failure, got {other:?}"),
    }
}

#[test]
fn honest_sgd_chunks_verify() {
    let cases = [
        (sgd(0.0, 0.0, false, false), 0, 1),
        (sgd(0.0, 0.01, false, true), 0, 2),
        (sgd(0.9, 0.0, false, false), 1, 3),
        (sgd(0.9, 0.0, false, false), 0, 4), // first momentum step: no buffer before
        (sgd(0.9, 0.01, true, false), 1, 5),
    ];
    for (s, nbufs, seed) in cases {
        let d = data(seed, N, nbufs);
        let (public, _) = honest(&chunk(s, 7, &d));
        assert_eq!(
            public.init_buf,
            nbufs == 0 && matches!(s, StepScalars::Sgd(x) if x.use_momentum)
        );
    }
}

#[test]
fn honest_adamw_chunks_verify() {
    for (wd, beta1, seed) in [(0.01, 0.9, 1), (0.0, 0.3, 2)] {
        let d = data(seed, N, 2);
        honest(&chunk(adamw(wd, beta1, 3), 3, &d));
    }
}

#[test]
fn sgd_forgeries_are_rejected() {
    let s = sgd(0.9, 0.01, false, false);
    let d = data(11, N, 1);
    let c = chunk(s, 5, &d);
    let (public, proof) = honest(&c);

    // a wrong update in one element: the after-chunk holds another word
    match statement::prove_tampered(&c, DEV, |out| out[0][3] ^= 1) {
        Err(_) => {}
        Ok((p, pf)) => rejected(&p, &pf, "wrong update"),
    }

    // wrong lr_t in the public scalars
    let mut p = public.clone();
    let StepScalars::Sgd(ref mut sc) = p.scalars else {
        unreachable!()
    };
    sc.neg_lr ^= 1;
    rejected(&p, &proof, "wrong lr");

    // a changed flag (nesterov on)
    let mut p = public.clone();
    let StepScalars::Sgd(ref mut sc) = p.scalars else {
        unreachable!()
    };
    sc.nesterov = true;
    rejected(&p, &proof, "changed flag");

    // a flipped proof byte, at several places
    for at in [0, proof.len() / 3, proof.len() / 2, proof.len() - 1] {
        let mut bad = proof.clone();
        bad[at] ^= 0x01;
        rejected(&public, &bad, "flipped byte");
    }
}

/// With the real leaf chip: honest SGD and AdamW chunks verify, and a stale gradient,
/// a swapped chunk, leaves of another step and a wrong update are rejected (~25 s).
#[test]
fn full_leaf_binding() {
    let s = sgd(0.9, 0.01, false, false);
    let d = data(11, N, 1);
    let c = chunk(s, 5, &d);
    let (public, proof) = honest_with(&c, false);
    let full = |p: &StepChunkPublic, what: &str| rejected_with(p, &proof, what, false);

    // a stale gradient: the claim names another step's gradient leaf
    let other = data(12, N, 1);
    let mut p = public.clone();
    p.leaves[1] = leaf_hash(&c.grad_salt, &bytes(&other.grad));
    full(&p, "stale gradient");

    // a swapped chunk: the leaves of another chunk of the same step
    let c2 = chunk(s, 5, &other);
    let (public2, _) = prove_step_chunk(&c2).unwrap();
    let mut p = public.clone();
    p.leaves = public2.leaves.clone();
    full(&p, "swapped chunk");

    // leaves from another step (other salts for the same words)
    let mut c3 = c.clone();
    c3.salts_after = vec![salt(40), salt(41)];
    c3.salts_before = vec![salt(42), salt(43)];
    let mut p = public.clone();
    p.leaves = prove_dev(&c3).unwrap().0.leaves;
    full(&p, "leaves of another step");

    // a wrong update: the after-leaf hashes another word than the update computes
    match statement::prove_tampered(&c, false, |out| out[0][3] ^= 1) {
        Err(_) => {}
        Ok((p, pf)) => rejected_with(&p, &pf, "wrong update", false),
    }

    let d = data(21, N, 2);
    honest_with(&chunk(adamw(0.01, 0.9, 4), 4, &d), false);
}

#[test]
fn adamw_forgeries_are_rejected() {
    let d = data(21, N, 2);
    let c = chunk(adamw(0.01, 0.9, 4), 4, &d);
    let (public, proof) = honest(&c);
    match statement::prove_tampered(&c, DEV, |out| out[2][0] ^= 0x10) {
        Err(_) => {}
        Ok((p, pf)) => rejected(&p, &pf, "wrong exp_avg_sq"),
    }
    // the bias correction of another step
    let mut p = public.clone();
    let StepScalars::AdamW(ref mut sc) = p.scalars else {
        unreachable!()
    };
    *sc = match adamw(0.01, 0.9, 5) {
        StepScalars::AdamW(x) => AdamWScalars { step: 4, ..x },
        _ => unreachable!(),
    };
    rejected(&p, &proof, "scalars of another step");
    // weight decay flag off
    let mut p = public.clone();
    let StepScalars::AdamW(ref mut sc) = p.scalars else {
        unreachable!()
    };
    sc.use_weight_decay = false;
    rejected(&p, &proof, "weight decay flag");
}

#[test]
fn bad_input_is_rejected() {
    let d = data(31, N, 1);
    let s = sgd(0.9, 0.0, false, false);
    let mut c = chunk(s, 1, &d);
    c.grad = &d.grad[..N - 1];
    assert!(matches!(prove_step_chunk(&c), Err(Error::InvalidInput(_))));
    let mut c = chunk(s, 1, &d);
    c.salts_after.pop();
    assert!(matches!(prove_step_chunk(&c), Err(Error::InvalidInput(_))));
    let nan = vec![0x7FC0_0000u32; N];
    let mut c = chunk(s, 1, &d);
    c.param = &nan;
    assert!(matches!(prove_step_chunk(&c), Err(Error::InvalidInput(_))));
    // AdamW step mismatch
    let d2 = data(32, N, 2);
    let c = chunk(adamw(0.0, 0.9, 2), 3, &d2);
    assert!(matches!(prove_step_chunk(&c), Err(Error::InvalidInput(_))));
}

#[test]
fn public_bytes_reject_malformed_input() {
    let d = data(41, N, 2);
    let c = chunk(adamw(0.0, 0.9, 2), 2, &d);
    let mut leaves = vec![crate::commit::Digest::from([7u8; 32]); 7];
    leaves[0] = crate::commit::Digest::from([1u8; 32]);
    let p = StepChunkPublic {
        scalars: c.scalars,
        step: 2,
        n: N,
        init_buf: false,
        leaves,
    };
    let b = p.to_bytes();
    assert_eq!(StepChunkPublic::from_bytes(&b).unwrap(), p);
    for cut in [0, 5, STEP_PUBLIC_MAGIC.len() + 1, b.len() - 1] {
        assert!(matches!(
            StepChunkPublic::from_bytes(&b[..cut]),
            Err(Error::Malformed { .. })
        ));
    }
    let mut extra = b.clone();
    extra.push(0);
    assert!(StepChunkPublic::from_bytes(&extra).is_err());
    let mut bad = b.clone();
    bad[STEP_PUBLIC_MAGIC.len()] = 9; // optimizer tag
    assert!(StepChunkPublic::from_bytes(&bad).is_err());
    let mut bad = b.clone();
    bad[0] ^= 1; // magic
    assert!(StepChunkPublic::from_bytes(&bad).is_err());
}

/// The AdamW chunk of the split tests: 8 elements send 40 or 48 adds and 48 muls, so
/// both chips are split into two instances (2^5 rows, then 2^3 or 2^4).
fn split_case() -> Data {
    data(51, N, 2)
}

#[test]
fn forged_op_in_the_second_instance_is_rejected() {
    let d = split_case();
    let c = chunk(adamw(0.01, 0.9, 4), 4, &d);
    let first = 1usize << 5;
    let mut add_instances = 0;
    // control: the same path without a forgery verifies
    statement::prove_edited(
        &c,
        "none",
        |ops| assert!(ops.add.len() > first && ops.mul.len() > first),
        |airs, _| add_instances = airs.iter().filter(|a| matches!(a, StepAir::Add(_))).count(),
    )
    .unwrap();
    assert_eq!(add_instances, 2);
    // The second add instance proves another (true) op than the update chip sent: its
    // rows satisfy the add chip and the tables balance, only `FP_OP` does not.
    let forged = statement::prove_edited(&c, "add2", |ops| ops.add[first].0 ^= 1 << 16, |_, _| {});
    assert!(
        forged.is_err(),
        "a forged op in the second add instance verified"
    );
    let forged = statement::prove_edited(&c, "mul2", |ops| ops.mul[first + 1].1 ^= 1, |_, _| {});
    assert!(
        forged.is_err(),
        "a forged op in the second mul instance verified"
    );
}

#[test]
fn u16_table_lacking_a_looked_up_set_is_rejected() {
    use crate::chips::fptables::{U16Set, U16TableAir};
    use p3_matrix::dense::RowMajorMatrix;
    use p3_matrix::Matrix;

    let d = split_case();
    let c = chunk(adamw(0.01, 0.9, 4), 4, &d);
    // The derived subset: what the chips look up, not the unary / BF16 sets.
    let mut sets = None;
    statement::prove_edited(
        &c,
        "none",
        |_| {},
        |airs, _| {
            sets = airs.iter().find_map(|a| match a {
                StepAir::U16(t) => Some(t.sets),
                _ => None,
            })
        },
    )
    .unwrap();
    let sets = sets.unwrap();
    assert!(!sets.contains(U16Set::Gelu) && !sets.contains(U16Set::Exp));
    assert!(!sets.is_empty() && sets.len() < U16Set::ALL.len());
    // Drop a provided set (its column too): the lookups of it no longer balance. Three
    // of the sets (first, a middle one, last), to keep the test short.
    let provided: Vec<U16Set> = sets.iter().collect();
    for drop in [
        provided[0],
        provided[provided.len() / 2],
        provided[provided.len() - 1],
    ] {
        let res = statement::prove_edited(
            &c,
            &format!("drop-{drop:?}"),
            |_| {},
            |airs, traces| {
                let i = airs
                    .iter()
                    .position(|a| matches!(a, StepAir::U16(_)))
                    .unwrap();
                let col = sets.column(drop).unwrap();
                airs[i] = StepAir::U16(U16TableAir {
                    sets: sets.without(drop),
                });
                let t = &traces[i];
                let values = t
                    .rows()
                    .flat_map(|r| r.enumerate().filter(|&(j, _)| j != col).map(|(_, v)| v))
                    .collect();
                traces[i] = RowMajorMatrix::new(values, sets.len() - 1);
            },
        );
        assert!(res.is_err(), "a table without {drop:?} verified");
    }
}

#[test]
fn missing_small_table_is_rejected() {
    use crate::chips::fptables::{SmallTable, SmallTableAir};
    use p3_field::PrimeCharacteristicRing;
    use p3_matrix::dense::RowMajorMatrix;

    let d = split_case();
    let c = chunk(adamw(0.01, 0.9, 4), 4, &d);
    let mut used = Vec::new();
    statement::prove_edited(
        &c,
        "none",
        |_| {},
        |airs, _| {
            used = airs
                .iter()
                .filter_map(|a| match a {
                    StepAir::Small(t) => Some(t.table),
                    _ => None,
                })
                .collect()
        },
    )
    .unwrap();
    // FP32 chips never look up the BF16 product tables.
    assert!(!used.contains(&SmallTable::Macq) && !used.contains(&SmallTable::Mulq));
    assert!(used.contains(&SmallTable::Shift));
    // Replace a used table by an unused one of the same height: its lookups miss.
    let mut swapped = 0;
    for &t in &used {
        let Some(other) = SmallTable::ALL
            .into_iter()
            .find(|u| !used.contains(u) && u.log_height() == t.log_height())
        else {
            continue;
        };
        let res = statement::prove_edited(
            &c,
            &format!("swap-{}", t.name()),
            |_| {},
            |airs, traces| {
                let i = airs
                    .iter()
                    .position(|a| matches!(a, StepAir::Small(s) if s.table == t))
                    .unwrap();
                airs[i] = StepAir::Small(SmallTableAir { table: other });
                traces[i] = RowMajorMatrix::new(Val::zero_vec(1 << t.log_height()), 1);
            },
        );
        assert!(res.is_err(), "a statement without {} verified", t.name());
        swapped += 1;
    }
    assert!(swapped > 0);
}

#[test]
fn proof_for_one_n_does_not_verify_as_another() {
    let d = data(61, N, 2);
    let c = chunk(adamw(0.01, 0.9, 4), 4, &d);
    let (public, proof) = honest(&c);
    for n in [N - 1, N + 1, 2 * N, 5 * N] {
        let mut p = public.clone();
        p.n = n;
        rejected(&p, &proof, &format!("n = {n}"));
    }
}
