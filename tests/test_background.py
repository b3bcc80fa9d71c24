"""mlci.background: a computation forked onto another core, or run here when it cannot be.

Each test observes where the function ran by its process id: a forked child has
another one."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Repo
from test_data_flow import CONFIG, people

from mlci import background
from mlci.background import Inbox

PARENT = os.getpid()

needs_two_cores = pytest.mark.skipif(
    len(os.sched_getaffinity(0)) < 2, reason="mlci forks only with two cores or more"
)


@pytest.fixture(autouse=True)
def _forks_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(background.NO_FORK, raising=False)


def pid(_inbox: Inbox[None]) -> int:
    return os.getpid()


@needs_two_cores
def test_the_function_runs_in_a_child_and_its_value_comes_back() -> None:
    with background.start(pid) as pending:
        assert pending.forked
        assert pending.result() not in (PARENT, None)
        assert pending.result() == pending.result()  # asked twice, computed once


@needs_two_cores
def test_the_child_yields_the_cores_to_the_parent() -> None:
    def niceness(_inbox: Inbox[None]) -> int:
        return os.nice(0)

    with background.start(niceness) as pending:
        assert pending.result() > os.nice(0)


@needs_two_cores
def test_what_is_given_later_reaches_the_waiting_child() -> None:
    def double(inbox: Inbox[bytes]) -> tuple[int, int]:
        return os.getpid(), len(inbox.get()) * 2

    big = b"x" * (1 << 20)  # past a pipe's buffer: give() waits for the child to read
    with background.start(double) as pending:
        pending.give(big)
        child, doubled = pending.result()
    assert child != PARENT
    assert doubled == 2 << 20


@needs_two_cores
@pytest.mark.parametrize(
    "failure",
    [
        "raises",  # the function raises in the child only
        "killed",  # the child dies of a signal
        "unpicklable",  # its value cannot cross the pipe
    ],
)
def test_whatever_fails_in_the_child_the_function_runs_here(failure: str) -> None:
    def flaky(_inbox: Inbox[None]) -> Any:
        if os.getpid() == PARENT:
            return ("here", os.getpid())
        if failure == "raises":
            raise OSError("only in the child")
        if failure == "killed":
            os.kill(os.getpid(), signal.SIGKILL)
        return lambda: None

    with background.start(flaky) as pending:
        assert pending.forked
        assert pending.result() == ("here", PARENT)


@needs_two_cores
def test_an_exception_of_the_function_is_raised_here_as_it_is() -> None:
    def broken(inbox: Inbox[str]) -> None:
        raise KeyError(inbox.get())

    with background.start(broken) as pending:
        pending.give("the key")
        with pytest.raises(KeyError, match="the key"):
            pending.result()


@needs_two_cores
def test_a_child_that_never_asks_its_inbox_is_not_disturbed_by_no_give() -> None:
    with background.start(pid) as pending:
        assert pending.result() != PARENT


def _links(pid: int, *kinds: str) -> set[str]:
    """The pipes or sockets (``pipe:[inode]``) process ``pid`` has open."""
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            link = str(fd.readlink())
            if link.startswith(kinds):
                found.add(link)
    return found


def _socket_inodes(pid: int) -> set[str]:
    return _links(pid, "socket:")


def _ready(marker: Path) -> Callable[[Inbox[Any]], Any]:
    """A function that marks that it runs (its channels are set up), then returns what
    its inbox is given."""

    def receive(inbox: Inbox[Any]) -> Any:
        marker.touch()
        return inbox.get()

    return receive


def _started(marker: Path) -> None:
    while not marker.exists():
        os.sched_yield()


@needs_two_cores
def test_another_process_of_the_user_cannot_write_into_a_childs_inbox(tmp_path: Path) -> None:
    """A pull request's stage runs as the same user while the children wait: it must
    not be able to hand them a pickle of its own through /proc/<pid>/fd."""
    forged = pickle.dumps("forged by the stage")
    before = _links(os.getpid(), "pipe:", "socket:")  # the test's own: not to be touched
    with background.start(_ready(tmp_path / "ready")) as pending:
        assert pending.pid is not None
        _started(tmp_path / "ready")
        channels, opened = [], []
        for fd in Path(f"/proc/{pending.pid}/fd").iterdir():
            link = str(fd.readlink())
            if not link.startswith(("pipe:", "socket:")) or link in before:
                continue
            channels.append(link)
            try:  # what a stage of the same user can try
                written = os.open(fd, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                continue
            with contextlib.suppress(OSError):
                os.write(written, forged)
            os.close(written)
            opened.append(link)
        pending.give("given by mlci")
        assert pending.result() == "given by mlci"
    assert channels  # the child has channels of its own ...
    assert opened == []  # ... and none of them opens from outside


@needs_two_cores
def test_a_later_child_holds_none_of_the_channels_of_an_earlier_one(tmp_path: Path) -> None:
    """Else closing an earlier child's inbox would not end its wait."""
    with background.start(_ready(tmp_path / "first")) as first:
        _started(tmp_path / "first")
        mine = _socket_inodes(os.getpid())
        with background.start(_ready(tmp_path / "second")) as second:
            _started(tmp_path / "second")
            assert first.pid is not None and second.pid is not None
            assert not _socket_inodes(second.pid) & (mine - _socket_inodes(first.pid))
            with pytest.raises(RuntimeError, match=r"get\(\) before give\(\)"):
                first.result()  # its inbox closed: it ends, and the rerun here says why


@needs_two_cores
def test_a_child_stopped_early_removes_its_temporary_folders(tmp_path: Path) -> None:
    def hold_a_folder(inbox: Inbox[None]) -> None:
        with tempfile.TemporaryDirectory(dir=tmp_path):
            inbox.get()

    with background.start(hold_a_folder) as pending:
        assert pending.forked
        while not list(tmp_path.iterdir()):  # the child made its folder
            os.sched_yield()
    assert list(tmp_path.iterdir()) == []


def test_with_another_thread_running_it_runs_here(monkeypatch: pytest.MonkeyPatch) -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        with background.start(pid) as pending:
            assert not pending.forked
            assert pending.result() == PARENT
    finally:
        stop.set()
        thread.join()


def test_when_fork_fails_it_runs_here_and_no_pipe_is_left_open(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_more_processes() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_more_processes)
    monkeypatch.setattr(background, "can_fork", lambda: True)
    before = sorted(p.name for p in Path("/proc/self/fd").iterdir())
    with background.start(pid) as pending:
        assert not pending.forked
        assert pending.result() == PARENT
    assert sorted(p.name for p in Path("/proc/self/fd").iterdir()) == before


def test_mlci_no_fork_runs_it_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(background.NO_FORK, "1")
    with background.start(pid) as pending:
        assert not pending.forked
        assert pending.result() == PARENT


def test_here_the_inbox_holds_what_was_given() -> None:
    def echo(inbox: Inbox[str]) -> tuple[int, str]:
        return os.getpid(), inbox.get()

    pending = background.start(echo, fork=False)
    pending.give("base files")
    assert pending.result() == (PARENT, "base files")
    with pytest.raises(RuntimeError, match=r"get\(\) before give\(\)"):
        background.start(echo, fork=False).result()


@needs_two_cores
def test_leaving_the_block_stops_a_child_still_waiting() -> None:
    def wait(inbox: Inbox[None]) -> None:
        inbox.get()

    with background.start(wait) as pending:
        child = pending.pid
        assert child is not None
    assert not pending.forked
    with pytest.raises(ChildProcessError):  # reaped: no zombie left behind
        os.waitpid(child, os.WNOHANG)


@needs_two_cores
def test_output_buffered_before_the_fork_is_written_once(
    capfd: pytest.CaptureFixture[str],
) -> None:
    sys.stdout.write("before the fork\n")  # in the buffer, not yet written
    with background.start(pid) as pending:
        pending.result()
    assert capfd.readouterr().out.count("before the fork") == 1


# --- `mlci check`: the same results whether the computations fork or not -------------


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The process ids os.fork returned to this process while the test ran."""
    children: list[int] = []
    real_fork: Callable[[], int] = os.fork

    def counted() -> int:
        child = real_fork()
        if child:
            children.append(child)
        return child

    monkeypatch.setattr(os, "fork", counted)
    yield children


def _results(root: Path) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((root / "mlci-results.json").read_text())
    return found


def _check_twice(
    root: Path, run: Callable[[], Any], monkeypatch: pytest.MonkeyPatch, forks: list[int]
) -> tuple[dict[str, Any], dict[str, Any]]:
    run()
    forked = _results(root)
    assert forks, "the check forked nothing"
    monkeypatch.setenv(background.NO_FORK, "1")
    count = len(forks)
    run()
    assert len(forks) == count
    return forked, _results(root)


@needs_two_cores
def test_a_check_with_data_checks_and_drift_forks_and_finds_the_same(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, forks: list[int]
) -> None:
    repo.git("checkout", "--quiet", "main")
    repo.commit("data on main", {"mlci.yaml": CONFIG, "data/people.csv": people(600)})
    repo.git("checkout", "--quiet", "-B", "feature")
    repo.gen({"data/people.csv": people(600, shift=40) + "600,,xx\n"})

    forked, here = _check_twice(repo.root, lambda: repo.mlci("check"), monkeypatch, forks)
    assert forked["data"] == here["data"]
    [dataset] = here["data"]
    assert dataset["drift"]["outcome"] == "fail"  # age moved by 40 years
    failed = {(c["column"], c["check"]) for c in dataset["checks"] if c["outcome"] == "fail"}
    assert failed == {("age", "nulls"), ("country", "allowed")}  # the last row


@needs_two_cores
def test_the_demo_forks_and_finds_the_same_predictions_and_data(
    demo_ws: Path, monkeypatch: pytest.MonkeyPatch, forks: list[int]
) -> None:
    from click.testing import CliRunner

    from mlci.cli import cli

    project = demo_ws / "project"
    monkeypatch.chdir(project)

    def check() -> None:
        done = CliRunner().invoke(cli, ["check", "--no-tests"], catch_exceptions=False)
        assert done.exit_code == 0, done.output

    forked, here = _check_twice(project, check, monkeypatch, forks)
    assert forked["predictions"] == here["predictions"]
    assert forked["metrics"] == here["metrics"]
    assert forked["data"] == here["data"]
    assert here["predictions"]["rows"] > 0


def test_no_temporary_folder_is_left_behind_by_a_forked_check(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    repo.git("checkout", "--quiet", "main")
    repo.commit("data on main", {"mlci.yaml": CONFIG, "data/people.csv": people(300)})
    repo.git("checkout", "--quiet", "-B", "feature")
    repo.gen({"data/people.csv": people(300, shift=5)})
    repo.mlci("check")
    assert _results(repo.root)["data"][0]["drift"] is not None
    assert list(scratch.iterdir()) == []
