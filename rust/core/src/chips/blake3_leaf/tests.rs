//! Tests of the `Blake3Leaf` chip: digests against `commit::leaf_hash`, honest traces
//! satisfy every constraint and balance the buses, each forgery is caught by exactly
//! the constraint group or bus that guards it, and proofs verify (or not).

use std::sync::OnceLock;
use std::time::Instant;

use p3_air::check_all_constraints;
use p3_field::PrimeCharacteristicRing;
use p3_lookup::debug_util::{check_lookups, LookupDebugInstance};
use p3_lookup::Lookups;
use p3_matrix::dense::RowMajorMatrix;

use super::columns::{Blake3LeafCols, ScheduleCols};
use super::trace::{generate_with, Job};
use super::*;
use crate::chips::testing::Sm64;
use crate::commit::leaf::leaf_hash;
use crate::commit::Salt;
use crate::error::Error;
use crate::prover::{catch_panic, Challenge, Val};

fn leaf(seed: u64, nbytes: usize) -> LeafInput {
    let mut rng = Sm64(seed);
    let salt = core::array::from_fn(|_| rng.next() as u8);
    let words = (0..nbytes / 4).map(|_| rng.next() as u32).collect();
    LeafInput { salt, words }
}

fn reference(l: &LeafInput) -> Digest {
    leaf_hash(&Salt(l.salt), &l.chunk_bytes())
}

/// What a (possibly forged) witness violates.
#[derive(Debug)]
struct Outcome {
    /// Violated leaf-chip constraints.
    leaf: Vec<String>,
    /// Violated receiver constraints.
    words: Vec<String>,
    /// The buses balance.
    bus: bool,
}

impl Outcome {
    fn ok(&self) -> bool {
        self.leaf.is_empty() && self.words.is_empty() && self.bus
    }
}

fn failures<A>(air: &A, trace: &RowMajorMatrix<Val>, public: &[Val]) -> Vec<String>
where
    A: for<'a> p3_air::Air<p3_air::DebugConstraintBuilder<'a, Val>>,
{
    check_all_constraints(air, trace, public, Some(8))
        .failures
        .iter()
        .map(|f| format!("row {}: constraint {}", f.row, f.constraint))
        .collect()
}

/// Generates the leaf trace through `tamper`, closes the word bus with a public-words
/// receiver over `receiver` (default: the leaves' words), claims `claimed` digests
/// (default: whatever the forged trace computes) and checks everything.
fn run(
    leaves: &[LeafInput],
    tamper: &dyn Fn(usize, &mut ScheduleCols<u32>, &mut Job),
    claimed: Option<Vec<Digest>>,
    receiver: Option<Vec<Vec<u32>>>,
) -> Outcome {
    let lens: Vec<usize> = leaves.iter().map(|l| 4 * l.words.len()).collect();
    let air = Blake3LeafAir::new(&lens).unwrap();
    let (trace, digests) = generate_with(&air, leaves, tamper).unwrap();
    run_trace(leaves, &air, &trace, &claimed.unwrap_or(digests), receiver)
}

fn run_trace(
    leaves: &[LeafInput],
    air: &Blake3LeafAir,
    trace: &RowMajorMatrix<Val>,
    claimed: &[Digest],
    receiver: Option<Vec<Vec<u32>>>,
) -> Outcome {
    let words: Vec<Vec<u32>> =
        receiver.unwrap_or_else(|| leaves.iter().map(|l| l.words.clone()).collect());
    let refs: Vec<&[u32]> = words.iter().map(|w| w.as_slice()).collect();
    let recv = LeafWordsAir::public(&refs);
    let recv_trace = recv.trace(&refs).unwrap();
    let limbs: Vec<_> = claimed.iter().map(digest_limbs).collect();
    let leaf_pv: Vec<Val> = air.public_values(&limbs);
    let recv_pv = recv.public_values();
    // the bus layout does not depend on the lengths: derive it once
    static LOOKUPS: OnceLock<(Lookups<Val>, Lookups<Val>)> = OnceLock::new();
    let (leaf_lookups, recv_lookups) = LOOKUPS.get_or_init(|| {
        (
            Lookups::<Val>::from_air::<Challenge, _>(air),
            Lookups::<Val>::from_air::<Challenge, _>(&recv),
        )
    });
    let bus = catch_panic(
        || {
            check_lookups(&[
                LookupDebugInstance {
                    main_trace: trace,
                    preprocessed_trace: &None,
                    public_values: &leaf_pv,
                    lookups: leaf_lookups,
                    permutation_challenges: &[],
                },
                LookupDebugInstance {
                    main_trace: &recv_trace,
                    preprocessed_trace: &None,
                    public_values: &recv_pv,
                    lookups: recv_lookups,
                    permutation_challenges: &[],
                },
            ]);
            Ok(())
        },
        Error::Verification,
    )
    .is_ok();
    Outcome {
        leaf: failures(air, trace, &leaf_pv),
        words: failures(&recv, &recv_trace, &recv_pv),
        bus,
    }
}

fn none(_: usize, _: &mut ScheduleCols<u32>, _: &mut Job) {}

fn only_leaf_fails(o: &Outcome) {
    assert!(!o.leaf.is_empty() && o.words.is_empty() && o.bus, "{o:?}");
}

fn only_bus_fails(o: &Outcome) {
    assert!(o.leaf.is_empty() && o.words.is_empty() && !o.bus, "{o:?}");
}

/// Lengths on block, BLAKE3-chunk and subtree boundaries (the 48-byte prefix shifts
/// the chunk: 976 bytes fill the first BLAKE3 chunk exactly).
const LENS: [usize; 16] = [
    4, 8, 12, 16, 20, 60, 64, 972, 976, 980, 1024, 1028, 2048, 3000, 4096, 5120,
];

#[test]
fn digests_equal_leaf_hash() {
    for (i, &n) in LENS.iter().chain(&[MAX_LEAF_CHUNK_BYTES]).enumerate() {
        let l = leaf(i as u64, n);
        let air = Blake3LeafAir::new(&[n]).unwrap();
        let (_, d) = generate_blake3_leaf_trace(&air, core::slice::from_ref(&l)).unwrap();
        assert_eq!(d, vec![reference(&l)], "{n} bytes");
    }
}

#[test]
fn schedule_shape() {
    // 4096 bytes: message 4144 bytes = 4 full BLAKE3 chunks + 48 bytes; 16*4 + 1 blocks,
    // 4 parents (tree ((c0 c1) (c2 c3)) c4)
    let s = schedule::Schedule::new(&[4096]).unwrap();
    let real: Vec<_> = s.rows.iter().filter(|r| r.real == 1).collect();
    assert_eq!(real.len(), 65 + 4);
    assert_eq!(real.iter().filter(|r| r.parent == 1).count(), 4);
    let root = real.last().unwrap();
    assert_eq!(root.flags, PARENT | ROOT);
    assert_eq!(root.send_out, 0);
    assert_eq!(real.iter().filter(|r| r.flags & ROOT != 0).count(), 1);
    let sent: u32 = real.iter().map(|r| r.send.iter().sum::<u32>()).sum();
    assert_eq!(sent, 1024);
    // one-block leaf: start, end and root on the same compression
    let s = schedule::Schedule::new(&[4]).unwrap();
    assert_eq!(s.rows[0].flags, CHUNK_START | CHUNK_END | ROOT);
    assert_eq!(s.rows[0].block_len, 52);
}

#[test]
fn bad_lengths_are_rejected() {
    for lens in [&[0][..], &[3], &[6], &[MAX_LEAF_CHUNK_BYTES + 4], &[]] {
        assert!(matches!(
            Blake3LeafAir::new(lens),
            Err(Error::InvalidInput(_))
        ));
    }
    assert!(matches!(
        Blake3LeafAir::new(&[4; MAX_LEAVES + 1]),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        LeafInput::from_bytes([0; 32], &[1, 2, 3]),
        Err(Error::InvalidInput(_))
    ));
    let air = Blake3LeafAir::new(&[8]).unwrap();
    assert!(matches!(
        generate_blake3_leaf_trace(&air, &[leaf(0, 12)]),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn honest_traces_satisfy_everything() {
    let leaves: Vec<LeafInput> = LENS
        .iter()
        .enumerate()
        .map(|(i, &n)| leaf(i as u64, n))
        .collect();
    let o = run(&leaves, &none, None, None);
    assert!(o.ok(), "{o:?}");
    let o = run(
        &leaves,
        &none,
        Some(leaves.iter().map(reference).collect()),
        None,
    );
    assert!(o.ok(), "{o:?}");
}

fn two_leaves() -> Vec<LeafInput> {
    // 1028 bytes: two BLAKE3 chunks and a parent; 64 bytes: two blocks
    vec![leaf(1, 1028), leaf(2, 64)]
}

fn honest(leaves: &[LeafInput]) -> Vec<Digest> {
    leaves.iter().map(reference).collect()
}

#[test]
fn wrong_public_digest() {
    let leaves = two_leaves();
    let mut d = honest(&leaves);
    let mut b = *d[1].as_bytes();
    b[31] ^= 1;
    d[1] = Digest::from_bytes(b);
    only_leaf_fails(&run(&leaves, &none, Some(d), None));
}

#[test]
fn flipped_chunk_word() {
    let leaves = two_leaves();
    // row 3 is block 3 of leaf 0's first BLAKE3 chunk: message words 48.. = chunk
    // words 36..; flip one, recompute everything downstream honestly
    let flip = |i: usize, _: &mut ScheduleCols<u32>, j: &mut Job| {
        if i == 3 {
            j.msg[5] ^= 1 << 9;
        }
    };
    // digest unchanged (and the receiver given the forged word, so the bus balances):
    // the root check catches it. Message word 53 of the leaf = chunk word 41.
    let mut words: Vec<Vec<u32>> = leaves.iter().map(|l| l.words.clone()).collect();
    words[0][41] ^= 1 << 9;
    only_leaf_fails(&run(
        &leaves,
        &flip,
        Some(honest(&leaves)),
        Some(words.clone()),
    ));
    assert!(run(&leaves, &flip, None, Some(words)).ok());
    // digest of the forged chunk claimed: the word bus catches it
    only_bus_fails(&run(&leaves, &flip, None, None));
}

#[test]
fn wrong_salt() {
    let leaves = two_leaves();
    let mut forged = leaves.clone();
    forged[0].salt[7] ^= 0x80;
    let o = run(&forged, &none, Some(honest(&leaves)), None);
    only_leaf_fails(&o);
}

#[test]
fn broken_chaining() {
    let leaves = two_leaves();
    // a block's input CV (row 1 receives row 0's output)
    let cv = |i: usize, _: &mut ScheduleCols<u32>, j: &mut Job| {
        if i == 1 {
            j.cv[6] ^= 1;
        }
    };
    only_bus_fails(&run(&leaves, &cv, None, None));
    // a parent's left child (leaf 0: rows 0..16 chunk 0, row 16 chunk 1, row 17 parent)
    let child = |i: usize, _: &mut ScheduleCols<u32>, j: &mut Job| {
        if i == 17 {
            j.msg[2] ^= 1 << 20;
        }
    };
    only_bus_fails(&run(&leaves, &child, None, None));
    // ... and its right child
    let child = |i: usize, _: &mut ScheduleCols<u32>, j: &mut Job| {
        if i == 17 {
            j.msg[15] ^= 1;
        }
    };
    only_bus_fails(&run(&leaves, &child, None, None));
    // a chunk-start CV must be the IV
    let start = |i: usize, _: &mut ScheduleCols<u32>, j: &mut Job| {
        if i == 16 {
            j.cv[0] ^= 1;
        }
    };
    only_leaf_fails(&run(&leaves, &start, None, None));
}

#[test]
fn wrong_schedule_values() {
    let leaves = two_leaves();
    type T = fn(&mut ScheduleCols<u32>);
    let forgeries: [(&str, T); 6] = [
        ("flag", |r| r.flags ^= CHUNK_END),
        ("root flag", |r| r.flags |= ROOT),
        ("counter", |r| r.counter += 1),
        ("block_len", |r| r.block_len -= 4),
        ("iv", |r| r.iv = 1),
        ("send", |r| r.send[3] = 0),
    ];
    for (what, f) in forgeries {
        // row 1: a middle block of leaf 0's first BLAKE3 chunk
        let t = |i: usize, r: &mut ScheduleCols<u32>, _: &mut Job| {
            if i == 1 {
                f(r)
            }
        };
        let o = run(&leaves, &t, None, None);
        assert!(!o.leaf.is_empty(), "{what}: {o:?}");
    }
}

#[test]
fn word_under_wrong_slot_or_index() {
    let leaves = two_leaves();
    for f in [
        (|r: &mut ScheduleCols<u32>| r.slot = 1) as fn(&mut ScheduleCols<u32>),
        |r| r.wbase += 1,
    ] {
        let t = |i: usize, r: &mut ScheduleCols<u32>, _: &mut Job| {
            if i == 3 {
                f(r)
            }
        };
        let o = run(&leaves, &t, None, None);
        assert!(!o.leaf.is_empty() && !o.bus, "{o:?}");
    }
    // the receiver expects the words in another order: only the bus sees it
    let mut words: Vec<Vec<u32>> = leaves.iter().map(|l| l.words.clone()).collect();
    words[0].swap(10, 11);
    only_bus_fails(&run(&leaves, &none, None, Some(words.clone())));
    // or under the other slot
    let words = vec![leaves[1].words.clone(), leaves[0].words.clone()];
    let o = run(&leaves, &none, None, Some(words));
    assert!(!o.bus, "{o:?}");
}

#[test]
fn tag_and_padding_words() {
    let leaves = vec![leaf(5, 4)];
    // the tag is constant
    let tag = |i: usize, _: &mut ScheduleCols<u32>, j: &mut Job| {
        if i == 0 {
            j.msg[1] ^= 1 << 31;
        }
    };
    only_leaf_fails(&run(&leaves, &tag, None, None));
    // words past the end of the message are zero
    let pad = |i: usize, _: &mut ScheduleCols<u32>, j: &mut Job| {
        if i == 0 {
            j.msg[14] = 7;
        }
    };
    only_leaf_fails(&run(&leaves, &pad, None, None));
}

#[test]
fn every_cell_is_constrained() {
    // one leaf of two blocks: rows 0, 1 real, rows 2, 3 padding; bump one cell at a time
    let leaves = vec![leaf(9, 52)];
    let air = Blake3LeafAir::new(&[52]).unwrap();
    let (trace, digests) = generate_blake3_leaf_trace(&air, &leaves).unwrap();
    let mut rng = Sm64(42);
    let mut cols: Vec<usize> = (0..NUM_SCHEDULE_COLS).collect();
    cols.extend((0..100).map(|_| rng.below(NUM_BLAKE3_LEAF_COLS as u64) as usize));
    for c in cols {
        for row in [0, 2] {
            let mut t = trace.clone();
            t.values[row * NUM_BLAKE3_LEAF_COLS + c] += Val::ONE;
            let o = run_trace(&leaves, &air, &t, &digests, None);
            assert!(!o.ok(), "row {row} column {c} is free");
        }
    }
    // the column map is what the trace holds
    let cols: &Blake3LeafCols<Val> =
        core::borrow::Borrow::borrow(&trace.values[..NUM_BLAKE3_LEAF_COLS]);
    assert_eq!(cols.sched.real, Val::ONE);
}

#[test]
fn prove_and_verify() {
    let leaves: Vec<LeafInput> = [4, 64, 1024, 1028, 2048, 4096]
        .iter()
        .enumerate()
        .map(|(i, &n)| leaf(100 + i as u64, n))
        .collect();
    let lens: Vec<usize> = leaves.iter().map(|l| 4 * l.words.len()).collect();
    let t = Instant::now();
    let (digests, proof) = prove_leaves(&leaves).unwrap();
    eprintln!(
        "prove {} leaves: {:?}, {} bytes",
        leaves.len(),
        t.elapsed(),
        proof.len()
    );
    assert_eq!(digests, honest(&leaves));
    verify_leaves(&digests, &lens, &proof).unwrap();

    // a wrong digest, wrong lengths, a different leaf count, a flipped proof byte
    let mut bad = digests.clone();
    bad.swap(0, 1);
    assert!(matches!(
        verify_leaves(&bad, &lens, &proof),
        Err(Error::Verification(_))
    ));
    let mut bad_lens = lens.clone();
    bad_lens[1] += 4;
    assert!(verify_leaves(&digests, &bad_lens, &proof).is_err());
    assert!(matches!(
        verify_leaves(&digests[1..], &lens[1..], &proof),
        Err(Error::Verification(_))
    ));
    assert!(matches!(
        verify_leaves(&digests[1..], &lens, &proof),
        Err(Error::InvalidInput(_))
    ));
    let mut p = proof.clone();
    let n = p.len();
    p[n / 2] ^= 1;
    assert!(verify_leaves(&digests, &lens, &p).is_err());
    assert!(verify_leaves(&digests, &lens, &proof[..n / 3]).is_err());
}

#[test]
fn prove_and_verify_public_words() {
    let leaves = two_leaves();
    let (digests, proof) = prove_leaves_public(&leaves).unwrap();
    let words: Vec<&[u32]> = leaves.iter().map(|l| l.words.as_slice()).collect();
    verify_leaves_public(&digests, &words, &proof).unwrap();
    // another chunk word: rejected
    let mut w0 = leaves[0].words.clone();
    w0[100] ^= 1;
    let forged: Vec<&[u32]> = vec![&w0, &leaves[1].words];
    assert!(matches!(
        verify_leaves_public(&digests, &forged, &proof),
        Err(Error::Verification(_))
    ));
    // a proof of the private-words statement is not one of this statement
    let lens: Vec<usize> = leaves.iter().map(|l| 4 * l.words.len()).collect();
    assert!(verify_leaves(&digests, &lens, &proof).is_err());
}

#[test]
fn forged_witness_does_not_prove() {
    // the prover with a witness whose chaining is broken: no verifying proof
    let leaves = two_leaves();
    let lens: Vec<usize> = leaves.iter().map(|l| 4 * l.words.len()).collect();
    let air = Blake3LeafAir::new(&lens).unwrap();
    let cv = |i: usize, _: &mut ScheduleCols<u32>, j: &mut Job| {
        if i == 1 {
            j.cv[6] ^= 1;
        }
    };
    let (trace, digests) = generate_with(&air, &leaves, &cv).unwrap();
    let words: Vec<&[u32]> = leaves.iter().map(|l| l.words.as_slice()).collect();
    let recv = LeafWordsAir::public(&words);
    let recv_trace = recv.trace(&words).unwrap();
    let limbs: Vec<_> = digests.iter().map(digest_limbs).collect();
    if let Ok(proof) = statement::prove_public_traces(air, recv, [trace, recv_trace], &limbs) {
        assert!(verify_leaves_public(&digests, &words, &proof).is_err());
    }
}

/// One 64 KiB leaf (the default chunk size): prove / verify times and proof size.
/// Slow (about a minute on 2 cores): `cargo test --release -p zkattest-core
/// blake3_leaf::tests::one_64k_leaf -- --ignored --nocapture`.
#[test]
#[ignore]
fn one_64k_leaf() {
    let l = leaf(64, MAX_LEAF_CHUNK_BYTES);
    let air = Blake3LeafAir::new(&[MAX_LEAF_CHUNK_BYTES]).unwrap();
    let rows = air.schedule().rows.iter().filter(|r| r.real == 1).count();
    let t = Instant::now();
    let (digests, proof) = prove_leaves(core::slice::from_ref(&l)).unwrap();
    let prove = t.elapsed();
    assert_eq!(digests, vec![reference(&l)]);
    let t = Instant::now();
    verify_leaves(&digests, &[MAX_LEAF_CHUNK_BYTES], &proof).unwrap();
    let verify = t.elapsed();
    eprintln!(
        "64 KiB leaf: {rows} compressions in 2^{} rows x {NUM_BLAKE3_LEAF_COLS} columns; \
         prove {prove:?} ({:.1} us/byte), verify {verify:?}, proof {} bytes",
        air.log_height(),
        prove.as_secs_f64() * 1e6 / MAX_LEAF_CHUNK_BYTES as f64,
        proof.len()
    );
}
