"""The :class:`TrainingSpec`: what a run declares, signs and publishes before training.

Serialization: :meth:`TrainingSpec.to_json` is the canonical JSON (sorted keys, no
whitespace, UTF-8) of :meth:`TrainingSpec.to_dict`; :meth:`TrainingSpec.digest` is its
SHA-256. :meth:`TrainingSpec.from_json` accepts any JSON text of a valid spec (any key
order or whitespace), rejects duplicate keys, unknown or missing fields and wrong types
(naming the field's path), and re-serializes to the canonical bytes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from zkattest.canonical import canonical_json, parse_json, sha256_hex
from zkattest.errors import UnsupportedVersionError
from zkattest.spec.components import (
    ChallengePolicy,
    CommitmentParams,
    DatasetSpec,
    InitRecipe,
    InitSpec,
    ParentInit,
    PrecisionPolicy,
    init_from_json,
)
from zkattest.spec.constants import (
    DEFAULT_CHUNK_SIZE,
    MAX_STEPS_LIMIT,
    MAX_U64,
    SPEC_SCHEMA_V1,
    SUPPORTED_SPEC_SCHEMAS,
)
from zkattest.spec.fields import (
    FieldError,
    check_int,
    field,
    item,
    read_object,
    set_field,
    type_name,
)
from zkattest.spec.flops import FlopBudget
from zkattest.spec.invariants import (
    DEFAULT_INVARIANTS,
    Invariant,
    invariants_from_json,
    normalize_invariants,
)
from zkattest.spec.model import ModelFingerprint
from zkattest.spec.optimizer import (
    AdamWHyperparameters,
    OptimizerSpec,
    SGDHyperparameters,
    optimizer_from_json,
    optimizer_to_json,
)
from zkattest.spec.schedule import (
    ConstantSchedule,
    CosineSchedule,
    LinearWarmupSchedule,
    Schedule,
    StepSchedule,
    schedule_from_json,
    schedule_to_json,
)

if TYPE_CHECKING:
    import torch

__all__ = ["TrainingSpec"]

_SECTIONS: tuple[tuple[str, tuple[type, ...]], ...] = (
    ("model", (ModelFingerprint,)),
    ("optimizer", (SGDHyperparameters, AdamWHyperparameters)),
    ("schedule", (ConstantSchedule, LinearWarmupSchedule, CosineSchedule, StepSchedule)),
    ("flop_budget", (FlopBudget,)),
    ("dataset", (DatasetSpec,)),
    ("init", (InitRecipe, ParentInit)),
    ("precision", (PrecisionPolicy,)),
    ("commitment", (CommitmentParams,)),
    ("challenges", (ChallengePolicy,)),
)
#: Default challenge policy: prove every (step, chunk) pair.
_PROVE_ALL = ChallengePolicy.of_fraction(1.0)
_JSON_KEYS = (
    "batch_size",
    "challenges",
    "commitment",
    "dataset",
    "flop_budget",
    "init",
    "invariants",
    "max_steps",
    "model",
    "optimizer",
    "precision",
    "schedule",
    "schema",
)


@dataclass(frozen=True)
class TrainingSpec:
    """A declared training run (DESIGN §2). Immutable and validated on construction;
    every error is an :class:`~zkattest.errors.InvalidInputError` naming the field.

    Cross-field rules: ``schedule.lr`` equals the optimizer's ``lr`` (the schedule's peak
    is the optimizer's base lr); ``schedule.warmup_steps <= max_steps``; every model
    parameter has ``precision.param_dtype``. ``invariants`` are kept sorted by name.
    """

    #: Schema version written to (and required in) the ``schema`` field.
    SCHEMA: ClassVar[str] = SPEC_SCHEMA_V1

    model: ModelFingerprint
    optimizer: OptimizerSpec
    schedule: Schedule
    batch_size: int
    max_steps: int
    flop_budget: FlopBudget
    dataset: DatasetSpec
    init: InitSpec
    precision: PrecisionPolicy
    commitment: CommitmentParams
    challenges: ChallengePolicy = _PROVE_ALL
    invariants: tuple[Invariant, ...] = DEFAULT_INVARIANTS

    def __post_init__(self) -> None:
        for name, classes in _SECTIONS:
            value = getattr(self, name)
            if not isinstance(value, classes):
                want = " or ".join(c.__name__ for c in classes)
                raise FieldError(name, f"expected {want}, got {type_name(value)}")
        check_int(self.batch_size, "batch_size", lo=1, hi=MAX_U64)
        check_int(self.max_steps, "max_steps", lo=1, hi=MAX_STEPS_LIMIT)
        set_field(self, "invariants", normalize_invariants(self.invariants, "invariants"))

        opt_lr, sched_lr = self.optimizer.lr, self.schedule.lr
        if opt_lr != sched_lr:
            raise FieldError(
                "schedule.lr",
                f"must equal optimizer.hyperparameters.lr ({opt_lr.decimal!r}, bits "
                f"{opt_lr.hex}); got {sched_lr.decimal!r} (bits {sched_lr.hex})",
            )
        if self.schedule.warmup_steps > self.max_steps:
            raise FieldError(
                "schedule.warmup_steps",
                f"must be <= max_steps ({self.max_steps}), got {self.schedule.warmup_steps}",
            )
        want = self.precision.param_dtype
        for i, p in enumerate(self.model.parameters):
            if p.dtype != want:
                raise FieldError(
                    field(item("model.parameters", i), "dtype"),
                    f"{p.name!r} is {p.dtype} but precision.param_dtype is {want}",
                )

    # --- serialization -----------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready dict (keys as in the canonical form)."""
        return {
            "batch_size": self.batch_size,
            "challenges": self.challenges.to_json(),
            "commitment": self.commitment.to_json(),
            "dataset": self.dataset.to_json(),
            "flop_budget": self.flop_budget.to_json(),
            "init": self.init.to_json(),
            "invariants": [inv.to_json() for inv in self.invariants],
            "max_steps": self.max_steps,
            "model": self.model.to_json(),
            "optimizer": optimizer_to_json(self.optimizer),
            "precision": self.precision.to_json(),
            "schedule": schedule_to_json(self.schedule),
            "schema": self.SCHEMA,
        }

    def to_json(self) -> bytes:
        """Canonical JSON bytes (what is hashed and signed)."""
        return canonical_json(self.to_dict())

    def digest(self) -> str:
        """SHA-256 of :meth:`to_json`, 64 lowercase hex digits."""
        return sha256_hex(self.to_json())

    @classmethod
    def from_dict(cls, obj: object) -> TrainingSpec:
        """Build from parsed JSON. Raises :class:`~zkattest.errors.InvalidInputError`
        (with the field path) or :class:`~zkattest.errors.UnsupportedVersionError`."""
        if type(obj) is not dict:
            raise FieldError("", f"a TrainingSpec must be a JSON object, got {type_name(obj)}")
        # The version decides the schema, so check it before anything else: a newer
        # spec must say "unsupported version", not "unknown field".
        if "schema" not in obj:
            raise FieldError("schema", "missing required field")
        schema = obj["schema"]
        if type(schema) is not str:
            raise FieldError("schema", f"expected a string, got {type_name(schema)}")
        if schema not in SUPPORTED_SPEC_SCHEMAS:
            raise UnsupportedVersionError(
                f"schema: unsupported TrainingSpec version {schema!r} "
                f"(this build reads {', '.join(SUPPORTED_SPEC_SCHEMAS)})"
            )
        d = read_object(obj, "", _JSON_KEYS)
        return cls(
            model=ModelFingerprint.from_json(d["model"], "model"),
            optimizer=optimizer_from_json(d["optimizer"], "optimizer"),
            schedule=schedule_from_json(d["schedule"], "schedule"),
            batch_size=d["batch_size"],
            max_steps=d["max_steps"],
            flop_budget=FlopBudget.from_json(d["flop_budget"], "flop_budget"),
            dataset=DatasetSpec.from_json(d["dataset"], "dataset"),
            init=init_from_json(d["init"], "init"),
            precision=PrecisionPolicy.from_json(d["precision"], "precision"),
            commitment=CommitmentParams.from_json(d["commitment"], "commitment"),
            challenges=ChallengePolicy.from_json(d["challenges"], "challenges"),
            invariants=invariants_from_json(d["invariants"], "invariants"),
        )

    @classmethod
    def from_json(cls, data: bytes | str) -> TrainingSpec:
        """Parse JSON text. Malformed JSON (syntax, invalid UTF-8, duplicate keys, NaN)
        raises :class:`~zkattest.errors.MalformedError`; a well-formed document that is
        not a valid spec raises :class:`~zkattest.errors.InvalidInputError` or
        :class:`~zkattest.errors.UnsupportedVersionError`."""
        return cls.from_dict(parse_json(data, "TrainingSpec"))

    def replace(self, **changes: Any) -> TrainingSpec:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    @property
    def num_parameters(self) -> int:
        """Total scalar parameter count of the model fingerprint."""
        return self.model.num_parameters

    # --- construction from torch objects ---------------------------------------------

    @classmethod
    def from_torch(
        cls,
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
        flop_budget: int | FlopBudget | None = None,
        tokens_per_example: int = 1,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        precision: PrecisionPolicy | None = None,
        challenges: ChallengePolicy | None = None,
        invariants: tuple[Invariant, ...] = DEFAULT_INVARIANTS,
    ) -> TrainingSpec:
        """Fill the model fingerprint and the optimizer section from live torch objects.

        - ``model``: names / shapes / dtypes from ``named_parameters()``; the optimizer
          must update exactly these parameters.
        - ``optimizer``: ``torch.optim.SGD`` / ``AdamW`` (or ``zkattest.optim.SGD`` /
          ``AdamW``); hyperparameters from ``param_groups``. Several groups are accepted
          only if their hyperparameters are identical (v1 has one set).
        - ``flop_budget``: ``None`` declares the maximum the run can use,
          ``6 * N * batch_size * max_steps * tokens_per_example``; an ``int`` is a
          ``dense_6nd`` budget.
        - ``precision``: ``None`` uses the model's (single) parameter dtype everywhere.
        - ``challenges``: ``None`` means prove everything (fraction 1.0).
        - ``init`` and ``salt_seed_commitment`` carry hiding commitments from
          :func:`~zkattest.spec.commit_secret`; the seeds never enter the spec.
        """
        from zkattest.spec import _torch

        return _torch.spec_from_torch(
            cls,
            model,
            optimizer,
            batch_size=batch_size,
            max_steps=max_steps,
            schedule=schedule,
            dataset_root=dataset_root,
            dataset_size=dataset_size,
            init=init,
            salt_seed_commitment=salt_seed_commitment,
            flop_budget=flop_budget,
            tokens_per_example=tokens_per_example,
            chunk_size=chunk_size,
            precision=precision,
            challenges=challenges,
            invariants=invariants,
        )
