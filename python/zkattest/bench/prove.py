"""``zkattest bench prove``: zero-knowledge proving throughput of the FP32 / BF16 chips.

Proves ``2^--log-n`` random ops of one kind (public inputs and results, the
``arith.ops.v1`` statement) and reports prove and verify time, proof size, the chip's
main and auxiliary (LogUp) columns in base-field elements, cells per op (columns x rows
/ ops) and the fixed overhead of the shared lookup tables separately. Random inputs are
drawn like training values: moderate exponents, a few zeros and subnormal-free factors
(nonzero divisors and non-negative radicands for ``fp32_div`` / ``fp32_sqrt``).
With ``--json`` the last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from zkattest import arith
from zkattest.errors import InvalidInputError

#: AIR names of the shared tables (their cost does not grow with the batch).
_TABLE_PREFIX = "table."
#: The chip that proves an op, where its name differs from the op's.
_CHIP_OF = {"fp32_sub": "fp32_add", "bf16_gelu": "bf16_unary", "bf16_exp": "bf16_unary"}
#: Smallest chip height (log2): a chip at this height with no ops is padding.
_MIN_LOG_ROWS = 3


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("prove", help="zero-knowledge proving throughput of the FP32/BF16 chips")
    p.add_argument("--op", choices=arith.OPS, default="bf16_mac", help="op kind to prove")
    p.add_argument("--log-n", type=int, default=12, help="log2 of the number of ops (default 12)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    p.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    p.set_defaults(func=run)


def _fp32(rng: np.random.Generator, n: int) -> np.ndarray:
    scale = np.exp2(rng.integers(-8, 8, n).astype(np.float64))
    x = (rng.standard_normal(n) * scale).astype(np.float32)
    x[rng.random(n) < 0.02] = 0.0
    return x.view(np.uint32)


def _bf16(rng: np.random.Generator, n: int) -> np.ndarray:
    # Round the float32 bits to the nearest bf16 (ties to even) by integer arithmetic.
    bits = _fp32(rng, n).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def random_inputs(op: str, n: int, seed: int) -> list[np.ndarray]:
    """Random inputs for ``n`` ops of kind ``op``."""
    rng = np.random.default_rng(seed)
    if op == "bf16_mac":
        return [_fp32(rng, n), _bf16(rng, n), _bf16(rng, n)]
    if op == "fp32_to_bf16":
        return [_fp32(rng, n)]
    if op in ("bf16_gelu", "bf16_exp"):
        return [_bf16(rng, n)]
    if op == "bf16_mul":
        return [_bf16(rng, n), _bf16(rng, n)]
    if op in ("fp32_add", "fp32_sub", "fp32_mul"):
        return [_fp32(rng, n), _fp32(rng, n)]
    if op == "fp32_div":
        # divisors like AdamW's sqrt(v) + eps: nonzero, so every quotient is finite
        y = _fp32(rng, n)
        y[y.view(np.float32) == 0] = np.float32(1.0).view(np.uint32)
        return [_fp32(rng, n), y]
    if op == "fp32_sqrt":
        # radicands like AdamW's second moments: non-negative
        return [_fp32(rng, n) & np.uint32(0x7FFF_FFFF)]
    raise ValueError(f"no input generator for {op!r}")


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.log_n <= 20:
        raise InvalidInputError(f"--log-n must be between 1 and 20, got {args.log_n}")
    n = 1 << args.log_n
    inputs = random_inputs(args.op, n, args.seed)
    lay = arith.layout(args.op, *inputs)  # also builds the cached setup
    chips = [a for a in lay if not a["name"].startswith(_TABLE_PREFIX)]
    tables = [a for a in lay if a["name"].startswith(_TABLE_PREFIX)]
    chip = _CHIP_OF.get(args.op, args.op)
    primary = next(a for a in chips if a["name"] == chip)

    t0 = time.perf_counter()
    proof, outputs = arith.prove(args.op, *inputs)
    t1 = time.perf_counter()
    arith.verify(args.op, *inputs, outputs=outputs, proof=proof)
    t2 = time.perf_counter()

    def cells(airs: list[dict]) -> int:
        return sum((a["main_cols"] + a["aux_cols"]) << a["log_height"] for a in airs)

    chip_cells = cells(chips)
    table_cells = cells(tables)
    # The chips that hold this batch's ops count towards cells per op (a MAC whose
    # product FP32 rounds is proved by the multiply and add chips); chips padded to their
    # minimum height with no ops are part of the fixed overhead.
    used = [a for a in chips if a is primary or a["log_height"] > _MIN_LOG_ROWS]
    fixed = [a for a in chips if a not in used]
    summary = {
        "op": args.op,
        "n": n,
        "log_n": args.log_n,
        "prove_s": round(t1 - t0, 4),
        "verify_s": round(t2 - t1, 4),
        "proof_bytes": len(proof),
        "main_cols": primary["main_cols"],
        "aux_cols": primary["aux_cols"],
        "cells_per_op": round(cells(used) / n, 2),
        "ops_per_s": round(n / (t1 - t0), 1),
        "verified": True,
        "table_cells": table_cells,
        "table_cells_per_op": round(table_cells / n, 2),
        "other_chip_cells": cells(fixed),
        "total_cells": chip_cells + table_cells,
        "airs": lay,
    }
    print(f"zkattest bench prove: {n} x {args.op} (arith.ops.v1, hiding FRI, BabyBear)")
    print(f"  prove           {summary['prove_s']:.3f} s ({summary['ops_per_s']:,.0f} ops/s)")
    print(f"  verify          {summary['verify_s'] * 1e3:.1f} ms")
    print(f"  proof size      {len(proof):,} bytes")
    print(
        f"  chip {primary['name']}: {primary['main_cols']} main + {primary['aux_cols']} aux "
        f"columns = {summary['cells_per_op']} cells/op"
    )
    print(
        f"  tables          {table_cells:,} cells ({summary['table_cells_per_op']} per op), "
        f"other chips (padding) {summary['other_chip_cells']:,} cells"
    )
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    return 0
