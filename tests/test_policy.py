"""Whose word counts: the base decides, the head may only add (mlci/judge/policy.py).

Each test is an attack a pull request can make with its own files and branch, run
against a real git + DVC repository.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Repo, publish_and_clone, run

from mlci.config import parse_config
from mlci.judge.policy import Policy, choose_base

GATE = "metrics:\n  - key: accuracy\n    max_drop: 0.01\n"


def results_of(repo: Repo) -> dict[str, object]:
    found: dict[str, Any] = json.loads((repo.root / "mlci-results.json").read_text())
    return found


# --- the base revision ----------------------------------------------------------------


def choose(**given: object) -> tuple[str | None, str | None, str]:
    args: dict[str, object] = {
        "explicit": None,
        "event_base": None,
        "env_base": None,
        "default_branch": "main",
        "default_config": None,
        "default_config_where": "mlci.yaml on main",
        "head_config": None,
    }
    args.update(given)
    choice = choose_base(**args)  # type: ignore[arg-type]
    return choice.revision, choice.branch, choice.where


def test_the_base_is_chosen_in_the_documented_order() -> None:
    trunk = parse_config("base: trunk\n")
    assert choose(explicit="v1", event_base="abc", env_base="env", default_config=trunk) == (
        "v1",
        None,
        "--base",
    )
    assert choose(event_base="abc", env_base="env", default_config=trunk)[2] == (
        "the CI event's base commit"
    )
    assert choose(env_base="env", default_config=trunk) == ("env", None, "$MLCI_BASE")
    assert choose(default_config=trunk) == (None, "trunk", "base: in mlci.yaml on main")
    assert choose(default_branch="master") == (None, "master", "the default branch")


def test_the_heads_base_is_never_used_and_the_report_says_so() -> None:
    own = parse_config("base: pr/mine\n")
    choice = choose_base(
        explicit=None,
        event_base=None,
        env_base=None,
        default_branch="main",
        default_config=None,
        default_config_where="",
        head_config=own,
    )
    assert choice.branch == "main"
    assert choice.notes == (
        "This branch's mlci.yaml sets `base: pr/mine`; ignored: the base branch comes from "
        "the default branch's mlci.yaml (or --base), so it is `main`.",
    )


def test_a_pr_naming_its_own_branch_as_base_is_still_compared_with_main(repo: Repo) -> None:
    repo.git("checkout", "--quiet", "main")
    repo.commit("gate", {"mlci.yaml": GATE})
    repo.git("checkout", "--quiet", "feature")
    repo.git("merge", "--quiet", "main")
    repo.commit(
        "worse, and compare me with myself",
        {"mlci.yaml": "base: feature\n" + GATE, "metrics.json": {"accuracy": 0.5, "loss": 0.3}},
    )
    result = repo.mlci("check", "--no-tests")
    assert result.exit_code == 1, result.output
    found = results_of(repo)
    assert found["base"]["name"] == "main"  # type: ignore[index]
    assert any("sets `base: feature`; ignored" in note for note in found["notes"])  # type: ignore[attr-defined]


def test_in_a_clone_the_base_comes_from_the_remotes_default_branch(
    repo: Repo, tmp_path: Path
) -> None:
    """origin/HEAD names the default branch; its mlci.yaml's `base:` (here: absent) wins
    over the head's, which names a branch the attacker controls."""
    repo.git("checkout", "--quiet", "main")
    repo.commit("gate", {"mlci.yaml": GATE})
    repo.git("branch", "--quiet", "attacker", "main")
    repo.git("checkout", "--quiet", "-B", "feature", "main")
    repo.commit(
        "worse",
        {"mlci.yaml": "base: attacker\n" + GATE, "metrics.json": {"accuracy": 0.5, "loss": 0.3}},
    )
    repo.git("checkout", "--quiet", "attacker")
    repo.commit("attacker's branch has the same bad numbers", {"metrics.json": {"accuracy": 0.5}})
    repo.git("checkout", "--quiet", "main")  # the origin's HEAD: its default branch
    clone = publish_and_clone(repo, tmp_path, "feature", depth=None)
    run(clone.root, "git", "fetch", "--quiet", "origin", "attacker:refs/remotes/origin/attacker")
    assert clone.git("symbolic-ref", "refs/remotes/origin/HEAD") == "refs/remotes/origin/main"
    result = clone.mlci("check", "--no-tests")
    assert result.exit_code == 1, result.output
    assert results_of(clone)["base"]["name"] == "origin/main"  # type: ignore[index]


def test_the_default_branchs_config_names_the_base_branch(repo: Repo) -> None:
    repo.git("checkout", "--quiet", "main")
    repo.commit("gate", {"mlci.yaml": "base: develop\n" + GATE})
    repo.git("branch", "--quiet", "develop", "main")
    repo.git("checkout", "--quiet", "-B", "feature", "main")
    repo.commit("same numbers", {"params.yaml": "train:\n  lr: 0.2\n  epochs: 10\n"})
    result = repo.mlci("check", "--no-tests")
    assert result.exit_code == 0, result.output
    assert results_of(repo)["base"]["name"] == "develop"  # type: ignore[index]


# --- revisions are never options -------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (["check", "--base", "--upload-pack=touch pwned"], "--base"),
        (["check", "--base", "+main:refs/heads/other"], "--base"),
        (["check", "--base", "main:refs/heads/other"], "--base"),
        (["check", "--base", "main..feature"], "--base"),
        (["check", "--base", "main\n::error::x"], "--base"),
        (["diff", "--base", "-c"], "--base"),
        (["diff", "--head", "--output=pwned"], "--head"),
        (["diff", "--head", "+refs/heads/main:refs/heads/other"], "--head"),
    ],
)
def test_a_revision_that_git_could_read_as_an_option_or_refspec_is_refused(
    repo: Repo, tmp_path: Path, args: list[str], where: str
) -> None:
    clone = publish_and_clone(repo, tmp_path, "feature")
    before = clone.git("for-each-ref")
    result = clone.mlci(*args)
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"mlci: error: {where}: ")
    assert "is not a revision mlci accepts" in result.output
    assert not (clone.root / "pwned").exists()
    assert clone.git("for-each-ref") == before  # no ref created or moved


def test_mlci_base_from_the_environment_is_checked_too(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLCI_BASE", "--upload-pack=touch pwned")
    result = repo.mlci("check", "--no-tests")
    assert result.exit_code == 2
    assert result.output.startswith("mlci: error: $MLCI_BASE: '--upload-pack=touch pwned'")
    monkeypatch.setenv("MLCI_BASE", "main")
    assert repo.mlci("check", "--no-tests").exit_code == 0


def test_a_bad_base_key_on_the_default_branch_is_a_usage_error_naming_it(repo: Repo) -> None:
    repo.git("checkout", "--quiet", "main")
    repo.commit("odd base", {"mlci.yaml": "base: '-x'\n" + GATE})
    repo.git("checkout", "--quiet", "-B", "feature", "main")
    result = repo.mlci("check", "--no-tests")
    assert result.exit_code == 2
    assert result.output.startswith("mlci: error: base: in mlci.yaml on main: '-x'")


# --- the pipeline ------------------------------------------------------------------------

STAGE = f"""\
stages:
  train:
    cmd: {sys.executable} train.py
    deps:
      - train.py
    params:
      - train.lr
    metrics:
      - metrics.json:
          cache: false
"""
TRAIN = """\
import json, yaml
lr = yaml.safe_load(open("params.yaml"))["train"]["lr"]
json.dump({"accuracy": 0.9 - lr}, open("metrics.json", "w"))
"""


@pytest.fixture
def pipeline_repo(repo: Repo) -> Repo:
    repo.git("checkout", "--quiet", "main")
    repo.gen({"dvc.yaml": STAGE, "train.py": TRAIN, "mlci.yaml": GATE})
    repo.dvc("repro", "--quiet")
    repo.commit("pipeline")
    repo.git("checkout", "--quiet", "-B", "feature", "main")
    return repo


def test_the_head_cannot_turn_the_pipeline_off(pipeline_repo: Repo) -> None:
    """A PR that changes a param and keeps the stale, better metrics, asking mlci not to
    re-run: the base's settings re-run it, and the drop is caught."""
    repo = pipeline_repo
    repo.commit(
        "lr up, repro off",
        {
            "params.yaml": "train:\n  lr: 0.3\n  epochs: 10\n",
            "mlci.yaml": "pipeline:\n  repro: false\n  pull: false\n" + GATE,
        },
    )
    result = repo.mlci("check", "--no-tests")
    assert result.exit_code == 1, result.output
    found = results_of(repo)
    assert found["pipeline"]["reproduced"] == ["train"]  # type: ignore[index]
    assert (
        "This branch's mlci.yaml sets `pipeline.repro: false`; ignored: only the base "
        "branch's mlci.yaml or --no-repro can skip it."
    ) in found["pipeline"]["skipped"]  # type: ignore[index]


def test_the_base_or_a_flag_can_turn_the_pipeline_off(pipeline_repo: Repo) -> None:
    repo = pipeline_repo
    repo.commit("lr up", {"params.yaml": "train:\n  lr: 0.3\n  epochs: 10\n"})
    result = repo.mlci("check", "--no-tests", "--no-repro")
    assert result.exit_code == 0, result.output
    assert results_of(repo)["pipeline"]["skipped"] == [  # type: ignore[index]
        "dvc repro skipped (--no-repro): metrics are the workspace's as they are."
    ]
    repo.git("checkout", "--quiet", "main")
    repo.commit("repro off on main", {"mlci.yaml": "pipeline:\n  repro: false\n" + GATE})
    repo.git("checkout", "--quiet", "feature")
    repo.git("merge", "--quiet", "main")
    result = repo.mlci("check", "--no-tests")
    assert result.exit_code == 0, result.output
    assert results_of(repo)["pipeline"]["skipped"] == [  # type: ignore[index]
        "dvc repro skipped (pipeline.repro: false in the base's mlci.yaml): metrics are "
        "the workspace's as they are."
    ]


def test_policy_pipeline_flags_win_and_head_only_turns_on() -> None:
    off = parse_config("pipeline: {pull: false, repro: false}\n")
    on = parse_config("pipeline: {pull: true, repro: true}\n")

    def decide(base: object, head: object, pull: bool | None = None) -> tuple[bool, bool]:
        decision = Policy(base, head).pipeline(pull, None)  # type: ignore[arg-type]
        return decision.pull, decision.repro

    assert decide(off, on) == (True, True)
    assert decide(on, off) == (True, True)
    assert decide(off, off) == (False, False)
    assert decide(on, on, pull=False) == (False, True)


# --- decisions from the base ------------------------------------------------------------


def test_the_title_and_test_command_come_from_the_base() -> None:
    base = parse_config("report: {title: Prod model}\ntests: pytest tests\n")
    head = parse_config("report: {title: Anything}\ntests: 'true'\n")
    policy = Policy(base, head)
    assert policy.report.title == "Prod model"
    assert policy.tests() is not None
    assert policy.tests().command == "pytest tests"  # type: ignore[union-attr]
    assert Policy(None, head).report.title == "Anything"  # no base file: nothing to protect


def test_a_broken_base_config_does_not_lock_the_repository(repo: Repo) -> None:
    """main's mlci.yaml has a typo; the PR that fixes it is judged by its own file, and
    the verdict says loudly that the base is broken (at least a warning)."""
    repo.git("checkout", "--quiet", "main")
    repo.commit("typo", {"mlci.yaml": "metrics:\n  - key: accuracy\n    max_dorp: 0.01\n"})
    repo.git("checkout", "--quiet", "-B", "feature", "main")
    repo.commit("fix the typo", {"mlci.yaml": GATE})
    result = repo.mlci("check", "--no-tests")
    assert result.exit_code == 0, result.output
    found = results_of(repo)
    assert found["verdict"] == "warn"
    assert any(
        note.startswith("The base's mlci.yaml is broken, so this branch's file gates this run")
        and "max_dorp" in note
        for note in found["notes"]  # type: ignore[attr-defined]
    )
    repo.commit("and drop accuracy", {"metrics.json": {"accuracy": 0.5}})
    assert repo.mlci("check", "--no-tests").exit_code == 1  # the head's gate still judges


@pytest.mark.parametrize("event_name", ["workflow_dispatch", "merge_group", "push", "schedule"])
def test_ci_events_without_a_pr_base_never_take_the_heads_base(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, event_name: str
) -> None:
    """`mlci ci` on events that carry no pull request: the base is the event's own base
    commit where it has one (merge_group's base_sha, push's before), else the default
    branch's choice; never the branch's own `base:`."""
    repo.git("checkout", "--quiet", "main")
    main_sha = repo.commit("gate", {"mlci.yaml": GATE})
    repo.git("checkout", "--quiet", "-B", "feature", "main")
    head_sha = repo.commit(
        "worse, compare me with myself",
        {"mlci.yaml": "base: feature\n" + GATE, "metrics.json": {"accuracy": 0.5}},
    )
    event: dict[str, object] = {}
    if event_name == "merge_group":
        event = {"merge_group": {"base_sha": main_sha, "head_sha": head_sha}}
    elif event_name == "push":
        event = {"before": main_sha, "after": head_sha}
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(event))
    for name, value in {
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "owner/repo",
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_SHA": head_sha,
    }.items():
        monkeypatch.setenv(name, value)
    result = repo.mlci("ci", "--no-publish", "--no-tests")
    assert result.exit_code == 1, result.output
    assert results_of(repo)["base"]["sha"] == main_sha  # type: ignore[index]


def test_the_file_size_limit_comes_from_the_base_and_the_head_can_only_lower_it(
    repo: Repo,
) -> None:
    assert Policy(None, None).max_file_bytes == 50_000_000  # the default
    base = parse_config("limits: {max_file_mb: 1}\n")
    assert Policy(base, parse_config("limits: {max_file_mb: 500}\n")).max_file_bytes == 1_000_000
    assert Policy(base, parse_config("limits: {max_file_mb: 0.5}\n")).max_file_bytes == 500_000

    repo.git("checkout", "--quiet", "main")
    repo.commit("a small limit", {"mlci.yaml": "limits: {max_file_mb: 0.001}\n" + GATE})
    repo.git("checkout", "--quiet", "-B", "feature", "main")
    big = {"accuracy": 0.9, "padding": "x" * 2000}
    repo.commit(
        "a big metrics file, and a bigger limit",
        {
            "metrics.json": big,
            "mlci.yaml": "limits: {max_file_mb: 100}\n" + GATE,
        },
    )
    result = repo.mlci("check", "--no-tests")
    assert result.exit_code == 1, result.output
    [error] = [e for e in results_of(repo)["errors"] if e["rev"] == "head"]  # type: ignore[attr-defined]
    assert error["file"] == "metrics.json"
    assert "1000" in error["message"] or "1,000" in error["message"]


def test_a_base_config_that_is_not_a_regular_file_is_broken_not_absent(repo: Repo) -> None:
    """A symlink committed as mlci.yaml on the base is not "no config at base" (which
    would let this branch's file gate alone, silently): it is a broken base, said loudly."""
    repo.git("checkout", "--quiet", "main")
    (repo.root / "mlci.yaml").symlink_to("/etc/hostname")
    repo.commit("a linked config")
    repo.git("checkout", "--quiet", "-B", "feature", "main")
    (repo.root / "mlci.yaml").unlink()
    repo.commit("a real one", {"mlci.yaml": GATE})
    result = repo.mlci("check", "--no-tests")
    assert result.exit_code == 0, result.output
    found = results_of(repo)
    assert found["verdict"] == "warn"
    assert any(
        "is not a regular file (a symlink or a folder)" in note
        for note in found["notes"]  # type: ignore[attr-defined]
    )
