"""Python-side protocol constants: the single source of truth for URIs, types and versions.

Anything that ends up inside a signed or hashed object is defined here once; modules
import it rather than repeating a literal. Changing any value here changes the protocol
(and must bump the corresponding version).
"""

from __future__ import annotations

from typing import Final

# --- DSSE (https://github.com/secure-systems-lab/dsse, protocol.md) -------------------
#: PAE prefix; PAE = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body.
DSSE_PAE_PREFIX: Final = b"DSSEv1"
#: payloadType of every zkattest envelope (an in-toto Statement inside).
DSSE_PAYLOAD_TYPE: Final = "application/vnd.in-toto+json"

# --- in-toto Statement v1 ---------------------------------------------------------------
INTOTO_STATEMENT_TYPE: Final = "https://in-toto.io/Statement/v1"
#: SLSA provenance v1 predicate type (for the provenance view of the final weights).
SLSA_PROVENANCE_V1: Final = "https://slsa.dev/provenance/v1"

# --- zkattest predicate types (versioned URIs) -------------------------------------------
PREDICATE_BASE: Final = "https://zkattest.dev"
PREDICATE_SPEC_V1: Final = f"{PREDICATE_BASE}/spec/v1"
PREDICATE_GENESIS_V1: Final = f"{PREDICATE_BASE}/genesis/v1"
PREDICATE_STEP_V1: Final = f"{PREDICATE_BASE}/step/v1"
PREDICATE_INVARIANTS_V1: Final = f"{PREDICATE_BASE}/invariants/v1"
PREDICATE_CHECKPOINT_V1: Final = f"{PREDICATE_BASE}/checkpoint/v1"

# --- Merkle log (RFC 9162 §2.1, SHA-256) -------------------------------------------------
MERKLE_HASH_ALGORITHM: Final = "sha256"
MERKLE_HASH_SIZE: Final = 32
#: Domain prefix of a leaf hash: SHA256(0x00 || data).
MERKLE_LEAF_PREFIX: Final = b"\x00"
#: Domain prefix of an interior node: SHA256(0x01 || left || right).
MERKLE_NODE_PREFIX: Final = b"\x01"

# --- RunLog ------------------------------------------------------------------------------
#: Version of the StepRecord leaf format (the ``v`` field of every record).
LOG_LEAF_VERSION: Final = 1
#: Version of the checkpoint predicate body (``v`` field).
CHECKPOINT_VERSION: Final = 1
#: Schema version of the SQLite run-log file (``PRAGMA user_version``).
LOG_DB_SCHEMA_VERSION: Final = 1
#: SQLite ``application_id`` of a run-log file: ASCII "ZKAL".
LOG_DB_APPLICATION_ID: Final = 0x5A4B414C
#: First line ``format`` value of a JSON Lines log export.
LOG_EXPORT_FORMAT: Final = "zkattest-runlog-jsonl"
LOG_EXPORT_VERSION: Final = 1
#: Subject name of a checkpoint statement (the subject digest is the log root).
CHECKPOINT_SUBJECT_NAME: Final = "zkattest-runlog"
#: SQLite ``synchronous`` levels the RunLog accepts (FULL is the default).
LOG_SYNCHRONOUS_LEVELS: Final = ("OFF", "NORMAL", "FULL", "EXTRA")
LOG_DEFAULT_SYNCHRONOUS: Final = "FULL"

# --- Keys --------------------------------------------------------------------------------
ED25519_PUBLIC_KEY_SIZE: Final = 32
ED25519_SIGNATURE_SIZE: Final = 64
PRIVATE_KEY_SUFFIX: Final = ".key"
PUBLIC_KEY_SUFFIX: Final = ".pub"
