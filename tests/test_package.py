"""Package metadata and the console entry point."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import zkattest
from zkattest.cli import main


def test_version_matches_core() -> None:
    assert zkattest.__version__ == zkattest._core.__version__
    assert zkattest.__version__.count(".") == 2


def test_cli_version(capsys) -> None:  # type: ignore[no-untyped-def]
    try:
        main(["--version"])
    except SystemExit as e:
        assert e.code == 0
    assert zkattest.__version__ in capsys.readouterr().out


def test_cli_usage_error_exits_2() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "zkattest.cli", "no-such-command"], capture_output=True
    )
    assert r.returncode == 2


def test_console_script_installed() -> None:
    script = Path(sys.executable).parent / "zkattest"
    r = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert r.returncode == 0
    assert r.stdout.strip() == f"zkattest {zkattest.__version__}"
