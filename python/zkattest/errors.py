"""Every exception zkattest raises. All derive from :class:`ZkattestError`.

The compiled core raises these same classes (it imports them from here), so callers
catch one hierarchy whether an error came from Python or Rust.
"""

from __future__ import annotations


class ZkattestError(Exception):
    """Base class of all zkattest errors."""


class InvalidInputError(ZkattestError, ValueError):
    """An argument or input file is unusable (wrong type, shape, range, field)."""


class MalformedError(ZkattestError, ValueError):
    """Bytes that should hold a zkattest object (proof, bundle, envelope) do not parse."""


class VerificationError(ZkattestError):
    """A well-formed object failed verification (bad proof, signature, digest, ...)."""


class ProvingError(ZkattestError):
    """The prover could not produce a proof (the witness violates the statement)."""


class ZkattestIOError(ZkattestError, OSError):
    """A file could not be read or written."""


class UnsupportedVersionError(ZkattestError):
    """An object declares a format version this build does not support."""
