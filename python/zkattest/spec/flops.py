"""FLOP budget: a declared maximum and the named formula that counts training FLOPs.

Formulas are a closed set, identified by name in the spec, so the verifier counts the
same way the trainer declared. Counts are exact integers (no floating point).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from zkattest.spec.constants import MAX_FLOPS
from zkattest.spec.fields import check_int, check_str, nested, read_object

__all__ = ["FLOP_FORMULAS", "FLOP_FORMULA_DENSE_6ND", "FlopBudget", "training_flops"]

#: Dense transformer training estimate (Kaplan et al. 2020): ``6 * N * D`` with N the
#: number of parameters of the model fingerprint and D the number of tokens processed
#: (the sum of the step records' token counts; for non-sequence models, examples).
FLOP_FORMULA_DENSE_6ND: Final = "dense_6nd"
#: Formula name -> human description (the names are what a spec may declare).
FLOP_FORMULAS: Final = {
    FLOP_FORMULA_DENSE_6ND: "6 * parameters * tokens (forward 2ND + backward 4ND)",
}


def training_flops(formula: str, num_parameters: int, tokens: int) -> int:
    """Training FLOPs of ``tokens`` tokens on a model of ``num_parameters`` parameters,
    counted by ``formula``."""
    check_str(formula, "formula", choices=FLOP_FORMULAS)
    n = check_int(num_parameters, "num_parameters", hi=2**63 - 1)
    d = check_int(tokens, "tokens", hi=MAX_FLOPS)
    return 6 * n * d  # the only v1 formula


@dataclass(frozen=True)
class FlopBudget:
    """At most ``max_flops`` training FLOPs, counted by ``formula``."""

    max_flops: int
    formula: str = FLOP_FORMULA_DENSE_6ND

    def __post_init__(self) -> None:
        check_int(self.max_flops, "max_flops", lo=1, hi=MAX_FLOPS)
        check_str(self.formula, "formula", choices=FLOP_FORMULAS)

    def allows(self, num_parameters: int, tokens: int) -> bool:
        """Whether ``tokens`` tokens on ``num_parameters`` parameters fit the budget."""
        return training_flops(self.formula, num_parameters, tokens) <= self.max_flops

    def to_json(self) -> dict[str, Any]:
        """``{"formula", "max_flops"}``."""
        return {"formula": self.formula, "max_flops": self.max_flops}

    @classmethod
    def from_json(cls, value: object, path: str) -> FlopBudget:
        """Parse the ``flop_budget`` object at ``path``."""
        obj = read_object(value, path, ("formula", "max_flops"))
        with nested(path):
            return cls(max_flops=obj["max_flops"], formula=obj["formula"])
