"""Publishing saved results against the local GitHub API server (no git or DVC needed).

The server (tests/github_server.py) behaves as GitHub's REST docs say; mlci reaches
it through GITHUB_API_URL exactly as on a runner.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from github_server import GitHubServer

from mlci.cli import cli
from mlci.commands.publish import PublishOptions, run_publish
from mlci.render.markdown import marker
from mlci.results import Change, GateResult, Results, RevInfo, Verdict

TOKEN = "ghs_valid_token"
BASE_SHA, HEAD_SHA = "1" * 40, "2" * 40
MARK = marker("Model report")


@pytest.fixture
def gh() -> Iterator[GitHubServer]:
    with GitHubServer() as server:
        yield server
    assert server.server_errors == []


def make_results(
    verdict: Verdict = "pass", *, key: str = "accuracy", head: str = HEAD_SHA
) -> Results:
    gates = (
        GateResult(
            key,
            "metrics.json",
            f"{key}: ≥ 0.9",
            "min",
            verdict,
            "0.95 ≥ min 0.9",
            "fail",
            "base",
            3,
        ),
    )
    return Results(
        title="Model report",
        verdict=verdict,
        base=RevInfo("main", BASE_SHA),
        head=RevInfo("feature", head),
        metrics=(Change("metrics.json", key, 0.9, 0.95, 0.05, 5.5, "changed"),),
        params=(),
        gates=gates,
        errors=(),
        notes=(),
        pipeline=None,
        config_file="mlci.yaml",
    )


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gh: GitHubServer) -> Path:
    """An Actions-like environment for a workflow_run publishing job."""
    event = {
        "workflow_run": {
            "id": 99,
            "head_sha": HEAD_SHA,
            "head_branch": "feature",
            "head_repository": {"owner": {"login": "octo-org"}},
        }
    }
    (tmp_path / "event.json").write_text(json.dumps(event))
    make_results().write(tmp_path / "mlci-results.json")
    for name, value in {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "workflow_run",
        "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
        "GITHUB_REPOSITORY": "octo-org/ml-project",
        "GITHUB_API_URL": gh.url,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "4242",
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "MLCI_GITHUB_BACKOFF": "0.01",
        "MLCI_GITHUB_MAX_WAIT": "5",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    gh.add_pull(7, HEAD_SHA, BASE_SHA)
    return tmp_path


def publish(*args: str) -> Result:
    return CliRunner().invoke(cli, ["publish", *args], prog_name="mlci")


def bot_comments(gh: GitHubServer, number: int = 7) -> list[dict[str, Any]]:
    return [c for c in gh.comments.get(number, []) if c["user"]["login"] == "github-actions[bot]"]


def test_creates_then_updates_one_sticky_comment_and_sets_the_status(
    gh: GitHubServer, workdir: Path
) -> None:
    first = publish()
    assert first.exit_code == 0, first.output
    [comment] = gh.comments[7]
    assert comment["body"].startswith("## ✅ Model report: PASS")
    assert MARK in comment["body"].splitlines()
    assert f"Comment: {comment['html_url']}" in first.output
    [status] = gh.statuses
    assert status == {
        "sha": HEAD_SHA,
        "state": "success",
        "description": "pass: the only check passed (1 gate check)",
        "context": "mlci/Model report",
        "target_url": "https://github.com/octo-org/ml-project/actions/runs/4242",
        "creator": "github-actions[bot]",
    }
    make_results("fail").write(workdir / "mlci-results.json")
    second = publish("--fail-on", "fail")
    assert second.exit_code == 1, second.output
    [updated] = gh.comments[7]
    assert updated["id"] == comment["id"]
    assert updated["body"].startswith("## ❌ Model report: FAIL")
    assert [s["state"] for s in gh.statuses] == ["success", "failure"]
    outputs = (workdir / "output").read_text()
    assert "verdict=fail\n" in outputs and f"comment-url={comment['html_url']}\n" in outputs


def test_finds_its_comment_across_pages_and_never_edits_a_human_quoting_it(
    gh: GitHubServer, workdir: Path
) -> None:
    for i in range(230):
        gh.add_comment(7, f"comment {i}", "alice")
    gh.add_comment(7, f"quoting the bot:\n{MARK}\n", "mallory")
    assert publish().exit_code == 0
    assert len(gh.comments[7]) == 232
    assert gh.comments[7][230]["body"] == f"quoting the bot:\n{MARK}\n"
    [ours] = bot_comments(gh)
    pages = [path for method, path, _ in gh.requests if method == "GET" and "/comments" in path]
    assert len(pages) == 3  # 100 + 100 + 31
    assert publish().exit_code == 0
    assert len(gh.comments[7]) == 232
    assert bot_comments(gh)[0]["id"] == ours["id"]


def test_comment_modes_new_delete_off(gh: GitHubServer, workdir: Path) -> None:
    publish()
    [first] = bot_comments(gh)
    assert publish("--comment", "new").exit_code == 0
    [second] = bot_comments(gh)
    assert second["id"] != first["id"]
    assert publish("--comment", "delete").exit_code == 0
    assert bot_comments(gh) == []
    assert publish("--comment", "off").exit_code == 0
    assert bot_comments(gh) == []
    assert len(gh.statuses) == 4


def test_a_lost_response_does_not_duplicate_the_comment(gh: GitHubServer, workdir: Path) -> None:
    gh.fail("POST", r"/issues/7/comments$", 502, apply=True)
    result = publish()
    assert result.exit_code == 0, result.output
    assert len(bot_comments(gh)) == 1
    assert [m for m, p, _ in gh.requests if m == "POST" and "/comments" in p] == ["POST"]


def test_duplicates_left_by_an_earlier_lost_response_are_removed(
    gh: GitHubServer, workdir: Path
) -> None:
    gh.add_comment(7, f"old\n{MARK}\n", "github-actions[bot]")
    gh.add_comment(7, f"older duplicate\n{MARK}\n", "github-actions[bot]")
    assert publish().exit_code == 0
    [kept] = bot_comments(gh)
    assert kept["body"].startswith("## ✅ Model report: PASS")


@pytest.mark.parametrize(
    "script",
    [
        {"status": 502, "times": 2},
        {"status": 503, "times": 1},
        {"rate": {"status": 429, "retry_after": 1}},
        {"rate": {"status": 403, "retry_after": 1}},
        {"rate": {"status": 403, "reset_in": 1}},
    ],
)
def test_retries_5xx_and_rate_limits(
    gh: GitHubServer, workdir: Path, script: dict[str, Any]
) -> None:
    if "rate" in script:
        gh.rate_limit("POST", r"/statuses/", **script["rate"])
    else:
        gh.fail("POST", r"/statuses/", script["status"], times=script["times"])
    waits: list[float] = []  # recorded, not slept
    run = run_publish(
        workdir / "mlci-results.json", PublishOptions(sleep=waits.append), write=lambda line: None
    )
    assert run.publish_error is None
    assert len(gh.statuses) == 1
    if "rate" in script:
        assert len(waits) == 1 and waits[0] >= 0.9  # the wait GitHub asked for was honoured
    else:
        assert len(waits) == script["times"]


def test_gives_up_when_github_asks_to_wait_too_long(gh: GitHubServer, workdir: Path) -> None:
    gh.rate_limit("POST", r"/statuses/", status=429, retry_after=600)
    start = time.monotonic()
    result = publish()
    assert time.monotonic() - start < 5
    assert result.exit_code == 4
    assert (
        "could not set the commit status on 2222222: GitHub still failing after 1 "
        "attempt(s) (HTTP 429" in result.output
    )
    assert "GitHub asked to wait 600 s" in result.output


def test_bounded_number_of_tries(gh: GitHubServer, workdir: Path) -> None:
    gh.fail("POST", r"/statuses/", 500, times=50)
    result = publish()
    assert result.exit_code == 4
    assert "GitHub still failing after 5 attempt(s) (HTTP 500" in result.output
    posts = [m for m, p, _ in gh.requests if m == "POST" and "/statuses/" in p]
    assert len(posts) == 5


def test_bad_credentials(gh: GitHubServer, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_wrong_secret_123")
    result = publish()
    assert result.exit_code == 4
    assert "GitHub rejected the token (401 Bad credentials)" in result.output
    assert "ghs_wrong_secret_123" not in result.output.replace(
        "::add-mask::ghs_wrong_secret_123", ""
    )


def test_read_only_token_names_the_permission_and_the_fork_pattern(
    gh: GitHubServer, workdir: Path
) -> None:
    gh.readonly_tokens.add(TOKEN)
    result = publish()
    assert result.exit_code == 4
    assert (
        "could not post the comment on #7: the workflow's token is not allowed to "
        "(403 Resource not accessible by integration)"
    ) in result.output
    assert "grant `permissions: pull-requests: write` to the job" in result.output
    assert "mlci init --fork-safe" in result.output
    result = publish("--comment", "off")
    assert "grant `permissions: statuses: write` to the job" in result.output


def test_pull_request_not_found(gh: GitHubServer, workdir: Path) -> None:
    result = publish("--pr", "404")
    assert result.exit_code == 4
    assert "mlci: error: pull request #404 not found in octo-org/ml-project" in result.output


def test_unprocessable_answer(gh: GitHubServer, workdir: Path) -> None:
    gh.fail(
        "POST",
        r"/issues/7/comments$",
        422,
        body={
            "message": "Validation Failed",
            "errors": [
                {
                    "resource": "IssueComment",
                    "code": "custom",
                    "field": "body",
                    "message": "body is too long (maximum is 65536 characters)",
                }
            ],
        },
    )
    result = publish()
    assert result.exit_code == 4
    assert (
        "could not post the comment on #7: GitHub refused it (422 Validation Failed: "
        "body is too long (maximum is 65536 characters))"
    ) in result.output


def test_check_run_mode(gh: GitHubServer, workdir: Path) -> None:
    make_results("fail").write(workdir / "mlci-results.json")
    assert publish("--status", "check").exit_code == 0
    [run] = gh.check_runs
    assert run["name"] == "mlci/Model report" and run["head_sha"] == HEAD_SHA
    assert run["conclusion"] == "failure" and run["status"] == "completed"
    assert run["output"]["summary"].startswith("## ❌ Model report: FAIL")


def test_results_for_another_commit_are_refused(gh: GitHubServer, workdir: Path) -> None:
    make_results(head="3" * 40).write(workdir / "mlci-results.json")
    result = publish()
    assert result.exit_code == 2
    assert "mlci-results.json is for commit 3333333, but this run is for 2222222" in result.output
    assert gh.comments.get(7, []) == [] and gh.statuses == []


def test_hostile_strings_from_the_artifact_stay_inert(gh: GitHubServer, workdir: Path) -> None:
    hostile = (
        "x|y <img src=x onerror=alert(1)> @octocat ![p](http://e/p.png) "
        "<!-- mlci-report: model-report -->"
    )
    make_results(key=hostile).write(workdir / "mlci-results.json")
    assert publish().exit_code == 0
    [comment] = bot_comments(gh)
    body = comment["body"]
    assert "<img" not in body and "@octocat" not in body and "![p]" not in body
    assert body.count("<!-- mlci-report:") == 1
    assert body.splitlines().count(MARK) == 1


def test_token_is_masked_and_never_printed(gh: GitHubServer, workdir: Path) -> None:
    result = publish()
    assert result.output.splitlines()[0] == f"::add-mask::{TOKEN}"
    rest = "\n".join(result.output.splitlines()[1:])
    assert TOKEN not in rest
    for name in ("output", "summary.md", "mlci-results.json"):
        assert TOKEN not in (workdir / name).read_text()
    for _method, path, headers in gh.requests:
        assert TOKEN not in path
        assert headers["authorization"] == f"Bearer {TOKEN}"


def test_huge_reports_fit_comment_and_check_run_limits(gh: GitHubServer, workdir: Path) -> None:
    big = make_results("fail")
    changes = tuple(
        Change("metrics.json", f"per_class.клас_{i:05d}.recall_⚠️", 0.5, 0.6, 0.1, 20.0, "changed")
        for i in range(4000)
    )
    import dataclasses

    dataclasses.replace(big, metrics=changes).write(workdir / "mlci-results.json")
    result = publish("--status", "check")
    assert result.exit_code == 0, result.output
    [comment] = bot_comments(gh)
    assert "truncated to fit GitHub's comment size limit" in comment["body"]
    assert (
        "[the job summary](https://github.com/octo-org/ml-project/actions/runs/4242)"
        in (comment["body"])
    )
    [check_run] = gh.check_runs
    assert len(check_run["output"]["summary"].encode()) <= 65535


def test_an_unreachable_api_is_retried_then_a_publishing_failure(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Connection refused is retried like a 5xx and ends in exit 4 naming the host and
    the cause, with the files on disk; never an internal error."""
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("GITHUB_API_URL", f"http://127.0.0.1:{port}")
    result = publish("--title", "Model report")
    assert result.exit_code == 4, result.output
    assert "internal error" not in result.output
    assert (
        "GitHub still failing after 5 attempt(s) (cannot reach 127.0.0.1: ConnectError:"
    ) in result.output
    assert f"check the network and GITHUB_API_URL (http://127.0.0.1:{port}" in result.output
    assert (workdir / "summary.md").read_text().startswith("## ")  # written before posting


def test_a_passing_5xx_on_the_token_lookup_is_retried(gh: GitHubServer, workdir: Path) -> None:
    """/user answering 502 once must not make mlci take any bot's comment for its own."""
    gh.fail("GET", r"^/user$", 502, times=1)
    result = publish()
    assert result.exit_code == 0, result.output
    user_lookups = [p for m, p, _ in gh.requests if m == "GET" and p == "/user"]
    assert len(user_lookups) == 2


def test_a_missing_token_is_the_same_usage_error_for_ci_and_publish(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    published = publish()
    assert published.exit_code == 2, published.output
    assert "mlci: error: no GitHub token in $GITHUB_TOKEN" in published.output
    ci = CliRunner().invoke(cli, ["ci", "--no-tests"], prog_name="mlci")
    assert ci.exit_code == 2, ci.output
    assert "mlci: error: no GitHub token in $GITHUB_TOKEN" in ci.output
