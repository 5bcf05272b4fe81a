"""Learning-rate schedule section of the spec: a small closed set the verifier recomputes
bit-exactly. The arithmetic (``lr_at``) lives in :mod:`zkattest.schedule`; this module
only declares, validates and (de)serializes.

JSON form: a tagged object, e.g.
``{"kind": "cosine", "lr": {...}, "min_lr": {...}, "warmup_steps": 100, "decay_steps": 900}``.
``lr`` is the peak learning rate and must equal the optimizer's ``lr``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, TypeAlias

from zkattest.spec.constants import MAX_STEPS_LIMIT
from zkattest.spec.fields import (
    FieldError,
    Fp32,
    check_fp32,
    check_int,
    field,
    nested,
    read_kind,
    read_object,
    set_field,
)

__all__ = [
    "SCHEDULE_KINDS",
    "ConstantSchedule",
    "CosineSchedule",
    "LinearWarmupSchedule",
    "Schedule",
    "StepSchedule",
]

_ZERO = Fp32(0)


@dataclass(frozen=True)
class ConstantSchedule:
    """lr_t = lr for every step."""

    KIND: ClassVar[str] = "constant"
    _REALS: ClassVar[tuple[str, ...]] = ("lr",)
    _INTS: ClassVar[tuple[str, ...]] = ()

    lr: Fp32

    def __post_init__(self) -> None:
        set_field(self, "lr", check_fp32(self.lr, "lr", gt=0.0))

    @property
    def warmup_steps(self) -> int:
        """Always 0."""
        return 0


@dataclass(frozen=True)
class LinearWarmupSchedule:
    """lr_t = lr * ((t + 1) / warmup_steps) for t < warmup_steps, then lr."""

    KIND: ClassVar[str] = "linear_warmup"
    _REALS: ClassVar[tuple[str, ...]] = ("lr",)
    _INTS: ClassVar[tuple[str, ...]] = ("warmup_steps",)

    lr: Fp32
    warmup_steps: int

    def __post_init__(self) -> None:
        set_field(self, "lr", check_fp32(self.lr, "lr", gt=0.0))
        check_int(self.warmup_steps, "warmup_steps", lo=1, hi=MAX_STEPS_LIMIT)


@dataclass(frozen=True)
class CosineSchedule:
    """Optional linear warmup, then cosine decay from ``lr`` to ``min_lr`` over
    ``decay_steps`` steps, then ``min_lr``."""

    KIND: ClassVar[str] = "cosine"
    _REALS: ClassVar[tuple[str, ...]] = ("lr", "min_lr")
    _INTS: ClassVar[tuple[str, ...]] = ("decay_steps", "warmup_steps")

    lr: Fp32
    decay_steps: int
    min_lr: Fp32 = _ZERO
    warmup_steps: int = 0

    def __post_init__(self) -> None:
        set_field(self, "lr", check_fp32(self.lr, "lr", gt=0.0))
        set_field(self, "min_lr", check_fp32(self.min_lr, "min_lr", ge=0.0))
        if self.min_lr.value > self.lr.value:
            raise FieldError("min_lr", f"must be <= lr ({self.lr.decimal!r})")
        check_int(self.decay_steps, "decay_steps", lo=1, hi=MAX_STEPS_LIMIT)
        check_int(self.warmup_steps, "warmup_steps", lo=0, hi=MAX_STEPS_LIMIT)


@dataclass(frozen=True)
class StepSchedule:
    """Optional linear warmup, then lr multiplied by ``gamma`` every ``step_size``
    steps (torch ``StepLR`` after the warmup)."""

    KIND: ClassVar[str] = "step"
    _REALS: ClassVar[tuple[str, ...]] = ("gamma", "lr")
    _INTS: ClassVar[tuple[str, ...]] = ("step_size", "warmup_steps")

    lr: Fp32
    step_size: int
    gamma: Fp32
    warmup_steps: int = 0

    def __post_init__(self) -> None:
        set_field(self, "lr", check_fp32(self.lr, "lr", gt=0.0))
        set_field(self, "gamma", check_fp32(self.gamma, "gamma", gt=0.0, le=1.0))
        check_int(self.step_size, "step_size", lo=1, hi=MAX_STEPS_LIMIT)
        check_int(self.warmup_steps, "warmup_steps", lo=0, hi=MAX_STEPS_LIMIT)


Schedule: TypeAlias = ConstantSchedule | LinearWarmupSchedule | CosineSchedule | StepSchedule
_BY_KIND: dict[str, type[Schedule]] = {
    c.KIND: c for c in (ConstantSchedule, LinearWarmupSchedule, CosineSchedule, StepSchedule)
}
#: Schedule kinds of spec v1.
SCHEDULE_KINDS = tuple(_BY_KIND)


def schedule_to_json(s: Schedule) -> dict[str, Any]:
    """The tagged JSON object of a schedule."""
    out: dict[str, Any] = {"kind": s.KIND}
    for k in s._REALS:
        out[k] = getattr(s, k).to_json()
    for k in s._INTS:
        out[k] = getattr(s, k)
    return out


def schedule_from_json(value: object, path: str) -> Schedule:
    """Parse the ``schedule`` object at ``path``."""
    cls = _BY_KIND[read_kind(value, path, SCHEDULE_KINDS)]
    obj = read_object(value, path, ("kind", *cls._REALS, *cls._INTS))
    args: dict[str, Any] = {k: Fp32.from_json(obj[k], field(path, k)) for k in cls._REALS}
    args.update((k, obj[k]) for k in cls._INTS)
    with nested(path):
        return cls(**args)
