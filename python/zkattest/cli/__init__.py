"""The ``zkattest`` command line.

Each subcommand lives in its own module exposing ``register(subparsers)``; add a
module to ``_COMMANDS`` to add a command. Exit codes (for every command):
0 success, 1 verification failed, 2 usage error or unusable input, 3 unsupported
format version.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from zkattest import __version__
from zkattest.cli import bench, demo, inspect, keygen, verify
from zkattest.errors import (
    InvalidInputError,
    MalformedError,
    UnsupportedVersionError,
    VerificationError,
    ZkattestError,
    ZkattestIOError,
)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNSUPPORTED = 3

_COMMANDS = (demo, bench, keygen, verify, inspect)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="zkattest",
        description="Zero-knowledge attestation of training runs.",
    )
    parser.add_argument("--version", action="version", version=f"zkattest {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _COMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``zkattest`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or EXIT_OK)
    except VerificationError as e:
        print(f"zkattest: verification failed: {e}", file=sys.stderr)
        return EXIT_FAILED
    except UnsupportedVersionError as e:
        print(f"zkattest: unsupported version: {e}", file=sys.stderr)
        return EXIT_UNSUPPORTED
    except (InvalidInputError, MalformedError, ZkattestIOError, OSError) as e:
        print(f"zkattest: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except ZkattestError as e:
        print(f"zkattest: error: {e}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("zkattest: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
