"""Public, seeded initialization recipes: W0 = Init(seed) (DESIGN §2, genesis).

A recipe is a library-defined, deterministic function of a secret seed. The spec names
it (:func:`recipe`) and commits to the seed (hiding); anyone who is later given the
seed and its opening can re-run the recipe on a freshly built model and recompute the
genesis state root (:func:`genesis_root`), e.g. an auditor under NDA, or everyone once
the run is released.

``torch_default_v1``: seeds torch's CPU generator with the first 8 bytes (little endian,
top bit cleared) of ``SHA-256(tag || seed)`` and calls ``reset_parameters()`` on every
submodule that has one, in ``model.modules()`` order; the global RNG state is restored
afterwards. The result is bit-identical for a given torch version and model class on
CPU (torch's initializers are not guaranteed stable across torch versions, so the
verifier must use the trainer's torch version).

Public re-run (genesis recomputation): a bundle may disclose a :class:`GenesisOpening`
(the seed, its opening and step 0's key). The verifier then rebuilds a stand-in model
from the spec's fingerprint alone (:func:`model_from_fingerprint`), runs the recipe on
it and recommits it (:func:`recompute_genesis_root`). The stand-in reproduces
torch's ``reset_parameters`` of the modules a fingerprint can identify: a parameter
group (the parameters of one module) ``{weight (2-D or more), bias (1-D)?}`` is
initialized as ``nn.Linear`` / ``nn.ConvNd`` / ``nn.ConvTransposeNd`` (the same rule
in torch: Kaiming-uniform with ``a = sqrt(5)``, bias uniform in +-1/sqrt(fan_in)), a
group ``{weight (1-D), bias (1-D)?}`` as a norm layer (ones, zeros; no random draws).
Models with buffers, embeddings or other parameter names cannot be re-run from their
fingerprint: :func:`check_rerunnable` tells the trainer before training.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from zkattest.commit import (
    DIGEST_LEN,
    StateCommitter,
    commit_with_step_key,
    tensors_from_optimizer,
    tensors_from_state_dict,
)
from zkattest.errors import InvalidInputError, MalformedError, VerificationError
from zkattest.spec import InitRecipe, ModelFingerprint, commit_secret, open_secret
from zkattest.spec.constants import MAX_SECRET_SIZE, SECRET_BLINDING_SIZE

#: Name of the recipe in the spec's ``init`` section.
RECIPE_TORCH_DEFAULT_V1: Final = "torch_default_v1"
#: Domain tag of the seed derivation.
SEED_TAG: Final = b"zkattest.init.torch_default_v1\x00"

#: Step whose key a genesis opening discloses (the genesis state is committed under it).
GENESIS_STEP: Final = 0

__all__ = [
    "GENESIS_STEP",
    "RECIPE_TORCH_DEFAULT_V1",
    "SEED_TAG",
    "GenesisOpening",
    "check_rerunnable",
    "genesis_root",
    "init_module",
    "model_from_fingerprint",
    "recipe",
    "recompute_genesis_root",
]


def _torch_seed(seed: bytes) -> int:
    if not isinstance(seed, bytes | bytearray) or not seed:
        raise InvalidInputError("seed: expected non-empty bytes")
    digest = hashlib.sha256(SEED_TAG + bytes(seed)).digest()
    return int.from_bytes(digest[:8], "little") & ((1 << 63) - 1)


def init_module(model: Any, seed: bytes) -> Any:
    """Initialize ``model`` in place with recipe ``torch_default_v1``; returns it."""
    import torch

    if not isinstance(model, torch.nn.Module):
        raise InvalidInputError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(_torch_seed(seed))
        for m in model.modules():
            reset = getattr(m, "reset_parameters", None)
            if callable(reset):
                reset()
    return model


def recipe(seed: bytes) -> tuple[InitRecipe, bytes]:
    """The spec's ``init`` for ``torch_default_v1`` with a hiding commitment to
    ``seed``, and the commitment's opening (keep both seed and opening private)."""
    _torch_seed(seed)
    commitment, opening = commit_secret(bytes(seed))
    return InitRecipe(RECIPE_TORCH_DEFAULT_V1, commitment), opening


def genesis_root(
    init: InitRecipe,
    seed: bytes,
    opening: bytes,
    model: Any,
    optimizer: Any = None,
    *,
    salt_seed: bytes,
    chunk_size: int,
) -> str:
    """Recompute the genesis state root: check that ``(seed, opening)`` opens the
    recipe's seed commitment, initialize ``model`` (freshly built, any weights) with
    the recipe, and commit it (plus the optimizer's initial, normally empty, state)
    under step key 0. Raises :class:`~zkattest.errors.InvalidInputError` on a wrong
    recipe name or opening."""
    if not isinstance(init, InitRecipe) or init.name != RECIPE_TORCH_DEFAULT_V1:
        raise InvalidInputError(f"init: expected the {RECIPE_TORCH_DEFAULT_V1} recipe, got {init}")
    if not open_secret(init.seed_commitment, opening, bytes(seed)):
        raise InvalidInputError("init: the seed and opening do not open the seed commitment")
    init_module(model, seed)
    tensors = tensors_from_state_dict(model.state_dict())
    if optimizer is not None:
        tensors.update(tensors_from_optimizer(optimizer, model))
    return StateCommitter(salt_seed, chunk_size=chunk_size).commit(tensors, step=0).root.hex()


# --- public re-run from the fingerprint -------------------------------------------------


@dataclass(frozen=True)
class GenesisOpening:
    """What a bundle discloses so that anyone can re-run the init recipe: the init
    ``seed`` and its ``seed_opening`` (they open the spec's ``seed_commitment``), the
    ``step_key`` of step 0 (it salts only the genesis commitment: no other step's
    salts follow from it) and the trainer's ``torch_version`` (torch's initializers
    are bit-stable only within one version). It makes W0 public."""

    seed: bytes
    seed_opening: bytes
    step_key: bytes
    torch_version: str

    def to_json(self) -> dict[str, Any]:
        """``{"seed", "seed_opening", "step_key", "torch_version"}`` (bytes as hex)."""
        return {
            "seed": self.seed.hex(),
            "seed_opening": self.seed_opening.hex(),
            "step_key": self.step_key.hex(),
            "torch_version": self.torch_version,
        }

    @classmethod
    def from_json(cls, value: Any, what: str = "genesis opening") -> GenesisOpening:
        """Parse :meth:`to_json`; :class:`MalformedError` names the bad field."""
        keys = ("seed", "seed_opening", "step_key", "torch_version")
        if not isinstance(value, Mapping) or set(value) != set(keys):
            raise MalformedError(f"{what}: expected an object with fields {', '.join(keys)}")
        raw: dict[str, bytes] = {}
        sizes = (("seed", None), ("seed_opening", SECRET_BLINDING_SIZE), ("step_key", DIGEST_LEN))
        for k, size in sizes:
            v = value[k]
            ok = isinstance(v, str) and v == v.lower() and 0 < len(v) <= 2 * MAX_SECRET_SIZE
            try:
                raw[k] = bytes.fromhex(v) if ok else b""
            except ValueError:
                raw[k] = b""
            if not raw[k] or (size is not None and len(raw[k]) != size):
                want = f"{size} bytes" if size else f"1 to {MAX_SECRET_SIZE} bytes"
                raise MalformedError(f"{what}.{k} must be lowercase hex of {want}")
        tv = value["torch_version"]
        if not isinstance(tv, str) or not 0 < len(tv) <= 64:
            raise MalformedError(f"{what}.torch_version must be a short non-empty string")
        return cls(raw["seed"], raw["seed_opening"], raw["step_key"], tv)


def _groups(fingerprint: ModelFingerprint) -> list[tuple[str, dict[str, tuple[int, ...]]]]:
    """Parameters grouped by owning module path, in first-appearance order."""
    groups: dict[str, dict[str, tuple[int, ...]]] = {}
    for p in fingerprint.parameters:
        owner, _, local = p.name.rpartition(".")
        groups.setdefault(owner, {})[local] = p.shape
    return list(groups.items())


def _group_kind(owner: str, params: Mapping[str, tuple[int, ...]]) -> str:
    w, b = params.get("weight"), params.get("bias")
    where = f"module {owner or '<root>'!r} with parameters {sorted(params)}"
    if w is None or set(params) - {"weight", "bias"}:
        raise InvalidInputError(f"init: cannot re-run the recipe from the fingerprint: {where}")
    if b is not None and len(b) != 1:
        raise InvalidInputError(f"init: {where}: a bias must be 1-D")
    if len(w) >= 2:
        return "kaiming"
    if len(w) == 1 and (b is None or b == w):
        return "norm"
    raise InvalidInputError(f"init: cannot re-run the recipe from the fingerprint: {where}")


def model_from_fingerprint(fingerprint: ModelFingerprint) -> Any:
    """A stand-in ``torch.nn.Module`` with the fingerprint's parameters (same names,
    shapes, dtypes, order) whose ``reset_parameters`` do what torch's Linear / Conv /
    norm layers do (see the module docstring). Raises
    :class:`~zkattest.errors.InvalidInputError` for a fingerprint it cannot rebuild."""
    import torch

    if not isinstance(fingerprint, ModelFingerprint):
        raise InvalidInputError(
            f"fingerprint: expected a ModelFingerprint, got {type(fingerprint).__name__}"
        )

    class Stand(torch.nn.Module):
        kind: str | None = None

        def reset_parameters(self) -> None:
            if self.kind == "kaiming":
                # The very function torch's Linear uses (ConvNd's is the same rule).
                torch.nn.Linear.reset_parameters(self)  # type: ignore[arg-type]
            elif self.kind == "norm":
                torch.nn.init.ones_(self.weight)
                if getattr(self, "bias", None) is not None:
                    torch.nn.init.zeros_(self.bias)

    dtypes = {p.name: getattr(torch, p.dtype) for p in fingerprint.parameters}
    root = Stand()
    try:
        for owner, params in _groups(fingerprint):
            node = root
            for part in owner.split(".") if owner else ():
                child = node._modules.get(part)
                if child is None:
                    child = Stand()
                    node.add_module(part, child)
                node = child
            node.kind = _group_kind(owner, params)
            if "bias" not in params:
                node.bias = None
            for local, shape in params.items():
                full = f"{owner}.{local}" if owner else local
                t = torch.empty(shape, dtype=dtypes[full])
                node.register_parameter(local, torch.nn.Parameter(t))
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise InvalidInputError(
            f"init: cannot rebuild the model from its fingerprint: {e}"
        ) from None
    if ModelFingerprint.from_module(root) != fingerprint:
        raise InvalidInputError(
            "init: the fingerprint's parameter order cannot be rebuilt (a module holds "
            "parameters after its submodules')"
        )
    return root


def recompute_genesis_root(
    init: InitRecipe,
    fingerprint: ModelFingerprint,
    opening: GenesisOpening,
    *,
    chunk_size: int,
) -> str:
    """The genesis state root anyone can recompute from a disclosed opening: checks that
    it opens the recipe's seed commitment (:class:`VerificationError` if not), runs the
    recipe on :func:`model_from_fingerprint` (on CPU), and commits the parameters under
    the disclosed step key with an empty optimizer state (as every v1 optimizer starts:
    its state is created by the first step)."""
    if not isinstance(init, InitRecipe) or init.name != RECIPE_TORCH_DEFAULT_V1:
        raise InvalidInputError(f"init: expected the {RECIPE_TORCH_DEFAULT_V1} recipe, got {init}")
    if not isinstance(opening, GenesisOpening):
        raise InvalidInputError(f"opening: expected a GenesisOpening, got {type(opening).__name__}")
    if not open_secret(init.seed_commitment, opening.seed_opening, opening.seed):
        raise VerificationError("the disclosed init seed does not open the spec's seed_commitment")
    model = init_module(model_from_fingerprint(fingerprint), opening.seed)
    tensors = tensors_from_state_dict(model.state_dict())
    return commit_with_step_key(opening.step_key, tensors, chunk_size=chunk_size).root.hex()


def check_rerunnable(model: Any, fingerprint: ModelFingerprint, seed: bytes) -> None:
    """Raise :class:`~zkattest.errors.InvalidInputError` unless re-running the recipe
    from ``fingerprint`` gives exactly ``model``'s current state (parameters and
    buffers), i.e. unless a verifier can recompute this run's genesis root."""
    import torch

    stand = init_module(model_from_fingerprint(fingerprint), seed)
    mine, theirs = model.state_dict(), stand.state_dict()
    if set(mine) != set(theirs):
        extra = sorted(set(mine) - set(theirs))[:4]
        raise InvalidInputError(
            f"init: the model's state has tensors the fingerprint does not list ({extra}: "
            "buffers); its genesis cannot be re-run from the fingerprint"
        )
    for k, v in mine.items():
        if not torch.equal(v.detach().cpu(), theirs[k]):
            raise InvalidInputError(
                f"init: {k!r} differs from {RECIPE_TORCH_DEFAULT_V1}(seed) re-run from the "
                "fingerprint: initialize with zkattest.init.init_module(model, seed), and "
                "use only modules the fingerprint identifies (Linear, Conv, norm layers)"
            )
