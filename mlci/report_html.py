"""report.html: one self-contained page of the run's charts, base against head.

Vega-Lite charts with the Vega, Vega-Lite and vega-embed JavaScript inlined (from the
``vl-convert-python`` wheel), so the page opens from disk or a CI artifact with no
network; a Content-Security-Policy forbids any. Every string on the page comes from
the pull request, so each is HTML-escaped, or JSON-encoded safely inside ``<script>``.
The curves and colours are the ones :mod:`mlci.plots` draws for the PR comment.
"""

from __future__ import annotations

import functools
import html
import json
import os
import re
from collections.abc import Sequence
from typing import Any

from mlci import resources
from mlci.errors import MlciError
from mlci.plots import (
    COLOURS,
    HEAD_COLOUR,
    confusion_cells,
    downsample,
    numeric_changes,
    present,
)
from mlci.report import fmt_change, fmt_value
from mlci.results import Change, Confusion, Curve, ImagePlot, Plots

# Most points kept per revision and curve in report.html: enough for any ROC curve
# at screen resolution, while a 1,000,000-row log cannot blow up the page.
HTML_MAX_POINTS = 2000

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
.pair { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; max-width: calc(50% - .5rem); }
figure img { max-width: 100%; border: 1px solid #d1d9e0; }
figcaption { color: #59636e; font-size: .85rem; }
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
    series = present(curve)
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
            "scale": {"domain": revs, "range": [COLOURS[rev] for rev in revs]},
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
    """A Vega-Lite heatmap per revision (base left, head right) with counts in the cells,
    or, for ``confusion_normalized``, each actual class's share (its row) in percent."""
    rows: list[dict[str, Any]] = []
    field = "share" if conf.normalized else "count"
    peak = 0.0
    for rev, matrix in (("base", conf.base), ("head", conf.head)):
        if matrix is None:
            continue
        for i, actual in enumerate(conf.labels):
            total = sum(matrix[i])
            for j, predicted in enumerate(conf.labels):
                count = matrix[i][j]
                share = round(100 * count / total, 1) if total else 0.0
                peak = max(peak, share if conf.normalized else count)
                rows.append(
                    {
                        "rev": rev,
                        "actual": actual,
                        "predicted": predicted,
                        "count": count,
                        "share": share,
                    }
                )
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
                            "field": field,
                            "type": "quantitative",
                            "title": "% of actual" if conf.normalized else "Count",
                            "scale": {"scheme": "blues"},
                        }
                    },
                },
                {
                    "mark": {"type": "text", "fontSize": 13},
                    "encoding": {
                        "text": {"field": field, "type": "quantitative"},
                        "color": {
                            "condition": {
                                "test": f"datum.{field} > {peak * 0.6:.6g}",
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
    bars = numeric_changes(changes, max_bars)
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
    found = confusion_cells(conf)
    if found is None:
        return ""
    cells, caption = found
    head_cells = "".join(f"<th>{_esc(label)}</th>" for label in conf.labels)
    corner = _esc(f"{conf.x_label} ↓ / {conf.y_label} →")
    body = []
    for i, label in enumerate(conf.labels):
        row = "".join(
            f'<td class="{"num diag" if i == j else "num"}">{_esc(text)}</td>'
            for j, text in enumerate(cells[i])
        )
        body.append(f"<tr><th>{_esc(label)}</th>{row}</tr>")
    return (
        f"<table><thead><tr><th>{corner}</th>{head_cells}</tr></thead>\n<tbody>\n"
        + "\n".join(body)
        + f'</tbody></table>\n<p class="note">{_esc(caption)}</p>'
    )


# What an image plot may be inlined as: the data: URIs mlci.dvc.plotdata writes. A
# results file is rendered only by the run that wrote it, but check anyway.
_IMAGE_URI = re.compile(r"data:image/(png|jpeg|gif|svg\+xml);base64,[A-Za-z0-9+/]*={0,2}")


def _figure(label: str, present: bool, uri: str | None, path: str) -> str:
    if uri is not None and _IMAGE_URI.fullmatch(uri):
        body = f'<img src="{uri}" alt="{_esc(path)} at {label}">'
    elif present:
        body = '<p class="note">not inlined</p>'
    else:
        body = f'<p class="note">not at {label}</p>'
    return f"<figure><figcaption>{label}</figcaption>{body}</figure>"


def _image_section(image: ImagePlot) -> str:
    """Base and head side by side. An ``<img>`` runs no script, SVG included."""
    figures = _figure("base", image.in_base, image.base_uri, image.path) + _figure(
        "head", image.in_head, image.head_uri, image.path
    )
    note = f'<p class="note">{_esc(image.note)}</p>' if image.note else ""
    return (
        f'<section class="plot"><p class="id">{_esc(image.path)}</p>'
        f'<div class="pair">{figures}</div>{note}</section>'
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
        if present(curve):
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
        parts.append("<h3>Image plots</h3>")
        parts.extend(_image_section(image) for image in plots.images)
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
