"""pipeline.run_cache: `dvc pull --run-cache` on a fresh clone, so `dvc repro` restores a
stage someone already ran and pushed instead of running it again (real git and DVC, a
local directory remote)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Repo, publish_and_clone

TRAIN = """\
from pathlib import Path

import yaml

C = yaml.safe_load(open("params.yaml"))["train"]["C"]
with open("ran.log", "a") as log:  # outside DVC: what really ran
    log.write(f"train C={C}\\n")
Path("model.txt").write_text(f"model C={C}")
Path("scores.json").write_text('{"accuracy": %s}' % (0.9 - abs(C - 1) / 100))
"""

DVC_YAML = """\
stages:
  train:
    cmd: python train.py
    deps: [train.py]
    params: [train.C]
    outs: [model.txt]
    # Cached: `dvc push --run-cache` (DVC 3.67) does not push the objects of outputs
    # with `cache: false`, so a fresh clone could not restore such a stage's run.
    metrics: [scores.json]
"""


@pytest.mark.parametrize("run_cache", [True, False])
def test_a_stage_someone_pushed_a_run_of_is_restored_not_rerun(
    repo: Repo, tmp_path: Path, run_cache: bool
) -> None:
    repo.git("checkout", "--quiet", "main")
    repo.dvc("remote", "add", "-d", "storage", str(tmp_path / "storage"))
    repo.gen(
        {
            "train.py": TRAIN,
            "dvc.yaml": DVC_YAML,
            "params.yaml": "train:\n  C: 2\n",
            ".gitignore": "/report.md\n/report.html\n/mlci-results.json\n/ran.log\n",
        }
    )
    # Someone ran C=2 and pushed that run (outputs and the run-cache) to the remote...
    repo.dvc("repro")
    repo.dvc("push", "--run-cache")
    # ... but main keeps C=1.
    repo.gen({"params.yaml": "train:\n  C: 1\n"})
    repo.dvc("repro")
    repo.dvc("push")
    repo.commit(
        "pipeline",
        {"mlci.yaml": f"pipeline:\n  run_cache: {str(run_cache).lower()}\n"},
    )
    repo.git("checkout", "--quiet", "-B", "feature")
    repo.commit("try C=2 again", {"params.yaml": "train:\n  C: 2\n"})

    clone = publish_and_clone(repo, tmp_path, "feature")  # no DVC cache: a fresh runner
    result = clone.mlci("check", "--no-tests")
    assert result.exit_code == 0, result.output
    ran = (clone.root / "ran.log").read_text() if (clone.root / "ran.log").exists() else ""
    notes = json.loads((clone.root / "mlci-results.json").read_text())["pipeline"]["skipped"]
    restored = "Restored from DVC's run-cache, not re-run: train."
    if run_cache:
        assert ran == ""
        assert restored in notes
    else:
        assert ran == "train C=2\n"
        assert restored not in notes
    metrics = json.loads((clone.root / "scores.json").read_text())
    assert metrics["accuracy"] < 0.9  # C=2's metrics either way


def test_the_pull_request_cannot_turn_the_run_cache_on(repo: Repo, tmp_path: Path) -> None:
    repo.commit("ask for it", {"mlci.yaml": "pipeline:\n  run_cache: true\n"})
    result = repo.mlci("check", "--no-tests", "--no-repro")
    assert result.exit_code == 0, result.output
    notes = json.loads((repo.root / "mlci-results.json").read_text())["pipeline"]["skipped"]
    assert any("`pipeline.run_cache: true`; ignored" in note for note in notes), notes
