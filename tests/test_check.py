"""`mlci check` on small real git + DVC repositories (no pipeline stages to run)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Repo, publish_and_clone

GATES = """\
metrics:
  - key: accuracy
    min: 0.8
    max_drop: 0.01
"""


def results(repo: Repo) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((repo.root / "mlci-results.json").read_text())
    return found


def test_no_config_shows_diff_and_gates_nothing(repo: Repo) -> None:
    repo.gen({"metrics.json": {"accuracy": 0.5, "loss": 0.3, "per_class": {"a": {"recall": 0.8}}}})
    result = repo.mlci("check")
    assert result.exit_code == 0, result.output
    assert "nothing is gated" in result.output
    assert "No mlci.yaml at base or head: metrics are shown, nothing is gated." in result.output
    data = results(repo)
    assert data["verdict"] == "pass"
    [accuracy] = [m for m in data["metrics"] if m["key"] == "accuracy"]
    assert accuracy["base"] == 0.9 and accuracy["head"] == 0.5
    assert accuracy["status"] == "changed"
    report = (repo.root / "report.md").read_text()
    assert report.splitlines()[0] == "## ✅ Model report: PASS"


def test_gate_failure_exits_1_and_names_the_reason(repo: Repo) -> None:
    repo.git("checkout", "--quiet", "main")
    repo.commit("add gates", {"mlci.yaml": GATES})
    repo.git("checkout", "--quiet", "-B", "feature")
    repo.commit("worse model", {"metrics.json": {"accuracy": 0.85, "loss": 0.3}})
    result = repo.mlci("check")
    assert result.exit_code == 1, result.output
    assert "Model report: FAIL" in result.output
    assert "dropped by 0.05 (0.9 → 0.85), allowed 0.01" in result.output
    report = (repo.root / "report.md").read_text()
    assert report.startswith("## ❌ Model report: FAIL\n**1 of 2 failed (2 gate checks).**")
    # the metric that disappeared is shown as removed
    assert "per\\_class.a.recall" in report and "removed" in report


def test_fail_on_never_and_warn(repo: Repo) -> None:
    repo.commit("gates", {"mlci.yaml": GATES.replace("min: 0.8", "min: 0.8\n    severity: warn")})
    repo.gen({"metrics.json": {"accuracy": 0.7}})
    assert repo.mlci("check").exit_code == 0
    assert repo.mlci("check", "--fail-on", "warn").exit_code == 1
    assert repo.mlci("check", "--fail-on", "never").exit_code == 0


def test_pull_request_cannot_loosen_the_base_gate(repo: Repo) -> None:
    repo.git("checkout", "--quiet", "main")
    repo.commit("add gates", {"mlci.yaml": GATES})
    repo.git("checkout", "--quiet", "-B", "feature")
    repo.commit(
        "loosen the gate and get worse",
        {
            "mlci.yaml": GATES.replace("max_drop: 0.01", "max_drop: 0.5"),
            "metrics.json": {"accuracy": 0.85},
        },
    )
    result = repo.mlci("check")
    assert result.exit_code == 1, result.output
    gates = [g for g in results(repo)["gates"] if g["outcome"] == "fail"]
    assert [(g["check"], g["source"]) for g in gates] == [("max_drop", "base")]


def test_stricter_head_gate_applies(repo: Repo) -> None:
    repo.git("checkout", "--quiet", "main")
    repo.commit("add gates", {"mlci.yaml": GATES})
    repo.git("checkout", "--quiet", "-B", "feature")
    repo.commit("tighten", {"mlci.yaml": GATES.replace("min: 0.8", "min: 0.95")})
    result = repo.mlci("check")
    assert result.exit_code == 1
    assert "0.9 < min 0.95" in result.output


def test_new_metric_is_shown_as_new_and_absolute_rules_apply(repo: Repo) -> None:
    repo.commit(
        "new metric",
        {
            "mlci.yaml": "metrics:\n  - key: f1\n    min: 0.7\n    max_drop: 0.01\n",
            "metrics.json": {"accuracy": 0.9, "loss": 0.3, "f1": 0.6},
        },
    )
    result = repo.mlci("check")
    assert result.exit_code == 1
    [f1] = [m for m in results(repo)["metrics"] if m["key"] == "f1"]
    assert f1["status"] == "new" and f1["base"] is None
    assert [g["check"] for g in results(repo)["gates"]] == ["min"]


def test_non_numeric_metric_is_shown_never_gated(repo: Repo) -> None:
    repo.commit(
        "string metric",
        {
            "mlci.yaml": "metrics:\n  - key: accuracy\n    min: 0.5\n",
            "metrics.json": {"accuracy": 0.9, "model": "logreg"},
        },
    )
    result = repo.mlci("check")
    assert result.exit_code == 0, result.output
    assert "not numeric" in result.output
    assert "logreg" in (repo.root / "report.md").read_text()


def test_invalid_metrics_json_at_head_fails_naming_file_and_revision(repo: Repo) -> None:
    repo.gen({"metrics.json": '{"accuracy": 0.9,'})
    result = repo.mlci("check")
    assert result.exit_code == 1, result.output
    assert "could not read metrics.json at head:" in result.output
    [error] = results(repo)["errors"]
    assert error["rev"] == "head" and error["file"] == "metrics.json"
    [gate] = [g for g in results(repo)["gates"] if g["check"] == "readable"]
    assert gate["outcome"] == "fail"


def test_invalid_metrics_at_base_only_warns(repo: Repo) -> None:
    repo.git("checkout", "--quiet", "main")
    repo.commit("broken", {"metrics.json": "accuracy: [unclosed"})
    repo.git("checkout", "--quiet", "-B", "feature")
    repo.commit("repaired", {"metrics.json": {"accuracy": 0.9}})
    result = repo.mlci("check")
    assert result.exit_code == 0, result.output
    assert results(repo)["verdict"] == "warn"
    assert "could not read metrics.json at base" in result.output


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("metrics.yaml", "accuracy: 0.75\nnested:\n  deep:\n    value: 3\n"),
        ("metrics.toml", "accuracy = 0.75\n[nested.deep]\nvalue = 3\n"),
    ],
)
def test_yaml_and_toml_metrics_are_flattened_like_dvc(repo: Repo, name: str, text: str) -> None:
    repo.git("checkout", "--quiet", "main")
    repo.commit(
        "other format",
        {"dvc.yaml": f"metrics:\n  - {name}\n", name: text.replace("0.75", "0.7")},
    )
    repo.git("checkout", "--quiet", "-B", "feature")
    repo.gen({name: text})
    result = repo.mlci("check")
    assert result.exit_code == 0, result.output
    by_key = {m["key"]: m for m in results(repo)["metrics"]}
    assert by_key["accuracy"]["change"] == pytest.approx(0.05)
    assert by_key["nested.deep.value"]["status"] == "unchanged"


def test_outputs_go_where_asked(repo: Repo, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = repo.mlci(
        "check", "--results", str(out / "r.json"), "--report", str(out / "comment.md")
    )
    assert result.exit_code == 0
    assert json.loads((out / "r.json").read_text())["schema_version"] == 3
    assert (out / "comment.md").read_text().startswith("## ✅")


# Bad input: each with its exact message and exit code, and no traceback.


def test_not_a_git_repository(tmp_path: Path) -> None:
    result = Repo(tmp_path).mlci("check")
    assert result.exit_code == 3
    assert result.output == (
        f"mlci: error: not a git repository: {tmp_path}\n"
        "  hint: run mlci inside a git checkout of your project (or `git init` one)\n"
    )


def test_not_a_dvc_repository(tmp_path: Path) -> None:
    plain = Repo(tmp_path)
    plain.git("init", "--quiet")
    plain.commit("empty")
    result = plain.mlci("check")
    assert result.exit_code == 3
    assert result.output == (
        f"mlci: error: not a DVC repository: no .dvc/ folder in {tmp_path} or above it "
        f"(up to {tmp_path})\n"
        "  hint: run `dvc init` in your project, or run mlci from inside one\n"
    )


def test_base_branch_that_does_not_exist(repo: Repo) -> None:
    repo.git("checkout", "--quiet", "main")
    repo.commit("compare with develop", {"mlci.yaml": "base: develop\n"})
    repo.git("checkout", "--quiet", "-B", "feature", "main")
    result = repo.mlci("check")
    assert result.exit_code == 3
    assert result.output == (
        f"mlci: error: base branch 'develop' not found: no 'origin/develop' and no local "
        f"'develop' in {repo.root}\n"
        "  hint: pass --base REV, or set `base:` in mlci.yaml to your main branch\n"
    )


def test_base_revision_that_does_not_exist(repo: Repo) -> None:
    result = repo.mlci("check", "--base", "v9.9")
    assert result.exit_code == 3
    assert result.output == (
        f"mlci: error: revision 'v9.9' not found in {repo.root}\n"
        "  hint: check the name, or `git fetch origin` so it exists locally\n"
    )


def test_unknown_config_key_suggests_the_right_one(repo: Repo) -> None:
    repo.gen({"mlci.yaml": "metrics:\n  - key: accuracy\n    max_dorp: 0.1\n"})
    result = repo.mlci("check")
    assert result.exit_code == 2
    assert result.output == (
        "mlci: error: mlci.yaml:3: metrics[0].max_dorp: unknown key 'max_dorp'\n"
        "  hint: did you mean 'max_drop'?\n"
    )


def test_wrong_type_in_config_names_the_key_path(repo: Repo) -> None:
    repo.gen({"mlci.yaml": "report:\n  title: Model\n  fold_unchanged: sometimes\n"})
    result = repo.mlci("check")
    assert result.exit_code == 2
    assert result.output == (
        "mlci: error: mlci.yaml:3: report.fold_unchanged: expected true or false, got 'sometimes'\n"
    )


def test_invalid_config_at_base_names_the_revision(repo: Repo) -> None:
    """...and does not stop the pull request that repairs it (see test_policy.py)."""
    repo.git("checkout", "--quiet", "main")
    sha = repo.commit("bad gates", {"mlci.yaml": "metrics: 3\n"})
    repo.git("checkout", "--quiet", "-B", "feature")
    repo.commit("fix gates", {"mlci.yaml": GATES})
    result = repo.mlci("check")
    assert result.exit_code == 0, result.output
    notes = json.loads((repo.root / "mlci-results.json").read_text())["notes"]
    assert notes[0] == (
        "The base's mlci.yaml is broken, so this branch's file gates this run (fix it on the "
        f"base branch): mlci.yaml at base {sha[:7]}:1: metrics: expected a list of rules, got 3"
    )


def test_unknown_option_is_a_usage_error(repo: Repo) -> None:
    result = repo.mlci("check", "--bogus")
    assert result.exit_code == 2
    assert "Error: No such option '--bogus'. Did you mean '--base'?" in result.output
    assert result.output.startswith("Usage: mlci check [OPTIONS]")


def test_explicit_base_revision(repo: Repo) -> None:
    first = repo.git("rev-parse", "main")
    repo.commit("second", {"metrics.json": {"accuracy": 0.95}})
    repo.commit("third", {"metrics.json": {"accuracy": 0.97}})
    result = repo.mlci("check", "--base", "HEAD~1")
    assert result.exit_code == 0
    data = results(repo)
    assert data["base"]["name"] == "HEAD~1"
    assert data["base"]["sha"] != first
    [accuracy] = [m for m in data["metrics"] if m["key"] == "accuracy"]
    assert (accuracy["base"], accuracy["head"]) == (0.95, 0.97)


def test_runs_from_a_subdirectory(repo: Repo) -> None:
    (repo.root / "src").mkdir()
    result = Repo(repo.root / "src").mlci("check", "--results", "r.json", "--report", "r.md")
    assert result.exit_code == 0, result.output
    assert (repo.root / "src" / "r.json").exists()


def test_git_hook_variables_do_not_confuse_mlci(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    # git runs pre-push hooks with GIT_DIR set (relative); DVC's own git calls must not see it.
    monkeypatch.setenv("GIT_DIR", ".git")
    monkeypatch.setenv("GIT_INDEX_FILE", ".git/index")
    result = Repo(repo.root).mlci("check")
    assert result.exit_code == 0, result.output


def test_dvc_metrics_diff_fails_in_shallow_clone_but_mlci_does_not(
    repo: Repo, tmp_path: Path
) -> None:
    repo.commit("feature work", {"metrics.json": {"accuracy": 0.93}})
    shallow = publish_and_clone(repo, tmp_path, "feature")
    clone = shallow.root
    assert shallow.git("rev-parse", "--is-shallow-repository") == "true"
    dvc_diff = shallow.dvc("metrics", "diff", "main", check=False)
    assert dvc_diff.returncode != 0
    result = shallow.mlci("check", "--no-repro")
    assert result.exit_code == 0, result.output
    data = json.loads((clone / "mlci-results.json").read_text())
    assert data["base"]["name"] == "origin/main"
    assert data["base"]["sha"] == repo.git("rev-parse", "main")
    [accuracy] = [m for m in data["metrics"] if m["key"] == "accuracy"]
    assert (accuracy["base"], accuracy["head"]) == (0.9, 0.93)


def test_shallow_clone_deepens_until_the_fork_point(repo: Repo, tmp_path: Path) -> None:
    fork = repo.git("rev-parse", "main")
    for i in range(60):  # more than the first fetch depth of 50
        repo.commit(f"step {i}", {"notes.txt": str(i)})
    repo.git("checkout", "--quiet", "main")
    repo.commit("main moves on", {"metrics.json": {"accuracy": 0.91}})
    shallow = publish_and_clone(repo, tmp_path, "feature")
    clone = shallow.root
    result = shallow.mlci("check", "--no-repro")
    assert result.exit_code == 0, result.output
    data = json.loads((clone / "mlci-results.json").read_text())
    assert data["base"]["sha"] == fork


def test_base_revision_missing_from_origin_too(repo: Repo, tmp_path: Path) -> None:
    # The fetch of 'v9.9' fails; FETCH_HEAD is then empty, or still names what an
    # earlier fetch brought (main, here): neither may stand in for the revision.
    repo.commit("feature work", {"metrics.json": {"accuracy": 0.93}})
    clone = publish_and_clone(repo, tmp_path, "feature")
    clone.git("fetch", "--quiet", "origin", "main")
    for _ in range(2):
        result = clone.mlci("check", "--no-repro", "--base", "v9.9")
        assert result.exit_code == 3
        assert result.output == (
            f"mlci: error: revision 'v9.9' not found in {clone.root}\n"
            "  hint: check the name, or `git fetch origin` so it exists locally\n"
        )


def test_explicit_base_sha_is_fetched_into_a_shallow_clone(repo: Repo, tmp_path: Path) -> None:
    base_sha = repo.git("rev-parse", "main")
    repo.commit("feature work", {"metrics.json": {"accuracy": 0.93}})
    shallow = publish_and_clone(repo, tmp_path, "feature")
    clone = shallow.root
    result = shallow.mlci("check", "--no-repro", "--base", base_sha)
    assert result.exit_code == 0, result.output
    assert json.loads((clone / "mlci-results.json").read_text())["base"]["sha"] == base_sha


def test_another_dvc_process_holding_the_lock(repo: Repo) -> None:
    # mlci holds DVC's repository lock while it reads (as `dvc status` does); when
    # another DVC process has it, mlci says so and which project, and reads nothing.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys\n"
            "from dvc.repo import Repo\n"
            "repo = Repo('.')\n"
            "repo.lock.lock()\n"
            "print('locked', flush=True)\n"
            "sys.stdin.read()\n",
        ],
        cwd=repo.root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "locked\n"
        result = repo.mlci("check", "--no-repro")
    finally:
        holder.communicate("")
    assert result.exit_code == 3
    assert result.output.startswith(
        f"mlci: error: DVC cannot lock {repo.root}: Unable to acquire lock."
    )
    assert "  hint: wait for the other DVC process to finish, then run mlci again\n" in (
        result.output
    )
    assert not (repo.root / "mlci-results.json").exists()
    assert repo.mlci("check", "--no-repro").exit_code == 0  # released: reads as usual
