"""pytest-benchmark benchmarks of the state commitments, on small states (8 MiB), with
the raw BLAKE3 hash of the same bytes as the peer. The full-size comparison (blake3,
sha256, pymerkle; 1 and 2 threads) is ``zkattest bench commit --size 1GiB``.

Run: ``pytest benches/bench_commit.py`` (add ``--benchmark-only`` to skip nothing else).
"""

from __future__ import annotations

import numpy as np
import pytest

from zkattest.commit import (
    StateCommitter,
    chunk_bytes,
    commit_with_step_key,
    derive_step_key,
    verify_chunk,
)

SIZE = 8 << 20
TENSORS = 8
KEY = derive_step_key(bytes(32), 0)


@pytest.fixture(scope="module")
def state() -> dict[str, np.ndarray]:
    buf = np.frombuffer(np.random.default_rng(0).bytes(SIZE), dtype=np.uint8)
    per = SIZE // TENSORS
    return {f"layer.{i}.weight": buf[i * per : (i + 1) * per] for i in range(TENSORS)}


@pytest.mark.parametrize("threads", [1, 2])
def test_commit_8mib(benchmark, state: dict[str, np.ndarray], threads: int) -> None:
    c = benchmark(commit_with_step_key, KEY, state, threads=threads)
    benchmark.extra_info["gbps"] = SIZE / benchmark.stats.stats.min / 1e9
    assert len(c.root) == 32


@pytest.mark.parametrize("threads", [1, 2])
def test_blake3_package_8mib(benchmark, state: dict[str, np.ndarray], threads: int) -> None:
    blake3 = pytest.importorskip("blake3")
    whole = np.concatenate(list(state.values()))
    benchmark(lambda: blake3.blake3(whole, max_threads=threads).digest())
    benchmark.extra_info["gbps"] = SIZE / benchmark.stats.stats.min / 1e9


def test_prove_and_verify_chunk(benchmark, state: dict[str, np.ndarray]) -> None:
    committer = StateCommitter(bytes(32))
    c = committer.commit(state, 0)
    name = "layer.3.weight"
    chunk, salt = chunk_bytes(state[name], 5), committer.chunk_salt(0, name, 5)

    def prove_verify() -> None:
        verify_chunk(c.root, name, 5, chunk, salt, c.prove_chunk(name, 5))

    benchmark(prove_verify)
