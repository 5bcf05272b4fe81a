"""Ed25519 signing keys: generation, PEM files, key ids.

Private keys are stored as PKCS#8 PEM, optionally encrypted with a password
(``BestAvailableEncryption``); public keys as SubjectPublicKeyInfo PEM. The key id is
``sha256(raw 32-byte public key)`` in lowercase hex; it is only a hint for picking a key
(DSSE ``keyid``), never a substitute for verifying a signature.

Every loader raises a typed error that names the file: :class:`ZkattestIOError` (missing
or unreadable), :class:`MalformedError` (not a PEM key), :class:`InvalidInputError`
(not Ed25519, wrong or missing password).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from zkattest.errors import InvalidInputError, MalformedError, ZkattestIOError

__all__ = [
    "SigningKey",
    "VerifyKey",
    "generate",
    "key_id",
    "load_private_key",
    "load_public_key",
    "private_key_from_pem",
    "private_key_to_pem",
    "public_key_from_pem",
    "public_key_to_pem",
    "save_private_key",
    "save_public_key",
]

#: A private Ed25519 key (signs envelopes and checkpoints).
SigningKey = Ed25519PrivateKey
#: A public Ed25519 key (verifies them).
VerifyKey = Ed25519PublicKey

_ENCRYPTED_PEM = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"
# A PEM key is a few hundred bytes; refuse to slurp a huge file by mistake.
_MAX_KEY_FILE = 64 * 1024


def generate() -> Ed25519PrivateKey:
    """A fresh Ed25519 private key from the OS CSPRNG."""
    return Ed25519PrivateKey.generate()


def _public(key: Ed25519PublicKey | Ed25519PrivateKey, what: str = "key") -> Ed25519PublicKey:
    if isinstance(key, Ed25519PrivateKey):
        return key.public_key()
    if isinstance(key, Ed25519PublicKey):
        return key
    raise InvalidInputError(f"{what} must be an Ed25519 key, got {type(key).__name__}")


def key_id(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """``sha256(raw public key)`` as 64 hex digits (a private key gives its public key's id)."""
    return hashlib.sha256(_public(key).public_bytes_raw()).hexdigest()


def _check_password(password: bytes | str | None) -> bytes | None:
    if password is None:
        return None
    if isinstance(password, str):
        password = password.encode("utf-8")
    if not isinstance(password, bytes):
        raise InvalidInputError(f"password must be bytes or str, got {type(password).__name__}")
    if not password:
        raise InvalidInputError("password must not be empty (pass None for no encryption)")
    return password


def private_key_to_pem(key: Ed25519PrivateKey, password: bytes | str | None = None) -> bytes:
    """PKCS#8 PEM of ``key``, encrypted with ``password`` when one is given."""
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInputError(f"expected an Ed25519 private key, got {type(key).__name__}")
    pw = _check_password(password)
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(pw) if pw else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)


def public_key_to_pem(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    """SubjectPublicKeyInfo PEM of the public key."""
    return _public(key).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def private_key_from_pem(
    data: bytes, password: bytes | str | None = None, name: str = "private key"
) -> Ed25519PrivateKey:
    """Parse a PKCS#8 PEM Ed25519 private key; ``name`` labels error messages."""
    pw = _check_password(password)
    if not isinstance(data, bytes):
        raise InvalidInputError(f"{name}: PEM data must be bytes")
    encrypted = _ENCRYPTED_PEM in data
    if encrypted and pw is None:
        raise InvalidInputError(f"{name}: the private key is encrypted; a password is required")
    if not encrypted and pw is not None and b"-----BEGIN PRIVATE KEY-----" in data:
        raise InvalidInputError(f"{name}: a password was given but the key is not encrypted")
    try:
        key = serialization.load_pem_private_key(data, password=pw)
    except (ValueError, TypeError) as e:
        if encrypted:
            raise InvalidInputError(
                f"{name}: wrong password (or corrupted encrypted key)"
            ) from None
        raise MalformedError(f"{name}: not a PEM private key ({e})") from None
    except Exception as e:  # cryptography raises UnsupportedAlgorithm for odd key types
        raise InvalidInputError(f"{name}: unsupported private key: {e}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInputError(f"{name}: expected an Ed25519 key, got {type(key).__name__}")
    return key


def public_key_from_pem(data: bytes, name: str = "public key") -> Ed25519PublicKey:
    """Parse an SPKI PEM Ed25519 public key; ``name`` labels error messages."""
    if not isinstance(data, bytes):
        raise InvalidInputError(f"{name}: PEM data must be bytes")
    if b"PRIVATE KEY-----" in data:
        raise InvalidInputError(f"{name}: this is a private key; give the public key (.pub)")
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as e:
        raise MalformedError(f"{name}: not a PEM public key ({e})") from None
    except Exception as e:
        raise InvalidInputError(f"{name}: unsupported public key: {e}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInputError(f"{name}: expected an Ed25519 key, got {type(key).__name__}")
    return key


def _read(path: str | os.PathLike[str]) -> bytes:
    p = Path(path)
    try:
        with open(p, "rb") as f:
            data = f.read(_MAX_KEY_FILE + 1)
    except FileNotFoundError:
        raise ZkattestIOError(f"{p}: key file not found") from None
    except IsADirectoryError:
        raise ZkattestIOError(f"{p}: is a directory, not a key file") from None
    except OSError as e:
        raise ZkattestIOError(f"{p}: cannot read key file: {e.strerror}") from None
    if len(data) > _MAX_KEY_FILE:
        raise MalformedError(f"{p}: too large to be a key file")
    return data


def load_private_key(
    path: str | os.PathLike[str], password: bytes | str | None = None
) -> Ed25519PrivateKey:
    """Load a PEM private key file (``.key``)."""
    return private_key_from_pem(_read(path), password, name=str(path))


def load_public_key(path: str | os.PathLike[str]) -> Ed25519PublicKey:
    """Load a PEM public key file (``.pub``)."""
    return public_key_from_pem(_read(path), name=str(path))


def _write_new(path: Path, data: bytes, mode: int, overwrite: bool) -> None:
    """Write ``data`` with permissions ``mode``; refuse to replace a file unless
    ``overwrite``. Written to a temporary sibling, fsynced, then renamed into place, so
    a crash never leaves a half-written key."""
    if path.exists() and not overwrite:
        raise ZkattestIOError(f"{path}: already exists (use --force / overwrite=True)")
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            os.fchmod(fd, mode)  # the umask may have dropped bits we asked for, or kept more
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # atomic "create if absent": fails if path appeared meanwhile
            os.unlink(tmp)
    except FileExistsError:
        _unlink_quietly(tmp)
        raise ZkattestIOError(f"{path}: already exists (use --force / overwrite=True)") from None
    except OSError as e:
        _unlink_quietly(tmp)
        raise ZkattestIOError(f"{path}: cannot write key file: {e.strerror}") from None


def _unlink_quietly(p: Path) -> None:
    try:
        p.unlink()
    except OSError:
        pass


def save_private_key(
    key: Ed25519PrivateKey,
    path: str | os.PathLike[str],
    password: bytes | str | None = None,
    *,
    overwrite: bool = False,
) -> None:
    """Write ``key`` as PKCS#8 PEM with file mode 0600."""
    _write_new(Path(path), private_key_to_pem(key, password), 0o600, overwrite)


def save_public_key(
    key: Ed25519PublicKey | Ed25519PrivateKey,
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
) -> None:
    """Write the public key as SPKI PEM with file mode 0644."""
    _write_new(Path(path), public_key_to_pem(key), 0o644, overwrite)
