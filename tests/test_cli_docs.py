"""docs/cli.md stays in sync with the parser: every command, every bench and every
option of the non-bench commands is documented (bench options change with the
benchmarks; their ``--help`` is authoritative)."""

from __future__ import annotations

import argparse
from pathlib import Path

from zkattest.cli import build_parser

DOC = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text()


def _subparsers(p: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for a in p._actions:
        if isinstance(a, argparse._SubParsersAction):
            return dict(a.choices)
    return {}


def test_every_command_and_option_is_documented() -> None:
    missing = []
    for name, sub in _subparsers(build_parser()).items():
        if f"`zkattest {name}" not in DOC:
            missing.append(f"command {name}")
        if name == "bench":
            missing += [f"bench {b}" for b in _subparsers(sub) if f"zkattest bench {b}" not in DOC]
            continue
        for a in sub._actions:
            if isinstance(a, argparse._HelpAction):
                continue
            names = a.option_strings or [a.metavar or a.dest]
            missing += [f"{name} {n}" for n in names if f"`{n}" not in DOC]
    assert not missing, f"docs/cli.md does not document: {missing}"
