"""Tests for zkattest.proofs: challenges, proving through executors, step proofs in the
bundle and the verifier's checks (negative tests: each tampering makes verify fail).

The proving tests run the real step prover on a tiny model (Linear(64, 1) regressing
the digit, chunks of 1 KiB: 2 chunks per step, 2 steps: 4 proofs); the honest proofs
are made once per module and reused by the tampering tests (training is deterministic,
and with fraction 1.0 the challenges do not depend on the log root), which re-run the
training but not the prover.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import shutil
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import zkattest
from zkattest import _core, keys, proofs
from zkattest.attest import UnprovedBundleWarning
from zkattest.canonical import canonical_json, parse_json
from zkattest.cli import main as cli_main
from zkattest.data import CommittedDataset
from zkattest.errors import InvalidInputError, MalformedError, ZkattestIOError
from zkattest.optim import SGD, AdamW
from zkattest.proofs import (
    Challenge,
    StepProof,
    challenge_layout,
    derive_challenges,
    detection_probability,
    prove_challenges,
)
from zkattest.spec import (
    ChallengePolicy,
    ConstantSchedule,
    InitRecipe,
    TrainingSpec,
    commit_secret,
)
from zkattest.verify import verify_bundle
from zkattest.witness import WITNESS_DIR, WitnessStore

SALT_SEED = hashlib.sha256(b"test_proofs salt seed").digest()
STEPS = 2
CHUNK = 1024
HAVE_PROVER = hasattr(_core, "step_prove_chunk")
needs_prover = pytest.mark.skipif(not HAVE_PROVER, reason="step prover not built yet")


# --- a tiny run ------------------------------------------------------------------------------


def _digits() -> CommittedDataset:
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.data[:128] / 16.0, dtype=torch.float32)
    y = torch.tensor(d.target[:128], dtype=torch.long)
    return CommittedDataset(torch.utils.data.TensorDataset(x, y))


DATA = _digits()


def _model(out: int = 1) -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Linear(64, out)


def _spec(model: Any, opt: Any, fraction: float = 1.0, steps: int = STEPS) -> TrainingSpec:
    return TrainingSpec.from_torch(
        model,
        opt,
        batch_size=16,
        max_steps=steps,
        schedule=ConstantSchedule(lr=1e-2),
        dataset_root=DATA.root.hex(),
        dataset_size=len(DATA),
        init=InitRecipe("torch_default", commit_secret(b"seed")[0]),
        salt_seed_commitment=commit_secret(SALT_SEED)[0],
        chunk_size=CHUNK,
        challenges=ChallengePolicy.of_fraction(fraction),
    )


@dataclass
class Run:
    bundle: Path
    spec: TrainingSpec
    sk: Any
    run: Any


def _run(
    dest: Path,
    *,
    make_opt: Callable[[Any], Any] = lambda m: AdamW(m.parameters(), lr=1e-2),
    out: int = 1,
    fraction: float = 1.0,
    steps: int = STEPS,
    **kw: Any,
) -> Run:
    """Train ``steps`` steps under attest into ``dest``: it proves the challenges by
    default (``prove=None``: the spec's Fiat-Shamir policy selects chunks)."""
    model = _model(out)
    opt = make_opt(model)
    spec = _spec(model, opt, fraction, steps)
    sk = keys.generate()
    sampler = DATA.sampler(seed=0)
    loader = torch.utils.data.DataLoader(DATA, batch_size=16, sampler=sampler)
    with zkattest.attest(
        model,
        opt,
        spec=spec,
        bundle=dest,
        key=sk,
        salt_seed=SALT_SEED,
        data=DATA,
        sampler=sampler,
        quiet=True,
        **kw,
    ) as run:
        for i, (x, y) in enumerate(loader):
            if i == steps:
                break
            opt.zero_grad()
            loss = (model(x)[:, 0] - y.to(torch.float32) / 10).square().mean()
            loss.backward()
            opt.step()
    return Run(dest, spec, sk, run)


# --- challenges ------------------------------------------------------------------------------


def _layout_spec(fraction: float | None = None, count: int | None = None) -> TrainingSpec:
    model = torch.nn.Sequential(torch.nn.Linear(64, 10), torch.nn.Linear(10, 3))
    opt = SGD(model.parameters(), lr=1e-2)
    policy = ChallengePolicy.of_count(count) if count else ChallengePolicy.of_fraction(fraction)
    return _spec(model, opt).replace(challenges=policy)


def test_layout_counts_chunks_of_every_fp32_parameter() -> None:
    spec = _layout_spec(1.0)
    # 0.weight: 640 floats = 2560 B = 3 chunks of 1 KiB; the others fit in one chunk.
    assert challenge_layout(spec) == (
        ("0.bias", 10, 1),
        ("0.weight", 640, 3),
        ("1.bias", 3, 1),
        ("1.weight", 30, 1),
    )
    assert proofs.chunk_elements(spec, "0.weight", 2) == 128
    assert proofs.chunk_elements(spec, "0.weight", 0) == 256
    with pytest.raises(InvalidInputError):
        proofs.chunk_elements(spec, "0.weight", 3)
    with pytest.raises(InvalidInputError):
        proofs.chunk_elements(spec, "nope", 0)


def test_fraction_one_challenges_everything() -> None:
    spec = _layout_spec(1.0)
    cs = derive_challenges(spec, b"\x01" * 32, 5)
    assert cs.total == cs.k == 30
    assert cs.challenges == tuple(
        Challenge(t, name, c)
        for t in range(5)
        for name, _, chunks in challenge_layout(spec)
        for c in range(chunks)
    )
    assert cs.detection_probability(0.01) == 1.0
    assert "all 30" in cs.describe()
    assert derive_challenges(spec, "ab" * 32, 0).k == 0


@settings(max_examples=40, deadline=None)
@given(
    root=st.binary(min_size=32, max_size=32),
    steps=st.integers(1, 300),
    fraction=st.sampled_from([0.001, 0.01, 0.1, 0.25, 0.5, 0.9]),
)
def test_sampling_is_deterministic_distinct_and_sized(
    root: bytes, steps: int, fraction: float
) -> None:
    spec = _layout_spec(fraction)
    a = derive_challenges(spec, root, steps)
    assert a == derive_challenges(spec, root.hex(), steps)
    assert a.total == 6 * steps
    assert (
        a.k
        == spec.challenges.num_challenges(a.total)
        == math.ceil(spec.challenges.fraction.value * a.total)
    )
    assert len(set(a.challenges)) == a.k
    assert list(a.challenges) == sorted(a.challenges)
    layout = {name: chunks for name, _, chunks in challenge_layout(spec)}
    for ch in a.challenges:
        assert 0 <= ch.step < steps and 0 <= ch.chunk < layout[ch.tensor]


def test_sampling_depends_on_root_size_and_spec() -> None:
    spec = _layout_spec(0.1)
    base = derive_challenges(spec, b"\x00" * 32, 200)
    assert derive_challenges(spec, b"\x00" * 31 + b"\x01", 200).challenges != base.challenges
    assert derive_challenges(spec, b"\x00" * 32, 201).seed != base.seed
    other = spec.replace(max_steps=4)
    assert derive_challenges(other, b"\x00" * 32, 200).seed != base.seed
    # Roughly uniform over steps: both halves of the run are sampled.
    steps = [c.step for c in base.challenges]
    assert min(steps) < 100 <= max(steps)


def test_count_policy_and_detection_probability() -> None:
    spec = _layout_spec(count=7)
    cs = derive_challenges(spec, b"\x02" * 32, 100)
    assert cs.k == 7 and cs.total == 600
    assert derive_challenges(spec, b"\x02" * 32, 1).k == 6  # min(count, total)
    assert cs.detection_probability(0.1) == pytest.approx(1 - 0.9**7)
    assert detection_probability(300, 0.01) == pytest.approx(0.951, abs=1e-3)
    assert detection_probability(0, 0.5) == 0.0
    assert "7 of 600" in cs.describe()
    with pytest.raises(InvalidInputError):
        detection_probability(3, 1.5)


def test_challenge_inputs_are_checked() -> None:
    spec = _layout_spec(0.5)
    with pytest.raises(InvalidInputError, match="log_root"):
        derive_challenges(spec, b"short", 3)
    with pytest.raises(InvalidInputError, match="log_root"):
        derive_challenges(spec, "zz" * 32, 3)
    with pytest.raises(InvalidInputError, match="log_size"):
        derive_challenges(spec, b"\x00" * 32, -1)
    supplied = spec.replace(challenges=ChallengePolicy.of_fraction(0.5, "verifier_supplied"))
    with pytest.raises(InvalidInputError, match="verifier"):
        derive_challenges(supplied, b"\x00" * 32, 3)


def test_check_step_public_rejects_malformed_objects() -> None:
    good = {
        "after": ["00"],
        "before": [{"opening": "00"}],
        "grad": "00",
        "statement": "00",
        "tensor": "w",
    }
    proofs.check_step_public(good, "p")
    for bad in (
        {**good, "extra": 1},
        {**good, "tensor": ""},
        {**good, "grad": "0"},
        {**good, "statement": "GG"},
        {**good, "before": []},
        {**good, "before": [{"opening": "00", "zero_salt": "00"}]},
        {**good, "before": [{"salt": "00"}]},
        {**good, "after": [1]},
        {**good, "after": ["00"] * 4},
    ):
        with pytest.raises(MalformedError):
            proofs.check_step_public(bad, "p")


def test_prove_requires_fiat_shamir_challenges(tmp_path: Path) -> None:
    model = _model()
    opt = AdamW(model.parameters(), lr=1e-2)
    spec = _spec(model, opt).replace(
        challenges=ChallengePolicy.of_fraction(1.0, "verifier_supplied")
    )
    with pytest.raises(InvalidInputError, match="Fiat-Shamir"):
        zkattest.attest(
            model,
            opt,
            spec=spec,
            bundle=tmp_path / "b",
            key=keys.generate(),
            salt_seed=SALT_SEED,
            data=DATA,
            prove=True,
        )
    with pytest.raises(InvalidInputError, match="Executor"):
        zkattest.attest(
            model,
            opt,
            spec=_spec(model, opt),
            bundle=tmp_path / "b",
            key=keys.generate(),
            salt_seed=SALT_SEED,
            data=DATA,
            prove=True,
            prove_executor=object(),
        )


def _attestation(tmp_path: Path, spec_policy: ChallengePolicy | None = None, **kw: Any) -> Any:
    model = _model()
    opt = AdamW(model.parameters(), lr=1e-2)
    spec = _spec(model, opt)
    if spec_policy is not None:
        spec = spec.replace(challenges=spec_policy)
    return zkattest.attest(
        model, opt, spec=spec, bundle=tmp_path / "b", key=keys.generate(),
        salt_seed=SALT_SEED, data=DATA, **kw,
    )  # fmt: skip


def test_attest_proves_by_default_when_the_spec_challenges_chunks(tmp_path: Path) -> None:
    """prove=None: prove exactly when the Fiat-Shamir policy selects chunks (built, not
    entered: nothing is trained or proved here)."""
    assert _attestation(tmp_path).prove is True
    assert _attestation(tmp_path, ChallengePolicy.of_count(1)).prove is True
    assert _attestation(tmp_path, prove=False).prove is False
    supplied = ChallengePolicy.of_fraction(1.0, "verifier_supplied")
    assert _attestation(tmp_path, supplied).prove is False
    for bad in ("yes", 1):
        with pytest.raises(InvalidInputError, match="prove must be None or a bool"):
            _attestation(tmp_path, prove=bad)


def test_prove_false_warns_once_and_the_bundle_needs_the_opt_out(tmp_path: Path) -> None:
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        r = _run(tmp_path / "b", prove=False)
    unproved = [w for w in got if issubclass(w.category, UnprovedBundleWarning)]
    assert len(unproved) == 1, [str(w.message) for w in got]
    message = str(unproved[0].message)
    assert "prove=False" in message and "4 challenged chunk(s)" in message
    assert "--allow-unproved" in message
    assert unproved[0].filename == __file__  # points at the with statement
    assert r.run.step_proofs == 0
    rep = _verify(r)
    assert rep.exit_code == 1 and "4 of 4 challenged" in _check(rep, "proofs.coverage").detail
    assert _verify(r, allow_unproved=True).verified


def test_witness_store_that_would_not_fit_is_refused_before_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """prove=True with too little disk for max_steps of witnesses fails at entry, having
    written nothing; the default then does not prove and says why at close."""
    import shutil

    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda _p: usage._replace(free=1000))
    with pytest.raises(ZkattestIOError, match="witness store would need"):
        with _attestation(tmp_path, prove=True):
            pass
    assert not any(tmp_path.iterdir())
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        r = _run(tmp_path / "b")
    assert r.run.prove is False and r.run.step_proofs == 0
    unproved = [str(w.message) for w in got if issubclass(w.category, UnprovedBundleWarning)]
    assert len(unproved) == 1 and "witness store would need" in unproved[0]


# --- proving and verifying -------------------------------------------------------------------


@dataclass
class Honest:
    run: Run
    proofs: list[StepProof]
    work: Path


@pytest.fixture(scope="module")
def honest(tmp_path_factory: pytest.TempPathFactory) -> Honest:
    """One AdamW run, every chunk proved (default process pool); witness kept."""
    if not HAVE_PROVER:
        pytest.skip("step prover not built yet")
    tmp = tmp_path_factory.mktemp("proofs")
    got: list[StepProof] = []
    real = proofs.prove_challenges

    def spy(*a: Any, on_proof: Any = None, **kw: Any) -> list[StepProof]:
        def keep(p: StepProof) -> None:
            got.append(p)
            on_proof(p)

        return real(*a, on_proof=keep, **kw)

    mp = pytest.MonkeyPatch()
    mp.setattr(proofs, "prove_challenges", spy)
    try:
        r = _run(tmp / "bundle", keep_witness=True)
    finally:
        mp.undo()
    return Honest(r, got, tmp / "bundle.work")


def _rewrite(honest: Honest, dest: Path, edit: Callable[[list[StepProof]], list[StepProof]]) -> Run:
    """The same run again (bit-identical training), with the proofs replaced by
    ``edit(honest proofs)``: a bundle the trainer signed, holding bad step proofs."""

    def fake(challenges: Any, *, on_proof: Any, **kw: Any) -> list[StepProof]:
        for p in edit(list(honest.proofs)):
            on_proof(p)
        return []

    mp = pytest.MonkeyPatch()
    mp.setattr(proofs, "prove_challenges", fake)
    try:
        return _run(dest)
    finally:
        mp.undo()


def _verify(r: Run, **kw: Any) -> Any:
    return verify_bundle(r.bundle, r.sk.public_key(), **kw)


def _check(rep: Any, name: str) -> Any:
    return next(c for c in rep.checks if c.name == name)


@needs_prover
def test_honest_run_proves_every_chunk_and_verifies(honest: Honest) -> None:
    r = honest.run
    assert r.run.step_proofs == len(honest.proofs) == 2 * STEPS
    rep = _verify(r)
    assert rep.verified, rep.to_dict()
    status = {c.name: c for c in rep.checks}
    assert status["proofs.verify"].status == "pass"
    assert status["proofs.coverage"].status == "pass"
    assert "every challenged chunk is proved" in status["proofs.coverage"].detail
    assert status["invariant.finite_state"].status == "pass"
    detail = status["invariant.finite_state"].detail
    assert "finite in every proved chunk (4 chunk(s) over 2 step(s))" in detail
    assert "every (step, chunk) pair is proved" in detail
    assert rep.warnings == [] and "NOT attested" not in rep.verdict()
    assert rep.proofs == 2 * STEPS
    assert (honest.work / WITNESS_DIR).exists()  # kept: keep_witness=True
    # Step 0 shows AdamW's absent initial buffers as zero chunks with disclosed salts.
    first = next(p for p in honest.proofs if p.step == 0)
    assert [next(iter(b)) for b in first.before] == ["opening", "zero_salt", "zero_salt"]
    later = next(p for p in honest.proofs if p.step == 1)
    assert [next(iter(b)) for b in later.before] == ["opening"] * 3


@needs_prover
def test_cli_verify_prints_the_detection_probability(
    honest: Honest, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pub = tmp_path / "k.pub"
    keys.save_public_key(honest.run.sk.public_key(), pub)
    code = cli_main(["verify", str(honest.run.bundle), "--public-key", str(pub)])
    out = capsys.readouterr()
    assert code == 0, out
    assert "proofs.coverage" in out.err + out.out
    assert "every challenged chunk is proved" in out.err + out.out


def _swap(ps: list[StepProof], i: int, j: int, field: str) -> list[StepProof]:
    a, b = getattr(ps[i], field), getattr(ps[j], field)
    ps[i] = dataclasses.replace(ps[i], **{field: b})
    ps[j] = dataclasses.replace(ps[j], **{field: a})
    return ps


def _flip(data: bytes, at: int) -> bytes:
    at %= len(data)
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]


TAMPERINGS: dict[str, Callable[[list[StepProof]], list[StepProof]]] = {
    "missing proof": lambda ps: ps[:2] + ps[3:],
    "wrong step": lambda ps: [
        dataclasses.replace(p, step=(p.step + 1) % STEPS) if i == 1 else p for i, p in enumerate(ps)
    ],
    "wrong chunk": lambda ps: [
        dataclasses.replace(p, chunk=p.chunk + 1) if p.tensor == "weight" else p for p in ps
    ],
    "tampered public bytes": lambda ps: [
        dataclasses.replace(p, statement=_flip(p.statement, 40)) if i == 2 else p
        for i, p in enumerate(ps)
    ],
    "swapped proofs": lambda ps: _swap(ps, 1, 2, "proof"),
    "swapped statements": lambda ps: _swap(ps, 1, 2, "statement"),
    "flipped proof byte": lambda ps: [
        dataclasses.replace(p, proof=_flip(p.proof, len(p.proof) // 2)) if i == 3 else p
        for i, p in enumerate(ps)
    ],
    "wrong inclusion proof": lambda ps: [
        dataclasses.replace(p, after=(ps[(i + 1) % len(ps)].after[0], *p.after[1:]))
        if i == 3
        else p
        for i, p in enumerate(ps)
    ],
    "wrong gradient opening": lambda ps: _swap(ps, 0, 1, "grad"),
    "stale zero buffer": lambda ps: [
        dataclasses.replace(p, step=1, before=(p.before[0], *({"zero_salt": "00" * 32},) * 2))
        if i == 0
        else p
        for i, p in enumerate(ps)
    ],
}


@needs_prover
@pytest.mark.parametrize("name", sorted(TAMPERINGS))
def test_tampered_step_proofs_fail(honest: Honest, tmp_path: Path, name: str) -> None:
    r = _rewrite(honest, tmp_path / "b", TAMPERINGS[name])
    rep = _verify(r)
    assert rep.exit_code == 1, (name, rep.to_dict())
    failed = {c.name for c in rep.checks if c.status in ("fail", "skipped")}
    assert failed & {"proofs.verify", "proofs.coverage"}, (name, failed)


@needs_prover
def test_lowered_fraction_in_the_bundle_fails(honest: Honest, tmp_path: Path) -> None:
    """Editing the spec's challenge fraction breaks its digest and signature."""
    dest = tmp_path / "b"
    shutil.copytree(honest.run.bundle, dest)
    spec = parse_json((dest / "spec.json").read_bytes(), "spec")
    low = ChallengePolicy.of_fraction(0.25).to_json()
    spec["challenges"] = low
    (dest / "spec.json").write_bytes(canonical_json(spec))
    rep = verify_bundle(dest, honest.run.sk.public_key())
    assert rep.exit_code in (1, 2) and not rep.verified


@needs_prover
def test_proving_fewer_chunks_than_the_spec_asks_fails(honest: Honest, tmp_path: Path) -> None:
    """A trainer proving a quarter of the chunks under a fraction-1.0 spec: coverage."""
    r = _rewrite(honest, tmp_path / "b", lambda ps: ps[::3])
    rep = _verify(r)
    assert rep.exit_code == 1
    cov = next(c for c in rep.checks if c.name == "proofs.coverage")
    assert cov.status == "fail" and "have no verified step proof" in cov.detail


@needs_prover
def test_one_missing_proof_fails_unless_allowed(
    honest: Honest, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One challenged chunk without a proof: coverage fails by default; with the opt-out
    it is unchecked (the three proofs present still verify) and finite_state is not
    claimed for the whole run."""
    r = _rewrite(honest, tmp_path / "b", lambda ps: ps[1:])
    rep = _verify(r)
    assert rep.exit_code == 1
    cov = _check(rep, "proofs.coverage")
    assert cov.status == "fail" and "1 of 4 challenged" in cov.detail
    assert "--allow-unproved" in cov.detail
    assert _check(rep, "invariant.finite_state").status == "skipped"
    rep = _verify(r, allow_unproved=True)
    assert rep.verified and rep.exit_code == 0, rep.to_dict()
    assert _check(rep, "proofs.verify").detail.startswith("3 proof(s) verified")
    cov = _check(rep, "proofs.coverage")
    assert cov.status == "unchecked" and "allowed by --allow-unproved" in cov.detail
    assert "1 of 4 challenged" in cov.detail
    fin = _check(rep, "invariant.finite_state")
    assert fin.status == "unchecked" and "3 chunk(s)" in fin.detail
    assert "did not establish that every challenged chunk is proved" in fin.detail
    # The CLI: exit 1, and 0 with --allow-unproved (which JSON reports).
    pub = tmp_path / "k.pub"
    keys.save_public_key(r.sk.public_key(), pub)
    assert cli_main(["verify", str(r.bundle), "-k", str(pub), "-q"]) == 1
    assert capsys.readouterr().out.startswith("FAILED")
    argv = ["verify", str(r.bundle), "-k", str(pub), "--format", "json", "--allow-unproved"]
    assert cli_main(argv) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["allow_unproved"] is True and obj["verified"] is True and obj["warnings"]


@needs_prover
def test_bad_proof_fails_even_when_unproved_chunks_are_allowed(
    honest: Honest, tmp_path: Path
) -> None:
    r = _rewrite(honest, tmp_path / "b", TAMPERINGS["flipped proof byte"])
    rep = _verify(r, allow_unproved=True)
    assert rep.exit_code == 1 and not rep.verified
    assert _check(rep, "proofs.verify").status == "fail"
    assert _check(rep, "proofs.coverage").status == "skipped"
    assert _check(rep, "invariant.finite_state").status == "skipped"


@needs_prover
def test_wrong_scalars_are_rejected(honest: Honest, tmp_path: Path) -> None:
    """A statement proved with another lr verifies as a STARK but not against the spec."""
    store = WitnessStore(honest.work / WITNESS_DIR)
    p0 = honest.proofs[-1]
    spec = honest.run.spec
    recipe, kw = proofs.step_scalars(spec, p0.step)
    kw["lr"] *= 2
    job, _ = _job_for(honest, store, p0)
    job.update(recipe=recipe, scalars=kw)
    statement, proof = proofs._prove_job(job)
    _core.step_verify_chunk(statement, proof)  # a valid proof of the wrong statement
    forged = dataclasses.replace(p0, statement=statement, proof=proof)
    r = _rewrite(honest, tmp_path / "b", lambda ps: [*ps[:-1], forged])
    rep = _verify(r)
    assert rep.exit_code == 1
    detail = next(c for c in rep.checks if c.name == "proofs.verify").detail
    assert "public scalars differ" in detail


def _job_for(honest: Honest, store: WitnessStore, p: StepProof) -> tuple[dict[str, Any], Any]:
    from zkattest.commit import StateCommitter

    spec = honest.run.spec
    committer = StateCommitter(SALT_SEED, chunk_size=CHUNK)
    t = p.step
    stored = (store.state(t), store.grads(t), store.state(t + 1))
    commits = [
        committer.commit(stored[0], t),
        committer.commit(stored[1], t + 1),
        committer.commit(stored[2], t + 1),
    ]
    return proofs._job(
        Challenge(t, p.tensor, p.chunk),
        spec,
        proofs.step_buffers(spec),
        CHUNK,
        stored,
        commits,
        committer,
    )


@needs_prover
def test_dask_executor_proves_chunks(honest: Honest) -> None:
    """prove_challenges through a local Dask cluster's Executor."""
    distributed = pytest.importorskip("dask.distributed")
    from zkattest.log import RunLog

    store = WitnessStore(honest.work / WITNESS_DIR)
    want = {(p.step, p.tensor, p.chunk): p.statement for p in honest.proofs}
    chs = [Challenge(1, "weight", 0)]
    with (
        distributed.LocalCluster(
            n_workers=1, processes=False, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
        RunLog.open(honest.work / "log.db", "r") as log,
    ):
        got = prove_challenges(
            chs,
            spec=honest.run.spec,
            witness=store,
            salt_seed=SALT_SEED,
            log=log,
            genesis_root=honest.run.run.genesis_root,
            executor=client.get_executor(),
            quiet=True,
        )
    assert [(p.step, p.tensor, p.chunk) for p in got] == [(1, "weight", 0)]
    for p in got:
        assert p.statement == want[(p.step, p.tensor, p.chunk)]  # public part is deterministic
        _core.step_verify_chunk(p.statement, p.proof)


@needs_prover
def test_witness_from_another_run_is_refused(honest: Honest, tmp_path: Path) -> None:
    from zkattest.errors import ProvingError
    from zkattest.log import RunLog

    store = WitnessStore(tmp_path / "w")
    for t in range(STEPS + 1):
        st_ = WitnessStore(honest.work / WITNESS_DIR).state(t)
        st_["bias"] = dataclasses.replace(st_["bias"], data=np.zeros_like(st_["bias"].data))
        store.put_state(t, st_)
        if t < STEPS:
            store.put_grads(t, WitnessStore(honest.work / WITNESS_DIR).grads(t))
    with (
        RunLog.open(honest.work / "log.db", "r") as log,
        pytest.raises(ProvingError, match="witness"),
    ):
        prove_challenges(
            [Challenge(1, "bias", 0)],
            spec=honest.run.spec,
            witness=store,
            salt_seed=SALT_SEED,
            log=log,
            genesis_root=honest.run.run.genesis_root,
            executor=None,
            quiet=True,
        )


@needs_prover
def test_sgd_momentum_run_verifies(tmp_path: Path) -> None:
    """SGD with momentum: step 0 creates the buffer from the gradient (torch)."""
    r = _run(
        tmp_path / "b",
        make_opt=lambda m: SGD(m.parameters(), lr=1e-2, momentum=0.9, weight_decay=1e-4),
        steps=2,
        fraction=0.5,
    )
    assert r.run.step_proofs == 2
    rep = _verify(r)
    assert rep.verified, rep.to_dict()
    fin = _check(rep, "invariant.finite_state")
    assert fin.status == "pass" and "2 chunk(s) over" in fin.detail
    assert "covered only by the challenge sampling (2 of 4 pairs)" in fin.detail
    assert not (Path(f"{r.bundle}.work") / WITNESS_DIR).exists()  # deleted after proving
