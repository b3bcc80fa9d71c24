"""Publishing to a GitLab merge request, against the local GitLab server (tests/gitlab_server.py).

mlci's client is python-gitlab with mlci's own bounded retry loop; nothing here sleeps
for real: every client gets a ``sleep`` that records the waits it was asked for.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_results
from gitlab_server import DEFAULT_USERS, GitLabServer, User

from mlci.commands.publish import PublishOptions, run_gitlab_publish
from mlci.errors import ExitCode, PublishError, UsageError
from mlci.forge import Published, detect
from mlci.gitlab.client import GitLab
from mlci.gitlab.context import GitLabContext, read_context, read_token
from mlci.gitlab.publish import NoteMode, post_report, status_description, without_quick_actions
from mlci.gitlab.reports import dotenv, junit_xml, write_reports
from mlci.render.markdown import Report, marker
from mlci.results import DatasetReport, GateResult, LoadError, PipelineRun, Results, Verdict
from mlci.results import TestRun as SuiteRun  # not collected by pytest

TOKEN = "glpat-project-token"
BOT = DEFAULT_USERS[TOKEN]
ALICE = DEFAULT_USERS["glpat-alice-token"]
HEAD, BASE = "b" * 40, "a" * 40
TITLE = "Model report"
MARK = marker(TITLE)


@pytest.fixture
def server() -> Iterator[GitLabServer]:
    with GitLabServer() as gl_server:
        gl_server.add_merge_request(7, HEAD, BASE)
        yield gl_server
    assert gl_server.server_errors == []


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def ci_env(server: GitLabServer, **extra: str) -> dict[str, str]:
    env = {
        "GITLAB_CI": "true",
        "CI_API_V4_URL": server.api_url,
        "CI_SERVER_URL": server.url,
        "CI_PROJECT_ID": "42",
        "CI_PROJECT_URL": server.web_url,
        "CI_MERGE_REQUEST_IID": "7",
        "CI_MERGE_REQUEST_PROJECT_ID": "42",
        "CI_MERGE_REQUEST_DIFF_BASE_SHA": BASE,
        "CI_COMMIT_SHA": HEAD,
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature",
        "CI_PIPELINE_URL": f"{server.web_url}/-/pipelines/1001",
        "CI_PIPELINE_ID": "1001",
    }
    env.update(extra)
    return env


def gate(key: str, outcome: Verdict, reason: str = "0.95 >= min 0.9") -> GateResult:
    return GateResult(
        key, "metrics.json", f"{key}: min 0.9", "min", outcome, reason, "fail", "base", 3
    )


def results_with(*outcomes: Verdict) -> Results:
    gates = tuple(gate(f"metric_{n}", outcome) for n, outcome in enumerate(outcomes))
    verdict: Verdict = "fail" if "fail" in outcomes else "warn" if "warn" in outcomes else "pass"
    return make_results(title=TITLE, verdict=verdict, gates=gates, config_file="mlci.yaml")


def client(server: GitLabServer, sleeps: Sleeps, token: str = TOKEN, **kwargs: float) -> GitLab:
    return GitLab(server.api_url, token, sleep=sleeps, **kwargs)  # type: ignore[arg-type]


def publish(
    results: Results,
    context: GitLabContext,
    gl: GitLab,
    note: NoteMode = "update",
    status: bool = True,
) -> Published:
    return post_report(Report(results), context, gl, note=note, status=status)


def run(
    server: GitLabServer, sleeps: Sleeps, results: Results, token: str = TOKEN, **env: str
) -> str | None:
    context = read_context(ci_env(server, **env))
    with client(server, sleeps, token) as gl:
        return publish(results, context, gl).comment_url


def our_notes(server: GitLabServer) -> list[dict[str, object]]:
    return [note for note in server.notes[7] if MARK in str(note["body"]).splitlines()]


# --------------------------------------------------------------------------- context


def test_context_of_a_merge_request_pipeline(server: GitLabServer) -> None:
    context = read_context(ci_env(server))
    assert (context.mr_iid, context.base_sha, context.head_sha) == (7, BASE, HEAD)
    assert context.source_branch == "feature"
    assert context.note_url(5) == f"{server.web_url}/-/merge_requests/7#note_5"


def test_a_merged_results_pipeline_sends_the_status_to_the_source_head(
    server: GitLabServer,
) -> None:
    merge_commit = "c" * 40
    env = ci_env(server, CI_COMMIT_SHA=merge_commit, CI_MERGE_REQUEST_SOURCE_BRANCH_SHA=HEAD)
    assert read_context(env).head_sha == HEAD


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CI_COMMIT_SHA", "--upload-pack=evil"),
        ("CI_MERGE_REQUEST_DIFF_BASE_SHA", "main"),
        ("CI_MERGE_REQUEST_IID", "7; rm"),
        ("CI_PROJECT_ID", "../../x"),
        ("CI_PIPELINE_ID", "1001 OR 1"),
    ],
)
def test_malformed_variables_are_refused_naming_them(
    server: GitLabServer, name: str, value: str
) -> None:
    with pytest.raises(UsageError, match=name):
        read_context(ci_env(server, **{name: value}))


def test_publishing_outside_gitlab_ci_says_what_is_missing() -> None:
    with pytest.raises(UsageError, match="CI_API_V4_URL and CI_PROJECT_ID not set"):
        read_context({})
    assert read_context({}, publishing=False).mr_iid is None


def test_the_forge_is_gitlab_only_in_a_gitlab_job() -> None:
    assert detect({"GITLAB_CI": "true", "CI": "true"}) == "gitlab"
    assert detect({"GITHUB_ACTIONS": "true", "CI": "true"}) == "github"
    assert detect({"GITLAB_CI": "false"}) == detect({}) == "github"


# --------------------------------------------------------------------------- token


def test_the_token_comes_from_the_named_variable() -> None:
    assert read_token(env={"MLCI_GITLAB_TOKEN": "t1", "CI_JOB_TOKEN": "j"}) == "t1"
    assert read_token("MY_TOKEN", env={"MY_TOKEN": "t2"}) == "t2"


@pytest.mark.parametrize(
    ("token_env", "env"),
    [
        ("MLCI_GITLAB_TOKEN", {"CI_JOB_TOKEN": "job"}),
        ("CI_JOB_TOKEN", {"CI_JOB_TOKEN": "job"}),
        ("MLCI_GITLAB_TOKEN", {"CI_JOB_TOKEN": "job", "MLCI_GITLAB_TOKEN": "job"}),
    ],
)
def test_the_job_token_is_refused_with_the_reason(token_env: str, env: dict[str, str]) -> None:
    with pytest.raises(UsageError) as refused:
        read_token(token_env, env=env)
    assert "cannot write merge-request notes" in refused.value.message
    assert "project access token" in str(refused.value.hint)
    assert refused.value.exit_code == ExitCode.USAGE
    assert "job" not in refused.value.message.replace("job token", "")


def test_no_token_at_all_names_the_variable() -> None:
    with pytest.raises(UsageError) as missing:
        read_token(env={})
    assert missing.value.message == "no GitLab token in $MLCI_GITLAB_TOKEN"


# --------------------------------------------------------------------------- publishing


def test_one_note_and_a_failed_status_with_the_pipeline_link(
    server: GitLabServer, sleeps: Sleeps
) -> None:
    url = run(server, sleeps, results_with("pass", "fail"))
    [note] = our_notes(server)
    assert url == f"{server.web_url}/-/merge_requests/7#note_{note['id']}"
    assert note["author"] == BOT.basic(server.url)
    [status] = server.statuses
    assert (status["sha"], status["status"], status["name"]) == (HEAD, "failed", f"mlci/{TITLE}")
    assert status["target_url"] == f"{server.web_url}/-/pipelines/1001"
    assert status["pipeline_id"] == 1001  # this pipeline's, not another on the same commit
    assert status["description"].startswith("fail: 1 of 2 failed")
    assert sleeps == []


def test_a_rerun_updates_the_note_in_place_and_posts_a_new_state(
    server: GitLabServer, sleeps: Sleeps
) -> None:
    run(server, sleeps, results_with("fail"))
    [first] = our_notes(server)
    run(server, sleeps, results_with("pass"))
    [again] = our_notes(server)
    assert again["id"] == first["id"]
    assert "pass" in str(again["body"]).lower()
    assert [status["status"] for status in server.statuses] == ["failed", "success"]


def test_the_note_is_found_across_pages_by_marker_and_author(
    server: GitLabServer, sleeps: Sleeps
) -> None:
    for number in range(130):
        server.add_note(7, f"review {number}", ALICE)
    run(server, sleeps, results_with("fail"))
    for number in range(130):
        server.add_note(7, f"later {number}", ALICE)
    # Lookalikes that must stay untouched: a human quoting the report, a system note,
    # another bot's note with the same marker.
    quoted = server.add_note(7, f"> see below\n{MARK}\n", ALICE)
    system = server.add_note(7, f"{MARK}\n", BOT, system=True)
    other_bot = User(id=902, username="project_42_bot_other", bot=True)
    foreign = server.add_note(7, f"other tool\n{MARK}\n", other_bot)
    run(server, sleeps, results_with("pass"))
    ours = [n for n in our_notes(server) if n["author"]["id"] == BOT.id and not n["system"]]  # type: ignore[index]
    assert len(ours) == 1
    assert (quoted["body"], system["body"], foreign["body"]) == (
        f"> see below\n{MARK}\n",
        f"{MARK}\n",
        f"other tool\n{MARK}\n",
    )
    listed = [
        query for method, query, _ in server.requests if method == "GET" and "/notes" in query
    ]
    assert any("page=3" in query for query in listed)  # 260+ notes: three pages of 100


def test_note_modes_new_delete_and_off(server: GitLabServer, sleeps: Sleeps) -> None:
    context = read_context(ci_env(server))
    with client(server, sleeps) as gl:
        publish(results_with("pass"), context, gl)
        [first] = our_notes(server)
        publish(results_with("pass"), context, gl, note="new")
        [second] = our_notes(server)
        assert second["id"] != first["id"]
        publish(results_with("pass"), context, gl, note="delete")
        assert our_notes(server) == []
        published = publish(results_with("pass"), context, gl, note="off", status=False)
    assert our_notes(server) == []
    assert (published.comment_url, published.status) == (None, None)


def test_outside_a_merge_request_only_the_status_is_set(
    server: GitLabServer, sleeps: Sleeps
) -> None:
    env = ci_env(server)
    del env["CI_MERGE_REQUEST_IID"]
    with client(server, sleeps) as gl:
        published = publish(results_with("warn"), read_context(env), gl)
    assert published.status == "success"
    assert server.notes[7] == []


def test_a_duplicate_left_by_a_lost_answer_is_removed(server: GitLabServer, sleeps: Sleeps) -> None:
    server.add_note(7, f"old\n{MARK}\n", BOT)
    server.add_note(7, f"old twin\n{MARK}\n", BOT)
    run(server, sleeps, results_with("pass"))
    assert len(our_notes(server)) == 1


def test_no_line_of_a_note_is_a_quick_action_outside_code() -> None:
    body = "## report\n/merge\n  /approve now\n- /close\n```\n/kept in code\n```\n\t/label ~x\n"
    assert without_quick_actions(body) == (
        "## report\n&#47;merge\n  &#47;approve now\n- /close\n```\n/kept in code\n```\n"
        "\t&#47;label ~x\n"
    )


def test_pull_request_strings_never_start_a_line_of_the_note(
    server: GitLabServer, sleeps: Sleeps
) -> None:
    hostile = "/merge\n/approve\n/close"
    results = make_results(
        title=TITLE,
        verdict="fail",
        gates=(gate(hostile, "fail", hostile),),
        notes=(hostile,),
        errors=(LoadError("head", hostile, hostile),),
        pipeline=PipelineRun(True, (hostile,), (hostile,)),
    )
    context = read_context(ci_env(server))
    with client(server, sleeps) as gl:
        publish(results, context, gl)
    [note] = our_notes(server)
    assert not re.search(r"(?m)^[ \t]*/", str(note["body"]))


def test_the_status_description_fits_gitlabs_255_characters() -> None:
    failing: list[Verdict] = ["fail"] * 400
    many = results_with(*failing)
    assert len(status_description(many)) <= 255


# --------------------------------------------------------------------------- faults


def test_5xx_and_lock_conflicts_are_retried_with_backoff(
    server: GitLabServer, sleeps: Sleeps
) -> None:
    server.fail("GET", r"/notes$", 502)
    server.fail(
        "POST",
        r"/statuses/",
        409,
        body={"message": "Another update to this commit status is in progress"},
    )
    run(server, sleeps, results_with("pass"))
    assert len(our_notes(server)) == 1
    assert len(server.statuses) == 1
    assert len(sleeps) == 2
    assert all(0 < wait <= 30 * 1.5 for wait in sleeps)


def test_429_without_seconds_waits_for_the_date_or_the_reset(
    server: GitLabServer, sleeps: Sleeps
) -> None:
    in_30_s = email.utils.formatdate(time.time() + 30, usegmt=True)
    server.fail("GET", r"/user$", 429, body=b"Retry later\n", headers={"Retry-After": in_30_s})
    reset = str(int(time.time()) + 20)
    server.fail("GET", r"/user$", 429, body=b"Retry later\n", headers={"RateLimit-Reset": reset})
    with client(server, sleeps) as gl:
        assert gl.user_id() == BOT.id
    by_date, by_reset = sleeps
    assert 0 < by_date <= 30
    assert 0 < by_reset <= 21


def test_every_page_is_read_when_gitlab_leaves_out_the_totals(sleeps: Sleeps) -> None:
    with GitLabServer(count_limit=100) as big:
        big.add_merge_request(7, HEAD, BASE)
        for number in range(250):
            big.add_note(7, f"note {number}", ALICE)
        with client(big, sleeps) as gl:
            notes = gl.notes("42", 7)
        assert len(notes) == 250
        assert [note.body for note in notes[:2]] == ["note 0", "note 1"]  # oldest first
        assert not any("x-total" in h for _, _, h in big.requests)


def test_429_waits_what_retry_after_says(server: GitLabServer, sleeps: Sleeps) -> None:
    server.rate_limit("POST", r"/notes$", retry_after=7)
    run(server, sleeps, results_with("pass"))
    assert sleeps == [7.0]
    assert len(our_notes(server)) == 1


def test_a_wait_beyond_the_budget_fails_at_once_with_exit_4(
    server: GitLabServer, sleeps: Sleeps
) -> None:
    server.rate_limit("POST", r"/statuses/", retry_after=3600)
    with pytest.raises(PublishError) as failed:
        run(server, sleeps, results_with("pass"))
    error = failed.value
    assert (error.status, error.operation) == (429, f"set the commit status on {HEAD[:8]}")
    assert error.exit_code == ExitCode.PUBLISH
    assert "GitLab asked to wait 3600 s" in str(error.hint)
    assert sleeps == []  # neither mlci nor python-gitlab slept


def test_persistent_5xx_gives_up_after_the_bounded_tries(
    server: GitLabServer, sleeps: Sleeps
) -> None:
    server.fail("GET", r"/user$", 503, times=10)
    with pytest.raises(PublishError) as failed, client(server, sleeps, max_tries=4) as gl:
        gl.user_id()
    assert "after 4 attempt(s) (HTTP 503 503 Service Unavailable)" in failed.value.message
    assert len(sleeps) == 3


def test_a_lost_answer_to_a_new_note_is_not_posted_twice(
    server: GitLabServer, sleeps: Sleeps
) -> None:
    server.fail("POST", r"/notes$", 502, apply=True)
    run(server, sleeps, results_with("pass"))
    assert len(our_notes(server)) == 1
    assert [method for method, *_ in server.requests].count("POST") == 2  # note once, status


@pytest.mark.parametrize(
    ("status", "path", "expected", "hint"),
    [
        (401, r"/user$", "GitLab rejected the token (401 401 Unauthorized)", "api"),
        (403, r"/notes$", "the token is not allowed to (403 403 Forbidden)", "Reporter"),
        (404, r"/notes$", "no such project, merge request or commit", "CI_MERGE_REQUEST_IID"),
        (422, r"/statuses/", "GitLab refused it (422 422 Unprocessable Entity)", None),
    ],
)
def test_final_answers_name_the_operation_and_status(
    server: GitLabServer, sleeps: Sleeps, status: int, path: str, expected: str, hint: str | None
) -> None:
    server.fail("*", path, status)
    with pytest.raises(PublishError) as failed:
        run(server, sleeps, results_with("pass"))
    error = failed.value
    assert error.status == status
    assert expected in error.message
    assert error.message.startswith(f"could not {error.operation}: ")
    if hint:
        assert hint in str(error.hint)
    assert sleeps == []


def test_real_gitlab_refusals_reach_the_user(server: GitLabServer, sleeps: Sleeps) -> None:
    server.users["glpat-read"] = User(id=8, username="reader", scopes=("read_api",))
    with pytest.raises(PublishError) as scope:
        run(server, sleeps, results_with("pass"), token="glpat-read")
    assert scope.value.status == 403
    with pytest.raises(PublishError) as unknown:
        run(server, sleeps, results_with("pass"), CI_MERGE_REQUEST_IID="8")
    assert unknown.value.status == 404
    assert "Merge Request Not Found" in unknown.value.message
    with pytest.raises(PublishError) as bad:
        run(server, sleeps, results_with("pass"), token="glpat-revoked")
    assert bad.value.status == 401


def test_the_token_never_appears_in_an_error(server: GitLabServer, sleeps: Sleeps) -> None:
    server.fail("POST", r"/statuses/", 400, body={"message": {"token": [f"{TOKEN} is odd"]}})
    with pytest.raises(PublishError) as failed:
        run(server, sleeps, results_with("pass"))
    assert TOKEN not in str(failed.value)
    assert "token *** is odd" in failed.value.message


def test_an_unreachable_gitlab_is_a_publish_error_without_a_status(sleeps: Sleeps) -> None:
    with GitLabServer() as gone:
        url = gone.api_url
    with pytest.raises(PublishError) as failed, GitLab(url, TOKEN, sleep=sleeps, max_tries=2) as gl:
        gl.user_id()
    assert failed.value.status is None
    assert "cannot reach" in failed.value.message
    assert "CI_API_V4_URL" in str(failed.value.hint)
    assert len(sleeps) == 1


# --------------------------------------------------------------------------- reports


HOSTILE = "acc\x00\x1b[31m]]></failure><x y='1'>&amp;\ud800"


def test_junit_has_one_testcase_per_judgement_and_parses_whatever_the_text(
    tmp_path: Path,
) -> None:
    results = make_results(
        title=TITLE,
        verdict="fail",
        gates=(gate("accuracy", "fail", HOSTILE), gate(HOSTILE, "warn"), gate("f1", "pass")),
        tests=SuiteRun("pytest -q", 1, 3, 2, 1, 0, 0, 0.5, (), (), "fail", "1 of 3 tests failed"),
        data=(DatasetReport("data/train.csv", "pass", "fail", (), None, None, "base"),),
        config_file="mlci.yaml",
    )
    junit, env = tmp_path / "mlci-junit.xml", tmp_path / "mlci.env"
    write_reports(results, junit, env)
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    counts = results.counts()
    assert suite.get("tests") == str(sum(counts.values())) == "5"
    assert suite.get("failures") == str(counts["fail"]) == "2"
    cases = suite.findall("testcase")
    failed = [case for case in cases if case.find("failure") is not None]
    assert [case.get("classname") for case in failed] == ["mlci.gates", "mlci.tests"]
    message = failed[0].find("failure").get("message")  # type: ignore[union-attr]
    assert message is not None
    assert "]]></failure><x y='1'>&amp;" in message  # kept as text, not markup
    assert "\x00" not in message
    warned = cases[1].find("system-out")
    assert warned is not None and str(warned.text).startswith("warning: ")
    assert env.read_text() == "MLCI_VERDICT=fail\nMLCI_FAILED=2\nMLCI_WARNINGS=1\nMLCI_PASSED=2\n"


def test_reports_replace_a_committed_symlink_without_following_it(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "mlci.env").symlink_to(outside)
    write_reports(results_with("pass"), None, checkout / "mlci.env")
    assert outside.read_text() == "keep"
    assert not (checkout / "mlci.env").is_symlink()
    assert junit_xml(results_with()).count("<testcase") == 0
    assert dotenv(results_with()).startswith("MLCI_VERDICT=pass\n")


# --------------------------------------------------------------------------- mlci publish


def test_file_at_reads_the_base_and_bounds_the_size(server: GitLabServer, sleeps: Sleeps) -> None:
    server.add_file(BASE, "mlci.yaml", "report:\n  title: Team gate\n")
    with client(server, sleeps) as gl:
        assert gl.file_at("42", "mlci.yaml", BASE) == "report:\n  title: Team gate\n"
        assert gl.file_at("42", "mlci.yaml", HEAD) is None
        with pytest.raises(PublishError, match=r"mlci\.yaml at a{12} is over 10 bytes"):
            gl.file_at("42", "mlci.yaml", BASE, limit=10)


@pytest.fixture
def saved(server: GitLabServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Results a check job saved, with a title of its own, in a GitLab publishing job."""
    for name, value in ci_env(server).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MLCI_GITLAB_TOKEN", TOKEN)
    path = tmp_path / "mlci-results.json"
    results = results_with("fail")
    results.write(path)
    forged = json.loads(path.read_text())
    forged["title"] = "Forged by the merge request"
    path.write_text(json.dumps(forged))
    return path


@pytest.mark.parametrize(
    ("config", "title", "warned"),
    [
        ("report:\n  title: Team gate\n", "Team gate", False),
        (None, "Model report", False),
        ("report: [not, a, mapping]\n", "Model report", True),
    ],
    ids=["base-title", "no-config", "broken-config"],
)
def test_publish_takes_the_title_from_the_base_never_the_file(
    server: GitLabServer,
    sleeps: Sleeps,
    saved: Path,
    config: str | None,
    title: str,
    warned: bool,
) -> None:
    if config is not None:
        server.add_file(BASE, "mlci.yaml", config)
    warnings: list[str] = []
    run = run_gitlab_publish(
        saved, PublishOptions(token_env="MLCI_GITLAB_TOKEN", sleep=sleeps), warn=warnings.append
    )
    assert run.publish_error is None
    [note] = server.notes[7]
    assert marker(title) in str(note["body"]).splitlines()
    assert server.statuses[-1]["name"] == f"mlci/{title}"
    assert "Forged" not in json.dumps(server.notes[7]) + json.dumps(server.statuses)
    assert bool(warnings) == warned


def test_publish_with_gitlab_down_keeps_the_error_for_exit_4(
    server: GitLabServer, sleeps: Sleeps, saved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.fail("*", r".", 502, times=50)
    run = run_gitlab_publish(
        saved,
        PublishOptions(token_env="MLCI_GITLAB_TOKEN", sleep=sleeps),
        warn=lambda _: None,
    )
    assert run.publish_error is not None
    assert run.publish_error.operation == "read mlci.yaml at aaaaaaaaaaaa"
    assert run.published is None


def test_odd_answers_are_publish_errors_naming_the_operation(
    server: GitLabServer, sleeps: Sleeps
) -> None:
    server.fail("GET", r"/user$", 200, body={"username": "no id"})
    server.fail("GET", r"/user$", 200, body=b"<html>proxy login</html>")
    server.fail("PUT", r"/notes/\d+$", 405)
    server.add_note(7, f"old\n{MARK}\n", BOT)
    with client(server, sleeps) as gl:
        with pytest.raises(PublishError, match="GET /user has no id"):
            gl.user_id()
        with pytest.raises(PublishError) as unparsable:
            gl.user_id()
        assert unparsable.value.status is None
        assert unparsable.value.operation == "identify the token's user"
        with pytest.raises(PublishError) as refused:
            publish(results_with("pass"), read_context(ci_env(server)), gl)
    assert refused.value.status == 405
    assert "GitLab answered 405 405 Method Not Allowed" in refused.value.message
    assert sleeps == []


def test_a_note_already_deleted_is_fine(server: GitLabServer, sleeps: Sleeps) -> None:
    server.add_note(7, f"old\n{MARK}\n", BOT)
    server.fail("DELETE", r"/notes/\d+$", 404, apply=True)  # someone deleted it first
    context = read_context(ci_env(server))
    with client(server, sleeps) as gl:
        publish(results_with("pass"), context, gl, note="new")
    assert len(our_notes(server)) == 1
