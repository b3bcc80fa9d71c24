"""Computations that need no DVC, run in a forked child on another core while this
process goes on reading through DVC.

`mlci check` spends most of its time in DVC's pure-Python code (its import, `dvc
status`, index builds, reads), which holds the GIL; the data checks, the drift
statistics and the paired bootstrap are DuckDB and numpy work over files already on
disk. On a thread they convoy on the GIL (measured: slower than in turn); a child
started with ``python -m`` imports mlci, DuckDB and numpy again (+0.17 s). A fork
starts in a few milliseconds with every module already imported, and its result
comes back pickled through a pipe (benchmarks/RESULTS.md has the figures).

A computation may need something only this process can get later (the base's
files, which DVC fetches): it starts at once with what it has (the head's checks,
its imports), then takes the rest from its :class:`Inbox`, which blocks until
:meth:`Pending.give` sends it.

:func:`start` forks only where that is safe and useful, and otherwise runs the
function here, when its result is asked for:

- ``os.fork`` exists (not on Windows) and this process may run on two cores or more;
- no other Python thread is running: a fork copies only the calling thread, and a
  lock another thread holds (logging's, an HTTP server's) would stay locked in the
  child for ever;
- ``MLCI_NO_FORK`` is not set (to debug a check in one process, e.g. under pdb).

The caller keeps the rest of the contract: the function touches no DVC object (DVC's
state database is an SQLite connection, which must not cross a fork) and no DuckDB
connection opened before the fork, and it runs no pull-request code: it only reads
files and computes.

Whatever goes wrong in the child (the function raises, its result cannot be
pickled, the child is killed), the function runs again in this process, so the
exception raised, or the value returned, is the one an in-process run gives.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Generic, TypeVar

V = TypeVar("V")
T = TypeVar("T")

NO_FORK = "MLCI_NO_FORK"
NICENESS = 10


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether :func:`start` would run its function in a forked child now."""
    return (
        hasattr(os, "fork")
        and not os.environ.get(NO_FORK)
        and threading.active_count() == 1
        and _cores() >= 2
    )


class Inbox(Generic[V]):
    """What the function is given after it started (:meth:`Pending.give`)."""

    def __init__(self) -> None:
        self._pipe: int | None = None  # in the child: the read end of the parent's pipe
        self._given = False
        self._value: V | None = None

    def get(self) -> V:
        """The value given, waiting for it in a child."""
        if self._pipe is not None:  # pragma: no cover - runs in the child
            with os.fdopen(self._pipe, "rb") as pipe:
                self._pipe = None
                self._value, self._given = pickle.load(pipe), True
        if not self._given:
            raise RuntimeError("mlci.background: get() before give()")
        return self._value  # type: ignore[return-value]


class Pending(Generic[V, T]):
    """A function's result, being computed in a child (or, failing that, to be
    computed here by :meth:`result`). Use it as a context manager: leaving the block
    stops a child whose result nobody asked for."""

    def __init__(self, function: Callable[[Inbox[V]], T], *, fork: bool = True) -> None:
        self._function = function
        self._inbox: Inbox[V] = Inbox()
        self._pid: int | None = None
        self._results: int | None = None  # read end: the child's pickled value
        self._gifts: int | None = None  # write end: what give() sends
        self._done = False
        self._value: T | None = None
        if fork and can_fork():
            self._fork()

    @property
    def forked(self) -> bool:
        """True while a child computes the function."""
        return self._pid is not None

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        return self._pid

    def _fork(self) -> None:
        for stream in (sys.stdout, sys.stderr):  # nothing buffered is written twice
            with contextlib.suppress(Exception):
                stream.flush()
        fds: list[int] = []
        try:
            fds += os.pipe()
            fds += os.pipe()
            pid = os.fork()
        except OSError:  # out of file descriptors, processes or memory: run here
            for fd in fds:
                os.close(fd)
            return
        results_read, results_write, gifts_read, gifts_write = fds
        if pid == 0:  # pragma: no cover - the child; os._exit saves no coverage
            code = 1
            try:
                os.close(results_read)
                os.close(gifts_write)
                # Nothing inherited is collected here (its finalizers are the parent's).
                gc.freeze()
                # Below the parent, which holds the run's critical path (DVC's reads):
                # when three processes want two cores, the kernel lets the parent go on.
                with contextlib.suppress(OSError):
                    os.nice(NICENESS)
                self._inbox._pipe = gifts_read
                payload = pickle.dumps(
                    self._function(self._inbox), protocol=pickle.HIGHEST_PROTOCOL
                )
                with os.fdopen(results_write, "wb") as out:
                    out.write(payload)
                code = 0
            except BaseException:  # the parent runs the function again, and sees why
                pass
            finally:
                os._exit(code)  # no atexit, and no `with` of the parent's frames unwound
        os.close(results_write)
        os.close(gifts_read)
        self._pid, self._results, self._gifts = pid, results_read, gifts_write

    def give(self, value: V) -> None:
        """Send the function what its :meth:`Inbox.get` waits for."""
        self._inbox._value, self._inbox._given = value, True
        if self._gifts is not None:
            try:
                with os.fdopen(self._gifts, "wb") as pipe:
                    self._gifts = None
                    pickle.dump(value, pipe, protocol=pickle.HIGHEST_PROTOCOL)
            except (BrokenPipeError, pickle.PicklingError, TypeError, AttributeError):
                pass  # the child is gone or cannot have it: result() computes it here

    def result(self) -> T:
        """The function's value (or its exception), waiting for the child if needed."""
        if self._done:
            return self._value  # type: ignore[return-value]
        value = self._collect() if self._pid is not None else None
        if value is None:
            value = (self._function(self._inbox),)
        self._done, self._value = True, value[0]
        return value[0]

    def _collect(self) -> tuple[T] | None:
        """The child's value, or None when it did not deliver one."""
        assert self._pid is not None and self._results is not None
        if self._gifts is not None:  # never given: an inbox read in the child fails
            os.close(self._gifts)
            self._gifts = None
        with os.fdopen(self._results, "rb") as pipe:
            self._results = None
            payload = pipe.read()
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0 or not payload:
            return None
        try:
            return (pickle.loads(payload),)  # our own child wrote it
        except Exception:  # a value that does not unpickle: compute it here
            return None

    def close(self) -> None:
        """Stop and reap a child still running."""
        for end in ("_results", "_gifts"):
            fd = getattr(self, end)
            if fd is not None:
                os.close(fd)
                setattr(self, end, None)
        if self._pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self._pid, 0)
            self._pid = None

    def __enter__(self) -> Pending[V, T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def start(function: Callable[[Inbox[V]], T], *, fork: bool = True) -> Pending[V, T]:
    """Start ``function`` in a forked child where :func:`can_fork` allows (and
    ``fork`` is true), else keep it to run here when its result is asked for. It
    takes what :meth:`Pending.give` sends from its inbox."""
    return Pending(function, fork=fork)
