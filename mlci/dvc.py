"""The one place DVC is touched: status, pull, repro, metrics and params at revisions.

Metrics and params are read in-process through ``dvc.repo.Repo`` — the same calls
``dvc metrics diff`` / ``dvc params diff`` make — so both revisions come from one
DVC index and no process is started per revision. ``pull`` and ``repro`` run as
``python -m dvc`` child processes so their output streams to the user as DVC
prints it, and a failing stage's output can be quoted in the error.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlci.errors import DvcError
from mlci.git import clean_env
from mlci.results import Value

if TYPE_CHECKING:
    from dvc.repo import Repo

WORKSPACE = "workspace"
_TAIL_LINES = 15
# `dvc status` words for an output that is not in the workspace, or not in the cache.
_MISSING_STATES = ("deleted", "not in cache")
_FAILED_STAGE = re.compile(r"failed to reproduce '([^']+)'")


@dataclass(frozen=True)
class FileError:
    """A metrics or params file DVC could not read at one revision."""

    rev: str
    file: str
    message: str


@dataclass(frozen=True)
class Snapshot:
    """Flattened values per file at one revision, and the files that failed to load."""

    values: Mapping[str, Mapping[str, Value]]
    errors: tuple[FileError, ...] = ()


@dataclass(frozen=True)
class PipelineStatus:
    stale_stages: tuple[str, ...]
    missing_outputs: tuple[str, ...]


def find_root(start: Path, stop: Path) -> Path:
    """The DVC project root: the nearest folder with ``.dvc/`` from ``start`` up to ``stop``."""
    for folder in (start, *start.parents):
        if (folder / ".dvc").is_dir():
            return folder
        if folder == stop:
            break
    raise DvcError(
        f"not a DVC repository: no .dvc/ folder in {start} or above it (up to {stop})",
        hint="run `dvc init` in your project, or run mlci from inside one",
    )


@contextmanager
def open_repo(root: Path) -> Iterator[Repo]:
    # Imported here: DVC is the heaviest import and `mlci --help` must not pay it.
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    _silence_dvc_logger()
    try:
        repo = Repo(str(root))
    except DvcException as exc:
        raise DvcError(f"DVC cannot open {root}: {exc}") from None
    try:
        yield repo
    finally:
        repo.close()


def _silence_dvc_logger() -> None:
    # DVC logs warnings such as "failed to load metrics" itself; mlci reports those
    # errors with file and revision, so DVC's own copy would be noise on stderr.
    dvc_logger = logging.getLogger("dvc")
    if not dvc_logger.handlers:
        dvc_logger.addHandler(logging.NullHandler())
        dvc_logger.propagate = False


def has_remote(repo: Repo) -> bool:
    return bool(repo.config.get("remote"))


def pipeline_status(repo: Repo) -> PipelineStatus:
    """Stages that are out of date, and outputs missing from the workspace."""
    from dvc.exceptions import DvcException

    try:
        status: dict[str, list[Any]] = repo.status()
    except DvcException as exc:
        raise DvcError(f"`dvc status` failed in {repo.root_dir}: {exc}") from None
    missing: list[str] = []
    for changes in status.values():
        for change in changes:
            if isinstance(change, dict):
                outs = change.get("changed outs", {})
                missing.extend(p for p, state in outs.items() if state in _MISSING_STATES)
    return PipelineStatus(
        stale_stages=tuple(_stage_name(repo.root_dir, name) for name in status),
        missing_outputs=tuple(missing),
    )


def _stage_name(root: str, name: str) -> str:
    """DVC names stages relative to the process's cwd; name them from the project root."""
    dvcfile, sep, stage = name.rpartition(":")
    if not sep:
        return name
    relative = os.path.relpath(Path(dvcfile).absolute(), root)
    return stage if relative == "dvc.yaml" else f"{Path(relative).as_posix()}:{stage}"


def run_dvc(root: Path, args: list[str], emit: Callable[[str], None], *, what: str) -> None:
    """Run ``dvc ARGS`` in ``root``, streaming its output through ``emit``."""
    env = clean_env()
    tail: deque[str] = deque(maxlen=_TAIL_LINES)
    failed_stage = None
    with subprocess.Popen(
        [sys.executable, "-m", "dvc", *args],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        errors="replace",
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            text = line.rstrip()
            emit(text)
            if text:
                tail.append(text)
            if match := _FAILED_STAGE.search(line):
                failed_stage = match.group(1)
    if proc.returncode != 0:
        shown = "\n".join(f"    {line}" for line in tail)
        subject = f"DVC stage '{failed_stage}' failed" if failed_stage else f"`dvc {what}` failed"
        raise DvcError(
            f"{subject} (exit {proc.returncode}) in {root}; last lines of its output:\n{shown}",
            hint=f"run `dvc {what}` in {root} to reproduce, fix it, and run mlci again",
        )


def _flatten(data: Any, prefix: str = "") -> dict[str, Value]:
    """DVC's dot-flattening: nested keys joined with '.', lists kept as their str()."""
    if isinstance(data, dict):
        flat: dict[str, Value] = {}
        for key, value in data.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(data, list):
        return {prefix: str(data)}
    return {prefix: data}


def _error_text(exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    text = str(exc) or type(exc).__name__
    if cause is not None and str(cause) and str(cause) not in text:
        text = f"{text}: {cause}"
    return " ".join(text.split())


def _snapshots(show: Callable[..., dict[str, Any]], revs: Mapping[str, str]) -> dict[str, Snapshot]:
    """Call a DVC ``show`` for the given {label: rev} and split its answer per label."""
    wanted = sorted({rev for rev in revs.values() if rev != WORKSPACE})
    raw = show(revs=wanted or None, hide_workspace=False, on_error="return")
    by_rev: dict[str, Any] = {}
    for names, result in raw.items():
        for name in str(names).split(","):
            by_rev[name or WORKSPACE] = result
    snapshots: dict[str, Snapshot] = {}
    for label, rev in revs.items():
        result = by_rev.get(rev, {})
        if "error" in result:
            error = FileError(rev=label, file="*", message=_error_text(result["error"]))
            snapshots[label] = Snapshot(values={}, errors=(error,))
            continue
        values: dict[str, Mapping[str, Value]] = {}
        errors: list[FileError] = []
        for file, file_result in result.get("data", {}).items():
            if "error" in file_result:
                errors.append(FileError(label, file, _error_text(file_result["error"])))
            else:
                values[file] = _flatten(file_result.get("data") or {})
        snapshots[label] = Snapshot(values=values, errors=tuple(errors))
    return snapshots


def metrics_at(repo: Repo, revs: Mapping[str, str]) -> dict[str, Snapshot]:
    """Metrics at each revision in ``revs`` ({label: git rev or "workspace"})."""
    return _snapshots(repo.metrics.show, revs)


def params_at(repo: Repo, revs: Mapping[str, str]) -> dict[str, Snapshot]:
    """Params at each revision in ``revs`` ({label: git rev or "workspace"})."""
    return _snapshots(repo.params.show, revs)
