"""The one place DVC is touched: status, pull, repro, metrics and params at revisions.

Metrics and params are read in-process through ``dvc.repo.Repo`` — the same calls
``dvc metrics diff`` / ``dvc params diff`` make — so both revisions come from one
DVC index and no process is started per revision. ``pull`` and ``repro`` run as
``python -m dvc`` child processes so their output streams to the user as DVC
prints it, and a failing stage's output can be quoted in the error.
"""

from __future__ import annotations

import io
import logging
import math
import os
import re
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, redirect_stderr
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlci.errors import DvcError
from mlci.git import clean_env
from mlci.results import Value

if TYPE_CHECKING:
    from dvc.repo import Repo

    from mlci.plots import Plots

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


# --- plots ---------------------------------------------------------------------------------

_CONFUSION_TEMPLATES = ("confusion", "confusion_normalized")
_Series = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class _RevPlot:
    """One plot as DVC resolved it at one revision (internal to :func:`plots_at`)."""

    kind: str  # curve | confusion | image
    props: Mapping[str, Any]
    path: str
    series: Mapping[tuple[str, str], _Series] | None = None  # curve: (file, y field) -> points
    counts: Mapping[tuple[str, str], int] | None = None  # confusion: (actual, predicted) -> n


@contextmanager
def _cwd(folder: str) -> Iterator[None]:
    # DVC names plot files relative to the process's cwd; mlci names them from the root.
    saved = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(saved)


def plots_at(repo: Repo, revs: Mapping[str, str]) -> Plots:
    """The DVC plots at ``revs["base"]`` and ``revs["head"]`` (git revs or "workspace").

    Reads them with ``repo.plots.show`` — the call ``dvc plots diff`` makes — and DVC's
    own converter (the x/y inference, field joins and multi-file plots of ``dvc plots``),
    one revision at a time. A plot, file or revision that cannot be read becomes a line
    in ``Plots.errors`` ("plots/roc.csv at base: …"), never an exception; the plot is
    then shown as not present at that revision.
    """
    from mlci.plots import ImagePlot, Plots

    found: dict[str, dict[str, _RevPlot]] = {}
    errors: list[str] = []
    by_rev: dict[str, tuple[dict[str, _RevPlot], list[tuple[str, str]]]] = {}
    with _cwd(repo.root_dir):
        for label in ("base", "head"):
            rev = revs.get(label)
            if rev is None:
                found[label] = {}
                continue
            if rev not in by_rev:
                by_rev[rev] = _plots_at_rev(repo, rev)
            found[label], rev_errors = by_rev[rev]
            errors.extend(f"{where} at {label}: {message}" for where, message in rev_errors)
    base, head = found["base"], found["head"]
    curves: list[Any] = []
    confusions: list[Any] = []
    images: list[ImagePlot] = []
    for plot_id in [*head, *(plot_id for plot_id in base if plot_id not in head)]:
        new, old = head.get(plot_id), base.get(plot_id)
        if new is not None and old is not None and old.kind != new.kind:
            errors.append(f"{plot_id} at base: a {old.kind} plot there, a {new.kind} one at head")
            old = None
        kind = new.kind if new is not None else old.kind if old is not None else ""
        if kind == "image":
            path = (new or old).path  # type: ignore[union-attr]
            images.append(
                ImagePlot(plot_id, path, in_base=old is not None, in_head=new is not None)
            )
        elif kind == "confusion":
            confusions.append(_confusion(plot_id, old, new))
        else:
            curves.extend(_curves(plot_id, old, new))
    return Plots(
        curves=tuple(curves),
        confusions=tuple(confusions),
        images=tuple(images),
        errors=tuple(errors),
    )


def _plots_at_rev(repo: Repo, rev: str) -> tuple[dict[str, _RevPlot], list[tuple[str, str]]]:
    """Every plot at one revision, by plot id, and (where, message) for what failed."""
    from dvc.render.converter.vega import VegaConverter
    from dvc.repo.plots import SUPPORTED_IMAGE_EXTENSIONS, infer_data_sources
    from dvc.utils.plots import group_definitions_by_id

    try:
        # DVC also prints "failed to load some plots" (when its CLI ran in this process)
        # and progress bars; mlci reports each error itself, with the file and revision.
        with redirect_stderr(io.StringIO()):
            raw = repo.plots.show(revs=[rev])
    except Exception as exc:  # an unknown revision, a broken dvc.yaml: this revision only
        return {}, [("plots", _error_text(exc))]
    content: dict[str, Any] = next(iter(raw.values()), {})
    errors: list[tuple[str, str]] = []
    definitions = content.get("definitions", {})
    sources = content.get("sources", {})
    for part in (definitions, sources):
        if "error" in part:
            errors.append(("plots", _error_text(part["error"])))
    for config, config_content in definitions.get("data", {}).items():
        if "error" in config_content:
            errors.append((config or "plots", _error_text(config_content["error"])))
    source_data: dict[str, Any] = sources.get("data", {})
    for source, result in source_data.items():
        if "error" in result:
            error = result["error"]
            missing = isinstance(error, FileNotFoundError)
            errors.append((source, "file not found" if missing else _error_text(error)))

    found: dict[str, _RevPlot] = {}
    for plot_id, (inner_id, definition) in group_definitions_by_id(
        definitions.get("data", {})
    ).items():
        props = dict(definition or {})
        if Path(inner_id).suffix in SUPPORTED_IMAGE_EXTENSIONS:  # as `dvc plots` decides
            if "data" in source_data.get(inner_id, {}):
                found[plot_id] = _RevPlot("image", props, inner_id)
            continue
        files = infer_data_sources(inner_id, props)
        data = {f: source_data[f]["data"] for f in files if "data" in source_data.get(f, {})}
        if not data:
            continue  # missing at this revision; a read error is in `errors` already
        try:
            datapoints, resolved = VegaConverter(inner_id, data, props).flat_datapoints(rev)
            if resolved.get("template") in _CONFUSION_TEMPLATES:
                counts = _counts(datapoints, resolved)
                found[plot_id] = _RevPlot("confusion", resolved, inner_id, counts=counts)
            elif datapoints:
                series = _series(datapoints, resolved)
                found[plot_id] = _RevPlot("curve", resolved, inner_id, series=series)
        except Exception as exc:  # a field the data lacks, a value that is not a number
            errors.append((plot_id, _error_text(exc)))
    return found, errors


def _counts(
    datapoints: list[dict[str, Any]], props: Mapping[str, Any]
) -> dict[tuple[str, str], int]:
    """(actual, predicted) -> rows: DVC's confusion templates count rows per x/y pair."""
    x, y = str(props.get("x")), str(props.get("y"))
    counts: dict[tuple[str, str], int] = {}
    for point in datapoints:
        key = (str(point.get(x)), str(point.get(y)))
        counts[key] = counts.get(key, 0) + 1
    return counts


def _series(
    datapoints: list[dict[str, Any]], props: Mapping[str, Any]
) -> dict[tuple[str, str], _Series]:
    """Points per (file, y field): DVC puts every y series of a plot in one list."""
    x, y = str(props.get("x")), str(props.get("y"))
    series: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for point in datapoints:
        key = (str(point.get("filename", "")), str(point.get("field", y)))
        xy = (_number(point.get(x), x), _number(point.get(y), key[1]))
        points = series.setdefault(key, [])
        if math.isfinite(xy[0]) and math.isfinite(xy[1]):
            points.append(xy)
    return {key: tuple(points) for key, points in series.items()}


def _number(value: Any, field: str) -> float:
    if not isinstance(value, bool) and isinstance(value, (int, float, str)):
        try:
            return float(value)
        except ValueError:
            pass
    text = repr(value)
    shown = text if len(text) <= 40 else text[:39] + "…"
    raise ValueError(f"non-numeric value {shown} in field '{field}'")


def _text(value: Any, default: Any) -> str:
    return str(default) if value is None else str(value)


def _confusion(plot_id: str, old: _RevPlot | None, new: _RevPlot | None) -> Any:
    from mlci.plots import Confusion

    props = (new or old).props  # type: ignore[union-attr]  # one of them is there
    base = old.counts if old is not None else None
    head = new.counts if new is not None else None
    classes = {label for counts in (base, head) if counts for pair in counts for label in pair}
    labels = tuple(sorted(classes, key=_class_order))

    def matrix(counts: Mapping[tuple[str, str], int] | None) -> tuple[tuple[int, ...], ...] | None:
        if counts is None:
            return None
        return tuple(tuple(counts.get((a, p), 0) for p in labels) for a in labels)

    return Confusion(
        id=plot_id,
        title=_text(props.get("title"), plot_id),
        x_label=_text(props.get("x_label"), props.get("x")),
        y_label=_text(props.get("y_label"), props.get("y")),
        labels=labels,
        base=matrix(base),
        head=matrix(head),
    )


def _class_order(label: str) -> tuple[int, float, str]:
    """Numbers in numeric order (2 before 10), then names."""
    try:
        number = float(label)
    except ValueError:
        return (1, 0.0, label)
    return (0, number, label) if math.isfinite(number) else (1, 0.0, label)


def _curves(plot_id: str, old: _RevPlot | None, new: _RevPlot | None) -> list[Any]:
    """One Curve per y series; a plot of several files or fields has several."""
    from mlci.plots import Curve

    props = (new or old).props  # type: ignore[union-attr]  # one of them is there
    base = old.series if old is not None else None
    head = new.series if new is not None else None
    keys = [*(head or {}), *(key for key in (base or {}) if key not in (head or {}))]
    title = _text(props.get("title"), plot_id)
    several = len(keys) > 1
    curves = []
    for key in keys:
        file, field = key
        curves.append(
            Curve(
                id=f"{plot_id} ({file}: {field})" if several else plot_id,
                title=f"{title} ({file}: {field})" if several else title,
                x_label=_text(props.get("x_label"), props.get("x")),
                y_label=field if several else _text(props.get("y_label"), field),
                x=str(props.get("x")),
                y=field,
                base=None if base is None else base.get(key),
                head=None if head is None else head.get(key),
                template=str(props.get("template") or "linear"),
            )
        )
    return curves


@dataclass(frozen=True)
class RevFile:
    """A data file at a revision: its repo-relative path and DVC's md5 when DVC tracks it."""

    path: str
    md5: str | None


def _data_fs(root: Path, rev: str) -> Any:
    from dvc.exceptions import DvcException
    from dvc.fs import DVCFileSystem

    _silence_dvc_logger()
    try:
        return DVCFileSystem(repo=str(root), rev=rev)
    except (DvcException, OSError, ValueError) as exc:
        raise DvcError(f"DVC cannot read {root} at {rev[:7]}: {exc}") from None


def list_files_at(root: Path, rev: str, pattern: str) -> list[RevFile]:
    """The files ``pattern`` (a file, a folder or a glob) names at ``rev``, git- or DVC-tracked."""
    from mlci.checks.io import format_of

    fs = _data_fs(root, rev)
    try:
        if any(char in pattern for char in "*?["):
            paths = sorted(fs.glob(pattern))
        elif fs.isdir(pattern):
            paths = sorted(
                p
                for p in fs.find(pattern)
                if format_of(Path(p)) and not Path(p).name.startswith(".")
            )
        elif fs.exists(pattern):
            paths = [pattern]
        else:
            paths = []
        files = []
        for path in paths:
            info = fs.info(path)
            if info.get("type") != "file":
                continue
            md5 = (info.get("dvc_info") or {}).get("md5") or info.get("md5")
            files.append(
                RevFile(path=str(path).lstrip("/"), md5=md5 if isinstance(md5, str) else None)
            )
        return files
    except Exception as exc:  # DVC's filesystem raises many kinds; all mean "cannot read"
        raise DvcError(
            f"cannot list {pattern} at {rev[:7]} in {root}: {_error_text(exc)}"
        ) from None


def fetch_files_at(root: Path, rev: str, files: Sequence[RevFile], dest: Path) -> list[Path]:
    """Copy ``files`` as they are at ``rev`` into ``dest`` (from git, the DVC cache or remote)."""
    fs = _data_fs(root, rev)
    local = []
    for file in files:
        target = dest / file.path
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            fs.get_file(file.path, str(target))
        except Exception as exc:
            raise DvcError(
                f"cannot read {file.path} at {rev[:7]}: {_error_text(exc)}",
                hint="is the base revision's data pushed to the DVC remote (`dvc push`)?",
            ) from None
        local.append(target)
    return local
