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
"""

from __future__ import annotations

import hashlib
from typing import Any, Final

from zkattest.commit import StateCommitter, tensors_from_optimizer, tensors_from_state_dict
from zkattest.errors import InvalidInputError
from zkattest.spec import InitRecipe, commit_secret, open_secret

#: Name of the recipe in the spec's ``init`` section.
RECIPE_TORCH_DEFAULT_V1: Final = "torch_default_v1"
#: Domain tag of the seed derivation.
SEED_TAG: Final = b"zkattest.init.torch_default_v1\x00"

__all__ = ["RECIPE_TORCH_DEFAULT_V1", "SEED_TAG", "genesis_root", "init_module", "recipe"]


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
