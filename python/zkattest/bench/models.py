"""Models and real, packaged data for the benchmarks and examples (nothing downloaded).

- :func:`digits_mlp` / :func:`digits_dataset`: the demo's MLP on scikit-learn's 8x8
  digits (1,797 images shipped inside scikit-learn).
- :class:`GPT` / :func:`stdlib_text_dataset`: a GPT-style byte-level decoder (token and
  position embeddings, pre-LN blocks with causal self-attention and a GELU MLP, untied
  head) trained on the source text of Python's own standard library, which ships with
  every Python install. The default :class:`GPTConfig` has about 10.9M parameters.
"""

from __future__ import annotations

import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from zkattest.errors import InvalidInputError

#: Byte-level vocabulary: every token is one byte of UTF-8 source text.
VOCAB_SIZE: Final = 256
#: Hidden width of the demo's digits MLP.
DIGITS_HIDDEN: Final = 64
#: Batch size of the demo's digits MLP.
DIGITS_BATCH: Final = 32

__all__ = [
    "DIGITS_BATCH",
    "DIGITS_HIDDEN",
    "GPT",
    "VOCAB_SIZE",
    "GPTConfig",
    "digits_dataset",
    "digits_mlp",
    "param_count",
    "stdlib_text_dataset",
]


@dataclass(frozen=True)
class GPTConfig:
    """Shape of a :class:`GPT`: context length, width, depth, heads (``d_model`` must
    be a multiple of ``n_head``)."""

    ctx: int = 256
    d_model: int = 384
    n_layer: int = 6
    n_head: int = 6
    vocab: int = VOCAB_SIZE

    def __post_init__(self) -> None:
        for name in ("ctx", "d_model", "n_layer", "n_head", "vocab"):
            value = getattr(self, name)
            if type(value) is not int or value < 1:
                raise InvalidInputError(f"GPTConfig.{name} must be a positive int, got {value!r}")
        if self.d_model % self.n_head:
            raise InvalidInputError(
                f"GPTConfig: d_model={self.d_model} is not a multiple of n_head={self.n_head}"
            )


class _Block(nn.Module):
    """Pre-LN transformer block: ``x + attn(ln1(x))``, then ``x + mlp(ln2(x))``."""

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.n_head = cfg.n_head
        self.ln1 = nn.LayerNorm(cfg.d_model)
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)
        self.ln2 = nn.LayerNorm(cfg.d_model)
        self.fc = nn.Linear(cfg.d_model, 4 * cfg.d_model)
        self.fc_out = nn.Linear(4 * cfg.d_model, cfg.d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q, k, v = (z.view(b, t, self.n_head, d // self.n_head).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, d))
        return x + self.fc_out(F.gelu(self.fc(self.ln2(x))))


class GPT(nn.Module):
    """A GPT-style decoder over bytes; ``forward(tokens)`` returns logits ``(B, T, vocab)``."""

    def __init__(self, cfg: GPTConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg = cfg or GPTConfig()
        self.tok = nn.Embedding(cfg.vocab, cfg.d_model)
        self.pos = nn.Embedding(cfg.ctx, cfg.d_model)
        self.blocks = nn.ModuleList(_Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, cfg.vocab, bias=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        t = tokens.shape[1]
        if t > self.cfg.ctx:
            raise InvalidInputError(f"sequence of {t} tokens is longer than ctx={self.cfg.ctx}")
        x = self.tok(tokens) + self.pos(torch.arange(t, device=tokens.device))
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))

    def loss(self, batch: torch.Tensor) -> torch.Tensor:
        """Next-byte cross-entropy on a ``(B, ctx + 1)`` batch of byte sequences."""
        batch = batch.long()
        logits = self(batch[:, :-1])
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))


def stdlib_text_dataset(ctx: int, n_examples: int) -> torch.Tensor:
    """``n_examples`` consecutive, non-overlapping byte sequences of length ``ctx + 1``
    (inputs plus next-byte targets) cut from the standard library's ``.py`` files, read
    in sorted path order (deterministic for a given Python install). Returns a
    ``(n_examples, ctx + 1)`` uint8 tensor."""
    if type(ctx) is not int or ctx < 1 or type(n_examples) is not int or n_examples < 1:
        raise InvalidInputError(
            f"ctx and n_examples must be positive ints, got {ctx!r}, {n_examples!r}"
        )
    need = n_examples * (ctx + 1)
    parts: list[bytes] = []
    have = 0
    root = Path(sysconfig.get_paths()["stdlib"])
    for path in sorted(root.glob("*.py")):
        try:
            parts.append(path.read_bytes())
        except OSError:
            continue
        have += len(parts[-1])
        if have >= need:
            break
    if have < need:
        raise InvalidInputError(
            f"the standard library at {root} has {have} bytes of source, {need} needed"
        )
    data = np.frombuffer(b"".join(parts)[:need], dtype=np.uint8)
    return torch.from_numpy(data.reshape(n_examples, ctx + 1).copy())


def digits_dataset() -> torch.utils.data.TensorDataset:
    """scikit-learn's 1,797 8x8 digit images (scaled to [0, 1]) and their labels."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.data / 16.0, dtype=torch.float32)
    y = torch.tensor(d.target, dtype=torch.long)
    return torch.utils.data.TensorDataset(x, y)


def digits_mlp(hidden: int = DIGITS_HIDDEN) -> nn.Module:
    """The demo's MLP: ``Linear(64, hidden) -> ReLU -> Linear(hidden, 10)``."""
    if type(hidden) is not int or hidden < 1:
        raise InvalidInputError(f"hidden must be a positive int, got {hidden!r}")
    return nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10))


def param_count(model: Any) -> int:
    """Number of parameters (shared ones counted once)."""
    return sum(p.numel() for p in model.parameters())
