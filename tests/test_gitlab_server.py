"""The fake GitLab REST API behaves as docs.gitlab.com says, and python-gitlab talks to it.

Shapes and answers checked here come from GitLab's documentation (notes, commit
statuses, users, pagination, status codes) and source (``lib/api/notes.rb``,
``app/services/ci/create_commit_status_service.rb``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import gitlab
import httpx
import pytest
from gitlab_server import DEFAULT_USERS, GitLabServer, User

BOT = "glpat-project-token"
ALICE = "glpat-alice-token"
READER = "glpat-read-api"
JOB = "ci-job-token-value"
SHA = "a" * 40
BASE = "b" * 40
NOTES = "/projects/42/merge_requests/7/notes"


@pytest.fixture
def server() -> Iterator[GitLabServer]:
    users = dict(DEFAULT_USERS)
    users[READER] = User(id=8, username="reader", scopes=("read_api",))
    with GitLabServer(users=users, job_tokens={JOB: DEFAULT_USERS[BOT]}) as gl_server:
        gl_server.add_merge_request(7, SHA, BASE)
        yield gl_server


def client(
    server: GitLabServer,
    *,
    private_token: str | None = None,
    oauth_token: str | None = None,
    job_token: str | None = None,
) -> gitlab.Gitlab:
    return gitlab.Gitlab(
        server.url, private_token=private_token, oauth_token=oauth_token, job_token=job_token
    )


@pytest.fixture
def api(server: GitLabServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.api_url, headers={"PRIVATE-TOKEN": BOT}) as http:
        yield http


# --------------------------------------------------------------------------- auth


def test_private_token_and_bearer_both_identify_the_user(server: GitLabServer) -> None:
    by_header = client(server, private_token=ALICE)
    by_header.auth()
    assert by_header.user is not None
    assert (by_header.user.id, by_header.user.username) == (7, "alice")
    bearer = client(server, oauth_token=BOT)
    bearer.auth()
    assert bearer.user is not None
    assert bearer.user.username == "project_42_bot_5f1c"
    assert bearer.user.bot is True
    assert server.requests[0][2]["private-token"] == ALICE
    assert server.requests[1][2]["authorization"] == f"Bearer {BOT}"


def test_bad_missing_and_job_tokens_are_401_where_gitlab_says(server: GitLabServer) -> None:
    with pytest.raises(gitlab.GitlabAuthenticationError) as bad:
        client(server, private_token="nope").auth()
    assert bad.value.response_code == 401
    assert bad.value.error_message == "401 Unauthorized"
    with httpx.Client(base_url=server.api_url) as anonymous:
        assert anonymous.get(NOTES).status_code == 401
        assert anonymous.get("/user", headers={"Authorization": "Basic x"}).status_code == 401
    job = client(server, job_token=JOB)
    merge_request = job.projects.get(42, lazy=True).mergerequests.get(7, lazy=True)
    assert merge_request.notes.list(get_all=True) == []  # the notes API lets a job token read
    # python-gitlab raises its authentication error for any 401, whatever the operation.
    with pytest.raises(gitlab.GitlabAuthenticationError) as refused:
        merge_request.notes.create({"body": "from the job token"})
    assert refused.value.response_code == 401
    assert server.notes[7] == []


def test_read_api_scope_cannot_write(server: GitLabServer) -> None:
    reader = client(server, private_token=READER)
    merge_request = reader.projects.get(42, lazy=True).mergerequests.get(7, lazy=True)
    with pytest.raises(gitlab.GitlabCreateError) as refused:
        merge_request.notes.create({"body": "hello"})
    assert refused.value.response_code == 403
    assert "insufficient_scope" in (refused.value.response_body or b"").decode()


def test_unknown_project_merge_request_and_route_are_404(
    server: GitLabServer, api: httpx.Client
) -> None:
    assert api.get("/projects/41/merge_requests/7/notes").json() == {
        "message": "404 Project Not Found"
    }
    assert api.get("/projects/42/merge_requests/8/notes").json() == {
        "message": "404 Merge Request Not Found"
    }
    assert api.get("/projects/ml-group%2Fml-project/merge_requests/7/notes").status_code == 200
    assert api.get("/projects/42/nothing").status_code == 404
    with httpx.Client(base_url=server.url) as outside:
        assert outside.get("/user", headers={"PRIVATE-TOKEN": BOT}).status_code == 404


# --------------------------------------------------------------------------- notes


def test_note_has_the_documented_shape(server: GitLabServer) -> None:
    bot = client(server, private_token=BOT)
    note = (
        bot.projects.get(42, lazy=True)
        .mergerequests.get(7, lazy=True)
        .notes.create({"body": "report"})
    )
    assert server.requests[-1][0] == "POST"
    expected = {
        "id", "type", "body", "attachment", "author", "created_at", "updated_at", "system",
        "noteable_id", "noteable_type", "project_id", "resolvable", "confidential",
        "internal", "noteable_iid",
    }  # fmt: skip
    assert expected <= set(note.attributes)
    assert note.body == "report"
    assert note.system is False
    assert note.noteable_type == "MergeRequest"
    assert note.noteable_iid == 7
    assert {"id", "username", "name", "state", "avatar_url", "web_url"} <= set(note.author)
    assert note.author["id"] == 901
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", note.created_at)


def test_notes_list_newest_first_unless_asked(server: GitLabServer, api: httpx.Client) -> None:
    for text in ("first", "second", "third"):
        server.add_note(7, text, DEFAULT_USERS[ALICE])
    assert [n["body"] for n in api.get(NOTES).json()] == ["third", "second", "first"]
    ascending = api.get(NOTES, params={"sort": "asc"}).json()
    assert [n["body"] for n in ascending] == ["first", "second", "third"]
    assert api.get(NOTES, params={"sort": "up"}).status_code == 400


def test_pagination_headers_and_links(server: GitLabServer, api: httpx.Client) -> None:
    for number in range(8):
        server.add_note(7, f"note {number}", DEFAULT_USERS[ALICE])
    page2 = api.get(NOTES, params={"per_page": 3, "page": 2})
    headers = page2.headers
    assert (headers["x-page"], headers["x-per-page"], headers["x-total"]) == ("2", "3", "8")
    assert (headers["x-next-page"], headers["x-prev-page"], headers["x-total-pages"]) == (
        "3",
        "1",
        "3",
    )
    links = {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', headers["link"])}
    assert set(links) == {"prev", "next", "first", "last"}
    assert all(url.startswith(f"{server.api_url}{NOTES}?") for url in links.values())
    last = api.get(links["last"])
    assert len(last.json()) == 2
    assert last.headers["x-next-page"] == ""
    assert 'rel="next"' not in last.headers["link"]
    default = api.get(NOTES)
    assert default.headers["x-per-page"] == "20"
    assert api.get(NOTES, params={"per_page": 1000}).headers["x-per-page"] == "100"


def test_python_gitlab_reads_every_page(server: GitLabServer) -> None:
    for number in range(45):
        server.add_note(7, f"note {number}", DEFAULT_USERS[ALICE])
    bot = client(server, private_token=BOT)
    notes = bot.projects.get(42, lazy=True).mergerequests.get(7, lazy=True).notes
    every = notes.list(get_all=True, per_page=20)
    assert len(every) == 45
    assert len({note.id for note in every}) == 45
    lazy = notes.list(iterator=True, per_page=20)
    assert (lazy.total, lazy.total_pages) == (45, 3)
    assert sum(1 for _ in lazy) == 45
    pages = [query for method, query, _ in server.requests if method == "GET"]
    assert sum("page=3" in query for query in pages) == 2


def test_note_body_limits(server: GitLabServer, api: httpx.Client) -> None:
    assert api.post(NOTES, json={}).json() == {"error": "body is missing"}
    blank = api.post(NOTES, json={"body": "  "})
    assert (blank.status_code, blank.json()) == (400, {"message": {"note": ["can't be blank"]}})
    too_long = api.post(NOTES, json={"body": "x" * 1_000_001})
    assert too_long.status_code == 400
    assert too_long.json() == {"message": {"note": ["is too long (maximum is 1000000 characters)"]}}
    assert api.post(NOTES, json={"body": "é" * 1_000_000}).status_code == 201


def test_only_the_author_edits_or_deletes_and_system_notes_never(server: GitLabServer) -> None:
    human = server.add_note(7, "by alice", DEFAULT_USERS[ALICE])
    system = server.add_note(7, "added 1 commit", DEFAULT_USERS[BOT], system=True)
    bot = client(server, private_token=BOT)
    notes = bot.projects.get(42, lazy=True).mergerequests.get(7, lazy=True).notes
    with pytest.raises(gitlab.GitlabUpdateError) as other:
        notes.update(human["id"], {"body": "hijacked"})
    assert other.value.response_code == 403
    with pytest.raises(gitlab.GitlabUpdateError):
        notes.update(system["id"], {"body": "edited"})
    with pytest.raises(gitlab.GitlabDeleteError):
        notes.delete(human["id"])
    mine = notes.create({"body": "v1"})
    mine.body = "v2"
    mine.save()
    assert server.notes[7][-1]["body"] == "v2"
    assert server.notes[7][-1]["id"] == mine.id
    notes.delete(mine.id)
    assert [n["body"] for n in server.notes[7]] == ["by alice", "added 1 commit"]
    with pytest.raises(gitlab.GitlabGetError) as gone:
        notes.get(mine.id)
    assert gone.value.response_code == 404


# --------------------------------------------------------------------------- statuses


def test_commit_status_is_created_with_the_documented_shape(server: GitLabServer) -> None:
    bot = client(server, private_token=BOT)
    commit = bot.projects.get(42, lazy=True).commits.get(SHA, lazy=True)
    status = commit.statuses.create(
        {
            "state": "failed",
            "name": "mlci/Model report",
            "description": "fail: 1 of 9 failed",
            "target_url": "https://gitlab.example.com/p/-/pipelines/1",
        }
    )
    assert status.status == "failed"
    assert status.name == "mlci/Model report"
    assert status.ref == "feature"  # the merge request's source branch holds the sha
    assert status.author["id"] == 901
    assert status.finished_at is not None
    listed = commit.statuses.list(get_all=True)
    assert [(s.name, s.status) for s in listed] == [("mlci/Model report", "failed")]


def test_status_defaults_and_validation(server: GitLabServer, api: httpx.Client) -> None:
    url = f"/projects/42/statuses/{SHA}"
    assert api.post(url, json={}).json() == {"error": "state is missing"}
    assert api.post(url, json={"state": "failure"}).json() == {
        "error": "state does not have a valid value"
    }
    long = api.post(url, json={"state": "success", "description": "d" * 256})
    assert (long.status_code, long.json()) == (
        400,
        {"message": {"description": ["is too long (maximum is 255 characters)"]}},
    )
    assert api.post(url, json={"state": "success", "description": "d" * 255}).status_code == 201
    assert api.post(url, params={"state": "pending", "context": "ctx"}).json()["name"] == "ctx"
    assert api.post(url, json={"state": "success"}).json()["name"] == "default"
    assert api.post("/projects/42/statuses/not-a-sha", json={"state": "success"}).json() == {
        "message": "404 Commit Not Found"
    }


def test_an_active_status_moves_on_and_a_finished_one_is_replaced(
    server: GitLabServer, api: httpx.Client
) -> None:
    url = f"/projects/42/statuses/{SHA}"
    running = api.post(url, json={"state": "running", "name": "mlci"}).json()
    again = api.post(url, json={"state": "running", "name": "mlci"})
    assert (again.status_code, again.json()) == (
        400,
        {"message": "Cannot transition status via :run from :running"},
    )
    done = api.post(url, json={"state": "success", "name": "mlci"}).json()
    assert done["id"] == running["id"]
    rerun = api.post(url, json={"state": "failed", "name": "mlci"}).json()
    assert rerun["id"] != running["id"]
    latest = api.get(f"/projects/42/repository/commits/{SHA}/statuses").json()
    assert [(s["name"], s["status"]) for s in latest] == [("mlci", "failed")]
    every = api.get(f"/projects/42/repository/commits/{SHA}/statuses", params={"all": "true"})
    assert [s["status"] for s in every.json()] == ["success", "failed"]


def test_a_reporter_cannot_set_statuses(server: GitLabServer) -> None:
    server.users["glpat-reporter"] = User(id=9, username="rita", role="reporter")
    with httpx.Client(base_url=server.api_url, headers={"PRIVATE-TOKEN": "glpat-reporter"}) as r:
        refused = r.post(f"/projects/42/statuses/{SHA}", json={"state": "success"})
        assert (refused.status_code, refused.json()) == (403, {"message": "403 Forbidden"})
        assert r.post(NOTES, json={"body": "a reporter may comment"}).status_code == 201


# --------------------------------------------------------------------------- faults


def test_fail_answers_once_then_recovers(server: GitLabServer, api: httpx.Client) -> None:
    server.fail("GET", r"/notes$", 503)
    failed = api.get(NOTES)
    assert (failed.status_code, failed.json()) == (503, {"message": "503 Service Unavailable"})
    assert api.get(NOTES).status_code == 200


def test_fail_with_apply_is_a_lost_response(server: GitLabServer, api: httpx.Client) -> None:
    server.fail("POST", r"/notes$", 502, apply=True)
    assert api.post(NOTES, json={"body": "posted anyway"}).status_code == 502
    assert [n["body"] for n in server.notes[7]] == ["posted anyway"]


def test_fail_matches_method_query_and_counts(server: GitLabServer, api: httpx.Client) -> None:
    server.fail("*", r"page=2", 409, body={"message": "Resource lock"}, times=2)
    assert api.get(NOTES, params={"page": 1}).status_code == 200
    assert api.get(NOTES, params={"page": 2}).status_code == 409
    assert api.get(NOTES, params={"page": 2}).json() == {"message": "Resource lock"}
    assert api.get(NOTES, params={"page": 2}).status_code == 200
    with pytest.raises(ValueError):
        server.fail("GET", "x", 500, times=0)


def test_rate_limit_is_gitlabs_429(server: GitLabServer, api: httpx.Client) -> None:
    server.rate_limit("POST", r"/statuses/", retry_after=30)
    limited = api.post(f"/projects/42/statuses/{SHA}", json={"state": "success"})
    assert limited.status_code == 429
    assert limited.text == "Retry later\n"
    assert limited.headers["retry-after"] == "30"
    assert limited.headers["ratelimit-remaining"] == "0"
    assert int(limited.headers["ratelimit-reset"]) > 0
    assert limited.headers["ratelimit-resettime"].endswith(" GMT")
    assert server.statuses == []


def test_python_gitlab_sees_faults_as_its_errors(server: GitLabServer) -> None:
    bot = client(server, private_token=BOT)
    notes = bot.projects.get(42, lazy=True).mergerequests.get(7, lazy=True).notes
    server.fail("GET", r"/notes$", 500)
    with pytest.raises(gitlab.GitlabListError) as listed:
        notes.list(get_all=True, obey_rate_limit=False)
    assert listed.value.response_code == 500
    server.rate_limit("POST", r"/notes$")
    with pytest.raises(gitlab.GitlabCreateError) as created:
        notes.create({"body": "x"}, obey_rate_limit=False)
    assert created.value.response_code == 429
    assert server.server_errors == []


def test_raw_files_by_ref_with_the_path_encoded(server: GitLabServer) -> None:
    server.add_file(BASE, "ml/mlci.yaml", "report:\n  title: Team gate\n")
    server.add_file("main", "mlci.yaml", "on the default branch\n")
    files = client(server, private_token=BOT).projects.get(42, lazy=True).files
    assert files.raw("ml/mlci.yaml", ref=BASE) == b"report:\n  title: Team gate\n"
    assert files.raw("mlci.yaml") == b"on the default branch\n"
    assert "/repository/files/ml%2Fmlci.yaml/raw?ref=" in server.requests[0][1]
    with pytest.raises(gitlab.GitlabGetError) as missing:
        files.raw("ml/mlci.yaml", ref=SHA)
    assert missing.value.error_message == "404 File Not Found"


def test_past_the_count_limit_totals_and_last_are_left_out() -> None:
    with GitLabServer(count_limit=5) as big:
        big.add_merge_request(7, SHA, BASE)
        for number in range(8):
            big.add_note(7, f"note {number}", DEFAULT_USERS[ALICE])
        with httpx.Client(base_url=big.api_url, headers={"PRIVATE-TOKEN": BOT}) as http:
            first = http.get(NOTES, params={"per_page": 3})
        assert "x-total" not in first.headers
        assert "x-total-pages" not in first.headers
        assert 'rel="last"' not in first.headers["link"]
        assert first.headers["x-next-page"] == "2"
        notes = client(big, private_token=BOT).projects.get(42, lazy=True).mergerequests
        assert len(notes.get(7, lazy=True).notes.list(get_all=True, per_page=3)) == 8
