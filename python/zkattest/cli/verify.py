"""``zkattest verify BUNDLE --public-key K.pub``: verify a proof bundle, check by check.

Output (stdout): a checklist (status, check, detail) and a one-line verdict as the last
line; ``-q`` prints only the verdict; ``--format json`` prints exactly one JSON object.
``--parent P`` (repeatable) gives the parent bundle(s) of a fine-tuning lineage.
Coverage is strict: a bundle that lacks a step proof of any challenged chunk fails
(``proofs.coverage``) unless ``--allow-unproved`` is given, which checks only what the
bundle carries (commitments, log, signatures, the proofs present) and reports the
missing proofs as not checked; warnings (state transitions not attested) are printed
before the verdict.
Progress bars go to stderr, on a terminal only, for work that takes a while.
Exit codes: 0 verified, 1 a check failed, 2 usage error or unreadable / malformed
bundle, 3 unsupported bundle version (or proof kind).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from zkattest import keys
from zkattest.errors import UnsupportedVersionError, ZkattestError, ZkattestIOError
from zkattest.spec import TrainingSpec
from zkattest.verify import FAIL, PASS, SKIPPED, UNCHECKED, UNSUPPORTED, Report, verify_bundle

#: The largest spec file ``--spec`` reads.
MAX_SPEC_FILE = 64 << 20
_LABELS = {PASS: "PASS", FAIL: "FAIL", UNCHECKED: "N/A ", SKIPPED: "SKIP", UNSUPPORTED: "UNSUP"}


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "verify",
        help="verify a proof bundle against the run's public key",
        description="Verify a zkattest proof bundle (directory or .zkab): signatures, the "
        "manifest, the spec, the run log, checkpoints, proofs and invariants, each "
        "recomputed. Every challenged chunk must carry a verified step proof unless "
        "--allow-unproved is given. Exit 0 verified, 1 a check failed, 2 unreadable or "
        "malformed bundle / usage error, 3 unsupported version.",
    )
    p.add_argument("bundle", metavar="BUNDLE", help="the bundle directory or .zkab file")
    p.add_argument(
        "--public-key", "-k", required=True, metavar="K.pub", help="the run's public key (PEM)"
    )
    p.add_argument(
        "--spec", metavar="SPEC", help="the spec you expect (JSON); must match the bundle's"
    )
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the verdict line")
    p.add_argument(
        "--parent",
        action="append",
        default=[],
        metavar="PARENT",
        help="a parent bundle of a fine-tuning lineage (repeat for a chain); it is found by "
        "the digest the spec names and verified too",
    )
    p.add_argument(
        "--parent-key",
        action="append",
        default=[],
        metavar="K.pub",
        help="a public key a parent bundle is signed with, if not the run's (repeatable)",
    )
    p.add_argument(
        "--allow-unproved",
        action="store_true",
        help="do not fail when challenged chunks lack step proofs: report proofs.coverage "
        "as not checked (the state transitions are then NOT attested); the proofs present "
        "are still verified",
    )
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bars (they appear on stderr, on a terminal, for long work)",
    )
    p.set_defaults(func=run)


def _read_spec(path: str) -> bytes:
    p = Path(path)
    try:
        with p.open("rb") as f:
            data = f.read(MAX_SPEC_FILE + 1)
    except OSError as e:
        raise ZkattestIOError(f"{p}: cannot read spec file: {e.strerror}") from None
    if len(data) > MAX_SPEC_FILE:
        raise ZkattestIOError(f"{p}: larger than {MAX_SPEC_FILE} bytes; not a spec")
    try:
        TrainingSpec.from_json(data)
    except UnsupportedVersionError as e:
        raise ZkattestIOError(f"{p}: {e}") from None
    except ZkattestError as e:
        raise ZkattestIOError(f"{p}: not a valid TrainingSpec: {e}") from None
    return data


def print_report(report: Report, fmt: str, quiet: bool) -> None:
    """Write ``report`` to stdout in the chosen format."""
    if fmt == "json":
        print(json.dumps(report.to_dict(), indent=None, sort_keys=False))
        return
    if not quiet:
        kid = (report.key_id or "?")[:16]
        print(f"zkattest verify {report.bundle} (key {kid}…)")
        width = max((len(c.name) for c in report.checks), default=0)
        for c in report.checks:
            print(f"  {_LABELS.get(c.status, c.status):5} {c.name:<{width}}  {c.detail}")
        parent = report.parent
        while parent is not None:  # the lineage, one verdict per generation
            print(f"  parent: {parent.verdict()}")
            parent = parent.parent
        for w in report.warnings:
            print(f"WARNING: {w}")
    print(report.verdict())


def _error(args: argparse.Namespace, message: str) -> int:
    if args.format == "json":
        obj = {
            "verified": False,
            "outcome": "error",
            "exit_code": 2,
            "bundle": args.bundle,
            "allow_unproved": args.allow_unproved,
            "error": message,
            "verdict": f"ERROR: {message}",
            "checks": [],
        }
        print(json.dumps(obj))
    print(f"zkattest: error: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    try:
        key = keys.load_public_key(args.public_key)
        spec = _read_spec(args.spec) if args.spec is not None else None
        parent_keys = [keys.load_public_key(k) for k in args.parent_key]
    except ZkattestError as e:
        return _error(args, str(e))
    try:
        report = verify_bundle(
            args.bundle,
            key,
            spec=spec,
            parents=args.parent,
            parent_keys=parent_keys,
            progress=not (args.quiet or args.no_progress) and sys.stderr.isatty(),
            allow_unproved=args.allow_unproved,
        )
    except Exception as e:  # a bug: still no traceback, and never a pass
        return _error(args, f"internal error (please report): {type(e).__name__}: {e}")
    print_report(report, args.format, args.quiet)
    return report.exit_code
