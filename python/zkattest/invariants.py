"""Invariants recomputed from the TrainingSpec and the step records.

The trainer signs an invariant attestation (one ``{name, ok, value, bound}`` entry per
invariant the spec declares); the verifier runs the same :class:`InvariantChecker` over
the records it has and compares. Both sides share this module, so they count the same
way. Values and bounds are JSON integers or hex strings, never floats.

What each declared invariant means here (``value`` / ``bound``):

- ``max_steps``: number of step records / ``spec.max_steps``; also every record's step
  must be below ``max_steps``.
- ``lr_schedule``: number of records whose ``lr`` bit pattern differs from
  ``zkattest.schedule.lr_at(spec.schedule, step)`` / ``0``.
- ``flop_budget``: ``training_flops(formula, N, sum of tokens)`` over all records /
  ``flop_budget.max_flops``. The count only grows, so "never above the budget" equals
  "the final count is within it"; the detail names the first step that crossed it.
- ``hyperparameters_fixed``: number of records whose ``extra["hyperparameters"]``
  differs from :func:`hyperparameters_record_form` of the spec / ``0``. Records that do
  not carry hyperparameters are not counted; if none does, the invariant is unchecked.
- ``data_provenance``, ``finite_state``, ``grad_norm_clip``: not checkable from the
  records alone (the data, the state and the gradients are hidden behind commitments),
  so this module reports them unchecked, with whatever the trainer claimed.
  The verifier decides two of them from the bundle's proofs: ``data_provenance`` from
  the batch multi-proof (``batches.json``, check ``data.batches``) and ``finite_state``
  from the verified step proofs (the op chips take finite operands only, so every
  proved chunk's state is finite; the other chunks are covered by the challenge
  sampling only). ``grad_norm_clip`` needs the gradient proofs of a later release.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from zkattest.constants import RECORD_EXTRA_HYPERPARAMETERS
from zkattest.errors import InvalidInputError
from zkattest.log import StepRecord
from zkattest.schedule import lr_at
from zkattest.spec import TrainingSpec, training_flops
from zkattest.spec.constants import MAX_STEPS_LIMIT

__all__ = [
    "CHECKABLE",
    "InvariantChecker",
    "InvariantResult",
    "attestation_entry",
    "check_invariants",
    "claims_for",
    "hyperparameters_record_form",
]

#: Result statuses.
OK: Final = "ok"
VIOLATED: Final = "violated"
UNCHECKED: Final = "unchecked"

#: Declared invariants that the records let anyone recompute today.
CHECKABLE: Final = frozenset({"flop_budget", "hyperparameters_fixed", "lr_schedule", "max_steps"})
#: Why the others cannot be checked yet (shown in reports).
_NOT_YET: Final = {
    "data_provenance": "needs the batch multi-proof (batches.json) against dataset.root",
    "finite_state": "the committed state is hidden; step proofs show it finite, chunk by chunk",
    "grad_norm_clip": "needs gradient proofs; gradients are hidden (not in bundle v1)",
}


@dataclass(frozen=True)
class InvariantResult:
    """The outcome of one invariant: ``status`` is ``"ok"``, ``"violated"`` or
    ``"unchecked"``; ``value`` and ``bound`` are JSON values (ints, hex strings or
    None); ``detail`` explains it for a person."""

    name: str
    status: str
    value: Any
    bound: Any
    detail: str

    @property
    def ok(self) -> bool | None:
        """True / False when checked, None when unchecked."""
        return None if self.status == UNCHECKED else self.status == OK


def attestation_entry(result: InvariantResult, claim: bool | None = None) -> dict[str, Any]:
    """The signed form of one result: ``{"name", "ok", "value", "bound"}``.

    For an unchecked invariant, ``claim`` is what the trainer asserts (it may have
    checked it locally, e.g. ``torch.isfinite`` on every step); None asserts nothing.
    """
    ok = result.ok if result.status != UNCHECKED else claim
    if ok is not None and not isinstance(ok, bool):
        raise InvalidInputError(f"claim for invariant {result.name!r} must be a bool or None")
    return {"name": result.name, "ok": ok, "value": result.value, "bound": result.bound}


def hyperparameters_record_form(spec: TrainingSpec) -> dict[str, Any]:
    """The spec's optimizer hyperparameters in the float-free form a StepRecord may carry
    as ``extra["hyperparameters"]``: ``{"kind", <name>: <FP32 bits hex> | bool | [...]}``."""
    if not isinstance(spec, TrainingSpec):
        raise InvalidInputError(f"expected a TrainingSpec, got {type(spec).__name__}")

    def bits(v: Any) -> Any:
        if isinstance(v, dict) and set(v) == {"bits", "decimal"}:
            return v["bits"]
        if isinstance(v, list):
            return [bits(x) for x in v]
        return v

    out = {k: bits(v) for k, v in spec.optimizer.hyperparameters_json().items()}
    out["kind"] = spec.optimizer.KIND
    return out


class InvariantChecker:
    """Streams step records (in log order) and recomputes every declared invariant.

    O(1) memory: feed records with :meth:`update`, then read :meth:`results`.
    """

    def __init__(self, spec: TrainingSpec) -> None:
        if not isinstance(spec, TrainingSpec):
            raise InvalidInputError(f"expected a TrainingSpec, got {type(spec).__name__}")
        self.spec = spec
        self._declared = tuple(inv.name for inv in spec.invariants)
        self._n_params = spec.num_parameters
        self._hp = hyperparameters_record_form(spec)
        self.records = 0
        self.tokens = 0
        self._beyond_max: int | None = None
        self._lr_bad = 0
        self._lr_first: tuple[int, str, str] | None = None
        self._flops_first: int | None = None
        self._hp_carried = 0
        self._hp_bad = 0
        self._hp_first: int | None = None

    def update(self, record: StepRecord) -> None:
        """Account for one record."""
        if not isinstance(record, StepRecord):
            raise InvalidInputError(f"expected a StepRecord, got {type(record).__name__}")
        spec = self.spec
        self.records += 1
        if record.step >= spec.max_steps and self._beyond_max is None:
            self._beyond_max = record.step
        if "lr_schedule" in self._declared:
            want = lr_at(spec.schedule, record.step).hex if record.step <= MAX_STEPS_LIMIT else None
            if record.lr != want:
                self._lr_bad += 1
                if self._lr_first is None:
                    self._lr_first = (record.step, record.lr, want or "undefined")
        self.tokens += record.tokens
        if self._flops_first is None and not spec.flop_budget.allows(self._n_params, self.tokens):
            self._flops_first = record.step
        if RECORD_EXTRA_HYPERPARAMETERS in record.extra:
            self._hp_carried += 1
            if record.extra[RECORD_EXTRA_HYPERPARAMETERS] != self._hp:
                self._hp_bad += 1
                if self._hp_first is None:
                    self._hp_first = record.step

    def update_all(self, records: Iterable[StepRecord]) -> InvariantChecker:
        """Feed every record of ``records``; returns self."""
        for r in records:
            self.update(r)
        return self

    def results(self) -> list[InvariantResult]:
        """One result per declared invariant, in the spec's (sorted) order."""
        return [self._result(name) for name in self._declared]

    def _result(self, name: str) -> InvariantResult:
        spec = self.spec
        if name == "max_steps":
            n, bound = self.records, spec.max_steps
            if self._beyond_max is not None:
                return InvariantResult(
                    name, VIOLATED, n, bound, f"step {self._beyond_max} is beyond max_steps {bound}"
                )
            ok = n <= bound
            return InvariantResult(
                name, OK if ok else VIOLATED, n, bound, f"{n} steps recorded, at most {bound}"
            )
        if name == "lr_schedule":
            kind = spec.schedule.KIND
            if self._lr_first is None:
                return InvariantResult(
                    name,
                    OK,
                    0,
                    0,
                    f"lr of all {self.records} steps equals lr_at({kind} schedule, step)",
                )
            step, got, want = self._lr_first
            return InvariantResult(
                name,
                VIOLATED,
                self._lr_bad,
                0,
                f"{self._lr_bad} step(s) used another lr; first step {step}: "
                f"recorded {got}, schedule {want}",
            )
        if name == "flop_budget":
            budget = spec.flop_budget
            flops = training_flops(budget.formula, self._n_params, self.tokens)
            if self._flops_first is None:
                return InvariantResult(
                    name,
                    OK,
                    flops,
                    budget.max_flops,
                    f"{flops:.3e} FLOPs ({budget.formula}, {self.tokens} tokens) within "
                    f"{budget.max_flops:.3e}",
                )
            return InvariantResult(
                name,
                VIOLATED,
                flops,
                budget.max_flops,
                f"budget {budget.max_flops:.3e} exceeded at step {self._flops_first}; "
                f"total {flops:.3e} FLOPs",
            )
        if name == "hyperparameters_fixed":
            if self._hp_carried == 0:
                return InvariantResult(
                    name,
                    UNCHECKED,
                    None,
                    0,
                    "no step record carries hyperparameters; step proofs (not in bundle v1) "
                    "will bind them",
                )
            if self._hp_bad == 0:
                return InvariantResult(
                    name,
                    OK,
                    0,
                    0,
                    f"{self._hp_carried} of {self.records} records carry the declared "
                    "hyperparameters, unchanged",
                )
            return InvariantResult(
                name,
                VIOLATED,
                self._hp_bad,
                0,
                f"{self._hp_bad} record(s) carry other hyperparameters; first at step "
                f"{self._hp_first}",
            )
        bound: Any = None
        if name == "grad_norm_clip":
            bound = next(inv for inv in spec.invariants if inv.name == name).param("max_norm").hex
        prefix = "not checkable from the records" if name == "finite_state" else "not yet checkable"
        return InvariantResult(name, UNCHECKED, None, bound, f"{prefix}: {_NOT_YET[name]}")


def check_invariants(spec: TrainingSpec, records: Iterable[StepRecord]) -> list[InvariantResult]:
    """Recompute every invariant ``spec`` declares over ``records`` (in log order)."""
    return InvariantChecker(spec).update_all(records).results()


def claims_for(
    results: Iterable[InvariantResult], claims: Mapping[str, bool] | None
) -> list[dict[str, Any]]:
    """Attestation entries for ``results`` with the trainer's ``claims`` for the
    unchecked ones. Claims about recomputable invariants are ignored (the records
    decide those); claims naming an undeclared invariant raise
    :class:`InvalidInputError`."""
    results = list(results)
    claims = dict(claims or {})
    names = {r.name for r in results}
    unknown = sorted(set(claims) - names)
    if unknown:
        raise InvalidInputError(f"claims for invariants the spec does not declare: {unknown}")
    return [attestation_entry(r, claims.get(r.name)) for r in results]
