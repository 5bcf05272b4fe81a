"""Real proof bundles for the bundle / verify / CLI tests, built from real components.

A small MLP trains for a few AdamW steps on scikit-learn's ``load_digits``; every state
is committed with :class:`zkattest.commit.StateCommitter`; the step records go into a
real :class:`~zkattest.log.RunLog` with signed checkpoints; the proof is a real
``smoke.dot16.v1`` proof. The expensive part (training, the smoke proof) runs once per
process (:func:`build_run`); :func:`write_bundle` then writes bundles from it in
milliseconds, optionally with a changed spec, records, invariants, ... for negative
tests, and :func:`resign` rewrites members of a directory bundle and re-signs its
manifest, to test the checks behind the manifest.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from zkattest import _core, keys
from zkattest.bundle import BundleWriter
from zkattest.canonical import canonical_json
from zkattest.commit import StateCommitter, tensors_from_optimizer, tensors_from_state_dict
from zkattest.constants import BUNDLE_MANIFEST, PROOF_KIND_SMOKE
from zkattest.dsse import b64decode, envelope_from_json, envelope_to_json
from zkattest.invariants import hyperparameters_record_form
from zkattest.log import RunLog, StepRecord
from zkattest.schedule import lr_at
from zkattest.spec import InitRecipe, LinearWarmupSchedule, TrainingSpec, commit_secret
from zkattest.spec.fields import Fp32
from zkattest.statement import Statement, build_statement, sign_statement

STEPS = 6
BATCH = 32
T0_MS = 1_790_000_000_000


@dataclass(frozen=True)
class Run:
    """Everything a bundle is made of, from one real (tiny) training run."""

    workdir: Path
    sk: Any
    other_sk: Any
    pub_path: Path
    other_pub_path: Path
    spec: TrainingSpec
    records: tuple[StepRecord, ...]
    genesis_root: str
    final_step_key: bytes
    weights: Path
    proof: bytes
    proof_public: Mapping[str, int]
    bundle_dir: Path
    bundle_zkab: Path


def _train(workdir: Path) -> tuple[TrainingSpec, list[StepRecord], str, bytes, Path]:
    import safetensors.torch
    import torch
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = torch.tensor(digits.data / 16.0, dtype=torch.float32)
    y = torch.tensor(digits.target, dtype=torch.long)
    dataset_root = hashlib.sha256(
        np.ascontiguousarray(digits.data, dtype="<f8").tobytes()
        + np.ascontiguousarray(digits.target, dtype="<i8").tobytes()
    ).hexdigest()

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 16), torch.nn.ReLU(), torch.nn.Linear(16, 10))
    lr0 = Fp32.from_float(1e-2).value
    opt = torch.optim.AdamW(model.parameters(), lr=lr0, weight_decay=0.01)
    schedule = LinearWarmupSchedule(lr=lr0, warmup_steps=3)
    salt_seed = hashlib.sha256(b"zkattest test salt seed").digest()
    init_c, _ = commit_secret(b"init seed 0")
    salt_c, _ = commit_secret(salt_seed)
    spec = TrainingSpec.from_torch(
        model,
        opt,
        batch_size=BATCH,
        max_steps=8,
        schedule=schedule,
        dataset_root=dataset_root,
        dataset_size=len(x),
        init=InitRecipe("torch_default", init_c),
        salt_seed_commitment=salt_c,
    )
    committer = StateCommitter(salt_seed, chunk_size=spec.commitment.chunk_size)

    def state() -> dict[str, Any]:
        return {**tensors_from_state_dict(model.state_dict()), **tensors_from_optimizer(opt, model)}

    genesis = committer.commit(state(), step=0).root.hex()
    rng = np.random.default_rng(0)
    hp = hyperparameters_record_form(spec)
    records = []
    for t in range(STEPS):
        idx = rng.choice(len(x), BATCH, replace=False)
        lr = lr_at(schedule, t)
        for g in opt.param_groups:
            g["lr"] = lr.value
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
        loss.backward()
        grads = {f"grad.{n}": p.grad for n, p in model.named_parameters()}
        grad_root = committer.commit(grads, step=t + 1).root.hex()
        opt.step()
        records.append(
            StepRecord(
                step=t,
                state_root=committer.commit(state(), step=t + 1).root.hex(),
                grad_root=grad_root,
                batch_commitment=hashlib.sha256(idx.astype("<u4").tobytes()).hexdigest(),
                tokens=BATCH,
                lr=lr.hex,
                timestamp_ms=T0_MS + 1000 * t,
                extra={"hyperparameters": hp},
            )
        )
    weights = workdir / "model.safetensors"
    named = dict(model.state_dict())
    names = {id(p): n for n, p in model.named_parameters()}
    for p, st in opt.state.items():
        for k, v in st.items():
            named[f"optim.state.{names[id(p)]}.{k}"] = v
    safetensors.torch.save_file(
        {k: v.detach().clone().contiguous() for k, v in named.items()}, weights
    )
    step_key = committer.step_key(STEPS)
    assert committer.commit_safetensors(weights, STEPS).root.hex() == records[-1].state_root
    return spec, records, genesis, step_key, weights


def make_log(
    path: Path,
    log_id: str,
    records: Sequence[StepRecord],
    sk: Any,
    *,
    checkpoint_every: int = 3,
    final_checkpoint: bool = True,
) -> RunLog:
    """A real RunLog holding ``records`` with a signed checkpoint every few records."""
    log = RunLog.create(path, log_id, synchronous="OFF")
    for i, r in enumerate(records):
        log.append(r)
        if checkpoint_every and (i + 1) % checkpoint_every == 0:
            log.checkpoint(sk, timestamp_ms=r.timestamp_ms)
    if final_checkpoint and records and len(records) % (checkpoint_every or len(records) + 1):
        log.checkpoint(sk, timestamp_ms=records[-1].timestamp_ms)
    return log


_counter = iter(range(10**9))


def write_bundle(
    run: Run,
    path: Path,
    *,
    spec: TrainingSpec | None = None,
    records: Sequence[StepRecord] | None = None,
    sk: Any = None,
    checkpoint_every: int = 3,
    final_checkpoint: bool = True,
    invariants: Any = None,
    claims: Mapping[str, bool] | None = None,
    weights: bool = True,
    step_key: bytes | bool | None = True,
    proofs: int = 1,
    provenance: bool = True,
    genesis_root: str | None = None,
) -> Path:
    """Write a bundle from ``run`` (optionally with other spec / records / ...)."""
    spec = spec or run.spec
    records = run.records if records is None else records
    sk = sk or run.sk
    db = run.workdir / f"log-{next(_counter)}.db"
    with make_log(
        db,
        spec.digest(),
        records,
        sk,
        checkpoint_every=checkpoint_every,
        final_checkpoint=final_checkpoint,
    ) as log:
        w = BundleWriter(path, sk)
        w.add_spec(spec)
        w.add_genesis(genesis_root or run.genesis_root)
        for _ in range(proofs):
            w.add_proof(PROOF_KIND_SMOKE, run.proof, public=dict(run.proof_public))
        w.add_log(log)
    w.add_invariants(invariants, claims={"finite_state": True} if claims is None else claims)
    if weights:
        w.add_weights(run.weights)
    key = run.final_step_key if step_key is True else (step_key or None)
    w.add_final(step_key=key, provenance=provenance)  # type: ignore[arg-type]
    w.finalize()
    return path


@functools.cache
def build_run() -> Run:
    """Train, prove and write the pristine bundles, once per process."""
    workdir = Path(tempfile.mkdtemp(prefix="zkattest-bundle-tests-"))
    atexit.register(shutil.rmtree, workdir, True)
    sk, other = keys.generate(), keys.generate()
    pub, other_pub = workdir / "run.pub", workdir / "other.pub"
    keys.save_public_key(sk, pub)
    keys.save_public_key(other, other_pub)
    keys.save_private_key(sk, workdir / "run.key")
    spec, records, genesis, step_key, weights = _train(workdir)
    rng = np.random.default_rng(1)
    a = rng.integers(0, 1 << 16, 16, dtype=np.uint16)
    b = rng.integers(0, 1 << 16, 16, dtype=np.uint16)
    proof, total = _core.smoke_prove(a, b)
    run = Run(
        workdir,
        sk,
        other,
        pub,
        other_pub,
        spec,
        tuple(records),
        genesis,
        step_key,
        weights,
        proof,
        {"n": 16, "sum": int(total)},
        workdir / "bundle",
        workdir / "bundle.zkab",
    )
    write_bundle(run, run.bundle_dir)
    from zkattest.bundle import copy_bundle

    copy_bundle(run.bundle_dir, run.bundle_zkab)
    return run


def copy_bundle_to(run: Run, dest_dir: Path, form: str = "dir") -> Path:
    """A private copy of the pristine bundle (``form`` ``dir`` or ``zkab``)."""
    if form == "dir":
        dest = dest_dir / "bundle"
        shutil.copytree(run.bundle_dir, dest)
    else:
        dest = dest_dir / "bundle.zkab"
        shutil.copyfile(run.bundle_zkab, dest)
    return dest


def statement_of(bundle: Path, name: str) -> Statement:
    """The (unverified) statement in a directory bundle's envelope member."""
    env = envelope_from_json((bundle / name).read_bytes())
    return Statement.from_json(b64decode(env["payload"]))


def sign_member(bundle: Path, name: str, st: Statement, sk: Any) -> None:
    """Overwrite envelope member ``name`` with ``st`` signed by ``sk``."""
    (bundle / name).write_bytes(envelope_to_json(sign_statement(st, sk)))


def restate(
    bundle: Path,
    name: str,
    sk: Any,
    *,
    predicate: Callable[[dict[str, Any]], None] | None = None,
    subject: list[dict[str, Any]] | None = None,
    predicate_type: str | None = None,
) -> None:
    """Re-sign envelope member ``name`` after changing its predicate / subject / type."""
    st = statement_of(bundle, name)
    p = dict(st.predicate)
    if predicate is not None:
        predicate(p)
    subj = subject if subject is not None else [s.to_dict() for s in st.subject]
    sign_member(bundle, name, build_statement(subj, predicate_type or st.predicate_type, p), sk)


def resign(
    bundle: Path,
    sk: Any,
    *,
    replace_members: Mapping[str, bytes | None] | None = None,
    predicate: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """Rewrite members of a directory bundle (``None`` deletes) and re-sign a manifest
    whose digests match the new content: the manifest then vouches for the change, so
    the checks behind it are exercised."""
    for name, data in (replace_members or {}).items():
        p = bundle / name
        if data is None:
            p.unlink()
        else:
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
    st = statement_of(bundle, BUNDLE_MANIFEST)
    names = sorted(
        n.relative_to(bundle).as_posix()
        for n in bundle.rglob("*")
        if n.is_file() and not n.name.endswith(".bin") and n.name != BUNDLE_MANIFEST
    )
    subjects = [
        {"name": n, "digest": {"sha256": hashlib.sha256((bundle / n).read_bytes()).hexdigest()}}
        for n in names
    ]
    p = dict(st.predicate)
    if predicate is not None:
        predicate(p)
    sign_member(bundle, BUNDLE_MANIFEST, build_statement(subjects, st.predicate_type, p), sk)


def log_lines(bundle: Path) -> list[bytes]:
    """The lines of a directory bundle's log.jsonl (with newlines)."""
    return (bundle / "log.jsonl").read_bytes().splitlines(keepends=True)


def with_record(r: StepRecord, **changes: Any) -> StepRecord:
    """A copy of a step record with some fields changed."""
    return replace(r, **changes)


__all__ = [
    "Run",
    "build_run",
    "canonical_json",
    "copy_bundle_to",
    "log_lines",
    "make_log",
    "resign",
    "restate",
    "sign_member",
    "statement_of",
    "with_record",
    "write_bundle",
]
