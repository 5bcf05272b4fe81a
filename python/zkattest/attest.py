"""Attest a PyTorch training loop: ``with zkattest.attest(...) as run:`` (DESIGN §2).

The wrapper hooks the optimizer (``register_step_pre_hook`` / ``register_step_post_hook``)
and leaves the training loop unchanged. Only real optimizer steps count: a step that
``torch.amp.GradScaler`` skips never calls ``optimizer.step()``, so no hook fires.

    data = CommittedDataset(dataset)                       # zkattest.data
    loader = DataLoader(data, batch_size=32, sampler=data.sampler(seed=0))
    with zkattest.attest(model, optimizer, spec=spec, bundle="run.zkab", key=sk,
                         salt_seed=salt_seed, data=data, sampler=loader.sampler) as run:
        for x, y in loader:
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            optimizer.step()
    # run.bundle now verifies with `zkattest verify run.zkab --public-key run.pub`

Per step ``t`` (0-based):

- pre-hook (before ``step()`` mutates anything): waits for the previous state
  commitment, sets every param group's ``lr`` to ``lr_at(spec.schedule, t)``
  (``set_lr=True``), takes the batch the sampler yielded since the previous step and
  commits it (:func:`zkattest.data.batch_commitment`), and starts committing the
  gradients on a background thread, overlapping ``step()`` (which only reads them);
- post-hook: waits for the gradient root, then starts committing the new state
  (parameters, buffers, optimizer state) under step key ``t + 1`` on the background
  thread; that hashing (Rust, GIL released) overlaps the next forward / backward,
  which read the parameters but do not write them. **Do not modify parameters or
  optimizer state between steps** (e.g. ``load_state_dict``) while attesting.

The background thread is used only where it finds idle cores (``overlap=None``: the
model is on an accelerator, or torch's intra-op threads leave a CPU free). Where torch
already keeps every core busy, both commitments run in the hooks on the training thread
(hashing on all cores): background hashing would only compete with forward / backward.

Records are appended to the run log and a signed checkpoint is made every
``checkpoint_every`` steps (and at the end). ``on_checkpoint(n)`` is called just
before the ``n`` records become durable: save the model / optimizer (/ sampler) state
there. Leaving the ``with`` block normally writes the bundle (spec, genesis, log,
invariants, optionally the final weights, final statement, manifest); leaving it with
an exception keeps the work directory for a resume and writes no bundle.

Resume contract: the work directory (``<bundle>.work`` by default) holds the run log
and the genesis root. After a crash, :func:`resume_step` tells how many steps the log
holds; load the torch state you saved in ``on_checkpoint`` at that step count, then
enter ``attest(..., resume=True)``: the wrapper recommits the loaded state and refuses
it (``InvalidInputError``) unless it equals the last logged state root, then counts on
from that step. Keep the previous saved state until ``on_checkpoint`` is called again:
a crash between saving and the log write leaves the log one checkpoint behind.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import math
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from zkattest.bundle import BundleWriter
from zkattest.commit import (
    StateCommitter,
    ViewCache,
    tensors_from_optimizer,
    tensors_from_state_dict,
)
from zkattest.constants import RECORD_EXTRA_HYPERPARAMETERS
from zkattest.data import RECORD_EXTRA_BATCH, CommittedDataset
from zkattest.errors import InvalidInputError, ZkattestIOError
from zkattest.invariants import hyperparameters_record_form
from zkattest.log import RunLog, StepRecord, fp32_hex
from zkattest.schedule import lr_at
from zkattest.spec import TrainingSpec, open_secret
from zkattest.spec.constants import SEED_DERIVATION_FIAT_SHAMIR_V1
from zkattest.witness import WITNESS_DIR, WitnessStore

#: Default number of steps between signed checkpoints.
DEFAULT_CHECKPOINT_EVERY: Final = 50
#: Names of the files in the work directory.
WORK_LOG: Final = "log.db"
WORK_GENESIS: Final = "genesis.json"
WORK_WEIGHTS: Final = "model.safetensors"
#: States smaller than this (bytes) are hashed on the training thread: for them a
#: background thread costs more (hand-off, GIL contention) than the hashing it hides.
SYNC_COMMIT_BYTES: Final = 1 << 20
#: Prefix of gradient tensor names in the gradient commitment.
GRAD_PREFIX: Final = "grad."

__all__ = [
    "DEFAULT_CHECKPOINT_EVERY",
    "Attestation",
    "UnprovedBundleWarning",
    "attest",
    "resume_step",
]


class UnprovedBundleWarning(UserWarning):
    """The bundle being written lacks the step proofs its spec challenges (``prove=False``
    or verifier-supplied challenges): ``zkattest verify`` fails it unless
    ``--allow-unproved`` is given."""


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _work_dir(bundle: str | os.PathLike[str], work_dir: str | os.PathLike[str] | None) -> Path:
    return Path(work_dir) if work_dir is not None else Path(f"{os.fspath(bundle)}.work")


def resume_step(
    bundle: str | os.PathLike[str], work_dir: str | os.PathLike[str] | None = None
) -> int | None:
    """Steps already in the run log of an interrupted run (load the torch state saved
    at this step count before resuming), or ``None`` if there is nothing to resume."""
    path = _work_dir(bundle, work_dir) / WORK_LOG
    if not path.exists():
        return None
    with RunLog.open(path, "r") as log:
        return log.size


def _check_inputs(model: Any, optimizer: Any, spec: Any) -> None:
    import torch

    from zkattest import optim
    from zkattest.spec._torch import optimizer_from_torch
    from zkattest.spec.model import ModelFingerprint

    if not isinstance(spec, TrainingSpec):
        raise InvalidInputError(f"spec: expected a TrainingSpec, got {type(spec).__name__}")
    if not isinstance(model, torch.nn.Module):
        raise InvalidInputError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(optimizer, optim.AdamW | optim.SGD):
        raise InvalidInputError(
            f"optimizer: expected zkattest.optim.AdamW or zkattest.optim.SGD (the canonical "
            f"optimizers whose steps can be proved), got {type(optimizer).__module__}."
            f"{type(optimizer).__name__}"
        )
    for name, p in model.named_parameters():
        if p.dtype != torch.float32:
            raise InvalidInputError(f"model: parameter {name!r} is {p.dtype}, v1 needs float32")
    if ModelFingerprint.from_module(model) != spec.model:
        raise InvalidInputError(
            "model: its parameters (names, shapes, dtypes) differ from the spec's model fingerprint"
        )
    got = optimizer_from_torch(optimizer)
    # The lr in param_groups follows the schedule during a run; the spec's is the base.
    if type(got) is not type(spec.optimizer) or (
        dataclasses.replace(got, lr=spec.optimizer.lr) != spec.optimizer
    ):
        raise InvalidInputError(
            f"optimizer: {got} does not match the spec's optimizer {spec.optimizer}"
        )


class Attestation:
    """A running attestation (what ``with attest(...) as run`` binds). See :func:`attest`."""

    def __init__(
        self,
        model: Any,
        optimizer: Any,
        *,
        spec: TrainingSpec,
        bundle: str | os.PathLike[str],
        key: Any,
        salt_seed: bytes,
        salt_opening: bytes | None = None,
        data: CommittedDataset | None = None,
        sampler: Any = None,
        signed_spec: Mapping[str, Any] | None = None,
        work_dir: str | os.PathLike[str] | None = None,
        checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY,
        on_checkpoint: Callable[[int], None] | None = None,
        resume: bool = False,
        set_lr: bool = True,
        release_weights: bool = False,
        disclose_final_key: bool = False,
        claims: Mapping[str, bool] | None = None,
        tokens_per_example: int = 1,
        quiet: bool = False,
        overlap: bool | None = None,
        init_seed: bytes | None = None,
        init_opening: bytes | None = None,
        parent_step_key: bytes | None = None,
        prove: bool | None = None,
        prove_executor: concurrent.futures.Executor | None = None,
        keep_witness: bool = False,
    ) -> None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        _check_inputs(model, optimizer, spec)
        if not isinstance(key, Ed25519PrivateKey):
            raise InvalidInputError(
                f"key: expected an Ed25519 private key, got {type(key).__name__}"
            )
        if not isinstance(salt_seed, bytes | bytearray):
            raise InvalidInputError("salt_seed: expected bytes")
        if salt_opening is not None and not open_secret(
            spec.commitment.salt_seed_commitment, salt_opening, bytes(salt_seed)
        ):
            raise InvalidInputError("salt_seed: does not open the spec's salt_seed_commitment")
        if data is not None:
            if not isinstance(data, CommittedDataset):
                raise InvalidInputError(
                    f"data: expected a zkattest.data.CommittedDataset, got {type(data).__name__}"
                )
            if data.root.hex() != spec.dataset.root or len(data) != spec.dataset.size:
                raise InvalidInputError(
                    f"data: root {data.root.hex()} / size {len(data)} differ from the spec's "
                    f"dataset {spec.dataset.root} / {spec.dataset.size}"
                )
        if sampler is not None and not callable(getattr(sampler, "take", None)):
            raise InvalidInputError("sampler: expected a zkattest.data.RecordingSampler")
        if type(checkpoint_every) is not int or checkpoint_every < 1:
            raise InvalidInputError(
                f"checkpoint_every must be a positive int, got {checkpoint_every!r}"
            )
        self.model, self.optimizer, self.spec, self.key = model, optimizer, spec, key
        self.bundle = Path(bundle)
        self.work_dir = _work_dir(bundle, work_dir)
        self.data, self.sampler = data, sampler
        self.signed_spec = signed_spec
        self.checkpoint_every = checkpoint_every
        self.on_checkpoint = on_checkpoint
        self.resume, self.set_lr, self.quiet = resume, set_lr, quiet
        self.release_weights, self.disclose_final_key = release_weights, disclose_final_key
        self.claims = dict(claims or {})
        if type(tokens_per_example) is not int or tokens_per_example < 1:
            raise InvalidInputError(
                f"tokens_per_example must be a positive int, got {tokens_per_example!r}"
            )
        self.tokens_per_example = tokens_per_example
        if overlap is not None and not isinstance(overlap, bool):
            raise InvalidInputError(f"overlap must be None or a bool, got {overlap!r}")
        #: Hash the large commitments on a background thread (see :func:`_idle_cores`).
        self.overlap = _idle_cores(model) if overlap is None else overlap
        self._check_genesis_options(init_seed, init_opening, parent_step_key)
        self.init_seed, self.init_opening = init_seed, init_opening
        self.parent_step_key = parent_step_key
        self._opening: Any = None  # the GenesisOpening, once checked
        self.committer = StateCommitter(bytes(salt_seed), chunk_size=spec.commitment.chunk_size)
        self._views = ViewCache()  # the state's tensors are updated in place: views persist
        # Step proofs (zkattest.proofs): the witness store keeps every committed state and
        # gradient until the challenges are known (after the final checkpoint).
        if not (prove is None or isinstance(prove, bool)) or not isinstance(keep_witness, bool):
            raise InvalidInputError("prove must be None or a bool, keep_witness a bool")
        #: Why a default (``prove=None``) run does not prove after all, for the warning.
        self._unprovable: str | None = None
        self._prove_explicit = prove is True
        if prove is None:  # prove exactly when the spec's policy selects chunks to prove
            prove = _derives_challenges(spec)
        if prove and spec.challenges.seed_derivation != SEED_DERIVATION_FIAT_SHAMIR_V1:
            raise InvalidInputError(
                "prove=True proves the Fiat-Shamir challenges; this spec's challenges are "
                f"{spec.challenges.seed_derivation!r} (keep the witness store and prove them "
                "with zkattest.proofs.prove_challenges)"
            )
        if prove_executor is not None and not isinstance(
            prove_executor, concurrent.futures.Executor
        ):
            raise InvalidInputError("prove_executor must be a concurrent.futures.Executor")
        self.prove, self.prove_executor, self.keep_witness = prove, prove_executor, keep_witness
        self._salt_seed = bytes(salt_seed)
        self._witness: WitnessStore | None = None
        self._wpool: concurrent.futures.ThreadPoolExecutor | None = None
        #: Step proofs added to the bundle, and the seconds spent proving them.
        self.step_proofs = 0
        self.proving_s = 0.0
        self._hp = hyperparameters_record_form(spec)
        self._names = {id(p): n for n, p in model.named_parameters()}
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="zkattest")
        self._hooks: list[Any] = []
        self._log: RunLog | None = None
        self._buffer: list[StepRecord] = []
        self._pending: dict[str, Any] | None = None  # the step whose state root is hashing
        self._explicit_batch: list[int] | None = None
        self.genesis_root = ""
        self.final_state_root = ""
        self.step = 0
        #: Seconds the training thread spent waiting on or doing attestation work.
        self.overhead_s = 0.0

    # -- public ---------------------------------------------------------------------------

    def discard_batch(self) -> None:
        """Forget the indices drawn since the last step: call it when an iteration's
        step was skipped (``torch.amp.GradScaler`` on inf / NaN gradients), otherwise
        its batch is counted as part of the next real step's batch::

            scale = scaler.get_scale()
            scaler.step(optimizer)
            scaler.update()
            if scaler.get_scale() < scale:  # the step was skipped
                run.discard_batch()
        """
        self._explicit_batch = None
        if self.sampler is not None:
            self.sampler.take()

    def record_batch(self, indices: Sequence[int]) -> None:
        """Declare the dataset indices of the next step's batch (instead of a sampler)."""
        self._explicit_batch = [int(i) for i in indices]

    def wait(self) -> str:
        """Block until the last step's commitments are done and its record is buffered;
        returns the current state root (hex). Benchmarks use it to charge a step all of
        its attestation work; a training loop never needs to call it."""
        t0 = time.perf_counter()
        self._resolve_pending()
        self.overhead_s += time.perf_counter() - t0
        return self.final_state_root

    # -- genesis --------------------------------------------------------------------------

    def _check_genesis_options(
        self, seed: bytes | None, opening: bytes | None, parent_key: bytes | None
    ) -> None:
        from zkattest.init import RECIPE_TORCH_DEFAULT_V1
        from zkattest.spec import InitRecipe, ParentInit

        init = self.spec.init
        if (seed is None) != (opening is None):
            raise InvalidInputError("init_seed and init_opening go together")
        if seed is not None:
            if not isinstance(init, InitRecipe) or init.name != RECIPE_TORCH_DEFAULT_V1:
                raise InvalidInputError(
                    f"init_seed: the spec's init is not the {RECIPE_TORCH_DEFAULT_V1} recipe"
                )
            if not isinstance(seed, bytes) or not isinstance(opening, bytes):
                raise InvalidInputError("init_seed / init_opening: expected bytes")
            if not open_secret(init.seed_commitment, opening, seed):
                raise InvalidInputError(
                    "init_seed / init_opening do not open the spec's init seed_commitment"
                )
        if isinstance(init, ParentInit) != (parent_key is not None):
            raise InvalidInputError(
                "parent_step_key: required exactly when the spec's init is a parent run (the "
                "parent's final step key, from its final statement or its salt seed)"
            )
        if parent_key is not None and (not isinstance(parent_key, bytes) or len(parent_key) != 32):
            raise InvalidInputError("parent_step_key: expected 32 bytes")

    def _commit_genesis(self) -> str:
        """The genesis root of the current state: under step 0's key, or, for a parent
        run, under the parent's final step key (so that it equals the parent's final
        state root when the state is the parent's final state)."""
        if self.parent_step_key is None:
            return self.committer.commit(self.state_tensors(), step=0).root.hex()
        from zkattest.commit import commit_with_step_key

        root = commit_with_step_key(
            self.parent_step_key, self.state_tensors(), chunk_size=self.spec.commitment.chunk_size
        ).root.hex()
        want = self.spec.init.final_state_root  # type: ignore[union-attr]
        if root != want:
            raise InvalidInputError(
                f"genesis: the model / optimizer state committed under parent_step_key is "
                f"{root[:16]}…, not the parent run's final state root {want[:16]}…: load the "
                "parent's final weights and optimizer state (its model.safetensors) and pass "
                "its final step key"
            )
        return root

    def _genesis_opening(self) -> Any:
        """The :class:`~zkattest.init.GenesisOpening` to disclose, after checking that a
        verifier re-running the recipe from the fingerprint gets this genesis root."""
        from zkattest.init import (
            GENESIS_STEP,
            GenesisOpening,
            check_rerunnable,
            recompute_genesis_root,
        )

        if self.init_seed is None:
            return None
        import torch

        assert self.init_opening is not None
        opening = GenesisOpening(
            self.init_seed,
            self.init_opening,
            self.committer.step_key(GENESIS_STEP),
            str(torch.__version__),
        )
        got = recompute_genesis_root(
            self.spec.init,  # type: ignore[arg-type]
            self.spec.model,
            opening,
            chunk_size=self.spec.commitment.chunk_size,
        )
        if got != self.genesis_root:
            if self.step == 0 and not self.optimizer.state:
                check_rerunnable(self.model, self.spec.model, self.init_seed)  # says why
            raise InvalidInputError(
                "init_seed: re-running the recipe from the spec's fingerprint does not give "
                "this run's genesis root (was the model initialized with "
                "zkattest.init.init_module(model, seed), with an empty optimizer state?)"
            )
        return opening

    # -- lifecycle ------------------------------------------------------------------------

    def state_tensors(self, snapshot_buffers: bool = False) -> dict[str, Any]:
        """The committed state: ``model.state_dict()`` plus the optimizer state.

        ``snapshot_buffers`` copies the module buffers (e.g. BatchNorm running
        statistics, which the next forward pass updates in place while the state is
        hashed in the background); parameters and optimizer state are read in place.
        """
        sd = self.model.state_dict()
        if snapshot_buffers:
            buffers = {n for n, _ in self.model.named_buffers()}
            sd = {k: v.detach().clone() if k in buffers else v for k, v in sd.items()}
        return {
            **tensors_from_state_dict(sd, views=self._views),
            **tensors_from_optimizer(self.optimizer, self.model, views=self._views),
        }

    def __enter__(self) -> Attestation:
        log_path = self.work_dir / WORK_LOG
        genesis_path = self.work_dir / WORK_GENESIS
        digest = self.spec.digest()
        if self.bundle.exists():
            raise ZkattestIOError(f"{self.bundle}: already exists")
        if self.prove and not self.resume:  # before anything is written
            self._check_provable()
            if self.prove:
                self._check_witness_space()
        if self.resume:
            if not log_path.exists() or not genesis_path.exists():
                raise ZkattestIOError(f"{self.work_dir}: no interrupted run to resume")
            try:
                g = json.loads(genesis_path.read_bytes())
                genesis_root, genesis_spec = str(g["state_root"]), g["spec_digest"]
            except (OSError, ValueError, KeyError, TypeError) as e:
                raise ZkattestIOError(f"{genesis_path}: unreadable ({e})") from None
            if genesis_spec != digest:
                raise InvalidInputError(f"{genesis_path}: belongs to another spec")
            self.genesis_root = genesis_root
            self._log = RunLog.open(log_path, "a")
            if self._log.log_id != digest:
                self._log.close()
                raise InvalidInputError(f"{log_path}: belongs to another spec")
            self.step = self._log.size
            want = self._log.record(self.step - 1).state_root if self.step else self.genesis_root
            got = (
                self.committer.commit(self.state_tensors(), step=self.step).root.hex()
                if self.step
                else self._commit_genesis()
            )
            if got != want:
                self._log.close()
                raise InvalidInputError(
                    f"resume: the model / optimizer state does not match the run log after "
                    f"{self.step} step(s); load the state saved by on_checkpoint({self.step})"
                )
            self.final_state_root = want
        else:
            if log_path.exists():
                raise ZkattestIOError(
                    f"{log_path}: an earlier run's log exists; pass resume=True or remove "
                    f"{self.work_dir}"
                )
            self.genesis_root = self._commit_genesis()
            self.final_state_root = self.genesis_root
            # A disclosure that would not verify fails here, before training.
            self._opening = self._genesis_opening()
            self.work_dir.mkdir(parents=True, exist_ok=True)
            tmp = genesis_path.with_suffix(".tmp")
            with open(tmp, "wb") as f:
                f.write(
                    json.dumps({"spec_digest": digest, "state_root": self.genesis_root}).encode()
                )
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, genesis_path)
            self._log = RunLog.create(log_path, digest)
        if self.prove and self.resume:  # against the resumed step count
            self._check_provable()
            if self.prove:
                self._check_witness_space()
        if self.prove:
            self._start_witness()
        if self.sampler is not None:
            self.sampler.take()  # indices drawn before the first attested step are not a batch
        self._hooks = [
            self.optimizer.register_step_pre_hook(self._pre_hook),
            self.optimizer.register_step_post_hook(self._post_hook),
        ]
        self._say(f"attesting from step {self.step} (work dir {self.work_dir})")
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        for h in self._hooks:
            h.remove()
        self._hooks = []
        try:
            if exc_type is None:
                self._resolve_pending()
                self._flush(final=True)
                self._write_bundle()
                self._warn_unproved()
        finally:
            self._pool.shutdown(wait=True)
            if self._wpool is not None:
                self._wpool.shutdown(wait=True)
            if self._log is not None:
                self._log.close()

    # -- hooks ----------------------------------------------------------------------------

    def _pre_hook(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        t0 = time.perf_counter()
        t = self.step
        # torch passes step()'s own arguments, ``self`` first.
        if any(a is not None for a in args[1:]) or kwargs.get("closure") is not None:
            # The closure would recompute the gradients after they were committed.
            raise InvalidInputError("optimizer.step(closure) is not supported while attesting")
        if t >= self.spec.max_steps:
            raise InvalidInputError(
                f"step {t}: the spec declares max_steps={self.spec.max_steps}; "
                "stop training (no further step can be attested)"
            )
        self._resolve_pending()
        lr = lr_at(self.spec.schedule, t)
        if self.set_lr:
            for g in optimizer.param_groups:
                g["lr"] = lr.value
        lrs = {fp32_hex(float(g["lr"]), exact=False) for g in optimizer.param_groups}
        if len(lrs) != 1:
            raise InvalidInputError(f"step {t}: param groups use different learning rates {lrs}")
        batch = self._take_batch(t)
        grads = {
            f"{GRAD_PREFIX}{self._names[id(p)]}": p.grad
            for g in optimizer.param_groups
            for p in g["params"]
            if p.grad is not None
        }
        from zkattest.commit import as_tensor_bytes

        views = {n: as_tensor_bytes(n, v) for n, v in grads.items()}
        self._pending = {
            "step": t,
            "lr": lrs.pop(),
            "batch": batch,
            "grad": self._commit(views, t + 1),
        }
        if self._wpool is not None and self._witness is not None:  # step() only reads grads
            self._pending["wgrad"] = self._wpool.submit(self._witness.put_grads, t, views)
        self.overhead_s += time.perf_counter() - t0

    def _post_hook(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        t0 = time.perf_counter()
        p = self._pending
        assert p is not None
        p["grad_root"] = p.pop("grad").result().root.hex()
        state = self.state_tensors(snapshot_buffers=True)
        p["state"] = self._commit(state, p["step"] + 1)
        if self._wpool is not None and self._witness is not None:
            p.pop("wgrad").result()  # before zero_grad / backward may reuse the gradients
            p["wstate"] = self._wpool.submit(self._witness.put_state, p["step"] + 1, state)
        self.step += 1
        if self.step % self.checkpoint_every == 0:
            self._resolve_pending()
            self._flush()
        self.overhead_s += time.perf_counter() - t0

    # -- internals ------------------------------------------------------------------------

    def _commit(self, tensors: dict[str, Any], step: int) -> concurrent.futures.Future[Any]:
        """Commit ``tensors`` under ``step``'s key: on the background thread, or at
        once when they are small (:data:`SYNC_COMMIT_BYTES`) or ``overlap`` is off."""
        if self.overlap and sum(v.nbytes for v in tensors.values()) >= SYNC_COMMIT_BYTES:
            return self._pool.submit(self.committer.commit, tensors, step)
        done: concurrent.futures.Future[Any] = concurrent.futures.Future()
        done.set_result(self.committer.commit(tensors, step))
        return done

    def _say(self, msg: str) -> None:
        if not self.quiet:
            print(f"zkattest: {msg}", file=sys.stderr)

    def _take_batch(self, t: int) -> list[int]:
        if self._explicit_batch is not None:
            batch, self._explicit_batch = self._explicit_batch, None
        elif self.sampler is not None:
            batch = self.sampler.take()
        else:
            raise InvalidInputError(
                f"step {t}: no batch recorded; pass sampler= (a RecordingSampler) or call "
                "run.record_batch(indices) before optimizer.step()"
            )
        if not batch:
            raise InvalidInputError(f"step {t}: the sampler yielded no index since the last step")
        return batch

    def _resolve_pending(self) -> None:
        p, self._pending = self._pending, None
        if p is None:
            return
        state = p["state"].result()
        if "wstate" in p:
            p["wstate"].result()
        self.final_state_root = state.root.hex()
        batch = p["batch"]
        if self.data is None:
            raise InvalidInputError("data: a CommittedDataset is required")
        commitment = self.data.batch_commitment(batch).hex()
        self._buffer.append(
            StepRecord(
                step=p["step"],
                state_root=self.final_state_root,
                grad_root=p["grad_root"],
                batch_commitment=commitment,
                tokens=len(batch) * self.tokens_per_example,
                lr=p["lr"],
                timestamp_ms=_now_ms(),
                extra={
                    RECORD_EXTRA_HYPERPARAMETERS: self._hp,
                    RECORD_EXTRA_BATCH: {"indices": batch},
                },
            )
        )

    def _flush(self, final: bool = False) -> None:
        """Make the buffered records durable and sign a checkpoint at the new size."""
        assert self._log is not None
        n = self._log.size + len(self._buffer)
        if not self._buffer and (not final or self._log_checkpointed()):
            return
        if self.on_checkpoint is not None and self._buffer:
            self.on_checkpoint(n)
        if self._witness is not None:
            self._witness.sync()  # the log never runs ahead of its witnesses
        self._log.extend(self._buffer)
        self._buffer = []
        self._log.checkpoint(self.key)

    def _log_checkpointed(self) -> bool:
        assert self._log is not None
        cps = self._log.checkpoints()
        return self._log.size == 0 or (bool(cps) and _size_of(cps[-1]) == self._log.size)

    def _write_bundle(self) -> None:
        assert self._log is not None
        state_ok = all(
            bool(math.isfinite(v))
            for v in (float(p.detach().abs().sum()) for p in self.model.parameters())
        )
        declared = {inv.name for inv in self.spec.invariants}
        claims = {
            k: v
            for k, v in {"finite_state": state_ok, "data_provenance": True}.items()
            if k in declared
        }
        claims.update(self.claims)
        opening = self._opening if self._opening is not None else self._genesis_opening()
        batches = self._batch_proof()
        steps = [
            ("spec", lambda w: w.add_spec(self.spec, envelope=self.signed_spec)),
            ("genesis", lambda w: w.add_genesis(self.genesis_root, opening=opening)),
            *([("step proofs", self._prove_steps)] if self.prove else []),
            ("log", lambda w: w.add_log(self._log)),
            ("invariants", lambda w: w.add_invariants(claims=claims)),
        ]
        if batches is not None:
            steps.append(("batch proof", lambda w: self._add_batches(w, batches)))
        if self.release_weights:
            steps.append(("weights", lambda w: w.add_weights(self._save_weights())))
        key = self.committer.step_key(self._log.size) if self.disclose_final_key else None
        steps.append(("final", lambda w: w.add_final(step_key=key)))
        steps.append(("manifest", lambda w: w.finalize()))
        with BundleWriter(self.bundle, self.key) as w:
            for name, fn in _progress(steps, self.quiet):
                self._say(f"writing {name}")
                fn(w)
        self._say(f"bundle written: {self.bundle} ({self._log.size} steps)")
        if self._witness is not None and not self.keep_witness:
            self._witness.remove()

    def _start_witness(self) -> None:
        """Open the witness store, store the current state ``r_step`` (genesis, or the
        resumed state just checked against the log) and pin the param groups to the
        spec's FP32 hyperparameters, which the verifier's scalars are computed from."""
        from zkattest.proofs import pinned_hyperparameters

        pinned = pinned_hyperparameters(self.spec)
        for g in self.optimizer.param_groups:
            g.update(pinned)
        self._witness = WitnessStore(self.work_dir / WITNESS_DIR)
        self._witness.put_state(self.step, self.state_tensors())
        self._witness.sync()
        self._wpool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="zkattest-w")

    def _prove_steps(self, w: BundleWriter) -> None:
        """Prove the challenges derived from the final signed log root into ``w``."""
        from zkattest.proofs import derive_challenges, prove_challenges

        assert self._log is not None and self._witness is not None
        challenges = derive_challenges(self.spec, self._log.root(), self._log.size)
        self._say(f"proving step chunks: {challenges.describe()}")
        t0 = time.perf_counter()

        def add(proof: Any) -> None:
            proof.add_to(w)
            self.step_proofs += 1

        prove_challenges(
            challenges,
            spec=self.spec,
            witness=self._witness,
            salt_seed=self._salt_seed,
            log=self._log,
            genesis_root=self.genesis_root,
            executor=self.prove_executor,
            quiet=self.quiet,
            on_proof=add,
        )
        self.proving_s = time.perf_counter() - t0
        self._say(f"{self.step_proofs} step proof(s) in {self.proving_s:.1f} s")

    def _check_provable(self) -> None:
        """A step proof counts AdamW steps from this run's start (bias corrections use
        log step ``t + 1``): an optimizer state that counts otherwise (a fine-tune
        continuing a parent's AdamW state) cannot be proved in v1. Refused for
        ``prove=True`` (before training); ``prove=None`` then does not prove, and warns."""
        if self.spec.optimizer.KIND != "adamw":
            return
        counts = {
            int(st["step"]) for st in self.optimizer.state.values() if st.get("step") is not None
        }
        if not counts or counts == {self.step}:
            return
        why = (
            f"the optimizer's AdamW step count is {min(counts)}, not {self.step} (its state "
            "continues another run, e.g. a parent's): step proofs count AdamW steps from the "
            "start of this run, so its steps cannot be proved in v1"
        )
        if self._prove_explicit:
            raise InvalidInputError(f"prove=True: {why}; pass prove=False")
        self.prove, self._unprovable = False, why

    def _check_witness_space(self) -> None:
        """The witness store keeps every step's state and gradients until the challenges
        are known: refuse (``prove=True``) or skip proving (``prove=None``, with a
        warning at close) when ``max_steps`` of them would not fit on the work dir's
        disk, before any training time is spent. Also says up front how many chunks the
        close will prove."""
        import shutil

        from zkattest.proofs import challenge_layout

        state = sum(v.nbytes for v in self.state_tensors().values())
        grads = sum(p.numel() * p.element_size() for p in self.model.parameters())
        steps = max(0, self.spec.max_steps - self.step)
        need = state * (steps + 1) + grads * steps
        where = self.work_dir
        while not where.exists() and where != where.parent:
            where = where.parent
        free = shutil.disk_usage(where).free
        if need > free:
            why = (
                f"the witness store would need {need / 1e9:.1f} GB for max_steps="
                f"{self.spec.max_steps} ({(state + grads) / 1e6:.1f} MB per step: every "
                f"committed state and gradient, kept until the challenges are known) and "
                f"{where} has {free / 1e9:.1f} GB free"
            )
            if self._prove_explicit:
                raise ZkattestIOError(
                    f"prove=True: {why}; free space, pass work_dir= on a larger disk, or "
                    "prove=False"
                )
            self.prove, self._unprovable = False, why
            self._say(f"not proving: {why}")
            return
        chunks = sum(c for _, _, c in challenge_layout(self.spec))
        total = chunks * self.spec.max_steps
        if total and self.spec.challenges.seed_derivation == SEED_DERIVATION_FIAT_SHAMIR_V1:
            k = self.spec.challenges.num_challenges(total)
            self._say(
                f"step proofs on: the close proves about {k} of {total} (step, chunk) pairs "
                f"if the run reaches max_steps; witness store up to {need / 1e9:.2f} GB"
            )

    def _warn_unproved(self) -> None:
        """Warn (once, at close) when the bundle lacks the step proofs its spec challenges."""
        from zkattest.proofs import challenge_layout, derive_challenges

        assert self._log is not None
        if self.prove or not self._log.size or not challenge_layout(self.spec):
            return
        if self.spec.challenges.seed_derivation == SEED_DERIVATION_FIAT_SHAMIR_V1:
            k = derive_challenges(self.spec, self._log.root(), self._log.size).k
            reason = self._unprovable or "prove=False"
            why = f"{reason}: {self.bundle} carries no step proof of its {k} challenged chunk(s)"
        else:
            why = (
                f"the spec's challenges are {self.spec.challenges.seed_derivation!r}: "
                f"{self.bundle} carries no step proof"
            )
        warnings.warn(
            f"zkattest.attest: {why}, so `zkattest verify` fails its proofs.coverage check "
            "unless run with --allow-unproved (the state transitions are then not attested)",
            UnprovedBundleWarning,
            stacklevel=3,
        )

    def _batch_proof(self) -> Any:
        """The multi-proof of every example the logged batches drew (the whole log,
        so a resumed run's earlier steps are covered too)."""
        assert self._log is not None and self.data is not None
        used: set[int] = set()
        for r in self._log.records():
            b = r.extra.get(RECORD_EXTRA_BATCH)
            if isinstance(b, dict):
                used.update(b["indices"])
        return self.data.multiproof(used) if self._log.size else None

    def _add_batches(self, w: BundleWriter, proof: Any) -> None:
        try:
            w.add_batches(proof)
        except InvalidInputError as e:  # too large for bundle v1: the run still gets a bundle
            self._say(f"no batch proof in the bundle ({e}); data.batches will be unchecked")

    def _save_weights(self) -> Path:
        """The final state as safetensors, named as the state commitment names it."""
        import safetensors.torch

        named = dict(self.model.state_dict())
        for p, st in self.optimizer.state.items():
            for k, v in st.items():
                if v is not None:
                    named[f"optim.state.{self._names[id(p)]}.{k}"] = v
        path = self.work_dir / WORK_WEIGHTS
        fd, tmp = tempfile.mkstemp(dir=self.work_dir, suffix=".safetensors")
        os.close(fd)
        safetensors.torch.save_file(
            {k: v.detach().clone().contiguous() for k, v in named.items()}, tmp
        )
        os.replace(tmp, path)
        return path


def _size_of(envelope: Mapping[str, Any]) -> int:
    from zkattest.dsse import b64decode
    from zkattest.statement import Statement

    st = Statement.from_json(b64decode(envelope["payload"]))
    return int(st.predicate["size"])


def _idle_cores(model: Any) -> bool:
    """Whether background hashing would find idle cores: the model is on an accelerator,
    or torch's intra-op threads leave a CPU free. Where torch keeps every core busy,
    hashing in the background only competes with forward / backward (oversubscribed
    OpenMP threads stall at their barriers), and hashing on all cores right after
    ``step()`` costs less (measured: ``zkattest bench overhead``)."""
    import torch

    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    on_cpu = all(p.device.type == "cpu" for p in model.parameters())
    return not on_cpu or torch.get_num_threads() < cpus


def _derives_challenges(spec: TrainingSpec) -> bool:
    """Whether ``attest`` can prove the spec's challenges at close (``prove=None``): they
    are Fiat-Shamir-derived and select chunks (the model has FP32 parameters; the policy,
    a fraction > 0 or a count >= 1, then selects at least one chunk of any non-empty run)."""
    from zkattest.proofs import challenge_layout

    fiat_shamir = spec.challenges.seed_derivation == SEED_DERIVATION_FIAT_SHAMIR_V1
    return fiat_shamir and bool(challenge_layout(spec))


def _progress(items: list[Any], quiet: bool) -> Any:
    if quiet:
        return items
    try:
        from tqdm import tqdm
    except ImportError:
        return items
    return tqdm(items, desc="zkattest: finalizing", unit="part")


def attest(
    model: Any,
    optimizer: Any,
    *,
    spec: TrainingSpec,
    bundle: str | os.PathLike[str],
    key: Any,
    salt_seed: bytes,
    data: CommittedDataset,
    sampler: Any = None,
    **options: Any,
) -> Attestation:
    """Attest the training loop inside ``with attest(...) as run:``.

    - ``model`` / ``optimizer``: must match the spec (fingerprint, optimizer kind and
      hyperparameters); the optimizer must be ``zkattest.optim.AdamW`` / ``SGD`` and the
      parameters float32 (else :class:`~zkattest.errors.InvalidInputError`).
    - ``spec``: the declared spec (its signed envelope from ``sign_spec`` may be passed
      as ``signed_spec=``); ``key``: the run's Ed25519 signing key.
    - ``salt_seed``: the secret seed of the state commitments (``salt_opening=`` checks
      it against the spec's commitment).
    - ``data``: the :class:`~zkattest.data.CommittedDataset` the spec commits to;
      ``sampler``: its :class:`~zkattest.data.RecordingSampler` (or call
      ``run.record_batch(indices)`` before every step).
    - ``bundle``: where the bundle is written when the block exits normally.

    Options (keyword): ``work_dir``, ``checkpoint_every`` (default 50),
    ``on_checkpoint(n)``, ``resume``, ``set_lr`` (default True: the schedule drives the
    lr), ``release_weights`` (include the final weights), ``disclose_final_key``
    (publish the final step key), ``claims`` (trainer claims for invariants nobody can
    recompute yet), ``tokens_per_example`` (as given to ``TrainingSpec.from_torch``),
    ``overlap`` (hash state in the background, overlapping the next forward / backward;
    default: only where cores are idle), ``quiet``. See the module docstring for the
    resume contract.

    Genesis options: ``init_seed`` and ``init_opening`` (the seed given to
    :func:`zkattest.init.recipe` and the opening it returned) disclose the init seed
    and step 0's key in the bundle, so that the verifier re-runs the recipe and
    recomputes the genesis root (this makes W0 public; checked before training
    starts). ``parent_step_key`` (required for a spec whose init is a parent run) is
    the parent's final step key: the genesis state, which must be the parent's final
    state, is committed under it so that its root equals the parent's final root.

    Step proofs (``docs/proofs.md``): ``prove=True`` keeps every committed state and
    gradient in a witness store in the work directory (:mod:`zkattest.witness`; about
    16 bytes per parameter per step for AdamW), pins the param groups to the spec's FP32
    hyperparameters, and at the end proves the chunks challenged by the final signed
    log root (:func:`zkattest.proofs.derive_challenges`) through ``prove_executor`` (any
    ``concurrent.futures.Executor``; a process pool by default) into the bundle. The
    store is deleted afterwards unless ``keep_witness=True``; it is kept when the block
    exits with an exception (for a resume). The proving at close shows a progress bar
    (stderr) unless ``quiet``.

    Default ``prove=None``: prove when the spec's challenge policy selects any chunk
    (the model has FP32 parameters, and ``spec.challenges`` is a fraction > 0 or a count
    >= 1) and its seed derivation is Fiat-Shamir (``fiat_shamir_log_root_v1``); for
    verifier-supplied challenges it means ``False``. ``prove=False`` writes a bundle
    without step proofs: ``zkattest verify`` then fails its ``proofs.coverage`` check
    unless run with ``--allow-unproved``; an :class:`UnprovedBundleWarning` says so at
    close. A run whose AdamW state already counts steps (a fine-tune continuing a
    parent's optimizer state) is not provable in v1: ``prove=True`` raises
    :class:`~zkattest.errors.InvalidInputError` on entry, ``prove=None`` does not prove
    and warns why.
    """
    if data is None:
        raise InvalidInputError("data: a CommittedDataset is required (see zkattest.data)")
    return Attestation(
        model,
        optimizer,
        spec=spec,
        bundle=bundle,
        key=key,
        salt_seed=salt_seed,
        data=data,
        sampler=sampler,
        **options,
    )
