//! Standalone leaf statements (tests, benchmarks): the leaf chip, a [`LeafWordsAir`]
//! receiver that closes the word bus, and the byte table.

use p3_matrix::dense::RowMajorMatrix;

use super::air::Blake3LeafAir;
use super::trace::generate_blake3_leaf_trace;
use super::words::LeafWordsAir;
use super::{digest_limbs, LeafInput, DIGEST_LIMBS};
use crate::air_enum;
use crate::chips::byte_xor::{ByteXorCounter, ByteXorTableAir, BYTE_XOR_LOG_HEIGHT};
use crate::commit::Digest;
use crate::error::{Error, Result};
use crate::prover::{Statement, Val};

/// Kind of the statement "I know chunks and salts hashing to these leaf digests".
pub const LEAVES_KIND: &str = "blake3.leaves.v1";
/// Kind of the statement "these public chunks, with private salts, hash to these leaf
/// digests".
pub const LEAVES_PUBLIC_KIND: &str = "blake3.leaves.public.v1";

air_enum! {
    /// The AIRs of a standalone leaf statement.
    pub enum LeavesAir {
        /// The leaf chip.
        Leaf(Blake3LeafAir),
        /// The word receiver.
        Words(LeafWordsAir),
        /// The byte table.
        Bytes(ByteXorTableAir),
    }
}

struct Parts {
    airs: [LeavesAir; 3],
    log_heights: [usize; 3],
    words_public: Vec<Val>,
}

fn parts(leaf: Blake3LeafAir, words: LeafWordsAir) -> Parts {
    Parts {
        log_heights: [leaf.log_height(), words.log_height(), BYTE_XOR_LOG_HEIGHT],
        words_public: words.public_values(),
        airs: [
            LeavesAir::Leaf(leaf),
            LeavesAir::Words(words),
            LeavesAir::Bytes(ByteXorTableAir),
        ],
    }
}

fn public(p: &Parts, digests: &[[u32; DIGEST_LIMBS]]) -> Vec<Vec<Val>> {
    let LeavesAir::Leaf(leaf) = &p.airs[0] else {
        unreachable!("the leaf AIR comes first")
    };
    vec![
        leaf.public_values(digests),
        p.words_public.clone(),
        Vec::new(),
    ]
}

fn prove_with(leaves: &[LeafInput], public_words: bool) -> Result<(Vec<Digest>, Vec<u8>)> {
    let lens: Vec<usize> = leaves.iter().map(|l| 4 * l.words.len()).collect();
    let leaf = Blake3LeafAir::new(&lens)?;
    let words: Vec<&[u32]> = leaves.iter().map(|l| l.words.as_slice()).collect();
    let receiver = if public_words {
        LeafWordsAir::public(&words)
    } else {
        LeafWordsAir::private(&lens.iter().map(|l| l / 4).collect::<Vec<_>>())
    };
    let mut bytes = ByteXorCounter::default();
    let (leaf_trace, digests) = generate_blake3_leaf_trace(&leaf, leaves, &mut bytes)?;
    let words_trace = receiver.trace(&words)?;
    let p = parts(leaf, receiver);
    let limbs: Vec<_> = digests.iter().map(digest_limbs).collect();
    let kind = if public_words {
        LEAVES_PUBLIC_KIND
    } else {
        LEAVES_KIND
    };
    let proof = prove_traces(kind, &p, [leaf_trace, words_trace, bytes.trace()], &limbs)?;
    Ok((digests, proof))
}

fn prove_traces(
    kind: &'static str,
    p: &Parts,
    traces: [RowMajorMatrix<Val>; 3],
    digests: &[[u32; DIGEST_LIMBS]],
) -> Result<Vec<u8>> {
    Statement {
        kind,
        airs: &p.airs,
    }
    .prove(&traces, &public(p, digests))
}

fn verify_with(kind: &'static str, p: &Parts, digests: &[Digest], proof: &[u8]) -> Result<()> {
    let limbs: Vec<_> = digests.iter().map(digest_limbs).collect();
    Statement {
        kind,
        airs: &p.airs,
    }
    .verify(proof, &public(p, &limbs), &p.log_heights)
}

fn check_counts(digests: usize, leaves: usize) -> Result<()> {
    if digests != leaves {
        return Err(Error::InvalidInput(format!(
            "{digests} digests for {leaves} chunks"
        )));
    }
    Ok(())
}

/// Proves that the leaves' chunks, with their private salts, hash to the returned
/// digests (`commit::leaf_hash`); the chunks stay private. Returns the digests and the
/// proof.
pub fn prove_leaves(leaves: &[LeafInput]) -> Result<(Vec<Digest>, Vec<u8>)> {
    prove_with(leaves, false)
}

/// Verifies a [`prove_leaves`] proof for leaf digests and chunk lengths in bytes.
pub fn verify_leaves(digests: &[Digest], lens: &[usize], proof: &[u8]) -> Result<()> {
    check_counts(digests.len(), lens.len())?;
    let leaf = Blake3LeafAir::new(lens)?;
    let receiver = LeafWordsAir::private(&lens.iter().map(|l| l / 4).collect::<Vec<_>>());
    verify_with(LEAVES_KIND, &parts(leaf, receiver), digests, proof)
}

/// Proves that public chunks (the leaves' words) with private salts hash to the returned
/// digests.
pub fn prove_leaves_public(leaves: &[LeafInput]) -> Result<(Vec<Digest>, Vec<u8>)> {
    prove_with(leaves, true)
}

/// Verifies a [`prove_leaves_public`] proof for leaf digests and the chunks' words.
pub fn verify_leaves_public(digests: &[Digest], words: &[&[u32]], proof: &[u8]) -> Result<()> {
    check_counts(digests.len(), words.len())?;
    let lens: Vec<usize> = words.iter().map(|w| 4 * w.len()).collect();
    let leaf = Blake3LeafAir::new(&lens)?;
    verify_with(
        LEAVES_PUBLIC_KIND,
        &parts(leaf, LeafWordsAir::public(words)),
        digests,
        proof,
    )
}

/// Test hook: proves given (possibly tampered) traces under the public-words statement.
#[cfg(test)]
pub(crate) fn prove_public_traces(
    leaf: Blake3LeafAir,
    receiver: LeafWordsAir,
    traces: [RowMajorMatrix<Val>; 3],
    digests: &[[u32; DIGEST_LIMBS]],
) -> Result<Vec<u8>> {
    prove_traces(LEAVES_PUBLIC_KIND, &parts(leaf, receiver), traces, digests)
}

/// Test hook: `(main width, LogUp extension columns incl. the accumulator, log height,
/// preprocessed width)` of every AIR of the private-words statement for `lens`.
#[cfg(test)]
pub(crate) fn leaves_layout(lens: &[usize]) -> Result<Vec<(usize, usize, usize, usize)>> {
    use p3_air::BaseAir;
    use p3_batch_stark::StarkGenericConfig;
    let leaf = Blake3LeafAir::new(lens)?;
    let receiver = LeafWordsAir::private(&lens.iter().map(|l| l / 4).collect::<Vec<_>>());
    let p = parts(leaf, receiver);
    let zk = crate::prover::zk_config().is_zk();
    let degrees: Vec<usize> = p.log_heights.iter().map(|d| d + zk).collect();
    let data = crate::prover::setup::setup(LEAVES_KIND, &p.airs, &degrees);
    Ok(p.airs
        .iter()
        .zip(&p.log_heights)
        .zip(&data.common.lookups)
        .map(|((a, &h), l)| {
            let aux = if l.is_empty() { 0 } else { l.len() + 1 };
            (
                BaseAir::<Val>::width(a),
                aux,
                h,
                BaseAir::<Val>::preprocessed_width(a),
            )
        })
        .collect())
}
