"""Genesis recomputation: re-running the public init recipe ``torch_default_v1`` from the
spec's fingerprint (zkattest.init) and the verifier's ``genesis.state_root`` check on a
disclosed seed opening, with negative tests."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch

import zkattest
from _attest_factory import (
    INIT_SEED,
    SALT,
    Attested,
    dataset,
    make_model,
    make_spec,
    parent_run,
    train,
)
from _bundle_factory import resign, restate
from zkattest import init, keys
from zkattest.attest import resume_step
from zkattest.constants import BUNDLE_GENESIS
from zkattest.errors import InvalidInputError, MalformedError, VerificationError
from zkattest.optim import AdamW
from zkattest.spec import InitRecipe, ModelFingerprint, commit_secret
from zkattest.verify import verify_bundle

# These runs are not proved (prove=False); step proofs are tested in test_proofs.py.
pytestmark = pytest.mark.filterwarnings("ignore::zkattest.attest.UnprovedBundleWarning")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Attested:
    return parent_run(tmp_path_factory.mktemp("genesis"))


def genesis_check(bundle: Path, a: Attested) -> Any:
    report = verify_bundle(bundle, a.sk.public_key(), allow_unproved=True)
    return report, {c.name: c for c in report.checks}["genesis.state_root"]


# --- re-running the recipe from the fingerprint --------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda: torch.nn.Sequential(
            torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3)
        ),
        lambda: torch.nn.Sequential(
            torch.nn.Conv2d(3, 8, 3),
            torch.nn.LayerNorm(8),
            torch.nn.ConvTranspose2d(8, 4, 3, groups=2),
            torch.nn.Linear(4, 2, bias=False),
            torch.nn.RMSNorm(2),
            torch.nn.Conv1d(2, 2, 1),
        ),
        lambda: torch.nn.ModuleDict(
            {"enc": torch.nn.Sequential(torch.nn.Linear(3, 3)), "head": torch.nn.Linear(3, 1)}
        ),
    ],
)
def test_rerun_from_fingerprint_equals_the_real_modules(build: Any) -> None:
    model = init.init_module(build(), INIT_SEED)
    fp = ModelFingerprint.from_module(model)
    init.check_rerunnable(model, fp, INIT_SEED)
    stand = init.init_module(init.model_from_fingerprint(fp), INIT_SEED)
    for (n, a), (m, b) in zip(model.named_parameters(), stand.named_parameters(), strict=True):
        assert n == m and torch.equal(a, b)


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: torch.nn.Sequential(torch.nn.Embedding(5, 4), torch.nn.Linear(4, 2)), "differs"),
        (lambda: torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.BatchNorm1d(3)), "buffers"),
        (lambda: torch.nn.MultiheadAttention(4, 2), "cannot re-run"),
    ],
)
def test_models_a_fingerprint_cannot_rebuild(build: Any, match: str) -> None:
    model = init.init_module(build(), INIT_SEED)
    with pytest.raises(InvalidInputError, match=match):
        init.check_rerunnable(model, ModelFingerprint.from_module(model), INIT_SEED)


def test_recompute_genesis_root_checks_the_opening() -> None:
    model = init.init_module(make_model(), INIT_SEED)
    recipe, opening = init.recipe(INIT_SEED)
    key = bytes(range(32))
    good = init.GenesisOpening(INIT_SEED, opening, key, str(torch.__version__))
    fp = ModelFingerprint.from_module(model)
    root = init.recompute_genesis_root(recipe, fp, good, chunk_size=1024)
    from zkattest.commit import commit_with_step_key, tensors_from_state_dict

    want = commit_with_step_key(key, tensors_from_state_dict(model.state_dict()), chunk_size=1024)
    assert root == want.root.hex()
    bad = init.GenesisOpening(b"another seed", opening, key, "x")
    with pytest.raises(VerificationError, match="does not open"):
        init.recompute_genesis_root(recipe, fp, bad, chunk_size=1024)
    with pytest.raises(InvalidInputError, match="recipe"):
        init.recompute_genesis_root(
            InitRecipe("other", recipe.seed_commitment), fp, good, chunk_size=1024
        )


_OK = {"seed": "00", "seed_opening": "00" * 32, "step_key": "00" * 32, "torch_version": "2"}


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"torch_version": None}, "expected an object"),
        ({"seed": ""}, "seed"),
        ({"seed": "0g"}, "seed"),
        ({"seed_opening": "00" * 31}, "seed_opening"),
        ({"step_key": "AA" * 32}, "step_key"),
        ({"torch_version": 2}, "torch_version"),
    ],
)
def test_genesis_opening_json_is_strict(change: dict[str, Any], match: str) -> None:
    value = {k: v for k, v in {**_OK, **change}.items() if v is not None}
    with pytest.raises(MalformedError, match=match):
        init.GenesisOpening.from_json(value)
    with pytest.raises(MalformedError, match="expected an object"):
        init.GenesisOpening.from_json([])
    assert init.GenesisOpening.from_json(_OK).to_json() == _OK


# --- the verifier ---------------------------------------------------------------------------


def test_disclosed_genesis_is_recomputed(run: Attested) -> None:
    report, c = genesis_check(run.bundle, run)
    assert c.status == "pass" and c.detail.startswith("recomputed"), c.detail
    assert report.verified


def _edit_opening(run: Attested, tmp: Path, edit: Any) -> Any:
    b = tmp / "b"
    shutil.copytree(run.bundle, b)

    def change(p: dict[str, Any]) -> None:
        p["opening"] = dict(p["opening"])
        edit(p)

    restate(b, BUNDLE_GENESIS, run.sk, predicate=change)
    resign(b, run.sk)
    return genesis_check(b, run)


def test_wrong_seed_is_rejected(run: Attested, tmp_path: Path) -> None:
    def edit(p: dict[str, Any]) -> None:
        p["opening"]["seed"] = b"another seed".hex()

    report, c = _edit_opening(run, tmp_path, edit)
    assert c.status == "fail" and "does not open" in c.detail
    assert report.exit_code == 1


def test_wrong_step_key_is_rejected(run: Attested, tmp_path: Path) -> None:
    def edit(p: dict[str, Any]) -> None:
        p["opening"]["step_key"] = "11" * 32
        p["opening"]["torch_version"] = "1.0"

    _, c = _edit_opening(run, tmp_path, edit)
    assert c.status == "fail" and "not the genesis root" in c.detail
    assert "torch 1.0" in c.detail  # the version hint


def test_wrong_genesis_root_is_rejected(run: Attested, tmp_path: Path) -> None:
    def edit(p: dict[str, Any]) -> None:
        p["state_root"] = "ab" * 32

    _, c = _edit_opening(run, tmp_path, edit)
    assert c.status == "fail" and "not the genesis root" in c.detail


def test_malformed_opening_is_rejected(run: Attested, tmp_path: Path) -> None:
    def edit(p: dict[str, Any]) -> None:
        del p["opening"]["seed"]

    report, _ = _edit_opening(run, tmp_path, edit)
    c = {x.name: x for x in report.checks}["genesis.statement"]
    assert c.status == "fail" and "malformed" in c.detail


def test_without_opening_genesis_is_unchecked(run: Attested, tmp_path: Path) -> None:
    b = tmp_path / "b"
    shutil.copytree(run.bundle, b)
    restate(b, BUNDLE_GENESIS, run.sk, predicate=lambda p: p.pop("opening"))
    resign(b, run.sk)
    report, c = genesis_check(b, run)
    assert c.status == "unchecked" and "not disclosed" in c.detail
    # Only the provenance view, which lists genesis.dsse.json's old digest, notices.
    assert {x.name for x in report.checks if x.status == "fail"} == {"provenance"}


def test_unknown_recipe_with_opening_is_unsupported(tmp_path: Path) -> None:
    from zkattest.bundle import BundleWriter

    model = init.init_module(make_model(), INIT_SEED)
    opt = AdamW(model.parameters(), lr=1e-2)
    commitment, opening = commit_secret(INIT_SEED)
    spec = make_spec(model, opt, InitRecipe("my_recipe_v9", commitment), 4, SALT)
    sk = keys.generate()
    w = BundleWriter(tmp_path / "b", sk)
    w.add_spec(spec)
    o = init.GenesisOpening(INIT_SEED, opening, bytes(32), "2")
    w.add_genesis("ab" * 32, opening=o)
    w.close()
    from zkattest.verify import _Verifier

    v = _Verifier(tmp_path / "b", sk.public_key(), None)
    v.reader = __import__("zkattest.bundle").bundle.BundleReader(tmp_path / "b")
    v.spec = spec
    v.run("genesis.statement", v.check_genesis)
    v.run("genesis.state_root", v.check_genesis_root)
    status = {c.name: c.status for c in v.report.checks}
    assert status == {"genesis.statement": "pass", "genesis.state_root": "unsupported"}
    v.reader.close()


def test_writer_refuses_an_opening_for_a_parent_spec(run: Attested, tmp_path: Path) -> None:
    from zkattest.bundle import BundleWriter
    from zkattest.spec import ParentInit

    w = BundleWriter(tmp_path / "b", run.sk)
    w.add_spec(run.spec.replace(init=ParentInit("ab" * 32, "cd" * 32)))
    o = init.GenesisOpening(INIT_SEED, bytes(32), bytes(32), "2")
    with pytest.raises(InvalidInputError, match="only for a spec with an init recipe"):
        w.add_genesis("cd" * 32, opening=o)
    w.close()


# --- attest refuses a disclosure that would not verify ---------------------------------------


def _attest(tmp: Path, model: Any, spec: Any, **kw: Any) -> Any:
    opt = AdamW(model.parameters(), lr=1e-2)
    return zkattest.attest(
        model, opt, spec=spec, bundle=tmp / "b", key=keys.generate(), salt_seed=SALT,
        data=dataset(), sampler=dataset().sampler(), quiet=True, prove=False, **kw,
    )  # fmt: skip


def test_attest_checks_the_disclosure_before_training(tmp_path: Path) -> None:
    recipe, opening = init.recipe(INIT_SEED)
    model = init.init_module(make_model(), b"not the committed seed")
    spec = make_spec(model, AdamW(model.parameters(), lr=1e-2), recipe, 4, SALT)
    a = _attest(tmp_path, model, spec, init_seed=INIT_SEED, init_opening=opening)
    with pytest.raises(InvalidInputError, match="differs from torch_default_v1"), a:
        pass
    assert not (tmp_path / "b").exists()
    with pytest.raises(InvalidInputError, match="do not open"):
        _attest(tmp_path, model, spec, init_seed=b"other", init_opening=opening)
    with pytest.raises(InvalidInputError, match="go together"):
        _attest(tmp_path, model, spec, init_seed=INIT_SEED)
    other = spec.replace(init=InitRecipe("torch_default", recipe.seed_commitment))
    with pytest.raises(InvalidInputError, match="not the torch_default_v1 recipe"):
        _attest(tmp_path, model, other, init_seed=INIT_SEED, init_opening=opening)


def test_attest_discloses_after_a_resume(tmp_path: Path) -> None:
    recipe, opening = init.recipe(INIT_SEED)
    model = init.init_module(make_model(), INIT_SEED)
    opt = AdamW(model.parameters(), lr=1e-2)
    spec = make_spec(model, opt, recipe, 6, SALT)
    sk = keys.generate()
    saved: dict[str, Any] = {}

    def on_checkpoint(n: int) -> None:
        saved["state"] = copy.deepcopy((model.state_dict(), opt.state_dict()))

    kw: dict[str, Any] = {
        "spec": spec, "bundle": tmp_path / "b", "key": sk, "salt_seed": SALT,
        "data": dataset(), "init_seed": INIT_SEED, "init_opening": opening, "quiet": True,
        "prove": False,
    }  # fmt: skip
    sampler = dataset().sampler(seed=0)
    with pytest.raises(RuntimeError), zkattest.attest(
        model, opt, sampler=sampler, checkpoint_every=3, on_checkpoint=on_checkpoint, **kw
    ):  # fmt: skip
        train(model, opt, sampler, 4)
        raise RuntimeError("crash")
    assert resume_step(tmp_path / "b") == 3
    m2 = make_model()
    m2.load_state_dict(saved["state"][0])
    o2 = AdamW(m2.parameters(), lr=1e-2)
    o2.load_state_dict(saved["state"][1])
    s2 = dataset().sampler(seed=5)
    with zkattest.attest(m2, o2, sampler=s2, resume=True, **kw):
        train(m2, o2, s2, 3)
    report = verify_bundle(tmp_path / "b", sk.public_key(), allow_unproved=True)
    s = {c.name: c.status for c in report.checks}
    assert report.verified and s["genesis.state_root"] == "pass" and s["data.batches"] == "pass"


def test_too_large_to_rerun_is_unchecked(run: Attested, monkeypatch: pytest.MonkeyPatch) -> None:
    from zkattest import verify

    monkeypatch.setattr(verify, "_memory_bytes", lambda: 1000)
    _, c = genesis_check(run.bundle, run)
    assert c.status == "unchecked" and "more than half" in c.detail
