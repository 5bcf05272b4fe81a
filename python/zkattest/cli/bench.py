"""``zkattest bench ...``: performance benchmarks that print their figures and, where a
peer exists, the peer's figure measured in the same run."""

from __future__ import annotations

import argparse

from zkattest.bench import commit as commit_bench
from zkattest.bench import overhead as overhead_bench
from zkattest.bench import prove as prove_bench
from zkattest.bench import step as step_bench

# Each benchmark module exposes ``register(subparsers)``.
_BENCHES: tuple = (commit_bench, prove_bench, overhead_bench, step_bench)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("bench", help="run a benchmark (commit, prove, step, overhead)")
    bsub = p.add_subparsers(dest="bench", metavar="BENCH", required=True)
    for module in _BENCHES:
        module.register(bsub)
