"""Fixtures that build real git + DVC repositories in temp dirs (after DVC's tmp_dir/scm)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from mlci.cli import cli
from mlci.results import Plots, Results, RevInfo


@pytest.fixture(autouse=True, scope="session")
def _isolated_tools(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Git and DVC see a throwaway global config: identity, no analytics, own site cache."""
    home = tmp_path_factory.mktemp("home")
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = mlci tests\n\temail = tests@mlci.invalid\n"
        '[init]\n\tdefaultBranch = main\n[protocol "file"]\n\tallow = always\n'
    )
    # Through a MonkeyPatch: each variable set or removed here is put back as it was
    # when the session ends, and nothing else in os.environ is touched.
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "GIT_CONFIG_GLOBAL": str(gitconfig),
            "GIT_CONFIG_NOSYSTEM": "1",
            "DVC_NO_ANALYTICS": "1",
            "DVC_SITE_CACHE_DIR": str(home / "dvc-site-cache"),
            "DVC_GLOBAL_CONFIG_DIR": str(home / "dvc-global"),
        }.items():
            patch.setenv(name, value)
        for name in (
            *("GITHUB_ACTIONS", "GITHUB_EVENT_PATH", "GITHUB_TOKEN", "CI"),
            *("GITLAB_CI", "CI_JOB_TOKEN", "MLCI_GITLAB_TOKEN"),
        ):
            patch.delenv(name, raising=False)
        yield


def run(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, check=check, capture_output=True, text=True)


class Repo:
    """A real git + DVC repository in a temp folder, with DVC-style helpers."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def git(self, *args: str) -> str:
        return run(self.root, "git", *args).stdout.strip()

    def dvc(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run(self.root, sys.executable, "-m", "dvc", *args, check=check)

    def gen(self, files: dict[str, Any]) -> None:
        """Write files; dicts are written as JSON, strings dedented."""
        for name, content in files.items():
            path = self.root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, (dict, list)):
                path.write_text(json.dumps(content, indent=2))
            else:
                path.write_text(textwrap.dedent(content))

    def commit(self, message: str, files: dict[str, Any] | None = None) -> str:
        if files:
            self.gen(files)
        self.git("add", "--all")
        self.git("commit", "--quiet", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def mlci(self, *args: str) -> Result:
        """Run mlci's CLI in this repository through click's CliRunner."""
        cwd = Path.cwd()
        os.chdir(self.root)
        try:
            return CliRunner().invoke(cli, list(args), prog_name="mlci", catch_exceptions=False)
        finally:
            os.chdir(cwd)


def bare_origin(repo: Repo, origin: Path) -> Path:
    """A bare copy of ``repo`` whose HEAD (the default branch, as on a forge) is main."""
    run(origin.parent, "git", "clone", "--quiet", "--bare", str(repo.root), str(origin))
    run(origin, "git", "symbolic-ref", "HEAD", "refs/heads/main")
    return origin


def publish_and_clone(repo: Repo, tmp_path: Path, branch: str, *, depth: int | None = 1) -> Repo:
    """Push ``repo`` to a bare origin and clone ``branch`` from it, shallow by default,
    as a CI runner's checkout is."""
    origin = bare_origin(repo, tmp_path / "origin.git")
    clone = tmp_path / "clone"
    shallow = ["--depth", str(depth)] if depth else []
    run(
        tmp_path,
        "git",
        "clone",
        "--quiet",
        *shallow,
        "--branch",
        branch,
        f"file://{origin}",
        str(clone),
    )
    return Repo(clone)


METRICS_DVC_YAML = """\
metrics:
  - metrics.json
params:
  - params.yaml
"""


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """git init + dvc init, with a `main` branch holding metrics.json and params.yaml."""
    root = tmp_path / "repo"
    root.mkdir()
    project = Repo(root)
    project.git("init", "--quiet", "--initial-branch=main")
    project.dvc("init", "--quiet")
    project.commit(
        "baseline",
        {
            "dvc.yaml": METRICS_DVC_YAML,
            "metrics.json": {"accuracy": 0.9, "loss": 0.3, "per_class": {"a": {"recall": 0.8}}},
            "params.yaml": "train:\n  lr: 0.1\n  epochs: 10\n",
            ".gitignore": "/report.md\n/report.html\n/mlci-results.json\n",
        },
    )
    project.git("checkout", "--quiet", "-b", "feature")
    return project


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo workspace (origin, DVC storage, project) built per session: copy before use."""
    from mlci.commands.demo import build_workspace

    root = tmp_path_factory.mktemp("demo") / "ws"
    build_workspace(root, "pass", emit=lambda line: None)
    return root


@pytest.fixture
def demo_ws(demo_template: Path, tmp_path: Path) -> Path:
    """A private copy of the demo workspace; its DVC remote and origin still point at the
    session's copy (read-only use)."""
    target = tmp_path / "ws"
    shutil.copytree(demo_template, target, symlinks=True)
    return target


def make_results(**fields: Any) -> Results:
    """A Results with quiet defaults (pass, nothing measured) and ``fields`` set."""
    defaults: dict[str, Any] = {
        "title": "Report",
        "verdict": "pass",
        "base": RevInfo(name="main", sha="a" * 40),
        "head": RevInfo(name="feature", sha="b" * 40),
        "metrics": (),
        "params": (),
        "gates": (),
        "errors": (),
        "notes": (),
        "pipeline": None,
        "plots": Plots(),
    }
    return Results(**{**defaults, **fields})


_DROPPED = re.compile(
    r"dropped by (?P<drop>[\d.]+) \((?P<base>[\d.]+) → (?P<head>[\d.]+)\), "
    r"allowed (?P<allowed>[\d.]+)"
)


def assert_dropped_beyond_max_drop(
    text: str, results: dict[str, Any], key: str, file: str = "metrics.json"
) -> None:
    """``key`` of ``file`` fell by more than its ``max_drop`` gate allows, the gate
    failed, and ``text`` states the drop with the numbers of ``results``
    (mlci-results.json): by relation, never the digits one scikit-learn version
    happens to produce."""
    (change,) = [m for m in results["metrics"] if (m["file"], m["key"]) == (file, key)]
    (gate,) = [
        g for g in results["gates"] if (g["file"], g["key"], g["check"]) == (file, key, "max_drop")
    ]
    assert gate["outcome"] == "fail", gate
    base, head = float(change["base"]), float(change["head"])

    def states_it(match: re.Match[str]) -> bool:
        # The text rounds to 4 significant digits; the numbers are those of the results.
        return base - head > float(match["allowed"]) and all(
            float(shown) == pytest.approx(value, rel=1e-3)
            for shown, value in (
                (match["base"], base),
                (match["head"], head),
                (match["drop"], base - head),
            )
        )

    assert any(states_it(match) for match in _DROPPED.finditer(text)), text
