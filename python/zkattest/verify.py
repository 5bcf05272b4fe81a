"""Verifying a proof bundle: every check ``zkattest verify`` runs, and its report.

:func:`verify_bundle` recomputes everything a bundle lets anyone recompute and returns
a :class:`Report`: one :class:`Check` per claim, each ``pass``, ``fail``, ``unchecked``
(not checkable with bundle v1: the proof kinds that would decide it come later; the
detail says so), ``skipped`` (a check it depends on failed) or ``unsupported`` (a
format or proof kind this build does not know). It never raises for anything a bundle
contains: broken input becomes failed checks, and a bundle that cannot be read at all
becomes a report with ``outcome == "malformed"``.

Proof kinds are verified through :data:`PROOF_KINDS`, a table from kind name to
:class:`ProofKind`; later releases register their step, gradient and genesis proofs
with :func:`register_proof_kind`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from zkattest import __version__, _core
from zkattest.bundle import (
    _PROOF_NAME,
    REQUIRED_MEMBERS,
    BundleReader,
    LogInfo,
    Manifest,
    ProofEntry,
    _fields,
    _hex64,
    _version,
    scan_log,
    spec_from_statement,
)
from zkattest.constants import (
    BUNDLE_FINAL,
    BUNDLE_GENESIS,
    BUNDLE_INVARIANTS,
    BUNDLE_LOG,
    BUNDLE_MANIFEST,
    BUNDLE_PROOF_INDEX,
    BUNDLE_PROVENANCE,
    BUNDLE_SPEC,
    BUNDLE_SPEC_ENVELOPE,
    CHECKPOINT_SUBJECT_NAME,
    PREDICATE_FINAL_V1,
    PREDICATE_GENESIS_V1,
    PREDICATE_INVARIANTS_V1,
    PREDICATE_SPEC_V1,
    PROOF_KIND_SMOKE,
    SLSA_BUILD_TYPE,
    SLSA_PROVENANCE_V1,
    SPEC_SUBJECT_NAME,
)
from zkattest.data import RECORD_EXTRA_BATCH
from zkattest.errors import (
    InvalidInputError,
    MalformedError,
    UnsupportedVersionError,
    VerificationError,
    ZkattestError,
    ZkattestIOError,
)
from zkattest.invariants import UNCHECKED as INV_UNCHECKED
from zkattest.keys import key_id
from zkattest.log import StepRecord, verify_jsonl
from zkattest.merkle import MerkleTree, root_from_inclusion_proof, verify_consistency
from zkattest.spec import ParentInit, TrainingSpec
from zkattest.statement import Statement

__all__ = [
    "FAIL",
    "PASS",
    "PROOF_KINDS",
    "SKIPPED",
    "UNCHECKED",
    "UNSUPPORTED",
    "Check",
    "ProofContext",
    "ProofKind",
    "Report",
    "register_proof_kind",
    "verify_bundle",
]

PASS: Final = "pass"
FAIL: Final = "fail"
UNCHECKED: Final = "unchecked"
SKIPPED: Final = "skipped"
UNSUPPORTED: Final = "unsupported"

#: Report outcomes and the CLI exit code of each.
EXIT_CODES: Final = {"verified": 0, "failed": 1, "malformed": 2, "unsupported": 3}


@dataclass(frozen=True)
class Check:
    """One line of the report: ``name`` (dotted, stable), ``status`` and a detail for a
    person."""

    name: str
    status: str
    detail: str

    @property
    def ok(self) -> bool | None:
        """True (pass), False (fail / skipped), None (unchecked / unsupported)."""
        if self.status == PASS:
            return True
        if self.status in (FAIL, SKIPPED):
            return False
        return None

    def to_dict(self) -> dict[str, Any]:
        """``{"name", "ok", "status", "detail"}``."""
        return {"name": self.name, "ok": self.ok, "status": self.status, "detail": self.detail}


@dataclass
class Report:
    """The result of :func:`verify_bundle`."""

    bundle: str
    checks: list[Check] = field(default_factory=list)
    #: Why verification stopped early (the bundle could not be read), if it did.
    error: str | None = None
    #: ``"malformed"``, ``"unsupported"`` or ``"failed"`` (the manifest's signature
    #: failed and its content is unusable) when verification stopped early.
    error_kind: str | None = None
    bundle_version: int | None = None
    steps: int | None = None
    final_state_root: str | None = None
    spec_digest: str | None = None
    log_id: str | None = None
    log_root: str | None = None
    proofs: int | None = None
    key_id: str | None = None

    @property
    def outcome(self) -> str:
        """``verified``, ``failed``, ``malformed`` or ``unsupported``."""
        if self.error_kind is not None:
            return self.error_kind
        statuses = {c.status for c in self.checks}
        if FAIL in statuses or SKIPPED in statuses:
            return "failed"
        if UNSUPPORTED in statuses:
            return "unsupported"
        return "verified"

    @property
    def verified(self) -> bool:
        """True when every check passed or is (honestly) not yet checkable."""
        return self.outcome == "verified"

    @property
    def exit_code(self) -> int:
        """0 verified, 1 a check failed, 2 malformed / unreadable, 3 unsupported."""
        return EXIT_CODES[self.outcome]

    def count(self, status: str) -> int:
        """Number of checks with ``status``."""
        return sum(c.status == status for c in self.checks)

    def verdict(self) -> str:
        """The one-line verdict."""
        outcome = self.outcome
        if outcome == "verified":
            root = self.final_state_root or "?"
            return (
                f"VERIFIED: {self.bundle}: {self.count(PASS)} checks passed, "
                f"{self.count(UNCHECKED)} not yet checkable; {self.steps} steps, "
                f"final state root {root}"
            )
        if self.error is not None:
            label = {"unsupported": "UNSUPPORTED", "failed": "FAILED"}.get(outcome, "ERROR")
            return f"{label}: {self.bundle}: {self.error}"
        if outcome == "unsupported":
            bad = [c for c in self.checks if c.status == UNSUPPORTED]
            return f"UNSUPPORTED: {self.bundle}: " + "; ".join(
                f"{c.name}: {c.detail}" for c in bad[:3]
            )
        bad = [c for c in self.checks if c.status == FAIL]
        shown = "; ".join(f"{c.name}: {_short(c.detail)}" for c in bad[:3])
        more = f" (and {len(bad) - 3} more)" if len(bad) > 3 else ""
        return f"FAILED: {self.bundle}: {len(bad)} check(s) failed: {shown}{more}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON report (``zkattest verify --format json``)."""
        return {
            "verified": self.verified,
            "outcome": self.outcome,
            "exit_code": self.exit_code,
            "bundle": self.bundle,
            "bundle_version": self.bundle_version,
            "steps": self.steps,
            "final_state_root": self.final_state_root,
            "spec_digest": self.spec_digest,
            "log_id": self.log_id,
            "log_root": self.log_root,
            "proofs": self.proofs,
            "key_id": self.key_id,
            "error": self.error,
            "verdict": self.verdict(),
            "checks": [c.to_dict() for c in self.checks],
            "zkattest_version": __version__,
        }


def _short(text: str, n: int = 160) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# --- proof kinds -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProofContext:
    """What a proof verifier may consult: the verified spec, the proof's index entry,
    the log size and the records of the steps that the proof index references."""

    spec: TrainingSpec
    entry: ProofEntry
    log_size: int
    records: Mapping[int, StepRecord]


@dataclass(frozen=True)
class ProofKind:
    """A proof kind: ``check_public(public, what)`` validates the public inputs (raises
    :class:`MalformedError`), ``verify(proof, public, context)`` verifies one blob
    (raises :class:`VerificationError` / :class:`MalformedError`)."""

    name: str
    check_public: Callable[[Mapping[str, Any], str], None]
    verify: Callable[[bytes, Mapping[str, Any], ProofContext], None]
    description: str = ""


#: Registered proof kinds, by name.
PROOF_KINDS: dict[str, ProofKind] = {}


def register_proof_kind(kind: ProofKind) -> None:
    """Register (or replace) the verifier of a proof kind."""
    if not isinstance(kind, ProofKind):
        raise InvalidInputError(f"expected a ProofKind, got {type(kind).__name__}")
    PROOF_KINDS[kind.name] = kind


_SMOKE_MAX_LOG_N = 24


def _smoke_public(public: Mapping[str, Any], what: str) -> None:
    _fields(public, ("n", "sum"), what)
    n = public["n"]
    if type(n) is not int or n < 1 or n > 1 << _SMOKE_MAX_LOG_N or n & (n - 1):
        raise MalformedError(f"{what}.n must be a power of two <= 2**{_SMOKE_MAX_LOG_N}")
    if type(public["sum"]) is not int or not 0 <= public["sum"] < 1 << 32:
        raise MalformedError(f"{what}.sum must be an integer in [0, 2**32)")


def _smoke_verify(proof: bytes, public: Mapping[str, Any], ctx: ProofContext) -> None:
    _core.smoke_verify(proof, public["n"], public["sum"])


register_proof_kind(
    ProofKind(
        PROOF_KIND_SMOKE,
        _smoke_public,
        _smoke_verify,
        "foundation smoke statement: dot product of two hidden u16 vectors",
    )
)


# --- the verifier ------------------------------------------------------------------------


class _Skip(Exception):
    """A check cannot run because something it needs failed earlier."""


class _Fatal(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


_CheckResult = str | tuple[str, str]


class _Verifier:
    def __init__(self, path: Path, key: Ed25519PublicKey, expected_spec: bytes | None) -> None:
        self.path = path
        self.key = key
        self.expected_spec = expected_spec
        self.report = Report(bundle=str(path), key_id=key_id(key))
        self.reader: BundleReader | None = None
        self.manifest: Manifest | None = None
        self.spec: TrainingSpec | None = None
        self.log: LogInfo | None = None
        self.tree: MerkleTree | None = None
        self.checkpoints: tuple[Any, ...] = ()
        self.kept: dict[int, StepRecord] = {}
        self.genesis_root: str | None = None
        self.final_root: str | None = None
        self.final_subject: dict[str, Any] | None = None
        self.final_predicate: Mapping[str, Any] = {}

    # -- plumbing -------------------------------------------------------------------------

    def add(self, name: str, status: str, detail: str) -> None:
        self.report.checks.append(Check(name, status, detail))

    def run(self, name: str, fn: Callable[[], _CheckResult]) -> bool:
        """Run one check; returns whether it passed."""
        try:
            out = fn()
        except _Skip as e:
            self.add(name, SKIPPED, f"not checked: {e}")
            return False
        except UnsupportedVersionError as e:
            self.add(name, UNSUPPORTED, str(e))
            return False
        except VerificationError as e:
            self.add(name, FAIL, str(e))
            return False
        except (MalformedError, InvalidInputError) as e:
            self.add(name, FAIL, f"malformed: {e}")
            return False
        except (ZkattestIOError, OSError) as e:
            self.add(name, FAIL, f"unreadable: {e}")
            return False
        except ZkattestError as e:
            self.add(name, FAIL, str(e))
            return False
        except Exception as e:  # a bug must still not become a traceback or a pass
            self.add(name, FAIL, f"internal error (please report): {type(e).__name__}: {e}")
            return False
        status, detail = (PASS, out) if isinstance(out, str) else out
        self.add(name, status, detail)
        return status == PASS

    def need_spec(self) -> TrainingSpec:
        if self.spec is None:
            raise _Skip(f"{BUNDLE_SPEC} did not verify")
        return self.spec

    def need_log(self) -> LogInfo:
        if self.log is None:
            raise _Skip(f"{BUNDLE_LOG} did not verify")
        return self.log

    @property
    def r(self) -> BundleReader:
        assert self.reader is not None
        return self.reader

    def spec_digest(self) -> str:
        if self.spec is not None:
            return self.spec.digest()
        assert self.manifest is not None
        return self.manifest.spec_digest

    # -- the sequence ---------------------------------------------------------------------

    def verify(self) -> Report:
        try:
            self.open()
            self.check_manifest()
        except _Fatal as e:
            self.report.error = str(e)
            self.report.error_kind = e.kind
            return self.report
        try:
            self.run("manifest.members", self.check_members)
            self.run("spec.digest", self.check_spec_digest)
            self.run("spec.statement", self.check_spec_statement)
            if self.expected_spec is not None:
                self.run("spec.expected", self.check_expected_spec)
            self.run("genesis.statement", self.check_genesis)
            self.run("genesis.state_root", self.check_genesis_root)
            if self.run("log.verify", self.check_log):
                self.run("log.binding", self.check_log_binding)
                self.run("log.checkpoints", self.check_checkpoints)
                self.run("log.inclusion", self.check_inclusion)
                if self._records_carry_batches():
                    self.run("data.batches", self.check_batches)
            else:
                for name in ("log.binding", "log.checkpoints", "log.inclusion"):
                    self.add(name, SKIPPED, f"not checked: {BUNDLE_LOG} did not verify")
            self.run("proofs.index", self.check_proof_index)
            self.run("proofs.verify", self.check_proofs)
            self.run("proofs.coverage", self.check_coverage)
            self.check_invariants()
            self.run("final.statement", self.check_final)
            self.run("final.state_root", self.check_final_root)
            self.run("final.weights", self.check_weights)
            if self.r.has(BUNDLE_PROVENANCE):
                self.run("provenance", self.check_provenance)
        finally:
            self.r.close()
        return self.report

    def open(self) -> None:
        try:
            self.reader = BundleReader(self.path)
        except UnsupportedVersionError as e:  # pragma: no cover - the container has none
            raise _Fatal("unsupported", str(e)) from None
        except (ZkattestError, OSError) as e:
            self.add("bundle.container", FAIL, str(e))
            raise _Fatal("malformed", f"cannot read the bundle: {e}") from None
        kind = "directory" if self.path.is_dir() else "archive"
        self.add("bundle.container", PASS, f"{kind} with {len(self.r.names())} members")

    def check_manifest(self) -> None:
        try:
            try:
                self.manifest = self.r.manifest(self.key)
                kid = key_id(self.key)
                self.add("manifest.signature", PASS, f"signed by key {kid[:16]}…")
            except VerificationError as e:
                self.add("manifest.signature", FAIL, str(e))
                try:  # continue with the unsigned content, to report everything
                    self.manifest = self.r.manifest(None)
                except (ZkattestError, OSError) as e2:
                    # Nothing signed says what this bundle is: that is the failure.
                    self.r.close()
                    raise _Fatal(
                        "failed", f"{e}; and its unsigned content is unusable: {e2}"
                    ) from None
        except UnsupportedVersionError as e:
            self.add("manifest.version", UNSUPPORTED, str(e))
            self.r.close()
            raise _Fatal("unsupported", str(e)) from None
        except (ZkattestError, OSError) as e:
            self.add("manifest.signature", FAIL, str(e))
            self.r.close()
            raise _Fatal("malformed", f"unusable {BUNDLE_MANIFEST}: {e}") from None
        m = self.manifest
        self.add("manifest.version", PASS, f"bundle format v{m.bundle_version}")
        # The other report fields are filled in by the checks that establish them.
        self.report.bundle_version = m.bundle_version

    # -- members --------------------------------------------------------------------------

    def check_members(self) -> _CheckResult:
        assert self.manifest is not None
        listed = self.manifest.members
        present = set(self.r.names())
        problems: list[str] = []
        for name in REQUIRED_MEMBERS:
            if name not in listed:
                problems.append(f"required member {name} is not listed")
        for name in sorted(listed):
            if name not in present:
                problems.append(f"{name} is missing")
                continue
            try:
                digest = self.r.sha256(name)
            except ZkattestError as e:
                problems.append(f"{name}: {e}")
                continue
            if digest != listed[name]:
                problems.append(f"{name}: sha256 differs from the signed manifest")
        for name in sorted(present - set(listed) - {BUNDLE_MANIFEST}):
            if not _PROOF_NAME.fullmatch(name):
                problems.append(f"{name} is not listed in the manifest")
        if problems:
            more = f" (and {len(problems) - 8} more)" if len(problems) > 8 else ""
            raise VerificationError("; ".join(problems[:8]) + more)
        return f"{len(listed)} members match their signed sha256 digests; nothing unlisted"

    # -- spec -----------------------------------------------------------------------------

    def check_spec_digest(self) -> _CheckResult:
        assert self.manifest is not None
        spec = self.r.spec()
        digest = spec.digest()
        if digest != self.manifest.spec_digest:
            raise VerificationError(
                f"sha256 of {BUNDLE_SPEC} is {digest}, the manifest says "
                f"{self.manifest.spec_digest}"
            )
        self.spec = spec
        self.report.spec_digest = digest
        return f"{BUNDLE_SPEC} is canonical, sha256 {digest}"

    def check_spec_statement(self) -> _CheckResult:
        self.need_spec()
        st = self.r.statement(BUNDLE_SPEC_ENVELOPE, self.key, PREDICATE_SPEC_V1)
        spec_from_statement(st, self.r.spec_bytes(), BUNDLE_SPEC_ENVELOPE)
        return f"signed spec statement is about exactly {BUNDLE_SPEC}"

    def check_expected_spec(self) -> _CheckResult:
        assert self.expected_spec is not None
        spec = self.need_spec()
        mine = spec.to_json()
        if self.expected_spec == mine:
            return "the given spec file is byte-identical to the bundle's"
        try:
            other = TrainingSpec.from_json(self.expected_spec)
        except (MalformedError, InvalidInputError) as e:
            raise VerificationError(f"the given spec file is not a valid spec: {e}") from None
        if other.digest() != spec.digest():
            raise VerificationError(
                f"the given spec (digest {other.digest()}) differs from the bundle's "
                f"({spec.digest()})"
            )
        return f"the given spec file has the bundle's digest {spec.digest()} (not canonical form)"

    # -- genesis --------------------------------------------------------------------------

    def check_genesis(self) -> _CheckResult:
        spec = self.need_spec()
        st = self.r.statement(BUNDLE_GENESIS, self.key, PREDICATE_GENESIS_V1)
        what = f"{BUNDLE_GENESIS}.predicate"
        p = st.predicate
        _fields(p, ("commitment", "init", "spec_digest", "state_root", "v"), what)
        _version(p, what)
        root = _hex64(p["state_root"], f"{what}.state_root")
        self._bound_to_spec(st, p, what)
        if p["init"] != spec.init.to_json():
            raise VerificationError(f"{what}.init differs from the spec's init")
        if p["commitment"] != spec.commitment.to_json():
            raise VerificationError(f"{what}.commitment differs from the spec's commitment")
        self.genesis_root = root
        kind = "parent run" if isinstance(spec.init, ParentInit) else "init recipe"
        return f"genesis state root {root[:16]}… from the spec's {kind}"

    def _bound_to_spec(self, st: Statement, p: Mapping[str, Any], what: str) -> None:
        digest = self.spec_digest()
        if p.get("spec_digest") != digest:
            raise VerificationError(f"{what}.spec_digest is not the bundle's spec digest")
        if st.digest_of(SPEC_SUBJECT_NAME) != digest:
            raise VerificationError(f"{what}: subject is not the bundle's spec")

    def check_genesis_root(self) -> _CheckResult:
        spec = self.need_spec()
        if self.genesis_root is None:
            raise _Skip(f"{BUNDLE_GENESIS} did not verify")
        if isinstance(spec.init, ParentInit):
            if self.genesis_root != spec.init.final_state_root:
                raise VerificationError(
                    "genesis state root differs from the parent run's final state root"
                )
            return "genesis state root equals the parent run's final state root"
        return (
            UNCHECKED,
            "not yet checkable: the genesis proof (W0 = Init(seed)) is not in bundle v1; "
            "step records carry no parent root to compare",
        )

    # -- log ------------------------------------------------------------------------------

    def _proof_steps(self) -> set[int]:
        steps: set[int] = set()
        try:
            for e in self.r.proof_entries():
                if e.step is not None:
                    steps.update((e.step, e.step - 1) if e.step else (e.step,))
        except (ZkattestError, OSError):
            pass  # reported by proofs.index
        return steps

    def check_log(self) -> _CheckResult:
        spec = self.need_spec()
        digest = spec.digest()
        with self.r.open_lines(BUNDLE_LOG) as lines:
            summary = verify_jsonl(lines, self.key, log_id=digest)
        if summary.first_step != 0:
            raise VerificationError(f"the log starts at step {summary.first_step}, not 0")
        tree = MerkleTree()
        keep = self._proof_steps()
        with self.r.open_lines(BUNDLE_LOG) as lines:
            info = scan_log(lines, BUNDLE_LOG, spec, tree=tree, keep_steps=keep, kept=self.kept)
        if tree.size != summary.size or tree.root() != summary.root:
            raise VerificationError(f"{BUNDLE_LOG} changed while it was being read")
        self.log, self.tree, self.checkpoints = info, tree, summary.checkpoints
        self.report.steps, self.report.log_root, self.report.log_id = (
            info.size,
            info.root,
            info.log_id,
        )
        return (
            f"{info.size} records, steps 0..{info.size - 1} contiguous, canonical, root "
            f"{info.root[:16]}… recomputed; {len(summary.checkpoints)} checkpoint signature(s) "
            "verified"
            if info.size
            else "empty log (0 records), root recomputed"
        )

    def check_log_binding(self) -> _CheckResult:
        log = self.need_log()
        assert self.manifest is not None
        m = self.manifest
        problems = []
        if log.log_id != self.spec_digest():
            problems.append("log_id is not the spec digest")
        if m.log_id != log.log_id:
            problems.append("the manifest's log_id differs from the log's")
        if m.steps != log.size:
            problems.append(f"the manifest says {m.steps} steps, the log has {log.size}")
        if m.log_root != log.root:
            problems.append("the manifest's log_root differs from the recomputed root")
        if problems:
            raise VerificationError("; ".join(problems))
        return "log_id is the spec digest; the manifest's steps and log root match"

    def check_checkpoints(self) -> _CheckResult:
        log = self.need_log()
        assert self.tree is not None
        cps = self.checkpoints
        if not cps:
            if log.size == 0:
                return "empty log, no checkpoints"
            raise VerificationError("the log has no signed checkpoint")
        final = self.tree.root()
        prev = None
        for cp in cps:
            if cp.size > log.size or self.tree.root(cp.size) != cp.root:
                raise VerificationError(f"checkpoint at size {cp.size}: root does not match")
            proof = self.tree.consistency_proof(cp.size, log.size)
            verify_consistency(cp.size, log.size, cp.root, final, proof)
            if prev is not None:
                if cp.size < prev.size:
                    raise VerificationError(
                        f"checkpoint at size {cp.size} follows one at size {prev.size}"
                    )
                step = self.tree.consistency_proof(prev.size, cp.size)
                verify_consistency(prev.size, cp.size, prev.root, cp.root, step)
            prev = cp
        last = cps[-1]
        if last.size != log.size:
            raise VerificationError(
                f"the latest checkpoint covers {last.size} of {log.size} records; the final "
                "log root is not checkpointed"
            )
        sizes = ", ".join(str(c.size) for c in cps[:8]) + (", …" if len(cps) > 8 else "")
        return (
            f"{len(cps)} signed checkpoint(s) at sizes {sizes}; each is extended by the next "
            "and by the final log (RFC 9162 consistency proofs); the last covers every record"
        )

    def check_inclusion(self) -> _CheckResult:
        log = self.need_log()
        tree = self.tree
        assert tree is not None
        root, n = tree.root(), tree.size
        for i in range(n):
            path = tree.inclusion_proof(i, n)
            if root_from_inclusion_proof(tree.leaf(i), i, n, path) != root:
                raise VerificationError(f"record {i} (step {i}) is not included under the root")
        return f"inclusion proof of each of the {log.size} records recomputed to the root"

    def _records_carry_batches(self) -> bool:
        """Whether the first record carries its batch indices (bundles written by
        ``zkattest.attest``); only then is ``data.batches`` reported."""
        with self.r.open_lines(BUNDLE_LOG) as lines:
            for line in lines:
                d = json.loads(line)
                if isinstance(d, dict) and "batch_commitment" in d:
                    return isinstance(d.get("extra"), dict) and RECORD_EXTRA_BATCH in d["extra"]
        return False

    def check_batches(self) -> _CheckResult:
        """Records that carry their batch indices (``zkattest.attest`` writes them under
        ``extra["batch"]``) draw only from the committed dataset: every index is an int
        in ``[0, dataset.size)``. Example membership needs the dataset (not in v1)."""
        spec = self.need_spec()
        self.need_log()
        n, carried, total = spec.dataset.size, 0, 0
        with self.r.open_lines(BUNDLE_LOG) as lines:
            for line in lines:
                d = json.loads(line)
                if not isinstance(d, dict) or "batch_commitment" not in d:
                    continue  # header, checkpoint or trailer (log.verify checked them)
                total += 1
                b = d["extra"].get(RECORD_EXTRA_BATCH)
                if b is None:
                    continue
                carried += 1
                idx = b.get("indices") if isinstance(b, dict) else None
                if not isinstance(idx, list) or not idx:
                    raise VerificationError(f"step {d['step']}: malformed batch {b!r}")
                bad = [i for i in idx if type(i) is not int or not 0 <= i < n]
                if bad:
                    raise VerificationError(
                        f"step {d['step']}: batch indices {bad[:4]} are outside the committed "
                        f"dataset (size {n})"
                    )
        if not carried:
            return UNCHECKED, f"none of the {total} records carries its batch indices"
        return (
            f"{carried} of {total} records draw their batch from dataset indices "
            f"0..{n - 1}; example membership (inclusion proofs against dataset.root) needs "
            "the dataset: not in bundle v1"
        )

    # -- proofs ---------------------------------------------------------------------------

    def check_proof_index(self) -> _CheckResult:
        assert self.manifest is not None
        log_size = self.log.size if self.log is not None else None
        count = 0
        kinds: dict[str, int] = {}
        unknown: set[str] = set()
        for e in self.r.proof_entries():
            count += 1
            kinds[e.kind] = kinds.get(e.kind, 0) + 1
            if e.kind not in PROOF_KINDS:
                unknown.add(e.kind)
            else:
                PROOF_KINDS[e.kind].check_public(e.public, f"{BUNDLE_PROOF_INDEX}: {e.name}.public")
            if log_size is not None and e.step is not None and e.step >= log_size:
                raise VerificationError(
                    f"{e.name} is about step {e.step}, beyond the log ({log_size} steps)"
                )
            if not self.r.has(e.name):
                raise VerificationError(f"{e.name} is listed in {BUNDLE_PROOF_INDEX} but missing")
        blobs = self.r.proof_blobs()
        if len(blobs) != count:
            extra = sorted(set(blobs) - {f"proofs/{i:08d}.bin" for i in range(count)})
            raise VerificationError(f"{', '.join(extra[:5])} not listed in {BUNDLE_PROOF_INDEX}")
        if count != self.manifest.proofs:
            raise VerificationError(
                f"{BUNDLE_PROOF_INDEX} lists {count} proofs, the manifest says "
                f"{self.manifest.proofs}"
            )
        if unknown:
            raise UnsupportedVersionError(
                f"proof kind(s) {', '.join(sorted(unknown))} are unknown to this build "
                f"(known: {', '.join(sorted(PROOF_KINDS))})"
            )
        self.report.proofs = count
        summary = ", ".join(f"{k}: {v}" for k, v in sorted(kinds.items())) or "none"
        return f"{count} proof(s) indexed ({summary}); every blob listed, none missing"

    def check_proofs(self) -> _CheckResult:
        spec = self.need_spec()
        log_size = self.log.size if self.log is not None else 0
        ok, failed = 0, []
        for e in self.r.proof_entries():
            kind = PROOF_KINDS.get(e.kind)
            if kind is None:
                continue
            try:
                data = self.r.read_proof(e)
                kind.check_public(e.public, f"{e.name}.public")
                kind.verify(data, e.public, ProofContext(spec, e, log_size, self.kept))
                ok += 1
            except (ZkattestError, OSError) as ex:
                failed.append(f"{e.name} ({e.kind}, step {e.step}): {ex}")
        if failed:
            more = f" (and {len(failed) - 3} more)" if len(failed) > 3 else ""
            raise VerificationError(
                f"{len(failed)} proof(s) rejected: " + "; ".join(failed[:3]) + more
            )
        return f"{ok} proof(s) verified by their kind's verifier"

    def check_coverage(self) -> _CheckResult:
        spec = self.need_spec()
        c = spec.challenges
        policy = f"fraction {c.fraction.decimal}" if c.fraction is not None else f"count {c.count}"
        return (
            UNCHECKED,
            f"not yet checkable: step proofs and the challenge set ({policy} of the "
            f"(step, chunk) pairs, seed {c.seed_derivation}) are not in bundle v1",
        )

    # -- invariants -----------------------------------------------------------------------

    def check_invariants(self) -> None:
        attested: dict[str, Mapping[str, Any]] = {}

        def statement() -> _CheckResult:
            spec = self.need_spec()
            log = self.need_log()
            st = self.r.statement(BUNDLE_INVARIANTS, self.key, PREDICATE_INVARIANTS_V1)
            what = f"{BUNDLE_INVARIANTS}.predicate"
            p = st.predicate
            keys = ("invariants", "log_id", "log_root", "log_size", "spec_digest", "v")
            _fields(p, keys, what)
            _version(p, what)
            if p["spec_digest"] != spec.digest() or p["log_id"] != log.log_id:
                raise VerificationError(f"{what}: not about this bundle's spec and log")
            if p["log_size"] != log.size or p["log_root"] != log.root:
                raise VerificationError(f"{what}: attests another log (size or root differs)")
            if st.digest_of(CHECKPOINT_SUBJECT_NAME) != log.root:
                raise VerificationError(f"{what}: subject is not the log root")
            if not isinstance(p["invariants"], list):
                raise MalformedError(f"{what}.invariants must be a list")
            for i, e in enumerate(p["invariants"]):
                where = f"{what}.invariants[{i}]"
                if not isinstance(e, dict):
                    raise MalformedError(f"{where} must be an object")
                _fields(e, ("bound", "name", "ok", "value"), where)
                if e["ok"] not in (True, False, None):
                    raise MalformedError(f"{where}.ok must be true, false or null")
                if e["name"] in attested:
                    raise MalformedError(f"{where}: {e['name']!r} attested twice")
                attested[e["name"]] = e
            declared = {inv.name for inv in spec.invariants}
            extra = sorted(set(attested) - declared)
            if extra:
                raise VerificationError(f"attests invariants the spec does not declare: {extra}")
            return f"signed attestation of {len(attested)} invariant(s) over this log"

        ok = self.run("invariants.statement", statement)
        if self.spec is None:
            return
        for inv in self.spec.invariants:
            self.run(f"invariant.{inv.name}", lambda n=inv.name: self._invariant(n, ok, attested))

    def _invariant(
        self, name: str, statement_ok: bool, attested: Mapping[str, Mapping[str, Any]]
    ) -> _CheckResult:
        log = self.need_log()
        r = next(x for x in log.invariants if x.name == name)
        if not statement_ok:
            raise _Skip(f"{BUNDLE_INVARIANTS} did not verify (recomputed: {r.detail})")
        a = attested.get(name)
        if a is None:
            raise VerificationError(
                f"declared in the spec but not attested; recomputed: {r.detail}"
            )
        if r.status == INV_UNCHECKED:
            if a["ok"] is False:
                raise VerificationError(f"the trainer attests a violation; {r.detail}")
            claim = {True: "the trainer attests it holds", None: "the trainer makes no claim"}
            return UNCHECKED, f"{r.detail}; {claim[a['ok']]}"
        if (a["ok"], a["value"], a["bound"]) != (r.ok, r.value, r.bound):
            raise VerificationError(
                f"attested ok={a['ok']} value={a['value']} bound={a['bound']}, recomputed "
                f"ok={r.ok} value={r.value} bound={r.bound}: {r.detail}"
            )
        if not r.ok:
            raise VerificationError(f"violated: {r.detail}")
        return f"recomputed: {r.detail}"

    # -- final ----------------------------------------------------------------------------

    def check_final(self) -> _CheckResult:
        spec = self.need_spec()
        log = self.need_log()
        st = self.r.statement(BUNDLE_FINAL, self.key, PREDICATE_FINAL_V1)
        what = f"{BUNDLE_FINAL}.predicate"
        p = st.predicate
        keys = (
            "commitment",
            "final_state_root",
            "last_step",
            "log_id",
            "log_root",
            "log_size",
            "spec_digest",
            "step_key",
            "v",
            "weights",
        )
        _fields(p, keys, what)
        _version(p, what)
        if p["spec_digest"] != spec.digest() or p["log_id"] != log.log_id:
            raise VerificationError(f"{what}: not about this bundle's spec and log")
        if p["log_size"] != log.size or p["log_root"] != log.root:
            raise VerificationError(f"{what}: about another log (size or root differs)")
        if p["last_step"] != log.last_step:
            raise VerificationError(f"{what}.last_step is not the log's last step")
        if p["commitment"] != spec.commitment.to_json():
            raise VerificationError(f"{what}.commitment differs from the spec's")
        final_root = _hex64(p["final_state_root"], f"{what}.final_state_root")
        if p["step_key"] is not None:
            _hex64(p["step_key"], f"{what}.step_key")
        w = p["weights"]
        if w is None:
            if st.digest_of(CHECKPOINT_SUBJECT_NAME) != log.root:
                raise VerificationError(f"{BUNDLE_FINAL}: subject is not the run log")
            subject = {"name": CHECKPOINT_SUBJECT_NAME, "digest": {"sha256": log.root}}
        else:
            if not isinstance(w, dict):
                raise MalformedError(f"{what}.weights must be an object or null")
            _fields(w, ("included", "name", "sha256"), f"{what}.weights")
            if not isinstance(w["name"], str) or not isinstance(w["included"], bool):
                raise MalformedError(f"{what}.weights: name must be a string, included a bool")
            _hex64(w["sha256"], f"{what}.weights.sha256")
            if st.digest_of(w["name"]) != w["sha256"]:
                raise VerificationError(f"{BUNDLE_FINAL}: subject digest differs from weights")
            subject = {"name": w["name"], "digest": {"sha256": w["sha256"]}}
        if [s.to_dict() for s in st.subject] != [subject]:
            raise VerificationError(f"{BUNDLE_FINAL}: unexpected subjects")
        # Only a statement that passed every check above is used by the later checks.
        self.final_root, self.final_subject, self.final_predicate = final_root, subject, p
        return f"final statement signed; subject {subject['name']}"

    def check_final_root(self) -> _CheckResult:
        log = self.need_log()
        if self.final_root is None:
            raise _Skip(f"{BUNDLE_FINAL} did not verify")
        assert self.manifest is not None
        want = log.last_state_root if log.size else self.genesis_root
        if want is None:
            raise _Skip(f"{BUNDLE_GENESIS} did not verify")
        if self.final_root != want:
            raise VerificationError(
                f"final statement's state root {self.final_root} is not the last record's "
                f"state root {want}"
            )
        if self.manifest.final_state_root != want:
            raise VerificationError("the manifest's final_state_root is not the last record's")
        self.report.final_state_root = want
        return f"final state root {want} = last step record's state root"

    def check_weights(self) -> _CheckResult:
        spec = self.need_spec()
        if self.final_subject is None or self.final_root is None:
            raise _Skip(f"{BUNDLE_FINAL} did not verify")
        w = self.final_predicate["weights"]
        if w is None:
            return (
                UNCHECKED,
                "the final weights are not named: the final state is bound by root only",
            )
        if not w["included"]:
            if self.r.has(w["name"]):
                raise VerificationError(f"{w['name']} is in the bundle but marked not included")
            return (
                UNCHECKED,
                f"weights {w['name']} (sha256 {w['sha256'][:16]}…) are not in the bundle",
            )
        if not self.r.has(w["name"]):
            raise VerificationError(f"{w['name']} is marked included but missing")
        if self.r.sha256(w["name"]) != w["sha256"]:
            raise VerificationError(f"{w['name']}: sha256 differs from the final statement")
        key_hex = self.final_predicate["step_key"]
        if key_hex is None:
            return (
                UNCHECKED,
                f"{w['name']} matches the signed digest; no step key disclosed, so the final "
                "state root cannot be recomputed from it",
            )
        from zkattest.commit import commit_safetensors

        with self.r.member_path(w["name"]) as path:
            got = commit_safetensors(
                path, bytes.fromhex(key_hex), chunk_size=spec.commitment.chunk_size
            ).root.hex()
        if got != self.final_root:
            raise VerificationError(
                f"the state root recomputed from {w['name']} with the disclosed step key is "
                f"{got}, not the final state root"
            )
        return f"{w['name']} recomputes to the final state root with the disclosed step key"

    # -- provenance -----------------------------------------------------------------------

    def check_provenance(self) -> _CheckResult:
        self.need_spec()
        st = self.r.statement(BUNDLE_PROVENANCE, self.key, SLSA_PROVENANCE_V1)
        what = f"{BUNDLE_PROVENANCE}.predicate"
        p = st.predicate
        try:
            bd, rd = p["buildDefinition"], p["runDetails"]
            build_type = bd["buildType"]
            spec_ref = bd["externalParameters"]["spec"]["digest"]["sha256"]
            builder = rd["builder"]["id"]
            byproducts = rd.get("byproducts", [])
        except (KeyError, TypeError):
            raise MalformedError(f"{what}: not an SLSA v1 provenance predicate") from None
        if build_type != SLSA_BUILD_TYPE or not isinstance(builder, str):
            raise VerificationError(f"{what}: buildType is not {SLSA_BUILD_TYPE}")
        if spec_ref != self.spec_digest():
            raise VerificationError(f"{what}: externalParameters.spec is not this bundle's spec")
        if self.final_subject is not None and [s.to_dict() for s in st.subject] != [
            self.final_subject
        ]:
            raise VerificationError(
                f"{BUNDLE_PROVENANCE}: subject differs from the final statement"
            )
        if not isinstance(byproducts, list):
            raise MalformedError(f"{what}.runDetails.byproducts must be a list")
        assert self.manifest is not None
        for i, b in enumerate(byproducts):
            name = b.get("name") if isinstance(b, dict) else None
            digest = b.get("digest", {}).get("sha256") if isinstance(b, dict) else None
            if name not in self.manifest.members or digest != self.manifest.members[name]:
                raise VerificationError(f"{what}.runDetails.byproducts[{i}] is not a bundle member")
        return f"SLSA v1 provenance: spec, {len(byproducts)} byproduct(s) and subject match"


def verify_bundle(
    path: str | os.PathLike[str],
    public_key: Ed25519PublicKey,
    *,
    spec: bytes | TrainingSpec | None = None,
) -> Report:
    """Verify the bundle at ``path`` under ``public_key`` (the run's Ed25519 key).

    ``spec``, when given, is the spec the auditor expects (file bytes or a
    :class:`TrainingSpec`): the bundle's spec must be byte-identical or have the same
    digest. Returns a :class:`Report`; never raises for anything in the bundle. Raises
    :class:`InvalidInputError` only for unusable arguments.
    """
    if not isinstance(public_key, Ed25519PublicKey):
        raise InvalidInputError(
            f"public_key must be an Ed25519 public key, got {type(public_key).__name__}"
        )
    if isinstance(spec, TrainingSpec):
        spec = spec.to_json()
    if spec is not None and not isinstance(spec, bytes):
        raise InvalidInputError(f"spec must be bytes or a TrainingSpec, got {type(spec).__name__}")
    return _Verifier(Path(path), public_key, spec).verify()
