"""``zkattest keygen OUT``: create an Ed25519 signing key pair ``OUT.key`` / ``OUT.pub``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from zkattest import keys
from zkattest.constants import PRIVATE_KEY_SUFFIX, PUBLIC_KEY_SUFFIX
from zkattest.errors import InvalidInputError, ZkattestIOError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "keygen",
        help="create an Ed25519 key pair (OUT.key, mode 0600, and OUT.pub)",
        description="Create an Ed25519 signing key pair: OUT.key (PKCS#8 PEM, mode 0600, "
        "optionally password-encrypted) and OUT.pub (SPKI PEM). Prints the key id.",
    )
    p.add_argument("out", metavar="OUT", help="output path prefix (writes OUT.key and OUT.pub)")
    pw = p.add_mutually_exclusive_group()
    pw.add_argument(
        "--password-file", metavar="F", help="encrypt the private key with the first line of F"
    )
    pw.add_argument("--password-env", metavar="VAR", help="encrypt the private key with $VAR")
    p.add_argument("--force", action="store_true", help="overwrite existing key files")
    p.set_defaults(func=run)


def _password(args: argparse.Namespace) -> bytes | None:
    if args.password_file:
        try:
            data = Path(args.password_file).read_bytes()
        except OSError as e:
            raise ZkattestIOError(
                f"{args.password_file}: cannot read password file: {e.strerror}"
            ) from None
        pw = data.split(b"\n", 1)[0].rstrip(b"\r")
        if not pw:
            raise InvalidInputError(f"{args.password_file}: password file is empty")
        return pw
    if args.password_env:
        value = os.environ.get(args.password_env)
        if not value:
            raise InvalidInputError(f"environment variable {args.password_env} is unset or empty")
        return value.encode("utf-8")
    return None


def run(args: argparse.Namespace) -> int:
    password = _password(args)
    key_path = Path(args.out + PRIVATE_KEY_SUFFIX)
    pub_path = Path(args.out + PUBLIC_KEY_SUFFIX)
    if not args.force:
        for p in (key_path, pub_path):
            if p.exists():
                raise ZkattestIOError(f"{p}: already exists (use --force to overwrite)")
    sk = keys.generate()
    keys.save_private_key(sk, key_path, password, overwrite=args.force)
    keys.save_public_key(sk, pub_path, overwrite=args.force)
    print(keys.key_id(sk))
    enc = "encrypted" if password else "unencrypted"
    print(f"wrote {key_path} ({enc}, mode 0600) and {pub_path}", file=sys.stderr)
    return 0
