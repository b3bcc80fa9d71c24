"""Shards end to end: three DVC projects in one repository, one `mlci ci --shard` job
each, one `mlci merge` against the local GitHub server.

Real git, real DVC (each project `dvc init --subdir`, its stage re-run by `dvc repro`),
the real CLI; only GitHub is the local server of tests/github_server.py.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from conftest import Repo
from github_server import GitHubServer
from test_workflows import actionlint, zizmor

from mlci.cli import cli
from mlci.config import parse_config
from mlci.flow import discover_projects
from mlci.git.repo import Repository
from mlci.render.markdown import marker
from mlci.results import Results

TOKEN = "ghs_valid_token"
SHARDS = ("tabular", "nlp", "vision")
ROOT_CONFIG = "report: {title: Models}\nshards:\n" + "".join(
    f"  - {{name: {name}, path: models/{name}}}\n" for name in SHARDS
)
TRAIN = """\
import json
import yaml

score = yaml.safe_load(open("params.yaml"))["score"]
json.dump({"score": score}, open("metrics.json", "w"))
"""
DVC_YAML = """\
stages:
  train:
    cmd: python train.py
    deps: [train.py]
    params: [score]
    metrics:
      - metrics.json:
          cache: false
"""


@pytest.fixture
def gh() -> Iterator[GitHubServer]:
    with GitHubServer() as server:
        yield server
    assert server.server_errors == []


@pytest.fixture
def monorepo(tmp_path: Path) -> Repo:
    """main: three DVC projects under models/, each gating score >= 0.5 (0.9 today)."""
    repo = Repo(tmp_path / "repo")
    repo.root.mkdir()
    repo.git("init", "--quiet", "--initial-branch=main")
    repo.gen({"mlci.yaml": ROOT_CONFIG, ".gitignore": "mlci-results.json\nreport.*\n"})
    for name in SHARDS:
        folder = f"models/{name}"
        repo.gen(
            {
                f"{folder}/train.py": TRAIN,
                f"{folder}/dvc.yaml": DVC_YAML,
                f"{folder}/params.yaml": "score: 0.9\n",
                f"{folder}/mlci.yaml": "metrics:\n  - {key: score, min: 0.5}\n",
            }
        )
        project = Repo(repo.root / folder)
        project.dvc("init", "--subdir", "--quiet")
        project.dvc("repro", "--quiet")
    repo.commit("three models")
    repo.git("checkout", "--quiet", "-b", "feature")
    return repo


class Job:
    """The Actions environment of one job of the pull request's workflow."""

    def __init__(self, repo: Repo, gh: GitHubServer, tmp: Path, mp: pytest.MonkeyPatch) -> None:
        self.repo, self.gh, self.tmp, self.mp = repo, gh, tmp, mp
        self.base = repo.git("rev-parse", "main")
        self.head = repo.git("rev-parse", "HEAD")
        event = {
            "pull_request": {
                "number": 7,
                "base": {"sha": self.base, "ref": "main"},
                "head": {"sha": self.head, "ref": "feature"},
            }
        }
        (tmp / "event.json").write_text(json.dumps(event))
        gh.add_pull(7, self.head, self.base)
        gh.add_file(self.base, "mlci.yaml", ROOT_CONFIG)
        for name, value in {
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(tmp / "event.json"),
            "GITHUB_REPOSITORY": "octo-org/ml-project",
            "GITHUB_API_URL": gh.url,
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_RUN_ID": "777",
            "GITHUB_SHA": self.head,
            "GITHUB_OUTPUT": str(tmp / "output"),
            "GITHUB_STEP_SUMMARY": str(tmp / "summary.md"),
            "MLCI_GITHUB_BACKOFF": "0.01",
        }.items():
            mp.setenv(name, value)

    def mlci(self, *args: str, token: bool = False) -> Result:
        """One mlci step, from the repository's root; the token only where given."""
        if token:
            self.mp.setenv("GITHUB_TOKEN", TOKEN)
        else:
            self.mp.delenv("GITHUB_TOKEN", raising=False)
        cwd = Path.cwd()
        os.chdir(self.repo.root)
        try:
            return CliRunner().invoke(cli, list(args), prog_name="mlci")
        finally:
            os.chdir(cwd)

    def check_shard(self, name: str) -> Result:
        """The matrix job of shard ``name``: check, write, upload (here: into a folder
        laid out as actions/download-artifact lays out the artifacts)."""
        out = self.tmp / "artifacts" / f"mlci-results-{name}"
        return self.mlci(
            "ci",
            "--shard",
            name,
            "--no-publish",
            "--no-tests",
            "--results",
            str(out / "mlci-results.json"),
            "--report",
            str(out / "report.md"),
        )


def test_three_shard_jobs_one_comment_one_status(
    monorepo: Repo, gh: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monorepo.commit("nlp: a worse score", {"models/nlp/params.yaml": "score: 0.3\n"})
    job = Job(monorepo, gh, tmp_path, monkeypatch)
    assert job.check_shard("tabular").exit_code == 0
    failing = job.check_shard("nlp")
    assert failing.exit_code == 1, failing.output
    assert job.check_shard("vision").exit_code == 0
    nlp = Results.read(tmp_path / "artifacts" / "mlci-results-nlp" / "mlci-results.json")
    assert nlp.shard == "nlp" and nlp.verdict == "fail"
    assert nlp.pipeline is not None and nlp.pipeline.reproduced == ("train",)
    assert gh.comments == {} and gh.statuses == []  # the shards published nothing
    shutil.rmtree(tmp_path / "artifacts" / "mlci-results-vision")  # its upload failed

    merged = job.mlci("merge", str(tmp_path / "artifacts"), token=True)
    assert merged.exit_code == 1, merged.output
    [comment] = gh.comments[7]
    body = comment["body"]
    assert body.startswith(
        "## ❌ Models: FAIL\n**2 of 3 shards failed: nlp, vision (no results).**"
    )
    assert [line for line in body.splitlines() if line.startswith("### ")] == [
        "### ❌ nlp: FAIL",
        "### ❌ vision: FAIL",
        "### ✅ tabular: PASS",
    ]
    assert "score: ≥ 0.5" in body.split("### ❌ vision")[0]
    assert marker("Models") in body.splitlines()
    [status] = gh.statuses
    assert (status["state"], status["context"]) == ("failure", "mlci/Models")
    assert "nlp" in status["description"] and "vision (no results)" in status["description"]
    summary = (tmp_path / "summary.md").read_text()
    assert summary.count("## ❌ Models: FAIL") == 1

    # vision's job is re-run: the same comment is updated, never a second one.
    assert job.check_shard("vision").exit_code == 0
    again = job.mlci("merge", str(tmp_path / "artifacts"), token=True)
    assert again.exit_code == 1, again.output
    [updated] = gh.comments[7]
    assert updated["id"] == comment["id"]
    assert updated["body"].startswith("## ❌ Models: FAIL\n**1 of 3 shards failed: nlp.**")
    assert [s["state"] for s in gh.statuses] == ["failure", "failure"]
    assert gh.statuses[1]["description"] == "fail: 1 of 3 shards failed: nlp"


def test_check_shard_runs_in_the_shards_folder(
    monorepo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monorepo.commit("nlp: a worse score", {"models/nlp/params.yaml": "score: 0.3\n"})
    monkeypatch.setenv("MLCI_BASE", "main")
    failing = monorepo.mlci("check", "--shard", "nlp", "--no-tests")
    assert failing.exit_code == 1, failing.output
    results = Results.read(monorepo.root / "models" / "nlp" / "mlci-results.json")
    assert results.shard == "nlp"
    assert [(g.key, g.outcome) for g in results.gates] == [("score", "fail")]
    passing = monorepo.mlci("check", "--shard", "tabular", "--no-tests")
    assert passing.exit_code == 0, passing.output


def test_a_shard_the_base_does_not_list_is_a_usage_error(
    monorepo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLCI_BASE", "main")
    # The pull request lists a shard of its own: the base's list decides.
    monorepo.commit(
        "add a shard", {"mlci.yaml": ROOT_CONFIG + "  - {name: mine, path: models/nlp}\n"}
    )
    result = monorepo.mlci("check", "--shard", "mine")
    assert result.exit_code == 2
    assert "--shard mine: not a shard of mlci.yaml at base " in result.output
    assert "(shards: tabular, nlp, vision)" in result.output


def test_without_a_list_the_projects_found_are_the_shards(monorepo: Repo) -> None:
    (monorepo.root / "mlci.yaml").unlink()
    found = discover_projects(Repository(monorepo.root))
    assert [(s.name, s.path) for s in found] == [
        ("models-nlp", "models/nlp"),
        ("models-tabular", "models/tabular"),
        ("models-vision", "models/vision"),
    ]


# --- mlci init --matrix ---------------------------------------------------------------------


def matrix_of(workflow: Path) -> tuple[list[dict[str, Any]], str]:
    document = yaml.safe_load(workflow.read_text())
    include = document["jobs"]["check"]["strategy"]["matrix"]["include"]
    [merge] = [
        s["run"] for s in document["jobs"]["publish"]["steps"] if "mlci merge" in s.get("run", "")
    ]
    return include, merge


def test_init_matrix_writes_a_job_per_listed_shard(monorepo: Repo) -> None:
    config = ROOT_CONFIG.replace(
        "path: models/vision}", "path: models/vision, runs-on: [self-hosted, gpu]}"
    )
    monorepo.commit("vision on a GPU", {"mlci.yaml": config})
    result = monorepo.mlci("init", "--matrix")
    assert result.exit_code == 0, result.output
    workflow = monorepo.root / ".github" / "workflows" / "mlci.yml"
    include, merge = matrix_of(workflow)
    assert include == [
        {"shard": "tabular", "path": "models/tabular", "runs-on": "ubuntu-latest"},
        {"shard": "nlp", "path": "models/nlp", "runs-on": "ubuntu-latest"},
        {"shard": "vision", "path": "models/vision", "runs-on": ["self-hosted", "gpu"]},
    ]
    assert merge.endswith("--expect tabular --expect nlp --expect vision")
    assert "kept" in result.output  # the shards' own mlci.yaml exist already
    actionlint(monorepo.root, workflow)
    zizmor(monorepo.root, workflow)


def test_init_matrix_finds_the_projects_and_lists_them(monorepo: Repo) -> None:
    (monorepo.root / "mlci.yaml").unlink()
    (monorepo.root / "models" / "nlp" / "mlci.yaml").unlink()
    result = monorepo.mlci("init", "--matrix")
    assert result.exit_code == 0, result.output
    include, merge = matrix_of(monorepo.root / ".github" / "workflows" / "mlci.yml")
    assert [entry["shard"] for entry in include] == [
        "models-nlp",
        "models-tabular",
        "models-vision",
    ]
    assert "--expect models-nlp --expect models-tabular --expect models-vision" in merge
    root = parse_config((monorepo.root / "mlci.yaml").read_text())
    assert [(s.name, s.path) for s in root.shards] == [
        ("models-nlp", "models/nlp"),
        ("models-tabular", "models/tabular"),
        ("models-vision", "models/vision"),
    ]
    # The shard that had no gates gets starting ones from the metrics it has.
    gates = parse_config((monorepo.root / "models" / "nlp" / "mlci.yaml").read_text())
    assert [rule.key for rule in gates.metrics] == ["score"]


def test_init_matrix_without_any_project_says_what_to_do(tmp_path: Path) -> None:
    empty = Repo(tmp_path / "empty")
    empty.root.mkdir()
    empty.git("init", "--quiet", "--initial-branch=main")
    empty.commit("nothing")
    result = empty.mlci("init", "--matrix")
    assert result.exit_code == 2
    assert "no DVC project found in" in result.output


def test_a_shard_folder_inside_another_project_is_refused(
    monorepo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dvc.yaml without its own .dvc/ belongs to the project above it: checking that
    project under the shard's name would gate the wrong thing."""
    monkeypatch.setenv("MLCI_BASE", "main")
    monorepo.gen({"models/nlp/sub/dvc.yaml": "stages: {}\n"})
    config = ROOT_CONFIG + "  - {name: sub, path: models/nlp/sub}\n"
    monorepo.commit("a sub-pipeline", {"mlci.yaml": config})
    monorepo.git("branch", "--quiet", "-f", "main", "HEAD")  # the base lists it too
    result = monorepo.mlci("check", "--shard", "sub", "--no-tests")
    assert result.exit_code == 2
    assert "is not a DVC project of its own (no .dvc/ there)" in result.output


def test_init_matrix_fork_safe_writes_the_pair(monorepo: Repo) -> None:
    result = monorepo.mlci("init", "--matrix", "--fork-safe")
    assert result.exit_code == 0, result.output
    workflows = monorepo.root / ".github" / "workflows"
    compute = yaml.safe_load((workflows / "mlci-compute.yml").read_text())
    publish = yaml.safe_load((workflows / "mlci-publish.yml").read_text())
    include = compute["jobs"]["check"]["strategy"]["matrix"]["include"]
    assert [entry["shard"] for entry in include] == list(SHARDS)
    assert "publish" not in compute["jobs"]
    [merge] = [
        s["run"] for s in publish["jobs"]["publish"]["steps"] if "mlci merge" in s.get("run", "")
    ]
    assert merge.endswith("--expect tabular --expect nlp --expect vision")
    assert not (workflows / "mlci.yml").exists()
    actionlint(monorepo.root, workflows / "mlci-compute.yml", workflows / "mlci-publish.yml")
    zizmor(monorepo.root, workflows / "mlci-compute.yml", workflows / "mlci-publish.yml")


def test_found_projects_get_valid_distinct_names(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "names")
    repo.root.mkdir()
    repo.git("init", "--quiet", "--initial-branch=main")
    for folder in ("a-b/c", "a/b-c", "_private/x y", "."):
        (repo.root / folder).mkdir(parents=True, exist_ok=True)
        repo.gen({f"{folder}/.dvc/config": ""})
    repo.commit("four projects")
    found = discover_projects(Repository(repo.root))
    assert [(s.name, s.path) for s in found] == [
        ("root", "."),
        ("private-x-y", "_private/x y"),
        ("a-b-c", "a-b/c"),
        ("a-b-c-2", "a/b-c"),
    ]


def test_a_shard_publishing_by_itself_keeps_out_of_the_merged_comment(
    monorepo: Repo, gh: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monorepo.commit("nlp: a worse score", {"models/nlp/params.yaml": "score: 0.3\n"})
    job = Job(monorepo, gh, tmp_path, monkeypatch)
    alone = job.mlci("ci", "--shard", "nlp", "--no-tests", token=True)
    assert alone.exit_code == 1, alone.output
    [comment] = gh.comments[7]
    assert comment["body"].startswith("## ❌ Model report (nlp): FAIL")
    assert [s["context"] for s in gh.statuses] == ["mlci/Model report (nlp)"]
    assert job.check_shard("nlp").exit_code == 1
    assert job.check_shard("tabular").exit_code == 0
    assert job.check_shard("vision").exit_code == 0
    merged = job.mlci("merge", str(tmp_path / "artifacts"), token=True)
    assert merged.exit_code == 1, merged.output
    assert [c["body"].splitlines()[0] for c in gh.comments[7]] == [
        "## ❌ Model report (nlp): FAIL",
        "## ❌ Models: FAIL",
    ]
    assert [s["context"] for s in gh.statuses] == ["mlci/Model report (nlp)", "mlci/Models"]


def test_a_shard_folder_the_branch_turns_into_a_link_is_refused(
    monorepo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The base lists vision at models/vision; the branch makes that a symlink to a
    project of its own (with no gates). The shard must not run there."""
    monkeypatch.setenv("MLCI_BASE", "main")
    fake = monorepo.root / "fake"
    fake.mkdir()
    (fake / "params.yaml").write_text("score: 0.1\n")
    Repo(fake).dvc("init", "--subdir", "--quiet")
    monorepo.git("rm", "-r", "--quiet", "models/vision")
    shutil.rmtree(monorepo.root / "models" / "vision", ignore_errors=True)
    (monorepo.root / "models" / "vision").symlink_to("../fake", target_is_directory=True)
    monorepo.commit("vision elsewhere")
    result = monorepo.mlci("check", "--shard", "vision", "--no-tests")
    assert result.exit_code == 2, result.output
    assert "--shard vision: its folder models/vision" in result.output
    assert "is not a folder of the repository" in result.output


def test_without_a_base_list_the_base_projects_name_the_shards(
    monorepo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no `shards:` at base, the projects the base commit holds decide the names: a
    branch cannot take over `models-vision` by its own list or by a folder that sorts
    first (`models-vision/` before `models/vision`)."""
    monorepo.git("checkout", "--quiet", "main")
    monorepo.commit("no shard list", {"mlci.yaml": "report: {title: Models}\n"})
    monorepo.git("checkout", "--quiet", "-B", "feature")
    monkeypatch.setenv("MLCI_BASE", "main")
    impostor = monorepo.root / "models-vision"
    impostor.mkdir()
    (impostor / "params.yaml").write_text("score: 0.1\n")
    Repo(impostor).dvc("init", "--subdir", "--quiet")
    monorepo.commit(
        "an impostor",
        {
            "mlci.yaml": "report: {title: Models}\nshards:\n"
            "  - {name: models-vision, path: models-vision}\n"
        },
    )
    result = monorepo.mlci("check", "--shard", "models-vision", "--no-tests")
    assert result.exit_code == 0, result.output
    assert (monorepo.root / "models" / "vision" / "mlci-results.json").is_file()
    assert not (impostor / "mlci-results.json").exists()
