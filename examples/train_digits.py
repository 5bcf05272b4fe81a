"""Train a small MLP on scikit-learn's digits under attestation, verify, tamper, time.

    python examples/train_digits.py [--steps 300] [--hidden 64] [--out DIR] [--quiet]

Nothing is downloaded: ``load_digits`` ships inside scikit-learn. The script

1. commits the dataset (``zkattest.data.CommittedDataset``) and declares a spec;
2. trains with ``zkattest.optim.AdamW`` inside ``zkattest.attest(...)``, writing
   ``run.zkab``;
3. verifies the bundle with ``zkattest verify`` (the CLI);
4. tampers a copy (one byte of the run log) and shows it rejected;
5. times the same loop without attestation and prints the per-step overhead.

Step proofs: the spec challenges ``DEMO_CHALLENGES`` (step, chunk) pairs, drawn from the
final signed log root; ``attest()`` proves them by default (``prove=None``: the spec
challenges chunks) in zero knowledge (a process pool) and puts them in the bundle;
``zkattest verify`` fails a bundle that lacks any of them.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from sklearn.datasets import load_digits

import zkattest
from zkattest import init, keys
from zkattest.bundle import sign_spec
from zkattest.constants import DEMO_CHALLENGES
from zkattest.data import CommittedDataset
from zkattest.optim import AdamW
from zkattest.spec import ChallengePolicy, LinearWarmupSchedule, TrainingSpec, commit_secret
from zkattest.spec.fields import Fp32

BATCH = 32
SEED = 0
INIT_SEED = b"example init seed: use secrets.token_bytes(32)"


def digits_dataset() -> torch.utils.data.TensorDataset:
    """The 1,797 8x8 digit images (scaled to [0, 1]) and their labels."""
    d = load_digits()
    x = torch.tensor(d.data / 16.0, dtype=torch.float32)
    y = torch.tensor(d.target, dtype=torch.long)
    return torch.utils.data.TensorDataset(x, y)


def make_model(hidden: int = 64) -> torch.nn.Module:
    """The MLP, initialized by the public recipe ``torch_default_v1`` from a seed."""
    model = torch.nn.Sequential(
        torch.nn.Linear(64, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10)
    )
    return init.init_module(model, INIT_SEED)


def train(model, opt, loader, steps: int) -> list[float]:
    """The unchanged training loop; returns per-step wall times (seconds)."""
    times: list[float] = []
    done = 0
    while done < steps:
        for x, y in loader:
            t0 = time.perf_counter()
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
            times.append(time.perf_counter() - t0)
            done += 1
            if done == steps:
                break
    return times


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--hidden", type=int, default=64, help="hidden width of the MLP")
    ap.add_argument(
        "--challenges",
        type=int,
        default=DEMO_CHALLENGES,
        help="step-chunk pairs the spec challenges (>= 1), all proved at the end",
    )
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    if args.challenges < 1:
        ap.error("--challenges must be >= 1 (a spec's challenge count is at least 1)")
    out = args.out or Path(tempfile.mkdtemp(prefix="zkattest-digits-"))
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)

    sk = keys.generate()
    keys.save_public_key(sk, out / "run.pub", overwrite=True)
    data = CommittedDataset(digits_dataset())
    model = make_model(args.hidden)
    lr = Fp32.from_float(3e-3).value
    opt = AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    salt_seed = hashlib.sha256(b"example salt seed: use secrets.token_bytes(32)").digest()
    salt_c, salt_opening = commit_secret(salt_seed)
    init_recipe, init_opening = init.recipe(INIT_SEED)
    spec = TrainingSpec.from_torch(
        model,
        opt,
        batch_size=BATCH,
        max_steps=args.steps,
        schedule=LinearWarmupSchedule(lr=lr, warmup_steps=20),
        dataset_root=data.root.hex(),
        dataset_size=len(data),
        init=init_recipe,
        salt_seed_commitment=salt_c,
        challenges=ChallengePolicy.of_count(args.challenges),
    )
    published = sign_spec(spec, sk)  # published before training
    sampler = data.sampler(seed=SEED)
    loader = torch.utils.data.DataLoader(data, batch_size=BATCH, sampler=sampler)
    bundle = out / "run.zkab"
    # A fresh run each time: this script owns its output directory.
    for stale in (bundle, out / "tampered.zkab"):
        stale.unlink(missing_ok=True)
    shutil.rmtree(out / "run.zkab.work", ignore_errors=True)
    with zkattest.attest(
        model,
        opt,
        spec=spec,
        bundle=bundle,
        key=sk,
        salt_seed=salt_seed,
        salt_opening=salt_opening,
        data=data,
        sampler=sampler,
        signed_spec=published,
        release_weights=True,
        disclose_final_key=True,
        # Disclose the init seed so that the verifier re-runs the recipe (W0 becomes public).
        init_seed=INIT_SEED,
        init_opening=init_opening,
        quiet=args.quiet,  # proving (the default here: the spec challenges chunks) at close
    ) as run:
        attested = train(model, opt, loader, args.steps)
    print(f"trained {run.step} attested steps; bundle {bundle} ({bundle.stat().st_size} bytes)")
    print(f"proved {run.step_proofs} challenged step chunk(s) in {run.proving_s:.1f} s")

    cli = [sys.executable, "-m", "zkattest.cli", "verify"]
    ok = subprocess.run([*cli, str(bundle), "--public-key", str(out / "run.pub")])
    print(f"zkattest verify run.zkab -> exit {ok.returncode}")

    tampered = out / "tampered.zkab"
    shutil.copyfile(bundle, tampered)
    raw = bytearray(tampered.read_bytes())
    pos = raw.find(b'"lr":"') + 6  # the first record's learning rate
    raw[pos] = ord("0") if raw[pos] != ord("0") else ord("1")
    tampered.write_bytes(bytes(raw))
    bad = subprocess.run(
        [*cli, str(tampered), "--public-key", str(out / "run.pub")], capture_output=True
    )
    print(f"zkattest verify tampered.zkab (one lr digit changed) -> exit {bad.returncode}")

    base_model = make_model(args.hidden)
    base_opt = AdamW(base_model.parameters(), lr=lr, weight_decay=0.01)
    base_loader = torch.utils.data.DataLoader(
        data, batch_size=BATCH, sampler=data.sampler(seed=SEED)
    )
    plain = train(base_model, base_opt, base_loader, args.steps)
    a, p = sorted(attested)[len(attested) // 2], sorted(plain)[len(plain) // 2]
    print(
        f"median step time: {p * 1e3:.3f} ms plain, {a * 1e3:.3f} ms attested "
        f"(overhead {a / p - 1:+.0%}; attestation work on the training thread "
        f"{run.overhead_s / run.step * 1e3:.3f} ms/step)"
    )
    return 0 if ok.returncode == 0 and bad.returncode == 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
