"""Lineage: a fine-tuning run whose genesis is a parent run's final state; the verifier
finds the parent bundle by the digest the spec names, verifies it (recursively, bounded)
and checks that its final state root is the child's genesis root."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

import zkattest
from _attest_factory import (
    CHILD_SALT,
    Attested,
    child_run,
    dataset,
    load_final,
    make_model,
    make_spec,
    parent_run,
)
from zkattest import keys, verify
from zkattest.bundle import bundle_digest, copy_bundle
from zkattest.errors import InvalidInputError
from zkattest.optim import AdamW
from zkattest.spec import ParentInit
from zkattest.verify import verify_bundle

# These runs are not proved (prove=False); step proofs are tested in test_proofs.py.
pytestmark = pytest.mark.filterwarnings("ignore::zkattest.attest.UnprovedBundleWarning")


@pytest.fixture(scope="module")
def family(tmp_path_factory: pytest.TempPathFactory) -> tuple[Attested, Attested]:
    tmp = tmp_path_factory.mktemp("lineage")
    parent = parent_run(tmp / "p")
    return parent, child_run(tmp / "c", parent)


def lineage(report: Any) -> Any:
    return {c.name: c for c in report.checks}["lineage.parent"]


def test_child_verifies_with_its_parent(family: tuple[Attested, Attested]) -> None:
    parent, child = family
    report = verify_bundle(
        child.bundle, child.sk.public_key(), parents=[parent.bundle], allow_unproved=True
    )
    c = lineage(report)
    assert c.status == "pass", c.detail
    assert report.verified and report.parent is not None and report.parent.verified
    assert report.parent.final_state_root == child.spec.init.final_state_root  # type: ignore[union-attr]
    assert report.to_dict()["parent"]["verified"] is True
    s = {x.name: x.status for x in report.checks}
    assert s["genesis.state_root"] == "pass"


def test_parent_found_among_several_and_in_archive_form(
    family: tuple[Attested, Attested], tmp_path: Path
) -> None:
    parent, child = family
    zkab = tmp_path / "parent.zkab"
    copy_bundle(parent.bundle, zkab)
    assert bundle_digest(zkab) == bundle_digest(parent.bundle)
    report = verify_bundle(
        child.bundle,
        child.sk.public_key(),
        parents=[child.bundle, tmp_path / "nothing", zkab],
        allow_unproved=True,
    )
    assert lineage(report).status == "pass", lineage(report).detail


def test_parent_not_given_is_unchecked(family: tuple[Attested, Attested]) -> None:
    _, child = family
    report = verify_bundle(child.bundle, child.sk.public_key(), allow_unproved=True)
    c = lineage(report)
    assert c.status == "unchecked" and "--parent" in c.detail
    assert report.verified


def test_wrong_parent_is_rejected(family: tuple[Attested, Attested], tmp_path: Path) -> None:
    _, child = family
    other = parent_run(tmp_path / "other", steps=3)
    report = verify_bundle(
        child.bundle, child.sk.public_key(), parents=[other.bundle], allow_unproved=True
    )
    c = lineage(report)
    assert c.status == "fail" and "none of the 1 given" in c.detail
    assert report.exit_code == 1


def test_tampered_parent_is_rejected(family: tuple[Attested, Attested], tmp_path: Path) -> None:
    parent, child = family
    bad = tmp_path / "parent"
    shutil.copytree(parent.bundle, bad)
    raw = bytearray((bad / "log.jsonl").read_bytes())
    pos = raw.index(b'"lr":"') + 6
    raw[pos] = ord("0") if raw[pos] != ord("0") else ord("1")
    (bad / "log.jsonl").write_bytes(bytes(raw))  # the manifest (hence the digest) is intact
    report = verify_bundle(child.bundle, child.sk.public_key(), parents=[bad], allow_unproved=True)
    c = lineage(report)
    assert c.status == "fail" and "did not verify" in c.detail
    assert report.parent is not None and not report.parent.verified


def test_parent_signed_by_another_key(tmp_path: Path) -> None:
    parent = parent_run(tmp_path / "p", steps=3)
    child = child_run(tmp_path / "c", parent, steps=2, sk=keys.generate())
    report = verify_bundle(
        child.bundle, child.sk.public_key(), parents=[parent.bundle], allow_unproved=True
    )
    c = lineage(report)
    assert c.status == "fail" and "--parent-key" in c.detail
    report = verify_bundle(
        child.bundle,
        child.sk.public_key(),
        parents=[parent.bundle],
        parent_keys=[parent.sk.public_key()],
        allow_unproved=True,
    )
    assert lineage(report).status == "pass"
    # The CLI, with the parent's key.
    from zkattest.cli import main

    args = ["verify", str(child.bundle), "-k", str(child.pub), "--parent", str(parent.bundle)]
    args.append("--allow-unproved")
    assert main([*args, "-q"]) == 1
    assert main([*args, "-q", "--parent-key", str(parent.pub)]) == 0


def test_lineage_depth_is_bounded(
    family: tuple[Attested, Attested], monkeypatch: pytest.MonkeyPatch
) -> None:
    parent, child = family
    monkeypatch.setattr(verify, "MAX_LINEAGE_DEPTH", 0)
    report = verify_bundle(
        child.bundle, child.sk.public_key(), parents=[parent.bundle], allow_unproved=True
    )
    c = lineage(report)
    assert c.status == "fail" and "deeper than 0" in c.detail


def test_grandchild_chain(family: tuple[Attested, Attested], tmp_path: Path) -> None:
    parent, child = family
    grandchild = child_run(tmp_path / "g", child, steps=2)
    report = verify_bundle(
        grandchild.bundle,
        grandchild.sk.public_key(),
        parents=[parent.bundle, child.bundle],
        allow_unproved=True,
    )
    assert lineage(report).status == "pass", lineage(report).detail
    assert report.parent is not None and report.parent.parent is not None
    assert report.parent.parent.verified


def test_verify_bundle_rejects_bad_lineage_arguments(family: tuple[Attested, Attested]) -> None:
    _, child = family
    with pytest.raises(InvalidInputError, match="list of bundle paths"):
        verify_bundle(child.bundle, child.sk.public_key(), parents=str(child.bundle))  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="parent_keys"):
        verify_bundle(child.bundle, child.sk.public_key(), parent_keys=["k"])  # type: ignore[list-item]


# --- attest ---------------------------------------------------------------------------------


def _attest(tmp: Path, model: Any, opt: Any, spec: Any, **kw: Any) -> Any:
    return zkattest.attest(
        model, opt, spec=spec, bundle=tmp / "x", key=keys.generate(), salt_seed=CHILD_SALT,
        data=dataset(), sampler=dataset().sampler(), quiet=True, prove=False, **kw,
    )  # fmt: skip


def test_attest_needs_the_parent_state_and_key(
    family: tuple[Attested, Attested], tmp_path: Path
) -> None:
    parent, child = family
    model, opt, key = load_final(parent.bundle)
    spec = child.spec
    with pytest.raises(InvalidInputError, match="parent_step_key: required"):
        _attest(tmp_path, model, opt, spec)
    with pytest.raises(InvalidInputError, match="32 bytes"):
        _attest(tmp_path, model, opt, spec, parent_step_key=b"short")
    with pytest.raises(InvalidInputError, match="not the parent run's final state root"), _attest(
        tmp_path, model, opt, spec, parent_step_key=bytes(32)
    ):  # fmt: skip
        pass
    fresh = make_model()  # the parent's architecture, not its final weights
    fresh_opt = AdamW(fresh.parameters(), lr=opt.param_groups[0]["lr"])
    with pytest.raises(InvalidInputError, match="load the parent's final weights"), _attest(
        tmp_path, fresh, fresh_opt, spec, parent_step_key=key
    ):  # fmt: skip
        pass
    recipe_spec = make_spec(model, opt, parent.spec.init, 3, CHILD_SALT)
    with pytest.raises(InvalidInputError, match="parent_step_key: required exactly"):
        _attest(tmp_path, model, opt, recipe_spec, parent_step_key=key)
    assert isinstance(spec.init, ParentInit)


def test_cli_lineage_exit_codes(
    family: tuple[Attested, Attested], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from zkattest.cli import main

    parent, child = family
    base = ["verify", str(child.bundle), "-k", str(child.pub), "--allow-unproved"]
    assert main([*base, "--parent", str(parent.bundle)]) == 0
    out = capsys.readouterr().out
    assert "lineage.parent" in out and "parent: VERIFIED" in out
    other = parent_run(tmp_path / "other", steps=2)
    assert main([*base, "--parent", str(other.bundle), "--format", "json"]) == 1
    assert '"lineage.parent"' in capsys.readouterr().out
    assert main([*base, "--parent-key", str(tmp_path / "missing.pub")]) == 2


def test_child_resumes_before_its_first_checkpoint(
    family: tuple[Attested, Attested], tmp_path: Path
) -> None:
    from _attest_factory import train

    parent, child = family
    model, opt, key = load_final(parent.bundle)
    sk = keys.generate()
    kw: dict[str, Any] = {
        "spec": child.spec, "bundle": tmp_path / "x", "key": sk, "salt_seed": CHILD_SALT,
        "data": dataset(), "parent_step_key": key, "quiet": True, "prove": False,
    }  # fmt: skip
    with pytest.raises(RuntimeError), zkattest.attest(model, opt, **kw):
        raise RuntimeError("crash before the first step")
    sampler = dataset().sampler(seed=1)
    with zkattest.attest(model, opt, sampler=sampler, resume=True, **kw):  # genesis recommitted
        train(model, opt, sampler, 4)
    report = verify_bundle(tmp_path / "x", sk.public_key(), parents=[parent.bundle],
                           parent_keys=[parent.sk.public_key()], allow_unproved=True)  # fmt: skip
    assert report.verified and lineage(report).status == "pass"


def test_continued_adamw_state_is_not_provable_in_v1(
    family: tuple[Attested, Attested], tmp_path: Path
) -> None:
    """A fine-tune continues the parent's AdamW step count (6), but a step proof counts
    AdamW steps from the run's start: prove=True is refused before anything is written;
    the default (prove=None) trains, does not prove, and says why at close."""
    from _attest_factory import train
    from zkattest.attest import UnprovedBundleWarning

    parent, child = family
    model, opt, key = load_final(parent.bundle)
    sampler = dataset().sampler(seed=1)
    kw: dict[str, Any] = {
        "spec": child.spec, "bundle": tmp_path / "x", "key": keys.generate(),
        "salt_seed": CHILD_SALT, "data": dataset(), "sampler": sampler,
        "parent_step_key": key, "quiet": True,
    }  # fmt: skip
    with pytest.raises(InvalidInputError, match="AdamW step count is 6, not 0"):
        zkattest.attest(model, opt, prove=True, **kw).__enter__()
    assert not (tmp_path / "x.work").exists()
    run = zkattest.attest(model, opt, **kw)
    assert run.prove is True  # the spec challenges chunks; the optimizer is checked on entry
    with pytest.warns(UnprovedBundleWarning, match="AdamW step count is 6") as got, run:
        train(model, opt, sampler, 2)
    assert len(got) == 1 and run.prove is False and run.step_proofs == 0
    assert verify_bundle(tmp_path / "x", run.key.public_key()).exit_code == 1
    assert verify_bundle(tmp_path / "x", run.key.public_key(), allow_unproved=True).verified
