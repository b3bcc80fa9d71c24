"""The fake GitHub REST API behaves as docs.github.com says (exercised over real HTTP)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
import pytest
from github_server import GitHubServer

BOT = "ghs_valid_token"
USER = "ghp_user_token"
RO = "ghs_readonly_token"
SHA = "a" * 40
BASE_SHA = "b" * 40
REPO = "/repos/octo-org/ml-project"


@pytest.fixture
def gh() -> Iterator[GitHubServer]:
    tokens = {BOT: "github-actions[bot]", USER: "alice", RO: "github-actions[bot]"}
    with GitHubServer(tokens=tokens, readonly_tokens=[RO]) as server:
        server.add_pull(7, SHA, BASE_SHA)
        yield server


@pytest.fixture
def bot(gh: GitHubServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gh.url, headers={"Authorization": f"Bearer {BOT}"}) as client:
        yield client


@pytest.fixture
def alice(gh: GitHubServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gh.url, headers={"Authorization": f"token {USER}"}) as client:
        yield client


def links(response: httpx.Response) -> dict[str, str]:
    found = re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers.get("link", ""))
    return {rel: url for url, rel in found}


# --------------------------------------------------------------------------- auth


def test_url_has_no_trailing_slash_and_binds_loopback(gh: GitHubServer) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", gh.url)


def test_user_token_reads_the_authenticated_user(alice: httpx.Client) -> None:
    response = alice.get("/user")
    assert response.status_code == 200
    assert response.json()["login"] == "alice"
    assert response.json()["type"] == "User"


def test_installation_token_cannot_read_user(bot: httpx.Client) -> None:
    response = bot.get("/user")
    assert response.status_code == 403
    assert response.json()["message"] == "Resource not accessible by integration"


def test_bad_and_missing_credentials(gh: GitHubServer) -> None:
    with httpx.Client(base_url=gh.url) as anon:
        bad = anon.get(f"{REPO}/pulls/7", headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401
        assert bad.json() == {
            "message": "Bad credentials",
            "documentation_url": "https://docs.github.com/rest",
            "status": "401",
        }
        assert anon.get("/user", headers={"Authorization": "Basic x"}).status_code == 401
        missing = anon.post(f"{REPO}/issues/7/comments", json={"body": "hi"})
        assert missing.status_code == 401
        assert missing.json()["message"] == "Requires authentication"
        assert anon.get(f"{REPO}/pulls/7").status_code == 401
    assert gh.comments == {}


def test_readonly_token_reads_but_cannot_write(gh: GitHubServer) -> None:
    with httpx.Client(base_url=gh.url, headers={"Authorization": f"Bearer {RO}"}) as ro:
        assert ro.get(f"{REPO}/issues/7/comments").json() == []
        for response in (
            ro.post(f"{REPO}/issues/7/comments", json={"body": "hi"}),
            ro.post(f"{REPO}/statuses/{SHA}", json={"state": "success"}),
            ro.post(f"{REPO}/check-runs", json={"name": "mlci", "head_sha": SHA}),
        ):
            assert response.status_code == 403
            assert response.json()["message"] == "Resource not accessible by integration"
    assert gh.comments == {} and gh.statuses == [] and gh.check_runs == []


def test_every_response_carries_rate_limit_headers(gh: GitHubServer, bot: httpx.Client) -> None:
    first = bot.get(f"{REPO}/pulls/7")
    second = bot.get(f"{REPO}/nothing-here")
    for response in (first, second):
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        assert response.headers["x-ratelimit-resource"] == "core"
        for name in ("limit", "remaining", "reset", "used"):
            assert response.headers[f"x-ratelimit-{name}"].isdigit()
    assert int(second.headers["x-ratelimit-used"]) == int(first.headers["x-ratelimit-used"]) + 1
    assert int(second.headers["x-ratelimit-remaining"]) == (
        int(first.headers["x-ratelimit-remaining"]) - 1
    )
    assert int(first.headers["x-ratelimit-reset"]) > time.time()


def test_unknown_routes_repos_and_issues_are_404(bot: httpx.Client) -> None:
    assert bot.get("/repos/octo-org/other/issues/7/comments").status_code == 404
    assert bot.get(f"{REPO}/issues/99/comments").json()["message"] == "Not Found"
    assert bot.post(f"{REPO}/issues/99/comments", json={"body": "x"}).status_code == 404
    assert bot.get(f"{REPO}/releases").status_code == 404
    assert bot.put(f"{REPO}/issues/7/comments", json={"body": "x"}).status_code == 404


def test_requests_are_recorded_and_token_only_in_authorization(
    gh: GitHubServer, bot: httpx.Client
) -> None:
    bot.get(f"{REPO}/issues/7/comments", params={"per_page": 5})
    method, path, headers = gh.requests[-1]
    assert (method, path) == ("GET", f"{REPO}/issues/7/comments?per_page=5")
    assert headers["authorization"] == f"Bearer {BOT}"
    assert not [k for k, v in headers.items() if BOT in v and k != "authorization"]


# --------------------------------------------------------------------------- comments


def test_create_comment_has_githubs_shape(gh: GitHubServer, bot: httpx.Client) -> None:
    response = bot.post(f"{REPO}/issues/7/comments", json={"body": "<!-- mlci --> hi"})
    assert response.status_code == 201
    comment = response.json()
    cid = comment["id"]
    assert comment["body"] == "<!-- mlci --> hi"
    assert comment["user"]["login"] == "github-actions[bot]"
    assert comment["user"]["type"] == "Bot"
    assert (
        comment["html_url"] == f"https://github.com/octo-org/ml-project/pull/7#issuecomment-{cid}"
    )
    assert comment["url"] == f"{gh.url}{REPO}/issues/comments/{cid}"
    assert {"node_id", "created_at", "updated_at"} <= comment.keys()
    assert gh.comments[7] == [comment]
    assert bot.get(f"{REPO}/issues/comments/{cid}").json() == comment


def test_seeded_comments_list_in_creation_order(gh: GitHubServer, alice: httpx.Client) -> None:
    gh.add_comment(7, "first", "bob")
    alice.post(f"{REPO}/issues/7/comments", json={"body": "second"})
    listed = alice.get(f"{REPO}/issues/7/comments").json()
    assert [(c["body"], c["user"]["login"], c["user"]["type"]) for c in listed] == [
        ("first", "bob", "User"),
        ("second", "alice", "User"),
    ]
    assert gh.add_comment(12, "an issue, not a PR", "bob")["html_url"].endswith(
        "/issues/12#issuecomment-" + str(gh.comments[12][0]["id"])
    )


def test_comment_body_limits(gh: GitHubServer, bot: httpx.Client) -> None:
    assert bot.post(f"{REPO}/issues/7/comments", json={"body": "x" * 65536}).status_code == 201
    too_long = bot.post(f"{REPO}/issues/7/comments", json={"body": "x" * 65537})
    assert too_long.status_code == 422
    assert too_long.json()["message"] == "Validation Failed"
    assert too_long.json()["errors"] == [
        {
            "resource": "IssueComment",
            "code": "custom",
            "field": "body",
            "message": "body is too long (maximum is 65536 characters)",
        }
    ]
    assert bot.post(f"{REPO}/issues/7/comments", json={"body": ""}).status_code == 422
    assert bot.post(f"{REPO}/issues/7/comments", json={}).status_code == 422
    bad_json = bot.post(f"{REPO}/issues/7/comments", content=b"{nope")
    assert bad_json.status_code == 400
    assert bad_json.json()["message"] == "Problems parsing JSON"
    assert len(gh.comments[7]) == 1


def test_only_the_author_may_edit_or_delete(gh: GitHubServer, bot: httpx.Client) -> None:
    human = gh.add_comment(7, "quoting <!-- mlci -->", "alice")
    mine = bot.post(f"{REPO}/issues/7/comments", json={"body": "report v1"}).json()

    forbidden = bot.patch(f"{REPO}/issues/comments/{human['id']}", json={"body": "x"})
    assert forbidden.status_code == 403
    assert forbidden.json()["message"] == "Resource not accessible by integration"
    assert bot.delete(f"{REPO}/issues/comments/{human['id']}").status_code == 403
    assert gh.comments[7][0]["body"] == "quoting <!-- mlci -->"

    edited = bot.patch(f"{REPO}/issues/comments/{mine['id']}", json={"body": "report v2"})
    assert edited.status_code == 200
    assert edited.json()["body"] == "report v2"
    assert edited.json()["id"] == mine["id"]
    assert gh.comments[7][1]["body"] == "report v2"
    long_edit = bot.patch(f"{REPO}/issues/comments/{mine['id']}", json={"body": "x" * 65537})
    assert long_edit.status_code == 422

    deleted = bot.delete(f"{REPO}/issues/comments/{mine['id']}")
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert [c["id"] for c in gh.comments[7]] == [human["id"]]
    assert bot.delete(f"{REPO}/issues/comments/{mine['id']}").status_code == 404
    assert bot.patch(f"{REPO}/issues/comments/424242", json={"body": "x"}).status_code == 404


# --------------------------------------------------------------------------- pagination


def test_pagination_follows_link_next_until_absent(gh: GitHubServer, bot: httpx.Client) -> None:
    for i in range(250):
        gh.add_comment(7, f"c{i}", "alice")
    before = len(gh.requests)
    url: str | None = f"{gh.url}{REPO}/issues/7/comments?per_page=100"
    bodies: list[str] = []
    pages: list[httpx.Response] = []
    while url:
        response = bot.get(url)
        assert response.status_code == 200
        pages.append(response)
        bodies += [c["body"] for c in response.json()]
        url = links(response).get("next")
    assert bodies == [f"c{i}" for i in range(250)]
    assert len(gh.requests) - before == 3
    assert [len(p.json()) for p in pages] == [100, 100, 50]

    first, middle, last = (links(p) for p in pages)
    base = f"{gh.url}{REPO}/issues/7/comments?per_page=100"
    assert first == {"next": f"{base}&page=2", "last": f"{base}&page=3"}
    assert middle == {
        "prev": f"{base}&page=1",
        "next": f"{base}&page=3",
        "last": f"{base}&page=3",
        "first": f"{base}&page=1",
    }
    assert last == {"prev": f"{base}&page=2", "first": f"{base}&page=1"}
    # GitHub's order: prev, next, last, first.
    assert re.findall(r'rel="(\w+)"', pages[1].headers["link"]) == ["prev", "next", "last", "first"]


def test_per_page_defaults_and_caps(gh: GitHubServer, bot: httpx.Client) -> None:
    for i in range(150):
        gh.add_comment(7, f"c{i}", "alice")
    assert len(bot.get(f"{REPO}/issues/7/comments").json()) == 30
    capped = bot.get(f"{REPO}/issues/7/comments", params={"per_page": 500})
    assert len(capped.json()) == 100
    assert links(capped)["last"].endswith("per_page=500&page=2")
    assert bot.get(f"{REPO}/issues/7/comments", params={"page": 99}).json() == []


def test_single_page_has_no_link_header(gh: GitHubServer, bot: httpx.Client) -> None:
    gh.add_comment(7, "only", "alice")
    assert "link" not in bot.get(f"{REPO}/issues/7/comments").headers


def test_page_size_max_is_configurable() -> None:
    with GitHubServer(page_size_max=10) as server:
        server.add_pull(1, SHA, BASE_SHA)
        for i in range(25):
            server.add_comment(1, f"c{i}", "alice")
        headers = {"Authorization": f"Bearer {BOT}"}
        response = httpx.get(f"{server.url}{REPO}/issues/1/comments?per_page=100", headers=headers)
        assert len(response.json()) == 10
        assert links(response)["last"].endswith("page=3")


# --------------------------------------------------------------------------- scripted failures


def test_fail_answers_without_applying_then_recovers(gh: GitHubServer, bot: httpx.Client) -> None:
    gh.fail("POST", r"/issues/7/comments$", 502)
    failed = bot.post(f"{REPO}/issues/7/comments", json={"body": "x"})
    assert failed.status_code == 502
    assert failed.json()["message"] == "Bad Gateway"
    assert "x-ratelimit-remaining" in failed.headers
    assert 7 not in gh.comments
    assert bot.post(f"{REPO}/issues/7/comments", json={"body": "x"}).status_code == 201


def test_fail_apply_creates_the_comment_but_answers_the_error(
    gh: GitHubServer, bot: httpx.Client
) -> None:
    gh.fail("POST", r"/issues/7/comments", 502, apply=True)
    lost = bot.post(f"{REPO}/issues/7/comments", json={"body": "<!-- mlci --> report"})
    assert lost.status_code == 502
    assert [c["body"] for c in gh.comments[7]] == ["<!-- mlci --> report"]
    listed = bot.get(f"{REPO}/issues/7/comments").json()
    assert [c["body"] for c in listed] == ["<!-- mlci --> report"]


def test_fail_times_body_headers_and_query_matching(gh: GitHubServer, bot: httpx.Client) -> None:
    for i in range(5):
        gh.add_comment(7, f"c{i}", "alice")
    gh.fail("GET", r"[?&]page=2", 500, body={"message": "boom"}, headers={"X-Extra": "1"}, times=2)
    url = f"{REPO}/issues/7/comments"
    assert bot.get(url, params={"per_page": 2}).status_code == 200
    for _ in range(2):
        response = bot.get(url, params={"per_page": 2, "page": 2})
        assert response.status_code == 500
        assert response.json() == {"message": "boom"}
        assert response.headers["x-extra"] == "1"
    assert bot.get(url, params={"per_page": 2, "page": 2}).status_code == 200
    gh.fail("*", r"^/user$", 503)
    assert bot.get("/user").status_code == 503


def test_primary_rate_limit(gh: GitHubServer, bot: httpx.Client) -> None:
    gh.rate_limit("POST", r"/comments", reset_in=120)
    response = bot.post(f"{REPO}/issues/7/comments", json={"body": "x"})
    assert response.status_code == 403
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert abs(int(response.headers["x-ratelimit-reset"]) - (time.time() + 120)) < 5
    assert response.json()["message"].startswith("API rate limit exceeded for installation ID")
    assert "retry-after" not in response.headers
    assert 7 not in gh.comments
    assert bot.post(f"{REPO}/issues/7/comments", json={"body": "x"}).status_code == 201


def test_secondary_rate_limit(gh: GitHubServer, alice: httpx.Client) -> None:
    gh.rate_limit("GET", r"/pulls", status=429, retry_after=7, times=2)
    for _ in range(2):
        response = alice.get(f"{REPO}/pulls/7")
        assert response.status_code == 429
        assert response.headers["retry-after"] == "7"
        assert response.json()["message"].startswith("You have exceeded a secondary rate limit")
        assert response.headers["x-ratelimit-remaining"] != "0"
    assert alice.get(f"{REPO}/pulls/7").status_code == 200


# --------------------------------------------------------------------------- statuses


def test_commit_status_is_recorded(gh: GitHubServer, alice: httpx.Client) -> None:
    body = {"state": "failure", "description": "accuracy -2.1%", "target_url": "https://ci/1"}
    response = alice.post(f"{REPO}/statuses/{SHA}", json={**body, "context": "mlci/gate"})
    assert response.status_code == 201
    assert response.json()["creator"]["login"] == "alice"
    assert response.json()["context"] == "mlci/gate"
    assert alice.post(f"{REPO}/statuses/{SHA}", json={"state": "pending"}).status_code == 201
    assert gh.statuses == [
        {**body, "sha": SHA, "context": "mlci/gate", "creator": "alice"},
        {
            "sha": SHA,
            "state": "pending",
            "description": None,
            "context": "default",
            "target_url": None,
            "creator": "alice",
        },
    ]


def test_commit_status_validation(gh: GitHubServer, bot: httpx.Client) -> None:
    bad_state = bot.post(f"{REPO}/statuses/{SHA}", json={"state": "passed"})
    assert bad_state.status_code == 422
    assert bad_state.json()["errors"][0]["field"] == "state"
    assert bot.post(f"{REPO}/statuses/{SHA}", json={}).status_code == 422
    too_long = bot.post(
        f"{REPO}/statuses/{SHA}", json={"state": "success", "description": "d" * 141}
    )
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["message"] == (
        "description is too long (maximum is 140 characters)"
    )
    ok = bot.post(f"{REPO}/statuses/{SHA}", json={"state": "success", "description": "d" * 140})
    assert ok.status_code == 201
    short_sha = bot.post(f"{REPO}/statuses/abc123", json={"state": "success"})
    assert short_sha.status_code == 422
    assert short_sha.json()["message"] == "No commit found for SHA: abc123"
    assert len(gh.statuses) == 1


# --------------------------------------------------------------------------- check runs


def check_run(**output: object) -> dict[str, object]:
    return {
        "name": "mlci",
        "head_sha": SHA,
        "status": "completed",
        "conclusion": "failure",
        "output": {"title": "2 gates failed", "summary": "see below", **output},
    }


def test_check_run_created_with_installation_token(gh: GitHubServer, bot: httpx.Client) -> None:
    annotations = [
        {
            "path": "metrics.json",
            "start_line": 1,
            "end_line": 1,
            "annotation_level": "failure",
            "message": "accuracy dropped",
        }
    ]
    body = check_run(text="details", annotations=annotations)
    response = bot.post(f"{REPO}/check-runs", json=body)
    assert response.status_code == 201
    run = response.json()
    assert run["html_url"] == f"https://github.com/octo-org/ml-project/runs/{run['id']}"
    assert run["status"] == "completed" and run["conclusion"] == "failure"
    assert run["output"]["annotations_count"] == 1
    assert gh.check_runs == [{**body, "id": run["id"]}]


def test_check_run_needs_a_github_app(gh: GitHubServer, alice: httpx.Client) -> None:
    response = alice.post(f"{REPO}/check-runs", json=check_run())
    assert response.status_code == 403
    assert response.json()["message"] == "You must authenticate via a GitHub App."
    assert gh.check_runs == []


def test_check_run_validation(gh: GitHubServer, bot: httpx.Client) -> None:
    url = f"{REPO}/check-runs"
    assert bot.post(url, json=check_run(summary="s" * 65535)).status_code == 201
    long_summary = bot.post(url, json=check_run(summary="s" * 65536))
    assert long_summary.status_code == 422
    assert (
        "Only 65535 characters are allowed; 65536 were supplied."
        in (long_summary.json()["message"])
    )
    assert bot.post(url, json=check_run(text="t" * 65536)).status_code == 422
    emoji = bot.post(url, json=check_run(summary="\N{BAR CHART}" * 20000))  # 80000 bytes
    assert emoji.status_code == 422
    assert emoji.json()["errors"][0]["message"] == "summary exceeds a maximum bytesize of 65535"
    note = {
        "path": "a",
        "start_line": 1,
        "end_line": 1,
        "annotation_level": "notice",
        "message": "m",
    }
    assert bot.post(url, json=check_run(annotations=[note] * 50)).status_code == 201
    assert bot.post(url, json=check_run(annotations=[note] * 51)).status_code == 422
    bad_level = {**note, "annotation_level": "error"}
    assert bot.post(url, json=check_run(annotations=[bad_level])).status_code == 422
    assert bot.post(url, json={"name": "mlci"}).status_code == 422
    no_conclusion = {"name": "mlci", "head_sha": SHA, "status": "completed"}
    assert bot.post(url, json=no_conclusion).status_code == 422
    assert len(gh.check_runs) == 2


# --------------------------------------------------------------------------- pulls


def test_get_and_list_pulls(gh: GitHubServer, bot: httpx.Client) -> None:
    fork = gh.add_pull(8, "c" * 40, BASE_SHA, head_ref="feature", head_owner="mallory")
    assert fork["head"]["repo"]["full_name"] == "mallory/ml-project"
    pull = bot.get(f"{REPO}/pulls/7").json()
    assert pull["number"] == 7
    assert (pull["head"]["sha"], pull["base"]["sha"]) == (gh.pulls[7]["head"]["sha"], BASE_SHA)
    assert pull["head"]["label"] == "octo-org:feature"
    assert pull["html_url"] == "https://github.com/octo-org/ml-project/pull/7"
    assert bot.get(f"{REPO}/pulls/9").status_code == 404

    def numbers(**params: str) -> list[int]:
        return [p["number"] for p in bot.get(f"{REPO}/pulls", params=params).json()]

    assert numbers() == [8, 7]
    assert numbers(head="octo-org:feature", state="open") == [7]
    assert numbers(head="mallory:feature") == [8]
    gh.pulls[7]["state"] = "closed"
    assert numbers(head="octo-org:feature") == []
    assert numbers(head="octo-org:feature", state="all") == [7]


def test_server_reports_no_internal_errors(gh: GitHubServer, bot: httpx.Client) -> None:
    bot.post(f"{REPO}/issues/7/comments", content=b"[1, 2]")
    bot.post(f"{REPO}/check-runs", json={"name": 1, "head_sha": SHA, "output": "x"})
    assert gh.server_errors == []


def test_chunked_request_body_is_read(gh: GitHubServer, bot: httpx.Client) -> None:
    response = bot.post(f"{REPO}/issues/7/comments", content=iter([b'{"body": ', b'"chunked"}']))
    assert response.status_code == 201
    assert gh.comments[7][0]["body"] == "chunked"
    assert bot.head(f"{REPO}/pulls/7").status_code == 404
    assert bot.get(f"{REPO}/pulls/7").status_code == 200  # connection still in sync
