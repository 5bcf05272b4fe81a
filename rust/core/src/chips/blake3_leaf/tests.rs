//! Tests of the `Blake3Leaf` chip: digests against `commit::leaf_hash` and the
//! `blake3` crate, honest traces satisfy every constraint and balance every bus (the
//! byte table included), and each forgery is caught by exactly the constraint group,
//! byte lookup or bus that guards it.

use std::collections::HashSet;
use std::sync::OnceLock;
use std::time::Instant;

use p3_air::{check_all_constraints, BaseAir};
use p3_field::{Field, PrimeCharacteristicRing, PrimeField32};
use p3_lookup::debug_util::{check_lookups, LookupDebugInstance};
use p3_lookup::{Kind, Lookup, Lookups};
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;
use proptest::prelude::*;

use super::columns::{Blake3LeafCols, ScheduleCols};
use super::trace::{generate_forged, Job, Point};
use super::*;
use crate::chips::bus::BYTE_XOR;
use crate::chips::byte_xor::{ByteXorCounter, ByteXorTableAir, Flavour};
use crate::chips::testing::{RowBuilder, Sm64};
use crate::commit::leaf::leaf_hash;
use crate::commit::{Digest, Salt};
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
    /// Byte lookups that are not table tuples.
    bytes: Vec<String>,
    /// The CV and word buses balance.
    bus: bool,
}

impl Outcome {
    fn ok(&self) -> bool {
        self.leaf.is_empty() && self.words.is_empty() && self.bytes.is_empty() && self.bus
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

fn is_byte(l: &Lookup<Val>) -> bool {
    l.kind == Kind::Global(BYTE_XOR.name().to_string())
}

fn lookups_of(air: &Blake3LeafAir) -> &'static Lookups<Val> {
    static LOOKUPS: OnceLock<Lookups<Val>> = OnceLock::new();
    LOOKUPS.get_or_init(|| Lookups::<Val>::from_air::<Challenge, _>(air))
}

/// Every tuple the byte table provides.
fn table() -> &'static HashSet<Vec<Val>> {
    static SET: OnceLock<HashSet<Vec<Val>>> = OnceLock::new();
    SET.get_or_init(|| {
        let mut s = HashSet::new();
        for r in 0..1u32 << 16 {
            for f in Flavour::ALL {
                s.insert(f.tuple(r as u8, (r >> 8) as u8).map(Val::from_u32).to_vec());
            }
        }
        s
    })
}

/// Byte lookups of the leaf trace that are not table tuples.
fn byte_misses(air: &Blake3LeafAir, trace: &RowMajorMatrix<Val>, public: &[Val]) -> Vec<String> {
    let mut out = Vec::new();
    for r in 0..trace.height() {
        let cur = trace.row_slice(r).unwrap().to_vec();
        let periodic: Vec<Val> = air.periodic_values(r);
        let b = RowBuilder::new(&cur, &periodic, public);
        for l in lookups_of(air).iter().filter(|l| is_byte(l)) {
            for t in &l.elements {
                let t: Vec<Val> = t.iter().map(|e| e.resolve(&b)).collect();
                if !table().contains(&t) {
                    out.push(format!("row {r}: {t:?}"));
                }
            }
        }
        if out.len() > 16 {
            break;
        }
    }
    out
}

/// Generates the leaf trace through `tamper` (and `forge`), closes the word bus with a
/// public-words receiver over `receiver` (default: the leaves' words), claims `claimed`
/// digests (default: whatever the forged trace computes) and checks everything.
fn run_forged(
    leaves: &[LeafInput],
    tamper: &dyn Fn(usize, &mut ScheduleCols<u32>, &mut Job),
    forge: Option<(usize, super::trace::Forge<'_>)>,
    claimed: Option<Vec<Digest>>,
    receiver: Option<Vec<Vec<u32>>>,
) -> Outcome {
    let lens: Vec<usize> = leaves.iter().map(|l| 4 * l.words.len()).collect();
    let air = Blake3LeafAir::new(&lens).unwrap();
    let mut c = ByteXorCounter::default();
    let (trace, digests) = generate_forged(&air, leaves, &mut c, tamper, forge).unwrap();
    run_trace(leaves, &air, &trace, &claimed.unwrap_or(digests), receiver)
}

fn run(
    leaves: &[LeafInput],
    tamper: &dyn Fn(usize, &mut ScheduleCols<u32>, &mut Job),
    claimed: Option<Vec<Digest>>,
    receiver: Option<Vec<Vec<u32>>>,
) -> Outcome {
    run_forged(leaves, tamper, None, claimed, receiver)
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
    static RECV: OnceLock<Lookups<Val>> = OnceLock::new();
    let recv_lookups = RECV.get_or_init(|| Lookups::<Val>::from_air::<Challenge, _>(&recv));
    // the CV and word buses (the byte lookups are checked against the table below)
    let chain: Vec<Lookup<Val>> = lookups_of(air)
        .iter()
        .filter(|l| !is_byte(l))
        .cloned()
        .collect();
    let bus = catch_panic(
        || {
            check_lookups(&[
                LookupDebugInstance {
                    main_trace: trace,
                    preprocessed_trace: &None,
                    public_values: &leaf_pv,
                    lookups: &chain,
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
        bytes: byte_misses(air, trace, &leaf_pv),
        bus,
    }
}

fn none(_: usize, _: &mut ScheduleCols<u32>, _: &mut Job) {}

fn only_leaf_fails(o: &Outcome) {
    assert!(
        !o.leaf.is_empty() && o.words.is_empty() && o.bytes.is_empty() && o.bus,
        "{o:?}"
    );
}

fn only_bus_fails(o: &Outcome) {
    assert!(
        o.leaf.is_empty() && o.words.is_empty() && o.bytes.is_empty() && !o.bus,
        "{o:?}"
    );
}

fn only_bytes_fail(o: &Outcome) {
    assert!(
        o.leaf.is_empty() && o.words.is_empty() && !o.bytes.is_empty() && o.bus,
        "{o:?}"
    );
}

/// Lengths on block, BLAKE3-chunk and subtree boundaries (the 48-byte prefix shifts
/// the chunk: 976 bytes fill the first BLAKE3 chunk exactly).
const LENS: [usize; 16] = [
    4, 8, 12, 16, 20, 60, 64, 972, 976, 980, 1024, 1028, 2048, 3000, 4096, 5120,
];

fn trace_of(
    leaves: &[LeafInput],
) -> (
    Blake3LeafAir,
    RowMajorMatrix<Val>,
    Vec<Digest>,
    ByteXorCounter,
) {
    let lens: Vec<usize> = leaves.iter().map(|l| 4 * l.words.len()).collect();
    let air = Blake3LeafAir::new(&lens).unwrap();
    let mut c = ByteXorCounter::default();
    let (t, d) = generate_blake3_leaf_trace(&air, leaves, &mut c).unwrap();
    (air, t, d, c)
}

#[test]
fn digests_equal_leaf_hash() {
    for (i, &n) in LENS.iter().chain(&[MAX_LEAF_CHUNK_BYTES]).enumerate() {
        let l = leaf(i as u64, n);
        let (_, _, d, _) = trace_of(core::slice::from_ref(&l));
        assert_eq!(d, vec![reference(&l)], "{n} bytes");
    }
}

#[test]
fn width() {
    // 30 schedule + 32 message limbs + 8 + 16 CV + 7 x 16 halves x 24 + 32 output
    assert_eq!(NUM_BLAKE3_LEAF_COLS, 2806);
    assert_eq!(
        BaseAir::<Val>::width(&Blake3LeafAir::new(&[4]).unwrap()),
        2806
    );
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
        generate_blake3_leaf_trace(&air, &[leaf(0, 12)], &mut ByteXorCounter::default()),
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

#[test]
fn byte_table_balances() {
    // every bus, the byte table with the counted multiplicities included
    let leaves = vec![leaf(1, 1028), leaf(2, 64)];
    let (air, trace, digests, counter) = trace_of(&leaves);
    let words: Vec<&[u32]> = leaves.iter().map(|l| l.words.as_slice()).collect();
    let recv = LeafWordsAir::public(&words);
    let recv_trace = recv.trace(&words).unwrap();
    let limbs: Vec<_> = digests.iter().map(digest_limbs).collect();
    let leaf_pv: Vec<Val> = air.public_values(&limbs);
    let table_main = counter.trace();
    let table_prep = BaseAir::<Val>::preprocessed_trace(&ByteXorTableAir);
    let table_lookups = Lookups::<Val>::from_air::<Challenge, _>(&ByteXorTableAir);
    let recv_lookups = Lookups::<Val>::from_air::<Challenge, _>(&recv);
    let recv_pv = recv.public_values();
    let check = |main: &RowMajorMatrix<Val>| {
        catch_panic(
            || {
                check_lookups(&[
                    LookupDebugInstance {
                        main_trace: &trace,
                        preprocessed_trace: &None,
                        public_values: &leaf_pv,
                        lookups: lookups_of(&air),
                        permutation_challenges: &[],
                    },
                    LookupDebugInstance {
                        main_trace: &recv_trace,
                        preprocessed_trace: &None,
                        public_values: &recv_pv,
                        lookups: &recv_lookups,
                        permutation_challenges: &[],
                    },
                    LookupDebugInstance {
                        main_trace: main,
                        preprocessed_trace: &table_prep,
                        public_values: &[],
                        lookups: &table_lookups,
                        permutation_challenges: &[],
                    },
                ]);
                Ok(())
            },
            Error::Verification,
        )
    };
    check(&table_main).unwrap();
    // 960 byte lookups per row
    assert_eq!(counter.total(), 960 * trace.height() as u64);
    // one multiplicity off: unbalanced
    let mut bad = table_main.clone();
    bad.values[5] += Val::ONE;
    assert!(check(&bad).is_err());
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
    let mut words: Vec<Vec<u32>> = leaves.iter().map(|l| l.words.clone()).collect();
    words[0][41] ^= 1 << 9;
    only_leaf_fails(&run(
        &leaves,
        &flip,
        Some(honest(&leaves)),
        Some(words.clone()),
    ));
    assert!(run(&leaves, &flip, None, Some(words)).ok());
    only_bus_fails(&run(&leaves, &flip, None, None));
}

#[test]
fn wrong_salt() {
    let leaves = two_leaves();
    let mut forged = leaves.clone();
    forged[0].salt[7] ^= 0x80;
    only_leaf_fails(&run(&forged, &none, Some(honest(&leaves)), None));
}

#[test]
fn broken_chaining() {
    let leaves = two_leaves();
    let cv = |i: usize, _: &mut ScheduleCols<u32>, j: &mut Job| {
        if i == 1 {
            j.cv[6] ^= 1;
        }
    };
    only_bus_fails(&run(&leaves, &cv, None, None));
    // a CV word kept as limbs (state row 0)
    let cv = |i: usize, _: &mut ScheduleCols<u32>, j: &mut Job| {
        if i == 1 {
            j.cv[1] ^= 1 << 17;
        }
    };
    only_bus_fails(&run(&leaves, &cv, None, None));
    let child = |i: usize, _: &mut ScheduleCols<u32>, j: &mut Job| {
        if i == 17 {
            j.msg[2] ^= 1 << 20;
        }
    };
    only_bus_fails(&run(&leaves, &child, None, None));
    let child = |i: usize, _: &mut ScheduleCols<u32>, j: &mut Job| {
        if i == 17 {
            j.msg[15] ^= 1;
        }
    };
    only_bus_fails(&run(&leaves, &child, None, None));
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
    let mut words: Vec<Vec<u32>> = leaves.iter().map(|l| l.words.clone()).collect();
    words[0].swap(10, 11);
    only_bus_fails(&run(&leaves, &none, None, Some(words)));
    let words = vec![leaves[1].words.clone(), leaves[0].words.clone()];
    assert!(!run(&leaves, &none, None, Some(words)).bus);
}

#[test]
fn tag_and_padding_words() {
    let leaves = vec![leaf(5, 4)];
    let tag = |i: usize, _: &mut ScheduleCols<u32>, j: &mut Job| {
        if i == 0 {
            j.msg[1] ^= 1 << 31;
        }
    };
    only_leaf_fails(&run(&leaves, &tag, None, None));
    let pad = |i: usize, _: &mut ScheduleCols<u32>, j: &mut Job| {
        if i == 0 {
            j.msg[14] = 7;
        }
    };
    only_leaf_fails(&run(&leaves, &pad, None, None));
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
    let mut bytes = ByteXorCounter::default();
    let (trace, digests) = generate_forged(&air, &leaves, &mut bytes, &cv, None).unwrap();
    let words: Vec<&[u32]> = leaves.iter().map(|l| l.words.as_slice()).collect();
    let recv = LeafWordsAir::public(&words);
    let recv_trace = recv.trace(&words).unwrap();
    let limbs: Vec<_> = digests.iter().map(digest_limbs).collect();
    if let Ok(proof) =
        statement::prove_public_traces(air, recv, [trace, recv_trace, bytes.trace()], &limbs)
    {
        assert!(verify_leaves_public(&digests, &words, &proof).is_err());
    }
}

// ---- one forgery per constraint group: only that group catches it ----

/// The root row of leaf 1 of [`two_leaves`] (its second block).
const ROOT_ROW: usize = 19;

/// Half `n` of [`ROOT_ROW`] forged at `point` by `f(value, carries)`, everything after
/// it honest; the claimed digest is whatever the forged row outputs.
fn forge_half(n: usize, point: Point, f: fn(&mut u32, &mut [Val; 2])) -> Outcome {
    let hook = move |k: usize, p: Point, x: &mut u32, c: &mut [Val; 2]| {
        if k == n && p == point {
            f(x, c)
        }
    };
    let leaves = two_leaves();
    let air = Blake3LeafAir::new(&[1028, 64]).unwrap();
    assert_eq!(air.schedule().roots[1], ROOT_ROW);
    let mut c = ByteXorCounter::default();
    let (trace, mut digests) =
        generate_forged(&air, &leaves, &mut c, &none, Some((ROOT_ROW, &hook))).unwrap();
    let row = &trace.values[ROOT_ROW * NUM_BLAKE3_LEAF_COLS..][..NUM_BLAKE3_LEAF_COLS];
    let cols: &Blake3LeafCols<Val> = core::borrow::Borrow::borrow(row);
    let out: Vec<u8> = cols
        .out
        .iter()
        .flatten()
        .map(|b| b.as_canonical_u32() as u8)
        .collect();
    digests[1] = Digest::from_bytes(out.try_into().unwrap());
    run_trace(&leaves, &air, &trace, &digests, None)
}

#[test]
fn forged_addition_is_caught_by_the_addition() {
    // a' + 1 with the honest carries: the limb equation fails, nothing else
    for (n, point) in [(0, Point::A), (37, Point::C), (111, Point::A)] {
        let o = forge_half(n, point, |x, _| *x = x.wrapping_add(1));
        only_leaf_fails(&o);
        assert!(o.leaf.iter().all(|f| f.starts_with("row 19:")), "{o:?}");
    }
}

#[test]
fn forged_carry_is_caught_by_the_carry_range() {
    // a' - d with carries c0 + d / 2^16, c1 + d / 2^32 (field elements): both limb
    // equations hold and the bytes stay bytes; only c (c - 1) (c - 2) = 0 fails
    let o = forge_half(5, Point::A, |x, c| {
        let d = *x & 0xFF;
        assert!(d > 0);
        *x -= d;
        let inv16 = Val::from_u32(1 << 16).inverse();
        c[0] += Val::from_u32(d) * inv16;
        c[1] += Val::from_u32(d) * inv16 * inv16;
    });
    only_leaf_fails(&o);
    assert!(o.leaf.len() <= 2, "{o:?}");
    // and the boolean carries of c + d'
    let o = forge_half(6, Point::C, |x, c| {
        let d = *x & 0xFF;
        *x -= d;
        let inv16 = Val::from_u32(1 << 16).inverse();
        c[0] += Val::from_u32(d) * inv16;
        c[1] += Val::from_u32(d) * inv16 * inv16;
    });
    only_leaf_fails(&o);
}

#[test]
fn forged_xor_outputs_are_caught_by_the_byte_lookups() {
    // d ^ a' (XOR), b ^ c' before its nibble split (NIB) and its 7 + 1 split (B7):
    // another value, everything after it honest
    for (n, point) in [
        (0, Point::Z),
        (4, Point::Z2),
        (8, Point::Z2),
        (111, Point::Z),
    ] {
        let o = forge_half(n, point, |x, _| *x ^= 1 << 12);
        only_bytes_fail(&o);
    }
}

/// Row 1 of [`two_leaves`]' honest trace, `edit`ed.
fn edit_cells(edit: impl Fn(&mut Blake3LeafCols<Val>)) -> Outcome {
    let leaves = two_leaves();
    let (air, mut trace, digests, _) = trace_of(&leaves);
    let row = &mut trace.values[NUM_BLAKE3_LEAF_COLS..2 * NUM_BLAKE3_LEAF_COLS];
    edit(core::borrow::BorrowMut::borrow_mut(row));
    run_trace(&leaves, &air, &trace, &digests, None)
}

#[test]
fn out_of_range_bytes_are_caught_by_the_byte_lookups() {
    let k256 = Val::from_u32(256);
    // a' bytes (b0 + 256, b1 - 1: the same limb), in every position that enters a
    // lookup: a', c', the xor d ^ a', the output
    let borrow = |b: &mut [Val; 4]| {
        if b[1] == Val::ZERO {
            b[1] = Val::ONE;
            b[0] -= k256;
        } else {
            b[1] -= Val::ONE;
            b[0] += k256;
        }
    };
    only_bytes_fail(&edit_cells(|c| borrow(&mut c.rounds[2][1][3].a)));
    only_bytes_fail(&edit_cells(|c| borrow(&mut c.rounds[6][3][0].c)));
    only_bytes_fail(&edit_cells(|c| borrow(&mut c.out[5])));
    only_bytes_fail(&edit_cells(|c| borrow(&mut c.cv_hi[2])));
    // a nibble split lo4 + 16, hi4 - 1 (same byte of b ^ c', other rotation)
    let o = edit_cells(|c| {
        let h = &mut c.rounds[0][0][0];
        h.b[0] += Val::from_u32(16);
        h.b[4] -= Val::ONE;
    });
    assert!(!o.bytes.is_empty(), "{o:?}");
}

#[test]
fn out_of_range_message_limbs_are_caught_by_r16() {
    // salt word 4 (private, never sent) as (lo16 + 2^16, hi16 - 1), the same word mod
    // 2^32: every addition using it absorbs the extra 2^16 in its low carry; only the
    // R16 lookup sees it. Message word 4 enters one half G per round; find a salt whose
    // low carries all allow +1.
    for seed in 0..64 {
        let leaves = vec![leaf(1000 + seed, 64)];
        let (air, mut trace, digests, _) = trace_of(&leaves);
        let row = &mut trace.values[..NUM_BLAKE3_LEAF_COLS];
        let cols: &mut Blake3LeafCols<Val> = core::borrow::BorrowMut::borrow_mut(row);
        cols.msg[4][0] += Val::from_u32(1 << 16);
        cols.msg[4][1] -= Val::ONE;
        let mut fits = cols.msg[4][1] != -Val::ONE;
        let mut pos = 4;
        for rd in cols.rounds.iter_mut() {
            let (j, second) = (pos / 2, pos % 2 == 1);
            let h = &mut rd[2 * (j / 4) + second as usize][j % 4];
            if h.a_carry[0] == Val::TWO {
                fits = false;
            }
            h.a_carry[0] += Val::ONE;
            pos = MSG_PERMUTATION.iter().position(|&p| p == pos).unwrap();
        }
        if !fits {
            continue;
        }
        let o = run_trace(&leaves, &air, &trace, &digests, None);
        only_bytes_fail(&o);
        return;
    }
    panic!("no salt found");
}

#[test]
fn every_cell_is_constrained() {
    // one leaf of two blocks: rows 0, 1 real, rows 2, 3 padding; bump one cell at a time
    let leaves = vec![leaf(9, 52)];
    let (air, trace, digests, _) = trace_of(&leaves);
    let mut rng = Sm64(42);
    let mut cols: Vec<usize> = (0..NUM_SCHEDULE_COLS + 56).collect();
    cols.extend((0..100).map(|_| rng.below(NUM_BLAKE3_LEAF_COLS as u64) as usize));
    cols.extend(NUM_BLAKE3_LEAF_COLS - 40..NUM_BLAKE3_LEAF_COLS);
    for c in cols {
        for row in [0, 2] {
            let mut t = trace.clone();
            t.values[row * NUM_BLAKE3_LEAF_COLS + c] += Val::ONE;
            let o = run_trace(&leaves, &air, &t, &digests, None);
            assert!(!o.ok(), "row {row} column {c} is free");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]
    /// Random salts and chunks (up to three BLAKE3 chunks): the trace's digest is the
    /// `blake3` crate's hash of the leaf message, and the trace satisfies the chip.
    #[test]
    fn compression_matches_blake3(seed in any::<u64>(), words in 1usize..700) {
        let l = leaf(seed, 4 * words);
        let (air, trace, digests, _) = trace_of(core::slice::from_ref(&l));
        let mut h = blake3::Hasher::new();
        h.update(crate::commit::domain::DOMAIN_LEAF);
        h.update(&l.salt);
        h.update(&l.chunk_bytes());
        let want = h.finalize();
        prop_assert_eq!(digests[0].as_bytes(), want.as_bytes());
        let o = run_trace(core::slice::from_ref(&l), &air, &trace, &digests, None);
        prop_assert!(o.ok(), "{:?}", o);
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

/// Seven 64 KiB leaves (a 16,384-parameter AdamW chunk hashes seven): layout, prove and
/// verify times. Slow: `cargo test --release -p zkattest-core
/// blake3_leaf::tests::seven_64k_leaves -- --ignored --nocapture`.
#[test]
#[ignore]
fn seven_64k_leaves() {
    let leaves: Vec<LeafInput> = (0..7)
        .map(|i| leaf(700 + i, MAX_LEAF_CHUNK_BYTES))
        .collect();
    let lens = vec![MAX_LEAF_CHUNK_BYTES; 7];
    let air = Blake3LeafAir::new(&lens).unwrap();
    let compressions = air.schedule().rows.iter().filter(|r| r.real == 1).count();
    let layout = statement::leaves_layout(&lens).unwrap();
    for (i, (main, aux, h, prep)) in layout.iter().enumerate() {
        eprintln!(
            "air {i}: 2^{h} rows x (main {main} + 4 x aux {aux} + prep {prep}) = {} cells",
            (main + 4 * aux + prep) << h
        );
    }
    let (main, aux, _, _) = layout[0];
    let table: usize = layout[2..]
        .iter()
        .map(|(m, a, h, p)| (m + 4 * a + p) << h)
        .sum();
    eprintln!(
        "{compressions} compressions; per compression: main {main}, aux {} (4 x {aux}), \
         table {:.0} (amortized), total {:.0}",
        4 * aux,
        table as f64 / compressions as f64,
        (main + 4 * aux) as f64 + table as f64 / compressions as f64
    );
    let t = Instant::now();
    let (digests, proof) = prove_leaves(&leaves).unwrap();
    let prove = t.elapsed();
    assert_eq!(digests, honest(&leaves));
    let t = Instant::now();
    verify_leaves(&digests, &lens, &proof).unwrap();
    eprintln!(
        "7 x 64 KiB: prove {prove:?}, verify {:?}, proof {} bytes",
        t.elapsed(),
        proof.len()
    );
}
