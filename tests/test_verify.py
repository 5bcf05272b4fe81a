"""verify_bundle on real bundles: everything passes on an honest one, and every kind of
tampering, lie or damage gives a failed check (or an unreadable-bundle verdict) that
names what is wrong, never a pass, an exception or a hang."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _bundle_factory import (
    Run,
    build_run,
    copy_bundle_to,
    log_lines,
    make_log,
    resign,
    restate,
    write_bundle,
)
from zkattest.canonical import canonical_json, parse_json
from zkattest.constants import (
    BUNDLE_FINAL,
    BUNDLE_GENESIS,
    BUNDLE_INVARIANTS,
    BUNDLE_LOG,
    BUNDLE_MANIFEST,
    BUNDLE_PROOF_INDEX,
    BUNDLE_SPEC,
    PREDICATE_BUNDLE_V1,
    RECORD_EXTRA_HYPERPARAMETERS,
)
from zkattest.errors import InvalidInputError
from zkattest.invariants import InvariantResult, check_invariants, hyperparameters_record_form
from zkattest.log import fp32_hex
from zkattest.spec import FlopBudget
from zkattest.verify import FAIL, PASS, UNCHECKED, Report, verify_bundle

EXPECTED = {
    "bundle.container": PASS,
    "manifest.signature": PASS,
    "manifest.version": PASS,
    "manifest.members": PASS,
    "spec.digest": PASS,
    "spec.statement": PASS,
    "genesis.statement": PASS,
    "genesis.state_root": UNCHECKED,
    "log.verify": PASS,
    "log.binding": PASS,
    "log.checkpoints": PASS,
    "log.inclusion": PASS,
    "proofs.index": PASS,
    "proofs.verify": PASS,
    "proofs.coverage": UNCHECKED,
    "invariants.statement": PASS,
    "invariant.data_provenance": UNCHECKED,
    "invariant.finite_state": UNCHECKED,
    "invariant.flop_budget": PASS,
    "invariant.hyperparameters_fixed": PASS,
    "invariant.lr_schedule": PASS,
    "invariant.max_steps": PASS,
    "final.statement": PASS,
    "final.state_root": PASS,
    "final.weights": PASS,
    "provenance": PASS,
}


@pytest.fixture(scope="session")
def run() -> Run:
    return build_run()


@pytest.fixture
def bundle(run: Run, tmp_path: Path) -> Path:
    return copy_bundle_to(run, tmp_path, "dir")


def verify(run: Run, path: Path, **kw: Any) -> Report:
    """verify_bundle; by default with ``allow_unproved=True``: these bundles carry a smoke
    proof, no step proof (coverage is tested in test_proofs.py and below)."""
    kw.setdefault("allow_unproved", True)
    rep = verify_bundle(path, run.sk.public_key(), **kw)
    assert not [c for c in rep.checks if "internal error" in c.detail], rep.checks
    json.dumps(rep.to_dict())
    return rep


def status(rep: Report, name: str) -> tuple[str, str]:
    (c,) = [c for c in rep.checks if c.name == name]
    return c.status, c.detail


def assert_fails(rep: Report, name: str, *words: str) -> None:
    s, detail = status(rep, name)
    assert s == FAIL, (name, s, detail)
    for w in words:
        assert w in detail, (name, detail)
    assert rep.outcome == "failed" and rep.exit_code == 1 and not rep.verified
    assert rep.verdict().startswith("FAILED") and name in rep.verdict()


# --- honest bundles --------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["dir", "zkab"])
def test_honest_bundle_verifies(run: Run, tmp_path: Path, form: str) -> None:
    rep = verify(run, copy_bundle_to(run, tmp_path, form))
    assert {c.name: c.status for c in rep.checks} == EXPECTED
    assert rep.verified and rep.exit_code == 0 and rep.outcome == "verified"
    assert rep.steps == len(run.records) and rep.bundle_version == 1 and rep.proofs == 1
    assert rep.final_state_root == run.records[-1].state_root
    assert rep.spec_digest == run.spec.digest() == rep.log_id
    d = rep.to_dict()
    assert d["verified"] is True and d["final_state_root"] == rep.final_state_root
    assert {"name", "ok", "status", "detail"} <= set(d["checks"][0])
    assert rep.verdict().startswith("VERIFIED (state transitions NOT attested")
    assert d["allow_unproved"] is True and d["warnings"] == rep.warnings
    assert len(rep.warnings) == 1 and "24 challenged chunk(s) have no step proof" in rep.warnings[0]


# --- coverage: strict by default -------------------------------------------------------------


def test_bundle_without_step_proofs_fails_by_default(run: Run, bundle: Path) -> None:
    """The spec challenges every (step, chunk) (fraction 1.0: 4 chunks x 6 steps); the
    bundle proves none: proofs.coverage fails, naming how many and how to produce them."""
    rep = verify(run, bundle, allow_unproved=False)
    assert_fails(rep, "proofs.coverage", "24 of 24 challenged", "no step proof", "prove=None")
    assert "--allow-unproved" in status(rep, "proofs.coverage")[1]
    assert rep.to_dict()["allow_unproved"] is False and rep.warnings == []
    # Nothing else fails: finite_state is merely unchecked (no proof says anything).
    assert [c.name for c in rep.checks if c.status == FAIL] == ["proofs.coverage"]
    s, detail = status(rep, "invariant.finite_state")
    assert s == UNCHECKED and "no step proof" in detail and "allowed" not in detail
    # The opt-out: the same bundle verifies, coverage unchecked and said so.
    rep = verify(run, bundle, allow_unproved=True)
    assert rep.verified and rep.exit_code == 0
    s, detail = status(rep, "proofs.coverage")
    assert s == UNCHECKED and "allowed by --allow-unproved" in detail and "24 of 24" in detail
    s, detail = status(rep, "invariant.finite_state")
    assert s == UNCHECKED and "allowed by --allow-unproved" in detail
    with pytest.raises(InvalidInputError, match="allow_unproved"):
        verify_bundle(bundle, run.sk.public_key(), allow_unproved=1)  # type: ignore[arg-type]


def test_spec_that_challenges_nothing_passes_loudly(run: Run, tmp_path: Path) -> None:
    """An empty log has no (step, chunk) pair to challenge: coverage passes, with a
    warning in the report and the verdict, even without the opt-out."""
    rep = verify(
        run, write_bundle(run, tmp_path / "d", records=[], weights=False), allow_unproved=False
    )
    s, detail = status(rep, "proofs.coverage")
    assert s == PASS and "challenges no (step, chunk) pair" in detail and "log is empty" in detail
    assert (
        rep.verified and rep.warnings and "nothing about the state transitions" in rep.warnings[0]
    )
    assert "NOT attested" in rep.verdict()


def test_verifier_supplied_challenges_need_the_opt_out(run: Run, tmp_path: Path) -> None:
    from zkattest.spec import ChallengePolicy

    spec = run.spec.replace(challenges=ChallengePolicy.of_fraction(1.0, "verifier_supplied"))
    b = write_bundle(run, tmp_path / "b", spec=spec)
    assert_fails(verify(run, b, allow_unproved=False), "proofs.coverage", "verifier")
    rep = verify(run, b)
    assert rep.verified and status(rep, "proofs.coverage")[0] == UNCHECKED


def test_expected_spec(run: Run, bundle: Path) -> None:
    assert status(verify(run, bundle, spec=run.spec.to_json()), "spec.expected")[0] == PASS
    pretty = json.dumps(parse_json(run.spec.to_json()), indent=2).encode()
    s, detail = status(verify(run, bundle, spec=pretty), "spec.expected")
    assert s == PASS and "not canonical" in detail
    assert status(verify(run, bundle, spec=run.spec), "spec.expected")[0] == PASS
    other = run.spec.replace(max_steps=9)
    assert_fails(verify(run, bundle, spec=other), "spec.expected", "differs")
    with pytest.raises(InvalidInputError):
        verify_bundle(bundle, run.sk)  # type: ignore[arg-type]


def test_variants_that_still_verify(run: Run, tmp_path: Path) -> None:
    rep = verify(run, write_bundle(run, tmp_path / "a", weights=False, provenance=False))
    assert rep.verified and status(rep, "final.weights")[0] == UNCHECKED
    rep = verify(run, write_bundle(run, tmp_path / "b", step_key=None, proofs=0))
    assert rep.verified and status(rep, "final.weights")[0] == UNCHECKED
    assert status(rep, "proofs.verify")[1].startswith("0 proof")
    rep = verify(run, write_bundle(run, tmp_path / "c.zkab", checkpoint_every=1))
    assert rep.verified and "6 signed checkpoint" in status(rep, "log.checkpoints")[1]
    # A run that never stepped: its final state is its genesis state.
    rep = verify(run, write_bundle(run, tmp_path / "d", records=[], weights=False))
    assert rep.verified and rep.steps == 0 and rep.final_state_root == run.genesis_root


# --- keys and signatures ---------------------------------------------------------------------


def test_wrong_key(run: Run, bundle: Path) -> None:
    rep = verify_bundle(bundle, run.other_sk.public_key(), allow_unproved=True)
    assert rep.exit_code == 1
    for name in ("manifest.signature", "spec.statement", "genesis.statement", "log.verify"):
        assert status(rep, name)[0] == FAIL, name
    assert status(rep, "invariant.lr_schedule")[0] == "skipped"


def test_signed_by_another_key(run: Run, bundle: Path) -> None:
    restate(bundle, BUNDLE_MANIFEST, run.other_sk)
    assert_fails(verify(run, bundle), "manifest.signature", "signature")
    restate(bundle, BUNDLE_MANIFEST, run.sk)
    restate(bundle, BUNDLE_FINAL, run.other_sk)
    resign(bundle, run.sk)
    assert_fails(verify(run, bundle), "final.statement", "signature")


# --- the log ---------------------------------------------------------------------------------


def _relog(bundle: Path, run: Run, edit: Callable[[list[bytes]], list[bytes]]) -> Report:
    lines = edit(log_lines(bundle))
    resign(bundle, run.sk, replace_members={BUNDLE_LOG: b"".join(lines)})
    return verify(run, bundle)


def _record_positions(lines: list[bytes]) -> list[int]:
    return [i for i, line in enumerate(lines) if line.startswith(b'{"batch_commitment"')]


@pytest.mark.parametrize("kind", ["reorder", "duplicate", "missing", "truncated"])
def test_log_tampering(run: Run, bundle: Path, kind: str) -> None:
    def edit(lines: list[bytes]) -> list[bytes]:
        rec = _record_positions(lines)
        if kind == "reorder":
            lines[rec[1]], lines[rec[2]] = lines[rec[2]], lines[rec[1]]
        elif kind == "duplicate":
            lines.insert(rec[1], lines[rec[1]])
        elif kind == "missing":
            del lines[rec[4]]
        else:
            lines = lines[:-1]
        return lines

    rep = _relog(bundle, run, edit)
    word = {"truncated": "end line"}.get(kind, "step")
    assert_fails(rep, "log.verify", word)
    assert status(rep, "log.checkpoints")[0] == "skipped"


def test_checkpoint_the_log_does_not_extend(run: Run, bundle: Path, tmp_path: Path) -> None:
    """A correctly signed checkpoint over another history at the same size."""
    forged = [replace(r, tokens=r.tokens + 1) for r in run.records[:3]]
    with make_log(tmp_path / "f.db", run.spec.digest(), forged, run.sk) as other:
        env = other.checkpoints()[0]

    def edit(lines: list[bytes]) -> list[bytes]:
        i = next(i for i, line in enumerate(lines) if line.startswith(b'{"checkpoint"'))
        lines[i] = canonical_json({"checkpoint": env}) + b"\n"
        return lines

    assert_fails(_relog(bundle, run, edit), "log.verify", "root")


def test_checkpoints_required(run: Run, tmp_path: Path) -> None:
    rep = verify(run, write_bundle(run, tmp_path / "a", checkpoint_every=0, final_checkpoint=False))
    assert_fails(rep, "log.checkpoints", "no signed checkpoint")
    rep = verify(run, write_bundle(run, tmp_path / "b", checkpoint_every=4, final_checkpoint=False))
    assert_fails(rep, "log.checkpoints", "covers 4 of 6")


# --- invariants ------------------------------------------------------------------------------


def test_lr_off_schedule(run: Run, tmp_path: Path) -> None:
    recs = list(run.records)
    recs[2] = replace(recs[2], lr=fp32_hex(0.5))
    rep = verify(run, write_bundle(run, tmp_path / "b", records=recs))
    assert_fails(rep, "invariant.lr_schedule", "violated", "step 2")


def test_flop_budget_exceeded(run: Run, tmp_path: Path) -> None:
    n = run.spec.num_parameters
    spec = run.spec.replace(flop_budget=FlopBudget(6 * n * 32 * 4))
    rep = verify(run, write_bundle(run, tmp_path / "b", spec=spec))
    assert_fails(rep, "invariant.flop_budget", "exceeded at step 4")


def test_max_steps_exceeded(run: Run, tmp_path: Path) -> None:
    rep = verify(run, write_bundle(run, tmp_path / "b", spec=run.spec.replace(max_steps=5)))
    assert_fails(rep, "invariant.max_steps", "beyond max_steps")


def test_hyperparameters_changed(run: Run, tmp_path: Path) -> None:
    hp = {**hyperparameters_record_form(run.spec), "eps": fp32_hex(1e-3, exact=False)}
    recs = list(run.records)
    recs[5] = replace(recs[5], extra={RECORD_EXTRA_HYPERPARAMETERS: hp})
    rep = verify(run, write_bundle(run, tmp_path / "b", records=recs))
    assert_fails(rep, "invariant.hyperparameters_fixed", "step 5")


def test_trainer_lies_about_invariants(run: Run, tmp_path: Path) -> None:
    recs = list(run.records)
    recs[1] = replace(recs[1], lr=fp32_hex(0.5))
    honest = check_invariants(run.spec, recs)
    lie = [
        InvariantResult(r.name, "ok", 0, 0, "") if r.name == "lr_schedule" else r for r in honest
    ]
    rep = verify(run, write_bundle(run, tmp_path / "a", records=recs, invariants=lie))
    assert_fails(rep, "invariant.lr_schedule", "attested ok=True", "recomputed ok=False")
    rep = verify(run, write_bundle(run, tmp_path / "b", claims={"finite_state": False}))
    assert_fails(rep, "invariant.finite_state", "attests a violation")
    missing = [r for r in check_invariants(run.spec, run.records) if r.name != "max_steps"]
    rep = verify(run, write_bundle(run, tmp_path / "c", invariants=missing))
    assert_fails(rep, "invariant.max_steps", "not attested")


# --- statements that lie ---------------------------------------------------------------------


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda p: p.__setitem__(key, value)


@pytest.mark.parametrize(
    ("change", "check", "word"),
    [
        (_set("steps", 99), "log.binding", "99 steps"),
        (_set("log_root", "00" * 32), "log.binding", "log_root"),
        (_set("final_state_root", "00" * 32), "final.state_root", "manifest"),
        (_set("spec_digest", "00" * 32), "spec.digest", "manifest says"),
        (_set("proofs", 2), "proofs.index", "manifest says 2"),
    ],
)
def test_manifest_lies(run: Run, bundle: Path, change: Any, check: str, word: str) -> None:
    restate(bundle, BUNDLE_MANIFEST, run.sk, predicate=change)
    assert_fails(verify(run, bundle), check, word)


@pytest.mark.parametrize(
    ("member", "change", "check", "word"),
    [
        (BUNDLE_FINAL, _set("final_state_root", "11" * 32), "final.state_root", "not the last"),
        (BUNDLE_FINAL, _set("log_size", 5), "final.statement", "another log"),
        (BUNDLE_FINAL, _set("step_key", "22" * 32), "final.weights", "recomputed"),
        (BUNDLE_GENESIS, _set("init", {"kind": "recipe"}), "genesis.statement", "init"),
        (BUNDLE_GENESIS, _set("extra", 1), "genesis.statement", "unknown field"),
        (BUNDLE_INVARIANTS, _set("log_root", "33" * 32), "invariants.statement", "another log"),
    ],
)
def test_statements_lie(
    run: Run, bundle: Path, member: str, change: Any, check: str, word: str
) -> None:
    restate(bundle, member, run.sk, predicate=change)
    resign(bundle, run.sk)
    assert_fails(verify(run, bundle), check, word)


def test_weights_swapped(run: Run, bundle: Path) -> None:
    data = bytearray((bundle / "model.safetensors").read_bytes())
    data[-1] ^= 1
    resign(bundle, run.sk, replace_members={"model.safetensors": bytes(data)})
    assert_fails(verify(run, bundle), "final.weights", "sha256")


def test_spec_swapped(run: Run, bundle: Path) -> None:
    other = run.spec.replace(batch_size=64).to_json()
    resign(
        bundle,
        run.sk,
        replace_members={BUNDLE_SPEC: other},
        predicate=_set("spec_digest", hashlib.sha256(other).hexdigest()),
    )
    rep = verify(run, bundle)
    assert_fails(rep, "spec.statement", "sha256 of spec.json")
    assert_fails(rep, "log.verify", "log_id")


# --- members and proofs ----------------------------------------------------------------------


def test_missing_and_unlisted_members(run: Run, bundle: Path) -> None:
    (bundle / BUNDLE_INVARIANTS).unlink()
    (bundle / "notes.txt").write_bytes(b"hello")
    rep = verify(run, bundle)
    assert_fails(rep, "manifest.members", "invariants.dsse.json is missing", "notes.txt")
    resign(bundle, run.sk)
    rep = verify(run, bundle)
    assert_fails(rep, "manifest.members", "required member invariants.dsse.json")
    assert_fails(rep, "invariants.statement", "no member")


def test_manifest_digest_mismatch_names_member(run: Run, bundle: Path) -> None:
    data = bytearray((bundle / BUNDLE_LOG).read_bytes())
    data[100] ^= 0x20
    (bundle / BUNDLE_LOG).write_bytes(bytes(data))
    assert_fails(verify(run, bundle), "manifest.members", "log.jsonl: sha256 differs")


def _index(bundle: Path) -> list[dict[str, Any]]:
    return [parse_json(x) for x in (bundle / BUNDLE_PROOF_INDEX).read_bytes().splitlines()]


def _write_index(bundle: Path, run: Run, entries: list[dict[str, Any]], **extra: Any) -> None:
    data = b"".join(canonical_json(e) + b"\n" for e in entries)
    resign(bundle, run.sk, replace_members={BUNDLE_PROOF_INDEX: data, **extra})


def test_proof_rejected(run: Run, bundle: Path) -> None:
    blob = bytearray(run.proof)
    blob[len(blob) // 2] ^= 1
    (e,) = _index(bundle)
    e["sha256"] = hashlib.sha256(blob).hexdigest()
    _write_index(bundle, run, [e], **{e["name"]: bytes(blob)})
    assert_fails(verify(run, bundle), "proofs.verify", "proofs/00000000.bin", "rejected")


def test_proof_public_inputs_lie(run: Run, bundle: Path) -> None:
    (e,) = _index(bundle)
    e["public"]["sum"] += 1
    _write_index(bundle, run, [e])
    assert_fails(verify(run, bundle), "proofs.verify", "rejected")


def test_proof_missing_or_unlisted(run: Run, bundle: Path) -> None:
    (bundle / "proofs/00000001.bin").write_bytes(b"extra")
    assert_fails(verify(run, bundle), "proofs.index", "00000001.bin not listed")
    (bundle / "proofs/00000001.bin").unlink()
    (bundle / "proofs/00000000.bin").unlink()
    assert_fails(verify(run, bundle), "proofs.index", "missing")


def test_unknown_proof_kind_is_unsupported(run: Run, bundle: Path) -> None:
    (e,) = _index(bundle)
    e["kind"] = "step.fp32.v9"
    _write_index(bundle, run, [e])
    rep = verify(run, bundle)
    assert status(rep, "proofs.index")[0] == "unsupported"
    assert rep.outcome == "unsupported" and rep.exit_code == 3


def test_proof_step_beyond_log(run: Run, bundle: Path) -> None:
    (e,) = _index(bundle)
    e["step"] = 6
    _write_index(bundle, run, [e])
    assert_fails(verify(run, bundle), "proofs.index", "beyond the log")


# --- versions --------------------------------------------------------------------------------


def test_unsupported_bundle_version(run: Run, bundle: Path) -> None:
    restate(bundle, BUNDLE_MANIFEST, run.sk, predicate=_set("bundle_version", 2))
    rep = verify(run, bundle)
    assert rep.outcome == "unsupported" and rep.exit_code == 3
    assert "bundle version 2" in (rep.error or "")
    restate(
        bundle,
        BUNDLE_MANIFEST,
        run.sk,
        predicate=_set("bundle_version", 1),
        predicate_type=PREDICATE_BUNDLE_V1.replace("/v1", "/v2"),
    )
    rep = verify(run, bundle)
    assert rep.exit_code == 3 and rep.verdict().startswith("UNSUPPORTED")
    # A "newer version" that the run's key did not sign is a failure, not exit 3.
    restate(bundle, BUNDLE_MANIFEST, run.other_sk)
    rep = verify(run, bundle)
    assert rep.exit_code == 1 and rep.verdict().startswith("FAILED")
    assert "signature" in (rep.error or "")


# --- unreadable bundles ----------------------------------------------------------------------


def _tar_bytes(members: dict[str, bytes], size_override: dict[str, int] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    raw = bytearray(buf.getvalue())
    for name, size in (size_override or {}).items():
        off = raw.index(name.encode())
        raw[off + 124 : off + 136] = f"{size:011o}\0".encode()
        raw[off + 148 : off + 156] = b" " * 8
        chk = sum(raw[off : off + 512])
        raw[off + 148 : off + 156] = f"{chk:06o}\0 ".encode()
    return bytes(raw)


def test_unreadable_bundles(run: Run, tmp_path: Path) -> None:
    data = run.bundle_zkab.read_bytes()
    cases: dict[str, bytes] = {
        "empty": b"",
        "garbage": b"not a bundle\n" * 300,
        "half": data[: len(data) // 2],
        "header-only": data[:512],
        "huge-declared-length": _tar_bytes(
            {BUNDLE_MANIFEST: b"{}"}, size_override={BUNDLE_MANIFEST: 8**11 - 1}
        ),
        "no-manifest": _tar_bytes({BUNDLE_SPEC: run.spec.to_json()}),
        "manifest-garbage": _tar_bytes({BUNDLE_MANIFEST: b"\xff\xfe{"}),
    }
    with tarfile.open(run.bundle_zkab) as t:
        t.getmembers()
        end = t.offset  # the end-of-archive marker (two zero blocks) starts here
    # Any cut before the end of the end marker; the zero fill after it carries nothing.
    for cut in (1, 513, 1024, 4096, end - 1, end, end + 511, end + 1023):
        cases[f"cut-{cut}"] = data[:cut]
    for label, blob in cases.items():
        p = tmp_path / f"{label}.zkab"
        p.write_bytes(blob)
        rep = verify(run, p)
        assert rep.outcome == "malformed" and rep.exit_code == 2, (label, rep.verdict())
        assert rep.error and rep.verdict().startswith("ERROR"), label
    rep = verify(run, tmp_path / "absent.zkab")
    assert rep.exit_code == 2 and "does not exist" in (rep.error or "")
    fifo = tmp_path / "fifo.zkab"
    os.mkfifo(fifo)  # would block a reader forever
    assert verify(run, fifo).exit_code == 2
    assert verify(run, Path("/dev/zero")).exit_code == 2
    d = copy_bundle_to(run, tmp_path / "sym")
    (d / "link").symlink_to(d / BUNDLE_SPEC)
    assert verify(run, d).exit_code == 2


# --- single-bit flips anywhere ---------------------------------------------------------------

_FLIP = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _assert_rejected(rep: Report, where: str) -> None:
    assert rep.exit_code in (1, 2), (where, rep.verdict())
    if rep.exit_code == 1:
        failed = [c for c in rep.checks if c.status == FAIL]
        assert failed and all(c.detail for c in failed), where
    else:
        assert rep.error, where


@_FLIP
@given(data=st.data())
def test_bit_flip_in_any_member(run: Run, tmp_path_factory: Any, data: Any) -> None:
    names = sorted(
        p.relative_to(run.bundle_dir).as_posix() for p in run.bundle_dir.rglob("*") if p.is_file()
    )
    name = data.draw(st.sampled_from(names), label="member")
    size = (run.bundle_dir / name).stat().st_size
    bit = data.draw(st.integers(0, size * 8 - 1), label="bit")
    d = tmp_path_factory.mktemp("flip")
    bundle = copy_bundle_to(run, d)
    blob = bytearray((bundle / name).read_bytes())
    blob[bit // 8] ^= 1 << (bit % 8)
    (bundle / name).write_bytes(bytes(blob))
    _assert_rejected(verify(run, bundle), f"{name} bit {bit}")
    shutil.rmtree(d)


@_FLIP
@given(data=st.data())
def test_bit_flip_anywhere_in_archive(run: Run, tmp_path_factory: Any, data: Any) -> None:
    raw = run.bundle_zkab.read_bytes()
    with tarfile.open(run.bundle_zkab) as t:
        infos = t.getmembers()
    # Every region of the file, weighted so that headers, padding, the small members and
    # the end of the archive are hit as often as the (large) proof blob.
    regions = []
    for i in infos:
        regions.append((i.offset, i.offset_data))  # header
        regions.append((i.offset_data, i.offset_data + max(i.size, 1)))  # data
        pad_end = i.offset_data + i.size + (-i.size % 512)
        if pad_end > i.offset_data + i.size:
            regions.append((i.offset_data + i.size, pad_end))  # padding
    regions.append((regions[-1][1], len(raw)))  # end marker and zero fill
    lo, hi = data.draw(st.sampled_from(regions), label="region")
    pos = data.draw(st.integers(lo, min(hi, len(raw)) - 1), label="byte")
    bit = data.draw(st.integers(0, 7), label="bit")
    flipped = bytearray(raw)
    flipped[pos] ^= 1 << bit
    p = tmp_path_factory.mktemp("flipz") / "b.zkab"
    p.write_bytes(bytes(flipped))
    _assert_rejected(verify(run, p), f"byte {pos} bit {bit}")
    p.unlink()
