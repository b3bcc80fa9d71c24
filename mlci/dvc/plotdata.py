"""Plots at a revision, as DVC resolves them, paired base against head.

Reads with ``repo.plots.show`` (the call ``dvc plots diff`` makes) and DVC's own
Vega converter, so a plot means here what it means to ``dvc plots``; turns the
points into :class:`mlci.results.Curve` / :class:`~mlci.results.Confusion` /
:class:`~mlci.results.ImagePlot` values that :mod:`mlci.render.charts` renders.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable, Mapping
from contextlib import redirect_stderr
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlci.dvc.internals import (
    group_definitions_by_id,
    infer_data_sources,
    is_image,
    plots_show,
    vega_datapoints,
)
from mlci.dvc.messages import error_text
from mlci.results import Confusion, Curve, ImagePlot, Plots

if TYPE_CHECKING:
    from dvc.repo import Repo

_CONFUSION_TEMPLATES = ("confusion", "confusion_normalized")
# Image plots are inlined into report.html (and so carried in mlci-results.json) up to
# these sizes; larger ones are listed with a note.
IMAGE_MAX_BYTES = 2_000_000
IMAGES_MAX_BYTES = 10_000_000
# The extensions `dvc plots` treats as images, and how a browser is told what they are.
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
}
_Series = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class _RevPlot:
    """One plot as DVC resolved it at one revision (internal to this module)."""

    kind: str  # curve | confusion | image
    props: Mapping[str, Any]
    path: str
    series: Mapping[tuple[str, str], _Series] | None = None  # curve: (file, y field) -> points
    # confusion: per data file, (row class, column class) -> rows of data
    counts: Mapping[str, Mapping[tuple[str, str], int]] | None = None
    content: bytes | None = None  # image: the file


@dataclass(frozen=True)
class PlotsAtRev:
    """Every plot at one revision, by plot id, and (where, message) for what failed."""

    found: Mapping[str, _RevPlot]
    errors: tuple[tuple[str, str], ...] = ()
    # Plots read fine that mlci does not draw: (plot id, why), e.g. a bar chart of
    # categories (feature importances) has no numeric axis for a curve.
    undrawn: tuple[tuple[str, str], ...] = ()


def combine_plots(base: PlotsAtRev | None, head: PlotsAtRev | None) -> Plots:
    """Base and head plots paired by plot id: curves, confusion matrices, images.

    A plot, file or revision that could not be read is a line in ``Plots.errors``
    ("plots/roc.csv at base: …"), never an exception; the plot is then shown as not
    present at that revision.
    """
    errors: list[str] = []
    undrawn: dict[str, str] = {}  # one line per plot, whichever revision has it
    for label, rev_plots in (("base", base), ("head", head)):
        for where, message in rev_plots.errors if rev_plots else ():
            errors.append(f"{where} at {label}: {message}")
        for plot_id, why in rev_plots.undrawn if rev_plots else ():
            undrawn[plot_id] = f"{plot_id}: {why}"
    old_plots = base.found if base else {}
    new_plots = head.found if head else {}
    curves: list[Curve] = []
    confusions: list[Confusion] = []
    images: list[ImagePlot] = []
    budget = IMAGES_MAX_BYTES  # what is left for inlining images into report.html
    for plot_id in [*new_plots, *(plot_id for plot_id in old_plots if plot_id not in new_plots)]:
        new, old = new_plots.get(plot_id), old_plots.get(plot_id)
        if new is not None and old is not None and old.kind != new.kind:
            errors.append(f"{plot_id} at base: a {old.kind} plot there, a {new.kind} one at head")
            old = None
        kind = new.kind if new is not None else old.kind if old is not None else ""
        if kind == "image":
            image, budget = _image(plot_id, old, new, budget)
            images.append(image)
        elif kind == "confusion":
            confusions.extend(_confusions(plot_id, old, new))
        else:
            curves.extend(_curves(plot_id, old, new))
    return Plots(
        curves=tuple(curves),
        confusions=tuple(confusions),
        images=tuple(images),
        errors=tuple(errors),
        undrawn=tuple(undrawn.values()),
    )


def _either(old: _RevPlot | None, new: _RevPlot | None) -> _RevPlot:
    """The plot at head, else at base: combine_plots pairs only ids found at one of them."""
    found = new if new is not None else old
    if found is None:
        raise ValueError("a plot found at neither revision")
    return found


def _image(
    plot_id: str, old: _RevPlot | None, new: _RevPlot | None, budget: int
) -> tuple[ImagePlot, int]:
    """An image plot with the image at each revision inlined while ``budget`` (bytes)
    lasts, and what is left of the budget."""
    path = _either(old, new).path
    mime = IMAGE_TYPES.get(Path(path).suffix.lower())
    uris: list[str | None] = []
    skipped = []
    for label, found in (("base", old), ("head", new)):
        content = found.content if found is not None else None
        if content is None or mime is None:
            uris.append(None)
        elif len(content) > min(IMAGE_MAX_BYTES, budget):
            uris.append(None)
            skipped.append(f"{label} ({len(content) / 1e6:.1f} MB)")
        else:
            budget -= len(content)
            uris.append(f"data:{mime};base64,{base64.b64encode(content).decode('ascii')}")
    note = ""
    if skipped:
        note = (
            f"not inlined, too large for report.html: {' and '.join(skipped)}; images are "
            f"inlined up to {IMAGE_MAX_BYTES // 1_000_000} MB each and "
            f"{IMAGES_MAX_BYTES // 1_000_000} MB in all"
        )
    image = ImagePlot(
        plot_id,
        path,
        in_base=old is not None,
        in_head=new is not None,
        base_uri=uris[0],
        head_uri=uris[1],
        note=note,
    )
    return image, budget


def read_plots(repo: Repo, rev: str, guard: Callable[[Any], Any] | None = None) -> PlotsAtRev:
    """Every plot at ``rev`` (a git revision or "workspace"), read as ``dvc plots diff``
    reads it: ``repo.plots.show`` and DVC's own converter (the x/y inference, field
    joins and multi-file plots of ``dvc plots``). ``guard`` wraps DVC's filesystem for
    the reads of data files (the workspace's: see :class:`mlci.dvc.repo.DvcRepo`)."""
    try:
        # DVC also prints "failed to load some plots" (when its CLI ran in this process)
        # and progress bars; mlci reports each error itself, with the file and revision.
        with redirect_stderr(io.StringIO()):
            raw = plots_show(repo, rev, guard)
    except Exception as exc:  # an unknown revision, a broken dvc.yaml: this revision only
        return PlotsAtRev(found={}, errors=(("plots", error_text(exc)),))
    content: dict[str, Any] = next(iter(raw.values()), {})
    errors: list[tuple[str, str]] = []
    definitions = content.get("definitions", {})
    sources = content.get("sources", {})
    for part in (definitions, sources):
        if "error" in part:
            errors.append(("plots", error_text(part["error"])))
    for config, config_content in definitions.get("data", {}).items():
        if "error" in config_content:
            errors.append((config or "plots", error_text(config_content["error"])))
    source_data: dict[str, Any] = sources.get("data", {})
    for source, result in source_data.items():
        if "error" in result:
            error = result["error"]
            missing = isinstance(error, FileNotFoundError)
            errors.append((source, "file not found" if missing else error_text(error)))

    found: dict[str, _RevPlot] = {}
    undrawn: list[tuple[str, str]] = []
    for plot_id, (inner_id, definition) in group_definitions_by_id(
        definitions.get("data", {})
    ).items():
        props = dict(definition or {})
        if is_image(inner_id):  # as `dvc plots` decides
            if "data" in source_data.get(inner_id, {}):
                content = source_data[inner_id]["data"]
                found[plot_id] = _RevPlot(
                    "image",
                    props,
                    inner_id,
                    content=content if isinstance(content, bytes) else None,
                )
            continue
        files = infer_data_sources(inner_id, props)
        data = {f: source_data[f]["data"] for f in files if "data" in source_data.get(f, {})}
        if not data:
            continue  # missing at this revision; a read error is in `errors` already
        try:
            datapoints, resolved = vega_datapoints(inner_id, data, props, rev)
            if resolved.get("template") in _CONFUSION_TEMPLATES:
                counts = _counts(datapoints, resolved)
                found[plot_id] = _RevPlot("confusion", resolved, inner_id, counts=counts)
            elif datapoints and _categorical_axis(datapoints, resolved):
                undrawn.append((plot_id, "not drawn: categorical axis"))
            elif datapoints:
                series = _series(datapoints, resolved)
                found[plot_id] = _RevPlot("curve", resolved, inner_id, series=series)
        except Exception as exc:  # a field the data lacks, a value that is not a number
            errors.append((plot_id, error_text(exc)))
    return PlotsAtRev(found=found, errors=tuple(errors), undrawn=tuple(undrawn))


def _categorical_axis(datapoints: list[dict[str, Any]], props: Mapping[str, Any]) -> bool:
    """A bar plot (DVC's ``bar_horizontal`` templates) whose x or y is a category
    (``proline``, ``alcohol``): read fine, but not a curve, and no broken file."""
    if not str(props.get("template") or "").startswith("bar"):
        return False
    for axis in (str(props.get("x")), str(props.get("y"))):
        values = [point.get(axis) for point in datapoints[:1000]]
        if any(_not_numeric(value) for value in values):
            return True
    return False


def _not_numeric(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return value is not None
    try:
        float(value)
    except ValueError:
        return True
    return False


def _counts(
    datapoints: list[dict[str, Any]], props: Mapping[str, Any]
) -> dict[str, dict[tuple[str, str], int]]:
    """Per data file, (y class, x class) -> rows: DVC's confusion templates count rows per
    x/y pair, and draw x across (the columns) and y down (the rows). A plot over several
    files (train.json and test.json) keeps one matrix per file, as `dvc plots` does."""
    x, y = str(props.get("x")), str(props.get("y"))
    counts: dict[str, dict[tuple[str, str], int]] = {}
    for point in datapoints:
        per_file = counts.setdefault(str(point.get("filename", "")), {})
        key = (str(point.get(y)), str(point.get(x)))
        per_file[key] = per_file.get(key, 0) + 1
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


def _confusions(plot_id: str, old: _RevPlot | None, new: _RevPlot | None) -> list[Confusion]:
    """One Confusion per data file; a plot over one file keeps its own id."""
    props = _either(old, new).props
    base_files = old.counts if old is not None else None
    head_files = new.counts if new is not None else None
    files = [*(head_files or {}), *(f for f in (base_files or {}) if f not in (head_files or {}))]
    title = _text(props.get("title"), plot_id)
    several = len(files) > 1
    found = []
    for file in files:
        base = None if base_files is None else base_files.get(file)
        head = None if head_files is None else head_files.get(file)
        rows = {r for counts in (base, head) if counts for r, _ in counts}
        columns = {c for counts in (base, head) if counts for _, c in counts}
        # One label list for rows and columns: a class only ever predicted (or only
        # actual) still gets its row and column, and the diagonal stays the diagonal.
        labels = tuple(sorted(rows | columns, key=_class_order))

        def matrix(
            counts: Mapping[tuple[str, str], int] | None, labels: tuple[str, ...] = labels
        ) -> tuple[tuple[int, ...], ...] | None:
            if counts is None:
                return None
            return tuple(tuple(counts.get((r, c), 0) for c in labels) for r in labels)

        found.append(
            Confusion(
                id=f"{plot_id} ({file})" if several else plot_id,
                title=f"{title} ({file})" if several else title,
                x_label=_text(props.get("x_label"), props.get("x")),
                y_label=_text(props.get("y_label"), props.get("y")),
                labels=labels,
                base=matrix(base),
                head=matrix(head),
                normalized=props.get("template") == "confusion_normalized",
            )
        )
    return found


def _class_order(label: str) -> tuple[int, float, str]:
    """Numbers in numeric order (2 before 10), then names."""
    try:
        number = float(label)
    except ValueError:
        return (1, 0.0, label)
    return (0, number, label) if math.isfinite(number) else (1, 0.0, label)


def _curves(plot_id: str, old: _RevPlot | None, new: _RevPlot | None) -> list[Curve]:
    """One Curve per y series; a plot of several files or fields has several."""
    props = _either(old, new).props
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
