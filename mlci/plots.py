"""DVC plots, base against head: plain data, and pictures of it for the PR comment and report.html.

The data comes from :mod:`mlci.dvc.plotdata`; this module never imports DVC.

* In the PR comment, curves become Mermaid ``xychart-beta`` charts, which GitHub draws
  from the comment text itself, and confusion matrices become Markdown tables.
* ``report.html`` is one self-contained page: Vega-Lite charts with the Vega, Vega-Lite
  and vega-embed JavaScript inlined (from the ``vl-convert-python`` wheel), so it opens
  from disk or a CI artifact with no network.

Every string here comes from the pull request (plot ids, titles and axis labels from its
``dvc.yaml``, class names from its data), so each is made inert for where it goes:
Mermaid strings, Markdown cells, HTML text, or JSON inside ``<script>``.
"""

from __future__ import annotations

import functools
import html
import json
import math
import os
import re
from bisect import bisect_right
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from mlci import resources
from mlci.errors import MlciError
from mlci.report import escape_md, fmt_change, fmt_value
from mlci.results import Change, Confusion, Curve, ImagePlot, Plots, Point

__all__ = ["Confusion", "Curve", "ImagePlot", "Plots", "Point"]  # defined with the results

BASE_COLOUR = "#8b949e"  # grey: what the pull request started from
HEAD_COLOUR = "#1f6feb"  # blue: what it proposes
_COLOURS = {"base": BASE_COLOUR, "head": HEAD_COLOUR}
_COLOUR_NAMES = {"base": "grey", "head": "blue"}

# Most points kept per revision and curve in report.html: enough for any ROC curve
# at screen resolution, while a 1,000,000-row log cannot blow up the page.
HTML_MAX_POINTS = 2000
_MAX_LABEL = 80


# --- numbers and curves -------------------------------------------------------------------


def fmt_number(value: float) -> str:
    """At most 4 significant digits, never an exponent: ``0.8333``, ``12350``, ``-0.5``."""
    if not math.isfinite(value) or value == 0:
        return "0"
    text = f"{value:.4g}"
    if "e" in text:
        text = format(Decimal(text), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _sorted(points: Sequence[Point]) -> list[Point]:
    # Stable: points that share an x keep the data's order (a ROC curve's vertical steps).
    return sorted(points, key=lambda point: point[0])


def interpolate(points: Sequence[Point], x: float) -> float:
    """The curve's y at ``x``: linear between neighbours, held flat beyond its ends.

    ``points`` must be sorted by x. Where several points share an x (a step), the last
    one wins, so a ROC curve is read along its upper edge.
    """
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
    return tuple(interpolate(ordered, x) for x in grid)


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
    colours = ", ".join(_COLOURS[rev] for rev in revs)
    return '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "' + colours + '"}}}}%%'


def _present(curve: Curve) -> list[tuple[str, tuple[Point, ...]]]:
    pairs = (("base", curve.base), ("head", curve.head))
    return [(rev, points) for rev, points in pairs if points]


def mermaid_curve(curve: Curve, max_points: int = 40) -> str:
    """A Markdown ```` ```mermaid ```` block: base and head as two lines on one chart.

    Mermaid's ``xychart-beta`` takes y values at evenly spaced x positions, so both
    curves are resampled onto one grid over the union of their x ranges (linear
    interpolation, held flat past a curve's ends); that also downsamples long curves
    to ``max_points``. A line under the chart says which line is which.
    """
    series = _present(curve)
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
        f'    x-axis "{mermaid_text(curve.x_label or curve.x)}" {fmt_number(lo)} --> '
        f"{fmt_number(hi)}",
        f'    y-axis "{mermaid_text(curve.y_label or curve.y)}"',
    ]
    for _, points in series:
        values = ", ".join(fmt_number(y) for y in resample(points, grid))
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


def _numeric_changes(changes: Sequence[Change], limit: int) -> list[Change]:
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
    bars = _numeric_changes(changes, max_bars)
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
        + f'    y-axis "Size of the change (%)" 0 --> {fmt_number(max(sizes) or 1.0)}\n'
        + f"    bar [{', '.join(fmt_number(size) for size in sizes)}]\n"
        + "```\n"
    )


# --- Markdown -----------------------------------------------------------------------------


def _delta(head: int, base: int) -> str:
    diff = head - base
    return f"{head} ({diff:+d})" if diff else str(head)


def confusion_markdown(conf: Confusion) -> str:
    """A Markdown table: rows are actual classes, columns predicted ones.

    Each cell is the head count and its change against base (``41 (+2)``; an unchanged
    cell is just ``41``); the diagonal is bold. With only one revision present its
    counts are shown as they are.
    """
    shown = conf.head if conf.head is not None else conf.base
    title = f"**{escape_md(conf.title or conf.id)}**"
    if shown is None or not conf.labels:
        return f"{title}: no data at base or head.\n"
    corner = escape_md(f"{conf.x_label} ↓ / {conf.y_label} →")
    header = "| " + " | ".join([corner, *(escape_md(label) for label in conf.labels)]) + " |"
    rule = "|---|" + "--:|" * len(conf.labels)
    rows = []
    for i, label in enumerate(conf.labels):
        cells = []
        for j in range(len(conf.labels)):
            count = shown[i][j]
            if conf.head is not None and conf.base is not None:
                text = _delta(count, conf.base[i][j])
            else:
                text = str(count)
            cells.append(f"**{text}**" if i == j else text)
        rows.append("| " + " | ".join([f"**{escape_md(label)}**", *cells]) + " |")
    if conf.head is not None and conf.head == conf.base:
        note = "Same counts at base and head."
    elif conf.head is not None and conf.base is not None:
        note = "Head counts, with the change against base in brackets."
    elif conf.head is not None:
        note = "Head counts. Not present at base."
    else:
        note = "Base counts. Not present at head."
    return "\n".join([title, "", header, rule, *rows, "", f"*{note}*"]) + "\n"


# --- report.html --------------------------------------------------------------------------

_PAGE_CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       color: #1f2328; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
.id { color: #59636e; font-family: ui-monospace, monospace; font-size: .85rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid #d1d9e0; padding: .25rem .6rem; }
th { background: #f6f8fa; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.diag { font-weight: 600; }
section.plot { margin: 1.5rem 0; } .chart { display: block; }
.failed { color: #d1242f; } .note { color: #59636e; }
"""

# No network: scripts and styles inline only, images as data: URIs, nothing to connect to.
# Vega compiles its expressions with Function(), hence 'unsafe-eval'.
_CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'unsafe-inline'; img-src data: blob:; font-src data:"
)

_EMBED_JS = """
for (const [id, spec] of Object.entries(MLCI_SPECS)) {
  const element = document.getElementById(id);
  vegaEmbed(element, spec, {mode: "vega-lite", renderer: "svg",
                            actions: {export: true, source: false, compiled: false, editor: false}})
    .catch((error) => {
      element.classList.add("failed");
      element.textContent = "This chart could not be drawn: " + error;
      console.error(error);
    });
}
"""


@functools.lru_cache(maxsize=1)
def vega_javascript() -> str:
    """Vega, Vega-Lite and vega-embed in one script (about 0.9 MB) that sets
    ``window.vegaEmbed``; bundled offline by ``vl-convert-python``."""
    try:
        import vl_convert
    except ImportError:
        raise MlciError(
            "report.html needs the vl-convert-python package, which is not installed",
            hint="pip install vl-convert-python",
        ) from None

    # Bundling takes about 1.6 s; keep the result per vl-convert version on disk.
    version = getattr(vl_convert, "__version__", "unknown")
    cache = resources.cache_dir() / f"vega-bundle-{version}.js"
    try:
        return cache.read_text(encoding="utf-8")
    except OSError:
        pass
    bundle = vl_convert.javascript_bundle(
        "window.vegaEmbed = vegaEmbed; window.vega = vega; window.vegaLite = vegaLite;"
    )
    # "</script" would end the <script> element early; in JS source "<\/" means the same.
    bundle = re.sub(r"</(script)", r"<\\/\1", bundle, flags=re.IGNORECASE)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(bundle, encoding="utf-8")
        partial.replace(cache)  # atomic: a parallel run never reads half a file
    except OSError:
        pass  # a read-only home is fine: bundle again next time
    return bundle


def script_json(value: Any) -> str:
    """JSON that is safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` in it."""
    text = json.dumps(value, ensure_ascii=True, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def curve_spec(curve: Curve, max_points: int = HTML_MAX_POINTS) -> dict[str, Any]:
    """A Vega-Lite spec with base and head overlaid, coloured by revision."""
    series = _present(curve)
    rows: list[dict[str, Any]] = []
    for rev, points in series:
        for i, (x, y) in enumerate(downsample(points, max_points)):
            rows.append({"rev": rev, "i": i, "x": x, "y": y})
    revs = [rev for rev, _ in series]
    mark: dict[str, Any] = {"type": "line", "tooltip": True, "strokeWidth": 2}
    if curve.template == "scatter":
        mark = {"type": "point", "tooltip": True, "filled": True}
    elif curve.template == "smooth":
        mark["interpolate"] = "monotone"
    encoding: dict[str, Any] = {
        "x": {"field": "x", "type": "quantitative", "title": curve.x_label or curve.x},
        "y": {"field": "y", "type": "quantitative", "title": curve.y_label or curve.y},
        "color": {
            "field": "rev",
            "type": "nominal",
            "title": "Revision",
            "scale": {"domain": revs, "range": [_COLOURS[rev] for rev in revs]},
            "legend": {"orient": "bottom"},
        },
        "order": {"field": "i", "type": "quantitative"},
    }
    if mark["type"] == "line":
        encoding["strokeDash"] = {
            "field": "rev",
            "type": "nominal",
            "scale": {"domain": revs, "range": [[6, 3] if r == "base" else [1, 0] for r in revs]},
        }
    return {
        "title": {"text": curve.title or curve.id, "subtitle": curve.id},
        "width": 560,
        "height": 340,
        "data": {"values": rows},
        "mark": mark,
        "encoding": encoding,
    }


def confusion_spec(conf: Confusion) -> dict[str, Any]:
    """A Vega-Lite heatmap per revision (base left, head right) with counts in the cells."""
    rows: list[dict[str, Any]] = []
    peak = 0
    for rev, matrix in (("base", conf.base), ("head", conf.head)):
        if matrix is None:
            continue
        for i, actual in enumerate(conf.labels):
            for j, predicted in enumerate(conf.labels):
                count = matrix[i][j]
                peak = max(peak, count)
                rows.append({"rev": rev, "actual": actual, "predicted": predicted, "count": count})
    revs = [rev for rev, matrix in (("base", conf.base), ("head", conf.head)) if matrix is not None]
    labels = list(conf.labels)
    size = max(120, min(480, 60 * len(labels)))
    axes = {
        "x": {
            "field": "predicted",
            "type": "nominal",
            "sort": labels,
            "title": conf.y_label,
            "axis": {"labelAngle": 0},
        },
        "y": {"field": "actual", "type": "nominal", "sort": labels, "title": conf.x_label},
    }
    return {
        "title": {"text": conf.title or conf.id, "subtitle": conf.id},
        "data": {"values": rows},
        "facet": {
            "column": {"field": "rev", "type": "nominal", "sort": revs, "title": None},
        },
        "spec": {
            "width": size,
            "height": size,
            "encoding": axes,
            "layer": [
                {
                    "mark": {"type": "rect", "tooltip": True},
                    "encoding": {
                        "color": {
                            "field": "count",
                            "type": "quantitative",
                            "title": "Count",
                            "scale": {"scheme": "blues"},
                        }
                    },
                },
                {
                    "mark": {"type": "text", "fontSize": 13},
                    "encoding": {
                        "text": {"field": "count", "type": "quantitative"},
                        "color": {
                            "condition": {
                                "test": f"datum.count > {peak * 0.6:.6g}",
                                "value": "white",
                            },
                            "value": "black",
                        },
                    },
                },
            ],
        },
    }


def metrics_spec(changes: Sequence[Change], max_bars: int = 30) -> dict[str, Any] | None:
    """A horizontal bar chart of the relative change (%) of changed numeric metrics."""
    bars = _numeric_changes(changes, max_bars)
    if not bars:
        return None
    rows = [
        {
            "metric": f"{c.file}: {c.key}",
            "pct": round(c.change_pct or 0.0, 4),
            "direction": "increase" if (c.change_pct or 0.0) > 0 else "decrease",
        }
        for c in bars
    ]
    return {
        "title": "Relative change of each metric against base (%)",
        "width": 480,
        "data": {"values": rows},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "y": {"field": "metric", "type": "nominal", "sort": None, "title": None},
            "x": {"field": "pct", "type": "quantitative", "title": "Change (%)"},
            "color": {
                "field": "direction",
                "type": "nominal",
                "scale": {"domain": ["decrease", "increase"], "range": ["#bc4c00", HEAD_COLOUR]},
                "legend": None,
            },
        },
    }


def _metrics_table(changes: Sequence[Change]) -> str:
    rows = "".join(
        f"<tr><td>{_esc(c.file)}</td><td>{_esc(c.key)}</td>"
        f'<td class="num">{_esc(fmt_value(c.base))}</td>'
        f'<td class="num">{_esc(fmt_value(c.head))}</td>'
        f'<td class="num">{_esc(fmt_change(c))}</td></tr>\n'
        for c in changes
    )
    return (
        "<table><thead><tr><th>File</th><th>Metric</th><th>Base</th><th>Head</th>"
        f"<th>Change</th></tr></thead>\n<tbody>\n{rows}</tbody></table>"
    )


def _confusion_table(conf: Confusion) -> str:
    shown = conf.head if conf.head is not None else conf.base
    if shown is None:
        return ""
    base = conf.base if conf.head is not None else None  # deltas only with both
    head_cells = "".join(f"<th>{_esc(label)}</th>" for label in conf.labels)
    corner = _esc(f"{conf.x_label} ↓ / {conf.y_label} →")
    body = []
    for i, label in enumerate(conf.labels):
        cells = []
        for j in range(len(conf.labels)):
            text = str(shown[i][j]) if base is None else _delta(shown[i][j], base[i][j])
            cls = "num diag" if i == j else "num"
            cells.append(f'<td class="{cls}">{_esc(text)}</td>')
        body.append(f"<tr><th>{_esc(label)}</th>{''.join(cells)}</tr>")
    if base is not None and base == shown:
        caption = "Same counts at base and head."
    elif base is not None:
        caption = "Head counts, with the change against base in brackets."
    elif conf.head is not None:
        caption = "Head counts. Not present at base."
    else:
        caption = "Base counts. Not present at head."
    return (
        f"<table><thead><tr><th>{corner}</th>{head_cells}</tr></thead>\n<tbody>\n"
        + "\n".join(body)
        + f'</tbody></table>\n<p class="note">{_esc(caption)}</p>'
    )


def _section(chart_id: str | None, *html_parts: str) -> str:
    chart = f'<div class="chart" id="{chart_id}"></div>' if chart_id else ""
    return '<section class="plot">' + chart + "".join(html_parts) + "</section>"


def render_html(plots: Plots, title: str, metrics: Sequence[Change] = ()) -> str:
    """``report.html``: one page with every plot and the metrics, opening with no network.

    Curves are Vega-Lite charts with base and head overlaid; confusion matrices are
    heatmaps side by side plus a table of changes; the metrics are a bar chart of
    relative changes and a table. The JavaScript that draws the charts (about 0.9 MB)
    is inlined, only when there is a chart to draw.
    """
    specs: dict[str, dict[str, Any]] = {}
    parts = [f"<h1>{_esc(title)}</h1>"]

    if metrics:
        parts.append("<h2>Metrics</h2>")
        chart = metrics_spec(metrics)
        if chart is not None:
            specs["mlci-metrics"] = chart
        parts.append(_section("mlci-metrics" if chart else None, _metrics_table(metrics)))

    if plots.curves or plots.confusions or plots.images:
        parts.append("<h2>Plots</h2>")
    elif not plots.errors:
        parts.append('<p class="note">No DVC plots at base or head.</p>')
    for i, curve in enumerate(plots.curves):
        notes = []
        if curve.base is None:
            notes.append("Not present at base.")
        if curve.head is None:
            notes.append("Not present at head.")
        chart_id = None
        if _present(curve):
            chart_id = f"mlci-curve-{i}"
            specs[chart_id] = curve_spec(curve)
        else:
            notes.insert(0, f"{curve.title or curve.id}: no data at base or head.")
        note = f'<p class="note">{_esc(" ".join(notes))}</p>' if notes else ""
        parts.append(_section(chart_id, note))
    for i, conf in enumerate(plots.confusions):
        if conf.labels and (conf.base is not None or conf.head is not None):
            chart_id = f"mlci-confusion-{i}"
            specs[chart_id] = confusion_spec(conf)
            parts.append(_section(chart_id, _confusion_table(conf)))
        else:
            note = f"{conf.title or conf.id}: no data at base or head."
            parts.append(_section(None, f'<p class="note">{_esc(note)}</p>'))
    if plots.images:
        items = "".join(
            f'<li><span class="id">{_esc(image.path)}</span>: '
            f"{'at base' if image.in_base else 'not at base'}, "
            f"{'at head' if image.in_head else 'not at head'}</li>"
            for image in plots.images
        )
        parts.append(f"<h3>Image plots</h3><ul>{items}</ul>")
    if plots.errors:
        items = "".join(f"<li>{_esc(error)}</li>" for error in plots.errors)
        parts.append(f"<h2>Plots that could not be read</h2><ul>{items}</ul>")

    scripts = ""
    if specs:
        scripts = (
            f"<script>{vega_javascript()}</script>\n"
            f"<script>const MLCI_SPECS = {script_json(specs)};\n{_EMBED_JS}</script>\n"
        )
    body = "\n".join(parts)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_esc(title)}</title>\n<style>{_PAGE_CSS}</style>\n</head>\n<body>\n"
        f"{body}\n<noscript><p>Turn on JavaScript to see the charts.</p></noscript>\n"
        f"{scripts}</body>\n</html>\n"
    )
