//! Every LogUp bus of the project, declared in one place. A bus is identified by its
//! name; all AIRs that use the same name share one multiset argument.

use p3_lookup::LookupBus;

/// 16-bit range table: a lookup of `[x]` proves `0 <= x < 2^16`.
pub const RANGE16: LookupBus<'static> = LookupBus::new("range16");

/// The shared floating-point lookup tables (see [`crate::chips::fptables`]): one bus
/// for every table, each tuple `[tag, k_0, .., k_9]` (zero padded to
/// [`FP_TABLE_WIDTH`]). One bus lets the prover pack lookups of different tables into
/// the same LogUp column.
pub const FP_TABLE: LookupBus<'static> = LookupBus::new("fp.table");

/// Tuple width on [`FP_TABLE`]: the tag plus ten key / value elements.
pub const FP_TABLE_WIDTH: usize = 11;

/// Floating-point operations: a chip *receives* `[op, in_0, in_1, in_2, in_3, out_0,
/// out_1]` (16-bit limbs, see [`crate::chips::fptables::OpCode`]) for every op it
/// proves; whatever produces the operands (a public-input AIR, an optimizer chip)
/// sends the same tuple.
pub const FP_OP: p3_lookup::PermutationCheckBus<'static> =
    p3_lookup::PermutationCheckBus::new("fp.op");

/// Tuple width on [`FP_OP`].
pub const FP_OP_WIDTH: usize = 7;

/// Chunk words of in-circuit leaves: `Blake3Leaf` *sends* `[slot, word_index, lo16, hi16]`
/// once per chunk word (slot = leaf of the statement); a consumer receives each once.
pub const LEAF_WORD: p3_lookup::PermutationCheckBus<'static> =
    p3_lookup::PermutationCheckBus::new("leaf.word");

/// Private to `Blake3Leaf`: chaining values `[id, 16 limbs]` between its compressions.
pub const BLAKE3_CV: p3_lookup::PermutationCheckBus<'static> =
    p3_lookup::PermutationCheckBus::new("blake3.cv");

/// The byte table of the narrow BLAKE3 chip (see [`crate::chips::byte_xor`]): tuples
/// `[tag, k1, k2, k3, k4]` (xor, nibble split, 7 + 1 split, 16-bit range).
pub const BYTE_XOR: LookupBus<'static> = LookupBus::new("byte.xor");

/// Tuple width on [`BYTE_XOR`]: the tag plus four elements.
pub const BYTE_XOR_WIDTH: usize = 5;
