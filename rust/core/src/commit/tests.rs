//! Tests of the commitment scheme (the test vectors are checked in `vectors.rs`).

use proptest::prelude::*;

use super::domain::*;
use super::leaf::{leaf_hash, LeafHasher};
use super::tree::{audit_path, node_hash, path_len, root, root_from_path};
use super::vectors::pattern;
use super::*;
use crate::error::Error;

const SEED: [u8; 32] = [9; 32];

fn digests(n: u64) -> Vec<Digest> {
    (0..n).map(|i| blake3::hash(&i.to_le_bytes())).collect()
}

/// Largest power of two smaller than `n` (`n > 1`): the RFC 9162 split point.
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// RFC 9162 §2.1.1 MTH, written recursively as in the RFC.
fn rfc_root(d: &[Digest]) -> Digest {
    match d.len() {
        0 => blake3::hash(b""),
        1 => d[0],
        n => node_hash(&rfc_root(&d[..split(n)]), &rfc_root(&d[split(n)..])),
    }
}

/// RFC 9162 §2.1.3.1 PATH.
fn rfc_path(m: usize, d: &[Digest]) -> Vec<Digest> {
    let n = d.len();
    if n <= 1 {
        return vec![];
    }
    let k = split(n);
    if m < k {
        let mut p = rfc_path(m, &d[..k]);
        p.push(rfc_root(&d[k..]));
        p
    } else {
        let mut p = rfc_path(m - k, &d[k..]);
        p.push(rfc_root(&d[..k]));
        p
    }
}

#[test]
fn tree_matches_rfc9162() {
    for n in 0..=70u64 {
        let d = digests(n);
        assert_eq!(root(&d), rfc_root(&d), "root n={n}");
        for m in 0..n as usize {
            let p = audit_path(&d, m);
            assert_eq!(p, rfc_path(m, &d), "path n={n} m={m}");
            assert_eq!(p.len(), path_len(m as u64, n));
            assert_eq!(root_from_path(m as u64, n, &d[m], &p).unwrap(), root(&d));
            // For a given tree size, the path binds the index. (It does not bind the
            // size: leaf 0 of 3 and of 4 share a path shape. Sizes are bound elsewhere:
            // chunk counts by the tensor entry, the tensor count by the state root.)
            for m2 in (0..n).filter(|&m2| m2 != m as u64) {
                if let Ok(r) = root_from_path(m2, n, &d[m], &p) {
                    assert_ne!(r, root(&d), "n={n} m={m} -> {m2}");
                }
            }
        }
    }
    assert!(root_from_path(3, 3, &digests(1)[0], &[]).is_err());
}

#[test]
fn leaf_fast_path_matches_definition() {
    let salt = Salt([3; 32]);
    let mut h = LeafHasher::default();
    for n in [
        0, 1, 63, 64, 65, 976, 977, 1023, 1024, 1025, 4096, 65536, 65584,
    ] {
        let chunk = pattern(n);
        let mut reference = blake3::Hasher::new();
        reference.update(DOMAIN_LEAF).update(&salt.0).update(&chunk);
        assert_eq!(leaf_hash(&salt, &chunk), reference.finalize(), "n={n}");
        assert_eq!(h.hash(&salt, &chunk), reference.finalize(), "n={n}");
    }
}

fn view<'a>(name: &'a str, dtype: DType, shape: &'a [u64], data: &'a [u8]) -> TensorView<'a> {
    TensorView {
        name,
        dtype,
        shape,
        data,
    }
}

/// `n` pseudo-random bytes, different for each `tag`.
fn random_bytes(n: usize, tag: u8) -> Vec<u8> {
    let mut v = vec![0; n];
    blake3::Hasher::new()
        .update(&[tag])
        .finalize_xof()
        .fill(&mut v);
    v
}

/// A small state: (name, dtype, shape, bytes).
fn sample() -> Vec<(String, DType, Vec<u64>, Vec<u8>)> {
    vec![
        ("w".into(), DType::BF16, vec![10, 33], random_bytes(660, 1)),
        ("b".into(), DType::F32, vec![33], random_bytes(132, 2)),
        ("step".into(), DType::I64, vec![], random_bytes(8, 3)),
        ("empty".into(), DType::U8, vec![0], vec![]),
        ("mask".into(), DType::Bool, vec![200], random_bytes(200, 4)),
    ]
}

fn commit(
    key: &StepKey,
    chunk: usize,
    s: &[(String, DType, Vec<u64>, Vec<u8>)],
) -> StateCommitment {
    let views: Vec<_> = s.iter().map(|(n, d, sh, b)| view(n, *d, sh, b)).collect();
    commit_with_step_key(key, chunk, &views).unwrap()
}

#[test]
fn roots_are_deterministic_and_sensitive() {
    let s = sample();
    let key = derive_step_key(&SEED, 5);
    let base = commit(&key, 64, &s);
    assert_eq!(base.root, commit(&key, 64, &s).root);
    assert_eq!(
        base.root,
        commit_step(
            &SEED,
            5,
            64,
            &s.iter()
                .map(|(n, d, sh, b)| view(n, *d, sh, b))
                .collect::<Vec<_>>()
        )
        .unwrap()
        .root
    );
    // Tensor order does not matter.
    let mut rev = s.clone();
    rev.reverse();
    assert_eq!(base.root, commit(&key, 64, &rev).root);
    // Other seed, step or chunk size: other root.
    assert_ne!(
        base.root,
        commit(&derive_step_key(&[8; 32], 5), 64, &s).root
    );
    assert_ne!(base.root, commit(&derive_step_key(&SEED, 6), 64, &s).root);
    assert_ne!(base.root, commit(&key, 128, &s).root);
    // Any changed byte, dtype, shape or name changes the root.
    for t in 0..s.len() {
        for i in 0..s[t].3.len() {
            let mut m = s.clone();
            m[t].3[i] ^= 1;
            assert_ne!(base.root, commit(&key, 64, &m).root, "tensor {t} byte {i}");
        }
        let mut m = s.clone();
        m[t].0.push('x');
        assert_ne!(base.root, commit(&key, 64, &m).root);
    }
    let mut m = s.clone();
    m[0].1 = DType::F16;
    assert_ne!(base.root, commit(&key, 64, &m).root);
    m[0].1 = DType::BF16;
    m[0].2 = vec![33, 10];
    assert_ne!(base.root, commit(&key, 64, &m).root);
}

#[test]
fn thread_count_does_not_change_the_root() {
    let s = sample();
    let key = derive_step_key(&SEED, 1);
    let r = commit(&key, 64, &s).root;
    for n in [1, 2, 3] {
        assert_eq!(
            with_threads(Some(n), || commit(&key, 64, &s).root).unwrap(),
            r
        );
    }
    assert!(matches!(
        with_threads(Some(0), || ()),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn every_chunk_proof_verifies_and_tampering_fails() {
    let s = sample();
    let key = derive_step_key(&SEED, 2);
    let c = commit(&key, 64, &s);
    let chunk_size = 64;
    for (name, _, _, data) in &s {
        for (i, chunk) in data.chunks(chunk_size).enumerate() {
            let i = i as u64;
            let proof = c.prove_chunk(name, i).unwrap();
            let bytes = proof.to_bytes();
            let proof = ChunkProof::from_bytes(&bytes).unwrap();
            let salt = chunk_salt(&key, name, i);
            verify_chunk(&c.root, name, i, chunk, &salt, &proof).unwrap();
            verify_leaf(&c.root, name, i, &leaf::leaf_hash(&salt, chunk), &proof).unwrap();

            let fails = |r: crate::Result<()>| assert!(matches!(r, Err(Error::Verification(_))));
            let mut bad = chunk.to_vec();
            bad[0] ^= 1;
            fails(verify_chunk(&c.root, name, i, &bad, &salt, &proof));
            fails(verify_chunk(&c.root, name, i, &chunk[1..], &salt, &proof));
            fails(verify_chunk(
                &c.root,
                name,
                i,
                chunk,
                &Salt([0; 32]),
                &proof,
            ));
            fails(verify_chunk(&c.root, name, i + 1, chunk, &salt, &proof));
            fails(verify_chunk(&c.root, "other", i, chunk, &salt, &proof));
            let mut root = *c.root.as_bytes();
            root[31] ^= 0x80;
            fails(verify_chunk(
                &Digest::from_bytes(root),
                name,
                i,
                chunk,
                &salt,
                &proof,
            ));
            // Flip every bit position of every byte of the serialized proof: it either
            // fails to parse or fails to verify.
            for at in 0..bytes.len() {
                let mut b = bytes.clone();
                b[at] ^= 1 << (at % 8);
                match ChunkProof::from_bytes(&b) {
                    Err(Error::Malformed { .. }) => {}
                    Err(e) => panic!("unexpected error {e}"),
                    Ok(p) => assert!(
                        verify_chunk(&c.root, name, i, chunk, &salt, &p).is_err(),
                        "flipped byte {at} of the proof of {name}[{i}] still verifies"
                    ),
                }
            }
        }
    }
    assert!(matches!(
        c.prove_chunk("nope", 0),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        c.prove_chunk("empty", 0),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        c.prove_chunk("w", 11),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn proof_parsing_is_strict() {
    let s = sample();
    let c = commit(&derive_step_key(&SEED, 2), 64, &s);
    let bytes = c.prove_chunk("w", 3).unwrap().to_bytes();
    for cut in 0..bytes.len() {
        assert!(matches!(
            ChunkProof::from_bytes(&bytes[..cut]),
            Err(Error::Malformed { .. })
        ));
    }
    let mut long = bytes.clone();
    long.push(0);
    assert!(matches!(
        ChunkProof::from_bytes(&long),
        Err(Error::Malformed { .. })
    ));
    assert_eq!(ChunkProof::from_bytes(&bytes).unwrap().to_bytes(), bytes);
}

#[test]
fn bad_input_is_rejected() {
    let key = derive_step_key(&SEED, 0);
    let d = vec![0u8; 8];
    let inv = |r: crate::Result<StateCommitment>| assert!(matches!(r, Err(Error::InvalidInput(_))));
    inv(commit_with_step_key(&key, 64, &[]));
    inv(commit_with_step_key(
        &key,
        100,
        &[view("a", DType::U8, &[8], &d)],
    ));
    inv(commit_with_step_key(
        &key,
        32,
        &[view("a", DType::U8, &[8], &d)],
    ));
    inv(commit_with_step_key(
        &key,
        1 << 25,
        &[view("a", DType::U8, &[8], &d)],
    ));
    inv(commit_with_step_key(
        &key,
        64,
        &[view("a", DType::F32, &[3], &d)],
    ));
    inv(commit_with_step_key(
        &key,
        64,
        &[view("", DType::U8, &[8], &d)],
    ));
    inv(commit_with_step_key(
        &key,
        64,
        &[view("a", DType::U8, &[u64::MAX, 2], &d)],
    ));
    inv(commit_with_step_key(
        &key,
        64,
        &[
            view("a", DType::U8, &[8], &d),
            view("a", DType::U8, &[8], &d),
        ],
    ));
    assert!(DType::from_tag("c64").is_err());
}

fn shard_root(key: &StepKey, meta: &TensorMeta, data: &[u8], cuts: &[usize], cs: usize) -> Digest {
    let mut bounds = vec![0];
    bounds.extend(cuts.iter().map(|c| c * cs).filter(|&b| b < data.len()));
    bounds.push(data.len());
    bounds.dedup();
    let mut shards: Vec<ShardLeaves> = bounds
        .windows(2)
        .map(|w| commit_shard(key, meta.name(), cs, w[0] as u64, &data[w[0]..w[1]]).unwrap())
        .collect();
    shards.reverse();
    tensor_from_shards(meta.clone(), cs, shards).unwrap().root
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn sharding_does_not_change_the_root(
        len in 0usize..3000,
        mut cuts in proptest::collection::vec(0usize..50, 0..6),
    ) {
        let cs = 64;
        let data = pattern(len);
        let key = derive_step_key(&SEED, 4);
        let whole = commit_tensor(&key, cs, &view("t", DType::U8, &[len as u64], &data)).unwrap();
        cuts.sort_unstable();
        prop_assert_eq!(shard_root(&key, &whole.meta, &data, &cuts, cs), whole.root);
    }
}

#[test]
fn bad_shards_are_rejected() {
    let key = derive_step_key(&SEED, 4);
    let data = pattern(300);
    let meta = TensorMeta::new("t", DType::U8, &[300]).unwrap();
    let sh =
        |off: usize, end: usize| commit_shard(&key, "t", 64, off as u64, &data[off..end]).unwrap();
    let inv = |shards: Vec<ShardLeaves>| {
        assert!(matches!(
            tensor_from_shards(meta.clone(), 64, shards),
            Err(Error::InvalidInput(_))
        ))
    };
    assert!(commit_shard(&key, "t", 64, 10, &data[10..]).is_err());
    inv(vec![sh(0, 128)]); // missing tail
    inv(vec![sh(0, 128), sh(192, 300)]); // gap
    inv(vec![sh(0, 192), sh(128, 300)]); // overlap
    inv(vec![sh(0, 100), sh(128, 300)]); // first shard ends mid-chunk
    let mut other = sh(128, 300);
    other.name = "u".into();
    inv(vec![sh(0, 128), other]);
    let mut short = sh(128, 300);
    short.leaves.pop();
    inv(vec![sh(0, 128), short]);
    tensor_from_shards(meta.clone(), 64, vec![sh(128, 300), sh(0, 128)]).unwrap();
}

fn write_safetensors(path: &std::path::Path, header: &str, data: &[u8]) {
    let mut b = (header.len() as u64).to_le_bytes().to_vec();
    b.extend_from_slice(header.as_bytes());
    b.extend_from_slice(data);
    std::fs::write(path, b).unwrap();
}

#[test]
fn safetensors_file_commits_like_its_tensors() {
    let dir = std::env::temp_dir().join(format!("zkattest-commit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("m.safetensors");
    let w = pattern(600);
    let b = pattern(12);
    let mut data = b.clone();
    data.extend_from_slice(&w);
    let header = r#"{"__metadata__":{"format":"pt"},"w":{"dtype":"BF16","shape":[10,30],"data_offsets":[12,612]},"b":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"e":{"dtype":"I64","shape":[0],"data_offsets":[12,12]}  }"#;
    write_safetensors(&path, header, &data);
    let key = derive_step_key(&SEED, 3);
    let from_file = commit_safetensors(&path, &key, 64).unwrap();
    let loaded = commit_with_step_key(
        &key,
        64,
        &[
            view("w", DType::BF16, &[10, 30], &w),
            view("b", DType::F32, &[3], &b),
            view("e", DType::I64, &[0], &[]),
        ],
    )
    .unwrap();
    assert_eq!(from_file.root, loaded.root);

    let malformed = |header: &str, data: &[u8]| {
        write_safetensors(&path, header, data);
        let r = commit_safetensors(&path, &key, 64);
        assert!(
            matches!(
                r,
                Err(Error::Malformed { .. }) | Err(Error::InvalidInput(_))
            ),
            "{header}: {r:?}"
        );
    };
    malformed(
        r#"{"b":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}"#,
        &data,
    ); // trailing
    malformed(
        r#"{"b":{"dtype":"F32","shape":[4],"data_offsets":[0,12]}}"#,
        &b,
    ); // size
    malformed(
        r#"{"b":{"dtype":"C64","shape":[3],"data_offsets":[0,12]}}"#,
        &b,
    ); // dtype
    malformed(
        r#"{"b":{"dtype":"F32","shape":[3],"data_offsets":[0,12],"x":1}}"#,
        &b,
    );
    malformed(
        r#"{"b":{"dtype":"F32","shape":[3],"data_offsets":[4,16]}}"#,
        &data[..16],
    );
    malformed(r#"["b"]"#, &b);
    malformed(r#"{"b":{"dtype":"F32""#, &b);
    std::fs::write(&path, [1, 0, 0]).unwrap();
    assert!(matches!(
        commit_safetensors(&path, &key, 64),
        Err(Error::Malformed { .. })
    ));
    std::fs::write(&path, u64::MAX.to_le_bytes()).unwrap();
    assert!(matches!(
        commit_safetensors(&path, &key, 64),
        Err(Error::Malformed { .. })
    ));
    assert!(matches!(
        commit_safetensors(&dir.join("missing"), &key, 64),
        Err(Error::Io(_))
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}
