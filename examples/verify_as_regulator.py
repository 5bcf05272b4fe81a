"""Verify a proof bundle the way a regulator would, and say what was and was not proven.

    python examples/verify_as_regulator.py BUNDLE --public-key K.pub [--parent P ...]
                                           [--allow-unproved]
    python examples/verify_as_regulator.py          # makes a bundle with train_digits.py

A regulator runs one command, ``zkattest verify BUNDLE --public-key K.pub --format
json``, and reads its JSON report. This script does exactly that (as a subprocess, as an
auditor's tooling would), then prints, in plain words:

- the verdict and what the run is (steps, final state root, spec digest, signing key);
- what the verifier **recomputed or checked** itself (signatures, the log, the lineage,
  the schedule, the FLOP budget, the data, the genesis, the final weights, proofs...);
- what is **not proven** by this bundle (and why), e.g. gradient correctness;
- what **failed**, if anything;
- the report's warnings, e.g. that the state transitions are not attested (a bundle
  without step proofs fails unless ``--allow-unproved`` is passed through).

Exit code: the one ``zkattest verify`` returned (0 verified, 1 failed, 2 unusable input,
3 unsupported version).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

#: Plain-language meaning of each check family (the prefix of a check's name).
MEANING = {
    "bundle": "the bundle file is complete and well formed",
    "manifest": "every file in the bundle is covered by the run's signature",
    "spec": "the training spec (declared before training) is the signed one",
    "genesis": "where training started from (initial weights)",
    "lineage": "the parent run this one fine-tunes is itself verified",
    "log": "the per-step run log is complete, append-only and signed",
    "data": "every batch came from the committed dataset",
    "proofs": "zero-knowledge proofs of the optimizer steps",
    "invariants": "the trainer's signed invariant attestation",
    "invariant": "a declared rule of the run",
    "final": "the final model is the one the log ends in",
    "provenance": "the SLSA provenance view of the final model",
}
#: What no v1 bundle proves, whatever its checks say (docs/threat-model.md).
NEVER_PROVEN = (
    "that each gradient is the true gradient of the loss on the committed batch (gradient "
    "proofs are future work): the data order is attested, not its effect on the weights",
    "that the trainer ran no other, unattested training (only this run's log is attested)",
    "anything about the weights' behaviour (safety, capabilities, accuracy)",
)


def make_demo_bundle(out: Path) -> tuple[Path, Path]:
    """Run examples/train_digits.py (short) and return its bundle and public key."""
    print(f"no bundle given: attesting a short digits run into {out} ...")
    cmd = [sys.executable, str(HERE / "train_digits.py"), "--out", str(out), "--steps", "60"]
    subprocess.run([*cmd, "--quiet"], check=True, capture_output=True)
    return out / "run.zkab", out / "run.pub"


def verify(
    bundle: Path,
    key: Path,
    parents: list[Path],
    parent_keys: list[Path],
    allow_unproved: bool = False,
) -> Any:
    """The one command, with a JSON report on stdout."""
    cmd = [sys.executable, "-m", "zkattest.cli", "verify", str(bundle), "--public-key", str(key)]
    for p in parents:
        cmd += ["--parent", str(p)]
    for k in parent_keys:
        cmd += ["--parent-key", str(k)]
    if allow_unproved:
        cmd.append("--allow-unproved")
    cmd += ["--format", "json", "--no-progress"]
    print("$ zkattest " + " ".join(cmd[3:]))
    done = subprocess.run(cmd, capture_output=True, text=True)
    try:
        return json.loads(done.stdout.strip().splitlines()[-1]), done.returncode
    except (json.JSONDecodeError, IndexError):
        print(done.stderr, file=sys.stderr)
        return None, done.returncode


def family(name: str) -> str:
    return MEANING.get(name.split(".")[0], "")


def show(report: dict[str, Any], indent: str = "") -> None:
    """Print one report (and its parent's, for a lineage)."""
    print(f"{indent}{report['verdict']}")
    if report.get("error"):
        return
    print(
        f"{indent}  run: {report['steps']} steps, spec {str(report['spec_digest'])[:16]}…, "
        f"final state root {str(report['final_state_root'])[:16]}…, "
        f"signed by key {str(report['key_id'])[:16]}…"
    )
    groups = {"pass": [], "unchecked": [], "unsupported": [], "fail": [], "skipped": []}
    for c in report["checks"]:
        groups.setdefault(c["status"], []).append(c)
    sections = (
        ("PROVEN (recomputed or checked by the verifier)", "pass"),
        ("NOT PROVEN by this bundle (and why)", "unchecked"),
        ("NOT UNDERSTOOD by this verifier (newer format)", "unsupported"),
        ("FAILED", "fail"),
        ("NOT CHECKED because something it needs failed", "skipped"),
    )
    for title, status in sections:
        if not groups[status]:
            continue
        print(f"\n{indent}{title}:")
        for c in groups[status]:
            what = family(c["name"])
            print(f"{indent}  - {c['name']}" + (f" ({what})" if what else ""))
            print(f"{indent}      {c['detail']}")
    for w in report.get("warnings") or ():
        print(f"\n{indent}WARNING: {w}")
    if report.get("parent"):
        print(f"\n{indent}PARENT RUN (lineage):")
        show(report["parent"], indent + "    ")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bundle", nargs="?", type=Path, help="the bundle (.zkab or directory)")
    ap.add_argument("--public-key", "-k", type=Path, help="the run's public key (PEM)")
    ap.add_argument("--parent", action="append", type=Path, default=[], help="parent bundle")
    ap.add_argument("--parent-key", action="append", type=Path, default=[], help="its key")
    ap.add_argument(
        "--allow-unproved",
        action="store_true",
        help="check only commitments, log and signatures when step proofs are missing",
    )
    args = ap.parse_args(argv)
    if args.bundle is None:
        bundle, key = make_demo_bundle(Path(tempfile.mkdtemp(prefix="zkattest-regulator-")))
    elif args.public_key is None:
        ap.error("--public-key is required with a bundle")
    else:
        bundle, key = args.bundle, args.public_key
    report, rc = verify(bundle, key, args.parent, args.parent_key, args.allow_unproved)
    if report is None:
        print(f"zkattest verify gave no report (exit {rc})")
        return rc or 2
    print()
    show(report)
    print("\nNEVER PROVEN by a v1 bundle, whatever the checks say:")
    for item in NEVER_PROVEN:
        print(f"  - {item}")
    print(f"\nexit code {rc} ({report['outcome']})")
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
