"""zkattest: zero-knowledge attestation of PyTorch training runs.

Commit to a declared training spec, Merkle-commit model state every optimizer step,
and emit zero-knowledge proofs that a regulator verifies with one command.
"""

from __future__ import annotations

from zkattest import _core
from zkattest.errors import (
    InvalidInputError,
    MalformedError,
    ProvingError,
    UnsupportedVersionError,
    VerificationError,
    ZkattestError,
    ZkattestIOError,
)

__version__: str = _core.__version__

# After __version__: the attestation imports modules that read it.
from zkattest.attest import attest

__all__ = [
    "InvalidInputError",
    "MalformedError",
    "ProvingError",
    "UnsupportedVersionError",
    "VerificationError",
    "ZkattestError",
    "ZkattestIOError",
    "__version__",
    "attest",
]
