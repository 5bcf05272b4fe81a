"""Small real attested runs for the genesis, lineage and batch-proof tests.

A tiny MLP trains for a few AdamW steps under :func:`zkattest.attest` on a synthetic
dataset of 100 examples (fast: well under a second per run), without step proofs
(``prove=False``: the tests verify them with ``allow_unproved=True``; step proofs are
tested in ``test_proofs.py``). :func:`parent_run` writes
a from-scratch run that discloses its init seed, releases its final weights and final
step key; :func:`child_run` fine-tunes from it (lineage). Both are directory bundles so
the tests can rewrite members (``_bundle_factory.resign`` / ``restate``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import safetensors.torch
import torch

import zkattest
from zkattest import init, keys
from zkattest.bundle import BundleReader, bundle_digest
from zkattest.constants import BUNDLE_FINAL
from zkattest.data import CommittedDataset
from zkattest.optim import AdamW
from zkattest.spec import (
    InitRecipe,
    LinearWarmupSchedule,
    ParentInit,
    TrainingSpec,
    commit_secret,
)
from zkattest.spec.fields import Fp32

BATCH = 10
LR = Fp32.from_float(1e-2).value
INIT_SEED = b"test init seed"
SALT = hashlib.sha256(b"test salt seed").digest()
CHILD_SALT = hashlib.sha256(b"test child salt seed").digest()
_DATA: list[CommittedDataset] = []


def dataset() -> CommittedDataset:
    """100 random examples (8 features, 3 classes), committed once per process."""
    if not _DATA:
        g = torch.Generator().manual_seed(0)
        x, y = torch.randn(100, 8, generator=g), torch.randint(0, 3, (100,), generator=g)
        _DATA.append(CommittedDataset(torch.utils.data.TensorDataset(x, y)))
    return _DATA[0]


def make_model() -> torch.nn.Module:
    """The architecture (built with arbitrary weights)."""
    return torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))


def make_spec(model: Any, opt: Any, init_spec: Any, steps: int, salt: bytes) -> TrainingSpec:
    data = dataset()
    return TrainingSpec.from_torch(
        model,
        opt,
        batch_size=BATCH,
        max_steps=steps,
        schedule=LinearWarmupSchedule(lr=LR, warmup_steps=2),
        dataset_root=data.root.hex(),
        dataset_size=len(data),
        init=init_spec,
        salt_seed_commitment=commit_secret(salt)[0],
    )


def train(model: Any, opt: Any, sampler: Any, steps: int) -> None:
    """The unchanged training loop."""
    loader = torch.utils.data.DataLoader(dataset(), batch_size=BATCH, sampler=sampler)
    for i, (x, y) in enumerate(loader):
        if i == steps:
            break
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()


@dataclass(frozen=True)
class Attested:
    """A written bundle and what made it."""

    bundle: Path
    sk: Any
    pub: Path
    spec: TrainingSpec
    model: Any
    opt: Any


def _pub(sk: Any, out: Path, name: str) -> Path:
    path = out / f"{name}.pub"
    keys.save_public_key(sk, path, overwrite=True)
    return path


def parent_run(out: Path, steps: int = 6, sk: Any = None, **options: Any) -> Attested:
    """A from-scratch run with recipe ``torch_default_v1`` that discloses its seed."""
    out.mkdir(parents=True, exist_ok=True)
    sk = sk or keys.generate()
    model = init.init_module(make_model(), INIT_SEED)
    opt = AdamW(model.parameters(), lr=LR)
    recipe, opening = init.recipe(INIT_SEED)
    spec = make_spec(model, opt, recipe, steps, SALT)
    sampler = dataset().sampler(seed=0)
    bundle = out / "parent"
    kw: dict[str, Any] = {
        "init_seed": INIT_SEED,
        "init_opening": opening,
        "release_weights": True,
        "disclose_final_key": True,
        "quiet": True,
        "prove": False,  # the step proofs are tested in test_proofs.py
        **options,
    }
    with zkattest.attest(
        model, opt, spec=spec, bundle=bundle, key=sk, salt_seed=SALT, data=dataset(),
        sampler=sampler, **kw,
    ):  # fmt: skip
        train(model, opt, sampler, steps)
    return Attested(bundle, sk, _pub(sk, out, "parent"), spec, model, opt)


def load_final(parent: Path) -> tuple[Any, Any, bytes]:
    """A model and optimizer holding the parent bundle's final state (weights and AdamW
    buffers from its ``model.safetensors``), and its disclosed final step key."""
    with BundleReader(parent) as r:
        st = r.statement(BUNDLE_FINAL, None, None)
        with r.member_path("model.safetensors") as path:
            tensors = safetensors.torch.load_file(str(path))
    model = make_model()
    model.load_state_dict({k: v for k, v in tensors.items() if not k.startswith("optim.")})
    opt = AdamW(model.parameters(), lr=LR)
    named = dict(model.named_parameters())
    for k, v in tensors.items():
        if k.startswith("optim.state."):
            pname, _, key = k.removeprefix("optim.state.").rpartition(".")
            opt.state[named[pname]][key] = v.clone()
    return model, opt, bytes.fromhex(st.predicate["step_key"])


def child_run(out: Path, parent: Attested, steps: int = 4, sk: Any = None) -> Attested:
    """A fine-tuning run whose genesis is the parent run's final state."""
    out.mkdir(parents=True, exist_ok=True)
    sk = sk or parent.sk
    model, opt, key = load_final(parent.bundle)
    with BundleReader(parent.bundle) as r:
        final_root = r.manifest(None).final_state_root
    spec = make_spec(
        model, opt, ParentInit(bundle_digest(parent.bundle), final_root), steps, CHILD_SALT
    )
    sampler = dataset().sampler(seed=1)
    bundle = out / "child"
    with zkattest.attest(
        model, opt, spec=spec, bundle=bundle, key=sk, salt_seed=CHILD_SALT, data=dataset(),
        sampler=sampler, parent_step_key=key, release_weights=True, disclose_final_key=True,
        quiet=True, prove=False,
    ):  # fmt: skip
        train(model, opt, sampler, steps)
    return Attested(bundle, sk, _pub(sk, out, "child"), spec, model, opt)


def recipe_spec_without_seed(model: Any, opt: Any, steps: int) -> TrainingSpec:
    """A spec whose recipe commits to a seed nobody discloses."""
    return make_spec(
        model, opt, InitRecipe("torch_default_v1", commit_secret(b"x")[0]), steps, SALT
    )


__all__ = [
    "Attested",
    "child_run",
    "dataset",
    "load_final",
    "make_model",
    "make_spec",
    "parent_run",
    "recipe_spec_without_seed",
    "train",
]
