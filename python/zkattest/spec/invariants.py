"""Declared invariants: a closed set of named checks, each with typed parameters.

JSON form: an array of flat objects sorted by name, e.g.
``[{"name": "finite_state"}, {"name": "grad_norm_clip", "max_norm": {...}}]``.
Adding an invariant = one entry in :data:`INVARIANTS` (and its checker elsewhere).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from zkattest.spec.fields import (
    FieldError,
    Fp32,
    Params,
    ParamValue,
    check_fp32,
    check_str,
    field,
    item,
    nested,
    read_array,
    read_object,
    set_field,
    type_name,
)

__all__ = ["DEFAULT_INVARIANTS", "INVARIANTS", "Invariant"]


@dataclass(frozen=True)
class _ParamKind:
    """How one invariant parameter is parsed from JSON and validated."""

    json_is_fp32: bool
    check: Callable[[object, str], ParamValue]
    doc: str


def _positive_fp32(v: object, path: str) -> ParamValue:
    return check_fp32(v, path, gt=0.0)


#: name -> (parameter name -> kind). The parameterless ones read their values from the
#: spec (flop_budget, max_steps, schedule, dataset, optimizer hyperparameters).
INVARIANTS: Final[dict[str, dict[str, _ParamKind]]] = {
    "data_provenance": {},
    "finite_state": {},
    "flop_budget": {},
    "grad_norm_clip": {
        "max_norm": _ParamKind(True, _positive_fp32, "L2 norm bound of the clipped gradient")
    },
    "hyperparameters_fixed": {},
    "lr_schedule": {},
    "max_steps": {},
}


@dataclass(frozen=True)
class Invariant:
    """One declared invariant: ``name`` from :data:`INVARIANTS` and its parameters
    (a mapping, stored as sorted pairs). Example:
    ``Invariant("grad_norm_clip", {"max_norm": 1.0})``."""

    name: str
    params: Params = ()

    def __post_init__(self) -> None:
        name = check_str(self.name, "name", choices=INVARIANTS)
        kinds = INVARIANTS[name]
        raw = self.params
        try:
            if not isinstance(raw, Mapping | tuple | list):
                raise TypeError
            pairs = dict(raw)
        except (TypeError, ValueError):
            raise FieldError(
                "params", f"expected a mapping of parameters, got {type_name(raw)}"
            ) from None
        for k in sorted(pairs):
            if k not in kinds:
                allowed = ", ".join(sorted(kinds)) or "none"
                raise FieldError(field("", str(k)), f"unknown parameter (allowed: {allowed})")
        for k in kinds:
            if k not in pairs:
                raise FieldError(k, "missing required parameter")
        set_field(
            self, "params", tuple(sorted((k, kinds[k].check(v, k)) for k, v in pairs.items()))
        )

    def param(self, key: str) -> ParamValue:
        """The value of parameter ``key`` (KeyError if absent)."""
        return dict(self.params)[key]

    def to_json(self) -> dict[str, Any]:
        """``{"name": ..., <param>: ...}``."""
        out: dict[str, Any] = {"name": self.name}
        for k, v in self.params:
            out[k] = v.to_json() if isinstance(v, Fp32) else v
        return out

    @classmethod
    def from_json(cls, value: object, path: str) -> Invariant:
        """Parse one invariant object at ``path``."""
        if type(value) is not dict:
            raise FieldError(path, f"expected an object, got {type_name(value)}")
        if "name" not in value:
            raise FieldError(field(path, "name"), "missing required field")
        name = check_str(value["name"], field(path, "name"), choices=INVARIANTS)
        kinds = INVARIANTS[name]
        obj = read_object(value, path, ("name", *kinds))
        params: dict[str, object] = {
            k: Fp32.from_json(obj[k], field(path, k)) if kind.json_is_fp32 else obj[k]
            for k, kind in kinds.items()
        }
        with nested(path):
            return cls(name, params)  # type: ignore[arg-type]


#: Every parameterless invariant: what :meth:`TrainingSpec.from_torch` declares by default.
DEFAULT_INVARIANTS: Final = tuple(Invariant(n) for n, kinds in INVARIANTS.items() if not kinds)


def normalize_invariants(value: object, path: str) -> tuple[Invariant, ...]:
    """Sort by name and reject duplicates (the canonical order of the JSON array)."""
    if not isinstance(value, tuple | list):
        raise FieldError(path, f"expected an array of invariants, got {type_name(value)}")
    seen: set[str] = set()
    for i, inv in enumerate(value):
        if not isinstance(inv, Invariant):
            raise FieldError(item(path, i), f"expected an Invariant, got {type_name(inv)}")
        if inv.name in seen:
            raise FieldError(item(path, i), f"duplicate invariant {inv.name!r}")
        seen.add(inv.name)
    return tuple(sorted(value, key=lambda inv: inv.name))


def invariants_from_json(value: object, path: str) -> tuple[Invariant, ...]:
    """Parse the ``invariants`` array at ``path`` (any order; duplicates rejected)."""
    invs = [Invariant.from_json(v, item(path, i)) for i, v in enumerate(read_array(value, path))]
    return normalize_invariants(invs, path)
