"""Step proofs: challenges, proving through executors, and their place in the bundle.

A step proof of chunk ``c`` of parameter ``w`` at step ``t`` proves (zero knowledge,
``zkattest._core.step_prove_chunk``) that the chunk of ``w`` and of its optimizer
buffers committed after the step (``r_t+1``) is the declared optimizer update of the
chunks committed before it (``r_t``) and of the gradient chunk (``g_t``), with the
scalars the verifier recomputes from the spec and the schedule's ``lr_t``. The statement
exposes only salted leaves; the bundle adds the inclusion proofs of those leaves
against the logged roots (:func:`zkattest.commit.verify_leaf`). See ``docs/proofs.md``.

**Challenges** (:func:`derive_challenges`): the universe is every ``(step, tensor,
chunk)`` of the run, for every FP32 parameter of the spec's model fingerprint, chunks
of ``spec.commitment.chunk_size`` bytes. ``k = spec.challenges.num_challenges(total)``
(``ceil(fraction * total)`` or ``min(count, total)``) are drawn **without replacement**
by Floyd's algorithm from a SHA-256 counter-mode stream seeded with
``SHA256(CHALLENGE_DOMAIN || spec digest || final log root || u64le(log size))``
(uniform integers by rejection sampling). Fraction 1.0 means every chunk. A trainer who
tampered with a fraction ``p`` of the chunks escapes with probability at most
``(1 - p)^k`` (:func:`detection_probability`; sampling without replacement only
lowers it).

**Bundle entries** (kind :data:`STEP_PROOF_KIND`): the blob is the STARK proof; the index
entry has ``step``, ``chunk`` and ``public = {"tensor", "statement", "before", "grad",
"after"}``: ``statement`` is the hex of the statement's public bytes; ``before`` has one
item per slot (parameter, then buffers), ``{"opening": hex}`` (a chunk inclusion proof
against ``r_t``) or, only at step 0 for an optimizer buffer the initial state does not
hold yet (torch creates it at the first step; DESIGN §2: it starts as zeros),
``{"zero_salt": hex}`` (the disclosed salt of that absent chunk, whose leaf the verifier
recomputes over zeros); ``grad`` is the gradient chunk's opening against ``g_t``;
``after`` the openings against ``r_t+1``.
"""

from __future__ import annotations

import bisect
import concurrent.futures
import hashlib
import multiprocessing
import struct
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from zkattest.attest import GRAD_PREFIX
from zkattest.commit import StateCommitter, TensorBytes, leaf_hash, verify_leaf
from zkattest.errors import (
    InvalidInputError,
    MalformedError,
    ProvingError,
    VerificationError,
    ZkattestError,
)
from zkattest.schedule import lr_at
from zkattest.spec import TrainingSpec
from zkattest.spec.constants import SEED_DERIVATION_FIAT_SHAMIR_V1

if TYPE_CHECKING:
    from zkattest.bundle import BundleWriter, ProofEntry
    from zkattest.log import RunLog
    from zkattest.verify import ProofContext
    from zkattest.witness import WitnessStore

__all__ = [
    "CHALLENGE_DOMAIN",
    "STEP_PROOF_KIND",
    "Challenge",
    "ChallengeSet",
    "StepProof",
    "challenge_layout",
    "derive_challenges",
    "detection_probability",
    "prove_challenges",
    "step_buffers",
    "step_scalars",
]

#: Proof kind of a step-chunk proof in the bundle's proof index.
STEP_PROOF_KIND: Final = "step.chunk.v1"
#: Domain tag of the Fiat-Shamir challenge seed (NUL-terminated: no tag is a prefix
#: of another).
CHALLENGE_DOMAIN: Final = b"zkattest.challenges.v1\x00"
#: Prefix of optimizer-state tensor names in a state commitment (the default of
#: :func:`zkattest.commit.tensors_from_optimizer`, which ``attest`` uses).
OPTIM_STATE_PREFIX: Final = "optim.state."
#: Optimizer buffers a step proof reads and writes, in slot order.
_BUFFERS: Final = {"adamw": ("exp_avg", "exp_avg_sq"), "sgd": ("momentum_buffer",)}
#: The parameter dtype step proofs cover (v1: FP32 only) and its element size.
_PROVABLE_DTYPE: Final = "float32"
_ELEM: Final = 4
_U64: Final = 1 << 64


# --- challenges --------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Challenge:
    """One challenged ``(step, tensor, chunk)``: chunk ``chunk`` of parameter ``tensor``
    at optimizer step ``step`` (0-based) must be proved."""

    step: int
    tensor: str
    chunk: int


def challenge_layout(spec: TrainingSpec) -> tuple[tuple[str, int, int], ...]:
    """``(name, elements, chunks)`` of every provable parameter of the spec's model
    (FP32, non-empty), sorted by name: the per-step part of the challenge universe."""
    if not isinstance(spec, TrainingSpec):
        raise InvalidInputError(f"expected a TrainingSpec, got {type(spec).__name__}")
    c = spec.commitment.chunk_size
    out = []
    for p in sorted(spec.model.parameters, key=lambda p: p.name):
        n = p.numel
        if p.dtype == _PROVABLE_DTYPE and n:
            out.append((p.name, n, -(-n * _ELEM // c)))
    return tuple(out)


def chunk_elements(spec: TrainingSpec, tensor: str, chunk: int) -> int:
    """Number of FP32 elements in chunk ``chunk`` of parameter ``tensor``."""
    per = spec.commitment.chunk_size // _ELEM
    for name, n, chunks in challenge_layout(spec):
        if name == tensor:
            if not 0 <= chunk < chunks:
                raise InvalidInputError(f"{tensor!r} has {chunks} chunk(s), not chunk {chunk}")
            return min(per, n - chunk * per)
    raise InvalidInputError(f"{tensor!r} is not a provable (FP32) parameter of the spec's model")


def detection_probability(k: int, p: float) -> float:
    """Probability that ``k`` challenges hit at least one of a fraction ``p`` of
    tampered chunks: ``1 - (1 - p)^k`` (a lower bound when sampling without
    replacement)."""
    if not 0.0 <= p <= 1.0:
        raise InvalidInputError(f"p must be in [0, 1], got {p}")
    return 1.0 - (1.0 - p) ** k


@dataclass(frozen=True)
class ChallengeSet:
    """The challenges of a run: sorted, distinct; ``total`` is the universe size."""

    challenges: tuple[Challenge, ...]
    total: int
    seed: bytes

    @property
    def k(self) -> int:
        """Number of challenges."""
        return len(self.challenges)

    def detection_probability(self, p: float) -> float:
        """See :func:`detection_probability`; 1.0 when every chunk is challenged."""
        if self.k == self.total and p > 0:
            return 1.0
        return detection_probability(self.k, p)

    def describe(self) -> str:
        """``k`` of ``total`` and the detection probability at 0.1% / 1% tampering."""
        if self.k == self.total:
            return f"all {self.total} (step, chunk) pairs challenged: any tampered chunk is caught"
        d = ", ".join(
            f"{self.detection_probability(p):.4f} if {p:.1%} of chunks are tampered"
            for p in (0.001, 0.01, 0.1)
        )
        return f"{self.k} of {self.total} (step, chunk) pairs challenged; detection probability {d}"


class _Stream:
    """Uniform integers from a SHA-256 counter-mode stream."""

    def __init__(self, seed: bytes) -> None:
        self._seed, self._ctr, self._buf = seed, 0, b""

    def _u64(self) -> int:
        if len(self._buf) < 8:
            self._buf += hashlib.sha256(self._seed + struct.pack("<Q", self._ctr)).digest()
            self._ctr += 1
        x, self._buf = int.from_bytes(self._buf[:8], "little"), self._buf[8:]
        return x

    def below(self, m: int) -> int:
        """Uniform in ``[0, m)`` (rejection sampling: no modulo bias)."""
        limit = _U64 - _U64 % m
        while True:
            x = self._u64()
            if x < limit:
                return x % m


def _hex32(value: bytes | str, what: str) -> bytes:
    if isinstance(value, str):
        try:
            value = bytes.fromhex(value)
        except ValueError:
            raise InvalidInputError(f"{what} must be 32 bytes or 64 hex digits") from None
    if not isinstance(value, bytes | bytearray) or len(value) != 32:
        raise InvalidInputError(f"{what} must be 32 bytes or 64 hex digits")
    return bytes(value)


def derive_challenges(spec: TrainingSpec, log_root: bytes | str, log_size: int) -> ChallengeSet:
    """The Fiat-Shamir challenges of a run whose final signed log has ``log_size``
    records and root ``log_root`` (see the module docstring). Raises
    :class:`InvalidInputError` for a spec whose challenges are verifier-supplied."""
    layout = challenge_layout(spec)
    if spec.challenges.seed_derivation != SEED_DERIVATION_FIAT_SHAMIR_V1:
        raise InvalidInputError(
            f"the spec's challenges are {spec.challenges.seed_derivation!r}: the verifier "
            "supplies them, they cannot be derived from the log"
        )
    if type(log_size) is not int or log_size < 0:
        raise InvalidInputError(f"log_size must be a non-negative int, got {log_size!r}")
    root = _hex32(log_root, "log_root")
    seed = hashlib.sha256(
        CHALLENGE_DOMAIN + bytes.fromhex(spec.digest()) + root + struct.pack("<Q", log_size)
    ).digest()
    per_step = sum(chunks for _, _, chunks in layout)
    total = per_step * log_size
    if total >= _U64:
        raise InvalidInputError(f"{total} (step, chunk) pairs: too many to challenge")
    k = spec.challenges.num_challenges(total)
    if k == total:
        picked: Iterable[int] = range(total)
    else:
        stream, chosen = _Stream(seed), set()
        for j in range(total - k, total):  # Floyd: k distinct draws, k stream values
            r = stream.below(j + 1)
            chosen.add(j if r in chosen else r)
        picked = sorted(chosen)
    starts, acc = [], 0
    for _, _, chunks in layout:
        starts.append(acc)
        acc += chunks
    out = []
    for u in picked:
        step, within = divmod(u, per_step)
        i = bisect.bisect_right(starts, within) - 1
        out.append(Challenge(step, layout[i][0], within - starts[i]))
    return ChallengeSet(tuple(sorted(out)), total, seed)


# --- what a step proves --------------------------------------------------------------------


def step_buffers(spec: TrainingSpec) -> tuple[str, ...]:
    """The optimizer buffers of the spec's optimizer that a step proof reads and
    writes, in slot order (AdamW: ``exp_avg``, ``exp_avg_sq``; SGD: ``momentum_buffer``
    when momentum is on)."""
    kind = spec.optimizer.KIND
    if kind == "sgd" and spec.optimizer.momentum.value == 0.0:
        return ()
    return _BUFFERS[kind]


def step_scalars(spec: TrainingSpec, step: int) -> tuple[str, dict[str, Any]]:
    """``(recipe, kwargs)``: ``getattr(zkattest._core, recipe)(**kwargs)`` gives the
    scalars of ``step`` recomputed from the spec's hyperparameters and the schedule's
    ``lr_t`` (the AdamW step count is ``step + 1``, as torch counts)."""
    opt = spec.optimizer
    lr = lr_at(spec.schedule, step).value
    if opt.KIND == "adamw":
        return "adamw_scalars", {
            "lr": lr,
            "beta1": opt.betas[0].value,
            "beta2": opt.betas[1].value,
            "eps": opt.eps.value,
            "weight_decay": opt.weight_decay.value,
            "step": step + 1,
            "maximize": False,
        }
    return "sgd_scalars", {
        "lr": lr,
        "momentum": opt.momentum.value,
        "dampening": opt.dampening.value,
        "weight_decay": opt.weight_decay.value,
        "nesterov": opt.nesterov,
        "maximize": False,
    }


def statement_step(step: int) -> int:
    """The ``step`` field of the step statement for log step ``step`` (0-based): the
    1-based optimizer step number torch counts (``state["step"]`` after the update),
    which AdamW's bias corrections use and the prover requires to match its scalars."""
    return step + 1


def pinned_hyperparameters(spec: TrainingSpec) -> dict[str, Any]:
    """The param-group values (binary64 floats equal to the spec's FP32 values) a run
    must use for its steps to be provable: the verifier recomputes the scalars from
    exactly these (``lr`` follows the schedule and is set every step)."""
    opt = spec.optimizer
    if opt.KIND == "adamw":
        return {
            "betas": (opt.betas[0].value, opt.betas[1].value),
            "eps": opt.eps.value,
            "weight_decay": opt.weight_decay.value,
        }
    return {
        "momentum": opt.momentum.value,
        "dampening": opt.dampening.value,
        "weight_decay": opt.weight_decay.value,
        "nesterov": opt.nesterov,
    }


def buffer_name(param: str, buffer: str) -> str:
    """The committed name of an optimizer buffer of ``param``."""
    return f"{OPTIM_STATE_PREFIX}{param}.{buffer}"


# --- bundle entries ------------------------------------------------------------------------


@dataclass(frozen=True)
class StepProof:
    """One proved challenge: the statement's public bytes, the STARK proof, and the
    openings of its leaves (see the module docstring for ``before``)."""

    step: int
    tensor: str
    chunk: int
    statement: bytes
    proof: bytes
    before: tuple[dict[str, str], ...]
    grad: bytes
    after: tuple[bytes, ...]

    def public_json(self) -> dict[str, Any]:
        """The ``public`` object of the proof index entry."""
        return {
            "after": [p.hex() for p in self.after],
            "before": [dict(b) for b in self.before],
            "grad": self.grad.hex(),
            "statement": self.statement.hex(),
            "tensor": self.tensor,
        }

    def add_to(self, writer: BundleWriter) -> ProofEntry:
        """Add this proof to a bundle being written."""
        return writer.add_proof(
            STEP_PROOF_KIND,
            self.proof,
            public=self.public_json(),
            step=self.step,
            chunk=self.chunk,
        )


def _hex_field(d: Mapping[str, Any], key: str, what: str) -> bytes:
    v = d[key]
    if not isinstance(v, str) or len(v) % 2 or v != v.lower():
        raise MalformedError(f"{what}.{key} must be lowercase hex")
    try:
        return bytes.fromhex(v)
    except ValueError:
        raise MalformedError(f"{what}.{key} must be lowercase hex") from None


def _fields(d: Any, keys: Sequence[str], what: str) -> None:
    if not isinstance(d, dict):
        raise MalformedError(f"{what} must be an object")
    if set(d) != set(keys):
        raise MalformedError(f"{what} must have exactly the fields {', '.join(sorted(keys))}")


def check_step_public(public: Mapping[str, Any], what: str) -> None:
    """Shape of a step proof's ``public`` object (:class:`MalformedError` if wrong)."""
    _fields(public, ("after", "before", "grad", "statement", "tensor"), what)
    if not isinstance(public["tensor"], str) or not public["tensor"]:
        raise MalformedError(f"{what}.tensor must be a non-empty string")
    for key in ("grad", "statement"):
        _hex_field(public, key, what)
    for key in ("before", "after"):
        if not isinstance(public[key], list) or not 1 <= len(public[key]) <= 1 + max(
            map(len, _BUFFERS.values())
        ):
            raise MalformedError(f"{what}.{key} must be a list of 1 to 3 items")
    for i, b in enumerate(public["before"]):
        where = f"{what}.before[{i}]"
        if not isinstance(b, dict) or len(b) != 1 or next(iter(b)) not in ("opening", "zero_salt"):
            raise MalformedError(f"{where} must be {{'opening': hex}} or {{'zero_salt': hex}}")
        _hex_field(b, next(iter(b)), where)
    for i, a in enumerate(public["after"]):
        if not isinstance(a, str):
            raise MalformedError(f"{what}.after[{i}] must be hex")
        _hex_field({"v": a}, "v", f"{what}.after[{i}]")


def _roots(ctx: ProofContext, t: int) -> tuple[bytes, bytes, bytes]:
    """``(r_t, g_t, r_t+1)`` from the log records (and the genesis root for t = 0)."""
    rec = ctx.records.get(t)
    if rec is None:
        raise VerificationError(f"step {t} is not in the log")
    if t == 0:
        if ctx.genesis_root is None:
            raise VerificationError("the genesis state root did not verify")
        before = ctx.genesis_root
    else:
        prev = ctx.records.get(t - 1)
        if prev is None:
            raise VerificationError(f"step {t - 1} is not in the log")
        before = prev.state_root
    return bytes.fromhex(before), bytes.fromhex(rec.grad_root), bytes.fromhex(rec.state_root)


def verify_step_proof(proof: bytes, public: Mapping[str, Any], ctx: ProofContext) -> None:
    """Verify one step proof entry: the STARK, that its public scalars are the ones
    recomputed from the spec and ``lr_t``, its step / size / optimizer, and that every
    leaf opens against the logged roots under the right name and chunk index."""
    from zkattest import _core

    spec, e = ctx.spec, ctx.entry
    t, c, tensor = e.step, e.chunk, public["tensor"]
    if t is None or c is None:
        raise MalformedError(f"{e.name}: a step proof needs a step and a chunk")
    try:
        n = chunk_elements(spec, tensor, c)
    except InvalidInputError as ex:
        raise VerificationError(f"{e.name}: {ex}") from None
    statement = bytes.fromhex(public["statement"])
    try:
        info = _core.step_public_info(statement)
    except (MalformedError, InvalidInputError) as ex:
        raise MalformedError(f"{e.name}: statement: {ex}") from None
    if info["step"] != statement_step(t):
        raise VerificationError(
            f"{e.name}: the statement is about optimizer step {info['step']}, not "
            f"{statement_step(t)} (log step {t})"
        )
    if info["n"] != n:
        raise VerificationError(
            f"{e.name}: the statement covers {info['n']} elements, chunk {c} of {tensor!r} has {n}"
        )
    if info["optimizer"] != spec.optimizer.KIND:
        raise VerificationError(
            f"{e.name}: a {info['optimizer']} statement, the spec declares {spec.optimizer.KIND}"
        )
    recipe, kw = step_scalars(spec, t)
    want = getattr(_core, recipe)(**kw).as_dict()
    if dict(info["scalars"]) != want:
        diff = sorted(
            k for k in set(want) | set(info["scalars"]) if info["scalars"].get(k) != want.get(k)
        )
        raise VerificationError(
            f"{e.name}: public scalars differ from those recomputed from the spec and lr_t "
            f"(fields {', '.join(diff)})"
        )
    _core.step_verify_chunk(statement, proof)
    r_t, g_t, r_next = _roots(ctx, t)
    slots = (tensor, *(buffer_name(tensor, b) for b in step_buffers(spec)))
    leaves_before, leaves_after = list(info["leaves_before"]), list(info["leaves_after"])
    before, after = public["before"], public["after"]
    if len(before) != len(leaves_before) or len(after) != len(leaves_after):
        raise VerificationError(f"{e.name}: openings do not match the statement's slots")
    # Fewer "before" slots than buffers: SGD's first momentum step (torch creates the
    # buffer from the gradient), which only step 0 may be.
    short_ok = t == 0 and len(leaves_before) == 1 and spec.optimizer.KIND == "sgd"
    if len(leaves_after) != len(slots) or not (len(leaves_before) == len(slots) or short_ok):
        raise VerificationError(
            f"{e.name}: the statement has {len(leaves_before)} / {len(leaves_after)} slots, "
            f"the spec's optimizer needs {len(slots)}"
        )
    where = f"{e.name}: step {t} chunk {c}"
    for name, leaf, b in zip(slots, leaves_before, before, strict=False):
        if "opening" in b:
            _open(r_t, name, c, leaf, bytes.fromhex(b["opening"]), f"{where}: {name} before")
        else:
            if t != 0 or name == tensor:
                raise VerificationError(
                    f"{where}: {name} is shown as an absent (zero) buffer, which only an "
                    "optimizer buffer at step 0 may be"
                )
            if leaf_hash(bytes.fromhex(b["zero_salt"]), bytes(n * _ELEM)) != leaf:
                raise VerificationError(f"{where}: {name} before is not the zero buffer")
    _open(
        g_t,
        f"{GRAD_PREFIX}{tensor}",
        c,
        info["grad_leaf"],
        bytes.fromhex(public["grad"]),
        f"{where}: gradient",
    )
    for name, leaf, a in zip(slots, leaves_after, after, strict=True):
        _open(r_next, name, c, leaf, bytes.fromhex(a), f"{where}: {name} after")


def _open(root: bytes, name: str, chunk: int, leaf: bytes, opening: bytes, what: str) -> None:
    try:
        verify_leaf(root, name, chunk, leaf, opening)
    except VerificationError as e:
        raise VerificationError(
            f"{what}: the leaf does not open against the logged root ({e})"
        ) from None
    except MalformedError as e:
        raise MalformedError(f"{what}: {e}") from None


# --- proving -------------------------------------------------------------------------------


def _prove_job(job: dict[str, Any]) -> tuple[bytes, bytes]:
    """Runs in an executor worker: prove one chunk (picklable arguments only)."""
    from zkattest import _core

    scalars = getattr(_core, job["recipe"])(**job["scalars"])
    return _core.step_prove_chunk(
        scalars,
        job["step"],
        job["param"],
        job["grad"],
        job["bufs"],
        job["salts_before"],
        job["grad_salt"],
        job["salts_after"],
    )


def default_executor(max_workers: int | None = None) -> concurrent.futures.Executor:
    """A process pool (spawned workers: safe beside torch's threads)."""
    return concurrent.futures.ProcessPoolExecutor(
        max_workers=max_workers, mp_context=multiprocessing.get_context("spawn")
    )


def _words(tb: TensorBytes, chunk: int, chunk_size: int, what: str) -> np.ndarray:
    if tb.dtype != "f32":
        raise ProvingError(f"{what} is {tb.dtype}; v1 step proofs cover float32 only")
    data = tb.data[chunk * chunk_size : (chunk + 1) * chunk_size]
    return np.array(data, dtype=np.uint8, copy=True).view(np.uint32)


@dataclass
class _Pending:
    challenge: Challenge
    before: tuple[dict[str, str], ...]
    grad: bytes
    after: tuple[bytes, ...]
    roots: tuple[bytes, bytes, bytes]
    names: tuple[str, ...]


def _progress(total: int, quiet: bool) -> Any:
    if quiet:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return None
    return tqdm(total=total, desc="zkattest: proving", unit="chunk", file=sys.stderr)


def prove_challenges(
    challenges: ChallengeSet | Iterable[Challenge],
    *,
    spec: TrainingSpec,
    witness: WitnessStore,
    salt_seed: bytes,
    log: RunLog,
    genesis_root: bytes | str,
    executor: concurrent.futures.Executor | None = None,
    quiet: bool = False,
    on_proof: Callable[[StepProof], None] | None = None,
) -> list[StepProof]:
    """Prove every challenge from the witness store, through ``executor`` (any
    :class:`concurrent.futures.Executor`: a process pool by default, Dask's
    ``Client.get_executor()`` for a cluster).

    Each challenged step's stored state and gradients are recommitted first and must
    give the logged roots (else :class:`ProvingError`: the store does not belong to this
    log); each proof's leaves are opened against the roots before it is returned, so a
    run whose committed update is not the declared one fails here, naming the step and
    chunk. Returns the proofs in challenge order; with ``on_proof``, each proof is
    instead handed to it (in this thread) as soon as it is ready and not kept (memory
    stays bounded), and the returned list is empty.
    """
    if not isinstance(spec, TrainingSpec):
        raise InvalidInputError(f"spec: expected a TrainingSpec, got {type(spec).__name__}")
    items = sorted(challenges.challenges if isinstance(challenges, ChallengeSet) else challenges)
    genesis = _hex32(genesis_root, "genesis_root")
    committer = StateCommitter(bytes(salt_seed), chunk_size=spec.commitment.chunk_size)
    csize = spec.commitment.chunk_size
    bufs = step_buffers(spec)
    for ch in items:
        if not isinstance(ch, Challenge):
            raise InvalidInputError(f"expected Challenge objects, got {type(ch).__name__}")
        if not 0 <= ch.step < log.size:
            raise InvalidInputError(f"challenge {ch}: the log has {log.size} steps")
        chunk_elements(spec, ch.tensor, ch.chunk)
    own = executor is None
    pool = default_executor() if own else executor
    assert pool is not None
    bar = _progress(len(items), quiet)
    results: dict[Challenge, StepProof] = {}
    inflight: dict[concurrent.futures.Future[Any], _Pending] = {}
    limit = 4 * (getattr(pool, "_max_workers", None) or 2)

    def collect(block: bool) -> None:
        done, _ = concurrent.futures.wait(
            list(inflight),
            timeout=None if block else 0,
            return_when=concurrent.futures.FIRST_COMPLETED,
        )
        for fut in done:
            p = inflight.pop(fut)
            try:
                statement, proof = fut.result()
            except ZkattestError as e:
                raise ProvingError(f"proving {p.challenge}: {e}") from None
            sp = _finish(p, statement, proof)
            if on_proof is not None:
                on_proof(sp)
            else:
                results[p.challenge] = sp
            if bar is not None:
                bar.update(1)

    try:
        by_step: dict[int, list[Challenge]] = {}
        for ch in items:
            by_step.setdefault(ch.step, []).append(ch)
        for t, chs in sorted(by_step.items()):
            rec = log.record(t)
            r_t = bytes.fromhex(log.record(t - 1).state_root) if t else genesis
            roots = (r_t, bytes.fromhex(rec.grad_root), bytes.fromhex(rec.state_root))
            state, grads, nxt = witness.state(t), witness.grads(t), witness.state(t + 1)
            commits = []
            for tensors, key, root, what in (
                (state, t, roots[0], f"state before step {t}"),
                (grads, t + 1, roots[1], f"gradients of step {t}"),
                (nxt, t + 1, roots[2], f"state after step {t}"),
            ):
                c = committer.commit(tensors, key)
                if c.root != root:
                    raise ProvingError(
                        f"the stored {what} does not commit to the logged root (the witness "
                        "store belongs to another run, or was damaged)"
                    )
                commits.append(c)
            recipe, kw = step_scalars(spec, t)
            for ch in chs:
                job, pending = _job(ch, spec, bufs, csize, (state, grads, nxt), commits, committer)
                job.update(recipe=recipe, scalars=kw)
                pending.roots = roots
                while len(inflight) >= limit:
                    collect(block=True)
                inflight[pool.submit(_prove_job, job)] = pending
        while inflight:
            collect(block=True)
    finally:
        for fut in inflight:
            fut.cancel()
        if bar is not None:
            bar.close()
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
    return [results[ch] for ch in items] if on_proof is None else []


def _job(
    ch: Challenge,
    spec: TrainingSpec,
    bufs: tuple[str, ...],
    csize: int,
    stored: tuple[Mapping[str, TensorBytes], ...],
    commits: list[Any],
    committer: StateCommitter,
) -> tuple[dict[str, Any], _Pending]:
    t, name, c = ch.step, ch.tensor, ch.chunk
    state, grads, nxt = stored
    gname = f"{GRAD_PREFIX}{name}"
    if name not in state or name not in nxt:
        raise ProvingError(f"step {t}: parameter {name!r} is not in the committed state")
    if gname not in grads:
        raise ProvingError(
            f"step {t}: parameter {name!r} had no gradient, so its update cannot be proved"
        )
    n = chunk_elements(spec, name, c)
    slots = (name, *(buffer_name(name, b) for b in bufs))
    words, salts, before = [], [], []
    for s in slots:
        salt = committer.chunk_salt(t, s, c)
        if s in state:
            words.append(_words(state[s], c, csize, f"{s} before step {t}"))
            before.append({"opening": commits[0].prove_chunk(s, c).data.hex()})
        elif t == 0 and s != name and spec.optimizer.KIND == "adamw":
            words.append(np.zeros(n, dtype=np.uint32))  # torch's initial AdamW state
            before.append({"zero_salt": salt.hex()})
        elif t == 0 and s != name:
            continue  # SGD's first momentum step creates the buffer from the gradient
        else:
            raise ProvingError(f"step {t}: {s!r} is not in the committed state before the step")
        salts.append(salt)
    after, salts_after = [], []
    for s in slots:
        if s not in nxt:
            raise ProvingError(f"step {t}: {s!r} is not in the committed state after the step")
        salts_after.append(committer.chunk_salt(t + 1, s, c))
        after.append(commits[2].prove_chunk(s, c).data)
    job = {
        "step": statement_step(t),
        "param": words[0],
        "grad": _words(grads[gname], c, csize, f"{gname} of step {t}"),
        "bufs": words[1:],
        "salts_before": salts,
        "grad_salt": committer.chunk_salt(t + 1, gname, c),
        "salts_after": salts_after,
    }
    pending = _Pending(
        ch,
        tuple(before),
        commits[1].prove_chunk(gname, c).data,
        tuple(after),
        (b"", b"", b""),
        slots,
    )
    return job, pending


def _finish(p: _Pending, statement: bytes, proof: bytes) -> StepProof:
    """Open the statement's leaves against the roots: an honest prover's check that the
    committed run is the declared one (the verifier repeats it)."""
    from zkattest import _core

    ch = p.challenge
    info = _core.step_public_info(statement)
    r_t, g_t, r_next = p.roots
    where = f"step {ch.step}, {ch.tensor!r} chunk {ch.chunk}"
    try:
        for name, leaf, b in zip(p.names, info["leaves_before"], p.before, strict=False):
            if "opening" in b:
                verify_leaf(r_t, name, ch.chunk, leaf, bytes.fromhex(b["opening"]))
        verify_leaf(g_t, f"{GRAD_PREFIX}{ch.tensor}", ch.chunk, info["grad_leaf"], p.grad)
    except VerificationError as e:
        raise ProvingError(f"{where}: inputs do not open against the logged roots: {e}") from None
    for name, leaf, opening in zip(p.names, info["leaves_after"], p.after, strict=True):
        try:
            verify_leaf(r_next, name, ch.chunk, leaf, opening)
        except VerificationError:
            raise ProvingError(
                f"{where}: the committed {name!r} after the step is not the declared update "
                "(did training use zkattest.optim with exactly the spec's hyperparameters "
                "and the schedule's learning rate?)"
            ) from None
    return StepProof(ch.step, ch.tensor, ch.chunk, statement, proof, p.before, p.grad, p.after)


def count_per_step(spec: TrainingSpec) -> int:
    """Number of (tensor, chunk) pairs per step (the universe is ``steps x`` this)."""
    return sum(chunks for _, _, chunks in challenge_layout(spec))


def expected_proving_chunks(spec: TrainingSpec, steps: int) -> int:
    """How many chunks a run of ``steps`` steps proves under the spec's policy."""
    return spec.challenges.num_challenges(count_per_step(spec) * steps)
