"""Learning-rate schedules, defined so that a verifier recomputes lr_t bit-exactly.

``lr_at(schedule, t)`` is the FP32 learning rate of optimizer step ``t`` (0-based: the
first ``optimizer.step()`` is step 0). Each schedule is a fixed sequence of IEEE-754
operations, each correctly rounded to nearest-even, with no FMA contraction:

- ``I(n)``: integer -> FP32 conversion (exact below 2**24, one rounding above; step
  counts are < 2**40 so numpy's int -> float64 -> float32 path rounds once).
- **warmup** (``t < warmup_steps = W``; every schedule but ``constant`` may have one):
  ``lr_t = lr * (I(t + 1) / I(W))`` in FP32. Step ``W - 1`` gets exactly ``lr``; step 0
  gets ``lr / W`` (never 0).
- **constant**: ``lr_t = lr``.
- **linear_warmup**: the warmup, then ``lr``.
- **step**: after the warmup, ``k = (t - W) // step_size``, ``v_0 = lr``,
  ``v_k = v_(k-1) * gamma`` (FP32, sequential, like ``torch.optim.lr_scheduler.StepLR``
  chaining ``lr *= gamma``); ``lr_t = v_k``. Non-increasing in ``t`` for gamma <= 1.
- **cosine**: after the warmup, with ``n = t - W`` and ``D = decay_steps``: for ``n >= D``
  ``lr_t = min_lr``; otherwise, **in float64** (binary64, correctly rounded ops, in this
  order), ``x = n / D``, ``f = cos_half_pi(x) ** 2`` (= ``(1 + cos(pi x)) / 2``),
  ``lr_t = FP32(m + (L - m) * f)`` with ``L``, ``m`` the exact values of ``lr`` and
  ``min_lr``: one rounding to FP32 at the end. Gives exactly ``lr`` at ``n = 0`` and
  ``min_lr`` at ``n = D``, and is non-increasing (every step is monotone).

``cos_half_pi(x) = cos(pi x / 2)`` for ``x`` in [0, 1] is self-contained rather than the
platform libm (whose ``cos`` is not bit-identical across platforms): with ``u = x / 2``,
``cos_taylor(PI * u)`` if ``u <= 1/4`` else ``sin_taylor(PI * (1/2 - u))`` (both
subtractions exact), where ``PI`` is pi rounded to float64 and the Taylor polynomials
(through ``z**16`` and ``z**17``; truncation error < 1e-17 on [0, pi/4]) are evaluated
by Horner's rule in ``w = z * z`` with coefficients ``(-1)**k / (2k)!`` and
``(-1)**k / (2k+1)!`` rounded to float64. Its result is within a few float64 ulps of
the true value, so after the final FP32 rounding lr_t is the correctly rounded value
or 1 FP32 ulp from it (tested against mpmath and ``math.cos``).

Results assume the FPU keeps subnormals (no flush-to-zero, torch's default); a
subnormal or zero result is cross-checked and a flush-to-zero mode is reported.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Final

import numpy as np

from zkattest.errors import InvalidInputError, ZkattestError
from zkattest.spec.constants import MAX_STEPS_LIMIT
from zkattest.spec.fields import FieldError, Fp32, check_int, type_name
from zkattest.spec.schedule import (
    SCHEDULE_KINDS,
    ConstantSchedule,
    CosineSchedule,
    LinearWarmupSchedule,
    Schedule,
    StepSchedule,
)

__all__ = [
    "SCHEDULE_KINDS",
    "ConstantSchedule",
    "CosineSchedule",
    "LinearWarmupSchedule",
    "Schedule",
    "StepSchedule",
    "cos_half_pi",
    "iter_lr",
    "lr_at",
]

#: pi rounded to float64 (0x400921FB54442D18).
PI: Final = 3.141592653589793
_TAYLOR_TERMS: Final = 9  # k = 0..8
#: (-1)**k / (2k)! and (-1)**k / (2k+1)!, each rounded once (int / int is correctly
#: rounded in Python; (2k+1)! < 2**53 so a float64 division gives the same value).
_COS_COEFFS: Final = tuple((-1) ** k / math.factorial(2 * k) for k in range(_TAYLOR_TERMS))
_SIN_COEFFS: Final = tuple((-1) ** k / math.factorial(2 * k + 1) for k in range(_TAYLOR_TERMS))
_SCHEDULE_TYPES: Final = (ConstantSchedule, LinearWarmupSchedule, CosineSchedule, StepSchedule)
_F32_MIN_NORMAL: Final = float(np.finfo(np.float32).tiny)
_F32_MIN_SUBNORMAL: Final = np.uint32(1).view(np.float32)


def _horner(coeffs: tuple[float, ...], w: float) -> float:
    acc = coeffs[-1]
    for c in reversed(coeffs[:-1]):
        acc = acc * w + c
    return acc


def cos_half_pi(x: float) -> float:
    """``cos(pi * x / 2)`` for ``x`` in [0, 1], in float64, by the fixed recipe in the
    module docstring (bit-identical on every IEEE-754 platform)."""
    if not 0.0 <= x <= 1.0:
        raise InvalidInputError(f"cos_half_pi: x must be in [0, 1], got {x!r}")
    u = x * 0.5
    if u <= 0.25:
        z = PI * u
        return _horner(_COS_COEFFS, z * z)
    z = PI * (0.5 - u)
    return z * _horner(_SIN_COEFFS, z * z)


# --- step decay: sequential chain with a small resume cache ----------------------------

_CHAIN_CACHE: OrderedDict[tuple[int, int], tuple[int, np.float32]] = OrderedDict()
_CHAIN_CACHE_SIZE: Final = 32
_CHAIN_LOCK = threading.Lock()


def _decayed(lr: Fp32, gamma: Fp32, k: int) -> np.float32:
    """``v_k`` of the chain ``v_0 = lr, v_j = v_(j-1) * gamma`` (FP32). Resumes from the
    last value computed for this (lr, gamma), so stepping through a run is O(1) per step."""
    key = (lr.bits, gamma.bits)
    j, v = 0, lr.to_numpy()
    with _CHAIN_LOCK:
        hit = _CHAIN_CACHE.get(key)
    if hit is not None and hit[0] <= k:
        j, v = hit
    g = gamma.to_numpy()
    if gamma.bits != 0x3F800000:  # gamma == 1 leaves v unchanged
        while j < k and v != 0:  # once 0, it stays 0
            v = v * g
            j += 1
    with _CHAIN_LOCK:
        _CHAIN_CACHE[key] = (k, v)
        _CHAIN_CACHE.move_to_end(key)
        while len(_CHAIN_CACHE) > _CHAIN_CACHE_SIZE:
            _CHAIN_CACHE.popitem(last=False)
    return v


# --- lr_t --------------------------------------------------------------------------------


def _warmup(lr: Fp32, t: int, warmup_steps: int) -> np.float32:
    q = np.float32(t + 1) / np.float32(warmup_steps)
    return lr.to_numpy() * q


def _cosine(s: CosineSchedule, n: int) -> np.float32:
    if n >= s.decay_steps:
        return s.min_lr.to_numpy()
    f = cos_half_pi(n / s.decay_steps) ** 2
    m = s.min_lr.value
    return np.float32(m + (s.lr.value - m) * f)


def _check_no_flush_to_zero() -> None:
    if _F32_MIN_SUBNORMAL * np.float32(1.0) == 0:
        raise ZkattestError(
            "the FPU flushes subnormals to zero (torch.set_flush_denormal(True)?); "
            "FP32 schedule values would not match the definition"
        )


def lr_at(schedule: Schedule, step: int) -> Fp32:
    """The FP32 learning rate of optimizer step ``step`` (0-based), as defined in the
    module docstring. Returns an :class:`~zkattest.spec.Fp32` (``.bits``, ``.hex``,
    ``.value``, ``.to_numpy()``)."""
    if not isinstance(
        schedule, ConstantSchedule | LinearWarmupSchedule | CosineSchedule | StepSchedule
    ):
        raise InvalidInputError(f"schedule: expected a schedule, got {type_name(schedule)}")
    try:
        t = check_int(step, "step", hi=MAX_STEPS_LIMIT)
    except FieldError as e:
        raise InvalidInputError(str(e)) from None

    w = schedule.warmup_steps
    if t < w:
        v = _warmup(schedule.lr, t, w)
    elif isinstance(schedule, ConstantSchedule | LinearWarmupSchedule):
        v = schedule.lr.to_numpy()
    elif isinstance(schedule, CosineSchedule):
        v = _cosine(schedule, t - w)
    else:
        v = _decayed(schedule.lr, schedule.gamma, (t - w) // schedule.step_size)

    if abs(float(v)) < _F32_MIN_NORMAL:
        _check_no_flush_to_zero()
    return Fp32.from_numpy(v)


def iter_lr(schedule: Schedule, start: int = 0, stop: int | None = None) -> Iterator[Fp32]:
    """``lr_at(schedule, t)`` for ``t`` in ``range(start, stop)`` (O(1) per step)."""
    if stop is None:
        raise InvalidInputError("iter_lr: stop is required (schedules are unbounded)")
    for t in range(start, stop):
        yield lr_at(schedule, t)
