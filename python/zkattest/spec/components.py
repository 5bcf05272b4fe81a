"""Smaller spec sections: dataset, initialisation, precision, state commitment, challenges.

Secrets (the init seed, the commitment salt seed) appear only as hiding commitments made
with :func:`zkattest.spec.commit_secret`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar, TypeAlias

from zkattest.spec.constants import (
    COMMITMENT_SCHEME_V1,
    COMMITMENT_SCHEMES,
    DEFAULT_CHUNK_SIZE,
    DTYPES,
    MAX_CHUNK_SIZE,
    MAX_U64,
    MIN_CHUNK_SIZE,
    SEED_DERIVATION_FIAT_SHAMIR_V1,
    SEED_DERIVATIONS,
)
from zkattest.spec.fields import (
    FieldError,
    Fp32,
    Params,
    ParamValue,
    check_fp32,
    check_hex,
    check_int,
    check_name,
    check_str,
    coerce_params,
    field,
    nested,
    params_from_json,
    params_to_json,
    read_kind,
    read_object,
    set_field,
)

__all__ = [
    "ChallengePolicy",
    "CommitmentParams",
    "DatasetSpec",
    "InitRecipe",
    "InitSpec",
    "ParentInit",
    "PrecisionPolicy",
]


@dataclass(frozen=True)
class DatasetSpec:
    """The committed dataset: its root digest (64 hex digits) and number of examples."""

    root: str
    size: int

    def __post_init__(self) -> None:
        check_hex(self.root, "root")
        check_int(self.size, "size", lo=1, hi=MAX_U64)

    def to_json(self) -> dict[str, Any]:
        """``{"root", "size"}``."""
        return {"root": self.root, "size": self.size}

    @classmethod
    def from_json(cls, value: object, path: str) -> DatasetSpec:
        """Parse the ``dataset`` object at ``path``."""
        obj = read_object(value, path, ("root", "size"))
        with nested(path):
            return cls(root=obj["root"], size=obj["size"])


@dataclass(frozen=True)
class InitRecipe:
    """W0 = Init(seed): a named recipe (e.g. ``torch_default``) with parameters, and a
    hiding commitment to the seed (:func:`~zkattest.spec.commit_secret`)."""

    KIND: ClassVar[str] = "recipe"

    name: str
    seed_commitment: str
    parameters: Params = ()

    def __post_init__(self) -> None:
        check_name(self.name, "name")
        check_hex(self.seed_commitment, "seed_commitment")
        set_field(self, "parameters", coerce_params(self.parameters, "parameters"))

    def param(self, key: str) -> ParamValue:
        """The value of parameter ``key`` (KeyError if absent)."""
        return dict(self.parameters)[key]

    def to_json(self) -> dict[str, Any]:
        """``{"kind": "recipe", "name", "parameters", "seed_commitment"}``."""
        return {
            "kind": self.KIND,
            "name": self.name,
            "parameters": params_to_json(self.parameters),
            "seed_commitment": self.seed_commitment,
        }


@dataclass(frozen=True)
class ParentInit:
    """W0 = the final state of a parent run (fine-tuning, RL post-training): the digest
    of the parent's bundle and its final state root (both 64 hex digits)."""

    KIND: ClassVar[str] = "parent"

    bundle_digest: str
    final_state_root: str

    def __post_init__(self) -> None:
        check_hex(self.bundle_digest, "bundle_digest")
        check_hex(self.final_state_root, "final_state_root")

    def to_json(self) -> dict[str, Any]:
        """``{"kind": "parent", "bundle_digest", "final_state_root"}``."""
        return {
            "bundle_digest": self.bundle_digest,
            "final_state_root": self.final_state_root,
            "kind": self.KIND,
        }


InitSpec: TypeAlias = InitRecipe | ParentInit


def init_from_json(value: object, path: str) -> InitSpec:
    """Parse the tagged ``init`` object at ``path``."""
    kind = read_kind(value, path, (InitRecipe.KIND, ParentInit.KIND))
    if kind == InitRecipe.KIND:
        obj = read_object(value, path, ("kind", "name", "parameters", "seed_commitment"))
        params = params_from_json(obj["parameters"], field(path, "parameters"))
        with nested(path):
            return InitRecipe(
                name=obj["name"], seed_commitment=obj["seed_commitment"], parameters=params
            )
    obj = read_object(value, path, ("bundle_digest", "final_state_root", "kind"))
    with nested(path):
        return ParentInit(
            bundle_digest=obj["bundle_digest"], final_state_root=obj["final_state_root"]
        )


@dataclass(frozen=True)
class PrecisionPolicy:
    """Dtypes of the committed parameters, gradients and optimizer state."""

    param_dtype: str = "float32"
    grad_dtype: str = "float32"
    optimizer_state_dtype: str = "float32"

    def __post_init__(self) -> None:
        for k in ("param_dtype", "grad_dtype", "optimizer_state_dtype"):
            check_str(getattr(self, k), k, choices=DTYPES)

    def to_json(self) -> dict[str, Any]:
        """``{"grad_dtype", "optimizer_state_dtype", "param_dtype"}``."""
        return {
            "grad_dtype": self.grad_dtype,
            "optimizer_state_dtype": self.optimizer_state_dtype,
            "param_dtype": self.param_dtype,
        }

    @classmethod
    def from_json(cls, value: object, path: str) -> PrecisionPolicy:
        """Parse the ``precision`` object at ``path``."""
        obj = read_object(value, path, ("grad_dtype", "optimizer_state_dtype", "param_dtype"))
        with nested(path):
            return cls(**obj)


@dataclass(frozen=True)
class CommitmentParams:
    """State commitment (DESIGN §3): scheme, chunk size in bytes (a power of two, at
    least 1 KiB) and a hiding commitment to the salt seed."""

    salt_seed_commitment: str
    chunk_size: int = DEFAULT_CHUNK_SIZE
    scheme: str = COMMITMENT_SCHEME_V1

    def __post_init__(self) -> None:
        check_hex(self.salt_seed_commitment, "salt_seed_commitment")
        c = check_int(self.chunk_size, "chunk_size", lo=MIN_CHUNK_SIZE, hi=MAX_CHUNK_SIZE)
        if c & (c - 1):
            raise FieldError("chunk_size", f"must be a power of two, got {c}")
        check_str(self.scheme, "scheme", choices=COMMITMENT_SCHEMES)

    def to_json(self) -> dict[str, Any]:
        """``{"chunk_size", "salt_seed_commitment", "scheme"}``."""
        return {
            "chunk_size": self.chunk_size,
            "salt_seed_commitment": self.salt_seed_commitment,
            "scheme": self.scheme,
        }

    @classmethod
    def from_json(cls, value: object, path: str) -> CommitmentParams:
        """Parse the ``commitment`` object at ``path``."""
        obj = read_object(value, path, ("chunk_size", "salt_seed_commitment", "scheme"))
        with nested(path):
            return cls(**obj)


@dataclass(frozen=True)
class ChallengePolicy:
    """Which (step, chunk) pairs must be proved: a ``fraction`` in (0, 1] of them (1.0 =
    prove everything) or a fixed ``count``, with the challenge seed derived as named.

    Build with :meth:`of_fraction` or :meth:`of_count`.
    """

    kind: str
    fraction: Fp32 | None = None
    count: int | None = None
    seed_derivation: str = SEED_DERIVATION_FIAT_SHAMIR_V1

    KINDS: ClassVar[tuple[str, str]] = ("count", "fraction")

    def __post_init__(self) -> None:
        check_str(self.kind, "kind", choices=self.KINDS)
        if self.kind == "fraction":
            if self.count is not None:
                raise FieldError("count", "must be None when kind is 'fraction'")
            set_field(self, "fraction", check_fp32(self.fraction, "fraction", gt=0.0, le=1.0))
        else:
            if self.fraction is not None:
                raise FieldError("fraction", "must be None when kind is 'count'")
            check_int(self.count, "count", lo=1, hi=MAX_U64)
        check_str(self.seed_derivation, "seed_derivation", choices=SEED_DERIVATIONS)

    @classmethod
    def of_fraction(
        cls, fraction: float | Fp32, seed_derivation: str = SEED_DERIVATION_FIAT_SHAMIR_V1
    ) -> ChallengePolicy:
        """Challenge ``ceil(fraction * total)`` of the pairs."""
        return cls("fraction", fraction=fraction, seed_derivation=seed_derivation)  # type: ignore[arg-type]

    @classmethod
    def of_count(
        cls, count: int, seed_derivation: str = SEED_DERIVATION_FIAT_SHAMIR_V1
    ) -> ChallengePolicy:
        """Challenge ``min(count, total)`` of the pairs."""
        return cls("count", count=count, seed_derivation=seed_derivation)

    def num_challenges(self, total: int) -> int:
        """How many of ``total`` (step, chunk) pairs are challenged: exact integer
        arithmetic on the FP32 fraction, ``ceil(fraction * total)``, or
        ``min(count, total)``."""
        total = check_int(total, "total", hi=2**128)
        if self.fraction is not None:
            return math.ceil(Fraction(self.fraction.value) * total)
        assert self.count is not None
        return min(self.count, total)

    def to_json(self) -> dict[str, Any]:
        """``{"kind", "fraction" | "count", "seed_derivation"}``."""
        out: dict[str, Any] = {"kind": self.kind, "seed_derivation": self.seed_derivation}
        if self.fraction is not None:
            out["fraction"] = self.fraction.to_json()
        else:
            out["count"] = self.count
        return out

    @classmethod
    def from_json(cls, value: object, path: str) -> ChallengePolicy:
        """Parse the ``challenges`` object at ``path``."""
        kind = read_kind(value, path, cls.KINDS)
        obj = read_object(value, path, ("kind", kind, "seed_derivation"))
        with nested(path):
            if kind == "fraction":
                frac = Fp32.from_json(obj["fraction"], "fraction")
                return cls(kind, fraction=frac, seed_derivation=obj["seed_derivation"])
            return cls(kind, count=obj["count"], seed_derivation=obj["seed_derivation"])
