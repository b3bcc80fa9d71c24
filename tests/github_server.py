"""A local stand-in for GitHub's REST API, for tests that must not touch the network.

``GitHubServer`` answers the handful of endpoints mlci uses the way docs.github.com
describes them (status codes, error bodies, ``link`` pagination, rate-limit headers),
keeps everything it is told in plain Python containers that tests can seed and
inspect, and can be scripted to fail (``fail``) or to rate-limit (``rate_limit``).

Standard library only: an ``http.server.ThreadingHTTPServer`` on 127.0.0.1, port 0,
served from a daemon thread.

Choices that differ from real GitHub (kept deliberately simple or strict):

* A request without a token is answered 401 "Requires authentication" on every
  endpoint; GitHub would serve anonymous reads of a public repository (or 404 a
  private one).
* Only a comment's author may edit or delete it (403). GitHub also lets anyone with
  write access to the repository do so.
* Issue comment bodies are limited to 65536 *characters*; GitHub's own refusal text
  names that number, but it has been observed to accept longer ASCII bodies.
* ``link`` URLs keep the request's own path (``/repos/{owner}/{repo}/...``); GitHub
  often rewrites them to ``/repositories/{id}/...``. Clients must treat them as opaque.
* Owner and repository names compare case-insensitively, as on GitHub; numbers and
  comment ids are small integers local to one server.
"""

from __future__ import annotations

import base64
import http
import json
import re
import socket
import time
import traceback
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import github_objects
from local_server import Failure, LocalServer

__all__ = ["GitHubServer"]

DEFAULT_TOKENS: dict[str, str] = {
    "ghs_valid_token": "github-actions[bot]",
    "ghp_user_token": "alice",
}

DOCS = "https://docs.github.com/rest"
DOC_USER = f"{DOCS}/users/users#get-the-authenticated-user"
DOC_LIST_COMMENTS = f"{DOCS}/issues/comments#list-issue-comments"
DOC_GET_COMMENT = f"{DOCS}/issues/comments#get-an-issue-comment"
DOC_CREATE_COMMENT = f"{DOCS}/issues/comments#create-an-issue-comment"
DOC_UPDATE_COMMENT = f"{DOCS}/issues/comments#update-an-issue-comment"
DOC_DELETE_COMMENT = f"{DOCS}/issues/comments#delete-an-issue-comment"
DOC_STATUS = f"{DOCS}/commits/statuses#create-a-commit-status"
DOC_CHECK_RUN = f"{DOCS}/checks/runs#create-a-check-run"
DOC_GET_PULL = f"{DOCS}/pulls/pulls#get-a-pull-request"
DOC_LIST_PULLS = f"{DOCS}/pulls/pulls#list-pull-requests"
DOC_CONTENTS = f"{DOCS}/repos/contents#get-repository-content"
DOC_PRIMARY_LIMIT = f"{DOCS}/overview/rate-limits-for-the-rest-api#about-the-rate-limit"
DOC_SECONDARY_LIMIT = f"{DOCS}/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"

COMMENT_BODY_MAX = 65536  # characters; "body is too long (maximum is 65536 characters)"
STATUS_DESCRIPTION_MAX = 140
CHECK_OUTPUT_MAX = 65535  # characters, and also UTF-8 bytes
CHECK_ANNOTATIONS_MAX = 50
PER_PAGE_DEFAULT = 30

STATUS_STATES = ("error", "failure", "pending", "success")
CHECK_STATUSES = ("queued", "in_progress", "completed", "waiting", "requested", "pending")
CHECK_CONCLUSIONS = (
    "action_required",
    "cancelled",
    "failure",
    "neutral",
    "success",
    "skipped",
    "stale",
    "timed_out",
)
ANNOTATION_LEVELS = ("notice", "warning", "failure")

_SHA_RE = re.compile(r"[0-9a-fA-F]{40}")
_REPO = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"


def _now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_bot(login: str) -> bool:
    return login.endswith("[bot]")


def _user_id(login: str) -> int:
    if login == "github-actions[bot]":
        return 41898282  # the real account's id
    return 1000 + zlib.crc32(login.encode()) % 10_000_000


@dataclass
class _Response:
    status: int
    body: Any = None  # JSON-serialisable, or bytes sent verbatim; None -> no body
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Request:
    method: str
    path: str
    query: list[tuple[str, str]]
    login: str | None
    token: str | None
    data: Any
    params: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)

    def arg(self, name: str) -> str | None:
        for key, value in self.query:
            if key == name:
                return value
        return None


@dataclass
class _Failure(Failure):
    kind: str = "plain"  # "plain" | "primary" | "secondary"
    reset_in: int | None = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GitHub.com"
    sys_version = ""
    timeout = 10  # idle keep-alive connections end after this many seconds

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in separate writes; without this, Nagle + delayed ACK
        # add ~40 ms to every response on loopback.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self) -> None:
        raw = self._read_body()
        headers: dict[str, str] = {}
        for key, value in self.headers.items():
            name = key.lower()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        github: GitHubServer = self.server.github  # type: ignore[attr-defined]
        status, payload, out_headers = github._handle(self.command, self.path, headers, raw)
        self.send_response(status)
        for key, value in out_headers.items():
            self.send_header(key, value)
        if status not in (204, 304):
            self.send_header("content-length", str(len(payload)))
        self.end_headers()
        if payload and status not in (204, 304) and self.command != "HEAD":
            self.wfile.write(payload)

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()  # CRLF after each chunk
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return


@dataclass(frozen=True)
class Exchange:
    """One request the server answered, and its answer, as bytes on the wire."""

    method: str
    path: str
    query: str
    request_body: bytes
    status: int
    response_body: bytes
    response_headers: Mapping[str, str]


class GitHubServer(LocalServer[_Failure]):
    """In-process fake of api.github.com for one repository.

    State (read and seed freely from tests):

    * ``comments``: issue/PR number -> comment dicts (as the API returns them), oldest first.
    * ``statuses``: every commit status posted, ``{"sha", "state", "description",
      "context", "target_url", "creator"}`` with ``creator`` the poster's login.
    * ``check_runs``: every check run posted: the JSON body as sent, plus ``"id"``.
    * ``pulls``: PR number -> ``{"number", "state", "head": {"sha", "ref", "label",
      "repo": {"full_name"}}, "base": {"sha", "ref"}, "html_url"}``.
    * ``requests``: ``(method, path_with_query, headers)`` of every request received,
      header names lower-cased.
    * ``server_errors``: tracebacks of exceptions inside the fake itself (should stay empty).
    """

    handler = _Handler
    server_attribute = "github"

    def __init__(
        self,
        *,
        owner: str = "octo-org",
        repo: str = "ml-project",
        tokens: Mapping[str, str] | None = None,
        readonly_tokens: Iterable[str] = (),
        page_size_max: int = 100,
    ) -> None:
        super().__init__()
        self.owner = owner
        self.repo = repo
        self.tokens: dict[str, str] = dict(DEFAULT_TOKENS if tokens is None else tokens)
        self.readonly_tokens: set[str] = set(readonly_tokens)
        self.page_size_max = page_size_max

        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.statuses: list[dict[str, Any]] = []
        self.check_runs: list[dict[str, Any]] = []
        self.pulls: dict[int, dict[str, Any]] = {}
        # (ref, path) -> content; a ref is a branch name or a commit sha
        self.files: dict[tuple[str, str], bytes] = {}
        self.default_branch = "main"
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        # Every request with its answer, for checking both against GitHub's OpenAPI.
        self.exchanges: list[Exchange] = []
        self.server_errors: list[str] = []

        self._next_comment_id = 1_000_001
        self._next_status_id = 5_000_001
        self._next_check_run_id = 9_000_001
        self._request_counter = 0
        self._used: dict[str, int] = {}
        self._reset_at = int(time.time()) + 3600

    # ------------------------------------------------------------------ lifecycle

    def _started(self) -> None:
        with self._lock:  # comments seeded before start() learn their API url now
            for number, items in self.comments.items():
                for comment in items:
                    comment.update(self._comment_urls(number, comment["id"]))

    # ------------------------------------------------------------------ seeding

    def add_pull(
        self,
        number: int,
        head_sha: str,
        base_sha: str,
        head_ref: str = "feature",
        head_owner: str | None = None,
    ) -> dict[str, Any]:
        """Register an open pull request; ``head_owner`` other than the owner makes it a fork."""
        head_owner = head_owner or self.owner
        pull = {
            "number": number,
            "state": "open",
            "head": {
                "sha": head_sha,
                "ref": head_ref,
                "label": f"{head_owner}:{head_ref}",
                "repo": {"full_name": f"{head_owner}/{self.repo}"},
            },
            "base": {"sha": base_sha, "ref": "main"},
            "html_url": f"https://github.com/{self.owner}/{self.repo}/pull/{number}",
        }
        with self._lock:
            self.pulls[number] = pull
        return pull

    def add_file(self, ref: str, path: str, text: str) -> None:
        """A file of the repository at ``ref`` (a branch or a commit sha), for the contents API."""
        with self._lock:
            self.files[(ref, path)] = text.encode()

    def add_comment(self, number: int, body: str, login: str) -> dict[str, Any]:
        """Seed a comment by any user, with no validation (e.g. a human quoting the marker)."""
        with self._lock:
            return self._new_comment(number, body, login)

    # ------------------------------------------------------------------ scripting

    def fail(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
        apply: bool = False,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status``.

        ``method`` is an HTTP method or ``"*"``; ``path_regex`` is searched (``re.search``)
        in the path without its query and in the path with its query, so ``r"/comments$"``
        and ``r"page=2"`` both work. ``body`` defaults to a GitHub-style
        ``{"message", "documentation_url", "status"}``; ``bytes`` are sent verbatim.
        ``headers`` override the usual ones. With ``apply=True`` the request is first
        processed normally (a POSTed comment really is created) and only then is the
        error answered: a lost response. Scripted failures are consulted before
        authentication, so they hit any caller.
        """
        self._add_failure(
            _Failure.scripted(
                method, path_regex, status, body=body, headers=headers, times=times, apply=apply
            )
        )

    def rate_limit(
        self,
        method: str,
        path_regex: str,
        *,
        status: int = 403,
        retry_after: int | None = None,
        reset_in: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` matching requests hit a rate limit (nothing is applied).

        Without ``retry_after``: a primary limit, ``x-ratelimit-remaining: 0`` and
        ``x-ratelimit-reset`` = now + ``reset_in`` (default 60) epoch seconds, message
        "API rate limit exceeded for ...". With ``retry_after``: a secondary limit,
        ``retry-after: N`` and "You have exceeded a secondary rate limit..."; the
        primary counters stay as they are unless ``reset_in`` is also given.
        ``status`` is 403 or 429 (GitHub uses both). For a secondary limit with no
        header at all, use ``fail()`` with that message.
        """
        secondary = retry_after is not None
        if not secondary and reset_in is None:
            reset_in = 60
        self._add_failure(
            _Failure.scripted(
                method,
                path_regex,
                status,
                headers={"retry-after": str(retry_after)} if secondary else {},
                times=times,
                kind="secondary" if secondary else "primary",
                reset_in=reset_in,
            )
        )

    # ------------------------------------------------------------------ request pipeline

    def _handle(
        self, method: str, raw_path: str, headers: dict[str, str], raw_body: bytes
    ) -> tuple[int, bytes, dict[str, str]]:
        with self._lock:
            self.requests.append((method, raw_path, dict(headers)))
            self._request_counter += 1
            request_id = f"F00D:{self._request_counter:04X}:{id(self) & 0xFFFFFF:06X}"
        split = urlsplit(raw_path)
        path = split.path
        token, token_ok = self._token(headers.get("authorization"))
        login = self.tokens.get(token) if token is not None and token_ok else None
        bucket, limit = self._bucket(login)
        with self._lock:
            self._used[bucket] = self._used.get(bucket, 0) + 1
            used = self._used[bucket]

        failure = self._take_failure(method, path, raw_path)
        try:
            if failure is None or failure.apply:
                response = self._process(method, path, split.query, token, login, raw_body, headers)
            if failure is not None:
                response = self._failure_response(failure, login, request_id)
        except Exception:  # a bug in the fake: report it, don't hang the client
            self.server_errors.append(traceback.format_exc())
            response = _Response(500, {"message": "fake GitHub server error", "status": "500"})

        out = {
            "content-type": "application/json; charset=utf-8",
            "x-github-media-type": "github.v3; format=json",
            "x-github-api-version-selected": "2022-11-28",
            "x-github-request-id": request_id,
            "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": str(max(limit - used, 0)),
            "x-ratelimit-reset": str(self._reset_at),
            "x-ratelimit-used": str(used),
            "x-ratelimit-resource": "core",
        }
        out.update(response.headers)
        if response.status == 204 or response.body is None:
            payload = b""
            if response.status == 204:
                out.pop("content-type", None)
        elif isinstance(response.body, bytes):
            payload = response.body
        else:
            payload = json.dumps(response.body).encode()
        with self._lock:
            self.exchanges.append(
                Exchange(method, path, split.query, raw_body, response.status, payload, out)
            )
        return response.status, payload, out

    def _token(self, authorization: str | None) -> tuple[str | None, bool]:
        """(token, well-formed) from an Authorization header; (None, True) when absent."""
        if authorization is None or not authorization.strip():
            return None, True
        scheme, _, value = authorization.strip().partition(" ")
        value = value.strip()
        if scheme.lower() not in ("bearer", "token") or not value:
            return authorization, False
        return value, True

    def _bucket(self, login: str | None) -> tuple[str, int]:
        if login is None:
            return "anonymous", 60
        return login, (1000 if _is_bot(login) else 5000)

    def _failure_response(self, failure: _Failure, login: str | None, request_id: str) -> _Response:
        headers = dict(failure.headers)
        body = failure.body
        if failure.reset_in is not None:
            _, limit = self._bucket(login)
            headers.update(
                {
                    "x-ratelimit-remaining": "0",
                    "x-ratelimit-used": str(limit),
                    "x-ratelimit-reset": str(int(time.time()) + failure.reset_in),
                }
            )
        if body is None and failure.kind == "primary":
            who = (
                f"installation ID {_user_id(login)}"
                if login is not None and _is_bot(login)
                else f"user ID {_user_id(login or 'anonymous')}"
            )
            body = {
                "message": f"API rate limit exceeded for {who}.",
                "documentation_url": DOC_PRIMARY_LIMIT,
                "status": str(failure.status),
            }
        elif body is None and failure.kind == "secondary":
            body = {
                "message": "You have exceeded a secondary rate limit. Please wait a few minutes"
                " before you try again. If you reach out to GitHub Support for help, please"
                f" include the request ID {request_id}.",
                "documentation_url": DOC_SECONDARY_LIMIT,
                "status": str(failure.status),
            }
        elif body is None and failure.status != 204:
            body = {
                "message": _phrase(failure.status),
                "documentation_url": DOCS,
                "status": str(failure.status),
            }
        return _Response(failure.status, body, headers)

    def _process(
        self,
        method: str,
        path: str,
        query: str,
        token: str | None,
        login: str | None,
        raw_body: bytes,
        headers: Mapping[str, str] | None = None,
    ) -> _Response:
        if token is not None and login is None:
            return _error(401, "Bad credentials", DOCS)
        route = _match_route(method, path)
        if route is None:
            return _error(404, "Not Found", DOCS)
        handler_name, params, doc = route
        if login is None:
            return _error(401, "Requires authentication", doc)
        if "owner" in params and (
            unquote(params["owner"]).lower() != self.owner.lower()
            or unquote(params["repo"]).lower() != self.repo.lower()
        ):
            return _error(404, "Not Found", doc)
        if method != "GET" and token in self.readonly_tokens:
            return _error(403, "Resource not accessible by integration", doc)
        data: Any = None
        if method in ("POST", "PATCH", "PUT"):
            try:
                data = json.loads(raw_body.decode("utf-8")) if raw_body.strip() else {}
            except (UnicodeDecodeError, ValueError):
                return _error(400, "Problems parsing JSON", doc)
            if not isinstance(data, dict):
                return _error(422, "Invalid request.\n\nThe request body must be an object.", doc)
        request = _Request(
            method=method,
            path=path,
            query=parse_qsl(query, keep_blank_values=True),
            login=login,
            token=token,
            data=data,
            params=params,
            headers=dict(headers or {}),
        )
        handler: Callable[[_Request], _Response] = getattr(self, handler_name)
        with self._lock:
            return handler(request)

    # ------------------------------------------------------------------ helpers

    def _user(self, login: str) -> dict[str, Any]:
        return github_objects.simple_user(login, self._url or "https://api.github.com")

    def _comment_urls(self, number: int, comment_id: int) -> dict[str, str]:
        if self._url is None:
            return {}
        repo_api = f"{self._url}/repos/{self.owner}/{self.repo}"
        return {
            "url": f"{repo_api}/issues/comments/{comment_id}",
            "issue_url": f"{repo_api}/issues/{number}",
        }

    def _new_comment(self, number: int, body: str, login: str) -> dict[str, Any]:
        comment_id = self._next_comment_id
        self._next_comment_id += 1
        kind = "pull" if number in self.pulls else "issues"
        now = _now_iso()
        comment: dict[str, Any] = {
            "id": comment_id,
            "node_id": f"IC_kwDOFake{comment_id}",
            "url": "",
            "html_url": (
                f"https://github.com/{self.owner}/{self.repo}/{kind}/{number}"
                f"#issuecomment-{comment_id}"
            ),
            "issue_url": "",
            "body": body,
            "user": self._user(login),
            "created_at": now,
            "updated_at": now,
            "author_association": "NONE" if _is_bot(login) else "MEMBER",
        }
        comment.update(self._comment_urls(number, comment_id))
        self.comments.setdefault(number, []).append(comment)
        return comment

    def _find_comment(self, comment_id: int) -> tuple[int, dict[str, Any]] | None:
        for number, items in self.comments.items():
            for comment in items:
                if comment["id"] == comment_id:
                    return number, comment
        return None

    def _issue_exists(self, number: int) -> bool:
        return number in self.pulls or number in self.comments

    def _paginate(self, request: _Request, items: list[Any]) -> _Response:
        per_page = _int_arg(request.arg("per_page"), PER_PAGE_DEFAULT)
        per_page = min(per_page, self.page_size_max)
        page = _int_arg(request.arg("page"), 1)
        start = (page - 1) * per_page
        chunk = items[start : start + per_page]
        last = max(1, -(-len(items) // per_page))
        headers: dict[str, str] = {}
        if len(items) > per_page or page > 1:
            base = f"{self.url}{request.path}"
            kept = [(k, v) for k, v in request.query if k != "page"]

            def link(n: int, rel: str) -> str:
                return f'<{base}?{urlencode([*kept, ("page", str(n))])}>; rel="{rel}"'

            links = []
            if page > 1:
                links.append(link(page - 1, "prev"))
            if page < last:
                links.append(link(page + 1, "next"))
                links.append(link(last, "last"))
            if page > 1:
                links.append(link(1, "first"))
            headers["link"] = ", ".join(links)
        return _Response(200, chunk, headers)

    # ------------------------------------------------------------------ endpoints

    def _get_user(self, request: _Request) -> _Response:
        assert request.login is not None
        if _is_bot(request.login):
            return _error(403, "Resource not accessible by integration", DOC_USER)
        return _Response(200, github_objects.private_user(request.login, self.url))

    def _list_comments(self, request: _Request) -> _Response:
        number = int(request.params["number"])
        if not self._issue_exists(number):
            return _error(404, "Not Found", DOC_LIST_COMMENTS)
        return self._paginate(request, [dict(c) for c in self.comments.get(number, [])])

    def _create_comment(self, request: _Request) -> _Response:
        assert request.login is not None
        number = int(request.params["number"])
        if not self._issue_exists(number):
            return _error(404, "Not Found", DOC_CREATE_COMMENT)
        problem = _check_comment_body(request.data, DOC_CREATE_COMMENT)
        if problem is not None:
            return problem
        comment = self._new_comment(number, request.data["body"], request.login)
        return _Response(201, dict(comment), {"location": comment["url"]})

    def _comment_for_write(
        self, request: _Request, doc: str
    ) -> tuple[int, dict[str, Any]] | _Response:
        assert request.login is not None
        found = self._find_comment(int(request.params["comment_id"]))
        if found is None:
            return _error(404, "Not Found", doc)
        if found[1]["user"]["login"] != request.login:
            message = (
                "Resource not accessible by integration"
                if _is_bot(request.login)
                else "Resource not accessible by personal access token"
            )
            return _error(403, message, doc)
        return found

    def _get_comment(self, request: _Request) -> _Response:
        found = self._find_comment(int(request.params["comment_id"]))
        if found is None:
            return _error(404, "Not Found", DOC_GET_COMMENT)
        return _Response(200, dict(found[1]))

    def _update_comment(self, request: _Request) -> _Response:
        found = self._comment_for_write(request, DOC_UPDATE_COMMENT)
        if isinstance(found, _Response):
            return found
        problem = _check_comment_body(request.data, DOC_UPDATE_COMMENT)
        if problem is not None:
            return problem
        comment = found[1]
        comment["body"] = request.data["body"]
        comment["updated_at"] = _now_iso()
        return _Response(200, dict(comment))

    def _delete_comment(self, request: _Request) -> _Response:
        found = self._comment_for_write(request, DOC_DELETE_COMMENT)
        if isinstance(found, _Response):
            return found
        number, comment = found
        self.comments[number].remove(comment)
        return _Response(204)

    def _create_status(self, request: _Request) -> _Response:
        assert request.login is not None
        sha = unquote(request.params["sha"])
        if not _SHA_RE.fullmatch(sha):
            return _error(422, f"No commit found for SHA: {sha}", DOC_STATUS)
        data = request.data
        state = data.get("state")
        if state not in STATUS_STATES:
            return _validation(
                DOC_STATUS, [{"resource": "Status", "field": "state", "code": "invalid"}]
            )
        description = data.get("description")
        if description is not None and not isinstance(description, str):
            return _invalid(
                f"For 'properties/description', {json.dumps(description)} is not a string.",
                DOC_STATUS,
            )
        if description is not None and len(description) > STATUS_DESCRIPTION_MAX:
            return _validation(
                DOC_STATUS,
                [
                    {
                        "resource": "Status",
                        "code": "custom",
                        "field": "description",
                        "message": "description is too long (maximum is 140 characters)",
                    }
                ],
            )
        context = data.get("context") or "default"
        target_url = data.get("target_url")
        self.statuses.append(
            {
                "sha": sha,
                "state": state,
                "description": description,
                "context": context,
                "target_url": target_url,
                "creator": request.login,
            }
        )
        status_id = self._next_status_id
        self._next_status_id += 1
        now = _now_iso()
        return _Response(
            201,
            {
                "url": f"{self.url}/repos/{self.owner}/{self.repo}/statuses/{sha}",
                "avatar_url": None,
                "id": status_id,
                "node_id": f"SC_kwDOFake{status_id}",
                "state": state,
                "description": description,
                "target_url": target_url,
                "context": context,
                "created_at": now,
                "updated_at": now,
                "creator": self._user(request.login),
            },
        )

    def _create_check_run(self, request: _Request) -> _Response:
        assert request.login is not None
        if not _is_bot(request.login):
            return _error(403, "You must authenticate via a GitHub App.", DOC_CHECK_RUN)
        data = request.data
        for key in ("name", "head_sha"):
            if key not in data:
                return _invalid(f'"{key}" wasn\'t supplied.', DOC_CHECK_RUN)
            if not isinstance(data[key], str):
                return _invalid(
                    f"For 'properties/{key}', {json.dumps(data[key])} is not a string.",
                    DOC_CHECK_RUN,
                )
        if not _SHA_RE.fullmatch(data["head_sha"]):
            return _error(422, f"No commit found for SHA: {data['head_sha']}", DOC_CHECK_RUN)
        status = data.get("status", "queued")
        if status not in CHECK_STATUSES:
            return _invalid(
                f"For 'properties/status', {json.dumps(status)} is not one of"
                f" {list(CHECK_STATUSES)}.",
                DOC_CHECK_RUN,
            )
        conclusion = data.get("conclusion")
        if conclusion is not None and conclusion not in CHECK_CONCLUSIONS:
            return _invalid(
                f"For 'properties/conclusion', {json.dumps(conclusion)} is not one of"
                f" {list(CHECK_CONCLUSIONS)}.",
                DOC_CHECK_RUN,
            )
        if conclusion is not None:
            status = "completed"  # "Providing conclusion will automatically set the status"
        elif status == "completed":
            return _validation(
                DOC_CHECK_RUN,
                [
                    {
                        "resource": "CheckRun",
                        "code": "custom",
                        "field": "conclusion",
                        "message": "conclusion can't be blank",
                    }
                ],
            )
        output = data.get("output")
        annotations: list[Any] = []
        if output is not None:
            problem = _check_output(output)
            if problem is not None:
                return problem
            annotations = output.get("annotations") or []

        run_id = self._next_check_run_id
        self._next_check_run_id += 1
        self.check_runs.append({**data, "id": run_id})
        now = _now_iso()
        repo_api = f"{self.url}/repos/{self.owner}/{self.repo}"
        out = output or {}
        return _Response(
            201,
            {
                "id": run_id,
                "node_id": f"CR_kwDOFake{run_id}",
                "name": data["name"],
                "head_sha": data["head_sha"],
                "external_id": data.get("external_id", ""),
                "url": f"{repo_api}/check-runs/{run_id}",
                "html_url": f"https://github.com/{self.owner}/{self.repo}/runs/{run_id}",
                "details_url": data.get("details_url"),
                "status": status,
                "conclusion": conclusion,
                "started_at": data.get("started_at", now),
                "completed_at": (data.get("completed_at", now) if status == "completed" else None),
                "output": {
                    "title": out.get("title"),
                    "summary": out.get("summary"),
                    "text": out.get("text"),
                    "annotations_count": len(annotations),
                    "annotations_url": f"{repo_api}/check-runs/{run_id}/annotations",
                },
                "check_suite": {"id": 7_000_000 + run_id},
                "app": github_objects.github_actions_app(self.url),
                "pull_requests": [],
            },
        )

    def _get_pull(self, request: _Request) -> _Response:
        pull = self.pulls.get(int(request.params["number"]))
        if pull is None:
            return _error(404, "Not Found", DOC_GET_PULL)
        return _Response(
            200, github_objects.pull_request(pull, self.owner, self.repo, self.url, full=True)
        )

    def _get_contents(self, request: _Request) -> _Response:
        """A file's content at ``?ref=`` (default: the default branch). With the raw media
        type (``application/vnd.github.raw+json``) the body is the file itself; otherwise
        a JSON object with the content in base64. 404 when there is no such file."""
        path = unquote(request.params["path"])
        ref = request.arg("ref") or self.default_branch
        content = self.files.get((ref, path))
        if content is None:
            return _error(404, "Not Found", DOC_CONTENTS)
        if "application/vnd.github.raw" in request.headers.get("accept", ""):
            return _Response(
                200, content, {"content-type": "application/vnd.github.raw; charset=utf-8"}
            )
        return _Response(
            200,
            {
                "type": "file",
                "encoding": "base64",
                "size": len(content),
                "name": path.rsplit("/", 1)[-1],
                "path": path,
                "content": base64.b64encode(content).decode(),
            },
        )

    def _list_pulls(self, request: _Request) -> _Response:
        state = request.arg("state") or "open"
        head = request.arg("head")
        base = request.arg("base")
        found = []
        for number in sorted(self.pulls, reverse=True):  # newest first, like sort=created
            pull = self.pulls[number]
            if state != "all" and pull["state"] != state:
                continue
            if head and pull["head"]["label"] != (head if ":" in head else f"{self.owner}:{head}"):
                continue
            if base and pull["base"]["ref"] != base:
                continue
            found.append(
                github_objects.pull_request(pull, self.owner, self.repo, self.url, full=False)
            )
        return self._paginate(request, found)


# ---------------------------------------------------------------------- routing


_ROUTES: list[tuple[str, re.Pattern[str], str, str]] = [
    (method, re.compile(pattern), handler, doc)
    for method, pattern, handler, doc in [
        ("GET", r"/user", "_get_user", DOC_USER),
        ("GET", rf"{_REPO}/issues/(?P<number>\d+)/comments", "_list_comments", DOC_LIST_COMMENTS),
        (
            "POST",
            rf"{_REPO}/issues/(?P<number>\d+)/comments",
            "_create_comment",
            DOC_CREATE_COMMENT,
        ),
        ("GET", rf"{_REPO}/issues/comments/(?P<comment_id>\d+)", "_get_comment", DOC_GET_COMMENT),
        (
            "PATCH",
            rf"{_REPO}/issues/comments/(?P<comment_id>\d+)",
            "_update_comment",
            DOC_UPDATE_COMMENT,
        ),
        (
            "DELETE",
            rf"{_REPO}/issues/comments/(?P<comment_id>\d+)",
            "_delete_comment",
            DOC_DELETE_COMMENT,
        ),
        ("POST", rf"{_REPO}/statuses/(?P<sha>[^/]+)", "_create_status", DOC_STATUS),
        ("POST", rf"{_REPO}/check-runs", "_create_check_run", DOC_CHECK_RUN),
        ("GET", rf"{_REPO}/pulls/(?P<number>\d+)", "_get_pull", DOC_GET_PULL),
        ("GET", rf"{_REPO}/pulls", "_list_pulls", DOC_LIST_PULLS),
        ("GET", rf"{_REPO}/contents/(?P<path>.+)", "_get_contents", DOC_CONTENTS),
    ]
]


def _match_route(method: str, path: str) -> tuple[str, dict[str, str], str] | None:
    for route_method, pattern, handler, doc in _ROUTES:
        if route_method == method:
            match = pattern.fullmatch(path)
            if match:
                return handler, match.groupdict(), doc
    return None


# ---------------------------------------------------------------------- error bodies


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _error(status: int, message: str, doc: str) -> _Response:
    return _Response(status, {"message": message, "documentation_url": doc, "status": str(status)})


def _validation(doc: str, errors: list[dict[str, Any]]) -> _Response:
    return _Response(
        422,
        {
            "message": "Validation Failed",
            "errors": errors,
            "documentation_url": doc,
            "status": "422",
        },
    )


def _invalid(detail: str, doc: str) -> _Response:
    """422 in the style of GitHub's JSON-schema check: "Invalid request.\\n\\n<detail>"."""
    return _error(422, f"Invalid request.\n\n{detail}", doc)


def _int_arg(value: str | None, default: int) -> int:
    try:
        number = int(value) if value is not None else default
    except ValueError:
        return default
    return number if number >= 1 else default


def _check_comment_body(data: dict[str, Any], doc: str) -> _Response | None:
    if "body" not in data:
        return _invalid('"body" wasn\'t supplied.', doc)
    body = data["body"]
    if not isinstance(body, str):
        return _invalid(f"For 'properties/body', {json.dumps(body)} is not a string.", doc)
    if not body.strip():
        return _validation(
            doc, [{"resource": "IssueComment", "code": "missing_field", "field": "body"}]
        )
    if len(body) > COMMENT_BODY_MAX:
        return _validation(
            doc,
            [
                {
                    "resource": "IssueComment",
                    "code": "custom",
                    "field": "body",
                    "message": f"body is too long (maximum is {COMMENT_BODY_MAX} characters)",
                }
            ],
        )
    return None


def _check_output(output: Any) -> _Response | None:
    doc = DOC_CHECK_RUN
    if not isinstance(output, dict):
        return _invalid(f"For 'properties/output', {json.dumps(output)} is not an object.", doc)
    for key in ("title", "summary"):
        if key not in output:
            return _invalid(f'"{key}" wasn\'t supplied.', doc)
    for key in ("title", "summary", "text"):
        if key in output and not isinstance(output[key], str):
            return _invalid(
                f"For 'properties/{key}', {json.dumps(output[key])} is not a string.", doc
            )
    for key in ("summary", "text"):
        value = output.get(key)
        if value is None:
            continue
        if len(value) > CHECK_OUTPUT_MAX:
            return _invalid(
                f"Only {CHECK_OUTPUT_MAX} characters are allowed; {len(value)} were supplied.", doc
            )
        if len(value.encode("utf-8")) > CHECK_OUTPUT_MAX:
            return _validation(
                doc,
                [
                    {
                        "resource": "CheckRun",
                        "code": "custom",
                        "field": key,
                        "message": f"{key} exceeds a maximum bytesize of {CHECK_OUTPUT_MAX}",
                    }
                ],
            )
    annotations = output.get("annotations")
    if annotations is None:
        return None
    if not isinstance(annotations, list):
        return _invalid("For 'properties/annotations', it is not an array.", doc)
    if len(annotations) > CHECK_ANNOTATIONS_MAX:
        return _invalid(
            f"For 'properties/annotations', only {CHECK_ANNOTATIONS_MAX} elements are allowed;"
            f" {len(annotations)} were supplied.",
            doc,
        )
    for index, annotation in enumerate(annotations):
        if not isinstance(annotation, dict):
            return _invalid(f"For 'items', {json.dumps(annotation)} is not an object.", doc)
        for key in ("path", "start_line", "end_line", "annotation_level", "message"):
            if key not in annotation:
                return _invalid(f'"{key}" wasn\'t supplied (annotations/{index}).', doc)
        if annotation["annotation_level"] not in ANNOTATION_LEVELS:
            return _invalid(
                f"For 'properties/annotation_level', {json.dumps(annotation['annotation_level'])}"
                f" is not one of {list(ANNOTATION_LEVELS)}.",
                doc,
            )
    return None
