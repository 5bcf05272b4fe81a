"""Verifying a proof bundle: every check ``zkattest verify`` runs, and its report.

:func:`verify_bundle` recomputes everything a bundle lets anyone recompute and returns
a :class:`Report`: one :class:`Check` per claim, each ``pass``, ``fail``, ``unchecked``
(not checkable with bundle v1: the proof kinds that would decide it come later; the
detail says so), ``skipped`` (a check it depends on failed) or ``unsupported`` (a
format or proof kind this build does not know). It never raises for anything a bundle
contains: broken input becomes failed checks, and a bundle that cannot be read at all
becomes a report with ``outcome == "malformed"``.

**Coverage is strict.** When the spec's challenge policy selects any (step, tensor,
chunk), every one of them must carry a verified step proof, else ``proofs.coverage``
fails: a bundle whose state transitions are not attested does not verify. The explicit
opt-out ``allow_unproved=True`` (``zkattest verify --allow-unproved``), for checking
only the commitments, log and signatures, reports missing proofs as ``unchecked``
instead; every proof that is present is still verified, and a bad one still fails.
Whenever nothing about the state transitions is attested (the spec challenges nothing,
or missing proofs were allowed), :attr:`Report.warnings` says so and the verdict too.

Proof kinds are verified through :data:`PROOF_KINDS`, a table from kind name to
:class:`ProofKind`; later releases register their step, gradient and genesis proofs
with :func:`register_proof_kind`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar

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
    bundle_digest,
    scan_log,
    spec_from_statement,
)
from zkattest.constants import (
    BUNDLE_BATCHES,
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
    GENESIS_OPENING_FIELD,
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
from zkattest.init import RECIPE_TORCH_DEFAULT_V1, GenesisOpening, recompute_genesis_root
from zkattest.invariants import UNCHECKED as INV_UNCHECKED
from zkattest.keys import key_id
from zkattest.log import StepRecord, verify_jsonl
from zkattest.merkle import MerkleTree, root_from_inclusion_proof, verify_consistency
from zkattest.proofs import (
    STEP_PROOF_KIND,
    ChallengeSet,
    check_step_public,
    derive_challenges,
    verify_step_proof,
)
from zkattest.spec import InitRecipe, ParentInit, TrainingSpec
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

#: Most generations of parent bundles a lineage check follows (each is verified in full).
MAX_LINEAGE_DEPTH: Final = 8
#: Seconds of work before ``zkattest verify`` shows a progress bar.
PROGRESS_DELAY_S: Final = 0.5

_T = TypeVar("_T")

#: The verdict's caveat when :attr:`Report.warnings` is not empty.
UNATTESTED_VERDICT: Final = "state transitions NOT attested: see the warnings"
#: How to produce missing step proofs, and the opt-out (quoted by ``proofs.coverage``).
PROVE_HINT: Final = (
    "To produce the proofs, train with zkattest.attest(...) and its default prove=None, "
    "which proves the challenged chunks at close; to check only the commitments, log and "
    "signatures, verify with --allow-unproved (allow_unproved=True)"
)

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
    #: The parent bundle's report, when lineage was checked (``lineage.parent``).
    parent: Report | None = None
    #: Whether missing step proofs were allowed (``allow_unproved``, ``--allow-unproved``).
    allow_unproved: bool = False
    #: What a reader must not overlook in a verified report (e.g. the state transitions
    #: are not attested); the CLI prints them before the verdict.
    warnings: list[str] = field(default_factory=list)

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
            caveat = f" ({UNATTESTED_VERDICT})" if self.warnings else ""
            return (
                f"VERIFIED{caveat}: {self.bundle}: {self.count(PASS)} checks passed, "
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
            "allow_unproved": self.allow_unproved,
            "warnings": list(self.warnings),
            "error": self.error,
            "verdict": self.verdict(),
            "checks": [c.to_dict() for c in self.checks],
            "parent": self.parent.to_dict() if self.parent is not None else None,
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
    #: The genesis state root (hex) once genesis.dsse.json verified (r_0 of step proofs).
    genesis_root: str | None = None


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
register_proof_kind(
    ProofKind(
        STEP_PROOF_KIND,
        check_step_public,
        verify_step_proof,
        "step-chunk proof: r_t, g_t -> r_t+1 is the declared optimizer update (FP32)",
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
    def __init__(
        self,
        path: Path,
        key: Ed25519PublicKey,
        expected_spec: bytes | None,
        *,
        parents: tuple[Path, ...] = (),
        parent_keys: tuple[Ed25519PublicKey, ...] = (),
        progress: bool = False,
        allow_unproved: bool = False,
        depth: int = 0,
    ) -> None:
        self.path = path
        self.parents, self.parent_keys, self.depth = parents, parent_keys, depth
        self.show_progress = progress
        self.allow_unproved = allow_unproved
        self.key = key
        self.expected_spec = expected_spec
        self.report = Report(bundle=str(path), key_id=key_id(key), allow_unproved=allow_unproved)
        self.reader: BundleReader | None = None
        self.manifest: Manifest | None = None
        self.spec: TrainingSpec | None = None
        self.log: LogInfo | None = None
        self.tree: MerkleTree | None = None
        self.checkpoints: tuple[Any, ...] = ()
        self.kept: dict[int, StepRecord] = {}
        self.genesis_root: str | None = None
        self.genesis_opening: GenesisOpening | None = None
        #: Set by data.batches when the batch multi-proof covered every record.
        self.batches_proven = False
        self.final_root: str | None = None
        self.final_subject: dict[str, Any] | None = None
        self.final_predicate: Mapping[str, Any] = {}
        #: (step, tensor, chunk) of every step proof that verified (for coverage).
        self.step_proved: set[tuple[Any, Any, Any]] = set()
        self.proofs_ok = False
        #: The run's challenges and the status of proofs.coverage, once it ran.
        self.challenges: ChallengeSet | None = None
        self.coverage: str | None = None

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

    def _progress(self, items: Iterable[_T], what: str, total: int | None) -> Iterable[_T]:
        """``items``, with a progress bar on stderr when asked for (long work only: the
        bar appears after :data:`PROGRESS_DELAY_S`)."""
        if not self.show_progress:
            return items
        try:
            from tqdm import tqdm
        except ImportError:
            return items
        indent = "  " * self.depth
        return tqdm(
            items,
            desc=f"{indent}zkattest verify: {what}",
            total=total,
            leave=False,
            delay=PROGRESS_DELAY_S,
            file=sys.stderr,
        )

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
            if isinstance(self.spec, TrainingSpec) and isinstance(self.spec.init, ParentInit):
                self.run("lineage.parent", self.check_parent)
            if self.run("log.verify", self.check_log):
                self.run("log.binding", self.check_log_binding)
                self.run("log.checkpoints", self.check_checkpoints)
                self.run("log.inclusion", self.check_inclusion)
                if self.r.has(BUNDLE_BATCHES) or self._records_carry_batches():
                    self.run("data.batches", self.check_batches)
            else:
                for name in ("log.binding", "log.checkpoints", "log.inclusion"):
                    self.add(name, SKIPPED, f"not checked: {BUNDLE_LOG} did not verify")
            self.run("proofs.index", self.check_proof_index)
            self.proofs_ok = self.run("proofs.verify", self.check_proofs)
            self.run("proofs.coverage", self.check_coverage)
            self.coverage = self.report.checks[-1].status
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
        keys = ("commitment", "init", "spec_digest", "state_root", "v")
        # The init seed opening is optional (disclosed to let anyone re-run the recipe).
        _fields(p, (*keys, GENESIS_OPENING_FIELD) if GENESIS_OPENING_FIELD in p else keys, what)
        _version(p, what)
        root = _hex64(p["state_root"], f"{what}.state_root")
        opening = None
        if GENESIS_OPENING_FIELD in p:
            if not isinstance(spec.init, InitRecipe):
                raise VerificationError(f"{what}: an init seed opening, but the spec has no recipe")
            opening = GenesisOpening.from_json(
                p[GENESIS_OPENING_FIELD], f"{what}.{GENESIS_OPENING_FIELD}"
            )
        self._bound_to_spec(st, p, what)
        if p["init"] != spec.init.to_json():
            raise VerificationError(f"{what}.init differs from the spec's init")
        if p["commitment"] != spec.commitment.to_json():
            raise VerificationError(f"{what}.commitment differs from the spec's commitment")
        self.genesis_root, self.genesis_opening = root, opening
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
        return self._recompute_genesis(spec)

    def _recompute_genesis(self, spec: TrainingSpec) -> _CheckResult:
        """Re-run the public init recipe from the disclosed seed (``init.py``)."""
        assert isinstance(spec.init, InitRecipe) and self.genesis_root is not None
        opening = self.genesis_opening
        if opening is None:
            return (
                UNCHECKED,
                f"the init seed is not disclosed, so the recipe {spec.init.name!r} cannot be "
                "re-run (W0 stays hidden; a zero-knowledge genesis proof comes later)",
            )
        if spec.init.name != RECIPE_TORCH_DEFAULT_V1:
            raise UnsupportedVersionError(
                f"init recipe {spec.init.name!r} is unknown to this build "
                f"(known: {RECIPE_TORCH_DEFAULT_V1})"
            )
        try:
            import torch
        except ImportError:
            return UNCHECKED, "re-running the init recipe needs torch, which is not installed"
        params = spec.model.parameters
        size = {
            p.dtype: torch.empty((), dtype=getattr(torch, p.dtype)).element_size() for p in params
        }
        need = sum(p.numel * size[p.dtype] for p in params)
        have = _memory_bytes()
        if have is not None and need > have // 2:
            return (
                UNCHECKED,
                f"re-running the recipe needs {need / 2**30:.1f} GiB for the weights, more "
                f"than half of this machine's {have / 2**30:.1f} GiB: verify on a larger one",
            )
        got = recompute_genesis_root(
            spec.init, spec.model, opening, chunk_size=spec.commitment.chunk_size
        )
        mine = str(torch.__version__)
        if got != self.genesis_root:
            hint = (
                f"; the trainer used torch {opening.torch_version}, this verifier {mine} "
                "(torch's initializers may change between versions)"
                if opening.torch_version != mine
                else ""
            )
            raise VerificationError(
                f"re-running {spec.init.name} from the disclosed seed on the spec's model "
                f"fingerprint gives root {got[:16]}…, not the genesis root "
                f"{self.genesis_root[:16]}…{hint}"
            )
        return (
            f"recomputed: {spec.init.name}(disclosed seed, which opens the spec's "
            f"seed_commitment) on the spec's {len(spec.model.parameters)} parameters, "
            f"committed under the disclosed step-0 key, empty optimizer state = the genesis "
            f"root (torch {mine})"
        )

    def check_parent(self) -> _CheckResult:
        """Lineage: the parent bundle the spec names (by digest) is given, verifies
        (recursively, at most :data:`MAX_LINEAGE_DEPTH` generations) and ends in this
        run's genesis root."""
        spec = self.need_spec()
        init = spec.init
        assert isinstance(init, ParentInit)
        want = init.bundle_digest
        if not self.parents:
            return (
                UNCHECKED,
                f"the parent bundle (digest {want[:16]}…) was not given (--parent PARENT): "
                "its run is not checked; the genesis root is only as declared",
            )
        if self.depth + 1 > MAX_LINEAGE_DEPTH:
            raise VerificationError(f"lineage deeper than {MAX_LINEAGE_DEPTH} generations")
        found = None
        for path in self.parents:
            try:
                if bundle_digest(path) == want:
                    found = path
                    break
            except (ZkattestError, OSError):
                continue  # not a readable bundle: not this parent
        if found is None:
            raise VerificationError(
                f"none of the {len(self.parents)} given parent bundle(s) has the digest the "
                f"spec names ({want[:16]}…)"
            )
        with BundleReader(found) as r:
            kid = r.envelope(BUNDLE_MANIFEST)["signatures"][0]["keyid"]
        keys = {key_id(k): k for k in (self.key, *self.parent_keys)}
        if kid not in keys:
            raise VerificationError(
                f"the parent bundle {found} is signed by key {kid[:16]}…, which was not given "
                "(--parent-key)"
            )
        sub = _Verifier(
            found,
            keys[kid],
            None,
            parents=self.parents,
            parent_keys=self.parent_keys,
            progress=self.show_progress,
            allow_unproved=self.allow_unproved,
            depth=self.depth + 1,
        ).verify()
        self.report.parent = sub
        if sub.outcome != "verified":
            raise VerificationError(f"the parent bundle did not verify: {sub.verdict()}")
        if sub.final_state_root != init.final_state_root:
            raise VerificationError(
                f"the parent run's final state root {sub.final_state_root} is not the one "
                f"the spec names ({init.final_state_root})"
            )
        return (
            f"parent bundle {found} (digest {want[:16]}…, key {kid[:16]}…) verified: "
            f"{sub.steps} steps, {sub.count(PASS)} checks passed, {sub.count(UNCHECKED)} not "
            "yet checkable; its final state root is this run's genesis root"
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
        for i in self._progress(range(n), "log records", n):
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
        """Every batch is drawn from the committed dataset. Records written by
        ``zkattest.attest`` carry their indices (``extra["batch"]``); with the bundle's
        batch multi-proof (``batches.json``) each record's batch commitment is
        recomputed from example leaf hashes proven under the spec's ``dataset.root``.
        Without it only the index range is checked."""
        spec = self.need_spec()
        self.need_log()
        n = spec.dataset.size
        proof = self.r.batch_proof()
        if proof is not None:
            if proof.size != n:
                raise VerificationError(
                    f"{BUNDLE_BATCHES}: proves a dataset of {proof.size} examples, the spec "
                    f"commits to {n}"
                )
            if proof.root().hex() != spec.dataset.root:
                raise VerificationError(
                    f"{BUNDLE_BATCHES}: the example leaf hashes do not recompute to the "
                    f"spec's dataset root {spec.dataset.root[:16]}…"
                )
        carried = total = 0
        with self.r.open_lines(BUNDLE_LOG) as lines:
            for line in self._progress(lines, "batches", self.log.size if self.log else None):
                d = json.loads(line)
                if not isinstance(d, dict) or "batch_commitment" not in d:
                    continue  # header, checkpoint or trailer (log.verify checked them)
                total += 1
                step = d["step"]
                b = d["extra"].get(RECORD_EXTRA_BATCH)
                if b is None:
                    if proof is not None:
                        raise VerificationError(
                            f"step {step}: the record does not carry its batch indices, so "
                            f"{BUNDLE_BATCHES} cannot show where its batch came from"
                        )
                    continue
                carried += 1
                idx = b.get("indices") if isinstance(b, dict) else None
                if not isinstance(idx, list) or not idx:
                    raise VerificationError(f"step {step}: malformed batch {b!r}")
                bad = [i for i in idx if type(i) is not int or not 0 <= i < n]
                if bad:
                    raise VerificationError(
                        f"step {step}: batch indices {bad[:4]} are outside the committed "
                        f"dataset (size {n})"
                    )
                if proof is not None:
                    try:
                        got = proof.batch_commitment(idx).hex()
                    except VerificationError as e:
                        raise VerificationError(f"step {step}: {e}") from None
                    if got != d["batch_commitment"]:
                        raise VerificationError(
                            f"step {step}: the batch commitment is not the commitment of "
                            f"examples {idx[:4]}{'…' if len(idx) > 4 else ''} of the "
                            "committed dataset"
                        )
        if not carried:
            return UNCHECKED, f"none of the {total} records carries its batch indices"
        if proof is None:
            return (
                UNCHECKED,
                f"{carried} of {total} records draw their batch from dataset indices "
                f"0..{n - 1}; the bundle has no {BUNDLE_BATCHES}, so example membership "
                "(against dataset.root) is not proven",
            )
        self.batches_proven = True
        return (
            f"the batch commitments of all {total} steps recomputed from {len(proof.indices)} "
            f"distinct examples proven under the spec's dataset root ({BUNDLE_BATCHES}: "
            f"{len(proof.leaves)} leaf + {len(proof.fill)} fill hashes)"
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
        total = self.manifest.proofs if self.manifest is not None else None
        for e in self._progress(self.r.proof_entries(), "proofs", total):
            kind = PROOF_KINDS.get(e.kind)
            if kind is None:
                continue
            try:
                data = self.r.read_proof(e)
                kind.check_public(e.public, f"{e.name}.public")
                ctx = ProofContext(spec, e, log_size, self.kept, self.genesis_root)
                kind.verify(data, e.public, ctx)
                ok += 1
                if e.kind == STEP_PROOF_KIND:
                    self.step_proved.add((e.step, e.public["tensor"], e.chunk))
            except (ZkattestError, OSError) as ex:
                failed.append(f"{e.name} ({e.kind}, step {e.step}): {ex}")
        if failed:
            more = f" (and {len(failed) - 3} more)" if len(failed) > 3 else ""
            raise VerificationError(
                f"{len(failed)} proof(s) rejected: " + "; ".join(failed[:3]) + more
            )
        return f"{ok} proof(s) verified by their kind's verifier"

    def check_coverage(self) -> _CheckResult:
        """Invariant "step proofs present for every challenged chunk": the challenges
        recomputed from the final log root (zkattest.proofs) all have a verified step
        proof. Strict: a missing proof fails, unless ``allow_unproved`` (then unchecked,
        with a warning). A spec that challenges nothing passes, with a warning."""
        spec = self.need_spec()
        log = self.need_log()
        c = spec.challenges
        policy = f"fraction {c.fraction.decimal}" if c.fraction is not None else f"count {c.count}"
        try:
            challenges = derive_challenges(spec, log.root, log.size)
        except InvalidInputError as e:  # verifier-supplied challenges
            return self._unproved(
                f"{e}; this verifier was given none, so the bundle cannot show that the "
                "challenged chunks are proved (check its step proofs against your own "
                "challenge list)",
                None,
            )
        self.challenges = challenges
        if challenges.k == 0:
            why = "the log is empty" if log.size == 0 else "the model has no FP32 parameter"
            warning = (
                f"the spec challenges no (step, chunk) pair ({why}): nothing about the "
                "state transitions is attested"
            )
            self.report.warnings.append(warning)
            return f"{warning} ({policy} of 0 pairs)"
        if not self.proofs_ok:
            raise _Skip("proofs.verify failed")
        missing = [
            ch
            for ch in challenges.challenges
            if (ch.step, ch.tensor, ch.chunk) not in self.step_proved
        ]
        if missing:
            shown = ", ".join(f"step {m.step} {m.tensor} chunk {m.chunk}" for m in missing[:4])
            more = f" (and {len(missing) - 4} more)" if len(missing) > 4 else ""
            none = "; the bundle carries no step proof at all" if not self.step_proved else ""
            return self._unproved(
                f"{len(missing)} of {challenges.k} challenged (step, tensor, chunk) have no "
                f"verified step proof ({policy}{none}): {shown}{more}",
                len(missing),
            )
        return (
            f"every challenged chunk is proved ({policy}, Fiat-Shamir from the final log "
            f"root): {challenges.describe()}"
        )

    def _unproved(self, what: str, missing: int | None) -> _CheckResult:
        """Challenged chunks lack proofs: a failure, or unchecked with a warning when
        missing proofs are allowed."""
        if not self.allow_unproved:
            raise VerificationError(
                f"{what}, so the state transitions are not attested. {PROVE_HINT}"
            )
        n = "the challenged chunks" if missing is None else f"{missing} challenged chunk(s)"
        self.report.warnings.append(
            f"{n} have no step proof (allowed by --allow-unproved): the state transitions "
            "are not attested"
        )
        return UNCHECKED, f"allowed by --allow-unproved (allow_unproved=True): {what}"

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
        if name == "data_provenance" and self.batches_proven and r.status == INV_UNCHECKED:
            if a["ok"] is not True:
                raise VerificationError(
                    f"the batch proof shows every batch drawn from the committed dataset, but "
                    f"the trainer attests ok={a['ok']}"
                )
            return (
                "recomputed: every step's batch commitment opens to examples proven under "
                "the spec's dataset root (see data.batches)"
            )
        if name == "finite_state" and r.status == INV_UNCHECKED:
            return self._finite_state(a, r.detail)
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

    def _finite_state(self, attested: Mapping[str, Any], detail: str) -> _CheckResult:
        """``finite_state`` from the verified step proofs: their FP32 op chips take finite
        operands only (DESIGN §4), so every proved chunk's state is finite. Claims no more:
        the other chunks are covered by the challenge sampling only."""
        if attested["ok"] is False:
            raise VerificationError(f"the trainer attests a violation; {detail}")
        claim = {True: "the trainer attests it holds", None: "the trainer makes no claim"}[
            attested["ok"]
        ]
        if not self.proofs_ok:
            raise _Skip("proofs.verify failed")
        n = len(self.step_proved)
        if n == 0:
            why = (
                " (missing proofs allowed by --allow-unproved)"
                if self.allow_unproved and self.coverage == UNCHECKED
                else ""
            )
            return UNCHECKED, f"no step proof in the bundle{why}: {detail}; {claim}"
        if self.coverage == FAIL:
            raise _Skip("proofs.coverage failed")
        steps = len({step for step, _, _ in self.step_proved})
        proved = (
            f"finite in every proved chunk ({n} chunk(s) over {steps} step(s)): the proved FP32 "
            "ops take finite operands only, so each proved chunk's parameters and optimizer "
            "state before its step, its gradient and its optimizer state after it are finite; "
            "its updated parameters are never NaN (an overflow to infinity in the last add "
            "is caught only by a proof of that chunk at the next step)"
        )
        cs = self.challenges
        if self.coverage != PASS or cs is None or cs.k == 0:
            return (
                UNCHECKED,
                f"{proved}; but proofs.coverage did not establish that every challenged chunk "
                f"is proved, so the rest of the state is not covered; {claim}",
            )
        if cs.k == cs.total:
            return f"{proved}; every (step, chunk) pair is proved"
        d = ", ".join(
            f"{cs.detection_probability(p):.4f} if {p:.1%} of chunks are non-finite"
            for p in (0.001, 0.01)
        )
        return (
            f"{proved}; unproved chunks are covered only by the challenge sampling "
            f"({cs.k} of {cs.total} pairs): detection probability {d}"
        )

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


def _memory_bytes() -> int | None:
    """Physical memory of this machine, if the OS says."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def verify_bundle(
    path: str | os.PathLike[str],
    public_key: Ed25519PublicKey,
    *,
    spec: bytes | TrainingSpec | None = None,
    parents: Iterable[str | os.PathLike[str]] = (),
    parent_keys: Iterable[Ed25519PublicKey] = (),
    progress: bool = False,
    allow_unproved: bool = False,
) -> Report:
    """Verify the bundle at ``path`` under ``public_key`` (the run's Ed25519 key).

    ``spec``, when given, is the spec the auditor expects (file bytes or a
    :class:`TrainingSpec`): the bundle's spec must be byte-identical or have the same
    digest. ``parents`` are candidate parent bundles for a fine-tuning lineage (the
    spec names its parent by :func:`~zkattest.bundle.bundle_digest`; a chain is
    followed through the same list), verified under ``public_key`` or whichever of
    ``parent_keys`` signed them. ``progress`` shows progress bars on stderr for long
    work.

    Coverage is strict: when the spec challenges any (step, tensor, chunk), each must
    have a verified step proof, else ``proofs.coverage`` fails. ``allow_unproved=True``
    (for checking only the commitments, log and signatures, here and in the parents)
    reports missing proofs as ``unchecked`` instead, with a warning in
    :attr:`Report.warnings`; the proofs that are present are still verified.

    Returns a :class:`Report`; never raises for anything in the bundle. Raises
    :class:`InvalidInputError` only for unusable arguments.
    """
    if not isinstance(allow_unproved, bool):
        raise InvalidInputError(f"allow_unproved must be a bool, got {allow_unproved!r}")
    if not isinstance(public_key, Ed25519PublicKey):
        raise InvalidInputError(
            f"public_key must be an Ed25519 public key, got {type(public_key).__name__}"
        )
    if isinstance(spec, TrainingSpec):
        spec = spec.to_json()
    if spec is not None and not isinstance(spec, bytes):
        raise InvalidInputError(f"spec must be bytes or a TrainingSpec, got {type(spec).__name__}")
    if isinstance(parents, str | bytes | os.PathLike):
        raise InvalidInputError("parents must be a list of bundle paths")
    parent_paths = tuple(Path(p) for p in parents)
    pkeys = tuple(parent_keys)
    for k in pkeys:
        if not isinstance(k, Ed25519PublicKey):
            raise InvalidInputError(
                f"parent_keys must be Ed25519 public keys, got {type(k).__name__}"
            )
    return _Verifier(
        Path(path),
        public_key,
        spec,
        parents=parent_paths,
        parent_keys=pkeys,
        progress=progress,
        allow_unproved=allow_unproved,
    ).verify()
