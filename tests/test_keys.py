"""Ed25519 key files and ``zkattest keygen``."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from zkattest import keys
from zkattest.cli import main
from zkattest.errors import InvalidInputError, MalformedError, ZkattestIOError


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_generate_sign_and_key_id() -> None:
    sk = keys.generate()
    pk = sk.public_key()
    kid = keys.key_id(pk)
    assert kid == hashlib.sha256(pk.public_bytes_raw()).hexdigest()
    assert keys.key_id(sk) == kid  # a private key gives its public key's id
    assert keys.key_id(keys.generate()) != kid
    pk.verify(sk.sign(b"m"), b"m")
    with pytest.raises(InvalidInputError):
        keys.key_id(b"raw")  # type: ignore[arg-type]


@pytest.mark.parametrize("password", [None, b"correct horse", "unicode pässword"])
def test_save_load_roundtrip(tmp_path: Path, password: bytes | str | None) -> None:
    sk = keys.generate()
    keys.save_private_key(sk, tmp_path / "k.key", password)
    keys.save_public_key(sk, tmp_path / "k.pub")
    assert _mode(tmp_path / "k.key") == 0o600
    assert _mode(tmp_path / "k.pub") == 0o644
    sk2 = keys.load_private_key(tmp_path / "k.key", password)
    pk2 = keys.load_public_key(tmp_path / "k.pub")
    assert keys.key_id(sk2) == keys.key_id(pk2) == keys.key_id(sk)
    text = (tmp_path / "k.key").read_bytes()
    assert (b"ENCRYPTED PRIVATE KEY" in text) == (password is not None)
    assert {p.name for p in tmp_path.iterdir()} == {"k.key", "k.pub"}  # no temp files left


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    sk = keys.generate()
    keys.save_private_key(sk, tmp_path / "k.key")
    before = (tmp_path / "k.key").read_bytes()
    with pytest.raises(ZkattestIOError, match=r"k\.key.*already exists"):
        keys.save_private_key(keys.generate(), tmp_path / "k.key")
    assert (tmp_path / "k.key").read_bytes() == before
    keys.save_private_key(keys.generate(), tmp_path / "k.key", overwrite=True)
    assert (tmp_path / "k.key").read_bytes() != before
    assert _mode(tmp_path / "k.key") == 0o600


def test_wrong_or_missing_password(tmp_path: Path) -> None:
    p = tmp_path / "enc.key"
    keys.save_private_key(keys.generate(), p, b"right")
    with pytest.raises(InvalidInputError, match=r"enc\.key.*wrong password"):
        keys.load_private_key(p, b"wrong")
    with pytest.raises(InvalidInputError, match=r"enc\.key.*encrypted.*password is required"):
        keys.load_private_key(p)
    q = tmp_path / "plain.key"
    keys.save_private_key(keys.generate(), q)
    with pytest.raises(InvalidInputError, match=r"plain\.key.*not encrypted"):
        keys.load_private_key(q, b"pw")
    with pytest.raises(InvalidInputError, match="empty"):
        keys.save_private_key(keys.generate(), tmp_path / "x.key", b"")


def test_missing_garbage_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ZkattestIOError, match=r"nope\.key.*not found"):
        keys.load_private_key(tmp_path / "nope.key")
    with pytest.raises(ZkattestIOError, match=r"nope\.pub.*not found"):
        keys.load_public_key(tmp_path / "nope.pub")
    g = tmp_path / "garbage.key"
    g.write_bytes(os.urandom(300))
    with pytest.raises(MalformedError, match=r"garbage\.key"):
        keys.load_private_key(g)
    with pytest.raises(MalformedError, match=r"garbage\.key"):
        keys.load_public_key(g)
    t = tmp_path / "truncated.pub"
    keys.save_public_key(keys.generate(), t)
    t.write_bytes(t.read_bytes()[:50])
    with pytest.raises(MalformedError, match=r"truncated\.pub"):
        keys.load_public_key(t)
    with pytest.raises(ZkattestIOError, match="directory"):
        keys.load_public_key(tmp_path)
    big = tmp_path / "big.pub"
    big.write_bytes(b"A" * 100_000)
    with pytest.raises(MalformedError, match="too large"):
        keys.load_public_key(big)


def test_non_ed25519_and_swapped_keys(tmp_path: Path) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "ec.key").write_bytes(
        ec_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp_path / "ec.pub").write_bytes(
        ec_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    with pytest.raises(InvalidInputError, match=r"ec\.key.*Ed25519"):
        keys.load_private_key(tmp_path / "ec.key")
    with pytest.raises(InvalidInputError, match=r"ec\.pub.*Ed25519"):
        keys.load_public_key(tmp_path / "ec.pub")
    sk = keys.generate()
    keys.save_private_key(sk, tmp_path / "ed.key")
    keys.save_public_key(sk, tmp_path / "ed.pub")
    with pytest.raises(InvalidInputError, match="private key"):
        keys.load_public_key(tmp_path / "ed.key")
    with pytest.raises(MalformedError, match=r"ed\.pub"):
        keys.load_private_key(tmp_path / "ed.pub")
    with pytest.raises(InvalidInputError):
        keys.private_key_to_pem(ec_key)  # type: ignore[arg-type]


# --- CLI ---------------------------------------------------------------------------------


def test_keygen_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "signer"
    assert main(["keygen", str(out)]) == 0
    kid = capsys.readouterr().out.strip()
    key, pub = Path(f"{out}.key"), Path(f"{out}.pub")
    assert _mode(key) == 0o600
    sk = keys.load_private_key(key)
    assert keys.key_id(keys.load_public_key(pub)) == keys.key_id(sk) == kid
    # refuses to overwrite (exit 2, files untouched), --force replaces
    before = key.read_bytes()
    assert main(["keygen", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert key.read_bytes() == before
    assert main(["keygen", str(out), "--force"]) == 0
    assert capsys.readouterr().out.strip() != kid
    assert key.read_bytes() != before and _mode(key) == 0o600


def test_keygen_cli_passwords(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pwf = tmp_path / "pw.txt"
    pwf.write_bytes(b"s3cret\nignored second line\n")
    assert main(["keygen", str(tmp_path / "a"), "--password-file", str(pwf)]) == 0
    keys.load_private_key(tmp_path / "a.key", b"s3cret")
    with pytest.raises(InvalidInputError):
        keys.load_private_key(tmp_path / "a.key")
    monkeypatch.setenv("ZK_TEST_PW", "envpw")
    assert main(["keygen", str(tmp_path / "b"), "--password-env", "ZK_TEST_PW"]) == 0
    keys.load_private_key(tmp_path / "b.key", "envpw")
    capsys.readouterr()
    monkeypatch.delenv("ZK_TEST_PW")
    assert main(["keygen", str(tmp_path / "c"), "--password-env", "ZK_TEST_PW"]) == 2
    assert "ZK_TEST_PW" in capsys.readouterr().err
    assert not Path(f"{tmp_path}/c.key").exists()
    assert main(["keygen", str(tmp_path / "d"), "--password-file", str(tmp_path / "no")]) == 2
    assert "no" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # both password sources: argparse usage error
        main(["keygen", "x", "--password-file", "f", "--password-env", "V"])
