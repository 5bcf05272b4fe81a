"""The bundle container (directory or .zkab archive): safe names, streaming, hostile input."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zkattest.container import ContainerReader, ContainerWriter, check_member_name
from zkattest.errors import InvalidInputError, MalformedError, ZkattestIOError

MEMBERS = {
    "manifest.json": b"{}",
    "log/records.jsonl": b"a\nb\n",
    "proofs/p-000001.bin": b"\x00" * 5000,
}


@pytest.fixture(params=["dir", "archive"])
def bundle(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    path = tmp_path / ("b.zkab" if request.param == "archive" else "b")
    with ContainerWriter(path) as w:
        for name, data in MEMBERS.items():
            assert w.add_bytes(name, data) == hashlib.sha256(data).hexdigest()
    return path


def test_round_trip(bundle: Path) -> None:
    with ContainerReader(bundle) as r:
        assert r.names() == sorted(MEMBERS)
        for name, data in MEMBERS.items():
            assert r.read(name, 1 << 20) == data
            assert r.sha256(name) == hashlib.sha256(data).hexdigest()
            assert r.size(name) == len(data)


def test_read_limit_and_missing(bundle: Path) -> None:
    with ContainerReader(bundle) as r:
        with pytest.raises(MalformedError, match="limit"):
            r.read("proofs/p-000001.bin", 100)
        with pytest.raises(MalformedError, match="no member"):
            r.read("nope", 100)


@pytest.mark.parametrize(
    "name", ["../x", "/abs", "a/../b", "a//b", "", ".hidden", "a/./b", "x\\y", "a b", "é"]
)
def test_unsafe_names_rejected(name: str) -> None:
    with pytest.raises(MalformedError):
        check_member_name(name)


def test_writer_refuses_duplicates_and_overwrite(tmp_path: Path) -> None:
    with ContainerWriter(tmp_path / "b") as w:
        w.add_bytes("a", b"1")
        with pytest.raises(InvalidInputError):
            w.add_bytes("a", b"2")
    with pytest.raises(InvalidInputError, match="exists"):
        ContainerWriter(tmp_path / "b")


def _tar_with(path: Path, build) -> None:  # type: ignore[no-untyped-def]
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as t:
        build(t)


def _add(t: tarfile.TarFile, name: str, data: bytes, kind: bytes = tarfile.REGTYPE) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.type = kind
    t.addfile(info, io.BytesIO(data))


def test_hostile_archives(tmp_path: Path) -> None:
    cases = {
        "traversal": lambda t: _add(t, "../evil", b"x"),
        "symlink": lambda t: _add(t, "link", b"", tarfile.SYMTYPE),
        "dup": lambda t: (_add(t, "a", b"1"), _add(t, "a", b"2")),
        "dir-member": lambda t: _add(t, "d", b"", tarfile.DIRTYPE),
    }
    for label, build in cases.items():
        p = tmp_path / f"{label}.zkab"
        _tar_with(p, build)
        with pytest.raises(MalformedError):
            ContainerReader(p)


def test_truncated_archive(bundle: Path, tmp_path: Path) -> None:
    if bundle.is_dir():
        return
    data = bundle.read_bytes()
    for cut in (10, 600, 1500, len(data) // 2):
        p = tmp_path / f"cut{cut}.zkab"
        p.write_bytes(data[:cut])
        with pytest.raises(MalformedError):
            with ContainerReader(p) as r:
                for name in r.names():
                    r.sha256(name)


def test_garbage_and_missing(tmp_path: Path) -> None:
    p = tmp_path / "g.zkab"
    p.write_bytes(b"this is not a tar file at all" * 100)
    with pytest.raises(MalformedError):
        ContainerReader(p)
    with pytest.raises(ZkattestIOError):
        ContainerReader(tmp_path / "missing.zkab")


def test_directory_symlink_rejected(tmp_path: Path) -> None:
    d = tmp_path / "b"
    with ContainerWriter(d) as w:
        w.add_bytes("a", b"1")
    (d / "link").symlink_to(d / "a")
    with pytest.raises(MalformedError):
        ContainerReader(d)


@settings(max_examples=30, deadline=None)
@given(st.binary(min_size=1, max_size=4096), st.integers(min_value=0, max_value=10**6))
def test_any_single_byte_change_is_seen(tmp_path_factory, data: bytes, pos: int) -> None:  # type: ignore[no-untyped-def]
    """Every byte of a member feeds its digest: a flipped byte changes sha256()."""
    path = tmp_path_factory.mktemp("b") / "b"
    with ContainerWriter(path) as w:
        digest = w.add_bytes("m", data)
    blob = bytearray((path / "m").read_bytes())
    blob[pos % len(blob)] ^= 0x80
    (path / "m").write_bytes(bytes(blob))
    with ContainerReader(path) as r:
        assert r.sha256("m") != digest
