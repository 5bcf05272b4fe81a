"""``zkattest inspect BUNDLE``: what a run declared and what it attests, for a person.

Without ``--public-key`` nothing is verified (the output says so); with it, every
envelope's signature is checked. ``zkattest verify`` is the command that recomputes
everything. Exit codes: 0 shown (and, with a key, every signature verified), 1 a
signature failed, 2 unreadable or malformed bundle / usage error, 3 unsupported version.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from zkattest import keys
from zkattest.bundle import BundleReader
from zkattest.constants import (
    BUNDLE_FINAL,
    BUNDLE_GENESIS,
    BUNDLE_INVARIANTS,
    BUNDLE_LOG,
    BUNDLE_MANIFEST,
    BUNDLE_PROVENANCE,
    BUNDLE_SPEC_ENVELOPE,
    PREDICATE_BUNDLE_V1,
    PREDICATE_FINAL_V1,
    PREDICATE_GENESIS_V1,
    PREDICATE_INVARIANTS_V1,
    PREDICATE_SPEC_V1,
    SLSA_PROVENANCE_V1,
)
from zkattest.errors import UnsupportedVersionError, VerificationError, ZkattestError
from zkattest.log import _iter_export, verify_jsonl
from zkattest.spec import InitRecipe, TrainingSpec
from zkattest.spec.optimizer import optimizer_to_json
from zkattest.spec.schedule import schedule_to_json

_ENVELOPES = (
    (BUNDLE_MANIFEST, PREDICATE_BUNDLE_V1),
    (BUNDLE_SPEC_ENVELOPE, PREDICATE_SPEC_V1),
    (BUNDLE_GENESIS, PREDICATE_GENESIS_V1),
    (BUNDLE_INVARIANTS, PREDICATE_INVARIANTS_V1),
    (BUNDLE_FINAL, PREDICATE_FINAL_V1),
    (BUNDLE_PROVENANCE, SLSA_PROVENANCE_V1),
)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "inspect",
        help="show what a bundle's run declared and attests (does not verify)",
        description="Show a proof bundle's declared spec (model, optimizer, schedule, "
        "budget, dataset, challenge policy, invariants) and what the run attests (steps, "
        "roots, checkpoints, proofs, invariants). Signatures are checked only with "
        "--public-key; use `zkattest verify` for a verdict.",
    )
    p.add_argument("bundle", metavar="BUNDLE", help="the bundle directory or .zkab file")
    p.add_argument("--public-key", "-k", metavar="K.pub", help="also check every signature")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    p.set_defaults(func=run)


def _fp(v: Any) -> Any:
    """FP32 objects as their decimal, recursively."""
    if isinstance(v, dict):
        if set(v) == {"bits", "decimal"}:
            return v["decimal"]
        return {k: _fp(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_fp(x) for x in v]
    return v


def declared(spec: TrainingSpec) -> dict[str, Any]:
    """The human summary of a spec (JSON-ready)."""
    dtypes = sorted({p.dtype for p in spec.model.parameters})
    init: dict[str, Any] = spec.init.to_json()
    return {
        "spec_digest": spec.digest(),
        "model": {
            "parameters": spec.num_parameters,
            "tensors": len(spec.model.parameters),
            "dtypes": dtypes,
        },
        "optimizer": _fp(optimizer_to_json(spec.optimizer)),
        "schedule": _fp(schedule_to_json(spec.schedule)),
        "batch_size": spec.batch_size,
        "max_steps": spec.max_steps,
        "flop_budget": spec.flop_budget.to_json(),
        "dataset": spec.dataset.to_json(),
        "init": init,
        "precision": spec.precision.to_json(),
        "commitment": spec.commitment.to_json(),
        "challenges": _fp(spec.challenges.to_json()),
        "invariants": [_fp(inv.to_json()) for inv in spec.invariants],
    }


class _Inspector:
    def __init__(self, reader: BundleReader, key: Ed25519PublicKey | None) -> None:
        self.r = reader
        self.key = key
        self.errors: list[str] = []
        self.signatures: dict[str, str] = {}
        self.unsupported = False
        self.bad_signature = False
        self._statements: dict[str, Any] = {}

    def section(self, name: str, fn: Callable[[], Any]) -> Any:
        """``fn()``, or None with the error noted."""
        try:
            return fn()
        except (ZkattestError, OSError) as e:
            self.note(name, e)
        return None

    def note(self, name: str, e: BaseException) -> None:
        if isinstance(e, UnsupportedVersionError):
            self.unsupported = True
        text = str(e)
        self.errors.append(text if text.startswith(name) else f"{name}: {text}")

    def statement(self, name: str, ptype: str) -> Any:
        """The statement of envelope ``name``, read once (a failure is reported once)."""
        if name not in self._statements:
            try:
                self._statements[name] = self._statement(name, ptype)
            except (ZkattestError, OSError) as e:
                self._statements[name] = None
                self.note(name, e)
        return self._statements[name]

    def _statement(self, name: str, ptype: str) -> Any:
        if not self.r.has(name):
            return None
        if self.key is not None:
            try:
                st = self.r.statement(name, self.key, ptype)
                self.signatures[name] = "verified"
                return st
            except VerificationError as e:
                self.signatures[name] = f"FAILED: {e}"
                self.bad_signature = True
        else:
            self.signatures[name] = "not checked"
        return self.r.statement(name, None, ptype)

    def run(self) -> dict[str, Any]:
        r = self.r
        out: dict[str, Any] = {"bundle": str(r.path)}
        manifest = self.section("manifest", lambda: self.r.manifest(None))
        for name, ptype in _ENVELOPES:
            self.statement(name, ptype)
        total = sum(r.size(n) for n in r.names())
        out["container"] = {
            "form": "directory" if r.path.is_dir() else "archive",
            "members": len(r.names()),
            "bytes": total,
        }
        if manifest is not None:
            out["manifest"] = {
                "bundle_version": manifest.bundle_version,
                "created": manifest.created,
                "zkattest_version": manifest.zkattest_version,
                "members_listed": len(manifest.members),
            }
        spec = self.section("spec", r.spec)
        out["declared"] = declared(spec) if spec is not None else None
        out["attested"] = self.attested(spec)
        out["signatures_verified"] = None if self.key is None else not self.bad_signature
        out["signatures"] = self.signatures
        out["errors"] = self.errors
        return out

    def attested(self, spec: TrainingSpec | None) -> dict[str, Any]:
        r = self.r
        att: dict[str, Any] = {}

        def log() -> dict[str, Any]:
            s = None
            if self.key is not None:
                try:
                    with r.open_lines(BUNDLE_LOG) as lines:
                        s = verify_jsonl(lines, self.key)
                    self.signatures[f"{BUNDLE_LOG} checkpoints"] = "verified"
                except VerificationError as e:
                    self.signatures[f"{BUNDLE_LOG} checkpoints"] = f"FAILED: {e}"
                    self.bad_signature = True
            if s is None:
                with r.open_lines(BUNDLE_LOG) as lines:
                    s = verify_jsonl(lines, None)
            first = last = None
            with r.open_lines(BUNDLE_LOG) as lines:
                for kind, obj, _ in _iter_export(lines, BUNDLE_LOG):
                    if kind == "record":
                        first = first or obj
                        last = obj
            return {
                "log_id": s.log_id,
                "steps": s.size,
                "root": s.root.hex(),
                "checkpoints": [
                    {"size": c.size, "timestamp_ms": c.timestamp_ms} for c in s.checkpoints
                ],
                "first_timestamp_ms": first.timestamp_ms if first else None,
                "last_timestamp_ms": last.timestamp_ms if last else None,
                "last_state_root": last.state_root if last else None,
            }

        att["log"] = self.section("log", log)
        g = self.statement(BUNDLE_GENESIS, PREDICATE_GENESIS_V1)
        att["genesis_state_root"] = g.predicate.get("state_root") if g is not None else None
        f = self.statement(BUNDLE_FINAL, PREDICATE_FINAL_V1)
        if f is not None:
            p = f.predicate
            att["final_state_root"] = p.get("final_state_root")
            att["weights"] = p.get("weights")
            att["step_key_disclosed"] = p.get("step_key") is not None

        def proofs() -> dict[str, Any]:
            kinds: dict[str, int] = {}
            steps = set()
            for e in r.proof_entries():
                kinds[e.kind] = kinds.get(e.kind, 0) + 1
                if e.step is not None:
                    steps.add(e.step)
            return {"count": sum(kinds.values()), "kinds": kinds, "steps_covered": len(steps)}

        att["proofs"] = self.section("proofs", proofs)
        inv = self.statement(BUNDLE_INVARIANTS, PREDICATE_INVARIANTS_V1)
        att["invariants"] = inv.predicate.get("invariants") if inv is not None else None
        att["provenance"] = r.has(BUNDLE_PROVENANCE)
        return att


def inspect_bundle(path: str, public_key: Ed25519PublicKey | None = None) -> dict[str, Any]:
    """What ``zkattest inspect --format json`` prints; ``"exit_code"`` included."""
    with BundleReader(path) as reader:
        ins = _Inspector(reader, public_key)
        out = ins.run()
    code = 0
    if ins.bad_signature:
        code = 1
    if ins.errors:
        code = 3 if ins.unsupported and not ins.bad_signature else 2
    out["exit_code"] = code
    return out


def _num(n: int) -> str:
    return f"{n:.3e}" if n >= 10**7 else f"{n:,}"


def _kv(d: Any) -> str:
    if isinstance(d, dict):
        return " ".join(f"{k}={_kv(v)}" for k, v in d.items() if k != "kind")
    if isinstance(d, list):
        return "(" + ", ".join(_kv(x) for x in d) + ")"
    return str(d)


def render_text(info: dict[str, Any]) -> str:
    """The person-readable form of :func:`inspect_bundle`'s result."""
    lines = []
    c = info["container"]
    m = info.get("manifest") or {}
    lines.append(
        f"Bundle      {info['bundle']} ({c['form']}, {c['members']} members, "
        f"{_num(c['bytes'])} bytes), format v{m.get('bundle_version', '?')}, "
        f"created {m.get('created', '?')}, zkattest {m.get('zkattest_version', '?')}"
    )
    if info["signatures_verified"] is None:
        lines.append(
            "Signatures  NOT verified (pass --public-key K.pub; `zkattest verify` checks "
            "everything)"
        )
    else:
        for name, status in info["signatures"].items():
            lines.append(f"Signature   {name}: {status}")
    d = info.get("declared")
    if d is not None:
        lines.append("")
        lines.append(f"Declared (spec {d['spec_digest']}):")
        mo = d["model"]
        lines.append(
            f"  model        {_num(mo['parameters'])} parameters in {mo['tensors']} tensors "
            f"({', '.join(mo['dtypes'])})"
        )
        lines.append(
            f"  optimizer    {d['optimizer']['kind']} {_kv(d['optimizer']['hyperparameters'])}"
        )
        lines.append(f"  schedule     {d['schedule']['kind']} {_kv(d['schedule'])}")
        lines.append(f"  batch size   {d['batch_size']}")
        lines.append(f"  max steps    {_num(d['max_steps'])}")
        fb = d["flop_budget"]
        lines.append(f"  FLOP budget  <= {_num(fb['max_flops'])} ({fb['formula']})")
        lines.append(
            f"  dataset      root {d['dataset']['root']}, {_num(d['dataset']['size'])} examples"
        )
        init = d["init"]
        if init["kind"] == InitRecipe.KIND:
            lines.append(f"  init         recipe {init['name']} (seed committed, hidden)")
        else:
            lines.append(
                f"  init         parent bundle {init['bundle_digest']}, "
                f"root {init['final_state_root']}"
            )
        pr = d["precision"]
        lines.append(
            f"  precision    params {pr['param_dtype']}, grads {pr['grad_dtype']}, "
            f"optimizer state {pr['optimizer_state_dtype']}"
        )
        co = d["commitment"]
        lines.append(f"  commitment   {co['scheme']}, {co['chunk_size']}-byte chunks")
        ch = d["challenges"]
        amount = ch.get("fraction", ch.get("count"))
        lines.append(
            f"  challenges   {ch['kind']} {amount} of (step, chunk) pairs, "
            f"seed {ch['seed_derivation']}"
        )
        invs = ", ".join(
            inv["name"]
            + (f"({_kv({k: v for k, v in inv.items() if k != 'name'})})" if len(inv) > 1 else "")
            for inv in d["invariants"]
        )
        lines.append(f"  invariants   {invs}")
    a = info.get("attested") or {}
    lines.append("")
    lines.append("Attested:")
    log = a.get("log")
    if log is not None:
        lines.append(f"  steps        {log['steps']}")
        lines.append(f"  log root     {log['root']}")
        cps = log["checkpoints"]
        sizes = ", ".join(str(x["size"]) for x in cps[:10]) + (", ..." if len(cps) > 10 else "")
        lines.append(f"  checkpoints  {len(cps)} (sizes {sizes})")
    if a.get("genesis_state_root"):
        lines.append(f"  genesis root {a['genesis_state_root']}")
    if a.get("final_state_root"):
        lines.append(f"  final root   {a['final_state_root']}")
    if "weights" in a:
        w = a["weights"]
        if w is None:
            lines.append("  weights      not named")
        else:
            where = "in the bundle" if w.get("included") else "not in the bundle"
            key = ", final step key disclosed" if a.get("step_key_disclosed") else ""
            lines.append(f"  weights      {w.get('name')} sha256 {w.get('sha256')} ({where}{key})")
    pf = a.get("proofs")
    if pf is not None:
        kinds = ", ".join(f"{k}: {v}" for k, v in sorted(pf["kinds"].items())) or "none"
        lines.append(f"  proofs       {pf['count']} ({kinds})")
    invs_att = a.get("invariants")
    if isinstance(invs_att, list):
        for e in invs_att:
            if not isinstance(e, dict):
                continue
            ok = {True: "holds", False: "VIOLATED", None: "no claim"}.get(e.get("ok"), "?")
            vb = ""
            if e.get("value") is not None or e.get("bound") is not None:
                vb = f" (value {e.get('value')}, bound {e.get('bound')})"
            lines.append(f"  invariant    {e.get('name')}: {ok}{vb}")
    lines.append(
        f"  provenance   {'SLSA v1 (' + BUNDLE_PROVENANCE + ')' if a.get('provenance') else 'none'}"
    )
    for err in info.get("errors", []):
        lines.append(f"error: {err}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        key = keys.load_public_key(args.public_key) if args.public_key else None
        info = inspect_bundle(args.bundle, key)
    except Exception as e:  # ZkattestError, or a bug: never a traceback
        if not isinstance(e, ZkattestError):
            e = ZkattestError(f"internal error (please report): {type(e).__name__}: {e}")
        if args.format == "json":
            print(json.dumps({"bundle": args.bundle, "error": str(e), "exit_code": 2}))
        print(f"zkattest: error: {e}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(info))
    else:
        print(render_text(info))
    return int(info["exit_code"])
