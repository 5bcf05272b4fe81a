"""``zkattest bench commit``: state-commitment throughput against its peers.

Commits random tensors totalling ``--size`` bytes (``--tensors`` tensors of equal size)
and, in the same run on the same bytes, measures:

- ``zkattest``: :func:`zkattest.commit.commit_with_step_key` on a rayon pool of exactly
  ``--threads`` threads (salts, leaves, tensor trees, state root);
- ``blake3``: the ``blake3`` package hashing the whole buffer in one call with
  ``max_threads=--threads`` (BLAKE3's own tree-parallel mode: the raw-hash ceiling);
- ``sha256``: ``hashlib.sha256`` over the whole buffer (one thread);
- ``pymerkle``: ``InmemoryTree(algorithm="sha256").append_entries`` over the same
  chunk-size leaves (one thread), on a sample of ``--pymerkle-sample`` bytes when the
  size is larger, with the throughput of the sample reported.

Each figure is the best of ``--repeats`` runs, the runs of all methods interleaved so
load from other processes hits them alike. GB/s are 10^9 bytes per second. With
``--json`` the last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import time
from collections.abc import Callable
from itertools import pairwise

import numpy as np

from zkattest.commit import DEFAULT_CHUNK_SIZE, SCHEME, commit_with_step_key, derive_step_key
from zkattest.errors import InvalidInputError

_UNITS = {
    **{"": 1, "b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30},
    **{"kb": 10**3, "mb": 10**6, "gb": 10**9},
}


def parse_size(text: str) -> int:
    """``"1GiB"`` -> 1073741824 (KiB/MiB/GiB binary, KB/MB/GB decimal, bare = bytes)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", text)
    if not m or m.group(2).lower() not in _UNITS:
        raise argparse.ArgumentTypeError(f"bad size {text!r} (examples: 1GiB, 256MiB, 4096)")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def _human(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:g} {unit}"
    return f"{n} B"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("commit", help="state-commitment throughput vs blake3, sha256, pymerkle")
    p.add_argument("--size", type=parse_size, default=parse_size("256MiB"), help="total bytes")
    p.add_argument(
        "--threads", type=int, default=os.cpu_count() or 1, help="threads (ours, blake3)"
    )
    p.add_argument("--tensors", type=int, default=8, help="number of tensors (default 8)")
    p.add_argument("--chunk-size", type=parse_size, default=DEFAULT_CHUNK_SIZE)
    p.add_argument("--repeats", type=int, default=3, help="runs per method; the best counts")
    p.add_argument(
        "--pymerkle-sample",
        type=parse_size,
        default=parse_size("128MiB"),
        help="bytes pymerkle hashes when --size is larger (it is slow)",
    )
    p.add_argument("--json", action="store_true", help="print a JSON object as the last line")
    p.set_defaults(func=run)


def _time(fn: Callable[[], object], runs: list[float]) -> None:
    t = time.perf_counter()
    fn()
    runs.append(time.perf_counter() - t)


def measure(
    size: int,
    threads: int,
    *,
    tensors: int = 8,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    repeats: int = 3,
    pymerkle_sample: int = 128 << 20,
) -> dict:
    """Runs the benchmark and returns the figures (see the module docs)."""
    if size < tensors or tensors < 1 or threads < 1 or repeats < 1:
        raise InvalidInputError("need size >= tensors >= 1, threads >= 1 and repeats >= 1")
    buf = np.frombuffer(np.random.default_rng(0).bytes(size), dtype=np.uint8)
    per = size // tensors
    bounds = [i * per for i in range(tensors)] + [size]
    named = {f"layer.{i}.weight": buf[lo:hi] for i, (lo, hi) in enumerate(pairwise(bounds))}
    key = derive_step_key(bytes(32), 0)
    view = memoryview(buf)

    peers: dict[str, Callable[[], object]] = {
        "zkattest": lambda: commit_with_step_key(
            key, named, chunk_size=chunk_size, threads=threads
        ),
        "sha256": lambda: hashlib.sha256(view).digest(),
    }
    try:
        import blake3

        peers["blake3"] = lambda: blake3.blake3(view, max_threads=threads).digest()
    except ImportError:
        pass
    sample = min(size, pymerkle_sample)
    try:
        from pymerkle import InmemoryTree

        leaves = [view[i : i + chunk_size] for i in range(0, sample, chunk_size)]

        def pymerkle_run() -> None:
            tree = InmemoryTree(algorithm="sha256")
            tree.append_entries(leaves)
            tree.get_root()

        peers["pymerkle"] = pymerkle_run
    except ImportError:
        pass

    small = {"w": buf[: min(size, 1 << 20)]}
    commit_with_step_key(key, small, chunk_size=chunk_size, threads=threads)  # warm the pool
    runs: dict[str, list[float]] = {name: [] for name in peers}
    for _ in range(repeats):
        for name, fn in peers.items():
            _time(fn, runs[name])

    def gbps(name: str, nbytes: int = size) -> float | None:
        return nbytes / min(runs[name]) / 1e9 if name in runs else None

    ours, b3, pm = gbps("zkattest"), gbps("blake3"), gbps("pymerkle", sample)
    return {
        "scheme": SCHEME,
        "size_bytes": size,
        "tensors": tensors,
        "chunk_size": chunk_size,
        "threads": threads,
        "repeats": repeats,
        "zkattest_gbps": ours,
        "blake3_gbps": b3,
        "sha256_gbps": gbps("sha256"),
        "pymerkle_gbps": pm,
        "pymerkle_sample_bytes": sample if pm is not None else None,
        "ratio_vs_blake3": ours / b3 if b3 else None,
        "speedup_vs_pymerkle": ours / pm if pm else None,
        "times_s": {name: min(r) for name, r in runs.items()},
    }


def run(args: argparse.Namespace) -> int:
    r = measure(
        args.size,
        args.threads,
        tensors=args.tensors,
        chunk_size=args.chunk_size,
        repeats=args.repeats,
        pymerkle_sample=args.pymerkle_sample,
    )
    print(
        f"zkattest bench commit: {_human(r['size_bytes'])} in {r['tensors']} tensors, "
        f"chunk {_human(r['chunk_size'])}, {r['threads']} thread(s), best of {r['repeats']}"
    )
    rows = [
        ("zkattest commit (" + SCHEME + ")", "zkattest_gbps", r["threads"]),
        ("blake3 package, one buffer", "blake3_gbps", r["threads"]),
        ("hashlib.sha256, one buffer", "sha256_gbps", 1),
        ("pymerkle InmemoryTree sha256", "pymerkle_gbps", 1),
    ]
    print(f"  {'method':<40} {'threads':>7} {'GB/s':>8}")
    for label, key, threads in rows:
        value = r[key]
        shown = f"{value:8.3f}" if value is not None else " skipped (not installed)"
        print(f"  {label:<40} {threads:>7} {shown}")
    if r["pymerkle_sample_bytes"] is not None and r["pymerkle_sample_bytes"] < r["size_bytes"]:
        print(f"  (pymerkle timed on the first {_human(r['pymerkle_sample_bytes'])}, scaled)")
    if r["ratio_vs_blake3"] is not None:
        print(f"  ratio vs blake3: {r['ratio_vs_blake3']:.3f}")
    if r["speedup_vs_pymerkle"] is not None:
        print(f"  speed-up vs pymerkle: {r['speedup_vs_pymerkle']:.1f}x")
    if args.json:
        print(json.dumps(r, sort_keys=True))
    return 0
