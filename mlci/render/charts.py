"""DVC plots, base against head, as pictures for the PR comment.

The data comes from :mod:`mlci.dvc.plotdata`; this module never imports DVC. Curves
become Mermaid ``xychart-beta`` charts, which GitHub draws from the comment text
itself, and confusion matrices become Markdown tables. report.html's charts are
:mod:`mlci.render.html`'s; both share the numbers, the grid and the colours here.

Every string here comes from the pull request (plot ids, titles and axis labels from its
``dvc.yaml``, class names from its data), so each is made inert for where it goes:
Mermaid strings and Markdown cells.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Sequence

from mlci.numbers import fmt_number
from mlci.render.text import escape_md
from mlci.results import Change, Confusion, Curve, ImagePlot, Plots, Point

__all__ = ["Confusion", "Curve", "ImagePlot", "Plots", "Point"]  # defined with the results

BASE_COLOUR = "#8b949e"  # grey: what the pull request started from
HEAD_COLOUR = "#1f6feb"  # blue: what it proposes
COLOURS = {"base": BASE_COLOUR, "head": HEAD_COLOUR}
_COLOUR_NAMES = {"base": "grey", "head": "blue"}

_MAX_LABEL = 80


# --- numbers and curves -------------------------------------------------------------------


def axis_number(value: float) -> str:
    """An axis label: 4 significant digits (an int exactly), never an exponent
    (Mermaid's axis would show ``1e-05`` as text)."""
    return fmt_number(value, 4, exponent=False) if math.isfinite(value) else "0"


def _sorted(points: Sequence[Point]) -> list[Point]:
    # Stable: points that share an x keep the data's order (a ROC curve's vertical steps).
    return sorted(points, key=lambda point: point[0])


def interpolate(points: Sequence[Point], x: float, xs: Sequence[float] | None = None) -> float:
    """The curve's y at ``x``: linear between neighbours, held flat beyond its ends.

    ``points`` must be sorted by x. Where several points share an x (a step), the last
    one wins, so a ROC curve is read along its upper edge. ``xs``: the points' x values,
    when the caller reads the curve at many x (a list per call made a 1,000,000-point
    curve cost 1,000,000 x the grid's size).
    """
    if xs is None:
        xs = [point[0] for point in points]
    i = bisect_right(xs, x)
    if i == 0:
        return points[0][1]
    x0, y0 = points[i - 1]
    if x0 == x or i == len(points):
        return y0
    x1, y1 = points[i]
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def common_grid(series: Sequence[Sequence[Point]], max_points: int) -> tuple[float, ...]:
    """Evenly spaced x positions over the union of the series' x ranges.

    When the series' x values together already are evenly spaced and no more than
    ``max_points`` (epochs 0..9, both revisions at the same steps), they are the grid,
    so the chart shows the data's own values. Otherwise ``max_points`` positions.
    """
    xs = sorted({x for points in series for x, _ in points})
    if len(xs) <= 1:
        return tuple(xs)
    lo, hi = xs[0], xs[-1]
    if len(xs) <= max_points:
        step = (hi - lo) / (len(xs) - 1)
        if all(math.isclose(x, lo + i * step, abs_tol=step * 1e-6) for i, x in enumerate(xs)):
            return tuple(xs)
    count = max(2, max_points)
    step = (hi - lo) / (count - 1)
    return (*(lo + i * step for i in range(count - 1)), hi)


def _on_grid(points: Sequence[Point], grid: Sequence[float]) -> bool:
    return {x for x, _ in points} <= set(grid)


def resample(points: Sequence[Point], grid: Sequence[float]) -> tuple[float, ...]:
    """y of the curve at each x of ``grid`` (see :func:`interpolate`)."""
    ordered = _sorted(points)
    xs = [point[0] for point in ordered]
    return tuple(interpolate(ordered, x, xs) for x in grid)


def downsample(points: Sequence[Point], max_points: int) -> tuple[Point, ...]:
    """At most ``max_points`` of the curve's own points, evenly spaced by index, ends kept."""
    if len(points) <= max_points:
        return tuple(points)
    if max_points < 2:
        return tuple(points[:max_points])
    last = len(points) - 1
    keep = sorted({round(i * last / (max_points - 1)) for i in range(max_points)})
    return tuple(points[i] for i in keep)


# --- Mermaid ------------------------------------------------------------------------------

# C0/C1 controls, line and paragraph separators, bidi overrides.
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# Look-alikes for what Mermaid strings cannot hold: an apostrophe for " and `, and
# single angle quotation marks (U+2039, U+203A) for < and >.
_MERMAID_SWAP = str.maketrans({'"': "'", "`": "'", "<": "\u2039", ">": "\u203a"})


def mermaid_text(value: object, limit: int = _MAX_LABEL) -> str:
    """A string that is safe between double quotes in a Mermaid diagram, on one line.

    No ``"`` (would end the string), no newline or backtick (would end the statement or
    the Markdown code fence), no ``<``/``>`` (HTML in labels), no ``%%`` (a comment or
    a ``%%{init}%%`` directive), and ``#`` cannot start an entity code such as ``#quot;``.
    """
    text = " ".join(_INVISIBLE.sub(" ", "" if value is None else str(value)).split())
    text = text.translate(_MERMAID_SWAP)
    text = re.sub(r"%+", "%", text)
    text = text.replace("#", "#\u200b")
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def _palette(revs: Sequence[str]) -> str:
    colours = ", ".join(COLOURS[rev] for rev in revs)
    return '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "' + colours + '"}}}}%%'


def present(curve: Curve) -> list[tuple[str, tuple[Point, ...]]]:
    pairs = (("base", curve.base), ("head", curve.head))
    return [(rev, points) for rev, points in pairs if points]


def mermaid_curve(curve: Curve, max_points: int = 40) -> str:
    """A Markdown ```` ```mermaid ```` block: base and head as two lines on one chart.

    Mermaid's ``xychart-beta`` takes y values at evenly spaced x positions, so both
    curves are resampled onto one grid over the union of their x ranges (linear
    interpolation, held flat past a curve's ends); that also downsamples long curves
    to ``max_points``. A line under the chart says which line is which.
    """
    series = present(curve)
    name = mermaid_text(curve.title or curve.id)
    if not series:
        return f"*{escape_md(curve.title or curve.id)}: no data at base or head.*\n"
    grid = common_grid([points for _, points in series], max_points)
    lo, hi = grid[0], grid[-1]
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    lines = [
        "```mermaid",
        _palette([rev for rev, _ in series]),
        "xychart-beta",
        f'    title "{name}"',
        f'    x-axis "{mermaid_text(curve.x_label or curve.x)}" {axis_number(lo)} --> '
        f"{axis_number(hi)}",
        f'    y-axis "{mermaid_text(curve.y_label or curve.y)}"',
    ]
    for _, points in series:
        values = ", ".join(axis_number(y) for y in resample(points, grid))
        lines.append(f"    line [{values}]")
    lines.append("```")
    return "\n".join(lines) + "\n" + _legend(curve, series, grid) + "\n"


def _legend(
    curve: Curve, series: Sequence[tuple[str, tuple[Point, ...]]], grid: Sequence[float]
) -> str:
    parts = [f"{_COLOUR_NAMES[rev].capitalize()} line: {rev}." for rev, _ in series]
    if curve.base is None:
        parts.append("Not present at base.")
    elif not curve.base:
        parts.append("No data at base.")
    if curve.head is None:
        parts.append("Not present at head.")
    elif not curve.head:
        parts.append("No data at head.")
    if not all(_on_grid(points, grid) for _, points in series):
        parts.append(f"Resampled to {len(grid)} points.")
    return "*" + " ".join(parts) + "*"


def numeric_changes(changes: Sequence[Change], limit: int) -> list[Change]:
    """Changed metrics with a finite relative change, largest |change| first."""
    found = [
        change
        for change in changes
        if change.status == "changed"
        and change.change_pct is not None
        and math.isfinite(change.change_pct)
    ]
    found.sort(key=lambda change: -abs(change.change_pct or 0.0))
    return found[:limit]


def _pct(value: float) -> str:
    arrow = "▲ +" if value > 0 else "▼ " if value < 0 else ""
    return f"{arrow}{value:.2f}%"


def metrics_bar(changes: Sequence[Change], max_bars: int = 12) -> str:
    """A Mermaid bar chart of the relative change (%) of the changed numeric metrics.

    Largest change first, at most ``max_bars``; "" when no numeric metric changed.
    Mermaid draws a bar from the axis minimum rather than from zero, so a bar's length
    is the size of the change and its label carries the direction (``accuracy ▼ -5.36%``).
    """
    bars = numeric_changes(changes, max_bars)
    if not bars:
        return ""
    keys = [change.key for change in bars]
    names = [
        f"{change.file}: {change.key}" if keys.count(change.key) > 1 else change.key
        for change in bars
    ]
    sizes = [abs(change.change_pct or 0.0) for change in bars]
    labels = ", ".join(
        f'"{mermaid_text(name, 48)} {_pct(change.change_pct or 0.0)}"'
        for name, change in zip(names, bars, strict=True)
    )
    return (
        "```mermaid\n"
        + _palette(["head"])
        + "\nxychart-beta horizontal\n"
        + '    title "Relative change of each metric against base"\n'
        + f"    x-axis [{labels}]\n"
        + f'    y-axis "Size of the change (%)" 0 --> {axis_number(max(sizes) or 1.0)}\n'
        + f"    bar [{', '.join(axis_number(size) for size in sizes)}]\n"
        + "```\n"
    )


# --- Markdown -----------------------------------------------------------------------------


def delta_text(head: int, base: int) -> str:
    diff = head - base
    return f"{head} ({diff:+d})" if diff else str(head)


def _shares(matrix: tuple[tuple[int, ...], ...]) -> list[list[float]]:
    """Each cell as a percentage of its row (its actual class); 0 for an empty row."""
    return [[100 * n / sum(row) if sum(row) else 0.0 for n in row] for row in matrix]


def _share_text(head: float, base: float | None) -> str:
    text = f"{head:.1f}%"
    if base is None or round(head - base, 1) == 0:
        return text
    return f"{text} ({head - base:+.1f})"


def confusion_cells(conf: Confusion) -> tuple[list[list[str]], str] | None:
    """The cells of a confusion matrix table, ``[row][column]`` (DVC's y field down, its
    x field across, as `dvc plots show` draws them), and a caption: what the comment's
    Markdown table and report.html's HTML table both show.

    Counts as ``41 (+2)``: the head count and its change against base (an unchanged
    cell is just ``41``). A ``confusion_normalized`` plot shows each row as shares of
    the row, ``95.2% (+1.3)``, as DVC's template does, the change in percentage points.
    With only one revision present its values are shown as they are. None when there is
    no data.
    """
    shown = conf.head if conf.head is not None else conf.base
    if shown is None or not conf.labels:
        return None
    base = conf.base if conf.head is not None else None  # changes only with both
    if conf.normalized:
        now = _shares(shown)
        then = _shares(base) if base is not None else None
        cells = [
            [_share_text(row[j], then[i][j] if then else None) for j in range(len(row))]
            for i, row in enumerate(now)
        ]
        unit, what = "shares", f"shares of each {conf.y_label} class (row), in %"
        change = "in percentage points"
    else:
        cells = [
            [str(n) if base is None else delta_text(n, base[i][j]) for j, n in enumerate(row)]
            for i, row in enumerate(shown)
        ]
        unit, what, change = "counts", "counts", "in brackets"
    if base is not None and base == shown:
        caption = f"Same {unit} at base and head."
    elif base is not None:
        caption = f"Head {what}, with the change against base {change}."
    elif conf.head is not None:
        caption = f"Head {what}. Not present at base."
    else:
        caption = f"Base {what}. Not present at head."
    return cells, caption


def confusion_markdown(conf: Confusion) -> str:
    """A Markdown table: rows are the y field's classes, columns the x field's, as `dvc
    plots show` draws them; the diagonal bold; cells and caption from
    :func:`confusion_cells`."""
    title = f"**{escape_md(conf.title or conf.id)}**"
    found = confusion_cells(conf)
    if found is None:
        return f"{title}: no data at base or head.\n"
    cells, caption = found
    corner = escape_md(f"{conf.y_label} ↓ / {conf.x_label} →")
    header = "| " + " | ".join([corner, *(escape_md(label) for label in conf.labels)]) + " |"
    rule = "|---|" + "--:|" * len(conf.labels)
    rows = []
    for i, label in enumerate(conf.labels):
        # Escaped like every other cell: the counts come from the data (or, through
        # `mlci publish`, from a results file), never trusted to be digits.
        row = [
            f"**{escape_md(text)}**" if i == j else escape_md(text)
            for j, text in enumerate(cells[i])
        ]
        rows.append("| " + " | ".join([f"**{escape_md(label)}**", *row]) + " |")
    return "\n".join([title, "", header, rule, *rows, "", f"*{caption}*"]) + "\n"
