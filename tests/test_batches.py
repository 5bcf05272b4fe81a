"""Batch inclusion proofs: the dataset multi-proof (zkattest.data.DatasetMultiproof),
``batches.json`` in the bundle and the verifier's ``data.batches`` /
``invariant.data_provenance`` checks, with negative tests for every way a batch can fail
to come from the committed dataset."""

from __future__ import annotations

import dataclasses
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _attest_factory import Attested, dataset, parent_run
from _bundle_factory import make_log, resign
from zkattest import merkle
from zkattest.bundle import BundleWriter
from zkattest.constants import BUNDLE_BATCHES
from zkattest.data import CommittedDataset, DatasetMultiproof
from zkattest.errors import InvalidInputError, MalformedError, VerificationError
from zkattest.log import RunLog, StepRecord
from zkattest.verify import verify_bundle

# These runs are not proved (prove=False); step proofs are tested in test_proofs.py.
pytestmark = pytest.mark.filterwarnings("ignore::zkattest.attest.UnprovedBundleWarning")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Attested:
    return parent_run(tmp_path_factory.mktemp("batches"))


def records_of(a: Attested) -> list[StepRecord]:
    with RunLog.open(Path(f"{a.bundle}.work") / "log.db", "r") as log:
        return list(log.records())


def statuses(bundle: Path, a: Attested) -> dict[str, Any]:
    return {c.name: c for c in verify_bundle(bundle, a.sk.public_key(), allow_unproved=True).checks}


def rewrite(
    a: Attested,
    dest: Path,
    records: list[StepRecord] | None = None,
    proof: DatasetMultiproof | bool | None = True,
) -> Path:
    """A bundle of ``a``'s run with other records and / or batch proof, signed by the
    run's key (a dishonest trainer can sign anything: the checks must catch it)."""
    records = records_of(a) if records is None else records
    with make_log(dest.parent / f"{dest.name}.db", a.spec.digest(), records, a.sk) as log:
        w = BundleWriter(dest, a.sk)
        w.add_spec(a.spec)
        w.add_genesis(_genesis(a))
        w.add_log(log)
    if proof is True:
        drawn = (i for r in records for i in r.extra.get("batch", {}).get("indices", ()))
        used = {i for i in drawn if 0 <= i < len(dataset())}
        proof = dataset().multiproof(used)
    if isinstance(proof, DatasetMultiproof):
        w._put(BUNDLE_BATCHES, proof.to_json())  # unchecked, as a dishonest writer would
    w.add_invariants(claims={"finite_state": True, "data_provenance": True})
    w.add_final()
    w.finalize()
    return dest


def _genesis(a: Attested) -> str:
    from zkattest.bundle import BundleReader

    with BundleReader(a.bundle) as r:
        return r.statement("genesis.dsse.json", None, None).predicate["state_root"]


def with_batch(r: StepRecord, indices: list[int], commitment: str | None = None) -> StepRecord:
    extra = {**r.extra, "batch": {"indices": indices}}
    return dataclasses.replace(r, extra=extra, batch_commitment=commitment or r.batch_commitment)


# --- the multi-proof ---------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 70), st.data())
def test_multiproof_recomputes_the_root(n: int, data: st.DataObject) -> None:
    ds = CommittedDataset([float(i) for i in range(n)])
    idx = data.draw(st.lists(st.integers(0, n - 1), max_size=2 * n))
    proof = ds.multiproof(idx)
    assert proof.root() == ds.root
    assert proof.indices == tuple(sorted(set(idx)))
    assert DatasetMultiproof.from_json(proof.to_json()) == proof
    for i in idx:
        assert proof.leaf(i) == ds.leaf(i)
    # Never larger than the leaves: the fill hashes partition the uncovered examples.
    assert len(proof.fill) <= n - len(proof.indices) + (0 if proof.indices else 1)


def test_multiproof_matches_inclusion_proofs() -> None:
    ds = CommittedDataset([float(i) for i in range(37)])
    for i in (0, 5, 36):
        proof = ds.multiproof([i])
        path = ds.inclusion_proof(i)
        assert merkle.root_from_inclusion_proof(ds.leaf(i), i, 37, path) == proof.root()
        assert len(proof.fill) == len(path)  # one index: the multi-proof is the audit path


def test_multiproof_rejects_tampering() -> None:
    ds = CommittedDataset([float(i) for i in range(20)])
    p = ds.multiproof([3, 4, 11])
    other = dataclasses.replace(p, leaves=(ds.leaf(5), *p.leaves[1:]))
    assert other.root() != ds.root  # a proof for another example
    with pytest.raises(VerificationError, match="too few fill"):
        dataclasses.replace(p, fill=p.fill[:-1]).root()
    with pytest.raises(VerificationError, match="unused fill"):
        dataclasses.replace(p, fill=(*p.fill, p.fill[0])).root()
    with pytest.raises(VerificationError, match="sorted"):
        dataclasses.replace(p, indices=(4, 3, 11)).root()
    with pytest.raises(VerificationError, match="outside"):
        dataclasses.replace(p, indices=(3, 4, 20)).root()
    with pytest.raises(VerificationError, match="one leaf hash"):
        dataclasses.replace(p, leaves=p.leaves[:2]).root()
    with pytest.raises(VerificationError, match="not covered"):
        p.leaf(5)
    with pytest.raises(InvalidInputError, match="outside"):
        ds.multiproof([20])


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (b"[]", "expected an object"),
        (b'{"dataset_size":0,"fill":[],"indices":[],"leaves":[],"v":1}', "positive"),
        (b'{"dataset_size":1,"fill":[],"indices":[],"leaves":[],"v":2}', "version"),
        (b'{"dataset_size":1,"fill":["AB"],"indices":[],"leaves":[],"v":1}', "hex"),
        (b'{"dataset_size":1,"fill":[],"indices":["0"],"leaves":[],"v":1}', "integers"),
        (b'{"v":1,"dataset_size":1,"fill":[],"indices":[],"leaves":[]}', "canonical"),
    ],
)
def test_multiproof_json_is_strict(text: bytes, match: str) -> None:
    with pytest.raises(MalformedError, match=match):
        DatasetMultiproof.from_json(text)


# --- in the bundle ------------------------------------------------------------------------


def test_attested_bundle_proves_every_batch(run: Attested) -> None:
    s = statuses(run.bundle, run)
    assert s["data.batches"].status == "pass", s["data.batches"].detail
    assert "recomputed from" in s["data.batches"].detail
    assert s["invariant.data_provenance"].status == "pass"


def test_bundle_without_batch_proof_is_unchecked(run: Attested, tmp_path: Path) -> None:
    b = rewrite(run, tmp_path / "b", proof=None)
    s = statuses(b, run)
    assert s["data.batches"].status == "unchecked"
    assert BUNDLE_BATCHES in s["data.batches"].detail
    assert s["invariant.data_provenance"].status == "unchecked"
    assert verify_bundle(b, run.sk.public_key(), allow_unproved=True).verified


def test_rewritten_honest_bundle_verifies(run: Attested, tmp_path: Path) -> None:
    b = rewrite(run, tmp_path / "b")
    assert statuses(b, run)["data.batches"].status == "pass"


def _rejected(run: Attested, bundle: Path, match: str) -> None:
    report = verify_bundle(bundle, run.sk.public_key(), allow_unproved=True)
    c = {x.name: x for x in report.checks}["data.batches"]
    assert c.status == "fail" and match in c.detail, c.detail
    assert report.exit_code == 1


def test_index_outside_the_dataset(run: Attested, tmp_path: Path) -> None:
    recs = records_of(run)
    recs[2] = with_batch(recs[2], [*recs[2].extra["batch"]["indices"][:-1], len(dataset())])
    _rejected(run, rewrite(run, tmp_path / "b", recs), "outside the committed dataset")


def test_proof_for_another_example(run: Attested, tmp_path: Path) -> None:
    recs = records_of(run)
    used = sorted({i for r in recs for i in r.extra["batch"]["indices"]})
    good = dataset().multiproof(used)
    spare = next(i for i in range(len(dataset())) if i not in used)
    bad = dataclasses.replace(good, leaves=(dataset().leaf(spare), *good.leaves[1:]))
    _rejected(run, rewrite(run, tmp_path / "b", recs, bad), "do not recompute")


def test_batch_commitment_that_does_not_match(run: Attested, tmp_path: Path) -> None:
    recs = records_of(run)
    recs[1] = dataclasses.replace(recs[1], batch_commitment="ab" * 32)
    _rejected(run, rewrite(run, tmp_path / "b", recs), "step 1: the batch commitment")


def test_indices_swapped_under_the_same_commitment(run: Attested, tmp_path: Path) -> None:
    recs = records_of(run)
    idx = recs[3].extra["batch"]["indices"]
    other = next(i for i in range(len(dataset())) if i not in idx)
    recs[3] = with_batch(recs[3], [other, *idx[1:]])  # commitment kept: it no longer matches
    _rejected(run, rewrite(run, tmp_path / "b", recs), "step 3: the batch commitment")


def test_proof_that_does_not_cover_a_batch(run: Attested, tmp_path: Path) -> None:
    recs = records_of(run)
    used = sorted({i for r in recs for i in r.extra["batch"]["indices"]})
    short = dataset().multiproof(used[1:])
    _rejected(run, rewrite(run, tmp_path / "b", recs, short), "not covered")


def test_proof_of_another_dataset(run: Attested, tmp_path: Path) -> None:
    other = CommittedDataset([float(i) for i in range(len(dataset()))])
    _rejected(run, rewrite(run, tmp_path / "b", proof=other.multiproof(range(100))), "do not")
    small = CommittedDataset([float(i) for i in range(10)])
    _rejected(run, rewrite(run, tmp_path / "c", proof=small.multiproof([1])), "10 examples")


def test_record_without_indices(run: Attested, tmp_path: Path) -> None:
    recs = records_of(run)
    recs[0] = dataclasses.replace(
        recs[0], extra={k: v for k, v in recs[0].extra.items() if k != "batch"}
    )
    _rejected(run, rewrite(run, tmp_path / "b", recs), "does not carry its batch indices")


def test_malformed_batches_member(run: Attested, tmp_path: Path) -> None:
    b = tmp_path / "b"
    shutil.copytree(run.bundle, b)
    resign(b, run.sk, replace_members={BUNDLE_BATCHES: b'{"v": 1}'})
    report = verify_bundle(b, run.sk.public_key(), allow_unproved=True)
    c = {x.name: x for x in report.checks}["data.batches"]
    assert c.status == "fail" and "malformed" in c.detail


def test_tampered_batches_member_fails_the_manifest(run: Attested, tmp_path: Path) -> None:
    b = tmp_path / "b"
    shutil.copytree(run.bundle, b)
    raw = bytearray((b / BUNDLE_BATCHES).read_bytes())
    pos = raw.index(b'"leaves":["') + 11
    raw[pos] = ord("0") if raw[pos] != ord("0") else ord("1")
    (b / BUNDLE_BATCHES).write_bytes(bytes(raw))
    report = verify_bundle(b, run.sk.public_key(), allow_unproved=True)
    s = {x.name: x.status for x in report.checks}
    assert s["manifest.members"] == "fail" and s["data.batches"] == "fail"


def test_writer_rejects_a_proof_of_another_dataset(run: Attested, tmp_path: Path) -> None:
    w = BundleWriter(tmp_path / "w", run.sk)
    w.add_spec(run.spec)
    other = CommittedDataset([float(i) for i in range(7)])
    with pytest.raises(InvalidInputError, match="not the spec's dataset"):
        w.add_batches(other.multiproof([1]))
    with pytest.raises(InvalidInputError, match="DatasetMultiproof"):
        w.add_batches("proof")  # type: ignore[arg-type]
    w.close()


def test_random_batches_roundtrip() -> None:
    ds = dataset()
    rng = random.Random(0)
    batches = [rng.sample(range(len(ds)), 10) for _ in range(5)]
    proof = ds.multiproof(i for b in batches for i in b)
    for b in batches:
        assert proof.batch_commitment(b) == ds.batch_commitment(b)


def test_progress_bars_on_request(
    run: Attested, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from zkattest import verify

    monkeypatch.setattr(verify, "PROGRESS_DELAY_S", 0)
    assert verify_bundle(
        run.bundle, run.sk.public_key(), progress=True, allow_unproved=True
    ).verified
    err = capsys.readouterr().err
    assert "zkattest verify: log records" in err and "zkattest verify: batches" in err
    assert verify_bundle(run.bundle, run.sk.public_key(), allow_unproved=True).verified
    assert capsys.readouterr().err == ""


def test_oversized_batch_proof_is_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from zkattest import bundle

    monkeypatch.setattr(bundle, "MAX_JSON_BYTES", 100)
    a = parent_run(tmp_path, steps=2, quiet=False)
    assert "no batch proof in the bundle" in capsys.readouterr().err
    s = statuses(a.bundle, a)
    assert not (a.bundle / BUNDLE_BATCHES).exists()
    assert s["data.batches"].status == "unchecked"
