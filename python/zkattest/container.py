"""The bundle container: a directory or a single-file archive (uncompressed POSIX tar)
of named members, written and read as streams.

This layer knows nothing about what the members mean; it guarantees only that member
names are safe relative paths, that members are regular files, and that every byte read
is hashed so digests can be checked against the signed manifest without holding a
member in memory. A hostile archive (path traversal, links, duplicates, truncation,
absurd sizes or member counts) raises :class:`~zkattest.errors.MalformedError`.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import tarfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from zkattest.errors import InvalidInputError, MalformedError, ZkattestIOError

#: Archive suffix; any other path is written as a directory.
ARCHIVE_SUFFIX = ".zkab"
#: Upper bounds that keep a hostile bundle from exhausting memory or time.
MAX_MEMBERS = 1_000_000
MAX_MEMBER_BYTES = 1 << 40
#: Read size when streaming members.
BLOCK = 1 << 20

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*$")


def check_member_name(name: str) -> str:
    """Return ``name`` if it is a safe relative member path, else raise MalformedError."""
    if not isinstance(name, str) or len(name) > 255 or not _NAME.match(name):
        raise MalformedError(f"unsafe or invalid bundle member name {name!r}")
    if any(part in (".", "..") for part in name.split("/")):
        raise MalformedError(f"unsafe bundle member name {name!r}")
    return name


def is_archive(path: str | os.PathLike[str]) -> bool:
    """True if ``path`` names a single-file bundle (``.zkab``), False for a directory."""
    return str(path).endswith(ARCHIVE_SUFFIX)


class ContainerWriter:
    """Writes members to a new directory or archive. Members are written in the order
    added; nothing is buffered beyond one block. Call :meth:`close` (or use ``with``)."""

    def __init__(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> None:
        self.path = Path(path)
        self._names: set[str] = set()
        if self.path.exists():
            if not overwrite:
                raise InvalidInputError(f"{self.path} already exists (pass overwrite=True)")
            if self.path.is_dir():
                shutil.rmtree(self.path)
            else:
                self.path.unlink()
        self._tar: tarfile.TarFile | None = None
        if is_archive(self.path):
            self._tar = tarfile.open(self.path, mode="w", format=tarfile.PAX_FORMAT)
        else:
            self.path.mkdir(parents=True)

    def _claim(self, name: str) -> None:
        check_member_name(name)
        if name in self._names:
            raise InvalidInputError(f"bundle member {name!r} written twice")
        self._names.add(name)

    def add_bytes(self, name: str, data: bytes) -> str:
        """Add a member from bytes; returns its SHA-256 hex digest."""
        return self.add_stream(name, io.BytesIO(data), len(data))

    def add_file(self, name: str, src: str | os.PathLike[str]) -> str:
        """Add a member by streaming a file; returns its SHA-256 hex digest."""
        src = Path(src)
        with src.open("rb") as f:
            return self.add_stream(name, f, src.stat().st_size)

    def add_stream(self, name: str, stream: BinaryIO, size: int) -> str:
        """Add a member of known ``size`` read from ``stream``; returns its SHA-256."""
        self._claim(name)
        hashing = _HashingReader(stream)
        if self._tar is not None:
            info = tarfile.TarInfo(name)
            info.size = size
            info.mode = 0o644
            self._tar.addfile(info, hashing)
        else:
            dest = self.path / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            with dest.open("wb") as out:
                shutil.copyfileobj(hashing, out, BLOCK)
        if hashing.count != size:
            raise InvalidInputError(f"member {name!r}: expected {size} bytes, got {hashing.count}")
        return hashing.hexdigest()

    def close(self) -> None:
        """Finish the container (flushes and closes the archive)."""
        if self._tar is not None:
            self._tar.close()
            self._tar = None

    def __enter__(self) -> ContainerWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _HashingReader(io.RawIOBase):
    """Wraps a stream, hashing (SHA-256) and counting every byte read through it."""

    def __init__(self, inner: BinaryIO, limit: int | None = None) -> None:
        self._inner = inner
        self._h = hashlib.sha256()
        self.count = 0
        self._limit = limit

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        want = len(b)
        if self._limit is not None:
            want = min(want, self._limit - self.count)
            if want <= 0:
                return 0
        data = self._inner.read(want)
        n = len(data)
        b[:n] = data
        self._h.update(data)
        self.count += n
        return n

    def hexdigest(self) -> str:
        return self._h.hexdigest()


class ContainerReader:
    """Reads an existing directory or archive bundle. Listing validates every member
    name and type up front; members are then read as streams."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._tar: tarfile.TarFile | None = None
        self._members: dict[str, int] = {}
        if not self.path.exists():
            raise ZkattestIOError(f"bundle {self.path} does not exist")
        if self.path.is_dir():
            self._scan_dir()
        else:
            self._scan_tar()

    def _scan_dir(self) -> None:
        for root, dirs, files in os.walk(self.path, followlinks=False):
            for d in dirs:
                if (Path(root) / d).is_symlink():
                    raise MalformedError(f"bundle contains a symbolic link: {Path(root) / d}")
            for f in files:
                full = Path(root) / f
                name = full.relative_to(self.path).as_posix()
                if full.is_symlink() or not full.is_file():
                    raise MalformedError(f"bundle member {name!r} is not a regular file")
                self._add(name, full.stat().st_size)

    def _scan_tar(self) -> None:
        try:
            self._tar = tarfile.open(self.path, mode="r:")
            members = []
            for info in self._tar:
                members.append(info)
                if len(members) > MAX_MEMBERS:
                    raise MalformedError(f"bundle has more than {MAX_MEMBERS} members")
            end = self._tar.offset
        except (tarfile.TarError, EOFError, ValueError) as e:
            raise MalformedError(f"{self.path} is not a readable zkattest bundle: {e}") from e
        except OSError as e:
            raise ZkattestIOError(f"cannot read {self.path}: {e}") from e
        self._check_end_marker(end)
        for info in members:
            if not info.isreg():
                raise MalformedError(f"bundle member {info.name!r} is not a regular file")
            self._add(info.name, info.size)
        self._infos = {m.name: m for m in members}

    def _check_end_marker(self, end: int) -> None:
        # tarfile stops quietly at a truncated header; a complete archive ends with two
        # zero blocks right after its last member, so their absence means truncation.
        with self.path.open("rb") as f:
            f.seek(end)
            marker = f.read(2 * tarfile.BLOCKSIZE)
        if len(marker) != 2 * tarfile.BLOCKSIZE or any(marker):
            raise MalformedError(f"{self.path} is truncated or has trailing garbage")

    def _add(self, name: str, size: int) -> None:
        check_member_name(name)
        if name in self._members:
            raise MalformedError(f"bundle member {name!r} appears twice")
        if size < 0 or size > MAX_MEMBER_BYTES:
            raise MalformedError(f"bundle member {name!r} has an absurd size {size}")
        if len(self._members) >= MAX_MEMBERS:
            raise MalformedError(f"bundle has more than {MAX_MEMBERS} members")
        self._members[name] = size

    def names(self) -> list[str]:
        """Member names, sorted."""
        return sorted(self._members)

    def size(self, name: str) -> int:
        """Declared size of a member."""
        return self._members[self._require(name)]

    def _require(self, name: str) -> str:
        if name not in self._members:
            raise MalformedError(f"bundle has no member {name!r}")
        return name

    def open(self, name: str) -> BinaryIO:
        """A binary stream over a member (caller closes it)."""
        self._require(name)
        if self._tar is not None:
            f = self._tar.extractfile(self._infos[name])
            if f is None:  # pragma: no cover - regular files always extract
                raise MalformedError(f"bundle member {name!r} cannot be read")
            return f
        return (self.path / name).open("rb")

    def read(self, name: str, max_bytes: int) -> bytes:
        """Read a whole (small) member, refusing members larger than ``max_bytes``."""
        size = self.size(name)
        if size > max_bytes:
            raise MalformedError(f"bundle member {name!r} is {size} bytes, limit {max_bytes}")
        with self.open(name) as f:
            data = _read_exact(f, size, name)
        return data

    def sha256(self, name: str) -> str:
        """Stream a member through SHA-256; raises if it is shorter than declared."""
        size = self.size(name)
        h = hashlib.sha256()
        got = 0
        with self.open(name) as f:
            for block in iter_blocks(f):
                h.update(block)
                got += len(block)
        if got != size:
            raise MalformedError(f"bundle member {name!r} is truncated ({got} of {size} bytes)")
        return h.hexdigest()

    def close(self) -> None:
        """Close the archive, if any."""
        if self._tar is not None:
            self._tar.close()
            self._tar = None

    def __enter__(self) -> ContainerReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def iter_blocks(f: BinaryIO, block: int = BLOCK) -> Iterator[bytes]:
    """Yield a stream's content in blocks, turning truncation errors into MalformedError."""
    try:
        while chunk := f.read(block):
            yield chunk
    except (tarfile.TarError, EOFError) as e:
        raise MalformedError(f"bundle member is truncated: {e}") from e


def _read_exact(f: BinaryIO, size: int, name: str) -> bytes:
    data = b"".join(iter_blocks(f))
    if len(data) != size:
        raise MalformedError(f"bundle member {name!r} is truncated ({len(data)} of {size} bytes)")
    return data


def copy_members(reader: ContainerReader, writer: ContainerWriter, names: Iterable[str]) -> None:
    """Copy members between containers (e.g. directory <-> archive), streaming."""
    for name in names:
        with reader.open(name) as f:
            writer.add_stream(name, f, reader.size(name))
