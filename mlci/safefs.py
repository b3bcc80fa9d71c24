"""The one rule for touching files a pull request controls: stay inside the checkout.

The pull request controls every file in the work tree: it can commit a symlink as
``metrics.json`` that points at ``/etc/passwd`` or at a FIFO, a data rule with
``path: ../../creds.csv``, or a ``report.md`` that is a symlink to a file mlci would
then overwrite. Every read and write of such a file goes through this module:

- **Reading** (:func:`read_bytes`, :func:`read_text`, :func:`check_file`): the path is
  resolved with every symlink and ``..`` followed and must land inside ``boundary``
  (the git work tree's root, resolved); only regular files are read (a FIFO, socket,
  device or directory is refused, so nothing can block the run); and a file above
  ``max_bytes`` is refused. The file is opened with ``O_NONBLOCK`` and checked again
  on the open descriptor (``fstat``), so a file swapped between the check and the
  open can neither hang the read nor lead it outside. A refusal is an
  :class:`UnsafePathError` whose message names the reason, never the file's content
  (nor the target of a symlink: that is host layout the report has no need of).
- **Writing** (:func:`write_text`): the text goes to a temporary file in the same
  folder, which then replaces the name with ``os.replace``: an existing symlink at
  the name is replaced, never followed.

What it cannot promise: files that another program opens by name after the check
(DuckDB reading a data file) could be swapped in between by a process the pull
request left running; the check still runs first, so a stale symlink or a FIFO
committed to the branch is refused.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

from mlci.errors import MlciError, UsageError

# Metrics, params, plots, mlci.yaml and JUnit XML: far above any real one, far below
# what would exhaust a runner's memory when read whole.
DEFAULT_MAX_BYTES = 50_000_000
# Data files for the data checks are streamed by DuckDB, never held whole: no limit.
DATA_MAX_BYTES: int | None = None

OUTSIDE = (
    "it resolves outside the repository (through a symlink or '..'); "
    "mlci reads only files inside the checkout"
)


class UnsafePathError(MlciError):
    """A file mlci will not read: outside the repository, not a regular file, or too large.

    ``path`` is the name as the caller gave it; the message is only the reason, so
    callers put it after their own naming of the file ("cannot read X at head: …").
    """

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(reason)
        self.path = Path(path)
        self.reason = reason


def work_tree_root(start: Path) -> Path:
    """The git work tree holding ``start`` (its resolved root), or ``start`` outside git.

    The boundary for every read: a work tree's ``.git`` is a folder, or a file in a
    linked worktree or submodule.
    """
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def dvc_root(start: Path, stop: Path | None = None) -> Path | None:
    """The DVC project holding ``start``: the nearest folder with ``.dvc/`` from ``start``
    up to ``stop`` (default: the git work tree's top), or None. Plain path walking, so
    `mlci check`'s option defaults can use it without importing DVC."""
    stop = stop if stop is not None else work_tree_root(start)
    for folder in (start, *start.parents):
        if (folder / ".dvc").is_dir():
            return folder
        if folder == stop:
            break
    return None


def is_inside(boundary: Path, path: Path | str) -> bool:
    """Whether ``path`` (relative to the cwd, or absolute), with every symlink and
    ``..`` resolved, is ``boundary`` or under it."""
    resolved = Path(os.path.realpath(path))
    return resolved == boundary or boundary in resolved.parents


def escape_point(boundary: Path, path: Path) -> Path | None:
    """The first part of ``path`` (under ``boundary``) that leads outside it — the
    symlink a pull request committed — or None when the whole path stays inside.

    Errors name this part rather than ``path``: under a symlinked folder, the names
    below it are the outside folder's, not the repository's.
    """
    try:
        parts = path.relative_to(boundary).parts
    except ValueError:
        return path if not is_inside(boundary, path) else None
    current = boundary
    for part in parts:
        current = current / part
        if not is_inside(boundary, current):
            return current
    return None


def _kind(mode: int) -> str | None:
    """What a non-regular file is, as refusals name it; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _size(size: int) -> str:
    return f"{size:,} bytes"


def _check_stat(path: Path | str, info: os.stat_result, max_bytes: int | None) -> None:
    kind = _kind(info.st_mode)
    if kind is not None:
        raise UnsafePathError(path, f"it is {kind}, not a regular file; mlci reads only files")
    if max_bytes is not None and info.st_size > max_bytes:
        raise UnsafePathError(
            path,
            f"it is too large to read ({_size(info.st_size)}; the limit is {_size(max_bytes)})",
        )


def check_file(
    boundary: Path, path: Path | str, *, max_bytes: int | None = DEFAULT_MAX_BYTES
) -> Path:
    """The resolved path of ``path`` when it is a regular file inside ``boundary``,
    at most ``max_bytes`` long; else :class:`UnsafePathError`. ``FileNotFoundError``
    when nothing is there. For files another program opens by name."""
    if not is_inside(boundary, path):
        raise UnsafePathError(path, OUTSIDE)
    resolved = Path(os.path.realpath(path))
    _check_stat(path, resolved.stat(), max_bytes)
    return resolved


def read_bytes(
    boundary: Path, path: Path | str, *, max_bytes: int | None = DEFAULT_MAX_BYTES
) -> bytes:
    """The content of ``path`` under the rule of this module (see its docstring)."""
    resolved = check_file(boundary, path, max_bytes=max_bytes)
    # O_NONBLOCK: a FIFO swapped in after the check opens at once instead of waiting
    # for a writer; fstat then refuses it. O_NOFOLLOW: the resolved name must not have
    # become a symlink meanwhile.
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(resolved, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafePathError(path, "it changed while being read (now a symlink)") from None
        raise
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        _check_stat(path, info, max_bytes)
        # A folder on the way swapped for a symlink after the check: where the open
        # descriptor really is (Linux names it in /proc) must still be inside.
        opened = Path(f"/proc/self/fd/{handle.fileno()}")
        if opened.exists() and not is_inside(boundary, opened.readlink()):
            raise UnsafePathError(path, OUTSIDE)
        limit = info.st_size if max_bytes is None else max_bytes
        data = handle.read(limit + 1)
    if max_bytes is not None and len(data) > max_bytes:
        raise UnsafePathError(
            path, f"it grew past the limit of {_size(max_bytes)} while it was read"
        )
    return data


def read_text(
    boundary: Path,
    path: Path | str,
    *,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    encoding: str = "utf-8",
) -> str:
    """:func:`read_bytes`, decoded."""
    return read_bytes(boundary, path, max_bytes=max_bytes).decode(encoding)


def check_writable(path: Path) -> None:
    """A usage error when ``path`` cannot be an output file (a directory is there); run
    before the work, so a run never ends in an error after its work is done."""
    if path.is_dir() and not path.is_symlink():
        raise UsageError(
            f"cannot write {path}: it is a directory",
            hint="remove it or pass another file name",
        )


def write_text(path: Path, text: str, *, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` without following a symlink already at that name.

    The text is written to a temporary file beside ``path`` and renamed onto it: a
    symlink there (a pull request can commit ``report.md -> ~/.bashrc``) is replaced,
    its target untouched. A directory at ``path`` is a :class:`UsageError`.
    """
    check_writable(path)
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    temporary = Path(name)
    try:
        with os.fdopen(fd, "w", encoding=encoding) as handle:
            handle.write(text)
        # mkstemp makes the file private (0600); a report is an ordinary file.
        umask = os.umask(0)
        os.umask(umask)
        temporary.chmod(0o666 & ~umask)
        temporary.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
