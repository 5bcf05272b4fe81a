"""FP32 / BF16 arithmetic proofs through the Python binding: results equal numpy float32
/ ml_dtypes.bfloat16 arithmetic, proofs verify, and tampered results are rejected."""

from __future__ import annotations

import math

import ml_dtypes
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zkattest import arith
from zkattest.errors import InvalidInputError, MalformedError, VerificationError

BF16 = ml_dtypes.bfloat16


def finite_f32_bits() -> st.SearchStrategy[int]:
    # Every finite pattern, with the exponent extremes (subnormals, huge) well represented.
    return st.one_of(
        st.integers(0, 0xFFFF_FFFF),
        st.builds(
            lambda s, e, f: s << 31 | e << 23 | f,
            st.integers(0, 1),
            st.sampled_from([0, 1, 2, 126, 127, 128, 253, 254]),
            st.integers(0, 0x7F_FFFF),
        ),
    ).filter(lambda x: (x >> 23) & 0xFF != 0xFF)


def finite_bf16_bits() -> st.SearchStrategy[int]:
    return st.integers(0, 0xFFFF).filter(lambda x: (x >> 7) & 0xFF != 0xFF)


def moderate() -> st.SearchStrategy[float]:
    """Factors whose BF16 products are exact in FP32 (what the MAC chip proves directly)."""
    return st.floats(-100, 100, width=32).filter(lambda x: x == 0 or abs(x) > 1e-6)


def mac_numpy(acc: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """acc + a * b in numpy float32 (the bf16 product is computed in float32 and rounded
    once, then added and rounded once: two IEEE roundings, as the semantics define)."""
    fa = a.view(BF16).astype(np.float32)
    fb = b.view(BF16).astype(np.float32)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        return (acc.view(np.float32) + fa * fb).astype(np.float32)


def same_bits(x: np.ndarray, y: np.ndarray) -> bool:
    """Bitwise equal, with every NaN equal to every NaN."""
    xf, yf = x.view(np.float32), y.view(np.float32)
    both_nan = np.isnan(xf) & np.isnan(yf)
    return bool(np.all((x.view(np.uint32) == y.view(np.uint32)) | both_nan))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(finite_f32_bits(), finite_bf16_bits(), finite_bf16_bits()),
        min_size=1,
        max_size=64,
    )
)
def test_evaluate_matches_numpy(rows: list[tuple[int, int, int]]) -> None:
    acc = np.array([r[0] for r in rows], np.uint32)
    a = np.array([r[1] for r in rows], np.uint16)
    b = np.array([r[2] for r in rows], np.uint16)
    assert same_bits(arith.evaluate("bf16_mac", acc, a, b), mac_numpy(acc, a, b))


@pytest.fixture(scope="module")
def mac_proof() -> tuple[list[np.ndarray], np.ndarray, bytes]:
    rng = np.random.default_rng(11)
    n = 40
    acc = (rng.standard_normal(n) * 4).astype(np.float32)
    a = rng.standard_normal(n).astype(BF16)
    b = (rng.standard_normal(n) * 100).astype(BF16)
    # Edge cases: a tie to even, overflow to +inf, -0 + -0, exact cancellation.
    acc[:4] = [1.0, 3.4028235e38, -0.0, 2.0]
    a[:4] = np.array([2.0**-24, 2.0**104, -0.0, -2.0], BF16)
    b[:4] = np.array([1.0, 1.0, 1.0, 1.0], BF16)
    inputs = [acc, a, b]
    proof, out = arith.prove("bf16_mac", *inputs)
    return inputs, out, proof


def test_proof_results_match_numpy_and_verify(mac_proof) -> None:
    inputs, out, proof = mac_proof
    acc, a, b = inputs
    expect = mac_numpy(acc.view(np.uint32), a.view(np.uint16), b.view(np.uint16))
    assert same_bits(out, expect)
    assert out.view(np.float32)[1] == np.inf
    assert out[2] == 0x8000_0000  # -0 + -0 = -0
    assert out[3] == 0  # 2 - 2 = +0
    arith.verify("bf16_mac", *inputs, outputs=out, proof=proof)


@pytest.mark.parametrize("tamper", ["ulp_up", "ulp_down", "sign", "nan", "inf"])
def test_tampered_result_rejected(mac_proof, tamper: str) -> None:
    inputs, out, proof = mac_proof
    bad = out.copy()
    i = 7
    bad[i] = {
        "ulp_up": bad[i] + 1,
        "ulp_down": bad[i] - 1,
        "sign": bad[i] ^ 0x8000_0000,
        "nan": 0x7FC0_0000,
        "inf": 0x7F80_0000,
    }[tamper]
    with pytest.raises(VerificationError):
        arith.verify("bf16_mac", *inputs, outputs=bad, proof=proof)


def test_tampered_input_and_proof_rejected(mac_proof) -> None:
    inputs, out, proof = mac_proof
    acc = inputs[0].copy()
    acc[5] = np.nextafter(acc[5], np.float32(np.inf))
    with pytest.raises(VerificationError):
        arith.verify("bf16_mac", acc, inputs[1], inputs[2], outputs=out, proof=proof)
    bad = bytearray(proof)
    bad[len(bad) // 2] ^= 1
    with pytest.raises((VerificationError, MalformedError)):
        arith.verify("bf16_mac", *inputs, outputs=out, proof=bytes(bad))


@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.floats(-1e4, 1e4, width=32),
            moderate(),
            moderate(),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_random_batches_prove(rows: list[tuple[float, float, float]]) -> None:
    acc = np.array([r[0] for r in rows], np.float32)
    a = np.array([r[1] for r in rows], np.float32).astype(BF16)
    b = np.array([r[2] for r in rows], np.float32).astype(BF16)
    proof, out = arith.prove("bf16_mac", acc, a, b)
    assert same_bits(out, mac_numpy(acc.view(np.uint32), a.view(np.uint16), b.view(np.uint16)))
    arith.verify("bf16_mac", acc, a, b, outputs=out, proof=proof)


def test_bad_inputs_are_typed() -> None:
    one = np.ones(1, np.float32)
    h = np.full(1, 0x3F80, np.uint16)  # bf16 1.0
    with pytest.raises(InvalidInputError):
        arith.prove("bf16_mac", one, h)  # missing input
    with pytest.raises(InvalidInputError):
        arith.prove("nope", one, h, h)
    with pytest.raises(InvalidInputError):
        arith.prove("bf16_mac", np.array([np.nan], np.float32), h, h)
    with pytest.raises(InvalidInputError):
        arith.prove("bf16_mac", one, np.ones(2, np.uint16), h)
    with pytest.raises(InvalidInputError):
        arith.prove("bf16_mac", np.ones((1, 1), np.float32), h, h)
    with pytest.raises(InvalidInputError):
        arith.evaluate("bf16_mac", np.array([], np.float32), np.array([], np.uint16), h[:0])
    with pytest.raises(InvalidInputError):
        arith.verify("bf16_mac", one, h, h, outputs=one, proof="not bytes")  # type: ignore[arg-type]
    with pytest.raises(MalformedError):
        arith.verify("bf16_mac", one, h, h, outputs=one, proof=b"garbage")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(finite_f32_bits(), finite_f32_bits()), min_size=1, max_size=64))
def test_add_sub_evaluate_match_numpy(rows: list[tuple[int, int]]) -> None:
    x = np.array([r[0] for r in rows], np.uint32)
    y = np.array([r[1] for r in rows], np.uint32)
    fx, fy = x.view(np.float32), y.view(np.float32)
    with np.errstate(over="ignore"):
        assert same_bits(arith.evaluate("fp32_add", x, y), (fx + fy).astype(np.float32))
        assert same_bits(arith.evaluate("fp32_sub", x, y), (fx - fy).astype(np.float32))


def test_add_sub_prove_and_reject_tampering() -> None:
    rng = np.random.default_rng(5)
    x = (rng.standard_normal(16) * 1e3).astype(np.float32)
    y = (rng.standard_normal(16) * 1e3).astype(np.float32)
    y[0] = -x[0]  # exact cancellation to +0
    y[1] = np.nextafter(-x[1], np.float32(0))  # deep cancellation
    for op, ref in (("fp32_add", x + y), ("fp32_sub", x - y)):
        proof, out = arith.prove(op, x, y)
        assert same_bits(out, ref.astype(np.float32))
        arith.verify(op, x, y, outputs=out, proof=proof)
        bad = out.copy()
        bad[1] ^= 1
        with pytest.raises(VerificationError):
            arith.verify(op, x, y, outputs=bad, proof=proof)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(finite_f32_bits(), finite_f32_bits()), min_size=1, max_size=64))
def test_mul_and_bf16_conversion_evaluate_match_numpy(rows: list[tuple[int, int]]) -> None:
    x = np.array([r[0] for r in rows], np.uint32)
    y = np.array([r[1] for r in rows], np.uint32)
    fx, fy = x.view(np.float32), y.view(np.float32)
    with np.errstate(over="ignore", under="ignore"):
        assert same_bits(arith.evaluate("fp32_mul", x, y), (fx * fy).astype(np.float32))
    expect = fx.astype(BF16).view(np.uint16).astype(np.uint32)
    assert np.array_equal(arith.evaluate("fp32_to_bf16", x), expect)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(finite_bf16_bits(), finite_bf16_bits()), min_size=1, max_size=64))
def test_bf16_mul_evaluate_matches_numpy(rows: list[tuple[int, int]]) -> None:
    a = np.array([r[0] for r in rows], np.uint16)
    b = np.array([r[1] for r in rows], np.uint16)
    fa = a.view(BF16).astype(np.float32)
    fb = b.view(BF16).astype(np.float32)
    with np.errstate(over="ignore", under="ignore"):
        assert same_bits(arith.evaluate("bf16_mul", a, b), (fa * fb).astype(np.float32))


@pytest.mark.parametrize("op", ["fp32_mul", "bf16_mul", "fp32_to_bf16"])
def test_other_ops_prove_and_reject_tampering(op: str) -> None:
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(16) * 1e3).astype(np.float32)
    y = (rng.standard_normal(16) * 1e-3).astype(np.float32)
    x[0], y[0] = np.float32(1.5e-45), np.float32(0.5)  # tie on the subnormal grid
    x[1], y[1] = np.float32(2.0**127), np.float32(4.0)  # overflow to infinity
    with np.errstate(over="ignore", under="ignore"):
        if op == "fp32_mul":
            inputs, ref = [x, y], x * y
        elif op == "bf16_mul":
            a, b = x.astype(BF16), y.astype(BF16)
            inputs, ref = [a, b], a.astype(np.float32) * b.astype(np.float32)
        else:
            inputs, ref = [x], x.astype(BF16).view(np.uint16).astype(np.uint32).view(np.float32)
    proof, out = arith.prove(op, *inputs)
    assert same_bits(out, np.asarray(ref, np.float32))
    arith.verify(op, *inputs, outputs=out, proof=proof)
    bad = out.copy()
    bad[2] ^= 1
    with pytest.raises(VerificationError):
        arith.verify(op, *inputs, outputs=bad, proof=proof)


def _f64_to_bf16(v: float) -> int:
    """Nearest BF16 (ties to even) of a float64, by exact integer scaling (no float32
    intermediate, so no double rounding)."""
    if v != v:
        return 0x7FC0
    sign = 0x8000 if math.copysign(1.0, v) < 0 else 0
    a = abs(v)
    if a == 0:
        return sign
    if math.isinf(a):
        return sign | 0x7F80
    e = math.frexp(a)[1] - 1  # a in [2^e, 2^(e+1))
    ulp = max(e - 7, -133)
    val = round(a / 2.0**ulp) * 2.0**ulp  # round() ties to even
    if val >= 2.0**128:
        return sign | 0x7F80
    return sign | int(np.float32(val).view(np.uint32)) >> 16


def _exp(v: float) -> float:
    try:
        return math.exp(v)
    except OverflowError:
        return math.inf


def test_unary_tables_match_the_f64_reference_everywhere() -> None:
    # The tables are defined as the correctly rounded BF16 of an f64 reference; Python's
    # math.erfc / math.exp reproduce all 65,280 finite entries of both.
    xs = np.array([x for x in range(1 << 16) if (x >> 7) & 0xFF != 0xFF], np.uint16)
    fx = (xs.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    gelu = [_f64_to_bf16(0.5 * v * math.erfc(-v / math.sqrt(2.0))) for v in fx]
    exp = [_f64_to_bf16(_exp(v)) for v in fx]
    assert np.array_equal(arith.evaluate("bf16_gelu", xs), np.array(gelu, np.uint32))
    assert np.array_equal(arith.evaluate("bf16_exp", xs), np.array(exp, np.uint32))


@pytest.mark.parametrize("op", ["bf16_gelu", "bf16_exp"])
def test_unary_prove_and_reject_tampering(op: str) -> None:
    x = np.array([0.0, 1.0, -1.0, 10.0, -10.0, 89.0, 1e-40, -3.5], np.float32).astype(BF16)
    proof, out = arith.prove(op, x)
    arith.verify(op, x, outputs=out, proof=proof)
    bad = out.copy()
    bad[1] += 1
    with pytest.raises(VerificationError):
        arith.verify(op, x, outputs=bad, proof=proof)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(finite_f32_bits(), finite_f32_bits()), min_size=1, max_size=64))
def test_div_and_sqrt_evaluate_match_numpy(rows: list[tuple[int, int]]) -> None:
    x = np.array([r[0] for r in rows], np.uint32)
    y = np.array([r[1] for r in rows], np.uint32)
    fx, fy = x.view(np.float32), y.view(np.float32)
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        q = (fx / fy).astype(np.float32)
    ok = np.isfinite(q) & (fy != 0)
    if ok.any():
        assert same_bits(arith.evaluate("fp32_div", x[ok], y[ok]), q[ok])
    if not ok.all():
        with pytest.raises(InvalidInputError):
            arith.evaluate("fp32_div", x, y)
    nonneg = (x >> 31 == 0) | (fx == 0)
    if nonneg.any():
        assert same_bits(arith.evaluate("fp32_sqrt", x[nonneg]), np.sqrt(fx[nonneg]))
    if not nonneg.all():
        with pytest.raises(InvalidInputError, match="negative"):
            arith.evaluate("fp32_sqrt", x)


def test_div_and_sqrt_prove_and_reject_tampering() -> None:
    rng = np.random.default_rng(5)
    x = (rng.standard_normal(16) * 1e3).astype(np.float32)
    y = (rng.standard_normal(16) * 1e-3).astype(np.float32)
    x[0], y[0] = np.float32(4e-45), np.float32(2.0)  # 1.5 * 2^-149: tie up to 2^-148
    x[1], y[1] = np.float32(-0.0), np.float32(3.0)  # -0
    x[2], y[2] = np.float32(3.4e38), np.float32(1.0)  # near the largest finite value
    proof, out = arith.prove("fp32_div", x, y)
    assert same_bits(out, x / y)
    arith.verify("fp32_div", x, y, outputs=out, proof=proof)
    for i, flip in [(0, 1), (1, 0x8000_0000), (5, 1)]:
        bad = out.copy()
        bad[i] ^= flip
        with pytest.raises(VerificationError):
            arith.verify("fp32_div", x, y, outputs=bad, proof=proof)
    with pytest.raises(VerificationError):  # a quotient proof is no product proof
        arith.verify("fp32_mul", x, y, outputs=out, proof=proof)

    r = np.abs(x)
    r[3] = np.float32(-0.0)  # sqrt(-0) = -0
    r[4] = np.float32(1e-45)  # smallest subnormal
    proof, out = arith.prove("fp32_sqrt", r)
    assert same_bits(out, np.sqrt(r))
    assert out[3] == 0x8000_0000
    arith.verify("fp32_sqrt", r, outputs=out, proof=proof)
    bad = out.copy()
    bad[4] ^= 1
    with pytest.raises(VerificationError):
        arith.verify("fp32_sqrt", r, outputs=bad, proof=proof)


@pytest.mark.parametrize(
    ("op", "inputs", "match"),
    [
        ("fp32_div", ([1.0], [0.0]), "zero"),
        ("fp32_div", ([0.0], [-0.0]), "zero"),
        ("fp32_div", ([3e38], [0.5]), "overflows"),
        ("fp32_div", ([np.inf], [1.0]), "not finite"),
        ("fp32_div", ([1.0, 2.0], [1.0]), "length"),
        ("fp32_sqrt", ([-1.0],), "negative"),
        ("fp32_sqrt", ([np.nan],), "not finite"),
    ],
)
def test_div_and_sqrt_bad_inputs_are_typed(op: str, inputs: tuple, match: str) -> None:
    arrays = [np.array(a, np.float32) for a in inputs]
    with pytest.raises(InvalidInputError, match=match):
        arith.prove(op, *arrays)
