"""``zkattest verify`` and ``zkattest inspect``: exit codes, output formats, and no
traceback whatever the input (run through subprocess, as an auditor would)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from _bundle_factory import Run, build_run, copy_bundle_to, restate
from zkattest.cli import main
from zkattest.constants import BUNDLE_MANIFEST, BUNDLE_SPEC


@pytest.fixture(scope="session")
def run() -> Run:
    return build_run()


def cli(*args: Any) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "zkattest.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr
    return proc


def test_verify_without_step_proofs_fails_unless_allowed(run: Run) -> None:
    """The factory's bundles carry no step proof of the 24 chunks their spec challenges."""
    p = cli("verify", run.bundle_zkab, "--public-key", run.pub_path)
    assert p.returncode == 1, p.stdout + p.stderr
    lines = p.stdout.strip().splitlines()
    assert lines[-1].startswith("FAILED") and "proofs.coverage" in lines[-1]
    (cov,) = [line for line in lines if line.split()[:2] == ["FAIL", "proofs.coverage"]]
    assert "24 of 24 challenged" in cov and "prove=None" in cov and "--allow-unproved" in cov
    assert not any(line.startswith("WARNING") for line in lines)

    p = cli("verify", run.bundle_dir, "-k", run.pub_path, "--format", "json")
    assert p.returncode == 1
    obj = json.loads(p.stdout)
    assert obj["allow_unproved"] is False and obj["outcome"] == "failed"


def test_verify_text_json_quiet(run: Run) -> None:
    p = cli("verify", run.bundle_zkab, "--public-key", run.pub_path, "--allow-unproved")
    assert p.returncode == 0, p.stdout + p.stderr
    lines = p.stdout.strip().splitlines()
    assert lines[0].startswith("zkattest verify") and lines[-1].startswith("VERIFIED")
    assert "state transitions NOT attested" in lines[-1]
    assert any(line.split()[:2] == ["PASS", "manifest.signature"] for line in lines)
    (cov,) = [line for line in lines if line.split()[:2] == ["N/A", "proofs.coverage"]]
    assert "allowed by --allow-unproved" in cov and "24 of 24" in cov
    (warning,) = [line for line in lines if line.startswith("WARNING:")]
    assert "24 challenged chunk(s) have no step proof" in warning

    p = cli("verify", run.bundle_dir, "-k", run.pub_path, "-q", "--allow-unproved")
    assert p.returncode == 0 and len(p.stdout.strip().splitlines()) == 1
    assert p.stdout.startswith("VERIFIED (state transitions NOT attested")

    p = cli(
        "verify", run.bundle_zkab, "-k", run.pub_path, "--format", "json", "--spec", _spec(run),
        "--allow-unproved",
    )  # fmt: skip
    assert p.returncode == 0
    obj = json.loads(p.stdout)  # exactly one JSON object
    assert obj["verified"] is True and obj["exit_code"] == 0 and obj["bundle_version"] == 1
    assert obj["allow_unproved"] is True and len(obj["warnings"]) == 1
    assert obj["steps"] == len(run.records)
    assert obj["final_state_root"] == run.records[-1].state_root
    assert {c["name"] for c in obj["checks"]} >= {"manifest.members", "spec.expected"}
    assert all({"name", "ok", "detail"} <= set(c) for c in obj["checks"])


def _spec(run: Run) -> Path:
    p = run.workdir / "expected-spec.json"
    p.write_bytes(run.spec.to_json())
    return p


def test_verify_failures_and_errors(run: Run, tmp_path: Path) -> None:
    p = cli("verify", run.bundle_zkab, "-k", run.other_pub_path, "--allow-unproved")
    assert p.returncode == 1 and p.stdout.strip().splitlines()[-1].startswith("FAILED")

    garbage = tmp_path / "g.zkab"
    garbage.write_bytes(b"\x00garbage" * 100)
    p = cli("verify", garbage, "-k", run.pub_path, "--format", "json")
    assert p.returncode == 2
    obj = json.loads(p.stdout)
    assert obj["verified"] is False and obj["outcome"] == "malformed" and obj["error"]

    # Usage errors: missing key file, a private key, an unreadable --spec: exit 2, and
    # still exactly one JSON object with --format json.
    for extra in (
        ["-k", tmp_path / "nope.pub"],
        ["-k", run.workdir / "run.key"],
        ["-k", run.pub_path, "--spec", garbage],
    ):
        p = cli("verify", run.bundle_zkab, *extra, "--format", "json")
        assert p.returncode == 2, p.stderr
        assert json.loads(p.stdout)["exit_code"] == 2
        assert "zkattest: error:" in p.stderr
    p = cli("verify", run.bundle_zkab)  # argparse: --public-key is required
    assert p.returncode == 2 and "required" in p.stderr


def test_verify_unsupported_version(run: Run, tmp_path: Path) -> None:
    b = copy_bundle_to(run, tmp_path)
    restate(b, BUNDLE_MANIFEST, run.sk, predicate=lambda p: p.__setitem__("bundle_version", 7))
    p = cli("verify", b, "-k", run.pub_path, "-q")
    assert p.returncode == 3 and p.stdout.startswith("UNSUPPORTED")


def test_inspect(run: Run) -> None:
    p = cli("inspect", run.bundle_zkab)
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert "NOT verified" in out and "Declared (spec" in out and "Attested:" in out
    for word in (
        "adamw",
        "linear_warmup",
        "FLOP budget",
        "1,797 examples",
        "fraction 1.0",
        "lr_schedule",
        "checkpoints  2",
        "smoke.dot16.v1: 1",
    ):
        assert word in out, word
    p = cli("inspect", run.bundle_dir, "-k", run.pub_path, "--format", "json")
    assert p.returncode == 0
    obj = json.loads(p.stdout)
    assert obj["signatures_verified"] is True and obj["exit_code"] == 0
    assert set(obj["signatures"].values()) == {"verified"}
    assert obj["declared"]["model"]["parameters"] == run.spec.num_parameters
    assert obj["attested"]["log"]["steps"] == len(run.records)
    p = cli("inspect", run.bundle_dir, "-k", run.other_pub_path)
    assert p.returncode == 1 and "FAILED" in p.stdout


def test_in_process_exit_codes(
    run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    allow = "--allow-unproved"
    assert main(["verify", str(run.bundle_dir), "-k", str(run.pub_path), "-q", allow]) == 0
    b = copy_bundle_to(run, tmp_path)
    (b / BUNDLE_SPEC).write_bytes(b"{}")
    assert main(["verify", str(b), "-k", str(run.pub_path), allow]) == 1
    out = capsys.readouterr().out
    assert "FAIL  manifest.members" in out and "spec.json: sha256 differs" in out
    assert main(["inspect", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    (b / BUNDLE_MANIFEST).unlink()
    assert main(["verify", str(b), "-k", str(run.pub_path), "-q"]) == 2
    assert "incomplete bundle" in capsys.readouterr().out
