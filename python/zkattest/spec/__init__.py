"""The TrainingSpec: the typed, validated declaration of a training run (DESIGN §2).

A spec is built in Python (directly or with :meth:`TrainingSpec.from_torch`) or parsed
from JSON (:meth:`TrainingSpec.from_json`); either way every field is validated and
errors name the field's path. Its canonical JSON is hashed (:meth:`TrainingSpec.digest`)
and signed before training starts. Secrets enter only as hiding commitments
(:func:`commit_secret`). Learning-rate arithmetic is in :mod:`zkattest.schedule`.

Layout: ``fields`` (Fp32, errors, readers), ``model``, ``optimizer``, ``schedule``,
``components`` (dataset, init, precision, commitment, challenges), ``invariants``,
``flops``, ``hiding`` (secret commitments), ``training`` (TrainingSpec), ``constants``.
"""

from __future__ import annotations

from zkattest.spec.components import (
    ChallengePolicy,
    CommitmentParams,
    DatasetSpec,
    InitRecipe,
    InitSpec,
    ParentInit,
    PrecisionPolicy,
)
from zkattest.spec.constants import (
    COMMITMENT_SCHEME_V1,
    DEFAULT_CHUNK_SIZE,
    SEED_DERIVATION_FIAT_SHAMIR_V1,
    SEED_DERIVATION_VERIFIER,
    SPEC_SCHEMA_V1,
)
from zkattest.spec.fields import FieldError, Fp32
from zkattest.spec.flops import FLOP_FORMULA_DENSE_6ND, FLOP_FORMULAS, FlopBudget, training_flops
from zkattest.spec.hiding import commit_secret, open_secret
from zkattest.spec.invariants import DEFAULT_INVARIANTS, INVARIANTS, Invariant
from zkattest.spec.model import ModelFingerprint, ParameterInfo
from zkattest.spec.optimizer import AdamWHyperparameters, OptimizerSpec, SGDHyperparameters
from zkattest.spec.schedule import (
    ConstantSchedule,
    CosineSchedule,
    LinearWarmupSchedule,
    Schedule,
    StepSchedule,
)
from zkattest.spec.training import TrainingSpec

__all__ = [
    "COMMITMENT_SCHEME_V1",
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_INVARIANTS",
    "FLOP_FORMULAS",
    "FLOP_FORMULA_DENSE_6ND",
    "INVARIANTS",
    "SEED_DERIVATION_FIAT_SHAMIR_V1",
    "SEED_DERIVATION_VERIFIER",
    "SPEC_SCHEMA_V1",
    "AdamWHyperparameters",
    "ChallengePolicy",
    "CommitmentParams",
    "ConstantSchedule",
    "CosineSchedule",
    "DatasetSpec",
    "FieldError",
    "FlopBudget",
    "Fp32",
    "InitRecipe",
    "InitSpec",
    "Invariant",
    "LinearWarmupSchedule",
    "ModelFingerprint",
    "OptimizerSpec",
    "ParameterInfo",
    "ParentInit",
    "PrecisionPolicy",
    "SGDHyperparameters",
    "Schedule",
    "StepSchedule",
    "TrainingSpec",
    "commit_secret",
    "open_secret",
    "training_flops",
]
