"""End to end: `mlci ci` and `mlci publish` in a GitLab-CI-like job on a real repository
from the demo (git, DVC, the project's pytest), against the local GitLab server."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import Repo, run
from gitlab_server import DEFAULT_USERS, GitLabServer, User
from test_ci import add_snoop_stage

from mlci.cli import cli
from mlci.commands.demo import SCENARIOS, set_params
from mlci.render.markdown import marker

pytestmark = pytest.mark.e2e
TOKEN = "glpat-project-token"
BOT = DEFAULT_USERS[TOKEN]
MARK = marker("Model report")


@pytest.fixture
def server() -> Iterator[GitLabServer]:
    with GitLabServer() as gl_server:
        yield gl_server
    assert gl_server.server_errors == []


class Job:
    """A merge request's GitLab CI job: a shallow clone of its source branch, and the
    predefined variables the runner gives the job."""

    def __init__(self, ws: Path, tmp: Path, server: GitLabServer, mp: pytest.MonkeyPatch):
        self.ws, self.tmp, self.server, self.monkeypatch = ws, tmp, server, mp
        self.project = Repo(ws / "project")
        self.project.git("remote", "set-url", "origin", str(ws / "origin.git"))
        self.base_sha = self.project.git("rev-parse", "main")
        self.head_sha = ""

    def push(self, scenario: str, iid: int, *, branch: str = "feature") -> Path:
        """Commit the scenario on the merge request's branch, push it, clone it shallow."""
        project = self.project
        project.git("checkout", "--quiet", "-B", branch, "main")
        set_params(project.root / "params.yaml", SCENARIOS[scenario].params)
        self.head_sha = project.commit(SCENARIOS[scenario].summary)
        project.git("push", "--quiet", "--force", "origin", branch)
        checkout = self.tmp / f"checkout-{iid}-{self.head_sha[:7]}"
        run(
            self.tmp,
            "git",
            "clone",
            "--quiet",
            "--depth",
            "1",
            "--branch",
            branch,
            f"file://{self.ws / 'origin.git'}",
            str(checkout),
        )
        self.server.add_merge_request(iid, self.head_sha, self.base_sha, source_branch=branch)
        return checkout

    def variables(self, iid: int) -> dict[str, str]:
        server = self.server
        return {
            "GITLAB_CI": "true",
            "CI": "true",
            "CI_API_V4_URL": server.api_url,
            "CI_SERVER_URL": server.url,
            "CI_PROJECT_ID": "42",
            "CI_PROJECT_URL": server.web_url,
            "CI_PIPELINE_SOURCE": "merge_request_event",
            "CI_MERGE_REQUEST_IID": str(iid),
            "CI_MERGE_REQUEST_PROJECT_ID": "42",
            "CI_MERGE_REQUEST_DIFF_BASE_SHA": self.base_sha,
            "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature",
            "CI_COMMIT_SHA": self.head_sha,
            "CI_PIPELINE_URL": f"{server.web_url}/-/pipelines/31",
            "CI_JOB_URL": f"{server.web_url}/-/jobs/3101",
            "CI_JOB_TOKEN": "job-token-of-this-job",
            "MLCI_GITLAB_TOKEN": TOKEN,
            "MLCI_GITLAB_BACKOFF": "0.01",
        }

    def ci(self, checkout: Path, iid: int, *args: str, **env: str | None) -> Result:
        for name, value in {**self.variables(iid), **env}.items():
            if value is None:
                self.monkeypatch.delenv(name, raising=False)
            else:
                self.monkeypatch.setenv(name, value)
        cwd = Path.cwd()
        os.chdir(checkout)
        try:
            return CliRunner().invoke(cli, list(args or ["ci"]), prog_name="mlci")
        finally:
            os.chdir(cwd)


@pytest.fixture
def job(
    demo_ws: Path, tmp_path: Path, server: GitLabServer, monkeypatch: pytest.MonkeyPatch
) -> Job:
    return Job(demo_ws, tmp_path, server, monkeypatch)


def notes_with_marker(server: GitLabServer, iid: int) -> list[dict[str, object]]:
    return [n for n in server.notes[iid] if MARK in str(n["body"]).splitlines()]


def test_a_merge_request_gets_one_note_a_status_and_the_reports_then_updates(job: Job) -> None:
    checkout = job.push("pass", 3)
    first = job.ci(checkout, 3)
    assert first.exit_code == 0, first.output
    [note] = notes_with_marker(job.server, 3)
    note_id, first_body = note["id"], str(note["body"])
    assert f"#note_{note_id}" in first.output
    assert ": PASS" in first_body
    assert f"]({job.server.web_url}/-/jobs/3101/artifacts/browse)" in first_body
    [status] = job.server.statuses
    assert (status["sha"], status["status"]) == (job.head_sha, "success")
    assert status["target_url"] == f"{job.server.web_url}/-/pipelines/31"
    assert (checkout / "mlci.env").read_text().startswith("MLCI_VERDICT=pass\n")
    suite = ET.parse(checkout / "mlci-junit.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "0"

    checkout = job.push("fail", 3)  # a new commit on the same merge request
    second = job.ci(checkout, 3)
    assert second.exit_code == 1, second.output
    [again] = notes_with_marker(job.server, 3)
    assert again["id"] == note_id
    assert ": FAIL" in str(again["body"])
    assert [(s["sha"], s["status"]) for s in job.server.statuses][-1] == (job.head_sha, "failed")
    suite = ET.parse(checkout / "mlci-junit.xml").getroot().find("testsuite")
    assert suite is not None and int(suite.get("failures") or 0) >= 1
    assert "MLCI_VERDICT=fail\n" in (checkout / "mlci.env").read_text()
    results = json.loads((checkout / "mlci-results.json").read_text())
    assert results["base"]["sha"] == job.base_sha  # CI_MERGE_REQUEST_DIFF_BASE_SHA
    assert results["head"] == {"name": "feature", "sha": job.head_sha}


def test_only_the_job_token_is_refused_before_anything_runs(job: Job) -> None:
    checkout = job.push("pass", 4)
    result = job.ci(checkout, 4, MLCI_GITLAB_TOKEN=None)
    assert result.exit_code == 2
    assert "only CI_JOB_TOKEN is set" in result.output
    assert "cannot write merge-request notes" in result.output
    assert not (checkout / "mlci-results.json").exists()
    assert job.server.requests == []


def test_gitlab_down_is_exit_4_with_everything_on_disk(job: Job) -> None:
    checkout = job.push("pass", 5)
    job.server.fail("*", r".", 503, times=100)
    result = job.ci(checkout, 5, MLCI_GITLAB_MAX_WAIT="0.5")
    assert result.exit_code == 4, result.output
    assert "could not identify the token's user: GitLab still failing" in result.output
    for name in ("mlci-results.json", "report.md", "mlci-junit.xml", "mlci.env"):
        assert (checkout / name).is_file(), name
    assert TOKEN not in result.output


def test_no_publish_needs_no_token_and_writes_the_reports(job: Job) -> None:
    checkout = job.push("fail", 6)
    result = job.ci(checkout, 6, "ci", "--no-publish", MLCI_GITLAB_TOKEN=None)
    assert result.exit_code == 1, result.output
    assert (checkout / "mlci-junit.xml").is_file()
    assert job.server.requests == []


def test_publish_carries_saved_results_from_the_check_job(job: Job, tmp_path: Path) -> None:
    checkout = job.push("fail", 8)
    computed = job.ci(checkout, 8, "ci", "--no-publish", MLCI_GITLAB_TOKEN=None)
    assert computed.exit_code == 1
    artifacts = tmp_path / "artifacts"  # the publishing job checks out nothing
    artifacts.mkdir()
    (artifacts / "mlci-results.json").write_bytes((checkout / "mlci-results.json").read_bytes())
    # The check job's dotenv is not carried over: it could set the token job's variables.
    (artifacts / "mlci.env").write_text("PIP_INDEX_URL=https://evil.invalid/simple\n")
    published = job.ci(artifacts, 8, "publish", "--results", "mlci-results.json")
    assert published.exit_code == 0, published.output
    # The pipeline's reports are this job's, written from the results it re-judged.
    assert (artifacts / "mlci.env").read_text().startswith("MLCI_VERDICT=fail\n")
    assert "evil" not in (artifacts / "mlci.env").read_text()
    assert "<testsuite" in (artifacts / "mlci-junit.xml").read_text()
    assert len(notes_with_marker(job.server, 8)) == 1
    assert job.server.statuses[-1]["status"] == "failed"
    # Results for another commit are refused, whatever they say.
    job.head_sha = "c" * 40
    other = job.ci(artifacts, 8, "publish", "--results", "mlci-results.json")
    assert other.exit_code == 2
    assert "but this pipeline is for ccccccc" in other.output


def test_no_process_running_merge_request_code_holds_the_gitlab_token(
    job: Job, server: GitLabServer
) -> None:
    """`mlci ci` as a real process with the token in its environment: the stage reads
    every ancestor's environment and finds the decoy, never the token; the note and
    status are still posted with it (handed over on a pipe)."""
    token = f"glpat-{secrets.token_hex(12)}"
    server.users[token] = User(id=BOT.id, username=BOT.username, bot=True)
    checkout = job.push("pass", 9)
    add_snoop_stage(checkout)
    decoy = f"decoy-{secrets.token_hex(6)}"
    env = {**os.environ, **job.variables(9), "MLCI_GITLAB_TOKEN": token, "DECOY_TOKEN": decoy}
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "mlci"), "ci"],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    dump = json.loads((checkout / "snoop-dump.json").read_text())
    assert decoy in dump["found"]
    assert token not in dump["found"]
    [note] = notes_with_marker(server, 9)
    assert server.statuses[-1]["status"] == "success"
    for name, text in {
        "stdout": proc.stdout,
        "stderr": proc.stderr,
        "note": str(note["body"]),
        "results": (checkout / "mlci-results.json").read_text(),
        "junit": (checkout / "mlci-junit.xml").read_text(),
    }.items():
        assert token not in text, name
