"""The pre-push hook: `pre-commit install --hook-type pre-push` runs `mlci check`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import yaml
from conftest import Repo, run
from pre_commit.clientlib import load_manifest

MANIFEST = Path(__file__).parents[1] / ".pre-commit-hooks.yaml"


def test_manifest_is_valid_for_pre_commit() -> None:
    hooks = load_manifest(str(MANIFEST))  # raises on anything pre-commit rejects
    raw = yaml.safe_load(MANIFEST.read_text())
    assert [(h["id"], h["language"]) for h in raw] == [
        ("mlci-check", "python"),
        ("mlci-check-system", "system"),  # newer pre-commit calls it "unsupported"
    ]
    for hook in hooks:
        assert hook["entry"] == "mlci check"
        assert hook["stages"] == ["pre-push"]
        assert hook["pass_filenames"] is False
        assert hook["always_run"] is True


@pytest.mark.e2e
def test_pre_push_hook_blocks_a_push_that_fails_a_gate(repo: Repo, tmp_path: Path) -> None:
    origin = tmp_path / "origin.git"
    run(tmp_path, "git", "init", "--quiet", "--bare", str(origin))
    repo.git("remote", "add", "origin", str(origin))
    [hook] = [h for h in yaml.safe_load(MANIFEST.read_text()) if h["id"] == "mlci-check-system"]
    # The shipped hook, as a local hook so it needs no published repository.
    local = {**hook, "entry": "mlci check --no-repro"}
    repo.git("checkout", "--quiet", "main")
    repo.commit(
        "gates and hook",
        {
            "mlci.yaml": "metrics:\n  - key: accuracy\n    max_drop: 0.01\n",
            ".pre-commit-config.yaml": yaml.safe_dump(
                {"repos": [{"repo": "local", "hooks": [local]}]}
            ),
        },
    )
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    run(repo.root, sys.executable, "-m", "pre_commit", "install", "--hook-type", "pre-push")
    import subprocess

    def push(branch: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "push", "--quiet", "origin", branch],
            cwd=repo.root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    assert push("main").returncode == 0
    repo.git("checkout", "--quiet", "-B", "feature")
    repo.commit("worse", {"metrics.json": {"accuracy": 0.5}})
    blocked = push("feature")
    assert blocked.returncode != 0
    assert "Model report: FAIL" in blocked.stdout + blocked.stderr
    assert "dropped by 0.4 (0.9 → 0.5), allowed 0.01" in blocked.stdout + blocked.stderr
    repo.commit("fixed", {"metrics.json": {"accuracy": 0.91}})
    allowed = push("feature")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
