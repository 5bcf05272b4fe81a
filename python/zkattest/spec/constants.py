"""Constants of the TrainingSpec format: the single source of truth for every literal
that ends up inside a spec document (and therefore inside its digest).

Changing any value here changes the spec format and must bump :data:`SPEC_SCHEMA_V1`.
"""

from __future__ import annotations

from typing import Final

from zkattest import _core

#: Schema version carried by every spec (the ``schema`` field). A spec naming any other
#: version is rejected with :class:`~zkattest.errors.UnsupportedVersionError`.
SPEC_SCHEMA_V1: Final = "zkattest.spec/v1"
SUPPORTED_SPEC_SCHEMAS: Final = (SPEC_SCHEMA_V1,)

# --- numeric limits ------------------------------------------------------------------
#: Counts (batch size, dataset size) must fit an unsigned 64-bit integer on the Rust side.
MAX_U64: Final = 2**64 - 1
#: Upper bound on max_steps and every step count in a schedule. Well below 2**53, so
#: int -> float64 is exact and int -> float32 (via float64) rounds exactly once.
MAX_STEPS_LIMIT: Final = 2**40
#: FLOP budgets are unbounded in practice (1e25 and beyond); they must fit a u128.
MAX_FLOPS: Final = 2**128 - 1
#: Tensor dimensions and parameter counts fit an i64 on the Rust / torch side.
MAX_DIM: Final = 2**63 - 1

# --- tensors -------------------------------------------------------------------------
#: Dtypes the v1 arithmetic semantics and commitment scheme define (DESIGN §3, §4).
DTYPES: Final = ("bfloat16", "float32")

# --- state commitment (DESIGN §3) ----------------------------------------------------
# The scheme's own constants live in the Rust core (zkattest.commit reads the same
# table); the spec only adds its stricter 1 KiB minimum chunk size.
_COMMIT: Final = _core.commit_constants()
#: The only state-commitment scheme of spec v1 ("blake3-salted-v1").
COMMITMENT_SCHEME_V1: Final[str] = _COMMIT["scheme"]
COMMITMENT_SCHEMES: Final = (COMMITMENT_SCHEME_V1,)
DEFAULT_CHUNK_SIZE: Final[int] = _COMMIT["default_chunk_size"]
MIN_CHUNK_SIZE: Final = 1024
MAX_CHUNK_SIZE: Final[int] = _COMMIT["max_chunk_size"]
#: Longest parameter name and most dimensions the commitment accepts.
MAX_NAME_LEN: Final[int] = _COMMIT["max_name_len"]
MAX_NDIM: Final[int] = _COMMIT["max_ndim"]

# --- hiding commitments to secrets (init seed, salt seed) ----------------------------
#: commitment = SHA-256(SECRET_COMMITMENT_TAG || blinding || secret). The tag is
#: NUL-terminated so that no tag is a prefix of another tag of the same family.
SECRET_COMMITMENT_TAG: Final = b"zkattest.spec.secret-commitment.v1\x00"
SECRET_BLINDING_SIZE: Final = 32
#: Secrets are seeds, not documents; a bound keeps the API from hashing gigabytes.
MAX_SECRET_SIZE: Final = 1 << 16

# --- challenges ----------------------------------------------------------------------
#: Challenges derived (Fiat-Shamir) from the final signed run-log root.
SEED_DERIVATION_FIAT_SHAMIR_V1: Final = "fiat_shamir_log_root_v1"
#: Challenges supplied by the verifier after the run (interactive audit).
SEED_DERIVATION_VERIFIER: Final = "verifier_supplied"
SEED_DERIVATIONS: Final = (SEED_DERIVATION_FIAT_SHAMIR_V1, SEED_DERIVATION_VERIFIER)
