"""Tests for zkattest.attest: a real attested run on scikit-learn's digits.

One module-scoped run (60 steps, small MLP) is verified and then tampered with; other
tests run shorter loops. The resume test SIGKILLs a child process mid-run.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch

import zkattest
from _bundle_factory import make_log
from zkattest import keys
from zkattest.attest import resume_step
from zkattest.bundle import BundleWriter
from zkattest.data import CommittedDataset
from zkattest.errors import InvalidInputError, ZkattestIOError
from zkattest.log import StepRecord
from zkattest.optim import SGD, AdamW
from zkattest.spec import InitRecipe, LinearWarmupSchedule, TrainingSpec, commit_secret
from zkattest.spec.fields import Fp32
from zkattest.verify import verify_bundle

# These runs are not proved (prove=False); step proofs are tested in test_proofs.py.
pytestmark = pytest.mark.filterwarnings("ignore::zkattest.attest.UnprovedBundleWarning")

BATCH = 32
SALT_SEED = hashlib.sha256(b"test_attest salt seed").digest()
LR = Fp32.from_float(3e-3).value
TESTS = Path(__file__).parent


@functools.cache
def digits() -> CommittedDataset:
    """scikit-learn's digits (ships with the package), committed once per process."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.data / 16.0, dtype=torch.float32)
    y = torch.tensor(d.target, dtype=torch.long)
    return CommittedDataset(torch.utils.data.TensorDataset(x, y))


def make_model(hidden: int = 32) -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(64, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10)
    )


def make_spec(model: torch.nn.Module, opt: Any, max_steps: int) -> TrainingSpec:
    data = digits()
    return TrainingSpec.from_torch(
        model,
        opt,
        batch_size=BATCH,
        max_steps=max_steps,
        schedule=LinearWarmupSchedule(lr=LR, warmup_steps=min(10, max_steps)),
        dataset_root=data.root.hex(),
        dataset_size=len(data),
        init=InitRecipe("torch_default", commit_secret(b"seed 0")[0]),
        salt_seed_commitment=commit_secret(SALT_SEED)[0],
    )


def train(
    model: Any, opt: Any, sampler: Any, steps: int, skip_every: int = 0, run: Any = None
) -> int:
    """The unchanged loop. ``skip_every``: every k-th iteration does not call
    ``opt.step()`` (what GradScaler does on inf / NaN gradients) and discards its batch
    with ``run.discard_batch()``. Returns steps taken."""
    loader = torch.utils.data.DataLoader(digits(), batch_size=BATCH, sampler=sampler)
    taken = it = 0
    while taken < steps:
        for x, y in loader:
            it += 1
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            if skip_every and it % skip_every == 0:
                run.discard_batch()
                continue
            opt.step()
            taken += 1
            if taken == steps:
                break
    return taken


@dataclass
class Setup:
    model: torch.nn.Module
    opt: Any
    spec: TrainingSpec
    sk: Any
    pub: Any


def setup(max_steps: int = 60) -> Setup:
    model = make_model()
    opt = AdamW(model.parameters(), lr=LR, weight_decay=0.01)
    sk = keys.generate()
    return Setup(model, opt, make_spec(model, opt, max_steps), sk, sk.public_key())


def attest(s: Setup, bundle: Path, sampler: Any, **kw: Any) -> Any:
    kw.setdefault("prove", False)  # step proofs are tested in test_proofs.py
    return zkattest.attest(
        s.model,
        s.opt,
        spec=s.spec,
        bundle=bundle,
        key=s.sk,
        salt_seed=SALT_SEED,
        data=digits(),
        sampler=sampler,
        quiet=True,
        **kw,
    )


@dataclass
class Done:
    setup: Setup
    bundle: Path
    genesis: str


@pytest.fixture(scope="module")
def done(tmp_path_factory: pytest.TempPathFactory) -> Done:
    tmp = tmp_path_factory.mktemp("attest")
    s = setup()
    sampler = digits().sampler(seed=0)
    with attest(
        s,
        tmp / "bundle",
        sampler,
        checkpoint_every=25,
        release_weights=True,
        disclose_final_key=True,
    ) as run:
        assert train(s.model, s.opt, sampler, 60) == 60
    assert run.step == 60
    return Done(s, tmp / "bundle", run.genesis_root)


def records_of(bundle: Path) -> list[dict[str, Any]]:
    lines = (bundle / "log.jsonl").read_bytes().splitlines()
    return [json.loads(x) for x in lines if b'"batch_commitment"' in x]


def test_attested_run_verifies(done: Done) -> None:
    report = verify_bundle(done.bundle, done.setup.pub, allow_unproved=True)
    assert report.verified, report.to_dict()
    status = {c.name: c.status for c in report.checks}
    for name in ("data.batches", "final.weights", "invariant.lr_schedule", "log.checkpoints"):
        assert status[name] == "pass", name
    assert report.steps == 60
    recs = records_of(done.bundle)
    assert [r["step"] for r in recs] == list(range(60))
    data = digits()
    for r in recs[:5]:
        data.check_batch(r["extra"]["batch"]["indices"], r["batch_commitment"])
        assert r["tokens"] == BATCH


def _tampered(done: Done, tmp: Path, edit: Any) -> Any:
    dest = tmp / "b"
    shutil.copytree(done.bundle, dest)
    lines = (dest / "log.jsonl").read_bytes().splitlines(keepends=True)
    idx = [i for i, x in enumerate(lines) if b'"batch_commitment"' in x]
    edit(lines, idx)
    (dest / "log.jsonl").write_bytes(b"".join(lines))
    report = verify_bundle(dest, done.setup.pub, allow_unproved=True)
    assert not report.verified
    assert report.exit_code == 1
    return report


def _set(lines: list[bytes], i: int, key: str, value: Any) -> None:
    d = json.loads(lines[i])
    d[key] = value
    lines[i] = json.dumps(d, sort_keys=True, separators=(",", ":")).encode() + b"\n"


def test_tampered_lr_rejected(done: Done, tmp_path: Path) -> None:
    _tampered(done, tmp_path, lambda lines, idx: _set(lines, idx[7], "lr", "3c23d70a"))


def test_tampered_state_root_rejected(done: Done, tmp_path: Path) -> None:
    _tampered(done, tmp_path, lambda lines, idx: _set(lines, idx[30], "state_root", "ab" * 32))


def test_dropped_record_rejected(done: Done, tmp_path: Path) -> None:
    _tampered(done, tmp_path, lambda lines, idx: lines.pop(idx[12]))


def test_batch_outside_dataset_rejected_even_if_signed(done: Done, tmp_path: Path) -> None:
    """A log re-signed by the run key with an out-of-range index fails data.batches."""
    s = done.setup
    records = [StepRecord.from_dict(r) for r in records_of(done.bundle)]
    bad = records[4]
    batch = {"indices": [*bad.extra["batch"]["indices"][:-1], len(digits())]}
    records[4] = StepRecord(**{**bad.__dict__, "extra": {**bad.extra, "batch": batch}})
    with make_log(tmp_path / "log.db", s.spec.digest(), records, s.sk) as log:
        w = BundleWriter(tmp_path / "b", s.sk)
        w.add_spec(s.spec)
        w.add_genesis(done.genesis)
        w.add_log(log)
    w.add_invariants(claims={"finite_state": True})
    w.add_final()
    w.finalize()
    report = verify_bundle(tmp_path / "b", s.pub, allow_unproved=True)
    failed = {c.name: c.detail for c in report.checks if c.status == "fail"}
    assert list(failed) == ["data.batches"], failed
    assert "outside the committed dataset" in failed["data.batches"]


def test_skipped_steps_are_not_counted(tmp_path: Path) -> None:
    s = setup(max_steps=12)
    sampler = digits().sampler(seed=1)
    with attest(s, tmp_path / "b.zkab", sampler, checkpoint_every=5) as run:
        assert train(s.model, s.opt, sampler, 12, skip_every=4, run=run) == 12
    assert run.step == 12
    report = verify_bundle(tmp_path / "b.zkab", s.pub, allow_unproved=True)
    assert report.verified, report.to_dict()
    assert report.steps == 12
    assert run.final_state_root == report.final_state_root


def test_explicit_batches_and_sgd(tmp_path: Path) -> None:
    model = make_model()
    opt = SGD(model.parameters(), lr=LR, momentum=0.9)
    sk = keys.generate()
    spec = make_spec(model, opt, 5)
    data = digits()
    with zkattest.attest(
        model,
        opt,
        spec=spec,
        bundle=tmp_path / "b",
        key=sk,
        salt_seed=SALT_SEED,
        data=data,
        quiet=True,
        prove=False,
    ) as run:
        for t in range(5):
            idx = list(range(t * BATCH, (t + 1) * BATCH))
            x, y = data[idx]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            run.record_batch(idx)
            opt.step()
    assert verify_bundle(tmp_path / "b", sk.public_key(), allow_unproved=True).verified


def test_bad_input(tmp_path: Path) -> None:
    s = setup(max_steps=2)
    sampler = digits().sampler()
    other = make_model(hidden=16)
    with pytest.raises(InvalidInputError, match="fingerprint"):
        zkattest.attest(
            other,
            AdamW(other.parameters(), lr=LR, weight_decay=0.01),
            spec=s.spec,
            bundle=tmp_path / "x",
            key=s.sk,
            salt_seed=SALT_SEED,
            data=digits(),
        )
    with pytest.raises(InvalidInputError, match=r"zkattest\.optim"):
        zkattest.attest(
            s.model,
            torch.optim.AdamW(s.model.parameters(), lr=LR),
            spec=s.spec,
            bundle=tmp_path / "x",
            key=s.sk,
            salt_seed=SALT_SEED,
            data=digits(),
        )
    with pytest.raises(InvalidInputError, match="does not match the spec's optimizer"):
        zkattest.attest(
            s.model,
            AdamW(s.model.parameters(), lr=LR, weight_decay=0.5),
            spec=s.spec,
            bundle=tmp_path / "x",
            key=s.sk,
            salt_seed=SALT_SEED,
            data=digits(),
        )
    with pytest.raises(InvalidInputError, match="salt_seed_commitment"):
        attest(s, tmp_path / "x", sampler, salt_opening=b"\0" * 32)
    with pytest.raises(InvalidInputError, match="CommittedDataset"):
        zkattest.attest(
            s.model,
            s.opt,
            spec=s.spec,
            bundle=tmp_path / "x",
            key=s.sk,
            salt_seed=SALT_SEED,
            data=None,  # type: ignore[arg-type]
        )
    with pytest.raises(InvalidInputError, match="differ from the spec's dataset"):
        zkattest.attest(
            s.model,
            s.opt,
            spec=s.spec,
            bundle=tmp_path / "x",
            key=s.sk,
            salt_seed=SALT_SEED,
            data=CommittedDataset([torch.zeros(2)]),
        )
    with pytest.raises(InvalidInputError, match="Ed25519"):
        zkattest.attest(
            s.model,
            s.opt,
            spec=s.spec,
            bundle=tmp_path / "x",
            key=b"k",
            salt_seed=SALT_SEED,
            data=digits(),
        )
    with pytest.raises(InvalidInputError, match="checkpoint_every"):
        attest(s, tmp_path / "x", sampler, checkpoint_every=0)
    # non-float32 parameters (converted after the optimizer was built)
    s.model.double()
    with pytest.raises(InvalidInputError, match="float64, v1 needs float32"):
        attest(s, tmp_path / "x", sampler)
    s.model.float()
    # more steps than the spec declares: optimizer.step() raises, no bundle is written
    with pytest.raises(InvalidInputError, match="max_steps=2"):
        with attest(s, tmp_path / "x", sampler):
            train(s.model, s.opt, sampler, 3)
    assert not (tmp_path / "x").exists()
    with pytest.raises(ZkattestIOError, match="resume=True"):
        attest(s, tmp_path / "x", sampler).__enter__()
    with pytest.raises(InvalidInputError, match="closure"):
        with attest(s, tmp_path / "z", sampler):
            s.opt.step(lambda: None)
    # no batch recorded
    s2 = setup(max_steps=2)
    with pytest.raises(InvalidInputError, match="no batch recorded"):
        with attest(s2, tmp_path / "y", None):
            train(s2.model, s2.opt, digits().sampler(), 1)


# -- resume after SIGKILL ---------------------------------------------------------------

KILL_AT = 25
TOTAL = 40
EVERY = 10


def _files(tmp: Path) -> tuple[Path, Path, Path]:
    return tmp / "run.key", tmp / "spec.json", tmp / "bundle"


def _save(tmp: Path, model: Any, opt: Any, sampler: Any, n: int) -> None:
    path = tmp / f"ckpt-{n}.pt"
    torch.save(
        {"model": model.state_dict(), "opt": opt.state_dict(), "sampler": sampler.state_dict()},
        f"{path}.tmp",
    )
    os.replace(f"{path}.tmp", path)


def _run(tmp: Path, *, resume: bool, load: int | None, kill_at: int | None) -> Any:
    """Train (or resume) the run whose key and spec are in ``tmp``."""
    key_path, spec_path, bundle = _files(tmp)
    sk = keys.load_private_key(key_path)
    spec = TrainingSpec.from_json(spec_path.read_bytes())
    model = make_model()
    opt = AdamW(model.parameters(), lr=LR, weight_decay=0.01)
    sampler = digits().sampler(seed=2)
    if load is not None:
        state = torch.load(tmp / f"ckpt-{load}.pt", weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        sampler.load_state_dict(state["sampler"])
    with zkattest.attest(
        model,
        opt,
        spec=spec,
        bundle=bundle,
        key=sk,
        salt_seed=SALT_SEED,
        data=digits(),
        sampler=sampler,
        checkpoint_every=EVERY,
        resume=resume,
        quiet=True,
        prove=False,
        on_checkpoint=lambda n: _save(tmp, model, opt, sampler, n),
    ) as run:
        start = run.step
        loader = torch.utils.data.DataLoader(digits(), batch_size=BATCH, sampler=sampler)
        while run.step < TOTAL:
            for x, y in loader:
                opt.zero_grad()
                torch.nn.functional.cross_entropy(model(x), y).backward()
                opt.step()
                if kill_at is not None and run.step == kill_at:
                    os.kill(os.getpid(), signal.SIGKILL)
                if run.step == TOTAL:
                    break
    return start, run


def _child(tmp: str) -> None:  # pragma: no cover - runs in the subprocess
    torch.set_num_threads(1)
    _run(Path(tmp), resume=False, load=None, kill_at=KILL_AT)


def test_resume_after_sigkill(tmp_path: Path) -> None:
    s = setup(max_steps=TOTAL)
    key_path, spec_path, bundle = _files(tmp_path)
    keys.save_private_key(s.sk, key_path)
    spec_path.write_bytes(s.spec.to_json())
    code = (
        f"import sys; sys.path.insert(0, {str(TESTS)!r}); import test_attest; "
        f"test_attest._child({str(tmp_path)!r})"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    assert not bundle.exists()
    n = resume_step(bundle)
    assert n == 20  # checkpoints at 10 and 20; steps 21..25 were not durable
    with pytest.raises(InvalidInputError, match=r"on_checkpoint\(20\)"):
        _run(tmp_path, resume=True, load=10, kill_at=None)
    start, run = _run(tmp_path, resume=True, load=n, kill_at=None)
    assert (start, run.step) == (20, TOTAL)
    report = verify_bundle(bundle, s.pub, allow_unproved=True)
    assert report.verified, report.to_dict()
    assert report.steps == TOTAL
    assert resume_step(tmp_path / "nothing") is None


# -- genesis from a public init recipe ----------------------------------------------------


def test_genesis_recomputes_from_init_recipe(tmp_path: Path) -> None:
    from _bundle_factory import statement_of
    from zkattest import init

    seed = b"init seed 7"
    model = init.init_module(make_model(), seed)
    opt = AdamW(model.parameters(), lr=LR, weight_decay=0.01)
    recipe, opening = init.recipe(seed)
    data = digits()
    spec = TrainingSpec.from_torch(
        model,
        opt,
        batch_size=BATCH,
        max_steps=3,
        schedule=LinearWarmupSchedule(lr=LR, warmup_steps=1),
        dataset_root=data.root.hex(),
        dataset_size=len(data),
        init=recipe,
        salt_seed_commitment=commit_secret(SALT_SEED)[0],
    )
    sk = keys.generate()
    sampler = data.sampler(seed=0)
    s = Setup(model, opt, spec, sk, sk.public_key())
    with attest(s, tmp_path / "b", sampler) as run:
        train(model, opt, sampler, 3)
    assert verify_bundle(tmp_path / "b", sk.public_key(), allow_unproved=True).verified
    genesis = statement_of(tmp_path / "b", "genesis.dsse.json").predicate
    assert genesis["state_root"] == run.genesis_root
    # An auditor given the seed and opening rebuilds W0 from the recipe on a fresh model.
    fresh = make_model()
    fresh_opt = AdamW(fresh.parameters(), lr=LR, weight_decay=0.01)
    chunk = spec.commitment.chunk_size
    got = init.genesis_root(
        recipe, seed, opening, fresh, fresh_opt, salt_seed=SALT_SEED, chunk_size=chunk
    )
    assert got == run.genesis_root
    with pytest.raises(InvalidInputError, match="do not open"):
        init.genesis_root(
            recipe, b"other", opening, make_model(), salt_seed=SALT_SEED, chunk_size=chunk
        )
    with pytest.raises(InvalidInputError, match="torch_default_v1"):
        init.genesis_root(
            InitRecipe("other", recipe.seed_commitment),
            seed,
            opening,
            make_model(),
            salt_seed=SALT_SEED,
            chunk_size=chunk,
        )
    with pytest.raises(InvalidInputError, match="non-empty bytes"):
        init.recipe(b"")
    # deterministic, and independent of the global RNG state
    torch.manual_seed(123)
    a = init.init_module(make_model(), seed)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), fresh.parameters(), strict=True))


def test_module_buffers_are_committed(tmp_path: Path) -> None:
    """BatchNorm running statistics (updated in place by forward passes that overlap the
    background hashing) are committed as they were right after each step."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(64, 32), torch.nn.BatchNorm1d(32), torch.nn.ReLU(), torch.nn.Linear(32, 10)
    )
    opt = AdamW(model.parameters(), lr=LR, weight_decay=0.01)
    sk = keys.generate()
    s = Setup(model, opt, make_spec(model, opt, 6), sk, sk.public_key())
    sampler = digits().sampler(seed=4)
    with attest(s, tmp_path / "b", sampler, release_weights=True, disclose_final_key=True) as run:
        train(model, opt, sampler, 6)
    report = verify_bundle(tmp_path / "b", sk.public_key(), allow_unproved=True)
    assert report.verified, report.to_dict()
    assert {c.name: c.status for c in report.checks}["final.weights"] == "pass"
    assert run.final_state_root == run.committer.commit(run.state_tensors(), 6).root.hex()


def test_real_gradscaler_skip_is_not_a_step(tmp_path: Path) -> None:
    s = setup(max_steps=5)
    sampler = digits().sampler(seed=5)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**4)
    loader = torch.utils.data.DataLoader(digits(), batch_size=BATCH, sampler=sampler)
    with attest(s, tmp_path / "b", sampler) as run:
        for it, (x, y) in enumerate(loader):
            s.opt.zero_grad()
            scaler.scale(torch.nn.functional.cross_entropy(s.model(x), y)).backward()
            if it == 2:  # an overflow: GradScaler skips optimizer.step()
                next(iter(s.model.parameters())).grad[0, 0] = float("inf")
            scale = scaler.get_scale()
            scaler.step(s.opt)
            scaler.update()
            if scaler.get_scale() < scale:
                run.discard_batch()
            if it == 5:
                break
    assert run.step == 5  # 6 iterations, one skipped
    report = verify_bundle(tmp_path / "b", s.pub, allow_unproved=True)
    assert report.verified, report.to_dict()
    assert [r["tokens"] for r in records_of(tmp_path / "b")] == [BATCH] * 5


def test_resume_without_a_run(tmp_path: Path) -> None:
    s = setup(max_steps=2)
    with pytest.raises(ZkattestIOError, match="no interrupted run"):
        attest(s, tmp_path / "b", None, resume=True).__enter__()
    (tmp_path / "b.work").mkdir()
    (tmp_path / "b.work" / "log.db").write_bytes(b"")
    (tmp_path / "b.work" / "genesis.json").write_bytes(b"{not json")
    with pytest.raises(ZkattestIOError, match="unreadable"):
        attest(s, tmp_path / "b", None, resume=True).__enter__()
