"""``zkattest bench step``: zero-knowledge step proofs of an optimizer update.

Proves one optimizer step of ``--params`` random FP32 parameters (with their gradient
and optimizer buffers) as independent step-chunk proofs of at most
:data:`CHUNK_ELEMS` elements each, with in-circuit leaf binding (every chunk read and
written hashes to its salted BLAKE3 leaf inside the proof). Reports parameters per
second, cells per parameter split into arithmetic (update chip, op chips, tables) and
leaf hashing, proof bytes per parameter and verify time. With ``--json`` the last line
printed is one JSON object with the figures.

Unless ``--no-floor`` is given, the same run also proves the proof system's *floor*: a
constraint-free AIR (:func:`zkattest._core.floor_prove`) committing as many cells as each
step chunk (as many rows as the chunk's leaf chip, as many columns as that takes). Its
time is what the proof system alone costs for those cells on this machine, so
``ratio_to_floor`` (step prove time / floor prove time) says how much the chips' layout
costs on top, and ``floor_params_per_s`` bounds what any layout with as many cells could
reach here.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from zkattest import _core
from zkattest.errors import InvalidInputError

#: Largest chunk of one step proof, in FP32 elements (one 64 KiB commitment chunk).
CHUNK_ELEMS = 1 << 14
#: Largest ``--params`` the benchmark accepts.
MAX_PARAMS = 1 << 22


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("step", help="zero-knowledge step proofs of an optimizer update")
    p.add_argument("--optimizer", choices=("sgd", "adamw"), default="adamw")
    p.add_argument(
        "--params", type=int, default=CHUNK_ELEMS, help=f"parameters (default {CHUNK_ELEMS})"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the random state")
    p.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    p.add_argument(
        "--no-floor",
        action="store_true",
        help="skip proving the constraint-free floor AIR with the same number of cells",
    )
    p.set_defaults(func=run)


def _fp32(rng: np.random.Generator, n: int, scale: float, nonneg: bool = False) -> np.ndarray:
    x = (rng.standard_normal(n) * scale).astype(np.float32)
    if nonneg:
        x = x * x  # second moments: squares of gradient-sized values
    return x.view(np.uint32)


def _scalars(optimizer: str) -> tuple[object, int]:
    """Typical hyperparameters: AdamW(lr=1e-3, wd=0.01) at step 10, SGD(lr=0.1,
    momentum=0.9, wd=1e-4) after its first step."""
    if optimizer == "adamw":
        s = _core.adamw_scalars(
            lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01, step=10
        )
        return s, 2
    return _core.sgd_scalars(lr=0.1, momentum=0.9, weight_decay=1e-4), 1


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.params <= MAX_PARAMS:
        raise InvalidInputError(f"--params must be between 1 and {MAX_PARAMS}, got {args.params}")
    rng = np.random.default_rng(args.seed)
    n = args.params
    scalars, nbufs = _scalars(args.optimizer)
    param = _fp32(rng, n, 0.05)
    grad = _fp32(rng, n, 1e-3)
    bufs = [_fp32(rng, n, 1e-3, nonneg=(j == 1)) for j in range(nbufs)]
    salt = lambda: os.urandom(32)  # noqa: E731

    prove_s = verify_s = 0.0
    proof_bytes = 0
    cells = {"arith": 0, "hash": 0}
    chunks = 0
    # (log_rows, width) of the floor of each chunk, in chunk order
    floor_shapes: list[tuple[int, int]] = []
    for lo in range(0, n, CHUNK_ELEMS):
        hi = min(n, lo + CHUNK_ELEMS)
        t0 = time.perf_counter()
        public, proof = _core.step_prove_chunk(
            scalars,
            10,
            param[lo:hi].copy(),
            grad[lo:hi].copy(),
            [b[lo:hi].copy() for b in bufs],
            [salt() for _ in range(1 + nbufs)],
            salt(),
            [salt() for _ in range(1 + nbufs)],
        )
        t1 = time.perf_counter()
        _core.step_verify_chunk(public, proof)
        t2 = time.perf_counter()
        prove_s += t1 - t0
        verify_s += t2 - t1
        proof_bytes += len(proof)
        chunks += 1
        layout = _core.step_layout(public)
        for a in layout:
            c = (a["main_cols"] + a["aux_cols"]) << a["log_height"]
            cells["hash" if a["hash"] else "arith"] += c
        floor_shapes.append(floor_shape(layout))

    total = cells["arith"] + cells["hash"]
    summary = {
        "optimizer": args.optimizer,
        "params": n,
        "chunks": chunks,
        "prove_s": round(prove_s, 4),
        "verify_s": round(verify_s, 4),
        "verify_s_per_chunk": round(verify_s / chunks, 4),
        "proof_bytes": proof_bytes,
        "proof_bytes_per_param": round(proof_bytes / n, 2),
        "cells_per_param": round(total / n, 1),
        "arith_cells_per_param": round(cells["arith"] / n, 1),
        "hash_cells_per_param": round(cells["hash"] / n, 1),
        "params_per_s": round(n / prove_s, 1),
        "verified": True,
    }
    if not args.no_floor:
        floor_s = prove_floors(floor_shapes, args.seed)
        summary["floor_prove_s"] = round(floor_s, 4)
        summary["floor_params_per_s"] = round(n / floor_s, 1)
        summary["ratio_to_floor"] = round(prove_s / floor_s, 2)
    print(
        f"zkattest bench step: {n:,} {args.optimizer} parameters in {chunks} chunk(s) "
        f"(leaf binding, hiding FRI, BabyBear)"
    )
    print(f"  prove           {prove_s:.3f} s ({summary['params_per_s']:,.0f} params/s)")
    print(
        f"  verify          {verify_s * 1e3:.1f} ms "
        f"({summary['verify_s_per_chunk'] * 1e3:.1f} ms/chunk)"
    )
    print(f"  proof size      {proof_bytes:,} bytes ({summary['proof_bytes_per_param']} per param)")
    print(
        f"  cells/param     {summary['cells_per_param']:,} = "
        f"{summary['arith_cells_per_param']:,} arithmetic + "
        f"{summary['hash_cells_per_param']:,} leaf hashing"
    )
    if not args.no_floor:
        print(
            f"  floor           {summary['floor_prove_s']:.3f} s for as many cells, no constraints "
            f"({summary['floor_params_per_s']:,.0f} params/s); "
            f"prove = {summary['ratio_to_floor']}x floor"
        )
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    return 0


def floor_shape(layout: list[dict]) -> tuple[int, int]:
    """``(log_rows, width)`` of one step chunk's floor: as many rows as its leaf chip (the
    largest block of committed cells), as many columns as it takes to commit at least
    the chunk's cells (main + auxiliary, in base-field elements)."""
    total = sum((a["main_cols"] + a["aux_cols"]) << a["log_height"] for a in layout)
    log_rows = max(a["log_height"] for a in layout if a["hash"])
    return log_rows, -(-total // (1 << log_rows))


def prove_floors(shapes: list[tuple[int, int]], seed: int) -> float:
    """Seconds to prove the floors of every chunk (each distinct shape proved once)."""
    times: dict[tuple[int, int], float] = {}
    for shape in dict.fromkeys(shapes):
        times[shape] = _core.floor_prove(shape[0], shape[1], seed)["prove_s"]
    return sum(times[s] for s in shapes)
