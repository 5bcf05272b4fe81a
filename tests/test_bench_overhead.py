"""``zkattest bench overhead``: a tiny run produces complete, consistent JSON."""

from __future__ import annotations

import json
import math

import pytest

from zkattest import _core
from zkattest.bench import overhead
from zkattest.cli import main
from zkattest.errors import InvalidInputError

REQUIRED = (
    "model",
    "params",
    "tokens_per_step",
    "baseline_step_s",
    "attested_step_s",
    "overhead_pct",
    "hash_floor_pct",
    "proving_s_per_step",
)


def test_cli_mlp_json(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["bench", "overhead", "--model", "mlp", "--steps", "2", "--no-prove", "--json"]
    assert main(argv) == 0
    out = capsys.readouterr().out.strip().splitlines()
    r = json.loads(out[-1])
    for key in REQUIRED:
        assert key in r, key
    assert r["model"] == "mlp"
    assert r["params"] == 64 * 64 + 64 + 64 * 10 + 10
    assert r["tokens_per_step"] == 32
    assert r["steps"] == 2 and len(r["baseline_steps_s"]) == len(r["attested_steps_s"]) == 2
    for key in ("baseline_step_s", "attested_step_s", "hash_floor_pct", "hash_floor_s"):
        assert math.isfinite(r[key]) and r[key] > 0, key
    assert math.isfinite(r["overhead_pct"])
    # params + grads + exp_avg + exp_avg_sq (4 bytes each) + two step counters per tensor
    assert r["committed_bytes"] == 4 * 4 * r["params"] + 4 * 4
    assert r["proving_s_per_step"] is None and "--no-prove" in r["proving_note"]
    # the demo's proving rate: DEMO_CHALLENGES over DEMO_STEPS steps of 4 chunks (an FP32 value)
    assert r["challenge_fraction"] == pytest.approx(overhead.demo_challenge_fraction(), rel=1e-6)
    assert r["chunks_per_step"] == 4
    assert r["verified"] is True


def test_measure_transformer_tiny() -> None:
    r = overhead.measure(
        "transformer",
        2,
        warmup=0,
        d_model=16,
        layers=1,
        heads=2,
        ctx=8,
        batch=2,
        block=2,
        overlap=True,
        verify=True,
        prove=False,
    )
    assert r["tokens_per_step"] == 16 and r["overlap"] is True and r["block"] == 2
    assert r["verified"] is True


@pytest.mark.parametrize("overlap", [True, False])
def test_background_and_inline_hashing_verify(overlap: bool) -> None:
    # hidden=2048: the state is above attest.SYNC_COMMIT_BYTES, so overlap=True really
    # hashes it on the background thread.
    r = overhead.measure("mlp", 2, hidden=2048, block=2, overlap=overlap, prove=False)
    assert r["overlap"] is overlap
    assert r["committed_bytes"] > 2 * (1 << 20)
    assert r["verified"] is True


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"model": "cnn"}, "model must be one of"),
        ({"steps": 0}, "steps must be"),
        ({"steps": 3, "block": 2}, "block must be"),
        ({"batch": 0}, "batch must be"),
        ({"threads": 0}, "threads must be"),
        ({"challenge_fraction": 1.5}, "fraction"),
        ({"hidden": 0}, "hidden must be"),
        ({"model": "transformer", "d_model": 0}, "d_model must be"),
        ({"model": "transformer", "d_model": 64, "heads": 5}, "multiple of n_head"),
    ],
)
def test_bad_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        overhead.measure(**kwargs)


@pytest.mark.skipif(
    not hasattr(_core, "step_prove_chunk"), reason="extension built without the step prover"
)
def test_proving_estimate() -> None:
    # hidden=8: the largest parameter, and so the proved chunk, has 512 elements.
    r = overhead.measure("mlp", 1, warmup=0, hidden=8, challenge_fraction=0.5, verify=False)
    assert r["proving_s_per_chunk"] > 0, r["proving_note"]
    expected = r["proving_s_per_chunk"] * 0.5 * r["chunks_per_step"]
    assert r["proving_s_per_step"] == pytest.approx(expected)


def test_paired_overhead_is_a_median_with_its_own_error() -> None:
    base = [1.0] * 9
    att = [1.02] * 8 + [1.5]  # one step slowed by another process
    median, se = overhead._paired_overhead(base, att, 1)
    assert median == pytest.approx(2.0) and se == pytest.approx(0.0, abs=1e-9)
    att = [1.0 + d / 100 for d in (1, 2, 3, 1, 2, 3, 1, 2, 3)]
    median, se = overhead._paired_overhead(base, att, 1)
    # MAD 1 % over 9 pairs: sqrt(pi/2) * 1.4826 / 3
    assert median == pytest.approx(2.0) and se == pytest.approx(0.6194, abs=1e-3)
    median, se = overhead._paired_overhead([1.0, 1.0], [1.1, 1.3], 2)  # one block pair
    assert median == pytest.approx(20.0) and math.isnan(se)
