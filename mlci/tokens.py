"""The GitHub token's way through mlci: out of every process that runs pull-request code.

`mlci ci` needs the token to post the comment and the status, and it runs the pull
request's own code (DVC stages, the project's tests) as child processes. Removing the
token from the children's environment (:func:`mlci.git.clean_env`) is not enough: a
child can read ``/proc/<pid>/environ`` of its parent, which shows the environment the
parent was *started* with, whatever it deleted from ``os.environ`` since. So before
any child starts, mlci replaces itself (:func:`reexec_without_secrets`): the same
interpreter and arguments, ``execve``'d with every secret variable removed, the token
handed over on an inherited pipe whose descriptor number is in ``$MLCI_TOKEN_FD``. The
new process (same pid) reads it once, closes the pipe (:func:`receive`), masks it in
the log and keeps it in memory only. Its ``/proc/<pid>/environ`` has no token.

What this cannot do: the process that started mlci (the step's shell) still holds the
token in its environment if the step gave it one. That is why the composite action
runs the check in a step without the token and publishes in the next, and why only the
two-job workflow `mlci init` writes fully isolates the token: in one job, a process the
pull request starts can outlive its step and read the next one's.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from mlci.git.repo import SECRET_VARS

FD_VAR = "MLCI_TOKEN_FD"

# Started with `-c`, not `-m mlci`: `-m` would put the working directory (the pull
# request's checkout) first on sys.path, and a PR's own `mlci/` folder would then be
# imported by the very process that holds the token. `-c` puts '' there: removed.
_BOOT = "import sys\nwhile '' in sys.path: sys.path.remove('')\nfrom mlci.cli import main\nmain()"


def receive() -> str | None:
    """The token handed over by the process this one replaced, or None when there is none.

    Read once, at start-up, before anything else runs: the pipe is closed at once and
    the variable dropped, so no child inherits either. The variable carries the pid it
    was meant for (``execve`` keeps the pid): a stray ``MLCI_TOKEN_FD`` in someone's
    environment is ignored rather than read from.
    """
    handed = os.environ.pop(FD_VAR, None)
    if handed is None:
        return None
    fd_text, _, pid = handed.partition(":")
    if not fd_text.isdigit() or pid != str(os.getpid()):
        return None
    fd = int(fd_text)
    chunks: list[bytes] = []
    try:
        while chunk := os.read(fd, 4096):
            chunks.append(chunk)
    except OSError:
        return None
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)
    return b"".join(chunks).decode("utf-8", errors="replace")


def reexec_without_secrets(
    hand_over: str | None,
    *,
    warn: Callable[[str], None],
    extra: Iterable[str] = (),
) -> None:
    """Replace this process by a fresh mlci without any secret in its environment.

    ``hand_over`` names the variable whose value the new process gets on a pipe (the
    token `mlci ci` publishes with); every other secret variable (:data:`SECRET_VARS`,
    ``extra``) is simply dropped. Returns only when there is nothing to hide or the
    process cannot be replaced (not POSIX, no interpreter path, execve failed): then
    ``warn`` says so and mlci goes on as before, hiding the token from its children's
    environment only. No loop: the new environment holds none of the variables that
    lead here.
    """
    names = set(SECRET_VARS) | set(extra) | ({hand_over} if hand_over else set())
    present = sorted(name for name in names if name in os.environ)
    if not present:
        return
    where = ", ".join(f"${name}" for name in present)
    if os.name != "posix" or not sys.executable:
        warn(
            f"cannot restart mlci without {where} on this platform; the pipeline's "
            "stages could read it from mlci's process environment"
        )
        return
    env = {key: value for key, value in os.environ.items() if key not in names}
    token = os.environ.get(hand_over, "") if hand_over else ""
    read_fd = None
    data = token.encode()
    if data:
        if len(data) > select.PIPE_BUF:
            warn(f"${hand_over} is too long to hand over ({len(data)} bytes); kept as it is")
            return
        read_fd, write_fd = os.pipe()
        os.write(write_fd, data)  # at most PIPE_BUF bytes: written at once, never blocks
        os.close(write_fd)
        os.set_inheritable(read_fd, True)
        env[FD_VAR] = f"{read_fd}:{os.getpid()}"
    argv = [sys.executable, "-c", _BOOT, *sys.argv[1:]]
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    try:
        os.execve(sys.executable, argv, env)
    except OSError as exc:
        if read_fd is not None:
            os.close(read_fd)
        warn(
            f"could not restart mlci without {where} ({exc.strerror}); the pipeline's "
            "stages could read it from mlci's process environment"
        )


def ancestors_holding(value: str) -> list[tuple[int, str]]:
    """(pid, name) of the processes above this one whose environment holds ``value``.

    On Linux, a pipeline stage can read these as easily as mlci's own; mlci cannot
    clean them, only say so. Processes that cannot be read (another user's) are skipped.
    """
    found: list[tuple[int, str]] = []
    if not value or not Path("/proc/self").is_dir():
        return found
    needle = value.encode()
    pid = os.getppid()
    seen: set[int] = set()
    while pid > 1 and pid not in seen:
        seen.add(pid)
        try:
            if needle in Path(f"/proc/{pid}/environ").read_bytes():
                comm = Path(f"/proc/{pid}/comm").read_text(encoding="utf-8", errors="replace")
                found.append((pid, comm.strip()))
        except OSError:
            pass
        pid = _parent_of(pid)
    return found


def _parent_of(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
        # pid (comm) state ppid ...: comm may hold spaces and parentheses.
        return int(stat.rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0
