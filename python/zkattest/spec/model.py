"""Model fingerprint: the ordered parameter names, shapes and dtypes of the trained model.

JSON form: ``{"parameters": [{"name": "0.weight", "shape": [16, 8], "dtype": "float32"},
...]}`` in ``model.named_parameters()`` order (the order is part of the fingerprint: the
optimizer's state is laid out in it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zkattest.spec.constants import DTYPES, MAX_DIM, MAX_NAME_LEN, MAX_NDIM
from zkattest.spec.fields import (
    FieldError,
    check_int,
    check_str,
    field,
    item,
    nested,
    read_array,
    read_object,
    set_field,
    type_name,
)

if TYPE_CHECKING:
    import torch

__all__ = ["ModelFingerprint", "ParameterInfo"]


@dataclass(frozen=True)
class ParameterInfo:
    """One named parameter: ``name``, ``shape`` (tuple of ints >= 0), ``dtype`` (one of
    :data:`~zkattest.spec.constants.DTYPES`)."""

    name: str
    shape: tuple[int, ...]
    dtype: str

    def __post_init__(self) -> None:
        name = check_str(self.name, "name")
        # Bytes, as the commitment counts them; lone surrogates cannot be encoded.
        nbytes = len(name.encode("utf-8", "surrogatepass"))
        if not 1 <= nbytes <= MAX_NAME_LEN or any(0xD800 <= ord(c) <= 0xDFFF for c in name):
            raise FieldError("name", f"must be 1 to {MAX_NAME_LEN} bytes of valid UTF-8")
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
            raise FieldError("name", f"contains a control character: {name!r}")
        shape = self.shape
        if not isinstance(shape, tuple | list):
            raise FieldError("shape", f"expected an array of integers, got {type_name(shape)}")
        if len(shape) > MAX_NDIM:
            raise FieldError("shape", f"more than {MAX_NDIM} dimensions")
        dims = tuple(check_int(d, item("shape", i), hi=MAX_DIM) for i, d in enumerate(shape))
        if math.prod(dims) > MAX_DIM:
            raise FieldError("shape", f"{dims} has more than {MAX_DIM} elements")
        set_field(self, "shape", dims)
        check_str(self.dtype, "dtype", choices=DTYPES)

    @property
    def numel(self) -> int:
        """Number of elements."""
        return math.prod(self.shape)

    def to_json(self) -> dict[str, Any]:
        """``{"dtype", "name", "shape"}``."""
        return {"dtype": self.dtype, "name": self.name, "shape": list(self.shape)}

    @classmethod
    def from_json(cls, value: object, path: str) -> ParameterInfo:
        """Parse one parameter entry at ``path``."""
        obj = read_object(value, path, ("dtype", "name", "shape"))
        shape = tuple(read_array(obj["shape"], field(path, "shape")))
        with nested(path):
            return cls(name=obj["name"], shape=shape, dtype=obj["dtype"])


@dataclass(frozen=True)
class ModelFingerprint:
    """The model's parameters, in ``named_parameters()`` order; names are unique."""

    parameters: tuple[ParameterInfo, ...]

    def __post_init__(self) -> None:
        params = self.parameters
        if not isinstance(params, tuple | list):
            raise FieldError("parameters", f"expected an array, got {type_name(params)}")
        if not params:
            raise FieldError("parameters", "a model needs at least one parameter")
        seen: set[str] = set()
        for i, p in enumerate(params):
            if not isinstance(p, ParameterInfo):
                raise FieldError(
                    item("parameters", i), f"expected a ParameterInfo, got {type_name(p)}"
                )
            if p.name in seen:
                raise FieldError(field(item("parameters", i), "name"), f"duplicate {p.name!r}")
            seen.add(p.name)
        set_field(self, "parameters", tuple(params))

    @property
    def num_parameters(self) -> int:
        """Total number of scalar parameters (N in the ``6 N D`` FLOP formula)."""
        return sum(p.numel for p in self.parameters)

    @property
    def dtypes(self) -> frozenset[str]:
        """The set of parameter dtypes."""
        return frozenset(p.dtype for p in self.parameters)

    def to_json(self) -> dict[str, Any]:
        """``{"parameters": [...]}``."""
        return {"parameters": [p.to_json() for p in self.parameters]}

    @classmethod
    def from_json(cls, value: object, path: str) -> ModelFingerprint:
        """Parse the ``model`` object at ``path``."""
        obj = read_object(value, path, ("parameters",))
        ppath = field(path, "parameters")
        params = tuple(
            ParameterInfo.from_json(p, item(ppath, i))
            for i, p in enumerate(read_array(obj["parameters"], ppath))
        )
        with nested(path):
            return cls(params)

    @classmethod
    def from_module(cls, model: torch.nn.Module) -> ModelFingerprint:
        """Read names, shapes and dtypes from ``model.named_parameters()``."""
        named = getattr(model, "named_parameters", None)
        if not callable(named):
            raise FieldError("model", f"expected a torch.nn.Module, got {type_name(model)}")
        params = []
        for name, p in named():
            dtype = str(p.dtype).removeprefix("torch.")
            if dtype not in DTYPES:
                raise FieldError(
                    f"model.parameters[{name!r}]",
                    f"dtype {dtype} is not supported (v1: {', '.join(DTYPES)})",
                )
            params.append(ParameterInfo(name=name, shape=tuple(p.shape), dtype=dtype))
        with nested("model"):
            return cls(tuple(params))
