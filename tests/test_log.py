"""The RunLog: records, RFC 9162 roots/proofs (pymerkle oracle), checkpoints, crash
safety, locking, corruption detection, JSON Lines export."""

from __future__ import annotations

import copy
import hashlib
import json
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pymerkle
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zkattest import keys, merkle
from zkattest.canonical import canonical_json
from zkattest.constants import DSSE_PAYLOAD_TYPE, PREDICATE_CHECKPOINT_V1
from zkattest.dsse import b64decode, b64encode, sign_envelope
from zkattest.errors import (
    InvalidInputError,
    MalformedError,
    UnsupportedVersionError,
    VerificationError,
    ZkattestError,
    ZkattestIOError,
)
from zkattest.log import (
    LogIntegrityError,
    LogLockedError,
    RunLog,
    StepOrderError,
    StepRecord,
    fp32_hex,
    fp32_value,
    verify_checkpoint,
    verify_jsonl,
)
from zkattest.merkle import verify_consistency, verify_inclusion

SK = keys.generate()
PK = SK.public_key()
OTHER = keys.generate()
LOG_ID = hashlib.sha256(b"spec").hexdigest()
LR = fp32_hex(0.0009765625)  # 2**-10, exact in FP32


def rec(step: int, **kw: object) -> StepRecord:
    fields: dict[str, object] = {
        "step": step,
        "state_root": hashlib.sha256(b"state%d" % step).hexdigest(),
        "grad_root": hashlib.sha256(b"grad%d" % step).hexdigest(),
        "batch_commitment": hashlib.sha256(b"batch%d" % step).hexdigest(),
        "tokens": 4096,
        "lr": LR,
        "timestamp_ms": 1_700_000_000_000 + step,
    }
    fields.update(kw)
    return StepRecord(**fields)  # type: ignore[arg-type]


def make_log(path: Path, n: int, *, first_step: int = 0, sync: str = "OFF") -> RunLog:
    log = RunLog.create(path, LOG_ID, first_step=first_step, synchronous=sync)
    log.extend(rec(first_step + i) for i in range(n))
    return log


# --- records -----------------------------------------------------------------------------


def test_record_bytes_and_leaf_hash() -> None:
    r = rec(7, extra={"grad_norm": "3f800000", "flags": [1, 2]})
    b = r.to_bytes()
    assert b == canonical_json(json.loads(b))
    assert json.loads(b)["v"] == 1 and json.loads(b)["lr"] == LR
    assert r.leaf_hash() == hashlib.sha256(b"\x00" + b).digest() == merkle.leaf_hash(b)
    assert StepRecord.from_bytes(b) == r


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"lr": 0.001}, "lr must be the FP32 bit pattern"),
        ({"lr": "3A83126F"}, "lr"),
        ({"lr": "3a83126"}, "lr"),
        ({"state_root": "AB" * 32}, "state_root"),
        ({"grad_root": "ab" * 31}, "grad_root"),
        ({"batch_commitment": None}, "batch_commitment"),
        ({"tokens": -1}, "tokens"),
        ({"tokens": 1.0}, "tokens"),
        ({"step": True}, "step"),
        ({"timestamp_ms": 1.7e12}, "timestamp_ms"),
        ({"extra": {"loss": 0.5}}, "floats are not allowed"),
        ({"extra": {"a": [1, {"b": 2.5}]}}, r"extra\.a\[1\]\.b"),
        ({"extra": {1: "x"}}, "extra"),
        ({"extra": [1]}, "extra must be a mapping"),
    ],
)
def test_record_validation(kw: dict, match: str) -> None:
    kw = dict(kw)
    step = kw.pop("step", 3)
    rec(3)  # the positive twin
    with pytest.raises(InvalidInputError, match=match):
        rec(step, **kw)  # type: ignore[arg-type]


def test_record_parsing_is_strict() -> None:
    good = json.loads(rec(1).to_bytes())
    StepRecord.from_dict(good)
    with pytest.raises(MalformedError, match="canonical"):
        StepRecord.from_bytes(json.dumps(good).encode())  # spaces: not canonical
    for mutate, err, match in [
        (lambda d: d.pop("lr"), MalformedError, "missing field"),
        (lambda d: d.update(extra_field=1), MalformedError, "unknown field"),
        (lambda d: d.update(v=2), UnsupportedVersionError, "version 2"),
        (lambda d: d.update(lr=1.0), MalformedError, "lr"),
    ]:
        d = copy.deepcopy(good)
        mutate(d)
        with pytest.raises(err, match=match):
            StepRecord.from_bytes(canonical_json(d))


def test_fp32_helpers() -> None:
    assert fp32_hex(1.0) == "3f800000"
    assert fp32_hex(-0.0) == "80000000"
    assert fp32_hex(float("inf")) == "7f800000"
    assert fp32_value("3f800000") == 1.0
    assert fp32_hex(fp32_value("00000001")) == "00000001"  # subnormal survives
    with pytest.raises(InvalidInputError, match="not exactly representable"):
        fp32_hex(0.1)
    assert fp32_hex(0.1, exact=False) == "3dcccccd"
    with pytest.raises(InvalidInputError, match="overflows"):
        fp32_hex(1e39)
    with pytest.raises(InvalidInputError):
        fp32_value("3F800000")


# --- roots and proofs against pymerkle ---------------------------------------------------


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 300),
    picks=st.lists(
        st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)), min_size=3, max_size=10
    ),
)
def test_roots_and_proofs_match_pymerkle(n: int, picks: list[tuple[int, int]]) -> None:
    with tempfile.TemporaryDirectory() as d:
        with make_log(Path(d) / "run.db", n) as log:
            oracle = pymerkle.InmemoryTree(algorithm="sha256")
            for i in range(n):
                oracle.append_entry(log.record_bytes(i))
            assert log.root() == oracle.get_root()
            for a, b in picks:
                size = 1 + b % n
                i = a % size
                root = oracle.get_root(size)
                assert log.root(size) == root
                proof = log.inclusion_proof(i, size)
                assert [log.leaf_hash(i), *proof.path] == list(
                    oracle.prove_inclusion(i + 1, size).path
                )
                proof.verify(log.leaf_hash(i), root)
                old = 1 + a % size
                c = log.consistency_proof(old, size)
                c.verify(oracle.get_root(old), root)
                verify_consistency(old, size, oracle.get_root(old), root, list(c.path))
        with RunLog.open(Path(d) / "run.db") as again:  # reopened: same tree
            assert again.root() == oracle.get_root()


def test_proof_negative_twins(tmp_path: Path) -> None:
    with make_log(tmp_path / "run.db", 21) as log:
        root, lh = log.root(), log.leaf_hash(9)
        p = log.inclusion_proof(9)
        p.verify(lh, root)
        with pytest.raises(VerificationError):
            p.verify(log.leaf_hash(10), root)  # another leaf
        with pytest.raises(VerificationError):
            p.verify(rec(9, tokens=1).leaf_hash(), root)  # tampered record
        with pytest.raises(VerificationError):
            verify_inclusion(lh, 8, 21, list(p.path), root)  # wrong index
        with pytest.raises(VerificationError):
            verify_inclusion(lh, 9, 20, list(p.path), log.root(20))  # wrong size
        with pytest.raises(VerificationError):
            p.verify(lh, log.root(20))  # wrong root
        c = log.consistency_proof(8, 21)
        c.verify(log.root(8), root)
        with pytest.raises(VerificationError):
            c.verify(log.root(9), root)
        with pytest.raises(VerificationError):
            verify_consistency(8, 20, log.root(8), log.root(20), list(c.path))


# --- append order ------------------------------------------------------------------------


def test_step_order_errors(tmp_path: Path) -> None:
    with make_log(tmp_path / "run.db", 5, first_step=100) as log:
        assert log.append(rec(105)) == 5
        for step, kind in [(105, "duplicate"), (101, "reordered"), (107, "gap"), (99, "reordered")]:
            with pytest.raises(StepOrderError, match="next record must be step 106") as ei:
                log.append(rec(step))
            assert ei.value.kind == kind and ei.value.expected == 106 and ei.value.got == step
        root = log.root()
        with pytest.raises(
            StepOrderError, match=r"skips step\(s\) 108"
        ):  # atomic batch: all or nothing
            log.extend([rec(106), rec(107), rec(109)])
        assert log.size == 6 and log.root() == root
        assert log.extend([]) == 6
        assert log.append(json.loads(rec(106).to_bytes())) == 6  # dicts are accepted
        assert log.record(6) == rec(106)
        with pytest.raises(InvalidInputError):
            log.append("not a record")  # type: ignore[arg-type]
        with pytest.raises(InvalidInputError, match="unexpected keyword"):
            log.append({"step": 107, "bogus": 1})
    with RunLog.open(tmp_path / "run.db") as log:
        assert log.size == 7 and log.first_step == 100
        assert [r.step for r in log.records()] == list(range(100, 107))


def test_synchronous_default_and_choice(tmp_path: Path) -> None:
    with RunLog.create(tmp_path / "a.db", LOG_ID) as log:
        assert log._db().execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert log._db().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with RunLog.open(tmp_path / "a.db", "a", synchronous="normal") as log:
        assert log._db().execute("PRAGMA synchronous").fetchone()[0] == 1
    with pytest.raises(InvalidInputError, match="synchronous"):
        RunLog.open(tmp_path / "a.db", "a", synchronous="FAST")


# --- checkpoints -------------------------------------------------------------------------


def test_checkpoints(tmp_path: Path) -> None:
    with make_log(tmp_path / "run.db", 10) as log:
        env1 = log.checkpoint(SK, timestamp_ms=123)
        log.extend(rec(i) for i in range(10, 25))
        env2 = log.checkpoint(SK)
        cp1 = verify_checkpoint(env1, PK, log_id=LOG_ID)
        cp2 = verify_checkpoint(env2, [OTHER.public_key(), PK])
        assert (cp1.size, cp1.root, cp1.timestamp_ms, cp1.log_id) == (10, log.root(10), 123, LOG_ID)
        assert (cp2.size, cp2.root) == (25, log.root())
        # the later checkpoint extends the earlier one
        log.consistency_proof(cp1.size, cp2.size).verify(cp1.root, cp2.root)
        assert log.checkpoints() == [env1, env2]
        summary = log.verify(PK)
        assert summary.size == 25 and summary.root == log.root() and summary.signatures_checked
        assert summary.checkpoints == (cp1, cp2)
        with pytest.raises(VerificationError):
            log.verify(OTHER.public_key())
    with RunLog.open(tmp_path / "run.db") as log:  # persisted
        assert log.checkpoints() == [env1, env2]
        with pytest.raises(InvalidInputError, match="read-only"):
            log.checkpoint(SK)


def _mutated(env: dict, fn) -> dict:  # type: ignore[no-untyped-def]
    e = copy.deepcopy(env)
    fn(e)
    return e


def _with_payload(env: dict, edit) -> dict:  # type: ignore[no-untyped-def]
    st_ = json.loads(b64decode(env["payload"]))
    edit(st_)
    e = copy.deepcopy(env)
    e["payload"] = b64encode(canonical_json(st_))
    return e


def _resigned(env: dict, edit) -> dict:  # type: ignore[no-untyped-def]
    st_ = json.loads(b64decode(env["payload"]))
    edit(st_)
    return sign_envelope(canonical_json(st_), DSSE_PAYLOAD_TYPE, SK)


def test_checkpoint_negative_twins(tmp_path: Path) -> None:
    with make_log(tmp_path / "run.db", 4) as log:
        env = log.checkpoint(SK)
    verify_checkpoint(env, PK, log_id=LOG_ID)  # the positive twin

    def flip_sig(e: dict) -> None:
        s = bytearray(b64decode(e["signatures"][0]["sig"]))
        s[5] ^= 0x10
        e["signatures"][0]["sig"] = b64encode(bytes(s))

    cases: list[tuple[object, type[Exception]]] = [
        (_mutated(env, flip_sig), VerificationError),
        (_mutated(env, lambda e: e.update(payloadType="application/json")), VerificationError),
        (_mutated(env, lambda e: e.pop("signatures")), MalformedError),
        (_mutated(env, lambda e: e.update(payload=e["payload"][:-8])), ZkattestError),
        (json.dumps(env)[:-20], MalformedError),  # truncated envelope
        (_with_payload(env, lambda s: s["predicate"].update(size=5)), VerificationError),
        (_with_payload(env, lambda s: s["predicate"].update(root="0" * 64)), VerificationError),
    ]
    for bad, err in cases:
        with pytest.raises(err):
            verify_checkpoint(bad, PK)  # type: ignore[arg-type]
    with pytest.raises(VerificationError):
        verify_checkpoint(env, OTHER.public_key())  # other key
    with pytest.raises(VerificationError, match="log_id"):
        verify_checkpoint(env, PK, log_id="another run")
    # validly signed but inconsistent or malformed content
    for edit, err in [
        (lambda s: s["predicate"].update(root="0" * 64), VerificationError),  # subject != root
        (
            lambda s: s.update(predicateType=PREDICATE_CHECKPOINT_V1.replace("v1", "v2")),
            UnsupportedVersionError,
        ),
        (lambda s: s["predicate"].update(v=2), UnsupportedVersionError),
        (lambda s: s["predicate"].update(size=-1), MalformedError),
        (lambda s: s["predicate"].pop("log_id"), MalformedError),
        (lambda s: s["predicate"].update(hash_alg="sha3_256"), MalformedError),
        (lambda s: s["subject"][0].update(name="other"), VerificationError),
    ]:
        with pytest.raises(err):
            verify_checkpoint(_resigned(env, edit), PK)


# --- scale and complexity ----------------------------------------------------------------


def test_ten_thousand_records_quickly(tmp_path: Path) -> None:
    n = 10_000
    t0 = time.perf_counter()
    with RunLog.create(tmp_path / "big.db", LOG_ID) as log:  # default synchronous=FULL
        log.extend(rec(i) for i in range(n))
        for i in range(n, n + 20):  # a few single appends (one fsync each)
            log.append(rec(i))
        log.checkpoint(SK)
        root = log.root()
    t1 = time.perf_counter()
    with RunLog.open(tmp_path / "big.db") as log:
        t2 = time.perf_counter()
        assert log.size == n + 20 and log.root() == root
        hashes = [rec(i).leaf_hash() for i in range(n + 20)]
        assert merkle.root(hashes) == root
        assert log.verify(PK).root == root
        t3 = time.perf_counter()
    assert t1 - t0 < 15 and t2 - t1 < 5 and t3 - t2 < 15, (t1 - t0, t2 - t1, t3 - t2)


# --- readers, writers, locks -------------------------------------------------------------


def test_reader_and_single_writer(tmp_path: Path) -> None:
    p = tmp_path / "run.db"
    with make_log(p, 3) as writer:
        with pytest.raises(LogLockedError, match="already open for appending"):
            RunLog.open(p, "a")
        with pytest.raises(ZkattestIOError):
            RunLog.create(p, LOG_ID)
        with RunLog.open(p, "r") as reader:  # readers need no lock
            assert reader.size == 3
            writer.append(rec(3))
            assert reader.size == 3 and reader.refresh() == 4
            assert reader.root() == writer.root()
            with pytest.raises(InvalidInputError, match="read-only"):
                reader.append(rec(4))
    with RunLog.open(p, "a") as writer2:  # the lock is released on close
        writer2.append(rec(4))
    writer2.close()  # idempotent
    with pytest.raises(InvalidInputError, match="closed"):
        writer2.append(rec(5))


_WRITER = """
import sys, hashlib
from zkattest.log import RunLog, StepRecord
log = RunLog.open(sys.argv[1], "a")
i = log.size
while True:
    h = hashlib.sha256(b"%d" % i).hexdigest()
    log.append(StepRecord(step=i, state_root=h, grad_root=h, batch_commitment=h,
                          tokens=1, lr="3a800000", timestamp_ms=i))
    print(i, flush=True)
    i += 1
"""


def test_killed_writer_leaves_a_verifiable_log(tmp_path: Path) -> None:
    p = tmp_path / "run.db"
    make_log(p, 3).close()
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(p)], stdout=subprocess.PIPE, text=True
    )
    try:
        last = -1
        assert proc.stdout is not None
        while last < 40:
            line = proc.stdout.readline()
            assert line, "writer died"
            last = int(line)
            if last == 20:  # while it runs: a second writer is refused, readers are fine
                with pytest.raises(LogLockedError, match=f"pid {proc.pid}"):
                    RunLog.open(p, "a")
                with RunLog.open(p) as r:
                    assert r.size >= 21
                    r.verify()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with RunLog.open(p) as log:
        # every record it reported is there; at most one more committed before the kill
        assert last + 1 <= log.size <= last + 2
        log.verify()
        size = log.size
    with RunLog.open(p, "a") as log:  # resumes where it stopped
        assert log.append(rec(size)) == size
        log.verify()


# --- corruption --------------------------------------------------------------------------


def _closed_log(tmp_path: Path, n: int = 60, checkpoint: bool = True) -> tuple[Path, bytes]:
    p = tmp_path / "run.db"
    with make_log(p, n) as log:
        if checkpoint:
            log.checkpoint(SK)
        root = log.root()
    assert not Path(f"{p}-wal").exists() or Path(f"{p}-wal").stat().st_size == 0
    return p, root


def test_random_bytes_and_empty_and_foreign_files(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(random.Random(1).randbytes(8192))
    with pytest.raises(MalformedError, match=r"junk\.db"):
        RunLog.open(junk)
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    with pytest.raises(MalformedError, match="not a zkattest run log"):
        RunLog.open(empty)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(MalformedError, match="not a zkattest run log"):
        RunLog.open(other)
    with pytest.raises(ZkattestIOError, match="not found"):
        RunLog.open(tmp_path / "missing.db")
    with pytest.raises(InvalidInputError):
        RunLog.open(junk, "w")


def test_truncated_file(tmp_path: Path) -> None:
    p, _ = _closed_log(tmp_path, 300)
    data = p.read_bytes()
    for cut in (len(data) // 2, len(data) - 4096, 100):
        p.write_bytes(data[:cut])
        with pytest.raises((MalformedError, LogIntegrityError)):
            RunLog.open(p)


def _sql(p: Path, statement: str, *args: object) -> None:
    conn = sqlite3.connect(p)
    conn.execute(statement, args)
    conn.commit()
    conn.close()


def test_tampered_rows(tmp_path: Path) -> None:
    p, _ = _closed_log(tmp_path)
    orig = p.read_bytes()
    r17 = rec(17).to_bytes()
    cases = [
        (
            "UPDATE records SET leaf_hash = ? WHERE idx = 17",
            bytes(32),
            LogIntegrityError,
            "record 17",
        ),
        (
            "UPDATE records SET data = ? WHERE idx = 17",
            r17.replace(b"4096", b"4097"),
            LogIntegrityError,
            "record 17",
        ),
        ("DELETE FROM records WHERE idx = ?", 30, LogIntegrityError, "record 30 is missing"),
        ("UPDATE meta SET value = ? WHERE key = 'size'", 59, LogIntegrityError, "meta says 59"),
        ("UPDATE checkpoints SET root = ?", bytes(32), LogIntegrityError, "checkpoint"),
        ("UPDATE meta SET value = ? WHERE key = 'log_id'", "other", LogIntegrityError, "log_id"),
    ]
    for statement, arg, err, match in cases:
        p.write_bytes(orig)
        with RunLog.open(p) as ok:
            ok.verify(PK)
        _sql(p, statement, arg)
        with pytest.raises(err, match=match):
            RunLog.open(p)
    # a consistent rewrite (record and its leaf hash) is caught by the signed checkpoint
    p.write_bytes(orig)
    forged = rec(17, tokens=1).to_bytes()
    _sql(p, "UPDATE records SET data = ? WHERE idx = 17", forged)
    _sql(p, "UPDATE records SET leaf_hash = ? WHERE idx = 17", merkle.leaf_hash(forged))
    with pytest.raises(LogIntegrityError, match="signed root"):
        RunLog.open(p)
    # and the same rewrite of the record *after* open is caught on read and by verify()
    p.write_bytes(orig)
    with RunLog.open(p) as log:
        _sql(p, "UPDATE records SET data = ? WHERE idx = 17", forged)
        with pytest.raises(LogIntegrityError):
            log.record(17)
        with pytest.raises(LogIntegrityError):
            log.verify()
    # non-canonical bytes with a matching hash: only the full verify() re-parses records
    p.write_bytes(orig)
    loose = json.dumps(json.loads(r17)).encode()
    _sql(p, "UPDATE records SET data = ? WHERE idx = 17", loose)
    _sql(p, "UPDATE records SET leaf_hash = ? WHERE idx = 17", merkle.leaf_hash(loose))
    with pytest.raises(LogIntegrityError):  # the checkpoint root no longer matches
        RunLog.open(p)
    with RunLog.open(p, check=False) as log:
        with pytest.raises((MalformedError, LogIntegrityError)):
            log.verify()


def test_bit_flip_in_record(tmp_path: Path) -> None:
    p, _ = _closed_log(tmp_path, checkpoint=False)
    data = bytearray(p.read_bytes())
    needle = rec(37).state_root.encode()
    pos = data.index(needle) + 10
    data[pos] ^= 0x01  # a hex digit becomes another hex digit: still parseable JSON
    p.write_bytes(bytes(data))
    with pytest.raises(LogIntegrityError, match="record 37"):
        RunLog.open(p)


def test_random_bit_flips_never_pass_silently(tmp_path: Path) -> None:
    p, root = _closed_log(tmp_path, 120)
    orig = p.read_bytes()
    rng = random.Random(2026)
    outcomes = {"detected": 0, "harmless": 0}
    for _ in range(60):
        data = bytearray(orig)
        pos = rng.randrange(len(data))
        data[pos] ^= 1 << rng.randrange(8)
        p.write_bytes(bytes(data))
        for suffix in ("-wal", "-shm"):
            Path(f"{p}{suffix}").unlink(missing_ok=True)
        try:
            with RunLog.open(p) as log:
                summary = log.verify(PK)
        except ZkattestError:
            outcomes["detected"] += 1
            continue
        # a flip in free space or an unused header byte: the log must still be the same log
        assert summary.size == 120 and summary.root == root
        outcomes["harmless"] += 1
    assert outcomes["detected"] > 0, outcomes
    print(outcomes)


# --- JSON Lines export -------------------------------------------------------------------


def test_export_verify_import_roundtrip(tmp_path: Path) -> None:
    with RunLog.create(tmp_path / "run.db", LOG_ID, first_step=5, synchronous="OFF") as log:
        log.checkpoint(SK)  # size 0
        log.extend(rec(5 + i) for i in range(30))
        log.checkpoint(SK)
        log.checkpoint(SK)  # two at the same size
        log.extend(rec(5 + i) for i in range(30, 47))
        log.checkpoint(SK)
        log.export_jsonl(tmp_path / "run.jsonl")
        expected = log.verify(PK)
    lines = (tmp_path / "run.jsonl").read_bytes().splitlines()
    assert len(lines) == 1 + 47 + 4 + 1
    assert lines[2] == rec(5).to_bytes()  # a record line is exactly the leaf data
    assert verify_jsonl(tmp_path / "run.jsonl", PK) == expected
    unsigned = verify_jsonl(tmp_path / "run.jsonl")
    assert unsigned.root == expected.root and not unsigned.signatures_checked
    with open(tmp_path / "run.jsonl", "rb") as f:
        assert verify_jsonl(f, PK, log_id=LOG_ID).size == 47
    with RunLog.import_jsonl(tmp_path / "run.jsonl", tmp_path / "copy.db", public_keys=PK) as copy_:
        assert copy_.verify(PK) == expected
        assert copy_.first_step == 5
        copy_.append(rec(52))  # an imported log can be continued


def _export(tmp_path: Path) -> list[bytes]:
    with make_log(tmp_path / "run.db", 12) as log:
        log.checkpoint(SK)
        log.extend(rec(i) for i in range(12, 20))
        log.export_jsonl(tmp_path / "good.jsonl")
    return (tmp_path / "good.jsonl").read_bytes().splitlines(keepends=True)


def test_export_negative_twins(tmp_path: Path) -> None:
    lines = _export(tmp_path)
    bad = tmp_path / "bad.jsonl"

    def check(new_lines: list[bytes], err: type[Exception] | tuple, keys_: object = PK) -> None:
        bad.write_bytes(b"".join(new_lines))
        with pytest.raises(err):
            verify_jsonl(bad, keys_)  # type: ignore[arg-type]

    verify_jsonl(tmp_path / "good.jsonl", PK)  # positive twin
    cp_line = 13  # header + 12 records
    assert lines[cp_line].startswith(b'{"checkpoint"')
    check(lines[:-1], MalformedError)  # truncated: no end line
    check([*lines[:-1], lines[-1][:-1]], MalformedError)  # last line cut
    check([*lines, lines[3]], MalformedError)  # data after the end
    check(lines[:5] + lines[6:], LogIntegrityError)  # a record dropped
    check([*lines[:5], lines[6], lines[5], *lines[7:]], LogIntegrityError)  # reordered
    tampered = lines[4].replace(b'"tokens":4096', b'"tokens":4097')
    check([*lines[:4], tampered, *lines[5:]], LogIntegrityError)  # tampered record
    spaced = lines[4].replace(b'"tokens":4096', b'"tokens": 4096')
    check([*lines[:4], spaced, *lines[5:]], MalformedError)  # non-canonical
    moved = [*lines[:cp_line], lines[cp_line + 1], lines[cp_line], *lines[cp_line + 2 :]]
    check(moved, LogIntegrityError)  # checkpoint at the wrong position
    # a validly signed checkpoint of a forked log (same id and size, other records)
    with RunLog.create(tmp_path / "fork.db", LOG_ID, synchronous="OFF") as fork:
        fork.extend(rec(i, tokens=7) for i in range(12))
        forged = canonical_json({"checkpoint": fork.checkpoint(SK)}) + b"\n"
    check([*lines[:cp_line], forged, *lines[cp_line + 1 :]], LogIntegrityError)
    check(lines, VerificationError, OTHER.public_key())  # other key
    end = json.loads(lines[-1])
    end["end"]["root"] = "0" * 64
    check([*lines[:-1], canonical_json(end) + b"\n"], LogIntegrityError)
    end["end"] = {"size": 19, "root": json.loads(lines[-1])["end"]["root"]}
    check([*lines[:-1], canonical_json(end) + b"\n"], LogIntegrityError)
    check([b'{"format":"something-else"}\n', *lines[1:]], MalformedError)
    hdr = json.loads(lines[0])
    hdr["version"] = 9
    check([canonical_json(hdr) + b"\n", *lines[1:]], UnsupportedVersionError)
    hdr = json.loads(lines[0])
    hdr["log_id"] = "other"
    check([canonical_json(hdr) + b"\n", *lines[1:]], VerificationError)  # log_id vs checkpoint
    with pytest.raises(VerificationError, match="log_id"):
        verify_jsonl(tmp_path / "good.jsonl", PK, log_id="other")
    with pytest.raises(ZkattestIOError):
        verify_jsonl(tmp_path / "nope.jsonl")
    # a bad export is never imported
    bad.write_bytes(b"".join([*lines[:4], tampered, *lines[5:]]))
    with pytest.raises(LogIntegrityError):
        RunLog.import_jsonl(bad, tmp_path / "imp.db")
    assert not (tmp_path / "imp.db").exists()


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="log_id"):
        RunLog.create(tmp_path / "a.db", "")
    with pytest.raises(InvalidInputError, match="log_id"):
        RunLog.create(tmp_path / "a.db", "bad\nid")
    with pytest.raises(InvalidInputError, match="first_step"):
        RunLog.create(tmp_path / "a.db", LOG_ID, first_step=-1)
    assert not (tmp_path / "a.db").exists()
    with make_log(tmp_path / "b.db", 3) as log:
        for bad in (-1, 3, "0", 1.0):
            with pytest.raises(InvalidInputError):
                log.record(bad)  # type: ignore[arg-type]
        with pytest.raises(InvalidInputError):
            log.inclusion_proof(3)
        with pytest.raises(InvalidInputError):
            log.root(4)
        with pytest.raises(InvalidInputError):
            log.consistency_proof(3, 2)
        with pytest.raises(InvalidInputError):
            log.checkpoint(PK)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match=r"RunLog\.create"):
        RunLog()
