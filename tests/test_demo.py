"""End to end: the demo workspace, a fresh clone that must pull, and a failing stage."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import Repo, assert_dropped_beyond_max_drop, run

from mlci.cli import cli

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("scenario", "code", "verdict"),
    [("pass", 0, "PASS"), ("fail", 1, "FAIL"), ("noise", 0, "WARN"), ("drift", 1, "FAIL")],
)
def test_demo_scenarios(tmp_path: Path, scenario: str, code: int, verdict: str) -> None:
    ws = tmp_path / "ws"
    cwd = Path.cwd()
    try:
        result = CliRunner().invoke(
            cli, ["demo", "--scenario", scenario, "--workspace", str(ws)], prog_name="mlci"
        )
    finally:
        os.chdir(cwd)
    assert result.exit_code == code, result.output
    assert f"Model report: {verdict}" in result.output
    assert f"The demo workspace is {ws}" in result.output
    report = (ws / "project" / "report.md").read_text()
    assert report.splitlines()[0].endswith(f"Model report: {verdict}")
    data = json.loads((ws / "project" / "mlci-results.json").read_text())
    assert data["base"]["name"] == "origin/main"
    [raw, prepared] = data["data"]
    assert (raw["path"], prepared["path"]) == ("data/raw.csv", "data/prepared")
    assert all(check["outcome"] == "pass" for check in raw["checks"])
    assert (ws / "project" / "report.html").exists()
    if scenario == "drift":
        # A new export in other units: the scale-invariant model does not notice,
        # the drift check does.
        assert "prepare" in data["pipeline"]["reproduced"]
        assert all(m["status"] == "unchanged" for m in data["metrics"])
        assert raw["drift"]["outcome"] == "fail"
        drifted = [c["column"] for c in raw["drift"]["columns"] if c["outcome"] == "fail"]
        assert drifted == ["mean radius", "mean perimeter", "mean area"]
        assert "3 of 5 columns drifted (60%)" in report
        return
    if scenario == "noise":
        # One more test example wrong: beyond the rule's half point, and no more than
        # chance (McNemar's p = 1 on one discordant pair): a warning, not a failure.
        accuracy = next(
            m
            for m in data["metrics"]
            if (m["file"], m["key"]) == ("eval/predictions.csv", "accuracy")
        )
        assert round((accuracy["base"] - accuracy["head"]) * accuracy["rows"]) == 1
        assert accuracy["p_value"] == 1.0
        warned = {g["key"]: g for g in data["gates"] if g["outcome"] != "pass"}
        assert warned["accuracy"]["file"] == "eval/predictions.csv"
        assert warned["accuracy"]["reason"].endswith("not significant (p = 1 ≥ 0.05): may be noise")
        # The example falls in one slice: its recall drops too, as noise as well.
        assert all(g["outcome"] == "warn" for g in warned.values())
        assert all("not significant" in g["reason"] for g in warned.values())
        assert "p = 1.00 · not significant" in report
        return
    assert "| params.yaml | train.C | 1 |" in report
    assert "train" in data["pipeline"]["reproduced"]
    assert raw["drift"] is None
    assert raw["drift_skipped"] == "unchanged: the same content at base and head"
    assert "```mermaid" in report
    if scenario == "fail":
        assert_dropped_beyond_max_drop(report, data, "accuracy")
        [gate] = [
            g
            for g in data["gates"]
            if (g["file"], g["key"]) == ("eval/predictions.csv", "accuracy")
        ]
        assert gate["outcome"] == "fail"
        assert "; significant (p = " in gate["reason"]


def test_demo_refuses_a_non_empty_workspace(tmp_path: Path) -> None:
    (tmp_path / "something").write_text("x")
    result = CliRunner().invoke(cli, ["demo", "--workspace", str(tmp_path)], prog_name="mlci")
    assert result.exit_code == 2
    assert result.output.endswith(
        f"mlci: error: --workspace {tmp_path} is not empty\n  hint: name a new or empty folder\n"
    )


def test_fresh_clone_pulls_then_skips_repro(demo_ws: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    run(
        tmp_path,
        "git",
        "clone",
        "--quiet",
        "--branch",
        "main",
        str(demo_ws / "origin.git"),
        str(clone),
    )
    repo = Repo(clone)
    result = repo.mlci("check")
    assert result.exit_code == 0, result.output
    data = json.loads((clone / "mlci-results.json").read_text())
    assert data["pipeline"]["pulled"] is True
    assert data["pipeline"]["reproduced"] == []
    assert all(m["status"] == "unchanged" for m in data["metrics"])
    assert (clone / "model.pkl").exists()


def test_no_pull_and_no_remote_are_said(demo_ws: Path, tmp_path: Path) -> None:
    project = Repo(demo_ws / "project")
    shutil.rmtree(demo_ws / "project" / "data" / "prepared")
    skipped = project.mlci("check", "--no-pull", "--no-repro")
    # Neither pulled nor re-made, the prepared data is missing, and its check says so.
    assert skipped.exit_code == 1, skipped.output
    assert "FAIL  exists: no files match 'data/prepared'" in skipped.output
    assert "dvc pull skipped (--no-pull)." in (demo_ws / "project" / "report.md").read_text()
    project.dvc("remote", "remove", "storage")
    no_remote = project.mlci("check")
    assert no_remote.exit_code == 0, no_remote.output
    report = (demo_ws / "project" / "report.md").read_text()
    assert "dvc pull skipped: no DVC remote is configured." in report
    assert (demo_ws / "project" / "data" / "prepared" / "train.csv").exists()  # re-made by repro


def test_failing_stage_names_the_stage_and_quotes_its_output(demo_ws: Path) -> None:
    project = Repo(demo_ws / "project")
    train = demo_ws / "project" / "src" / "train.py"
    train.write_text(train.read_text() + "\nraise SystemExit('model exploded: NaN loss')\n")
    result = project.mlci("check")
    assert result.exit_code == 3
    assert "mlci: error: DVC stage 'train' failed (exit 255) in " in result.output
    assert "model exploded: NaN loss" in result.output.split("mlci: error:")[1]
    assert "Traceback" not in result.output.split("mlci: error:")[1].split("last lines")[0]
    assert f"hint: run `dvc repro` in {demo_ws / 'project'} to reproduce" in result.output
