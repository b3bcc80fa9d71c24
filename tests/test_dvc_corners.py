"""DVC's corners on real projects: outputs nobody pushed, imports of unreachable
repositories, and what a re-run leaves for the user to commit."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Repo, run

pytestmark = pytest.mark.e2e

TRAIN = """\
import json, yaml
lr = yaml.safe_load(open("params.yaml"))["train"]["lr"]
open("model.txt", "w").write(f"lr={lr}\\n")
json.dump({"accuracy": 0.9 - lr}, open("metrics.json", "w"))
"""
PIPELINE = f"""\
stages:
  train:
    cmd: {sys.executable} train.py
    deps: [train.py]
    params: [train.lr]
    outs: [model.txt]
    metrics:
      - metrics.json:
          cache: false
"""


def results_of(repo: Repo) -> dict[str, object]:
    found: dict[str, Any] = json.loads((repo.root / "mlci-results.json").read_text())
    return found


@pytest.fixture
def pushed(repo: Repo, tmp_path: Path) -> Repo:
    """main with a one-stage pipeline, run and pushed to a local DVC remote."""
    repo.git("checkout", "--quiet", "main")
    repo.dvc("remote", "add", "-d", "storage", str(tmp_path / "storage"))
    repo.gen({"dvc.yaml": PIPELINE, "train.py": TRAIN})
    repo.dvc("repro", "--quiet")
    repo.commit("pipeline")
    repo.dvc("push", "--quiet")
    repo.git("checkout", "--quiet", "-B", "feature", "main")
    return repo


def test_an_output_nobody_pushed_is_rebuilt_not_fatal(pushed: Repo, tmp_path: Path) -> None:
    """The PR's author ran the stage but never `dvc push`ed: a fresh clone pulls what
    the remote has and re-runs the stage for the rest, and the report says so."""
    repo = pushed
    repo.gen({"params.yaml": "train:\n  lr: 0.05\n  epochs: 10\n"})
    repo.dvc("repro", "--quiet")
    repo.commit("lr down, not pushed")
    clone = tmp_path / "fresh"
    run(tmp_path, "git", "clone", "--quiet", "--branch", "feature", str(repo.root), str(clone))
    fresh = Repo(clone)
    result = fresh.mlci("check", "--no-tests", "--base", "main")
    assert result.exit_code == 0, result.output
    pipeline = results_of(fresh)["pipeline"]
    assert pipeline["pulled"] is True  # type: ignore[index]
    assert pipeline["reproduced"] == ["train"]  # type: ignore[index]
    assert "Not in the DVC remote, so rebuilt by dvc repro: model.txt." in pipeline["skipped"]  # type: ignore[index]
    assert (clone / "model.txt").read_text() == "lr=0.05\n"


def test_a_rerun_says_which_tracked_files_changed_and_what_to_do(pushed: Repo) -> None:
    repo = pushed
    repo.commit("lr up, pipeline not re-run", {"params.yaml": "train:\n  lr: 0.2\n"})
    result = repo.mlci("check", "--no-tests")
    assert result.exit_code == 0, result.output
    assert (
        "dvc repro changed dvc.lock, metrics.json: commit them (and `dvc push` the outputs) "
        "so the branch holds what was measured."
    ) in results_of(repo)["pipeline"]["skipped"]  # type: ignore[index]


@pytest.fixture
def importer(tmp_path: Path) -> tuple[Repo, Path]:
    """A project with a `dvc import` from a registry repository, and that registry."""
    registry = Repo(tmp_path / "registry")
    registry.root.mkdir()
    registry.git("init", "--quiet", "--initial-branch=main")
    registry.dvc("init", "--quiet")
    registry.dvc("remote", "add", "-d", "storage", str(tmp_path / "registry-storage"))
    registry.gen({"data.csv": "a,b\n1,2\n"})
    registry.dvc("add", "--quiet", "data.csv")
    registry.commit("data")
    registry.dvc("push", "--quiet")
    project = Repo(tmp_path / "project")
    project.root.mkdir()
    project.git("init", "--quiet", "--initial-branch=main")
    project.dvc("init", "--quiet")
    project.dvc("import", "--quiet", str(registry.root), "data.csv")
    project.commit(
        "import",
        {"dvc.yaml": "metrics:\n  - metrics.json\n", "metrics.json": {"accuracy": 0.9}},
    )
    project.git("checkout", "--quiet", "-b", "feature")
    return project, registry.root


def test_a_frozen_import_of_an_unreachable_repository_does_not_stop_the_check(
    importer: tuple[Repo, Path],
) -> None:
    project, registry = importer
    shutil.rmtree(registry)
    result = project.mlci("check", "--no-tests", "--no-pull", "--no-repro")
    assert result.exit_code == 0, result.output
    assert results_of(project)["verdict"] == "pass"


def test_an_unfrozen_import_of_an_unreachable_repository_is_reported_not_fatal(
    importer: tuple[Repo, Path],
) -> None:
    project, registry = importer
    project.dvc("unfreeze", "data.csv.dvc")
    project.commit("unfrozen")
    shutil.rmtree(registry)
    result = project.mlci("check", "--no-tests", "--no-pull", "--no-repro")
    assert result.exit_code == 0, result.output
    skipped = results_of(project)["pipeline"]["skipped"]  # type: ignore[index]
    [unknown] = [line for line in skipped if line.startswith("DVC cannot tell whether ")]
    assert unknown.startswith("DVC cannot tell whether data.csv.dvc: ")
    assert str(registry) in unknown  # DVC's own reason, not a bare "SCM error"
