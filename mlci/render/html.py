"""report.html: one self-contained page of the run's charts, base against head.

Vega-Lite charts with the Vega, Vega-Lite and vega-embed JavaScript inlined (from the
``vl-convert-python`` wheel), so the page opens from disk or a CI artifact with no
network; a Content-Security-Policy forbids any. Every string on the page comes from
the pull request, so each is HTML-escaped, or JSON-encoded safely inside ``<script>``.
The curves and colours are the ones :mod:`mlci.render.charts` draws for the PR comment.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
from collections.abc import Sequence
from typing import Any

import jinja2
from markupsafe import Markup, escape

from mlci import resources
from mlci.errors import MlciError
from mlci.render.charts import (
    COLOURS,
    confusion_cells,
    downsample,
    numeric_changes,
    present,
)
from mlci.render.markdown import dataset_summary, fmt_change, judgement, sentence, verdict_summary
from mlci.render.templates import Loader
from mlci.render.text import VERDICT_ICON, fmt_value
from mlci.results import Change, Confusion, Curve, GateResult, ImagePlot, Plots, Results

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
header.fail h1 { color: #d1242f; } header.warn h1 { color: #9a6700; }
header.pass h1 { color: #1a7f37; } tr.fail td { background: #ffebe9; }
tr.warn td { background: #fff8c5; }
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
            "title": "RevisionReader",
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
    or, for ``confusion_normalized``, each row's shares in percent; DVC's x field across,
    its y field down, as `dvc plots show` draws them."""
    rows: list[dict[str, Any]] = []
    field = "share" if conf.normalized else "count"
    peak = 0.0
    for rev, matrix in (("base", conf.base), ("head", conf.head)):
        if matrix is None:
            continue
        for i, row_class in enumerate(conf.labels):
            total = sum(matrix[i])
            for j, column_class in enumerate(conf.labels):
                count = matrix[i][j]
                share = round(100 * count / total, 1) if total else 0.0
                peak = max(peak, share if conf.normalized else count)
                rows.append(
                    {
                        "rev": rev,
                        "row": row_class,
                        "column": column_class,
                        "count": count,
                        "share": share,
                    }
                )
    revs = [rev for rev, matrix in (("base", conf.base), ("head", conf.head)) if matrix is not None]
    labels = list(conf.labels)
    size = max(120, min(480, 60 * len(labels)))
    axes = {
        "x": {
            "field": "column",
            "type": "nominal",
            "sort": labels,
            "title": conf.x_label,
            "axis": {"labelAngle": 0},
        },
        "y": {"field": "row", "type": "nominal", "sort": labels, "title": conf.y_label},
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
                            "title": "% of the row" if conf.normalized else "Count",
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
    """A horizontal bar chart of the relative change (%) of changed numeric metrics,
    green where the change is better, red where worse (the metric's direction), grey
    where no direction is known."""
    bars = numeric_changes(changes, max_bars)
    if not bars:
        return None
    rows = [
        {
            "metric": f"{c.file}: {c.key}",
            "pct": round(c.change_pct or 0.0, 4),
            "judgement": judgement(c) or "no direction",
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
                "field": "judgement",
                "type": "nominal",
                "title": None,
                "scale": {
                    "domain": ["better", "worse", "no direction"],
                    "range": ["#1a7f37", "#d1242f", "#8c959f"],
                },
                "legend": {"orient": "bottom"},
            },
        },
    }


def intervals_spec(changes: Sequence[Change], gates: Sequence[GateResult]) -> dict[str, Any] | None:
    """Each gated metric computed from predictions: its change (head - base) as a dot
    on the interval bar the paired bootstrap gives it, against a line at zero. A bar
    that crosses zero is a change the test set cannot tell from noise."""
    gated = {(gate.file, gate.key) for gate in gates}
    rows = [
        {
            "metric": f"{c.file}: {c.key}",
            "base": c.base,
            "head": c.head,
            "change": c.change,
            "low": c.low,
            "high": c.high,
            "p": c.p_value,
        }
        for c in changes
        if (c.file, c.key) in gated
        and c.change is not None
        and c.low is not None
        and c.high is not None
        and all(math.isfinite(v) for v in (c.change, c.low, c.high))
    ]
    if not rows:
        return None
    y = {"field": "metric", "type": "nominal", "sort": None, "title": None}
    return {
        "title": "Change of each gated metric, with its confidence interval",
        "width": 480,
        "data": {"values": rows},
        "layer": [
            {
                "mark": {"type": "rule", "strokeWidth": 3, "color": "#8c959f"},
                "encoding": {
                    "y": y,
                    "x": {"field": "low", "type": "quantitative", "title": "Head - base"},
                    "x2": {"field": "high"},
                },
            },
            {
                "mark": {"type": "point", "filled": True, "size": 60, "tooltip": True},
                "encoding": {
                    "y": y,
                    "x": {"field": "change", "type": "quantitative"},
                    "color": {"value": "#1f6feb"},
                },
            },
            {
                "data": {"values": [{"zero": 0}]},
                "mark": {"type": "rule", "strokeDash": [4, 4], "color": "#57606a"},
                "encoding": {"x": {"field": "zero", "type": "quantitative"}},
            },
        ],
    }


def _confusion_table(conf: Confusion) -> dict[str, Any] | None:
    found = confusion_cells(conf)
    if found is None:
        return None
    cells, caption = found
    return {
        "corner": f"{conf.y_label} ↓ / {conf.x_label} →",
        "labels": conf.labels,
        "rows": [
            (label, [(text, i == j) for j, text in enumerate(cells[i])])
            for i, label in enumerate(conf.labels)
        ],
        "caption": caption,
    }


# What an image plot may be inlined as: the data: URIs mlci.dvc.plotdata writes. A
# results file from another job is validated before it gets here; check anyway.
_IMAGE_URI = re.compile(r"data:image/(png|jpeg|gif|svg\+xml);base64,[A-Za-z0-9+/]*={0,2}")


def _image(image: ImagePlot) -> dict[str, Any]:
    """Base and head side by side. An ``<img>`` runs no script, SVG included."""
    figures = [
        {
            "label": label,
            "present": present_here,
            "uri": uri if uri is not None and _IMAGE_URI.fullmatch(uri) else None,
        }
        for label, present_here, uri in (
            ("base", image.in_base, image.base_uri),
            ("head", image.in_head, image.head_uri),
        )
    ]
    return {"path": image.path, "figures": figures, "note": image.note}


def _plot_sections(plots: Plots, specs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One section per curve and confusion matrix; their Vega-Lite specs go to ``specs``."""
    sections: list[dict[str, Any]] = []
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
        sections.append({"chart_id": chart_id, "table": None, "note": " ".join(notes)})
    for i, conf in enumerate(plots.confusions):
        if conf.labels and (conf.base is not None or conf.head is not None):
            chart_id = f"mlci-confusion-{i}"
            specs[chart_id] = confusion_spec(conf)
            sections.append({"chart_id": chart_id, "table": _confusion_table(conf), "note": ""})
        else:
            note = f"{conf.title or conf.id}: no data at base or head."
            sections.append({"chart_id": None, "table": None, "note": note})
    return sections


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The environment report.html.j2 renders in (its compiled module: see
    mlci.render.templates)."""
    env = jinja2.Environment(
        loader=Loader(str(resources.templates_dir())),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        value=fmt_value,
        change=fmt_change,
        number=lambda value: f"{value:.4g}",
        icon=lambda outcome: VERDICT_ICON.get(outcome, ""),
        dataset_summary=dataset_summary,
        sentence=sentence,
    )
    return env


def render_html(results: Results) -> str:
    """``report.html``: the verdict and why (failing gates, tests, data and drift), then
    the metrics and every plot, on one page that opens with no network.

    Curves are Vega-Lite charts with base and head overlaid; confusion matrices are
    heatmaps side by side plus a table of changes; the metrics are a bar chart of
    relative changes and a table. The JavaScript that draws the charts (about 0.9 MB)
    is inlined, only when there is a chart to draw.
    """
    plots = results.plots or Plots()
    specs: dict[str, dict[str, Any]] = {}
    chart = metrics_spec(results.metrics) if results.metrics else None
    if chart is not None:
        specs["mlci-metrics"] = chart
    intervals = intervals_spec(results.metrics, results.gates)
    if intervals is not None:
        specs["mlci-intervals"] = intervals
    sections = _plot_sections(plots, specs)
    problems = sorted(
        (gate for gate in results.gates if gate.outcome != "pass"),
        key=lambda gate: (gate.outcome != "fail", gate.file, gate.key),
    )
    notes = [f"Could not read {e.file} at {e.rev}: {e.message}" for e in results.errors]
    notes += list(results.notes)
    if results.pipeline is not None:
        if results.pipeline.reproduced:
            notes.append(f"Re-ran the DVC pipeline: {', '.join(results.pipeline.reproduced)}.")
        notes += list(results.pipeline.skipped)
    context = {
        "results": results,
        "icon": VERDICT_ICON[results.verdict],
        "summary": sentence(verdict_summary(results)) + ".",
        "problems": problems,
        "notes": notes,
        "plots": plots,
        "sections": sections,
        "images": [_image(image) for image in plots.images],
        "specs": specs,
        "csp": Markup(_CSP),
        "css": Markup(_PAGE_CSS),
        "vega": Markup(vega_javascript()) if specs else "",
        "specs_json": Markup(script_json(specs)),
        "embed": Markup(_EMBED_JS),
        "metric_rows": _metric_rows(results.metrics),
    }
    return environment().get_template("report.html.j2").render(context)


def _metric_rows(changes: Sequence[Change]) -> Markup:
    """The metrics table's rows, each cell escaped by markupsafe (C), as the template's
    autoescaping would: a join, not a Jinja loop per cell (most of report.html's time at
    100,000 metrics)."""
    return Markup(
        "\n".join(
            f"<tr><td>{escape(c.file)}</td><td>{escape(c.key)}</td>"
            f'<td class="num">{escape(fmt_value(c.base))}</td>'
            f'<td class="num">{escape(fmt_value(c.head))}</td>'
            f'<td class="num">{escape(fmt_change(c))}</td></tr>'
            for c in changes
        )
    )
