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

# --- Proof bundle (docs/bundle.md) -------------------------------------------------------
#: Format version of a proof bundle (``bundle_version`` in the signed manifest).
BUNDLE_VERSION: Final = 1
SUPPORTED_BUNDLE_VERSIONS: Final = (BUNDLE_VERSION,)
#: Predicate type of the signed bundle manifest.
PREDICATE_BUNDLE_V1: Final = f"{PREDICATE_BASE}/bundle/v1"
#: Predicate type of the final-model statement.
PREDICATE_FINAL_V1: Final = f"{PREDICATE_BASE}/final/v1"
#: Version of the zkattest predicate bodies written into a bundle (``v`` field).
BUNDLE_PREDICATE_VERSION: Final = 1
#: Member names of a v1 bundle.
BUNDLE_MANIFEST: Final = "manifest.dsse.json"
BUNDLE_SPEC: Final = "spec.json"
BUNDLE_SPEC_ENVELOPE: Final = "spec.dsse.json"
BUNDLE_GENESIS: Final = "genesis.dsse.json"
BUNDLE_LOG: Final = "log.jsonl"
BUNDLE_PROOF_INDEX: Final = "proofs/index.jsonl"
#: Directory of proof blobs; blob ``i`` is ``proofs/<i:08d>.bin``.
BUNDLE_PROOF_DIR: Final = "proofs/"
BUNDLE_INVARIANTS: Final = "invariants.dsse.json"
BUNDLE_FINAL: Final = "final.dsse.json"
BUNDLE_PROVENANCE: Final = "provenance.dsse.json"
#: Optional: the batch multi-proof (every batch's examples under the dataset root).
BUNDLE_BATCHES: Final = "batches.json"
#: Optional field of the genesis predicate: the disclosed init seed opening.
GENESIS_OPENING_FIELD: Final = "opening"
#: Default member name of the final weights, when they ship in the bundle.
BUNDLE_WEIGHTS: Final = "model.safetensors"
#: Subject name of the statements about the run as a whole (the spec digest).
SPEC_SUBJECT_NAME: Final = "training-spec"
#: Media type of a proof bundle (SLSA provenance byproduct, HTTP uploads).
BUNDLE_MEDIA_TYPE: Final = "application/vnd.zkattest.bundle.v1"
#: Keys a StepRecord's ``extra`` may carry for the invariant checks.
RECORD_EXTRA_HYPERPARAMETERS: Final = "hyperparameters"
#: SLSA provenance: the build type of a zkattest training run and the builder id.
SLSA_BUILD_TYPE: Final = f"{PREDICATE_BASE}/training/v1"
SLSA_BUILDER_ID: Final = f"{PREDICATE_BASE}/trainer"
#: DigestSet key of a committed dataset root (not a standard in-toto algorithm, so
#: in-toto consumers ignore it, as the spec requires).
DATASET_ROOT_DIGEST_KEY: Final = "zkattest-dataset-root"
#: Proof kind of the foundation's smoke statement (dot product of two u16 vectors).
PROOF_KIND_SMOKE: Final = "smoke.dot16.v1"

#: Step-chunk pairs the demo's spec challenges (``make demo``): enough to show step proofs
#: end to end, few enough to prove in about a minute on 2 cores.
DEMO_CHALLENGES: Final = 6
#: Attested steps of the demo run (``make demo``, ``examples/train_digits.py``).
DEMO_STEPS: Final = 300
