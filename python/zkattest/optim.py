"""Canonical optimizers: drop-in ``torch.optim.SGD`` and ``torch.optim.AdamW``.

Each update is an explicit sequence of correctly rounded FP32 operations (DESIGN §4,
``docs/optim.md``) run by the Rust core, so the result is bit-identical to the
softfloat reference that a step proof attests, on any IEEE hardware. The per-step
scalars (step size, bias corrections, ``1 - lr * wd``, ...) come from one recipe the
verifier recomputes from the spec and the logged learning rate; after each step they
are in :attr:`AdamW.last_scalars` / :attr:`SGD.last_scalars`.

The constructors take torch's arguments, the optimizer state uses torch's names
(``step``, ``exp_avg``, ``exp_avg_sq``, ``momentum_buffer``) and ``state_dict`` /
``load_state_dict`` are interchangeable with ``torch.optim``'s. LR schedulers work:
the learning rate is read from each param group at every step.

v1 limits (each rejected with :class:`~zkattest.errors.InvalidInputError`): float32,
CPU, contiguous parameters; dense gradients; ``amsgrad``, ``fused``, ``capturable``
and ``differentiable`` off. ``foreach`` is accepted and has no effect (there is one
implementation). BF16 parameters and CUDA tensors are on the roadmap.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch
from torch.optim import Optimizer

from zkattest import _core
from zkattest.errors import InvalidInputError

__all__ = ["SGD", "AdamW", "AdamWScalars", "SgdScalars", "adamw_scalars", "sgd_scalars"]

AdamWScalars = _core.AdamWScalars
SgdScalars = _core.SgdScalars
adamw_scalars = _core.adamw_scalars
sgd_scalars = _core.sgd_scalars

_UNSUPPORTED_FLAGS = ("capturable", "differentiable", "fused")


def _as_float(name: str, value: Any) -> float:
    """A hyperparameter (Python number or one-element tensor) as a binary64 float."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise InvalidInputError(f"{name} must be a number or a one-element tensor")
        return float(value.item())
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInputError(f"{name} must be a number, got {type(value).__name__}")
    return float(value)


def _check_flags(group: dict[str, Any]) -> None:
    for flag in _UNSUPPORTED_FLAGS:
        if group.get(flag):
            raise InvalidInputError(
                f"{flag}=True is not supported by zkattest.optim (one CPU implementation)"
            )


def _step_dtype() -> torch.dtype:
    # torch.optim's choice for non-fused, non-capturable step counters.
    return torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32


def _check_tensor(where: str, t: Any, shape: torch.Size | None = None) -> torch.Tensor:
    if not isinstance(t, torch.Tensor):
        raise InvalidInputError(f"{where} must be a torch.Tensor, got {type(t).__name__}")
    if t.layout != torch.strided:
        raise InvalidInputError(f"{where} is sparse ({t.layout}); only dense tensors are supported")
    if t.device.type != "cpu":
        raise InvalidInputError(
            f"{where} is on {t.device}; zkattest.optim v1 runs on CPU tensors only"
        )
    if t.dtype != torch.float32:
        raise InvalidInputError(
            f"{where} has dtype {t.dtype}; zkattest.optim v1 needs float32 "
            "(BF16 parameters are on the roadmap)"
        )
    if shape is not None and t.shape != shape:
        raise InvalidInputError(f"{where} has shape {tuple(t.shape)}, expected {tuple(shape)}")
    return t


def _param_view(where: str, p: torch.Tensor) -> np.ndarray:
    """Zero-copy writeable float32 view of a parameter."""
    _check_tensor(where, p)
    if not p.is_contiguous():
        raise InvalidInputError(
            f"{where} is not contiguous; zkattest.optim updates parameters in place "
            "through zero-copy views"
        )
    return p.detach().view(-1).numpy()


def _grad_view(where: str, p: torch.Tensor) -> np.ndarray:
    """Read-only float32 view of a gradient (copied only if it is not contiguous)."""
    g = p.grad
    if g is None:
        raise InvalidInputError(f"{where} has no gradient")
    _check_tensor(f"{where}.grad", g, p.shape)
    return g.detach().contiguous().view(-1).numpy()


def _buffer_view(where: str, buf: Any, p: torch.Tensor) -> np.ndarray:
    _check_tensor(where, buf, p.shape)
    if not buf.is_contiguous():
        raise InvalidInputError(f"{where} is not contiguous")
    return buf.detach().view(-1).numpy()


def _step_count(where: str, step: Any) -> int:
    value = step.item() if isinstance(step, torch.Tensor) and step.numel() == 1 else step
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
        or value != int(value)
    ):
        raise InvalidInputError(f"{where} must be a non-negative whole step count, got {step!r}")
    return int(value)


def _check_disjoint(where: str, views: dict[str, np.ndarray | None]) -> None:
    """The kernels update in place: no two of a parameter's arrays may overlap (a
    bounds check, exact for contiguous 1-D views)."""
    items = [(name, v) for name, v in views.items() if v is not None]
    for i, (na, a) in enumerate(items):
        for nb, b in items[i + 1 :]:
            if a.size and b.size and np.may_share_memory(a, b):
                raise InvalidInputError(f"{where}: {na} and {nb} share memory")


def _check_step_fits(where: str, step: Any, t: int) -> None:
    """The step counter is stored like torch's (a float32 tensor by default), which
    counts exactly only up to 2**24."""
    dtype = step.dtype if isinstance(step, torch.Tensor) else _step_dtype()
    if torch.tensor(float(t), dtype=dtype).item() != t:
        raise InvalidInputError(f"{where}: step {t} is not exactly representable as {dtype}")


def _write_step(state: dict[str, Any], t: int) -> None:
    step = state.get("step")
    if not isinstance(step, torch.Tensor):
        step = torch.tensor(0.0, dtype=_step_dtype())
        state["step"] = step
    step.fill_(t)


def _params_of(group: dict[str, Any], gi: int) -> Iterable[tuple[str, torch.Tensor]]:
    for pi, p in enumerate(group["params"]):
        yield f"param_groups[{gi}]['params'][{pi}]", p


class _Canonical(Optimizer):
    """Shared plumbing: parameter checks and the ``last_scalars`` record."""

    last_scalars: list[dict[str, Any]]

    def __init__(self, params: Any, defaults: dict[str, Any]) -> None:
        _check_flags(defaults)
        self.last_scalars = []
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Adds a param group (torch semantics); its parameters must be float32 CPU
        contiguous tensors and its options valid."""
        super().add_param_group(param_group)
        gi = len(self.param_groups) - 1
        try:
            group = self.param_groups[gi]
            _check_flags(group)
            self._scalars_for(group, step=1)
            for where, p in _params_of(group, gi):
                _param_view(where, p)
        except InvalidInputError:
            self.param_groups.pop()
            raise

    def _scalars_for(self, group: dict[str, Any], step: int) -> Any:
        raise NotImplementedError


class AdamW(_Canonical):
    """AdamW with torch's signature and state, computed by the canonical FP32 sequence.

    Same arguments as :class:`torch.optim.AdamW`. ``amsgrad=True``, ``fused=True``,
    ``capturable=True`` and ``differentiable=True`` raise
    :class:`~zkattest.errors.InvalidInputError`; ``foreach`` is ignored.

    After each :meth:`step`, :attr:`last_scalars` lists the scalars used: one dict per
    (param group, step number) pair, normally one per group, with the group index
    under ``"group"`` and the FP32 bit patterns of :func:`adamw_scalars`.
    """

    def __init__(
        self,
        params: Any,
        lr: float | torch.Tensor = 1e-3,
        betas: tuple[float | torch.Tensor, float | torch.Tensor] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        if amsgrad:
            raise InvalidInputError(
                "amsgrad=True is not supported: the canonical AdamW implements amsgrad=False only"
            )
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise InvalidInputError(f"betas must be a pair of numbers, got {betas!r}")
        defaults = {
            "lr": lr,
            "betas": (_as_float("betas[0]", betas[0]), _as_float("betas[1]", betas[1])),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": True,
        }
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self.__dict__.setdefault("last_scalars", [])
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("fused", None)
            group["decoupled_weight_decay"] = True

    def _scalars_for(self, group: dict[str, Any], step: int) -> Any:
        if group.get("amsgrad"):
            raise InvalidInputError("amsgrad=True is not supported by zkattest.optim.AdamW")
        betas = group["betas"]
        return _core.adamw_scalars(
            lr=_as_float("lr", group["lr"]),
            beta1=_as_float("betas[0]", betas[0]),
            beta2=_as_float("betas[1]", betas[1]),
            eps=_as_float("eps", group["eps"]),
            weight_decay=_as_float("weight_decay", group["weight_decay"]),
            step=step,
            maximize=bool(group["maximize"]),
        )

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # type: ignore[override]
        """Performs one AdamW step on every parameter that has a gradient.

        All inputs are checked before any tensor is modified, so a rejected step
        leaves parameters and state untouched.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()

        plan = []
        records: dict[tuple[int, int], Any] = {}
        for gi, group in enumerate(self.param_groups):
            _check_flags(group)
            for where, p in _params_of(group, gi):
                if p.grad is None:
                    continue
                pv, gv = _param_view(where, p), _grad_view(where, p)
                # .get: indexing the defaultdict would record empty state for p.
                state = self.state.get(p)
                if state:
                    t = _step_count(f"{where} state['step']", state.get("step")) + 1
                    _check_step_fits(f"{where} state['step']", state["step"], t)
                    m, v = state.get("exp_avg"), state.get("exp_avg_sq")
                    new = None
                else:
                    t = 1
                    m = torch.zeros_like(p, memory_format=torch.contiguous_format)
                    v = torch.zeros_like(p, memory_format=torch.contiguous_format)
                    new = {"step": torch.tensor(0.0, dtype=_step_dtype()), "exp_avg": m}
                    new["exp_avg_sq"] = v
                mv = _buffer_view(f"{where} state['exp_avg']", m, p)
                vv = _buffer_view(f"{where} state['exp_avg_sq']", v, p)
                _check_disjoint(where, {"param": pv, "grad": gv, "exp_avg": mv, "exp_avg_sq": vv})
                key = (gi, t)
                if key not in records:
                    records[key] = self._scalars_for(group, t)
                plan.append((p, new, t, records[key], pv, gv, mv, vv))

        for p, new, t, scalars, pv, gv, mv, vv in plan:
            state = self.state[p]
            if new is not None:
                state.update(new)
            _core.adamw_update(scalars, pv, gv, mv, vv)
            _write_step(state, t)
        self.last_scalars = [{"group": gi, **s.as_dict()} for (gi, _), s in records.items()]
        return loss


class SGD(_Canonical):
    """SGD with torch's signature and state, computed by the canonical FP32 sequence.

    Same arguments as :class:`torch.optim.SGD` (momentum, dampening, weight decay,
    Nesterov, maximize). ``fused=True`` and ``differentiable=True`` raise
    :class:`~zkattest.errors.InvalidInputError`; ``foreach`` is ignored.

    After each :meth:`step`, :attr:`last_scalars` holds one dict per param group that
    had gradients, with the group index under ``"group"`` and the FP32 bit patterns
    of :func:`sgd_scalars`.
    """

    def __init__(
        self,
        params: Any,
        lr: float | torch.Tensor = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float | torch.Tensor = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self.__dict__.setdefault("last_scalars", [])
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("differentiable", False)
            group.setdefault("fused", False)

    def _scalars_for(self, group: dict[str, Any], step: int) -> Any:
        return _core.sgd_scalars(
            lr=_as_float("lr", group["lr"]),
            momentum=_as_float("momentum", group["momentum"]),
            dampening=_as_float("dampening", group["dampening"]),
            weight_decay=_as_float("weight_decay", group["weight_decay"]),
            nesterov=bool(group["nesterov"]),
            maximize=bool(group["maximize"]),
        )

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # type: ignore[override]
        """Performs one SGD step on every parameter that has a gradient.

        All inputs are checked before any tensor is modified, so a rejected step
        leaves parameters and state untouched.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()

        plan = []
        records = []
        for gi, group in enumerate(self.param_groups):
            _check_flags(group)
            scalars = None
            for where, p in _params_of(group, gi):
                if p.grad is None:
                    continue
                if scalars is None:
                    scalars = self._scalars_for(group, 1)
                    records.append((gi, scalars))
                pv, gv = _param_view(where, p), _grad_view(where, p)
                buf, bv, init = None, None, False
                if group["momentum"] != 0:
                    buf = self.state.get(p, {}).get("momentum_buffer")
                    init = buf is None
                    if init:
                        buf = torch.zeros_like(p, memory_format=torch.contiguous_format)
                    bv = _buffer_view(f"{where} state['momentum_buffer']", buf, p)
                _check_disjoint(where, {"param": pv, "grad": gv, "momentum_buffer": bv})
                plan.append((p, scalars, pv, gv, buf, bv, init))

        for p, scalars, pv, gv, buf, bv, init in plan:
            _core.sgd_update(scalars, pv, gv, bv, init)
            if buf is not None:
                self.state[p]["momentum_buffer"] = buf
        self.last_scalars = [{"group": gi, **s.as_dict()} for gi, s in records]
        return loss
