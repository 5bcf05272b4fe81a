"""Optimizer section of the spec: the declared optimizer and its FP32 hyperparameters.

JSON form: ``{"kind": "sgd" | "adamw", "hyperparameters": {...}}``. Every real-valued
hyperparameter is an :class:`~zkattest.spec.fields.Fp32` (exact bits plus a decimal);
the verifier recomputes the optimizer's scalars from the bits (DESIGN §4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, TypeAlias

from zkattest.spec.fields import (
    FieldError,
    Fp32,
    check_bool,
    check_fp32,
    field,
    item,
    nested,
    read_array,
    read_kind,
    read_object,
    set_field,
    type_name,
)

__all__ = ["OPTIMIZER_KINDS", "AdamWHyperparameters", "OptimizerSpec", "SGDHyperparameters"]

_ZERO = Fp32(0)
# torch.optim.AdamW's defaults, rounded to FP32 once.
_ADAMW_LR = Fp32.from_float(1e-3)
_ADAMW_BETAS = (Fp32.from_float(0.9), Fp32.from_float(0.999))
_ADAMW_EPS = Fp32.from_float(1e-8)
_ADAMW_WEIGHT_DECAY = Fp32.from_float(1e-2)


@dataclass(frozen=True)
class SGDHyperparameters:
    """``torch.optim.SGD`` (no ``maximize``): lr, momentum, dampening, weight_decay,
    nesterov. Real values may be given as floats; they are rounded to FP32."""

    KIND: ClassVar[str] = "sgd"

    lr: Fp32
    momentum: Fp32 = _ZERO
    dampening: Fp32 = _ZERO
    weight_decay: Fp32 = _ZERO
    nesterov: bool = False

    def __post_init__(self) -> None:
        set_field(self, "lr", check_fp32(self.lr, "lr", gt=0.0))
        set_field(self, "momentum", check_fp32(self.momentum, "momentum", ge=0.0, lt=1.0))
        set_field(self, "dampening", check_fp32(self.dampening, "dampening", ge=0.0, le=1.0))
        set_field(self, "weight_decay", check_fp32(self.weight_decay, "weight_decay", ge=0.0))
        check_bool(self.nesterov, "nesterov")
        if self.nesterov and (self.momentum.value == 0.0 or self.dampening.value != 0.0):
            raise FieldError("nesterov", "Nesterov momentum requires momentum > 0 and dampening 0")

    @property
    def kind(self) -> str:
        """``"sgd"``."""
        return self.KIND

    def hyperparameters_json(self) -> dict[str, Any]:
        """The ``hyperparameters`` object."""
        return {
            "dampening": self.dampening.to_json(),
            "lr": self.lr.to_json(),
            "momentum": self.momentum.to_json(),
            "nesterov": self.nesterov,
            "weight_decay": self.weight_decay.to_json(),
        }

    @classmethod
    def hyperparameters_from_json(cls, value: object, path: str) -> SGDHyperparameters:
        """Parse the ``hyperparameters`` object at ``path``."""
        obj = read_object(value, path, ("dampening", "lr", "momentum", "nesterov", "weight_decay"))
        reals = {
            k: Fp32.from_json(obj[k], field(path, k))
            for k in ("dampening", "lr", "momentum", "weight_decay")
        }
        with nested(path):
            return cls(nesterov=obj["nesterov"], **reals)


@dataclass(frozen=True)
class AdamWHyperparameters:
    """``torch.optim.AdamW`` (no ``amsgrad``, no ``maximize``): lr, betas, eps,
    weight_decay. Defaults are torch's."""

    KIND: ClassVar[str] = "adamw"

    lr: Fp32 = _ADAMW_LR
    betas: tuple[Fp32, Fp32] = _ADAMW_BETAS
    eps: Fp32 = _ADAMW_EPS
    weight_decay: Fp32 = _ADAMW_WEIGHT_DECAY

    def __post_init__(self) -> None:
        set_field(self, "lr", check_fp32(self.lr, "lr", gt=0.0))
        betas = self.betas
        if not isinstance(betas, tuple | list):
            raise FieldError("betas", f"expected a pair of numbers, got {type_name(betas)}")
        if len(betas) != 2:
            raise FieldError("betas", f"expected 2 values (beta1, beta2), got {len(betas)}")
        set_field(
            self,
            "betas",
            tuple(check_fp32(b, item("betas", i), ge=0.0, lt=1.0) for i, b in enumerate(betas)),
        )
        set_field(self, "eps", check_fp32(self.eps, "eps", gt=0.0))
        set_field(self, "weight_decay", check_fp32(self.weight_decay, "weight_decay", ge=0.0))

    @property
    def kind(self) -> str:
        """``"adamw"``."""
        return self.KIND

    def hyperparameters_json(self) -> dict[str, Any]:
        """The ``hyperparameters`` object."""
        return {
            "betas": [b.to_json() for b in self.betas],
            "eps": self.eps.to_json(),
            "lr": self.lr.to_json(),
            "weight_decay": self.weight_decay.to_json(),
        }

    @classmethod
    def hyperparameters_from_json(cls, value: object, path: str) -> AdamWHyperparameters:
        """Parse the ``hyperparameters`` object at ``path``."""
        obj = read_object(value, path, ("betas", "eps", "lr", "weight_decay"))
        bpath = field(path, "betas")
        betas = tuple(
            Fp32.from_json(b, item(bpath, i)) for i, b in enumerate(read_array(obj["betas"], bpath))
        )
        reals = {k: Fp32.from_json(obj[k], field(path, k)) for k in ("eps", "lr", "weight_decay")}
        with nested(path):
            return cls(betas=betas, **reals)  # type: ignore[arg-type]


OptimizerSpec: TypeAlias = SGDHyperparameters | AdamWHyperparameters
_BY_KIND: dict[str, type[SGDHyperparameters] | type[AdamWHyperparameters]] = {
    SGDHyperparameters.KIND: SGDHyperparameters,
    AdamWHyperparameters.KIND: AdamWHyperparameters,
}
#: Optimizer kinds of spec v1.
OPTIMIZER_KINDS = tuple(_BY_KIND)


def optimizer_to_json(opt: OptimizerSpec) -> dict[str, Any]:
    """``{"kind": ..., "hyperparameters": {...}}``."""
    return {"hyperparameters": opt.hyperparameters_json(), "kind": opt.KIND}


def optimizer_from_json(value: object, path: str) -> OptimizerSpec:
    """Parse the ``optimizer`` object at ``path``."""
    kind = read_kind(value, path, OPTIMIZER_KINDS)
    obj = read_object(value, path, ("hyperparameters", "kind"))
    return _BY_KIND[kind].hyperparameters_from_json(
        obj["hyperparameters"], field(path, "hyperparameters")
    )
