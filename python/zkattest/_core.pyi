"""Type stubs of the compiled core ``zkattest._core`` (partial: the entries below are
typed, every other attribute is ``Any`` until it gets its own entry)."""

from typing import Any, TypedDict

import numpy as np
import numpy.typing as npt

def __getattr__(name: str) -> Any: ...

# --- step-chunk proofs (rust/py/src/step.rs) ---

class StepLayoutEntry(TypedDict):
    name: str
    log_height: int
    main_cols: int
    aux_cols: int
    preprocessed_cols: int
    periodic_cols: int
    hash: bool

def step_prove_chunk(
    scalars: Any,
    step: int,
    param: npt.NDArray[np.uint32],
    grad: npt.NDArray[np.uint32],
    bufs: list[npt.NDArray[np.uint32]],
    salts_before: list[bytes],
    grad_salt: bytes,
    salts_after: list[bytes],
) -> tuple[bytes, bytes]:
    """Proves one chunk of one optimizer step; returns ``(public_bytes, proof_bytes)``.

    ``scalars`` is an ``AdamWScalars`` / ``SgdScalars``; ``bufs`` the optimizer buffers
    before the step in slot order; ``salts_before = [param, *bufs]``, ``salts_after =
    [param, *bufs after]``. Raises ``InvalidInputError`` for bad shapes or non-finite
    values."""

def step_verify_chunk(public: bytes, proof: bytes) -> None:
    """Verifies a step-chunk proof; raises ``VerificationError`` or ``MalformedError``."""

def step_public_info(public: bytes) -> dict[str, Any]:
    """The contents of public bytes: ``optimizer``, ``step``, ``n``, ``scalars``,
    ``leaves_before``, ``grad_leaf``, ``leaves_after``, ``kind``."""

def step_layout(public: bytes) -> list[StepLayoutEntry]:
    """One entry per AIR of the claim's statement (op chips split into several
    instances appear once per instance); ``hash`` tells leaf hashing from arithmetic.
    Cells of an AIR: ``(main_cols + aux_cols) << log_height``."""

# --- the proof system's floor (rust/py/src/floor.rs) ---

class FloorRun(TypedDict):
    prove_s: float
    prove_cpu_s: float
    verify_s: float
    proof_bytes: int
    cells: int

def floor_prove(log_rows: int, width: int, seed: int = 0) -> FloorRun:
    """Proves and verifies a constraint-free AIR of ``width`` columns at ``2**log_rows``
    rows under the project's ZK configuration (GIL released) and returns the timings.

    Raises ``InvalidInputError`` for ``log_rows`` outside 3..=22, ``width < 3`` or more
    than 2**28 cells."""
