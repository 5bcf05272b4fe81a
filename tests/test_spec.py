"""TrainingSpec: round trips, digests, strict parsing with field paths, value validation,
secret commitments, and construction from real torch objects."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zkattest.canonical import canonical_json
from zkattest.errors import InvalidInputError, MalformedError, UnsupportedVersionError
from zkattest.spec import (
    DEFAULT_INVARIANTS,
    SPEC_SCHEMA_V1,
    AdamWHyperparameters,
    ChallengePolicy,
    CommitmentParams,
    ConstantSchedule,
    CosineSchedule,
    DatasetSpec,
    FlopBudget,
    Fp32,
    InitRecipe,
    Invariant,
    LinearWarmupSchedule,
    ModelFingerprint,
    ParameterInfo,
    ParentInit,
    PrecisionPolicy,
    SGDHyperparameters,
    StepSchedule,
    TrainingSpec,
    commit_secret,
    open_secret,
    training_flops,
)

H1 = "11" * 32
H2 = "22" * 32
H3 = "33" * 32


def make_spec(**overrides: Any) -> TrainingSpec:
    """A valid spec touching every kind of section (AdamW, cosine, recipe init)."""
    fields: dict[str, Any] = dict(
        model=ModelFingerprint(
            (
                ParameterInfo("0.weight", (16, 8), "float32"),
                ParameterInfo("0.bias", (16,), "float32"),
                ParameterInfo("2.weight", (1, 16), "float32"),
            )
        ),
        optimizer=AdamWHyperparameters(lr=3e-4, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1),
        schedule=CosineSchedule(lr=3e-4, min_lr=3e-5, decay_steps=90, warmup_steps=10),
        batch_size=32,
        max_steps=100,
        flop_budget=FlopBudget(10**24),
        dataset=DatasetSpec(H1, 60000),
        init=InitRecipe("torch_default", H2, {"gain": 1, "std": 0.02, "mode": "fan_in"}),
        precision=PrecisionPolicy(),
        commitment=CommitmentParams(H3, chunk_size=4096),
        challenges=ChallengePolicy.of_fraction(0.25),
        invariants=(*DEFAULT_INVARIANTS, Invariant("grad_norm_clip", {"max_norm": 1.0})),
    )
    fields.update(overrides)
    return TrainingSpec(**fields)


# --- strategies for random valid specs ---------------------------------------------------

hex64 = st.binary(min_size=32, max_size=32).map(bytes.hex)
names = st.text("abcdefghij0123456789._", min_size=1, max_size=12)


def fp32_in(lo: float, hi: float, **kw: bool) -> st.SearchStrategy[Fp32]:
    # float64 draws rounded to FP32: rounding is monotone, so FP32 bounds stay bounds
    return st.floats(lo, hi, allow_subnormal=False, **kw).map(Fp32.from_float)


@st.composite
def specs(draw: st.DrawFn) -> TrainingSpec:
    dtype = draw(st.sampled_from(["float32", "bfloat16"]))
    params = draw(
        st.lists(
            st.builds(
                ParameterInfo,
                name=names,
                shape=st.lists(st.integers(0, 64), max_size=4).map(tuple),
                dtype=st.just(dtype),
            ),
            min_size=1,
            max_size=5,
            unique_by=lambda p: p.name,
        )
    )
    lr = draw(fp32_in(2.0**-20, 1.0))
    if draw(st.booleans()):
        momentum = draw(fp32_in(0.0, 0.99))
        nesterov = momentum.value > 0 and draw(st.booleans())
        optimizer: Any = SGDHyperparameters(
            lr=lr,
            momentum=momentum,
            dampening=Fp32(0) if nesterov else draw(fp32_in(0.0, 1.0)),
            weight_decay=draw(fp32_in(0.0, 0.5)),
            nesterov=nesterov,
        )
    else:
        optimizer = AdamWHyperparameters(
            lr=lr,
            betas=(draw(fp32_in(0.0, 0.99)), draw(fp32_in(0.0, 0.9999))),
            eps=draw(fp32_in(1e-12, 1e-3)),
            weight_decay=draw(fp32_in(0.0, 0.5)),
        )
    max_steps = draw(st.integers(1, 10**7))
    warm = st.integers(0, max_steps)
    schedule = draw(
        st.one_of(
            st.builds(ConstantSchedule, lr=st.just(lr)),
            st.builds(LinearWarmupSchedule, lr=st.just(lr), warmup_steps=st.integers(1, max_steps)),
            st.builds(
                CosineSchedule,
                lr=st.just(lr),
                decay_steps=st.integers(1, 10**7),
                min_lr=fp32_in(0.0, lr.value),
                warmup_steps=warm,
            ),
            st.builds(
                StepSchedule,
                lr=st.just(lr),
                step_size=st.integers(1, 1000),
                gamma=fp32_in(0.01, 1.0),
                warmup_steps=warm,
            ),
        )
    )
    init = draw(
        st.one_of(
            st.builds(
                InitRecipe,
                name=st.sampled_from(["torch_default", "normal", "xavier-uniform"]),
                seed_commitment=hex64,
                parameters=st.dictionaries(
                    st.sampled_from(["std", "gain", "mode", "zero_bias"]),
                    st.one_of(
                        st.booleans(),
                        st.integers(-(2**63), 2**63),
                        st.text(max_size=5),
                        fp32_in(-10.0, 10.0),
                    ),
                ),
            ),
            st.builds(ParentInit, bundle_digest=hex64, final_state_root=hex64),
        )
    )
    challenges = draw(
        st.one_of(
            fp32_in(2.0**-20, 1.0).map(ChallengePolicy.of_fraction),
            st.integers(1, 10**6).map(ChallengePolicy.of_count),
        )
    )
    invariants = draw(st.lists(st.sampled_from(DEFAULT_INVARIANTS), unique=True))
    if draw(st.booleans()):
        invariants.append(Invariant("grad_norm_clip", {"max_norm": draw(fp32_in(1e-3, 100.0))}))
    return TrainingSpec(
        model=ModelFingerprint(tuple(params)),
        optimizer=optimizer,
        schedule=schedule,
        batch_size=draw(st.integers(1, 2**20)),
        max_steps=max_steps,
        flop_budget=FlopBudget(draw(st.integers(1, 2**100))),
        dataset=DatasetSpec(draw(hex64), draw(st.integers(1, 2**40))),
        init=init,
        precision=PrecisionPolicy(dtype, draw(st.sampled_from(["float32", "bfloat16"])), dtype),
        commitment=CommitmentParams(draw(hex64), chunk_size=2 ** draw(st.integers(10, 24))),
        challenges=challenges,
        invariants=tuple(invariants),
    )


# --- round trips and digests ------------------------------------------------------------


@given(specs())
@settings(max_examples=150, deadline=None)
def test_round_trip(spec: TrainingSpec) -> None:
    data = spec.to_json()
    again = TrainingSpec.from_json(data)
    assert again == spec
    assert again.to_json() == data
    assert again.digest() == spec.digest()
    assert TrainingSpec.from_dict(json.loads(data)) == spec
    assert data == canonical_json(json.loads(data))  # already canonical


@given(specs(), specs())
@settings(max_examples=50, deadline=None)
def test_equal_iff_same_digest(a: TrainingSpec, b: TrainingSpec) -> None:
    assert (a == b) == (a.digest() == b.digest())


def test_digest_is_sha256_of_canonical_json() -> None:
    import hashlib

    spec = make_spec()
    assert spec.digest() == hashlib.sha256(spec.to_json()).hexdigest()
    assert len(spec.digest()) == 64
    assert json.loads(spec.to_json())["schema"] == SPEC_SCHEMA_V1


MUTATIONS: list[tuple[str, Callable[[TrainingSpec], TrainingSpec]]] = [
    (
        "model.name",
        lambda s: s.replace(
            model=ModelFingerprint(
                (ParameterInfo("0.w", (16, 8), "float32"), *s.model.parameters[1:])
            )
        ),
    ),
    (
        "model.shape",
        lambda s: s.replace(
            model=ModelFingerprint(
                (ParameterInfo("0.weight", (8, 16), "float32"), *s.model.parameters[1:])
            )
        ),
    ),
    ("model.order", lambda s: s.replace(model=ModelFingerprint(s.model.parameters[::-1]))),
    (
        "optimizer.betas",
        lambda s: s.replace(optimizer=dataclasses.replace(s.optimizer, betas=(0.9, 0.999))),
    ),
    ("optimizer.eps", lambda s: s.replace(optimizer=dataclasses.replace(s.optimizer, eps=1e-6))),
    (
        "optimizer.wd",
        lambda s: s.replace(optimizer=dataclasses.replace(s.optimizer, weight_decay=0.0)),
    ),
    (
        "optimizer.lr+schedule.lr",
        lambda s: s.replace(
            optimizer=dataclasses.replace(s.optimizer, lr=Fp32(s.optimizer.lr.bits + 1)),
            schedule=dataclasses.replace(s.schedule, lr=Fp32(s.schedule.lr.bits + 1)),
        ),
    ),
    ("optimizer.kind", lambda s: s.replace(optimizer=SGDHyperparameters(lr=s.optimizer.lr))),
    ("schedule.min_lr", lambda s: s.replace(schedule=dataclasses.replace(s.schedule, min_lr=0.0))),
    (
        "schedule.decay",
        lambda s: s.replace(schedule=dataclasses.replace(s.schedule, decay_steps=91)),
    ),
    (
        "schedule.warmup",
        lambda s: s.replace(schedule=dataclasses.replace(s.schedule, warmup_steps=0)),
    ),
    ("schedule.kind", lambda s: s.replace(schedule=ConstantSchedule(s.optimizer.lr))),
    ("batch_size", lambda s: s.replace(batch_size=33)),
    ("max_steps", lambda s: s.replace(max_steps=101)),
    ("flop_budget", lambda s: s.replace(flop_budget=FlopBudget(10**24 + 1))),
    ("dataset.root", lambda s: s.replace(dataset=DatasetSpec(H3, 60000))),
    ("dataset.size", lambda s: s.replace(dataset=DatasetSpec(H1, 60001))),
    ("init.name", lambda s: s.replace(init=dataclasses.replace(s.init, name="normal"))),
    ("init.params", lambda s: s.replace(init=dataclasses.replace(s.init, parameters={}))),
    ("init.seed", lambda s: s.replace(init=dataclasses.replace(s.init, seed_commitment=H1))),
    ("init.parent", lambda s: s.replace(init=ParentInit(H2, H3))),
    ("precision.grad", lambda s: s.replace(precision=PrecisionPolicy(grad_dtype="bfloat16"))),
    (
        "precision.state",
        lambda s: s.replace(precision=PrecisionPolicy(optimizer_state_dtype="bfloat16")),
    ),
    ("commitment.chunk", lambda s: s.replace(commitment=CommitmentParams(H3, chunk_size=8192))),
    ("commitment.salt", lambda s: s.replace(commitment=CommitmentParams(H1, chunk_size=4096))),
    ("challenges.fraction", lambda s: s.replace(challenges=ChallengePolicy.of_fraction(0.5))),
    ("challenges.count", lambda s: s.replace(challenges=ChallengePolicy.of_count(64))),
    (
        "challenges.seed",
        lambda s: s.replace(challenges=ChallengePolicy.of_fraction(0.25, "verifier_supplied")),
    ),
    ("invariants.drop", lambda s: s.replace(invariants=s.invariants[1:])),
    (
        "invariants.param",
        lambda s: s.replace(
            invariants=(*DEFAULT_INVARIANTS, Invariant("grad_norm_clip", {"max_norm": 2.0}))
        ),
    ),
]


@pytest.mark.parametrize(("what", "mutate"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_digest_changes_with_every_field(what: str, mutate: Callable) -> None:  # type: ignore[type-arg]
    base = make_spec()
    changed = mutate(base)
    assert changed != base
    assert changed.digest() != base.digest()
    assert TrainingSpec.from_json(changed.to_json()) == changed


def test_sections_cover_every_dataclass_field() -> None:
    keys = set(json.loads(make_spec().to_json()))
    assert keys == {f.name for f in dataclasses.fields(TrainingSpec)} | {"schema"}


# --- generic JSON corruption: every node, every key ---------------------------------------


def _walk(node: Any, path: str = "") -> Iterator[tuple[str, list[Any], Any]]:
    """Yield (path, key-trail, value) for every node under ``node``."""

    def rec(v: Any, p: str, trail: list[Any]) -> Iterator[tuple[str, list[Any], Any]]:
        yield p, trail, v
        if isinstance(v, dict):
            for k in v:
                yield from rec(v[k], f"{p}.{k}" if p else k, [*trail, k])
        elif isinstance(v, list):
            for i, x in enumerate(v):
                yield from rec(x, f"{p}[{i}]", [*trail, i])

    yield from rec(node, path, [])


def _at(doc: Any, trail: list[Any]) -> Any:
    for k in trail:
        doc = doc[k]
    return doc


def _free_form(path: str) -> bool:
    return path.startswith("init.parameters")


def _base_doc() -> dict[str, Any]:
    return json.loads(make_spec().to_json())


def _all_nodes() -> list[tuple[str, list[Any], Any]]:
    return [n for n in _walk(_base_doc()) if n[0]]


def test_unknown_field_rejected_at_every_level() -> None:
    checked = 0
    for path, trail, value in [("", [], _base_doc()), *_all_nodes()]:
        if not isinstance(value, dict) or (_free_form(path) and path != "init"):
            continue
        doc = _base_doc()
        _at(doc, trail)["zz_extra"] = 1
        want = f"{path}.zz_extra" if path else "zz_extra"
        with pytest.raises(InvalidInputError, match=rf"^{_re(want)}: unknown field"):
            TrainingSpec.from_dict(doc)
        checked += 1
    assert checked >= 25


def test_missing_field_rejected_everywhere() -> None:
    checked = 0
    for path, trail, value in [("", [], _base_doc()), *_all_nodes()]:
        if not isinstance(value, dict) or (_free_form(path) and path != "init"):
            continue
        for key in list(value):
            doc = _base_doc()
            del _at(doc, trail)[key]
            want = f"{path}.{key}" if path else key
            with pytest.raises(InvalidInputError, match=rf"^{_re(want)}: missing required field"):
                TrainingSpec.from_dict(doc)
            checked += 1
    assert checked >= 60


def test_wrong_type_rejected_at_every_field() -> None:
    checked = 0
    for path, trail, value in _all_nodes():
        doc = _base_doc()
        wrong: Any = {} if isinstance(value, list) else []
        _at(doc, trail[:-1])[trail[-1]] = wrong
        with pytest.raises(InvalidInputError, match=rf"^{_re(path)}: .*expected"):
            TrainingSpec.from_dict(doc)
        checked += 1
    assert checked >= 80


def test_wrong_type_message_example() -> None:
    spec = make_spec()
    doc = json.loads(spec.to_json())
    doc["optimizer"]["hyperparameters"]["betas"][1] = "0.95"
    with pytest.raises(InvalidInputError) as e:
        TrainingSpec.from_dict(doc)
    assert str(e.value) == (
        'optimizer.hyperparameters.betas[1]: expected an FP32 object {"bits", "decimal"}, got str'
    )
    doc = json.loads(spec.to_json())
    doc["optimizer"]["hyperparameters"]["betas"][1]["decimal"] = "0.95"
    with pytest.raises(InvalidInputError, match=r"betas\[1\]\.decimal: expected a number, got str"):
        TrainingSpec.from_dict(doc)


def test_every_leaf_change_is_rejected_or_changes_the_digest() -> None:
    base = make_spec()
    accepted = 0
    for path, trail, value in _all_nodes():
        if isinstance(value, list) or (
            isinstance(value, dict) and set(value) != {"bits", "decimal"}
        ):
            continue
        for new in _alternatives(value):
            doc = _base_doc()
            _at(doc, trail[:-1])[trail[-1]] = new
            try:
                spec = TrainingSpec.from_dict(doc)
            except (InvalidInputError, UnsupportedVersionError):
                continue
            assert spec != base and spec.digest() != base.digest(), path
            accepted += 1
    assert accepted >= 40


def _alternatives(value: Any) -> list[Any]:
    if isinstance(value, dict):  # an FP32 object
        x = Fp32(int(value["bits"], 16) + 1)
        return [x.to_json()]
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 1, value * 2]
    if isinstance(value, str) and len(value) == 64:
        return [value[:-1] + ("0" if value[-1] != "0" else "1")]
    if isinstance(value, str):
        pool = [
            "bfloat16",
            "float32",
            "sgd",
            "constant",
            "count",
            "verifier_supplied",
            "normal",
            "zz",
        ]
        return [p for p in pool if p != value]
    return []


def _re(path: str) -> str:
    import re

    return re.escape(path)


# --- JSON text-level cases -----------------------------------------------------------------


def test_non_canonical_json_is_accepted_and_recanonicalized() -> None:
    spec = make_spec()
    doc = json.loads(spec.to_json())
    pretty = json.dumps(doc, indent=3, sort_keys=False, ensure_ascii=True)
    # reverse key order everywhere, escape some ASCII, spell numbers differently
    reordered = json.dumps(_reverse_keys(doc), indent=1)
    reordered = reordered.replace('"float32"', '"\\u0066loat32"', 1)
    reordered = reordered.replace('"batch_size": 32', '"batch_size":    32')
    for text in (pretty, reordered, pretty.encode()):
        again = TrainingSpec.from_json(text)
        assert again == spec
        assert again.to_json() == spec.to_json()
    # a decimal that is not the shortest but rounds to the same bits is re-emitted shortest
    doc["optimizer"]["hyperparameters"]["lr"]["decimal"] = 0.0003000000142492354
    assert TrainingSpec.from_dict(doc).to_json() == spec.to_json()
    doc["optimizer"]["hyperparameters"]["lr"]["decimal"] = 3.00000e-4
    assert TrainingSpec.from_dict(doc).to_json() == spec.to_json()


def _reverse_keys(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _reverse_keys(v[k]) for k in sorted(v, reverse=True)}
    if isinstance(v, list):
        return [_reverse_keys(x) for x in v]
    return v


def test_unsorted_invariants_are_sorted() -> None:
    doc = json.loads(make_spec().to_json())
    doc["invariants"].reverse()
    spec = TrainingSpec.from_dict(doc)
    assert spec == make_spec()
    assert [i.name for i in spec.invariants] == sorted(i.name for i in spec.invariants)


@pytest.mark.parametrize(
    "text",
    [
        b'{"schema": "zkattest.spec/v1", "schema": "zkattest.spec/v1"}',
        b'{"a": 1, "a": 2}',
        b"{",
        b'{"schema": NaN}',
        b'{"x": Infinity}',
        b"\xff\xfe{}",
        b'{"schema": "zkattest.spec/v1"} trailing',
        b"",
    ],
)
def test_malformed_json(text: bytes) -> None:
    with pytest.raises(MalformedError):
        TrainingSpec.from_json(text)


def test_duplicate_key_deep_inside() -> None:
    text = (
        make_spec()
        .to_json()
        .replace(b'"eps":', b'"eps":{"bits":"00000001","decimal":1e-45},"eps":')
    )
    with pytest.raises(MalformedError, match="duplicate"):
        TrainingSpec.from_json(text)


@pytest.mark.parametrize("schema", ["zkattest.spec/v2", "zkattest.spec/v0", "", "v1"])
def test_unsupported_version(schema: str) -> None:
    doc = json.loads(make_spec().to_json())
    doc["schema"] = schema
    doc["field_from_the_future"] = True  # the version is checked first
    with pytest.raises(UnsupportedVersionError, match="schema"):
        TrainingSpec.from_dict(doc)


@pytest.mark.parametrize("doc", [[], "spec", 3, None])
def test_top_level_not_an_object(doc: Any) -> None:
    with pytest.raises(InvalidInputError, match="must be a JSON object"):
        TrainingSpec.from_dict(doc)


# --- value validation (JSON and Python) -------------------------------------------------------


def _set(doc: dict[str, Any], trail: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    keys: list[Any] = [int(k) if k.isdigit() else k for k in trail.split("/")]
    _at(doc, keys[:-1])[keys[-1]] = value
    return doc


def _fp(x: float) -> dict[str, Any]:
    return Fp32.from_float(x).to_json()


BAD_VALUES = [
    ("optimizer/hyperparameters/lr", _fp(0.0), "optimizer.hyperparameters.lr: must be > 0"),
    ("optimizer/hyperparameters/lr", _fp(-1e-3), "optimizer.hyperparameters.lr: must be > 0"),
    (
        "optimizer/hyperparameters/lr",
        {"bits": "7f800000", "decimal": 1e39},
        "optimizer.hyperparameters.lr.bits: FP32 value 7f800000 is not finite",
    ),
    (
        "optimizer/hyperparameters/lr",
        {"bits": "7fc00000", "decimal": 0},
        "optimizer.hyperparameters.lr.bits: .* not finite",
    ),
    (
        "optimizer/hyperparameters/eps",
        {"bits": "80000000", "decimal": 0},
        "optimizer.hyperparameters.eps.bits: negative zero",
    ),
    (
        "optimizer/hyperparameters/eps",
        {"bits": "322BCC77", "decimal": 1e-8},
        "optimizer.hyperparameters.eps.bits: expected 8 lowercase hex digits",
    ),
    (
        "optimizer/hyperparameters/eps",
        {"bits": "322bcc7", "decimal": 1e-8},
        "optimizer.hyperparameters.eps.bits: expected 8 lowercase hex digits",
    ),
    (
        "optimizer/hyperparameters/eps",
        {"bits": "322bcc77", "decimal": 2e-8},
        "optimizer.hyperparameters.eps.decimal: 2e-08 rounds to FP32 32abcc77, not to bits",
    ),
    (
        "optimizer/hyperparameters/eps",
        {"bits": "322bcc77", "decimal": True},
        "optimizer.hyperparameters.eps.decimal: expected a number, got bool",
    ),
    (
        "optimizer/hyperparameters/eps",
        {"bits": "322bcc77", "decimal": 10**400},
        "optimizer.hyperparameters.eps.decimal: .* outside the FP32 range",
    ),
    ("optimizer/hyperparameters/eps", _fp(0.0), "optimizer.hyperparameters.eps: must be > 0"),
    (
        "optimizer/hyperparameters/betas/1",
        _fp(1.0),
        r"optimizer.hyperparameters.betas\[1\]: must be < 1",
    ),
    (
        "optimizer/hyperparameters/betas",
        [_fp(0.9)],
        "optimizer.hyperparameters.betas: expected 2 values",
    ),
    (
        "optimizer/hyperparameters/weight_decay",
        _fp(-0.1),
        "optimizer.hyperparameters.weight_decay: must be >= 0",
    ),
    ("optimizer/kind", "adam", "optimizer.kind: must be one of sgd, adamw; got 'adam'"),
    ("schedule/lr", _fp(1e-3), "schedule.lr: must equal optimizer.hyperparameters.lr"),
    ("schedule/warmup_steps", 101, r"schedule.warmup_steps: must be <= max_steps \(100\)"),
    ("schedule/decay_steps", 0, r"schedule.decay_steps: must be in \[1, "),
    ("schedule/min_lr", _fp(1.0), "schedule.min_lr: must be <= lr"),
    ("schedule/kind", "exponential", "schedule.kind: must be one of"),
    ("batch_size", 0, r"batch_size: must be in \[1, "),
    ("batch_size", 32.0, "batch_size: expected an integer, got float"),
    ("batch_size", True, "batch_size: expected an integer, got bool"),
    ("batch_size", "32", "batch_size: expected an integer, got str"),
    ("max_steps", 0, r"max_steps: must be in \[1, "),
    ("max_steps", 2**41, r"max_steps: must be in \[1, "),
    ("flop_budget/max_flops", 0, r"flop_budget.max_flops: must be in \[1, "),
    ("flop_budget/max_flops", 2**128, r"flop_budget.max_flops: must be in \[1, "),
    ("flop_budget/formula", "6nd", "flop_budget.formula: must be one of dense_6nd"),
    ("dataset/size", 0, r"dataset.size: must be in \[1, "),
    ("dataset/root", "AB" * 32, "dataset.root: expected 64 lowercase hex digits"),
    ("dataset/root", "ab" * 31, "dataset.root: expected 64 lowercase hex digits"),
    ("model/parameters", [], "model.parameters: a model needs at least one parameter"),
    ("model/parameters/1/name", "0.weight", r"model.parameters\[1\].name: duplicate"),
    ("model/parameters/1/name", "", r"model.parameters\[1\].name: must be 1 to 4096 bytes"),
    ("model/parameters/1/name", "é" * 2049, r"model.parameters\[1\].name: must be 1 to 4096"),
    ("model/parameters/1/name", "a\ud800", r"model.parameters\[1\].name: must be 1 to 4096"),
    ("model/parameters/1/name", "a\nb", r"model.parameters\[1\].name: contains a control"),
    ("model/parameters/0/shape/1", -1, r"model.parameters\[0\].shape\[1\]: must be in"),
    ("model/parameters/0/shape/1", 2.0, r"model.parameters\[0\].shape\[1\]: expected an integer"),
    ("model/parameters/0/dtype", "float16", r"model.parameters\[0\].dtype: must be one of"),
    (
        "model/parameters/2/dtype",
        "bfloat16",
        r"model.parameters\[2\].dtype: '2.weight' is bfloat16 but precision.param_dtype is float32",
    ),
    ("precision/grad_dtype", "fp8", "precision.grad_dtype: must be one of bfloat16, float32"),
    ("commitment/chunk_size", 512, r"commitment.chunk_size: must be in \[1024, "),
    ("commitment/chunk_size", 3072, "commitment.chunk_size: must be a power of two"),
    ("commitment/chunk_size", 2**25, r"commitment.chunk_size: must be in \[1024, 16777216\]"),
    ("commitment/scheme", "sha256-v1", "commitment.scheme: must be one of blake3-salted-v1"),
    ("commitment/salt_seed_commitment", "00", "commitment.salt_seed_commitment: expected 64"),
    ("challenges/fraction", _fp(0.0), "challenges.fraction: must be > 0"),
    ("challenges/fraction", _fp(1.5), "challenges.fraction: must be <= 1"),
    ("challenges/seed_derivation", "random", "challenges.seed_derivation: must be one of"),
    ("challenges/kind", "all", "challenges.kind: must be one of count, fraction"),
    ("init/kind", "random", "init.kind: must be one of recipe, parent"),
    ("init/name", "Torch Default", r"init.name: must match"),
    ("init/parameters/std", 0.02, "init.parameters.std: a real number must be an FP32 object"),
    ("init/parameters/std", [1], "init.parameters.std: expected a bool, integer, string or FP32"),
    ("init/parameters/std", {"bits": "3ca3d70a"}, "init.parameters.std.decimal: missing"),
    ("init/parameters", {"Bad Name": 1}, r'init.parameters\["Bad Name"\]: must match'),
    ("init/seed_commitment", 5, "init.seed_commitment: expected a string, got int"),
    ("invariants/0/name", "no_such_check", r"invariants\[0\].name: must be one of"),
    ("invariants/1", {"name": "data_provenance"}, r"invariants\[1\]: duplicate invariant"),
    ("invariants/3", {"name": "grad_norm_clip"}, r"invariants\[3\].max_norm: missing required"),
    ("invariants/3/max_norm", _fp(0.0), r"invariants\[3\].max_norm: must be > 0"),
]


@pytest.mark.parametrize(("trail", "value", "message"), BAD_VALUES)
def test_bad_values(trail: str, value: Any, message: str) -> None:
    doc = _set(_base_doc(), trail, value)
    with pytest.raises(InvalidInputError, match=rf"^{message}"):
        TrainingSpec.from_dict(doc)


def test_sgd_rules() -> None:
    with pytest.raises(InvalidInputError, match="nesterov: Nesterov momentum requires"):
        SGDHyperparameters(lr=0.1, nesterov=True)
    with pytest.raises(InvalidInputError, match="nesterov"):
        SGDHyperparameters(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)
    with pytest.raises(InvalidInputError, match=r"momentum: must be < 1"):
        SGDHyperparameters(lr=0.1, momentum=1.0)
    with pytest.raises(InvalidInputError, match="nesterov: expected a boolean, got int"):
        SGDHyperparameters(lr=0.1, nesterov=1)  # type: ignore[arg-type]
    ok = SGDHyperparameters(lr=0.1, momentum=0.9, nesterov=True)
    assert ok.lr.hex == "3dcccccd" and ok.kind == "sgd"


def test_python_construction_errors_name_the_field() -> None:
    with pytest.raises(InvalidInputError, match=r"^optimizer: expected SGDHyperparameters"):
        make_spec(optimizer={"lr": 0.1})
    with pytest.raises(InvalidInputError, match=r"^lr: expected an FP32 value .* got str"):
        AdamWHyperparameters(lr="0.1")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match=r"^betas\[0\]: must be < 1"):
        AdamWHyperparameters(betas=(1.0, 0.9))  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match=r"^lr: .* outside the FP32 range"):
        ConstantSchedule(lr=1e39)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match=r"^invariants\[1\]: duplicate"):
        make_spec(invariants=(Invariant("max_steps"), Invariant("max_steps")))
    with pytest.raises(InvalidInputError, match=r"^max_norm: missing required parameter"):
        Invariant("grad_norm_clip")
    with pytest.raises(InvalidInputError, match=r"^bogus: unknown parameter \(allowed: none\)"):
        Invariant("finite_state", {"bogus": 1})
    with pytest.raises(InvalidInputError, match=r"^count: must be None"):
        ChallengePolicy("fraction", fraction=0.5, count=3)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match=r"^parameters.x: expected a bool, int"):
        InitRecipe("normal", H1, {"x": None})


def test_fp32_values() -> None:
    assert Fp32.from_float(0.1).hex == "3dcccccd"
    assert Fp32.from_float(-0.0).bits == 0  # normalized, negative zero is not stored
    assert Fp32.from_float(1e-46).bits == 0  # underflow to +0
    assert Fp32.from_hex("3f800000").value == 1.0
    assert Fp32.from_float(np.float32(0.3)) == Fp32.from_numpy(np.float32(0.3))
    assert float(Fp32.from_float(0.5)) == 0.5
    assert repr(Fp32.from_float(0.001)) == "Fp32(0.001, bits=3a83126f)"
    assert Fp32.from_float(2.0**-149).decimal == 1e-45
    for bad in (float("nan"), float("inf"), 3.5e38, "1", True, None):
        with pytest.raises(InvalidInputError):
            Fp32.from_float(bad)  # type: ignore[arg-type]
    for bad_bits in (-1, 2**32, 0x7F800000, 0xFFC00000, 0x80000000, 1.0):
        with pytest.raises(InvalidInputError):
            Fp32(bad_bits)  # type: ignore[arg-type]


@given(st.integers(0, 2**32 - 1))
@settings(max_examples=500, deadline=None)
def test_fp32_decimal_round_trips_every_bit_pattern(bits: int) -> None:
    if bits & 0x7F800000 == 0x7F800000 or bits == 0x80000000:
        return
    x = Fp32(bits)
    assert Fp32.from_float(x.decimal) == x
    assert Fp32.from_json(json.loads(canonical_json(x.to_json()))) == x
    # shortest: at most 9 significant digits (FP32 needs at most 9 to round-trip)
    assert len(Decimal(repr(x.decimal)).normalize().as_tuple().digits) <= 9


# --- small helpers -----------------------------------------------------------------------


def test_challenge_counts() -> None:
    assert ChallengePolicy.of_fraction(1.0).num_challenges(1000) == 1000
    assert ChallengePolicy.of_fraction(0.25).num_challenges(10) == 3  # ceil(2.5)
    assert ChallengePolicy.of_fraction(0.1).num_challenges(10) == 2  # fp32(0.1) > 0.1
    assert ChallengePolicy.of_count(64).num_challenges(10) == 10
    assert ChallengePolicy.of_count(64).num_challenges(1000) == 64
    with pytest.raises(InvalidInputError):
        ChallengePolicy.of_count(0)


def test_flops() -> None:
    assert training_flops("dense_6nd", 10, 7) == 420
    b = FlopBudget(420)
    assert b.allows(10, 7) and not b.allows(10, 8)
    with pytest.raises(InvalidInputError, match="formula"):
        training_flops("other", 1, 1)


def test_secret_commitments() -> None:
    c, opening = commit_secret(b"seed-42")
    assert len(c) == 64 and len(opening) == 32
    assert open_secret(c, opening, b"seed-42")
    assert not open_secret(c, opening, b"seed-43")
    assert not open_secret(c, bytes(32), b"seed-42")
    c2, opening2 = commit_secret(b"seed-42")
    assert c2 != c and opening2 != opening  # hiding: fresh blinding every time
    assert open_secret(c2, bytearray(opening2), memoryview(b"seed-42"))
    for args in [
        ("zz" * 32, opening, b"s"),
        (c.upper(), opening, b"s"),
        (c, opening[:31], b"s"),
        (c, "00" * 32, b"s"),
        (c, opening, "seed"),
        (c, opening, b""),
    ]:
        with pytest.raises(InvalidInputError):
            open_secret(*args)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        commit_secret(42)  # type: ignore[arg-type]


def test_commitment_is_the_documented_hash() -> None:
    import hashlib

    from zkattest.spec.constants import SECRET_COMMITMENT_TAG

    c, opening = commit_secret(b"\x01\x02")
    assert c == hashlib.sha256(SECRET_COMMITMENT_TAG + opening + b"\x01\x02").hexdigest()


# --- from_torch --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def torch() -> Any:
    return pytest.importorskip("torch")


def _mlp(torch: Any, dtype: Any = None) -> Any:
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    return m.to(dtype) if dtype is not None else m


def _from_torch(model: Any, opt: Any, **kw: Any) -> TrainingSpec:
    lr = float(opt.param_groups[0]["lr"])
    args: dict[str, Any] = dict(
        batch_size=32,
        max_steps=100,
        schedule=LinearWarmupSchedule(lr=lr, warmup_steps=10),
        dataset_root=H1,
        dataset_size=60000,
        init=InitRecipe("torch_default", H2),
        salt_seed_commitment=H3,
    )
    args.update(kw)
    return TrainingSpec.from_torch(model, opt, **args)


def test_from_torch_adamw(torch: Any) -> None:
    model = _mlp(torch)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, betas=(0.9, 0.95), weight_decay=0.1)
    spec = _from_torch(model, opt)
    assert [(p.name, p.shape, p.dtype) for p in spec.model.parameters] == [
        ("0.weight", (16, 8), "float32"),
        ("0.bias", (16,), "float32"),
        ("2.weight", (1, 16), "float32"),
        ("2.bias", (1,), "float32"),
    ]
    assert spec.num_parameters == 16 * 8 + 16 + 16 + 1
    h = spec.optimizer
    assert isinstance(h, AdamWHyperparameters)
    assert h.lr.bits == int(np.float32(3e-4).view(np.uint32))
    assert [b.hex for b in h.betas] == [Fp32.from_float(0.9).hex, Fp32.from_float(0.95).hex]
    assert h.eps == Fp32.from_float(1e-8) and h.weight_decay == Fp32.from_float(0.1)
    assert spec.flop_budget.max_flops == 6 * spec.num_parameters * 32 * 100
    assert spec.precision == PrecisionPolicy()
    assert spec.challenges == ChallengePolicy.of_fraction(1.0)
    assert TrainingSpec.from_json(spec.to_json()) == spec


def test_from_torch_sgd_and_options(torch: Any) -> None:
    model = _mlp(torch)
    opt = torch.optim.SGD(
        model.parameters(), lr=torch.tensor(0.05), momentum=0.9, nesterov=True, weight_decay=1e-4
    )
    spec = _from_torch(
        model,
        opt,
        schedule=StepSchedule(lr=0.05, step_size=30, gamma=0.1),
        flop_budget=10**9,
        tokens_per_example=128,
        chunk_size=1024,
        challenges=ChallengePolicy.of_count(16),
    )
    h = spec.optimizer
    assert isinstance(h, SGDHyperparameters)
    assert (h.lr, h.momentum, h.dampening, h.nesterov) == (
        Fp32.from_float(0.05),
        Fp32.from_float(0.9),
        Fp32(0),
        True,
    )
    assert h.weight_decay == Fp32.from_float(1e-4)
    assert spec.flop_budget == FlopBudget(10**9)
    assert spec.commitment.chunk_size == 1024
    # default budget scales with tokens_per_example
    spec2 = _from_torch(model, opt, schedule=ConstantSchedule(0.05), tokens_per_example=128)
    assert spec2.flop_budget.max_flops == 6 * spec2.num_parameters * 32 * 100 * 128


def test_from_torch_bf16_model(torch: Any) -> None:
    model = _mlp(torch, torch.bfloat16)
    opt = torch.optim.AdamW(model.parameters())
    spec = _from_torch(model, opt)
    assert spec.precision == PrecisionPolicy("bfloat16", "bfloat16", "bfloat16")
    assert spec.model.dtypes == {"bfloat16"}


def test_from_torch_param_groups(torch: Any) -> None:
    model = _mlp(torch)
    same = torch.optim.AdamW(
        [{"params": model[0].parameters()}, {"params": model[2].parameters()}], lr=1e-3
    )
    assert _from_torch(model, same).optimizer == AdamWHyperparameters(lr=1e-3)
    diff = torch.optim.AdamW(
        [{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 1e-4}],
        lr=1e-3,
    )
    with pytest.raises(InvalidInputError, match=r"param_groups\[1\]\.lr: .*single set"):
        _from_torch(model, diff)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda t, p: t.optim.Adam(p), "torch.optim.Adam .* use torch.optim.AdamW"),
        (lambda t, p: t.optim.RMSprop(p), "RMSprop is not supported"),
        (lambda t, p: t.optim.AdamW(p, amsgrad=True), "amsgrad: v1 supports only amsgrad=False"),
        (lambda t, p: t.optim.SGD(p, lr=0.1, maximize=True), "maximize: v1 supports only"),
        (lambda t, p: type("MySGD", (t.optim.SGD,), {})(p, lr=0.1), "MySGD is not supported"),
    ],
)
def test_from_torch_unsupported_optimizers(torch: Any, make: Any, message: str) -> None:
    model = _mlp(torch)
    opt = make(torch, model.parameters())
    with pytest.raises(InvalidInputError, match=message):
        _from_torch(model, opt, schedule=ConstantSchedule(1e-3))


def test_from_torch_coverage_and_dtypes(torch: Any) -> None:
    model = _mlp(torch)
    opt = torch.optim.SGD(model[0].parameters(), lr=0.1)
    with pytest.raises(InvalidInputError, match=r"model.parameters\['2.weight'\]: not updated"):
        _from_torch(model, opt)
    extra = torch.nn.Parameter(torch.zeros(3))
    opt = torch.optim.SGD([*model.parameters(), extra], lr=0.1)
    with pytest.raises(InvalidInputError, match="1 tensor"):
        _from_torch(model, opt)
    m64 = _mlp(torch, torch.float64)
    with pytest.raises(InvalidInputError, match="dtype float64 is not supported"):
        _from_torch(m64, torch.optim.SGD(m64.parameters(), lr=0.1))
    with pytest.raises(InvalidInputError, match=r"schedule.lr: must equal"):
        _from_torch(
            model, torch.optim.SGD(model.parameters(), lr=0.1), schedule=ConstantSchedule(0.2)
        )
    with pytest.raises(InvalidInputError, match=r"dataset.root"):
        _from_torch(model, torch.optim.SGD(model.parameters(), lr=0.1), dataset_root="xyz")
    with pytest.raises(InvalidInputError, match=r"model: expected a torch.nn.Module"):
        TrainingSpec.from_torch(
            "model",
            torch.optim.SGD(model.parameters(), lr=0.1),  # type: ignore[arg-type]
            batch_size=1,
            max_steps=1,
            schedule=ConstantSchedule(0.1),
            dataset_root=H1,
            dataset_size=1,
            init=ParentInit(H1, H2),
            salt_seed_commitment=H3,
        )
