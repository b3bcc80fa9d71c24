"""What both forge emulators share: an HTTP server on 127.0.0.1 served on a thread.

``GitHubServer`` and ``GitLabServer`` subclass :class:`LocalServer`; each names its
request handler and the attribute of the HTTP server through which the handler
reaches the emulator (``self.server.github``, ``self.server.gitlab``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Generic, TypeVar

FS = TypeVar("FS", bound="Failure")


@dataclass
class Failure:
    """An injected failure: answer ``status`` (and ``body``, ``headers``) to the next
    ``times`` requests whose method and path match; ``apply``: do the request first
    (a lost response)."""

    method: str
    pattern: re.Pattern[str]
    status: int
    body: Any
    headers: dict[str, str]
    times: int
    apply: bool

    @classmethod
    def scripted(
        cls: type[FS],
        method: str,
        path_regex: str,
        status: int,
        *,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
        apply: bool = False,
        **extra: Any,
    ) -> FS:
        """The failure a test scripts: the method in capitals ("*": any), the path as
        a regular expression, header names in lower case."""
        return cls(
            method=method.upper(),
            pattern=re.compile(path_regex),
            status=status,
            body=body,
            headers={k.lower(): str(v) for k, v in (headers or {}).items()},
            times=times,
            apply=apply,
            **extra,
        )

    def matches(self, method: str, path: str, path_with_query: str) -> bool:
        if self.method not in ("*", method):
            return False
        return bool(self.pattern.search(path) or self.pattern.search(path_with_query))


F = TypeVar("F", bound=Failure)
S = TypeVar("S", bound="LocalServer[Any]")


class LocalServer(Generic[F]):
    """Start on a free port, serve on a daemon thread, stop and join; a context manager.
    Failures injected by the subclass's seeding methods are taken in order."""

    handler: ClassVar[type[BaseHTTPRequestHandler]]
    server_attribute: ClassVar[str]  # the handler's `self.server.<this>` is the emulator

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._failures: list[F] = []
        self._url: str | None = None
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The server's root, e.g. ``http://127.0.0.1:PORT`` (no trailing slash)."""
        if self._url is None:
            raise RuntimeError(f"{type(self).__name__}.url is only known after start()")
        return self._url

    def _started(self) -> None:
        """Called once the url is known, before the first request is served."""

    def start(self: S) -> S:
        if self._httpd is not None:
            return self
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), self.handler)
        httpd.daemon_threads = True
        setattr(httpd, self.server_attribute, self)
        self._httpd = httpd
        self._url = f"http://127.0.0.1:{httpd.server_address[1]}"
        self._started()
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"fake-{self.server_attribute}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self: S) -> S:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _add_failure(self, failure: F) -> None:
        if failure.times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._failures.append(failure)

    def _take_failure(self, method: str, path: str, path_with_query: str) -> F | None:
        """The first injected failure for this request (spent once more), or None."""
        with self._lock:
            for failure in self._failures:
                if failure.matches(method, path, path_with_query):
                    failure.times -= 1
                    if failure.times == 0:
                        self._failures.remove(failure)
                    return failure
        return None
