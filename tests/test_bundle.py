"""The proof bundle v1: BundleWriter / BundleReader, strict envelopes and archives, the
invariant recomputation, and a bounded run of the parser fuzzer."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from _bundle_factory import Run, build_run, copy_bundle_to, make_log, write_bundle
from zkattest import keys
from zkattest.bundle import (
    MAX_LINE_BYTES,
    BundleReader,
    BundleWriter,
    ProofEntry,
    check_archive_layout,
    copy_bundle,
    open_envelope,
    sign_spec,
    strict_envelope,
)
from zkattest.canonical import canonical_json, parse_json
from zkattest.constants import (
    BUNDLE_LOG,
    BUNDLE_MANIFEST,
    BUNDLE_PROOF_INDEX,
    BUNDLE_SPEC,
    PREDICATE_BUNDLE_V1,
    PROOF_KIND_SMOKE,
    RECORD_EXTRA_HYPERPARAMETERS,
)
from zkattest.dsse import b64decode, envelope_to_json, sign_envelope
from zkattest.errors import InvalidInputError, MalformedError, VerificationError
from zkattest.invariants import InvariantChecker, check_invariants, hyperparameters_record_form
from zkattest.log import fp32_hex
from zkattest.spec import FlopBudget, Invariant, ParentInit
from zkattest.verify import verify_bundle

FUZZER = Path(__file__).with_name("fuzz_parsers.py")


@pytest.fixture(scope="session")
def run() -> Run:
    return build_run()


@pytest.fixture(params=["dir", "zkab"])
def bundle(run: Run, tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    return copy_bundle_to(run, tmp_path, request.param)


# --- writer / reader round trip ------------------------------------------------------------


def test_round_trip(run: Run, bundle: Path) -> None:
    with BundleReader(bundle) as r:
        m = r.manifest(run.sk.public_key())
        names = set(r.names())
        assert BUNDLE_MANIFEST in names and "proofs/00000000.bin" in names
        # The manifest lists every member but itself and the proof blobs.
        assert set(m.members) == names - {BUNDLE_MANIFEST, "proofs/00000000.bin"}
        for name, digest in m.members.items():
            assert r.sha256(name) == digest
        assert m.spec_digest == run.spec.digest() == m.log_id
        assert m.steps == len(run.records) and m.proofs == 1
        assert m.final_state_root == run.records[-1].state_root
        assert r.spec() == run.spec
        (entry,) = list(r.proof_entries())
        assert entry.kind == PROOF_KIND_SMOKE and entry.step is None
        assert r.read_proof(entry) == run.proof
        assert dict(entry.public) == dict(run.proof_public)


def test_copy_between_forms_keeps_signatures(run: Run, tmp_path: Path) -> None:
    copy_bundle(run.bundle_zkab, tmp_path / "back")
    copy_bundle(tmp_path / "back", tmp_path / "again.zkab")
    assert (tmp_path / "again.zkab").read_bytes() == run.bundle_zkab.read_bytes()
    assert verify_bundle(tmp_path / "back", run.sk.public_key(), allow_unproved=True).verified


def test_writer_enforces_order(run: Run, tmp_path: Path) -> None:
    w = BundleWriter(tmp_path / "b", run.sk)
    for call in (
        lambda: w.add_genesis(run.genesis_root),
        lambda: w.add_proof(PROOF_KIND_SMOKE, run.proof, public=run.proof_public),
        lambda: w.add_invariants(),
        lambda: w.add_final(),
        lambda: w.finalize(),
    ):
        with pytest.raises(InvalidInputError, match="before"):
            call()
    w.add_spec(run.spec)
    with pytest.raises(InvalidInputError, match="already written"):
        w.add_spec(run.spec)
    with pytest.raises(InvalidInputError, match="before add_log"):
        w.add_log(tmp_path / "nope.jsonl")
    with pytest.raises(InvalidInputError, match="unknown proof kind"):
        w.add_proof("nope.v1", b"x", public={})
    with pytest.raises(MalformedError):
        w.add_proof(PROOF_KIND_SMOKE, run.proof, public={"n": 3, "sum": 1})
    with pytest.raises(InvalidInputError, match="step"):
        w.add_proof(PROOF_KIND_SMOKE, run.proof, public=run.proof_public, step=-1)
    with pytest.raises(InvalidInputError, match="reserved"):
        w.add_weights(run.weights, name=BUNDLE_SPEC)
    w.close()
    with pytest.raises(InvalidInputError, match="closed"):
        w.add_genesis(run.genesis_root)
    # Left without a manifest: incomplete, and verify says so (exit 2).
    rep = verify_bundle(tmp_path / "b", run.sk.public_key(), allow_unproved=True)
    assert rep.outcome == "malformed" and rep.exit_code == 2
    assert "incomplete bundle" in (rep.error or "")


def test_writer_checks_inputs(run: Run, tmp_path: Path) -> None:
    w = BundleWriter(tmp_path / "b", run.sk)
    with pytest.raises(InvalidInputError, match="subject digest"):
        w.add_spec(run.spec, envelope=sign_spec(run.spec.replace(max_steps=7), run.sk))
    with pytest.raises(InvalidInputError, match="spec envelope"):
        w.add_spec(run.spec, envelope=sign_spec(run.spec, run.other_sk))
    w.add_spec(run.spec, envelope=sign_spec(run.spec, run.sk))  # pre-signed, then published
    with pytest.raises(InvalidInputError):
        w.add_genesis("xyz")
    w.add_genesis(bytes.fromhex(run.genesis_root))
    # A log of another run (its log_id is not this spec's digest) is refused.
    with make_log(tmp_path / "other.db", "0" * 64, run.records, run.sk) as log:
        with pytest.raises(InvalidInputError, match="log_id"):
            w.add_log(log)
    # So is a log whose checkpoints another key signed.
    with make_log(tmp_path / "o2.db", run.spec.digest(), run.records, run.other_sk) as log:
        with pytest.raises(InvalidInputError, match="signature"):
            w.add_log(log)
    w.close()


def test_parent_init_genesis(run: Run, tmp_path: Path) -> None:
    parent = ParentInit(bundle_digest="ab" * 32, final_state_root=run.genesis_root)
    spec = run.spec.replace(init=parent)
    path = write_bundle(run, tmp_path / "child", spec=spec)
    rep = verify_bundle(path, run.sk.public_key(), allow_unproved=True)
    assert rep.verified
    (c,) = [c for c in rep.checks if c.name == "genesis.state_root"]
    assert c.status == "pass" and "parent" in c.detail
    w = BundleWriter(tmp_path / "bad", run.sk)
    w.add_spec(spec.replace(init=ParentInit("ab" * 32, "cd" * 32)))
    with pytest.raises(InvalidInputError, match="parent"):
        w.add_genesis(run.genesis_root)
    w.close()


def test_proofs_from_threads(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "b.zkab"
    w = BundleWriter(path, run.sk)
    w.add_spec(run.spec)
    w.add_genesis(run.genesis_root)
    steps = list(range(len(run.records)))

    def add(step: int) -> None:
        w.add_proof(PROOF_KIND_SMOKE, run.proof, public=run.proof_public, step=step, chunk=0)

    threads = [threading.Thread(target=add, args=(s,)) for s in steps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert w.proof_count == len(steps)
    with make_log(tmp_path / "l.db", run.spec.digest(), run.records, run.sk) as log:
        w.add_log(log)
    w.add_invariants()
    w.add_final()
    w.finalize()
    with BundleReader(path) as r:
        entries = list(r.proof_entries())
    assert [e.index for e in entries] == steps
    assert sorted(e.step for e in entries) == steps
    assert verify_bundle(path, run.sk.public_key(), allow_unproved=True).verified


def test_proof_index_lines() -> None:
    e = ProofEntry(3, PROOF_KIND_SMOKE, 2, 0, "ab" * 32, 10, {"n": 16, "sum": 1})
    line = e.to_json()
    assert ProofEntry.from_line(line, 3, "x") == e
    assert e.name == "proofs/00000003.bin"
    with pytest.raises(MalformedError, match="numbered"):
        ProofEntry.from_line(line, 4, "x")
    with pytest.raises(MalformedError, match="canonical"):
        ProofEntry.from_line(line.replace(b",", b", ", 1), 3, "x")
    bad = parse_json(line)
    bad["extra"] = 1
    with pytest.raises(MalformedError, match="unknown"):
        ProofEntry.from_line(canonical_json(bad), 3, "x")
    bad = parse_json(line)
    bad["size"] = 1 << 40
    with pytest.raises(MalformedError, match="limit"):
        ProofEntry.from_line(canonical_json(bad), 3, "x")
    for field, value in (("step", -1), ("kind", "A B"), ("sha256", "AB" * 32), ("public", [])):
        bad = parse_json(line)
        bad[field] = value
        with pytest.raises(MalformedError):
            ProofEntry.from_line(canonical_json(bad), 3, "x")


# --- strictness ------------------------------------------------------------------------


def test_strict_envelope(run: Run) -> None:
    with BundleReader(run.bundle_dir) as r:
        raw = r.read(BUNDLE_MANIFEST)
    env = strict_envelope(raw, "m")
    pk = run.sk.public_key()
    assert open_envelope(env, pk, PREDICATE_BUNDLE_V1, "m").predicate_type == PREDICATE_BUNDLE_V1
    variants = {
        "whitespace": raw.replace(b",", b", ", 1),
        "unknown field": envelope_to_json({**env, "note": "x"}),
        "two signatures": envelope_to_json(
            {**env, "signatures": env["signatures"] + env["signatures"]}
        ),
        "no keyid": envelope_to_json({**env, "signatures": [{"sig": env["signatures"][0]["sig"]}]}),
        "urlsafe": envelope_to_json(
            {**env, "payload": env["payload"].replace("+", "-").replace("/", "_").rstrip("=")}
        ),
    }
    assert variants["urlsafe"] != raw
    for label, data in variants.items():
        with pytest.raises(MalformedError):
            strict_envelope(data, label)
    # A keyid that names another key: the signature verifies, the keyid does not.
    other = {**env, "signatures": [{**env["signatures"][0], "keyid": keys.key_id(run.other_sk)}]}
    with pytest.raises(VerificationError, match="keyid"):
        open_envelope(strict_envelope(envelope_to_json(other), "m"), pk, PREDICATE_BUNDLE_V1, "m")
    # An envelope signed by another key.
    foreign = sign_envelope(b64decode(env["payload"]), env["payloadType"], run.other_sk)
    with pytest.raises(VerificationError):
        open_envelope(strict_envelope(envelope_to_json(foreign), "m"), pk, None, "m")


def _member_layout(path: Path) -> list[tarfile.TarInfo]:
    with tarfile.open(path) as t:
        return t.getmembers()


def test_archive_layout_is_strict(run: Run, tmp_path: Path) -> None:
    data = run.bundle_zkab.read_bytes()
    check_archive_layout(run.bundle_zkab)
    info = next(i for i in _member_layout(run.bundle_zkab) if i.size % 512)
    cases = {}
    b = bytearray(data)
    b[info.offset_data + info.size] = 1  # padding byte after a member
    cases["padding"] = bytes(b)
    b = bytearray(data)
    b[-1] = 1  # the zero fill after the end marker
    cases["tail"] = bytes(b)
    cases["appended"] = data + b"\x00" * 512 + b"garbage" + b"\x00" * 505
    for label, blob in cases.items():
        p = tmp_path / f"{label}.zkab"
        p.write_bytes(blob)
        with pytest.raises(MalformedError):
            BundleReader(p)
        assert verify_bundle(p, run.sk.public_key(), allow_unproved=True).exit_code == 2
    # The ustar checksum does not cover its own field: tarfile accepts these flips, the
    # canonical-header check does not.
    first = _member_layout(run.bundle_zkab)[0].offset
    for off, bit in ((155, 5), (154, 5), (148, 4)):
        b = bytearray(data)
        b[first + off] ^= 1 << bit
        p = tmp_path / f"chksum-{off}.zkab"
        p.write_bytes(bytes(b))
        with pytest.raises(MalformedError, match="canonical ustar header"):
            BundleReader(p)
    # Any other header metadata (here: the mtime, with a valid checksum) is rejected too.
    p = tmp_path / "mtime.zkab"
    with tarfile.open(run.bundle_zkab) as src, tarfile.open(p, "w", format=tarfile.PAX_FORMAT) as t:
        for m in src.getmembers():
            f = src.extractfile(m)
            assert f is not None
            m.mtime = 1234567890
            t.addfile(m, io.BytesIO(f.read()))
    with pytest.raises(MalformedError, match="canonical ustar header"):
        BundleReader(p)
    # A pax extended header (zkattest never writes one) is rejected.
    p = tmp_path / "pax.zkab"
    with tarfile.open(run.bundle_zkab) as src, tarfile.open(p, "w", format=tarfile.PAX_FORMAT) as t:
        for m in src.getmembers():
            f = src.extractfile(m)
            assert f is not None
            m.pax_headers = {"comment": "hello"} if m.name == BUNDLE_SPEC else {}
            t.addfile(m, io.BytesIO(f.read()))
    with pytest.raises(MalformedError, match="extended header"):
        BundleReader(p)


def test_hostile_lines_are_bounded(run: Run, tmp_path: Path) -> None:
    bundle = copy_bundle_to(run, tmp_path)
    (bundle / BUNDLE_PROOF_INDEX).write_bytes(b"x" * (MAX_LINE_BYTES + 10))
    with BundleReader(bundle) as r, pytest.raises(MalformedError, match="longer"):
        list(r.proof_entries())
    (bundle / BUNDLE_LOG).write_bytes(b"{" * (MAX_LINE_BYTES + 10) + b"\n")
    rep = verify_bundle(bundle, run.sk.public_key(), allow_unproved=True)
    (c,) = [c for c in rep.checks if c.name == "log.verify"]
    assert c.status == "fail" and "longer" in c.detail


# --- invariants --------------------------------------------------------------------------


def test_invariants_recomputed(run: Run) -> None:
    spec, recs = run.spec, list(run.records)
    by = {r.name: r for r in check_invariants(spec, recs)}
    assert {n: r.status for n, r in by.items()} == {
        "data_provenance": "unchecked",
        "finite_state": "unchecked",
        "flop_budget": "ok",
        "hyperparameters_fixed": "ok",
        "lr_schedule": "ok",
        "max_steps": "ok",
    }
    n = spec.num_parameters
    assert by["flop_budget"].value == 6 * n * sum(r.tokens for r in recs)
    assert by["max_steps"].value == len(recs) and by["max_steps"].bound == spec.max_steps
    # lr: one record with the next FP32 value up.
    lr = recs[4].lr
    bad = [*recs[:4], replace(recs[4], lr=f"{int(lr, 16) + 1:08x}")]
    r = {x.name: x for x in check_invariants(spec, bad)}["lr_schedule"]
    assert r.status == "violated" and r.value == 1 and "step 4" in r.detail
    # FLOP budget: exceeded at the step that crosses it.
    tight = spec.replace(flop_budget=FlopBudget(6 * n * 32 * 3))
    r = {x.name: x for x in check_invariants(tight, recs)}["flop_budget"]
    assert r.status == "violated" and "step 3" in r.detail
    # max_steps.
    r = {x.name: x for x in check_invariants(spec.replace(max_steps=4), recs)}["max_steps"]
    assert r.status == "violated"
    # Hyperparameters: one record carries a changed weight decay.
    hp = {**hyperparameters_record_form(spec), "weight_decay": fp32_hex(0.5)}
    changed = replace(recs[2], extra={RECORD_EXTRA_HYPERPARAMETERS: hp})
    r = {x.name: x for x in check_invariants(spec, [*recs[:2], changed])}["hyperparameters_fixed"]
    assert r.status == "violated" and r.value == 1
    plain = [replace(recs[0], extra={})]
    r = {x.name: x for x in check_invariants(spec, plain)}["hyperparameters_fixed"]
    assert r.status == "unchecked"
    # grad_norm_clip declares a bound but cannot be checked from records.
    clip = spec.replace(
        invariants=(*spec.invariants, Invariant("grad_norm_clip", {"max_norm": 1.0}))
    )
    r = InvariantChecker(clip).update_all(recs).results()
    g = {x.name: x for x in r}["grad_norm_clip"]
    assert g.status == "unchecked" and g.bound == fp32_hex(1.0) and g.ok is None


def test_hyperparameter_record_form_has_no_floats(run: Run) -> None:
    hp = hyperparameters_record_form(run.spec)
    assert hp["kind"] == "adamw" and isinstance(hp["lr"], str) and len(hp["betas"]) == 2
    assert b"." not in canonical_json(hp)


# --- fuzzing -----------------------------------------------------------------------------


def test_fuzz_parsers_bounded(run: Run, tmp_path: Path) -> None:
    """Run the atheris fuzzer over the bundle parsers for a bounded time, seeded with the
    members of a real bundle: no input may raise anything but a typed zkattest error."""
    pytest.importorskip("atheris")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i, p in enumerate(sorted(run.bundle_dir.rglob("*"))):
        if p.is_file() and p.stat().st_size < 1 << 16:
            for sel in range(5):
                (corpus / f"{i}-{sel}").write_bytes(bytes([sel]) + p.read_bytes())
    seconds = int(os.environ.get("ZKATTEST_FUZZ_SECONDS", "20"))
    env = {**os.environ, "ZKATTEST_FUZZ_PUB": str(run.pub_path)}
    proc = subprocess.run(
        [
            sys.executable,
            str(FUZZER),
            f"-max_total_time={seconds}",
            "-rss_limit_mb=4096",
            "-max_len=65536",
            "-print_final_stats=1",
            str(corpus),
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=seconds + 120,
    )
    tail = proc.stderr[-3000:]
    assert proc.returncode == 0, tail
    assert "Done" in proc.stderr and "stat::number_of_executed_units" in proc.stderr, tail
    shutil.rmtree(corpus)
