"""Read a spec's model and optimizer sections from live torch objects.

Kept apart so that importing :mod:`zkattest.spec` never imports torch.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from zkattest.errors import InvalidInputError
from zkattest.spec.components import ChallengePolicy, CommitmentParams, DatasetSpec, InitSpec
from zkattest.spec.constants import MAX_FLOPS
from zkattest.spec.fields import FieldError, check_int, nested, type_name
from zkattest.spec.flops import FLOP_FORMULA_DENSE_6ND, FlopBudget
from zkattest.spec.invariants import Invariant
from zkattest.spec.model import ModelFingerprint
from zkattest.spec.optimizer import AdamWHyperparameters, OptimizerSpec, SGDHyperparameters
from zkattest.spec.schedule import Schedule

if TYPE_CHECKING:
    import torch

    from zkattest.spec.components import PrecisionPolicy
    from zkattest.spec.training import TrainingSpec

#: Group keys that carry the declared hyperparameters, per kind.
_HYPER_KEYS = {
    "sgd": ("lr", "momentum", "dampening", "weight_decay", "nesterov"),
    "adamw": ("lr", "betas", "eps", "weight_decay"),
}
#: Group flags that change the update rule; v1 requires these values.
_REQUIRED_FLAGS = {
    "sgd": {"maximize": False},
    "adamw": {"maximize": False, "amsgrad": False},
}
_SUPPORTED = "torch.optim.SGD, torch.optim.AdamW, zkattest.optim.SGD, zkattest.optim.AdamW"


def optimizer_kind(optimizer: object) -> str:
    """``"sgd"`` or ``"adamw"``; anything else (subclasses included: they may change
    ``step``) is rejected."""
    import torch

    cls = type(optimizer)
    if cls.__module__.split(".")[:2] == ["zkattest", "optim"]:
        by_name = {"SGD": "sgd", "AdamW": "adamw"}
        if cls.__name__ in by_name:
            return by_name[cls.__name__]
    if cls is torch.optim.SGD:
        return "sgd"
    if cls is torch.optim.AdamW:
        return "adamw"
    if cls is torch.optim.Adam:
        groups = getattr(optimizer, "param_groups", [])
        if groups and all(g.get("decoupled_weight_decay", False) for g in groups):
            return "adamw"
        raise InvalidInputError(
            "optimizer: torch.optim.Adam (L2-coupled weight decay) is not supported; "
            "use torch.optim.AdamW"
        )
    raise InvalidInputError(
        f"optimizer: {cls.__module__}.{cls.__qualname__} is not supported (v1: {_SUPPORTED})"
    )


def _scalar(value: Any, path: str) -> float | bool:
    """A Python number from a group value (which may be a 0-d tensor)."""
    if hasattr(value, "item") and callable(value.item):
        if getattr(value, "numel", lambda: 1)() != 1:
            raise FieldError(path, "expected a scalar, got a tensor with several elements")
        value = value.item()
    if isinstance(value, bool):
        return value
    if not isinstance(value, int | float):
        raise FieldError(path, f"expected a number, got {type_name(value)}")
    return float(value)


def _group_hyperparameters(group: dict[str, Any], kind: str, path: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k in _HYPER_KEYS[kind]:
        if k not in group:
            raise FieldError(f"{path}.{k}", "missing from the optimizer's param group")
        v = group[k]
        if k == "betas":
            if not isinstance(v, tuple | list) or len(v) != 2:
                raise FieldError(f"{path}.betas", f"expected a pair, got {v!r}")
            out[k] = tuple(_scalar(b, f"{path}.betas[{i}]") for i, b in enumerate(v))
        else:
            out[k] = _scalar(v, f"{path}.{k}")
    for flag, required in _REQUIRED_FLAGS[kind].items():
        if bool(group.get(flag, required)) != required:
            raise FieldError(f"{path}.{flag}", f"v1 supports only {flag}={required}")
    return out


def optimizer_from_torch(optimizer: torch.optim.Optimizer) -> OptimizerSpec:
    """The optimizer section from ``optimizer.param_groups`` (one hyperparameter set)."""
    kind = optimizer_kind(optimizer)
    groups = getattr(optimizer, "param_groups", None)
    if not groups:
        raise InvalidInputError("optimizer: has no param_groups")
    first = _group_hyperparameters(groups[0], kind, "optimizer.param_groups[0]")
    for i, g in enumerate(groups[1:], start=1):
        other = _group_hyperparameters(g, kind, f"optimizer.param_groups[{i}]")
        diff = [k for k in first if first[k] != other[k]]
        if diff:
            k = diff[0]
            raise InvalidInputError(
                f"optimizer.param_groups[{i}].{k}: {other[k]!r} differs from group 0's "
                f"{first[k]!r}; v1 supports a single set of hyperparameters"
            )
    cls = SGDHyperparameters if kind == "sgd" else AdamWHyperparameters
    with nested("optimizer.hyperparameters"):
        return cls(**first)


def _check_coverage(model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> None:
    """The optimizer must update exactly the model's parameters."""
    in_opt = {id(p) for g in optimizer.param_groups for p in g["params"]}
    in_model = {}
    for name, p in model.named_parameters():
        in_model[id(p)] = name
    for pid, name in in_model.items():
        if pid not in in_opt:
            raise InvalidInputError(
                f"model.parameters[{name!r}]: not updated by the optimizer (v1 trains every "
                "parameter of the fingerprint; frozen parameters are not supported)"
            )
    extra = len(in_opt - set(in_model))
    if extra:
        raise InvalidInputError(
            f"optimizer: updates {extra} tensor(s) that are not model parameters"
        )


def spec_from_torch(
    cls: type[TrainingSpec],
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    *,
    batch_size: int,
    max_steps: int,
    schedule: Schedule,
    dataset_root: str,
    dataset_size: int,
    init: InitSpec,
    salt_seed_commitment: str,
    flop_budget: int | FlopBudget | None,
    tokens_per_example: int,
    chunk_size: int,
    precision: PrecisionPolicy | None,
    challenges: ChallengePolicy | None,
    invariants: tuple[Invariant, ...],
) -> TrainingSpec:
    """See :meth:`TrainingSpec.from_torch`."""
    import torch

    from zkattest.spec.components import PrecisionPolicy

    if not isinstance(model, torch.nn.Module):
        raise InvalidInputError(f"model: expected a torch.nn.Module, got {type_name(model)}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise InvalidInputError(
            f"optimizer: expected a torch.optim.Optimizer, got {type_name(optimizer)}"
        )
    fingerprint = ModelFingerprint.from_module(model)
    opt = optimizer_from_torch(optimizer)
    _check_coverage(model, optimizer)

    if precision is None:
        dtypes = sorted(fingerprint.dtypes)
        if len(dtypes) != 1:
            raise InvalidInputError(
                f"model: parameters have mixed dtypes {dtypes}; pass precision= explicitly"
            )
        precision = PrecisionPolicy(dtypes[0], dtypes[0], dtypes[0])

    if flop_budget is None:
        tpe = check_int(tokens_per_example, "tokens_per_example", lo=1, hi=MAX_FLOPS)
        b = check_int(batch_size, "batch_size", lo=1, hi=MAX_FLOPS)
        s = check_int(max_steps, "max_steps", lo=1, hi=MAX_FLOPS)
        budget = FlopBudget(
            min(MAX_FLOPS, 6 * fingerprint.num_parameters * math.prod((b, s, tpe))),
            FLOP_FORMULA_DENSE_6ND,
        )
    elif isinstance(flop_budget, FlopBudget):
        budget = flop_budget
    else:
        with nested("flop_budget"):
            budget = FlopBudget(flop_budget)

    with nested("dataset"):
        dataset = DatasetSpec(root=dataset_root, size=dataset_size)
    with nested("commitment"):
        commitment = CommitmentParams(
            salt_seed_commitment=salt_seed_commitment, chunk_size=chunk_size
        )
    return cls(
        model=fingerprint,
        optimizer=opt,
        schedule=schedule,
        batch_size=batch_size,
        max_steps=max_steps,
        flop_budget=budget,
        dataset=dataset,
        init=init,
        precision=precision,
        commitment=commitment,
        challenges=ChallengePolicy.of_fraction(1.0) if challenges is None else challenges,
        invariants=invariants,
    )
