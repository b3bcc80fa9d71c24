"""Computations that need no DVC, run in a forked child on another core while this
process goes on reading through DVC.

`mlci check` spends most of its time in DVC's pure-Python code (its import, `dvc
status`, index builds, reads), which holds the GIL; the data checks, the drift
statistics and the paired bootstrap are DuckDB and numpy work over files already on
disk. On a thread they convoy on the GIL (measured: slower than in turn); a child
started with ``python -m`` imports mlci, DuckDB and numpy again (+0.17 s). A fork
starts in a few milliseconds with every module already imported, and its result
comes back pickled (benchmarks/RESULTS.md has the figures). The child runs at
niceness 10: when it and this process want the same core, this process, which holds
the run's critical path, goes first.

A computation may need something only this process can get later (the head's files
once the pipeline has run, the base's once DVC has fetched them): it starts at once
with what it has (its imports, a DuckDB database), then takes the rest from its
:class:`Inbox`, which blocks until :meth:`Pending.give` sends it.

:func:`start` forks only where that is safe and useful, and otherwise runs the
function here, when its result is asked for:

- ``os.fork`` exists (not on Windows) and this process may run on two cores or more;
- no other Python thread is running: a fork copies only the calling thread, and a
  lock another thread holds (logging's, an HTTP server's) would stay locked in the
  child for ever (threads started by C libraries are not seen: the callers fork
  before DuckDB or DVC's network code run here);
- ``MLCI_NO_FORK`` is not set (to debug a check in one process, e.g. under pdb).

The caller keeps the rest of the contract: the function touches no DVC object (DVC's
state database is an SQLite connection, which must not cross a fork) and no DuckDB
connection opened before the fork, and it runs no pull-request code: it only reads
files and computes.

The pull request's code does run meanwhile (``dvc repro``), as the same user: the
channels are Unix socket pairs, not pipes, because a process of the same user can
open another's pipes through ``/proc/<pid>/fd`` and so write a pickle for mlci to
load, and a socket cannot be opened that way (ENXIO). A child also closes the
channels of the children forked before it, so that each inbox has one writer.

Whatever goes wrong in the child (the function raises, its result cannot be
pickled, the child is killed), the function runs again in this process, so the
exception raised, or the value returned, is the one an in-process run gives.
Leaving a :class:`Pending`'s block without its result closes the child's inbox, so
a child waiting there unwinds (its temporary folders removed), and kills a child
still busy after :data:`GRACE` seconds.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Generic, TypeVar

V = TypeVar("V")
T = TypeVar("T")

NO_FORK = "MLCI_NO_FORK"
NICENESS = 10
GRACE = 2.0  # seconds a child stopped early has to remove its temporary folders

# This process's ends of every child's channels: a new child closes them, so that an
# inbox has one writer (this process) and its end of file comes when this process
# closes it.
_OPEN: set[socket.socket] = set()
_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def can_fork() -> bool:
    """Whether :func:`start` would run its function in a forked child now."""
    return (
        hasattr(os, "fork")
        and not os.environ.get(NO_FORK)
        and threading.active_count() == 1
        and available_cores() >= 2
    )


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


class Inbox(Generic[V]):
    """What the function is given after it started (:meth:`Pending.give`)."""

    def __init__(self) -> None:
        self._channel: socket.socket | None = None  # in the child: from the parent
        self._given = False
        self._value: V | None = None

    def get(self) -> V:
        """The value given, waiting for it in a child."""
        if self._channel is not None:  # pragma: no cover - runs in the child
            payload = _read_all(self._channel)
            self._channel.close()
            self._channel = None
            if not payload:
                raise EOFError("mlci.background: the parent gave nothing")
            self._value, self._given = pickle.loads(payload), True
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
        self._results: socket.socket | None = None  # the child's pickled value comes here
        self._gifts: socket.socket | None = None  # what give() sends goes there
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
        ends: list[socket.socket] = []
        # Ctrl-C between fork() and the child's `try` would unwind this process's
        # stack in the child (its `with` blocks, its temporary folders): held until
        # each side is ready for it.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
        try:
            try:
                ends += socket.socketpair()
                ends += socket.socketpair()
                pid = os.fork()
            except OSError:  # out of descriptors, processes or memory: run here
                for end in ends:
                    end.close()
                return
            results_here, results_there, gifts_here, gifts_there = ends
            if pid == 0:  # pragma: no cover - the child; os._exit saves no coverage
                self._child(results_there, gifts_there, (results_here, gifts_here), blocked)
            results_there.close()
            gifts_there.close()
            self._pid, self._results, self._gifts = pid, results_here, gifts_here
            _OPEN.update((results_here, gifts_here))
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

    def _child(  # pragma: no cover - runs in the child
        self,
        results: socket.socket,
        gifts: socket.socket,
        parent_ends: tuple[socket.socket, ...],
        blocked: set[int | signal.Signals],
    ) -> None:
        code = 1
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            for end in (*parent_ends, *_OPEN):
                end.close()
            _OPEN.clear()
            # Nothing inherited is collected here (its finalizers are the parent's).
            gc.freeze()
            with contextlib.suppress(OSError):
                os.nice(NICENESS)
            self._inbox._channel = gifts
            payload = pickle.dumps(self._function(self._inbox), protocol=pickle.HIGHEST_PROTOCOL)
            results.sendall(payload)
            results.close()
            code = 0
        except BaseException:  # the parent runs the function again, and sees why
            pass
        finally:
            os._exit(code)  # no atexit, and no `with` of the parent's frames unwound

    def give(self, value: V) -> None:
        """Send the function what its :meth:`Inbox.get` waits for."""
        self._inbox._value, self._inbox._given = value, True
        if self._gifts is not None:
            gifts, self._gifts = self._gifts, None
            _OPEN.discard(gifts)
            try:
                gifts.sendall(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
            except (OSError, pickle.PicklingError, TypeError, AttributeError):
                pass  # the child is gone or cannot have it: result() computes it here
            finally:
                gifts.close()

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
        self._close_gifts()  # never given: an inbox read in the child ends
        results, self._results = self._results, None
        _OPEN.discard(results)
        with results:
            payload = _read_all(results)
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0 or not payload:
            return None
        try:
            return (pickle.loads(payload),)  # from our own child, on a channel of ours
        except Exception:  # a value that does not unpickle: compute it here
            return None

    def _close_gifts(self) -> None:
        if self._gifts is not None:
            _OPEN.discard(self._gifts)
            self._gifts.close()
            self._gifts = None

    def close(self) -> None:
        """Stop a child still running: its inbox closed, it unwinds (removing its
        temporary folders) if it waits there; killed if still busy after
        :data:`GRACE` seconds. Then reaped."""
        self._close_gifts()
        if self._results is not None:
            _OPEN.discard(self._results)
            self._results.close()
            self._results = None
        if self._pid is None:
            return
        pid, self._pid = self._pid, None
        deadline = time.monotonic() + GRACE
        while time.monotonic() < deadline:
            try:
                if os.waitpid(pid, os.WNOHANG)[0]:
                    return
            except ChildProcessError:
                return
            time.sleep(0.01)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)

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
