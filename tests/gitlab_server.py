"""A local stand-in for GitLab's REST API v4, for tests that must not touch the network.

``GitLabServer`` answers the endpoints mlci uses the way docs.gitlab.com describes them
(``doc/api/notes.md``, ``doc/api/commits.md#commit-status``, ``doc/api/users.md``,
``doc/api/rest/_index.md#pagination``, ``doc/api/rest/troubleshooting.md``), keeps what it
is told in plain containers that tests seed and inspect, and can be scripted to fail
(``fail``) or to rate-limit (``rate_limit``) a chosen call. python-gitlab talks to it
for real (``tests/test_gitlab_server.py``).

Standard library only: an ``http.server.ThreadingHTTPServer`` on 127.0.0.1, port 0,
served from a daemon thread; the API lives under ``/api/v4`` as on any GitLab host.

What it models, from GitLab's documentation and source (``lib/api/notes.rb``,
``app/services/ci/create_commit_status_service.rb``):

* Tokens: ``PRIVATE-TOKEN: <t>`` or ``Authorization: Bearer <t>`` (personal, project
  or group access tokens); ``JOB-TOKEN: <t>`` (``CI_JOB_TOKEN``), which the notes API
  accepts for reading only, so creating or editing a note with it is ``401``. A token
  whose scope is ``read_api`` gets ``403 insufficient_scope`` on every write.
* Notes list newest first by default (``sort=desc``, ``order_by=created_at``); offset
  pagination with ``page``/``per_page`` (default 20, max 100), ``x-page``,
  ``x-per-page``, ``x-next-page`` and ``x-prev-page`` (empty when there is none),
  ``x-total``, ``x-total-pages`` and a ``Link`` header (``prev``, ``next``, ``first``,
  ``last``) whose URLs start with the API root the client used.
* A note body is required and limited to 1,000,000 characters (``400`` with GitLab's
  validation-error shape). Only a note's author may edit it, as on GitLab, or delete
  it here (GitLab also lets maintainers delete); system notes cannot be edited.
* Commit statuses: ``state`` one of pending, running, success, failed, canceled,
  skipped; ``name`` (or ``context``) defaults to ``default``; ``description``,
  ``target_url`` and ``ref`` at most 255 characters. A status still pending or
  running for the same sha, name, ref and user is moved on (and an impossible move,
  e.g. running to running, is ``400 Cannot transition status via :run from
  :running``); otherwise a new status is created. A role below developer is ``403``.
* Repository files: ``GET .../repository/files/:file_path/raw?ref=`` (the path
  URL-encoded, ``/`` as ``%2F``) answers the bytes, or ``404 File Not Found``.
* Rate limits: ``429`` with ``Retry later`` as plain text and ``Retry-After``,
  ``RateLimit-Limit``/``-Observed``/``-Remaining``/``-Reset``/``-ResetTime`` headers.

Choices that differ from real GitLab: one project only (addressed by numeric id or
URL-encoded path); any 40-hex sha is a commit of it, on branch ``main`` unless a merge
request names it as its source; ids are small integers local to one server.
"""

from __future__ import annotations

import email.utils
import http
import json
import re
import socket
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from local_server import Failure, LocalServer

__all__ = ["GitLabServer", "User"]

API = "/api/v4"
NOTE_BODY_MAX = 1_000_000  # characters: "Limited to 1,000,000 characters"
STATUS_FIELD_MAX = 255  # description, target_url, ref: "Must be 255 characters or fewer"
PER_PAGE_DEFAULT = 20
PER_PAGE_MAX = 100
STATUS_STATES = ("pending", "running", "success", "failed", "canceled", "skipped")
_ACTIVE = ("pending", "running")  # GenericCommitStatus.running_or_pending
# The state machine's event per requested state, and the states it may leave from.
_EVENTS = {
    "pending": ("enqueue", ("created", "pending")),
    "running": ("run", ("created", "pending")),
    "success": ("success", ("created", "pending", "running")),
    "failed": ("drop", ("created", "pending", "running")),
    "canceled": ("cancel", ("created", "pending", "running")),
    "skipped": ("skip", ("created", "pending")),
}
_SHA_RE = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class User:
    """Who a token belongs to. ``role``: the project role (guest, reporter, developer,
    maintainer); ``scopes``: the token's scopes (``api`` writes, ``read_api`` only reads)."""

    id: int
    username: str
    name: str = ""
    bot: bool = False
    role: str = "developer"
    scopes: tuple[str, ...] = ("api",)

    def basic(self, web: str) -> dict[str, Any]:
        """The ``UserBasic`` entity notes and statuses carry as ``author``."""
        return {
            "id": self.id,
            "username": self.username,
            "name": self.name or self.username,
            "state": "active",
            "locked": False,
            "avatar_url": None,
            "web_url": f"{web}/{self.username}",
        }


DEFAULT_USERS: dict[str, User] = {
    # A project access token: GitLab makes a bot user for it.
    "glpat-project-token": User(
        id=901, username="project_42_bot_5f1c", name="mlci", bot=True, role="developer"
    ),
    "glpat-alice-token": User(id=7, username="alice", name="Alice", role="maintainer"),
}


def _now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass
class _Response:
    status: int
    body: Any = None  # JSON-serialisable, or bytes/str sent as they are; None -> no body
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Request:
    method: str
    path: str
    query: dict[str, str]
    user: User
    via_job_token: bool
    data: dict[str, Any]
    params: dict[str, str]
    api_root: str


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    timeout = 10

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        gitlab: GitLabServer = self.server.gitlab  # type: ignore[attr-defined]
        status, payload, out = gitlab._handle(self.command, self.path, headers, raw)
        self.send_response(status)
        for key, value in out.items():
            self.send_header(key, value)
        if status != 204:
            self.send_header("content-length", str(len(payload)))
        self.end_headers()
        if payload and status != 204 and self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return


class GitLabServer(LocalServer[Failure]):
    """In-process fake of a GitLab instance's REST API for one project.

    State (seed and inspect freely from tests):

    * ``merge_requests``: iid -> ``{"iid", "sha", "source_branch", "target_branch",
      "diff_refs": {"base_sha", "head_sha"}, "web_url"}``.
    * ``notes``: merge-request iid -> note dicts as the API returns them, oldest first.
    * ``statuses``: every commit status, as the API returns them, oldest first.
    * ``requests``: ``(method, path_with_query, headers)`` of every request, header
      names lower-cased.
    * ``server_errors``: tracebacks of exceptions inside the fake itself.
    """

    handler = _Handler
    server_attribute = "gitlab"

    def __init__(
        self,
        *,
        project_id: int = 42,
        project_path: str = "ml-group/ml-project",
        users: Mapping[str, User] | None = None,
        job_tokens: Mapping[str, User] | None = None,
        count_limit: int = 10_000,
    ) -> None:
        super().__init__()
        self.project_id = project_id
        # GitLab leaves out x-total, x-total-pages and rel="last" for a list of more
        # than 10,000 items ("for performance reasons", doc/api/rest/_index.md); a test
        # lowers the threshold instead of seeding 10,001 notes.
        self.count_limit = count_limit
        self.project_path = project_path
        self.users: dict[str, User] = dict(DEFAULT_USERS if users is None else users)
        self.job_tokens: dict[str, User] = dict(job_tokens or {})
        self.merge_requests: dict[int, dict[str, Any]] = {}
        self.notes: dict[int, list[dict[str, Any]]] = {}
        self.statuses: list[dict[str, Any]] = []
        # (ref, path) -> content; a ref is a branch name or a commit sha
        self.files: dict[tuple[str, str], bytes] = {}
        self.default_branch = "main"
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.server_errors: list[str] = []
        self._next_note_id = 3001
        self._next_status_id = 7001

    # ------------------------------------------------------------------ lifecycle

    @property
    def api_url(self) -> str:
        """The API root (``CI_API_V4_URL``)."""
        return f"{self.url}{API}"

    @property
    def web_url(self) -> str:
        return f"{self.url}/{self.project_path}"

    # ------------------------------------------------------------------ seeding

    def add_merge_request(
        self, iid: int, head_sha: str, base_sha: str, source_branch: str = "feature"
    ) -> dict[str, Any]:
        merge_request = {
            "iid": iid,
            "project_id": self.project_id,
            "state": "opened",
            "sha": head_sha,
            "source_branch": source_branch,
            "target_branch": "main",
            "diff_refs": {"base_sha": base_sha, "head_sha": head_sha, "start_sha": base_sha},
            "web_url": f"{self.url if self._url else 'https://gitlab.example.com'}"
            f"/{self.project_path}/-/merge_requests/{iid}",
        }
        with self._lock:
            self.merge_requests[iid] = merge_request
            self.notes.setdefault(iid, [])
        return merge_request

    def add_file(self, ref: str, path: str, text: str) -> None:
        """A file of the repository at ``ref`` (a branch or a commit sha)."""
        with self._lock:
            self.files[(ref, path)] = text.encode()

    def add_note(self, iid: int, body: str, user: User, *, system: bool = False) -> dict[str, Any]:
        """Seed a note by anyone, unchecked (a human quoting the marker, a system note)."""
        with self._lock:
            return self._new_note(iid, body, user, system=system)

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

        ``path_regex`` is searched in the path (below ``/api/v4``) and in the path with
        its query. ``body`` defaults to GitLab's ``{"message": "<status> <phrase>"}``.
        With ``apply=True`` the request is processed first (a note really is created)
        and only then is the error answered: a lost response. Failures are consulted
        before authentication, so they hit any caller.
        """
        self._add_failure(
            Failure.scripted(
                method, path_regex, status, body=body, headers=headers, times=times, apply=apply
            )
        )

    def rate_limit(
        self, method: str, path_regex: str, *, retry_after: int = 60, times: int = 1
    ) -> None:
        """The next ``times`` matching requests hit a rate limit: 429, ``Retry later``,
        ``Retry-After: retry_after`` and GitLab's ``RateLimit-*`` headers."""
        reset = int(time.time()) + retry_after
        self.fail(
            method,
            path_regex,
            429,
            body=b"Retry later\n",
            headers={
                "content-type": "text/plain",
                "retry-after": str(retry_after),
                "ratelimit-name": "throttle_authenticated_api",
                "ratelimit-limit": "60",
                "ratelimit-observed": "61",
                "ratelimit-remaining": "0",
                "ratelimit-reset": str(reset),
                "ratelimit-resettime": email.utils.formatdate(reset, usegmt=True),
            },
            times=times,
        )

    # ------------------------------------------------------------------ request pipeline

    def _handle(
        self, method: str, raw_path: str, headers: dict[str, str], raw_body: bytes
    ) -> tuple[int, bytes, dict[str, str]]:
        with self._lock:
            self.requests.append((method, raw_path, dict(headers)))
        split = urlsplit(raw_path)
        path = split.path[len(API) :] if split.path.startswith(f"{API}/") else split.path
        with_query = f"{path}?{split.query}" if split.query else path
        failure = self._take_failure(method, path, with_query)
        try:
            if failure is None or failure.apply:
                response = self._process(method, split.path, split.query, headers, raw_body)
            if failure is not None:
                body = failure.body
                if body is None:
                    body = {"message": f"{failure.status} {_phrase(failure.status)}"}
                response = _Response(failure.status, body, dict(failure.headers))
        except Exception:  # a bug in the fake: report it, don't hang the client
            self.server_errors.append(traceback.format_exc())
            response = _Response(500, {"message": "500 Internal Server Error"})
        out = {"content-type": "application/json", "cache-control": "no-cache"}
        out.update(response.headers)
        if response.status == 204 or response.body is None:
            payload = b""
        elif isinstance(response.body, bytes):
            payload = response.body
        elif isinstance(response.body, str):
            payload = response.body.encode()
        else:
            payload = json.dumps(response.body).encode()
        return response.status, payload, out

    def _authenticate(self, headers: Mapping[str, str]) -> tuple[User | None, bool]:
        """(the token's user or None, whether it came as a job token)."""
        private = headers.get("private-token")
        if private is not None:
            return self.users.get(private.strip()), False
        job = headers.get("job-token")
        if job is not None:
            return self.job_tokens.get(job.strip()), True
        scheme, _, value = headers.get("authorization", "").strip().partition(" ")
        if scheme.lower() == "bearer":
            return self.users.get(value.strip()), False
        return None, False

    def _process(
        self, method: str, full_path: str, query: str, headers: Mapping[str, str], raw: bytes
    ) -> _Response:
        if not full_path.startswith(f"{API}/"):
            return _Response(404, {"message": "404 Not Found"})
        path = full_path[len(API) :]
        route = _match_route(method, path)
        if route is None:
            return _Response(404, {"error": "404 Not Found"})
        handler_name, params, job_token_ok = route
        user, via_job = self._authenticate(headers)
        if user is None or (via_job and not job_token_ok):
            # Bad token, no token, or a job token on a route that does not take one.
            return _Response(401, {"message": "401 Unauthorized"})
        if "id" in params and unquote(params["id"]) not in (
            str(self.project_id),
            self.project_path,
        ):
            return _Response(404, {"message": "404 Project Not Found"})
        if method != "GET" and "api" not in user.scopes:
            return _Response(
                403,
                {
                    "error": "insufficient_scope",
                    "error_description": "The request requires higher privileges than "
                    "provided by the access token.",
                    "scope": "api",
                },
                {
                    "www-authenticate": 'Bearer realm="", error="insufficient_scope", '
                    'error_description="The request requires higher privileges than '
                    'provided by the access token.", scope="api"'
                },
            )
        data: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        if method in ("POST", "PUT") and raw.strip():
            content_type = headers.get("content-type", "")
            try:
                if "json" in content_type:
                    parsed = json.loads(raw.decode("utf-8"))
                else:
                    parsed = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
            except (UnicodeDecodeError, ValueError):
                return _Response(400, {"error": "The provided content-type is not supported"})
            if not isinstance(parsed, dict):
                return _Response(400, {"error": "body is missing"})
            data.update(parsed)
        host = headers.get("host") or (self._url or "").removeprefix("http://")
        request = _Request(
            method=method,
            path=path,
            query=dict(parse_qsl(query, keep_blank_values=True)),
            user=user,
            via_job_token=via_job,
            data=data,
            params=params,
            api_root=f"http://{host}{API}",
        )
        handler: Callable[[_Request], _Response] = getattr(self, handler_name)
        with self._lock:
            return handler(request)

    # ------------------------------------------------------------------ helpers

    def _new_note(self, iid: int, body: str, user: User, *, system: bool) -> dict[str, Any]:
        note_id = self._next_note_id
        self._next_note_id += 1
        now = _now_iso()
        note = {
            "id": note_id,
            "type": None,
            "body": body,
            "attachment": None,
            "author": user.basic(self._url or "https://gitlab.example.com"),
            "created_at": now,
            "updated_at": now,
            "system": system,
            "noteable_id": 500 + iid,
            "noteable_type": "MergeRequest",
            "project_id": self.project_id,
            "resolvable": False,
            "confidential": False,
            "internal": False,
            "imported": False,
            "imported_from": "none",
            "noteable_iid": iid,
            "commands_changes": {},
        }
        self.notes.setdefault(iid, []).append(note)
        return note

    def _paginate(self, request: _Request, items: list[Any]) -> _Response:
        try:
            per_page = int(request.query.get("per_page") or PER_PAGE_DEFAULT)
            page = int(request.query.get("page") or 1)
        except ValueError:
            return _Response(400, {"error": "page is invalid, per_page is invalid"})
        per_page = min(max(per_page, 1), PER_PAGE_MAX)
        page = max(page, 1)
        total = len(items)
        pages = max(1, -(-total // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        base = f"{request.api_root}{request.path}"
        kept = [(k, v) for k, v in request.query.items() if k not in ("page", "per_page")]

        def link(number: int, rel: str) -> str:
            query = urlencode([*kept, ("page", str(number)), ("per_page", str(per_page))])
            return f'<{base}?{query}>; rel="{rel}"'

        links = []
        if page > 1:
            links.append(link(page - 1, "prev"))
        if page < pages:
            links.append(link(page + 1, "next"))
        links.append(link(1, "first"))
        counted = total <= self.count_limit
        if counted:
            links.append(link(pages, "last"))
        headers = {
            "link": ", ".join(links),
            "x-page": str(page),
            "x-per-page": str(per_page),
            "x-next-page": str(page + 1) if page < pages else "",
            "x-prev-page": str(page - 1) if page > 1 else "",
        }
        if counted:
            headers.update({"x-total": str(total), "x-total-pages": str(pages)})
        return _Response(200, chunk, headers)

    def _merge_request(self, request: _Request) -> dict[str, Any] | None:
        return self.merge_requests.get(int(request.params["iid"]))

    def _note(self, request: _Request) -> tuple[dict[str, Any] | None, _Response | None]:
        if self._merge_request(request) is None:
            return None, _Response(404, {"message": "404 Merge Request Not Found"})
        note_id = int(request.params["note_id"])
        for note in self.notes.get(int(request.params["iid"]), []):
            if note["id"] == note_id:
                return note, None
        return None, _Response(404, {"message": "404 Note Not Found"})

    # ------------------------------------------------------------------ endpoints

    def _get_user(self, request: _Request) -> _Response:
        user = request.user
        body = user.basic(self.url)
        body.update(
            {
                "bot": user.bot,
                "created_at": "2024-01-01T00:00:00.000Z",
                "bio": "",
                "public_email": None,
                "two_factor_enabled": False,
                "external": False,
                "private_profile": False,
            }
        )
        return _Response(200, body)

    def _list_notes(self, request: _Request) -> _Response:
        if self._merge_request(request) is None:
            return _Response(404, {"message": "404 Merge Request Not Found"})
        sort = request.query.get("sort", "desc")
        order_by = request.query.get("order_by", "created_at")
        if sort not in ("asc", "desc"):
            return _Response(400, {"error": "sort does not have a valid value"})
        if order_by not in ("created_at", "updated_at"):
            return _Response(400, {"error": "order_by does not have a valid value"})
        notes = sorted(
            self.notes.get(int(request.params["iid"]), []),
            key=lambda note: (note[order_by], note["id"]),
            reverse=sort == "desc",
        )
        return self._paginate(request, [dict(note) for note in notes])

    def _get_note(self, request: _Request) -> _Response:
        note, error = self._note(request)
        return error or _Response(200, dict(note or {}))

    def _create_note(self, request: _Request) -> _Response:
        if self._merge_request(request) is None:
            return _Response(404, {"message": "404 Merge Request Not Found"})
        body = request.data.get("body")
        if body is None:
            return _Response(400, {"error": "body is missing"})
        invalid = _check_note_body(body)
        if invalid is not None:
            return invalid
        note = self._new_note(int(request.params["iid"]), str(body), request.user, system=False)
        return _Response(201, dict(note))

    def _update_note(self, request: _Request) -> _Response:
        note, error = self._note(request)
        if error is not None or note is None:
            return error or _Response(404, {"message": "404 Note Not Found"})
        body = request.data.get("body")
        if body is not None and not str(body).strip():
            return _Response(400, {"error": "body is empty"})
        if note["system"] or note["author"]["id"] != request.user.id:
            return _Response(403, {"message": "403 Forbidden"})
        if body is not None:
            invalid = _check_note_body(body)
            if invalid is not None:
                return invalid
            note["body"] = str(body)
            note["updated_at"] = _now_iso()
        return _Response(200, dict(note))

    def _delete_note(self, request: _Request) -> _Response:
        note, error = self._note(request)
        if error is not None or note is None:
            return error or _Response(404, {"message": "404 Note Not Found"})
        if note["system"] or note["author"]["id"] != request.user.id:
            return _Response(403, {"message": "403 Forbidden"})
        self.notes[int(request.params["iid"])].remove(note)
        return _Response(204)

    def _ref_of(self, sha: str) -> str:
        for merge_request in self.merge_requests.values():
            if merge_request["sha"] == sha:
                return str(merge_request["source_branch"])
        return "main"

    def _create_status(self, request: _Request) -> _Response:
        if request.user.role in ("guest", "reporter"):
            return _Response(403, {"message": "403 Forbidden"})
        sha = request.params["sha"]
        if not _SHA_RE.fullmatch(sha):
            return _Response(404, {"message": "404 Commit Not Found"})
        data = request.data
        state = data.get("state")
        if state is None:
            return _Response(400, {"error": "state is missing"})
        if state not in STATUS_STATES:
            return _Response(400, {"error": "state does not have a valid value"})
        too_long = {
            key: ["is too long (maximum is 255 characters)"]
            for key in ("description", "target_url", "ref")
            if len(str(data.get(key) or "")) > STATUS_FIELD_MAX
        }
        if too_long:
            return _Response(400, {"message": too_long})
        name = str(data.get("name") or data.get("context") or "default")
        ref = str(data.get("ref") or self._ref_of(sha))
        current = next(
            (
                status
                for status in self.statuses
                if status["sha"] == sha
                and status["name"] == name
                and status["ref"] == ref
                and status["author"]["id"] == request.user.id
                and status["status"] in _ACTIVE
            ),
            None,
        )
        event, allowed = _EVENTS[state]
        if current is not None and current["status"] not in allowed:
            return _Response(
                400,
                {"message": f"Cannot transition status via :{event} from :{current['status']}"},
            )
        now = _now_iso()
        status = current or {
            "id": self._next_status_id,
            "sha": sha,
            "ref": ref,
            "name": name,
            "author": request.user.basic(self.url),
            "created_at": now,
            "started_at": None,
            "finished_at": None,
            "allow_failure": False,
            "coverage": None,
            "pipeline_id": 100,
        }
        if current is None:
            self._next_status_id += 1
            self.statuses.append(status)
        if data.get("pipeline_id") is not None:
            status["pipeline_id"] = int(data["pipeline_id"])
        status.update(
            {
                "status": state,
                "description": data.get("description"),
                "target_url": data.get("target_url"),
            }
        )
        if state == "running":
            status["started_at"] = now
        if state not in _ACTIVE:
            status["finished_at"] = now
        return _Response(201, dict(status))

    def _raw_file(self, request: _Request) -> _Response:
        """``GET /projects/:id/repository/files/:file_path/raw``: the bytes, as they are;
        ``ref`` defaults to the default branch."""
        path = unquote(request.params["file_path"])
        ref = request.query.get("ref") or self.default_branch
        content = self.files.get((ref, path))
        if content is None:
            return _Response(404, {"message": "404 File Not Found"})
        return _Response(200, content, {"content-type": "text/plain; charset=utf-8"})

    def _list_statuses(self, request: _Request) -> _Response:
        sha = request.params["sha"]
        if not _SHA_RE.fullmatch(sha):
            return _Response(404, {"message": "404 Commit Not Found"})
        found = [status for status in self.statuses if status["sha"] == sha]
        for key in ("ref", "name"):
            if request.query.get(key):
                found = [status for status in found if status[key] == request.query[key]]
        if request.query.get("all") not in ("true", "1"):
            latest: dict[tuple[str, str], dict[str, Any]] = {}
            for status in found:
                latest[(status["name"], status["ref"])] = status
            found = sorted(latest.values(), key=lambda status: status["id"])
        return self._paginate(request, [dict(status) for status in found])


_PROJECT = r"/projects/(?P<id>[^/]+)"
_MR_NOTES = rf"{_PROJECT}/merge_requests/(?P<iid>\d+)/notes"
# (method, path pattern below /api/v4, handler, whether CI_JOB_TOKEN is accepted)
_ROUTES: list[tuple[str, re.Pattern[str], str, bool]] = [
    (method, re.compile(pattern), handler, job_token)
    for method, pattern, handler, job_token in [
        ("GET", r"/user", "_get_user", False),
        ("GET", _MR_NOTES, "_list_notes", True),
        ("POST", _MR_NOTES, "_create_note", False),
        ("GET", rf"{_MR_NOTES}/(?P<note_id>\d+)", "_get_note", True),
        ("PUT", rf"{_MR_NOTES}/(?P<note_id>\d+)", "_update_note", False),
        ("DELETE", rf"{_MR_NOTES}/(?P<note_id>\d+)", "_delete_note", False),
        ("POST", rf"{_PROJECT}/statuses/(?P<sha>[^/]+)", "_create_status", False),
        ("GET", rf"{_PROJECT}/repository/files/(?P<file_path>[^/]+)/raw", "_raw_file", True),
        (
            "GET",
            rf"{_PROJECT}/repository/commits/(?P<sha>[^/]+)/statuses",
            "_list_statuses",
            False,
        ),
    ]
]


def _match_route(method: str, path: str) -> tuple[str, dict[str, str], bool] | None:
    for route_method, pattern, handler, job_token in _ROUTES:
        if route_method == method:
            match = pattern.fullmatch(path)
            if match:
                return handler, match.groupdict(), job_token
    return None


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _check_note_body(body: Any) -> _Response | None:
    text = str(body)
    if not text.strip():
        return _Response(400, {"message": {"note": ["can't be blank"]}})
    if len(text) > NOTE_BODY_MAX:
        return _Response(
            400, {"message": {"note": [f"is too long (maximum is {NOTE_BODY_MAX} characters)"]}}
        )
    return None
