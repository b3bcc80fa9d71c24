"""The one place GitLab's REST API is used, through python-gitlab.

python-gitlab gives the endpoints, the auth header, the error types and the ``Link``
pagination. Its own retries are switched off (``retry_transient_errors=False`` on
the client, ``obey_rate_limit=False`` on every call), because as of 8.x:

* on 429 it sleeps whatever ``Retry-After`` says (an hour, if GitLab says an hour),
  with ``time.sleep`` from its own module (a test cannot replace it), up to 10 times;
  an HTTP-date ``Retry-After`` raises ``ValueError``;
* with transient retries on, it re-sends a POST after a 5xx: a note whose answer was
  lost would be posted twice.

So every call goes through :meth:`GitLab._call`, one loop like :mod:`mlci.github`'s:
5xx, 409 (GitLab's "another update ... is in progress" lock), 429 and connection
failures are retried with backoff or the server's wait, bounded in tries and total
time, with an injectable ``sleep``; a write whose answer was lost is looked up before
it is sent again. Every other answer becomes a :class:`PublishError` (exit 4) naming
the operation and the status, its text never holding the token.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import gitlab
import requests

from mlci import __version__
from mlci.errors import PublishError, clip, redact
from mlci.forge import backoff, retry_after_seconds
from mlci.gitlab.model import Note

T = TypeVar("T")

_RETRY_STATUSES = {409, 500, 502, 503, 504}
_PER_PAGE = 100  # GitLab's maximum


class GitLab:
    """A small client for one GitLab instance, with bounded retries."""

    def __init__(
        self,
        api_url: str,
        token: str,
        *,
        max_tries: int = 5,
        max_wait: float = 120.0,
        backoff: float = 1.0,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._token = token
        self._api_url = api_url.rstrip("/")
        self._max_tries = max_tries
        self._max_wait = max_wait
        self._backoff_base = backoff
        self._sleep = sleep
        # The last answer's headers: python-gitlab's errors carry the status and body
        # but not Retry-After, which the retry loop needs.
        self._last_headers: dict[str, str] = {}
        session = requests.Session()
        session.hooks["response"].append(self._remember)
        session.headers["User-Agent"] = f"mlci/{__version__}"
        # python-gitlab wants the instance root and adds /api/v4 itself.
        root = self._api_url.removesuffix("/api/v4")
        self._gl = gitlab.Gitlab(
            root,
            private_token=token,
            timeout=timeout,
            session=session,
            retry_transient_errors=False,
            keep_base_url=True,
        )

    def close(self) -> None:
        self._gl.session.close()

    def __enter__(self) -> GitLab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _remember(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._last_headers = {key.lower(): value for key, value in response.headers.items()}

    # --- the retry loop ----------------------------------------------------------------

    def _call(
        self,
        what: str,
        operation: Callable[[], T],
        *,
        recover: Callable[[], T | None] | None = None,
        accept: tuple[int, ...] = (),
    ) -> T:
        """Run ``operation`` (one python-gitlab call), retrying what may be retried.

        ``what`` names the operation in errors ("post the merge-request note").
        ``recover`` runs before a retry of a write whose answer was lost (a 5xx or a
        broken connection): if it finds the write applied, its result is returned.
        ``accept``: statuses raised to the caller as they are, for it to handle.
        """
        deadline = time.monotonic() + self._max_wait
        attempt = 0
        while True:
            attempt += 1
            self._last_headers = {}
            status: int | None
            try:
                return operation()
            except gitlab.GitlabError as exc:
                status = exc.response_code
                if status is None:
                    raise self._error(None, _text(exc), what) from None
                if status in accept:
                    raise
                wait = self._retry_wait(status, attempt)
                if wait is None:
                    raise self._error(status, _text(exc), what) from None
                failure = f"HTTP {status} {clip(redact(_text(exc), self._token), 300)}"
            except requests.RequestException as exc:
                status = None
                wait = self._backoff(attempt)
                failure = f"cannot reach {self._api_url}: {type(exc).__name__}"
            remaining = deadline - time.monotonic()
            if attempt >= self._max_tries or wait > remaining:
                hint = (
                    f"GitLab asked to wait {wait:.0f} s; the report is on disk, re-run the "
                    "job later"
                    if status is not None
                    else f"check the network and CI_API_V4_URL ({self._api_url}); the "
                    "report is on disk, re-run the job later"
                )
                raise PublishError(
                    redact(
                        f"could not {what}: GitLab still failing after {attempt} "
                        f"attempt(s) ({failure})",
                        self._token,
                    ),
                    hint=hint,
                    status=status,
                    operation=what,
                )
            self._sleep(wait)
            if recover is not None and (status is None or status >= 500):
                recovered = recover()
                if recovered is not None:
                    return recovered

    def _backoff(self, attempt: int) -> float:
        return backoff(self._backoff_base, attempt)

    def _retry_wait(self, status: int, attempt: int) -> float | None:
        """Seconds to wait before retrying, or None when the answer is final."""
        if status in _RETRY_STATUSES:
            return self._backoff(attempt)
        if status != 429:
            return None
        headers = self._last_headers
        if "retry-after" in headers:
            return retry_after_seconds(headers["retry-after"])
        if "ratelimit-reset" in headers:  # epoch seconds, GitLab's own header
            try:
                return max(0.0, float(headers["ratelimit-reset"]) - time.time()) + 1
            except ValueError:
                pass
        return float(60 * 2 ** (attempt - 1))

    def _error(self, status: int | None, message: str, what: str) -> PublishError:
        # Redacted before it is cut: a token GitLab echoes across the cut would leave
        # its first characters behind.
        message = clip(redact(message, self._token), 300)
        if status == 401:
            text = f"could not {what}: GitLab rejected the token (401 {message})"
            hint = (
                "the token is wrong, expired or revoked, or it is a CI job token, which "
                "cannot write notes or statuses: use a project access token with the "
                "`api` scope"
            )
        elif status == 403:
            text = f"could not {what}: the token is not allowed to (403 {message})"
            hint = (
                "the token needs the `api` scope (not `read_api`), and its user at least "
                "the Reporter role to post notes and the Developer role to set commit "
                "statuses"
            )
        elif status == 404:
            text = f"could not {what}: GitLab found no such project, merge request or commit "
            text += f"(404 {message})"
            hint = (
                "check CI_PROJECT_ID and CI_MERGE_REQUEST_IID, and that the token's user is "
                "a member of the project"
            )
        elif status in (400, 422):
            text = f"could not {what}: GitLab refused it ({status} {message})"
            hint = None
        elif status is None:
            text = f"could not {what}: {message}"
            hint = None
        else:
            text = f"could not {what}: GitLab answered {status} {message}"
            hint = None
        return PublishError(redact(text, self._token), hint=hint, status=status, operation=what)

    # --- operations --------------------------------------------------------------------

    def user_id(self) -> int:
        """The id of the token's own user: the author of the notes mlci may edit."""
        data = self._call(
            "identify the token's user",
            lambda: self._gl.http_get("/user", obey_rate_limit=False),
        )
        user_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(user_id, int) or isinstance(user_id, bool):
            raise PublishError("could not identify the token's user: GET /user has no id")
        return user_id

    def _notes_manager(self, project_id: str, iid: int) -> Any:
        project = self._gl.projects.get(project_id, lazy=True)
        return project.mergerequests.get(iid, lazy=True).notes

    def notes(self, project_id: str, iid: int) -> list[Note]:
        """Every note of the merge request, oldest first, across all pages."""
        manager = self._notes_manager(project_id, iid)

        def every_page() -> list[Note]:
            return [
                _note(item.attributes)
                for item in manager.list(
                    iterator=True,
                    per_page=_PER_PAGE,
                    sort="asc",
                    order_by="created_at",
                    obey_rate_limit=False,
                )
            ]

        return self._call(f"list the notes of merge request !{iid}", every_page)

    def create_note(self, project_id: str, iid: int, body: str, nonce: str) -> Note:
        """Post a note; ``nonce`` (unique to this post, inside ``body``) lets a retry after
        a lost answer find the note GitLab did create instead of posting it twice."""
        manager = self._notes_manager(project_id, iid)

        def already_posted() -> Note | None:
            for note in self.notes(project_id, iid):
                if nonce in note.body:
                    return note
            return None

        return self._call(
            f"post the note on merge request !{iid}",
            lambda: _note(manager.create({"body": body}, obey_rate_limit=False).attributes),
            recover=already_posted,
        )

    def update_note(self, project_id: str, iid: int, note_id: int, body: str) -> Note:
        manager = self._notes_manager(project_id, iid)
        return self._call(
            f"update note {note_id} on merge request !{iid}",
            lambda: _note(
                {"id": note_id, **manager.update(note_id, {"body": body}, obey_rate_limit=False)}
            ),
        )

    def delete_note(self, project_id: str, iid: int, note_id: int) -> None:
        manager = self._notes_manager(project_id, iid)
        try:
            self._call(
                f"delete note {note_id} on merge request !{iid}",
                lambda: manager.delete(note_id, obey_rate_limit=False),
                accept=(404,),
            )
        except gitlab.GitlabError as exc:  # 404: already gone, fine
            if exc.response_code != 404:
                raise

    def file_at(
        self, project_id: str, path: str, ref: str | None, *, limit: int = 1_000_000
    ) -> str | None:
        """A file's text at ``ref`` (None: the default branch), or None when it is not
        there. `mlci publish` checks out nothing of the merge request, and must read the
        base's mlci.yaml, not anything the merge request wrote."""
        files = self._gl.projects.get(project_id, lazy=True).files
        where = f"{path} at {ref[:12] if ref else 'the default branch'}"

        def read() -> bytes:
            chunks: list[bytes] = []
            size = 0
            for chunk in files.raw(
                path, ref=ref, streamed=True, iterator=True, obey_rate_limit=False
            ):
                size += len(chunk)
                if size > limit:
                    raise PublishError(f"{where} is over {limit} bytes")
                chunks.append(chunk)
            return b"".join(chunks)

        try:
            content = self._call(f"read {where}", read, accept=(404,))
        except gitlab.GitlabError as exc:  # 404: not there
            if exc.response_code != 404:
                raise
            return None
        return content.decode("utf-8", errors="replace")

    def post_status(
        self,
        project_id: str,
        sha: str,
        *,
        state: str,
        name: str,
        description: str,
        target_url: str | None,
        pipeline_id: int | None = None,
    ) -> None:
        payload: dict[str, str | int] = {"state": state, "name": name, "description": description}
        if target_url:
            payload["target_url"] = target_url
        if pipeline_id is not None:
            payload["pipeline_id"] = pipeline_id
        commit = self._gl.projects.get(project_id, lazy=True).commits.get(sha, lazy=True)
        self._call(
            f"set the commit status on {sha[:8]}",
            lambda: commit.statuses.create(payload, obey_rate_limit=False),
        )


def _note(item: dict[str, Any]) -> Note:
    author = item.get("author") or {}
    author_id = author.get("id") if isinstance(author, dict) else None
    return Note(
        id=int(item["id"]),
        body=str(item.get("body") or ""),
        author_id=author_id if isinstance(author_id, int) else -1,
        system=bool(item.get("system")),
    )


def _text(exc: gitlab.GitlabError) -> str:
    """GitLab's message: a string, or the validation shape ``{"field": ["problem"]}``."""
    message: Any = exc.error_message
    if isinstance(message, dict):
        parts = []
        for field, problems in message.items():
            listed = problems if isinstance(problems, list) else [problems]
            parts.append(f"{field} {' and '.join(map(str, listed))}")
        return "; ".join(parts)
    return str(message).strip() or "no message"
