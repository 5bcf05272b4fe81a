"""Learning-rate schedules: boundaries, monotonicity, accuracy of the self-contained
cosine, and pinned bit patterns (any change to a definition breaks ``test_golden``)."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import zkattest.schedule as sched
from zkattest.errors import InvalidInputError
from zkattest.schedule import (
    ConstantSchedule,
    CosineSchedule,
    LinearWarmupSchedule,
    StepSchedule,
    cos_half_pi,
    iter_lr,
    lr_at,
)
from zkattest.spec import Fp32

f32 = np.float32

lrs = st.floats(min_value=2.0**-20, max_value=1.0, width=32).map(Fp32.from_float)
fractions = st.floats(min_value=0.0, max_value=1.0, width=32)


def ulps(a: Fp32, b: Fp32) -> int:
    """Distance in FP32 ulps between two non-negative values."""
    return abs(a.bits - b.bits)


def bits(x: float) -> int:
    return int(f32(x).view(np.uint32))


# --- constant / warmup -----------------------------------------------------------------


def test_constant_is_lr_everywhere() -> None:
    s = ConstantSchedule(lr=3e-4)
    assert {lr_at(s, t) for t in (0, 1, 17, 10**6, 2**40)} == {Fp32.from_float(3e-4)}


@given(lr=lrs, w=st.integers(1, 5000))
@settings(max_examples=60, deadline=None)
def test_linear_warmup_boundaries_and_monotone(lr: Fp32, w: int) -> None:
    s = LinearWarmupSchedule(lr=lr, warmup_steps=w)
    # step 0: lr * (1 / W), two FP32 ops
    assert lr_at(s, 0).bits == bits(lr.to_numpy() * (f32(1) / f32(w)))
    assert lr_at(s, w - 1) == lr  # end of warmup: exactly lr
    assert lr_at(s, w) == lr
    assert lr_at(s, w + 12345) == lr
    assert lr_at(s, 0).value > 0
    # non-decreasing over the warmup (sampled densely near both ends)
    ts = sorted({*range(min(w, 50)), *range(max(0, w - 50), w + 2)})
    vals = [lr_at(s, t).value for t in ts]
    assert vals == sorted(vals)


def test_warmup_with_large_step_counts_rounds_once() -> None:
    # W > 2**24: (t + 1) and W are rounded to FP32 before the division.
    w = 2**30 + 3
    s = LinearWarmupSchedule(lr=1.0, warmup_steps=w)
    t = 2**29 + 12345
    want = f32(1.0) * (f32(t + 1) / f32(w))
    assert lr_at(s, t).bits == bits(want)
    assert lr_at(s, w - 1).value == 1.0


# --- cosine ------------------------------------------------------------------------------


def _mp_reference(lr: Fp32, min_lr: Fp32, n: int, d: int) -> Fp32:
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workprec(200):
        x = mpmath.mpf(n) / d
        f = mpmath.cos(mpmath.pi * x / 2) ** 2
        exact = mpmath.mpf(min_lr.value) + (mpmath.mpf(lr.value) - min_lr.value) * f
        return Fp32.from_float(float(exact))


@given(
    lr=lrs,
    min_frac=st.sampled_from([0.0, 0.0, 0.1, 0.5, 0.999]),
    d=st.integers(1, 10**6),
    w=st.integers(0, 100),
    data=st.data(),
)
@settings(max_examples=80, deadline=None)
def test_cosine_within_one_ulp_of_exact(lr, min_frac, d, w, data) -> None:  # type: ignore[no-untyped-def]
    min_lr = Fp32.from_float(lr.value * min_frac)
    s = CosineSchedule(lr=lr, min_lr=min_lr, decay_steps=d, warmup_steps=w)
    for n in (0, d, d // 2, data.draw(st.integers(0, d)), data.draw(st.integers(0, d))):
        got = lr_at(s, w + n)
        assert ulps(got, _mp_reference(lr, min_lr, n, d)) <= 1, (n, got)
        if n == d:  # libm's cos(fl(pi / 2)) is 6e-17, not 0: compared exactly above
            continue
        # and against the platform libm (cos(pi x / 2)^2 form: no cancellation near x = 1)
        m = min_lr.value
        libm = Fp32.from_float(m + (lr.value - m) * math.cos(math.pi * (n / d) / 2) ** 2)
        assert ulps(got, libm) <= 1


@given(lr=lrs, min_frac=st.sampled_from([0.0, 0.01, 0.3, 1.0]), d=st.integers(1, 3000))
@settings(max_examples=40, deadline=None)
def test_cosine_boundaries_and_monotone(lr: Fp32, min_frac: float, d: int) -> None:
    min_lr = Fp32.from_float(lr.value * min_frac)
    w = 7
    s = CosineSchedule(lr=lr, min_lr=min_lr, decay_steps=d, warmup_steps=w)
    assert lr_at(s, w - 1) == lr  # end of warmup
    assert lr_at(s, w) == lr  # start of decay: exactly lr
    assert lr_at(s, w + d) == min_lr  # end of decay: exactly min_lr
    assert lr_at(s, w + d + 10**6) == min_lr
    vals = [v.value for v in iter_lr(s, w, w + d + 3)]
    assert all(a >= b for a, b in itertools.pairwise(vals))
    assert min(vals) == min_lr.value


def test_cosine_midpoint_is_mean() -> None:
    s = CosineSchedule(lr=1.0, min_lr=0.5, decay_steps=2)
    assert lr_at(s, 1).value == 0.75  # f(1/2) = 1/2 exactly representable


@given(fractions)
@settings(max_examples=300, deadline=None)
def test_cos_half_pi_accuracy(x: float) -> None:
    mpmath = pytest.importorskip("mpmath")
    got = cos_half_pi(x)
    with mpmath.workprec(200):
        exact = mpmath.cos(mpmath.pi * mpmath.mpf(x) / 2)
        err = abs(mpmath.mpf(got) - exact)
        # a few float64 ulps of the result (absolute 2**-60 covers exact ~ 0 at x = 1)
        assert err <= max(4 * 2.0**-53 * abs(exact), 2.0**-60)
    assert 0.0 <= got <= 1.0


def test_cos_half_pi_endpoints_and_domain() -> None:
    assert cos_half_pi(0.0) == 1.0
    assert cos_half_pi(1.0) == 0.0
    assert cos_half_pi(0.5) == pytest.approx(math.sqrt(0.5), rel=1e-16)
    for bad in (-1e-300, 1.0000000000000002, math.nan):
        with pytest.raises(InvalidInputError):
            cos_half_pi(bad)


# --- step decay ----------------------------------------------------------------------


@given(
    lr=lrs,
    gamma=st.floats(min_value=2.0**-7, max_value=1.0, width=32),
    size=st.integers(1, 50),
    w=st.integers(0, 20),
)
@settings(max_examples=40, deadline=None)
def test_step_boundaries_and_monotone(lr: Fp32, gamma: float, size: int, w: int) -> None:
    g = Fp32.from_float(gamma)
    s = StepSchedule(lr=lr, step_size=size, gamma=g, warmup_steps=w)
    assert lr_at(s, w) == lr
    assert lr_at(s, w + size - 1) == lr
    assert lr_at(s, w + size).bits == bits(lr.to_numpy() * g.to_numpy())
    assert lr_at(s, w + 2 * size).bits == bits(lr.to_numpy() * g.to_numpy() * g.to_numpy())
    vals = [v.value for v in iter_lr(s, w, w + 6 * size)]
    assert all(a >= b for a, b in itertools.pairwise(vals))


def test_step_cache_gives_same_values_in_any_order() -> None:
    s = StepSchedule(lr=0.1, step_size=3, gamma=0.97)
    sched._CHAIN_CACHE.clear()
    forward = [lr_at(s, t) for t in range(600)]
    order = list(range(600))
    random.Random(5).shuffle(order)
    sched._CHAIN_CACHE.clear()
    shuffled = {t: lr_at(s, t) for t in order}
    assert [shuffled[t] for t in range(600)] == forward
    # reference: the chain computed naively
    v, naive = f32(0.1), []
    for t in range(600):
        if t and t % 3 == 0:
            v = v * f32(0.97)
        naive.append(int(v.view(np.uint32)))
    assert [x.bits for x in forward] == naive


def test_step_underflow_and_gamma_one_are_fast() -> None:
    s = StepSchedule(lr=1.0, step_size=1, gamma=0.5)
    assert lr_at(s, 149).bits == 1  # 2**-149: the smallest subnormal is kept
    assert lr_at(s, 150).bits == 0  # rounds to zero (tie to even)
    assert lr_at(s, 2**40).bits == 0  # stops at zero instead of looping
    assert lr_at(StepSchedule(lr=0.5, step_size=1, gamma=1.0), 2**40).value == 0.5


def test_flush_to_zero_mode_is_reported() -> None:
    torch = pytest.importorskip("torch")
    s = StepSchedule(lr=1.0, step_size=1, gamma=0.5)
    sched._CHAIN_CACHE.clear()
    if not torch.set_flush_denormal(True):
        pytest.skip("this CPU has no flush-to-zero mode")
    try:
        with pytest.raises(Exception, match="flush"):
            lr_at(s, 140)
    finally:
        torch.set_flush_denormal(False)
        sched._CHAIN_CACHE.clear()
    assert lr_at(s, 140).bits == 1 << 9


# --- pinned values -------------------------------------------------------------------

GOLDEN = [
    # (schedule, step, bits). Checked by hand: cosine at n = D/3 is 3e-5 + 2.7e-4 * 0.75,
    # step at t = 60 is 0.1 * 0.1 * 0.1 in FP32 = 0.001.
    (LinearWarmupSchedule(lr=3e-4, warmup_steps=1000), 0, "34a10fb1"),
    (LinearWarmupSchedule(lr=3e-4, warmup_steps=1000), 499, "391d4952"),
    (LinearWarmupSchedule(lr=3e-4, warmup_steps=1000), 998, "399d210e"),
    (CosineSchedule(lr=3e-4, min_lr=3e-5, decay_steps=9000, warmup_steps=1000), 1000, "399d4952"),
    (CosineSchedule(lr=3e-4, min_lr=3e-5, decay_steps=9000, warmup_steps=1000), 1001, "399d4952"),
    (CosineSchedule(lr=3e-4, min_lr=3e-5, decay_steps=9000, warmup_steps=1000), 4000, "3973cb3f"),
    (CosineSchedule(lr=3e-4, min_lr=3e-5, decay_steps=9000, warmup_steps=1000), 9999, "37fba887"),
    (CosineSchedule(lr=1e-3, decay_steps=1000), 333, "3a44ba12"),
    (CosineSchedule(lr=1e-3, decay_steps=1000), 999, "31298ef2"),
    (StepSchedule(lr=0.1, step_size=30, gamma=0.1), 29, "3dcccccd"),
    (StepSchedule(lr=0.1, step_size=30, gamma=0.1), 60, "3a83126f"),
    (StepSchedule(lr=0.1, step_size=30, gamma=0.1, warmup_steps=5), 94, "3a83126f"),
]
GOLDEN_COS = [  # cos_half_pi(x) as float.hex (each the correctly rounded cos; mpmath)
    (0.25, "0x1.d906bcf328d46p-1"),
    (0.5, "0x1.6a09e667f3bcdp-1"),
    (0.75, "0x1.87de2a6aea963p-2"),
    (0.999, "0x1.9bc6504fbc48cp-10"),
]


@pytest.mark.parametrize(("schedule", "step", "want"), GOLDEN)
def test_golden(schedule, step: int, want: str) -> None:  # type: ignore[no-untyped-def]
    assert lr_at(schedule, step).hex == want


@pytest.mark.parametrize(("x", "want"), GOLDEN_COS)
def test_golden_cos_half_pi(x: float, want: str) -> None:
    assert cos_half_pi(x).hex() == want


# --- bad input -----------------------------------------------------------------------


@pytest.mark.parametrize("step", [-1, 2**40 + 1, 1.0, True, "3", None])
def test_bad_step(step: object) -> None:
    with pytest.raises(InvalidInputError, match="step"):
        lr_at(ConstantSchedule(lr=0.1), step)  # type: ignore[arg-type]


def test_bad_schedule() -> None:
    with pytest.raises(InvalidInputError, match="schedule"):
        lr_at({"kind": "constant"}, 0)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="stop"):
        list(iter_lr(ConstantSchedule(lr=0.1)))


def test_iter_matches_lr_at() -> None:
    s = CosineSchedule(lr=0.01, min_lr=0.001, decay_steps=50, warmup_steps=5)
    assert list(iter_lr(s, 3, 70)) == [lr_at(s, t) for t in range(3, 70)]
