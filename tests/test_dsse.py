"""DSSE envelopes and in-toto Statements: vectors, round trips, negative twins."""

from __future__ import annotations

import base64
import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zkattest import keys
from zkattest.constants import (
    DSSE_PAYLOAD_TYPE,
    INTOTO_STATEMENT_TYPE,
    PREDICATE_CHECKPOINT_V1,
    PREDICATE_SPEC_V1,
    PREDICATE_STEP_V1,
)
from zkattest.dsse import (
    b64decode,
    envelope_from_json,
    envelope_to_json,
    pae,
    sign_envelope,
    verify_envelope,
)
from zkattest.errors import (
    InvalidInputError,
    MalformedError,
    UnsupportedVersionError,
    VerificationError,
)
from zkattest.statement import (
    Statement,
    Subject,
    build_statement,
    open_statement,
    sign_statement,
)

SK = keys.generate()
PK = SK.public_key()
OTHER = keys.generate()
DIGEST = "a" * 64


def test_pae_vector() -> None:
    # DSSE protocol.md test vector
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )
    assert pae("", b"") == b"DSSEv1 0  0 "
    assert pae("t\u00e9", b"x") == "DSSEv1 3 t\u00e9 1 x".encode()  # LEN counts UTF-8 bytes


def test_sign_verify_roundtrip() -> None:
    env = sign_envelope(b"hello world", "http://example.com/HelloWorld", SK)
    assert set(env) == {"payload", "payloadType", "signatures"}
    assert env["signatures"][0]["keyid"] == keys.key_id(PK)
    assert base64.b64decode(env["payload"], validate=True) == b"hello world"
    assert verify_envelope(env, PK, "http://example.com/HelloWorld") == b"hello world"
    assert verify_envelope(env, [OTHER.public_key(), PK], None) == b"hello world"
    # JSON text in, too
    assert verify_envelope(envelope_to_json(env), PK, None) == b"hello world"
    PK.verify(
        base64.b64decode(env["signatures"][0]["sig"]),
        pae("http://example.com/HelloWorld", b"hello world"),
    )


@settings(max_examples=40, deadline=None)
@given(payload=st.binary(max_size=300), ptype=st.text(min_size=1, max_size=40))
def test_roundtrip_property(payload: bytes, ptype: str) -> None:
    env = sign_envelope(payload, ptype, SK)
    assert verify_envelope(env, PK, ptype) == payload
    assert verify_envelope(envelope_from_json(envelope_to_json(env)), PK, ptype) == payload


def _b64_variants(data: bytes) -> list[str]:
    std = base64.b64encode(data).decode()
    url = base64.urlsafe_b64encode(data).decode()
    return [std, std.rstrip("="), url, url.rstrip("=")]


def test_accepts_standard_and_urlsafe_base64_with_or_without_padding() -> None:
    payload = bytes(range(256))  # contains + and / in standard base64
    env = sign_envelope(payload, DSSE_PAYLOAD_TYPE, SK)
    sig = base64.b64decode(env["signatures"][0]["sig"])
    for p in _b64_variants(payload):
        for s in _b64_variants(sig):
            e = {"payload": p, "payloadType": DSSE_PAYLOAD_TYPE, "signatures": [{"sig": s}]}
            assert verify_envelope(e, PK) == payload


@pytest.mark.parametrize("bad", ["a", "ab=", "a===", "ab!c", "ab c", "YWJj\n", "YQ=a", 5, None])
def test_bad_base64_rejected(bad: object) -> None:
    with pytest.raises(MalformedError, match="base64"):
        b64decode(bad, "field")


def _env() -> dict:
    return sign_envelope(b'{"x":1}', DSSE_PAYLOAD_TYPE, SK)


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda e: e.pop("payload"), "missing field 'payload'"),
        (lambda e: e.pop("payloadType"), "missing field 'payloadType'"),
        (lambda e: e.pop("signatures"), "missing field 'signatures'"),
        (lambda e: e.update(payload=5), "payload must be"),
        (lambda e: e.update(payloadType=["x"]), "payloadType must be"),
        (lambda e: e.update(payloadType=""), "payloadType must be"),
        (lambda e: e.update(signatures={}), "signatures must be a list"),
        (lambda e: e.update(signatures=[]), "unsigned"),
        (lambda e: e.update(signatures=["sig"]), r"signatures\[0\] must be an object"),
        (lambda e: e["signatures"][0].pop("sig"), "missing field 'sig'"),
        (lambda e: e["signatures"][0].update(sig=1), r"signatures\[0\]\.sig"),
        (lambda e: e["signatures"][0].update(keyid=1), "keyid must be"),
        (lambda e: e.update(payload="!!"), r"payload is not valid base64"),
        (lambda e: e["signatures"][0].update(sig="@@"), r"sig is not valid base64"),
    ],
)
def test_malformed_envelopes(mutate, match: str) -> None:  # type: ignore[no-untyped-def]
    env = _env()
    verify_envelope(env, PK)  # positive twin
    mutate(env)
    with pytest.raises(MalformedError, match=match):
        verify_envelope(env, PK)


def test_not_an_object_and_truncated_json() -> None:
    text = envelope_to_json(_env())
    with pytest.raises(MalformedError):
        verify_envelope(text[:-1], PK)  # truncated envelope
    with pytest.raises(MalformedError):
        verify_envelope(text[: len(text) // 2], PK)
    with pytest.raises(MalformedError, match="JSON object"):
        verify_envelope(b"[]", PK)
    with pytest.raises(MalformedError, match="JSON object"):
        verify_envelope([], PK)  # type: ignore[arg-type]


def test_signature_negative_twins() -> None:
    env = _env()
    assert verify_envelope(env, PK) == b'{"x":1}'
    # flipped signature byte (every byte position)
    sig = bytearray(base64.b64decode(env["signatures"][0]["sig"]))
    for i in range(len(sig)):
        e = copy.deepcopy(env)
        s = bytearray(sig)
        s[i] ^= 0x01
        e["signatures"][0]["sig"] = base64.b64encode(bytes(s)).decode()
        with pytest.raises(VerificationError):
            verify_envelope(e, PK)
    # truncated / extended signature
    for s in (sig[:-1], sig + b"\x00", b""):
        e = copy.deepcopy(env)
        e["signatures"][0]["sig"] = base64.b64encode(bytes(s)).decode()
        with pytest.raises(VerificationError):
            verify_envelope(e, PK)
    # another key
    with pytest.raises(VerificationError, match="none of its 1 signature"):
        verify_envelope(env, OTHER.public_key())
    # changed payload
    e = copy.deepcopy(env)
    e["payload"] = base64.b64encode(b'{"x":2}').decode()
    with pytest.raises(VerificationError):
        verify_envelope(e, PK)
    # changed payload type: rejected by the expected type, and by the signature
    e = copy.deepcopy(env)
    e["payloadType"] = "application/json"
    with pytest.raises(VerificationError, match="payloadType"):
        verify_envelope(e, PK)
    with pytest.raises(VerificationError, match="none of its"):
        verify_envelope(e, PK, None)
    with pytest.raises(VerificationError, match="payloadType"):
        verify_envelope(env, PK, "application/json")


def test_keyid_is_only_a_hint() -> None:
    env = _env()
    env["signatures"][0]["keyid"] = keys.key_id(OTHER)  # lies about the key
    assert verify_envelope(env, PK) == b'{"x":1}'
    env["signatures"][0].pop("keyid")
    assert verify_envelope(env, PK) == b'{"x":1}'
    # a matching keyid does not make a bad signature good
    bad = sign_envelope(b'{"x":1}', DSSE_PAYLOAD_TYPE, OTHER, keyid=keys.key_id(PK))
    with pytest.raises(VerificationError):
        verify_envelope(bad, PK)
    assert "keyid" not in sign_envelope(b"", DSSE_PAYLOAD_TYPE, SK, keyid="")["signatures"][0]


def test_multiple_signatures_any_valid() -> None:
    env = _env()
    other = sign_envelope(b'{"x":1}', DSSE_PAYLOAD_TYPE, OTHER)
    env["signatures"] = other["signatures"] + env["signatures"]
    assert verify_envelope(env, PK) == b'{"x":1}'
    assert verify_envelope(env, OTHER.public_key()) == b'{"x":1}'
    third = keys.generate().public_key()
    with pytest.raises(VerificationError):
        verify_envelope(env, third)


def test_bad_arguments() -> None:
    with pytest.raises(InvalidInputError):
        sign_envelope("text", DSSE_PAYLOAD_TYPE, SK)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        sign_envelope(b"x", DSSE_PAYLOAD_TYPE, PK)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        verify_envelope(_env(), [])
    with pytest.raises(InvalidInputError):
        verify_envelope(_env(), ["not a key"])  # type: ignore[list-item]


@settings(max_examples=60, deadline=None)
@given(pos=st.integers(0, 10_000), byte=st.integers(0, 255))
def test_random_byte_mutation_never_verifies_another_payload(pos: int, byte: int) -> None:
    text = bytearray(envelope_to_json(_env()))
    pos %= len(text)
    text[pos] = byte
    try:
        payload = verify_envelope(bytes(text), PK)
    except (MalformedError, VerificationError):
        return
    assert payload == b'{"x":1}'  # e.g. a mutated keyid hint, or an equivalent encoding


# --- in-toto statements ------------------------------------------------------------------


def _statement(ptype: str = PREDICATE_STEP_V1) -> Statement:
    return build_statement(
        [{"name": "model.safetensors", "digest": {"sha256": DIGEST}}],
        ptype,
        {"step": 3, "root": "b" * 64},
    )


def test_statement_build_and_json() -> None:
    st_ = _statement()
    d = json.loads(st_.to_json())
    assert d == {
        "_type": INTOTO_STATEMENT_TYPE,
        "subject": [{"name": "model.safetensors", "digest": {"sha256": DIGEST}}],
        "predicateType": PREDICATE_STEP_V1,
        "predicate": {"step": 3, "root": "b" * 64},
    }
    assert Statement.from_json(st_.to_json()) == st_
    assert st_.digest_of("model.safetensors") == DIGEST
    with pytest.raises(VerificationError):
        st_.digest_of("other")
    s2 = build_statement(Subject("m", {"sha256": DIGEST, "blake3": "zz"}), PREDICATE_SPEC_V1, {})
    assert s2.subject[0].digest["blake3"] == "zz"  # unknown algorithms pass through


def test_sign_and_open_statement() -> None:
    st_ = _statement()
    env = sign_statement(st_, SK)
    assert env["payloadType"] == DSSE_PAYLOAD_TYPE
    assert open_statement(env, PK, PREDICATE_STEP_V1) == st_
    assert open_statement(env, [OTHER.public_key(), PK], None) == st_
    with pytest.raises(VerificationError):
        open_statement(env, OTHER.public_key(), PREDICATE_STEP_V1)
    with pytest.raises(VerificationError, match="predicateType"):
        open_statement(env, PK, PREDICATE_CHECKPOINT_V1)
    newer = sign_statement(_statement(PREDICATE_STEP_V1.replace("/v1", "/v2")), SK)
    with pytest.raises(UnsupportedVersionError, match="step/v2"):
        open_statement(newer, PK, PREDICATE_STEP_V1)
    # a DSSE envelope of another payload type is not a statement
    other_type = sign_envelope(st_.to_json(), "application/json", SK)
    with pytest.raises(VerificationError, match="payloadType"):
        open_statement(other_type, PK, PREDICATE_STEP_V1)
    # a signed payload that is not a statement
    junk = sign_envelope(b'{"_type":"x","predicateType":"p","subject":[]}', DSSE_PAYLOAD_TYPE, SK)
    with pytest.raises(MalformedError, match="_type"):
        open_statement(junk, PK, PREDICATE_STEP_V1)


def _good() -> dict:
    return json.loads(_statement().to_json())


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d.pop("_type"), "missing field '_type'"),
        (lambda d: d.update(_type="https://in-toto.io/Statement/v0.1"), r"statement\._type"),
        (lambda d: d.pop("subject"), "missing field 'subject'"),
        (lambda d: d.update(subject={}), r"statement\.subject must be a list"),
        (lambda d: d.update(subject=[]), r"statement\.subject is empty"),
        (lambda d: d["subject"].append(3), r"statement\.subject\[1\] must be an object"),
        (lambda d: d["subject"][0].pop("digest"), r"subject\[0\]: missing field 'digest'"),
        (lambda d: d["subject"][0].update(digest={}), r"subject\[0\]\.digest is empty"),
        (lambda d: d["subject"][0].update(digest=[]), r"subject\[0\]\.digest must be"),
        (lambda d: d["subject"][0].update(name=7), r"subject\[0\]\.name"),
        (lambda d: d["subject"][0]["digest"].update(sha256="A" * 64), r"digest\.sha256"),
        (lambda d: d["subject"][0]["digest"].update(sha256="a" * 63), r"digest\.sha256"),
        (lambda d: d["subject"][0]["digest"].update(sha512="a" * 64), r"digest\.sha512"),
        (lambda d: d["subject"][0]["digest"].update(foo=1), r"digest\.foo"),
        (lambda d: d["subject"][0].update(uri=1), r"subject\[0\]\.uri"),
        (lambda d: d.pop("predicateType"), "missing field 'predicateType'"),
        (lambda d: d.update(predicateType=""), r"statement\.predicateType"),
        (lambda d: d.update(predicate=[1]), r"statement\.predicate must be an object"),
    ],
)
def test_statement_strict_validation(mutate, path: str) -> None:  # type: ignore[no-untyped-def]
    d = _good()
    Statement.from_dict(d)  # positive twin
    mutate(d)
    with pytest.raises(MalformedError, match=path):
        Statement.from_dict(d)


def test_statement_unknown_fields_ignored_and_json_strict() -> None:
    d = _good()
    d["extension.example.com"] = {"x": 1}
    d["subject"][0]["unknownField"] = 1
    assert Statement.from_dict(d) == _statement()
    with pytest.raises(MalformedError, match="duplicate"):
        Statement.from_json(b'{"_type":"a","_type":"b"}')


def test_build_statement_rejects_bad_input() -> None:
    with pytest.raises(InvalidInputError, match="digest"):
        build_statement({"name": "m", "digest": {"sha256": "xyz"}}, PREDICATE_STEP_V1, {})
    with pytest.raises(InvalidInputError):
        build_statement([], PREDICATE_STEP_V1, {})
    with pytest.raises(InvalidInputError):
        build_statement(
            {"name": "m", "digest": {"sha256": DIGEST}}, PREDICATE_STEP_V1, {"x": float("nan")}
        )
    with pytest.raises(InvalidInputError):
        sign_statement({"not": "a statement"}, SK)  # type: ignore[arg-type]
