"""What both forge emulators share: an HTTP server on 127.0.0.1 served on a thread.

``GitHubServer`` and ``GitLabServer`` subclass :class:`LocalServer`; each names its
request handler and the attribute of the HTTP server through which the handler
reaches the emulator (``self.server.github``, ``self.server.gitlab``).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar, TypeVar

S = TypeVar("S", bound="LocalServer")


class LocalServer:
    """Start on a free port, serve on a daemon thread, stop and join; a context manager."""

    handler: ClassVar[type[BaseHTTPRequestHandler]]
    server_attribute: ClassVar[str]  # the handler's `self.server.<this>` is the emulator

    def __init__(self) -> None:
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
