"""``zkattest bench step``: the floor measured in the same run (a constraint-free AIR
committing as many cells as each step chunk), ``--no-floor``, and the binding it uses
(``_core.floor_prove``)."""

from __future__ import annotations

import json

import pytest

from zkattest import _core
from zkattest.bench import step as step_bench
from zkattest.cli import main
from zkattest.errors import InvalidInputError

FLOOR_KEYS = {"floor_prove_s", "floor_params_per_s", "ratio_to_floor"}


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[list[str], dict]:
    assert main(["bench", "step", *argv, "--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    return lines, json.loads(lines[-1])


def test_floor_fields(capsys: pytest.CaptureFixture[str]) -> None:
    lines, r = _run(["--optimizer", "sgd", "--params", "16"], capsys)
    assert FLOOR_KEYS <= r.keys()
    assert r["floor_prove_s"] > 0
    assert r["floor_params_per_s"] == pytest.approx(16 / r["floor_prove_s"], rel=1e-2)
    assert r["ratio_to_floor"] == pytest.approx(r["prove_s"] / r["floor_prove_s"], rel=1e-2)
    assert any(line.lstrip().startswith("floor") for line in lines[:-1])


def test_no_floor_skips_it(capsys: pytest.CaptureFixture[str]) -> None:
    lines, r = _run(["--optimizer", "sgd", "--params", "16", "--no-floor"], capsys)
    assert not FLOOR_KEYS & r.keys()
    assert r["verified"] is True
    assert not any(line.lstrip().startswith("floor") for line in lines[:-1])


def test_floor_shape_covers_the_chunk_cells() -> None:
    layout = [
        {"name": "update", "log_height": 4, "main_cols": 20, "aux_cols": 48, "hash": False},
        {"name": "blake3_leaf", "log_height": 5, "main_cols": 100, "aux_cols": 36, "hash": True},
    ]
    log_rows, width = step_bench.floor_shape(layout)
    total = (68 << 4) + (136 << 5)
    assert log_rows == 5
    assert width << log_rows >= total > (width - 1) << log_rows


def test_floor_prove_binding() -> None:
    r = _core.floor_prove(4, 5, seed=1)
    assert r["cells"] == 5 << 4
    assert r["proof_bytes"] > 0 and r["prove_s"] > 0 and r["verify_s"] > 0
    assert r["prove_cpu_s"] >= 0


@pytest.mark.parametrize(("log_rows", "width"), [(2, 8), (23, 8), (4, 2), (22, 1 << 10)])
def test_floor_prove_rejects_bad_shapes(log_rows: int, width: int) -> None:
    with pytest.raises(InvalidInputError):
        _core.floor_prove(log_rows, width)
