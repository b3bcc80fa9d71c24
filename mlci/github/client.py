"""The one place the GitHub REST API is used.

httpx rather than PyGithub: mlci needs exact control over what PyGithub hides —
which answers are retried and for how long (5xx, 429, secondary rate limits with
``retry-after`` / ``x-ratelimit-reset``), looking before re-posting after a lost
response, and following ``Link`` pagination — and needs a small, typed
dependency. The base URL comes from ``GITHUB_API_URL`` as on a real runner
(GitHub Enterprise, or the test suite's local server).

Every error becomes a :class:`PublishError` (exit 4) whose text never contains
the token.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from mlci import __version__
from mlci.errors import PublishError, UsageError, redact
from mlci.forge import backoff, retry_after_seconds

_RETRY_STATUSES = {500, 502, 503, 504}
_SHA = re.compile(r"[0-9a-f]{40}")
_LINK_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')
FORK_HINT = (
    "on pull requests from forks GITHUB_TOKEN is read-only: compute with `mlci ci "
    "--no-publish` and publish from a workflow_run workflow (`mlci init --fork-safe`)"
)


@dataclass(frozen=True)
class Comment:
    id: int
    url: str
    body: str
    login: str
    user_type: str


def missing_token(variable: str) -> UsageError:
    """The one error for "no token to publish with", whichever command meets it."""
    return UsageError(
        f"no GitHub token in ${variable}",
        hint=f"give the publishing step `env: {variable}: ${{{{ github.token }}}}` (the "
        "check itself needs none: `mlci ci --no-publish`, then `mlci publish`), or name "
        "another variable with --token-env",
    )


class GitHub:
    """A small REST client for one repository, with bounded retries."""

    def __init__(
        self,
        api_url: str,
        token: str,
        repository: str,
        *,
        max_tries: int = 5,
        max_wait: float = 120.0,
        backoff: float = 1.0,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not token:
            raise missing_token("GITHUB_TOKEN")
        self.repository = repository
        self._token = token
        self._max_tries = max_tries
        self._max_wait = max_wait
        self._backoff_base = backoff
        self._sleep = sleep
        self._client = httpx.Client(
            base_url=api_url.rstrip("/"),
            timeout=timeout,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": f"mlci/{__version__}",
            },
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> GitHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport -------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        what: str,
        permission: str | None = None,
        recover: Callable[[], Any] | None = None,
        accept: tuple[int, ...] = (),
    ) -> httpx.Response:
        """Send one request, retrying what GitHub says may be retried, and what never
        reached it (connection refused, timeouts, TLS errors), within the same budget.

        ``what`` names the operation in errors ("post the PR comment");
        ``permission`` is the workflow permission it needs ("pull-requests: write").
        ``recover`` runs before a retry of a write whose answer was lost: if it
        returns something, the write had been applied and is not sent again.
        ``accept``: error statuses the caller handles itself (returned, not raised).
        """
        deadline = time.monotonic() + self._max_wait
        attempt = 0
        while True:
            attempt += 1
            failure: str
            wait: float | None
            try:
                response = self._client.request(
                    method, path, json=json, params=params, headers=headers
                )
            except httpx.TransportError as exc:
                host = self._client.base_url.host or str(self._client.base_url)
                failure = f"cannot reach {host}: {type(exc).__name__}: {exc}"
                wait = self._backoff(attempt)
                status: int | None = None
            else:
                status = response.status_code
                if response.status_code < 400 or response.status_code in accept:
                    return response
                wait = self._retry_wait(response, attempt)
                if wait is None:
                    raise self._error(response, method, path, what, permission)
                failure = f"HTTP {response.status_code} {_message(response)}"
            remaining = deadline - time.monotonic()
            if attempt >= self._max_tries or wait > remaining:
                hint = (
                    f"GitHub asked to wait {wait:.0f} s; the report is on disk, re-run the "
                    "job (or `mlci publish`) later"
                    if status is not None
                    else f"check the network and GITHUB_API_URL ({self._client.base_url}); "
                    "the report is on disk, re-run the job (or `mlci publish`) later"
                )
                raise PublishError(
                    redact(
                        f"could not {what}: GitHub still failing after {attempt} "
                        f"attempt(s) ({failure})",
                        self._token,
                    ),
                    hint=hint,
                    status=status,
                    operation=what,
                )
            self._sleep(wait)
            if recover is not None:
                recovered = recover()
                if recovered is not None:
                    return httpx.Response(200, json=recovered)

    def _backoff(self, attempt: int) -> float:
        return backoff(self._backoff_base, attempt)

    def _retry_wait(self, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before retrying, or None when the answer is final."""
        status = response.status_code
        headers = response.headers
        if status in _RETRY_STATUSES:
            return self._backoff(attempt)
        limited = status == 429 or (
            status == 403
            and (
                "retry-after" in headers
                or headers.get("x-ratelimit-remaining") == "0"
                or "rate limit" in _message(response).lower()
            )
        )
        if not limited:
            return None
        if "retry-after" in headers:
            return retry_after_seconds(str(headers["retry-after"]))
        if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
            try:
                return max(0.0, float(headers["x-ratelimit-reset"]) - time.time()) + 1
            except ValueError:
                pass
        # A secondary limit without headers: at least a minute, growing.
        return float(60 * 2 ** (attempt - 1))

    def _error(
        self, response: httpx.Response, method: str, path: str, what: str, permission: str | None
    ) -> PublishError:
        status = response.status_code
        message = _message(response)
        if status == 401:
            error = PublishError(
                f"could not {what}: GitHub rejected the token (401 {message})",
                hint="check that the step's GITHUB_TOKEN (or the variable named by "
                "--token-env) holds a valid token",
            )
        elif status == 403 and "not accessible by integration" in message.lower():
            grant = f"grant `permissions: {permission}` to the job" if permission else ""
            error = PublishError(
                f"could not {what}: the workflow's token is not allowed to (403 {message})",
                hint="; ".join(part for part in (grant, FORK_HINT) if part),
            )
        elif status == 422:
            details = "; ".join(
                str(item.get("message") or item.get("code"))
                for item in _json(response).get("errors", [])
                if isinstance(item, dict)
            )
            error = PublishError(
                f"could not {what}: GitHub refused it (422 {message}"
                + (f": {details})" if details else ")")
            )
        else:
            error = PublishError(f"could not {what}: {method} {path} answered {status} {message}")
        error.message = redact(error.message, self._token)
        error.status, error.operation = status, what
        return error

    def paginate(self, path: str, *, what: str, per_page: int = 100) -> Iterator[Any]:
        """Every item of a list endpoint, following the Link header's rel="next"."""
        url: str | None = path
        params: dict[str, Any] | None = {"per_page": per_page}
        while url:
            response = self.request("GET", url, params=params, what=what)
            yield from response.json()
            match = _LINK_NEXT.search(response.headers.get("link", ""))
            url, params = (match.group(1), None) if match else (None, None)

    # --- operations ------------------------------------------------------------------

    def login(self) -> str | None:
        """The token's own login, or None for an installation token (GITHUB_TOKEN), which
        GitHub answers 403 here: its comments come from a [bot] account. Retried like
        every request: a passing 5xx must not make any bot's comment look like ours."""
        response = self.request("GET", "/user", what="identify the token", accept=(403,))
        if response.status_code == 403:
            return None
        login = _json(response).get("login")
        return login if isinstance(login, str) else None

    def comments(self, number: int) -> list[Comment]:
        path = f"/repos/{self.repository}/issues/{number}/comments"
        try:
            return [
                _comment(item)
                for item in self.paginate(path, what=f"list the comments of #{number}")
            ]
        except PublishError as exc:
            raise self._no_pull(number) if exc.status == 404 else exc from None

    def _no_pull(self, number: int) -> PublishError:
        return PublishError(
            f"pull request #{number} not found in {self.repository}",
            hint="check the event's pull request number and that the token can read this "
            "repository",
            status=404,
        )

    def create_comment(self, number: int, body: str, nonce: str) -> Comment:
        """Post a comment; ``nonce`` (unique to this post, inside ``body``) lets a retry
        after a lost response find the comment GitHub did create instead of posting twice."""
        path = f"/repos/{self.repository}/issues/{number}/comments"

        def already_posted() -> Any:
            for item in self.paginate(path, what=f"list the comments of #{number}"):
                if nonce in str(item.get("body") or ""):
                    return item
            return None

        response = self.request(
            "POST",
            path,
            json={"body": body},
            what=f"post the comment on #{number}",
            permission="pull-requests: write",
            recover=already_posted,
        )
        return _comment(response.json())

    def update_comment(self, comment_id: int, body: str) -> str:
        response = self.request(
            "PATCH",
            f"/repos/{self.repository}/issues/comments/{comment_id}",
            json={"body": body},
            what=f"update comment {comment_id}",
            permission="pull-requests: write",
        )
        return str(response.json().get("html_url", ""))

    def delete_comment(self, comment_id: int) -> None:
        try:
            self.request(
                "DELETE",
                f"/repos/{self.repository}/issues/comments/{comment_id}",
                what=f"delete comment {comment_id}",
                permission="pull-requests: write",
            )
        except PublishError as exc:
            if exc.status != 404:  # already gone: fine
                raise

    def post_status(
        self, sha: str, state: str, description: str, context: str, target_url: str | None
    ) -> None:
        payload = {"state": state, "description": description, "context": context}
        if target_url:
            payload["target_url"] = target_url
        self.request(
            "POST",
            f"/repos/{self.repository}/statuses/{sha}",
            json=payload,
            what=f"set the commit status on {sha[:7]}",
            permission="statuses: write",
        )

    def post_check_run(self, payload: dict[str, Any]) -> str:
        response = self.request(
            "POST",
            f"/repos/{self.repository}/check-runs",
            json=payload,
            what="create the check run",
            permission="checks: write",
        )
        return str(response.json().get("html_url", ""))

    def file_at(self, path: str, ref: str | None, *, limit: int = 1_000_000) -> str | None:
        """A file's text at ``ref`` (None: the default branch) through the contents API,
        or None when it is not there. ``mlci publish`` runs without a checkout of the
        pull request, and must read the base's mlci.yaml, not anything the PR wrote."""
        try:
            response = self.request(
                "GET",
                f"/repos/{self.repository}/contents/{path}",
                params={"ref": ref} if ref else None,
                headers={"Accept": "application/vnd.github.raw+json"},
                what=f"read {path} at {ref[:12] if ref else 'the default branch'}",
                permission="contents: read",
            )
        except PublishError as exc:
            if exc.status == 404:
                return None
            raise
        if len(response.content) > limit:
            raise PublishError(f"{path} at {ref or 'the default branch'} is over {limit} bytes")
        return response.content.decode("utf-8", errors="replace")

    def pull_base_sha(self, number: int) -> str | None:
        """The commit the pull request's base branch is at, from ``GET /pulls/{number}``."""
        try:
            response = self.request(
                "GET",
                f"/repos/{self.repository}/pulls/{number}",
                what=f"read pull request #{number}",
            )
        except PublishError as exc:
            raise self._no_pull(number) if exc.status == 404 else exc from None
        sha = (_json(response).get("base") or {}).get("sha")
        return sha if isinstance(sha, str) and _SHA.fullmatch(sha) else None

    def find_pull(self, head_sha: str, head_label: str | None) -> int | None:
        """The open pull request whose head is ``head_sha`` (``owner:branch`` narrows it)."""
        params: dict[str, Any] = {"state": "open", "per_page": 100}
        if head_label:
            params["head"] = head_label
        response = self.request(
            "GET", f"/repos/{self.repository}/pulls", params=params, what="find the pull request"
        )
        for pull in response.json():
            if (pull.get("head") or {}).get("sha") == head_sha:
                number = pull.get("number")
                return number if isinstance(number, int) else None
        return None


def _comment(item: dict[str, Any]) -> Comment:
    user = item.get("user") or {}
    return Comment(
        id=int(item["id"]),
        url=str(item.get("html_url", "")),
        body=str(item.get("body") or ""),
        login=str(user.get("login", "")),
        user_type=str(user.get("type", "")),
    )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _message(response: httpx.Response) -> str:
    message = _json(response).get("message")
    return str(message) if message else response.reason_phrase
