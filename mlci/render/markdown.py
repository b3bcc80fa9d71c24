"""Render results with Jinja2: Markdown for the PR comment / report.md, text for a terminal.

Every ``{{ expression }}`` in a Markdown template is escaped on output (Jinja's
``finalize``), so a metric key, branch name or param value from a pull request
cannot close a table cell, open HTML, embed an image, ``@mention`` anyone or
forge the hidden marker. Templates opt out only for :class:`Md` values, which
only this module and the templates themselves create.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import jinja2

from mlci import resources
from mlci.render.templates import Loader
from mlci.render.text import (
    MAX_CELL,
    VERDICT_ICON,
    Lines,
    Md,
    cell,
    escape_md,
    escape_text,
    fmt_value,
    terminal_field,
)
from mlci.results import (
    Change,
    Confusion,
    Curve,
    DatasetReport,
    GateResult,
    Results,
    dump_json,
    worst,
)

_STATUS_WORDS = {"new": "new", "removed": "removed", "not compared": "not compared"}


def judgement(change: Change) -> str | None:
    """ "better" or "worse" for a change with a known direction (``Change.better``)."""
    if change.better is None or not change.change:
        return None
    return "better" if (change.change > 0) == (change.better == "higher") else "worse"


_MINUS = "\u2212"
# Metrics that are shares of examples (0 to 1): their changes read in percentage points.
_RATES = frozenset({"accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc"})


def _signed(value: float, digits: int, unit: str = "") -> str:
    text = f"{abs(value):.{digits}f}" if unit else f"{abs(value):.{digits}g}"
    return ("+" if value > 0 else _MINUS if value < 0 else "") + text


def fmt_p(p_value: float) -> str:
    if p_value < 0.001:
        return "p < 0.001"
    return f"p = {p_value:.3f}" if p_value < 0.01 else f"p = {p_value:.2f}"


def fmt_interval(change: Change) -> str:
    """A change computed from predictions, compactly: ``▼ -0.88 pt [-2.6, +0.9] · p =
    0.50 · not significant`` (with true minus signs): the change, its interval, the
    p-value and what it means at the level of the rule that gates it (else 1 -
    confidence)."""
    assert change.change is not None
    rate = change.key.rsplit(".", 1)[-1] in _RATES
    scale, unit = (100.0, " pt") if rate else (1.0, "")
    arrow = "▲ " if change.change > 0 else "▼ " if change.change < 0 else ""
    text = arrow + _signed(change.change * scale, 2 if rate else 3, unit) + unit
    if change.low is not None and change.high is not None:
        low = _signed(change.low * scale, 1 if rate else 2, unit)
        high = _signed(change.high * scale, 1 if rate else 2, unit)
        text += f" [{low}, {high}]"
    if change.p_value is not None:
        text += " · " + fmt_p(change.p_value)
        if change.level is not None:
            significant = change.p_value < change.level
            text += " · " + ("significant" if significant else "not significant")
    if not change.gated:
        text += f" · {change.rows} examples: not gated"
    return text


def fmt_change(change: Change) -> str:
    """A metric's change: ``▼ -0.05 (-5.00%) worse``: the arrow is the sign, the word
    whether that is good, where the direction is known (a rule's, or a loss's name)."""
    if change.change is not None and (change.low is not None or change.p_value is not None):
        return fmt_interval(change)
    if change.change is None:
        return _STATUS_WORDS.get(change.status, "")
    if change.change == 0:
        return "0"
    arrow = "▲" if change.change > 0 else "▼"
    sign = "+" if change.change > 0 else ""
    text = f"{arrow} {sign}{fmt_value(change.change)}"
    if change.change_pct is not None:
        pct = change.change_pct
        text += f" ({sign}{pct:.2f}%)" if abs(pct) < 1e6 else f" ({sign}{pct:.3g}%)"
    verdict = judgement(change)
    return f"{text} {verdict}" if verdict else text


def fmt_param_change(change: Change) -> str:
    """A param's change: the difference, no arrow and no judgement (a param is a choice,
    not a score)."""
    if change.change is None:  # not two numbers: say what happened to it
        return "changed" if change.status == "changed" else _STATUS_WORDS.get(change.status, "")
    if change.change == 0:
        return "0"
    return f"{'+' if change.change > 0 else ''}{fmt_value(change.change)}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def verdict_summary(results: Results) -> str:
    """What was judged and how it went, in one line every output shares (the comment,
    the terminal, report.html, the status): ``1 of 9 failed (7 gate checks, the tests,
    1 dataset)``. Tests and datasets are counted as what they are, not as gates."""
    counts = results.counts()
    total = sum(counts.values())
    judged = []
    if results.gates:
        judged.append(_plural(len(results.gates), "gate check"))
    if results.tests is not None:
        judged.append("the tests")
    if results.data:
        judged.append(_plural(len(results.data), "dataset"))
    what = f" ({', '.join(judged)})" if judged else ""
    if counts["fail"]:
        warned = f", {counts['warn']} warned" if counts["warn"] else ""
        return f"{counts['fail']} of {total} failed{warned}{what}"
    if counts["warn"]:
        return f"nothing failed, {counts['warn']} of {total} warned{what}"
    if total:
        return ("the only check passed" if total == 1 else f"all {total} passed") + what
    return "nothing is gated"


def dataset_summary(ds: DatasetReport) -> str:
    """One line that names what failed in a dataset: the checks, the drift, or nothing."""
    failed = [c for c in ds.checks if c.outcome == "fail"]
    parts = []
    if failed:
        parts.append(f"{len(failed)} of {len(ds.checks)} checks failed")
    elif ds.checks:
        parts.append(
            "the check passes" if len(ds.checks) == 1 else f"all {len(ds.checks)} checks pass"
        )
    if ds.drift is not None and ds.drift.outcome != "pass":
        verb = "failed" if ds.drift.outcome == "fail" else "warns"
        parts.append(f"drift {verb}: {ds.drift.reason}")
    elif ds.drift is not None:
        parts.append("no drift")
    text = "; ".join(parts) or "nothing checked"
    if ds.severity == "warn" and ds.outcome != "pass":
        text += " (severity: warn)"
    if ds.source == "head":
        text += " (declared in this branch's mlci.yaml)"
    return text


def sentence(text: str) -> str:
    """``text`` with its first letter upper-cased (Jinja's ``capitalize`` lowers the rest)."""
    return text[:1].upper() + text[1:]


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "report"


def marker(title: str) -> str:
    """The hidden marker that identifies mlci's comment for one report title."""
    return f"<!-- mlci-report: {slug(title)} -->"


class _Row:
    """A metric row with the gates that apply to it, for the templates."""

    __slots__ = ("change", "gates", "outcome", "rules")

    def __init__(self, change: Change, gates: Sequence[GateResult]) -> None:
        self.change = change
        self.gates = gates
        self.rules = sorted({gate.rule.split(": ", 1)[-1] for gate in gates}) if gates else []
        if gates:
            self.outcome: str | None = worst(gate.outcome for gate in gates)
        elif change.head is not None and not isinstance(change.head, (int, float)):
            self.outcome = "not numeric"
        else:
            self.outcome = None


def _rows(results: Results) -> list[_Row]:
    by_metric: dict[tuple[str, str], list[GateResult]] = {}
    for gate in results.gates:
        by_metric.setdefault((gate.file, gate.key), []).append(gate)
    return [
        _Row(change, by_metric.get((change.file, change.key), [])) for change in results.metrics
    ]


def _split(rows: Iterable[_Row], fold: bool) -> tuple[list[_Row], list[_Row]]:
    shown: list[_Row] = []
    folded: list[_Row] = []
    for row in rows:
        quiet = row.change.status == "unchanged" and row.outcome in (None, "pass", "not numeric")
        (folded if fold and quiet else shown).append(row)
    return shown, folded


def _status_cell(row: _Row) -> str:
    """The Status column: the outcome's icon (escaping leaves an icon as it is), or the
    outcome in words."""
    if row.outcome in ("pass", "warn", "fail"):
        return VERDICT_ICON[row.outcome]
    return row.outcome or ""


# Tab and newline: not printable, so never in a cell the fast path below escapes.
_CELL, _ROW = "\t", "\n"


def _table(rows: Iterable[Sequence[str]]) -> Md:
    """Markdown table rows, every cell escaped as :func:`escape_md` does, one line each.

    Built in Python, not by a Jinja loop with a ``finalize`` call per cell (at
    100,000 metrics that loop was most of the rendering time). When every cell is
    printable and short enough to keep whole, which is what metric names and values
    are, the whole table is escaped at once (:func:`escape_text` over its text), cells
    joined by tabs and rows by newlines (neither is in a printable cell); otherwise
    escape_md escapes it cell by cell.
    """
    table = [row if isinstance(row, list) else list(row) for row in rows]
    if not table:
        return Md("")
    text = _ROW.join([_CELL.join(row) for row in table])
    if (
        # no tab or newline but the separators, and nothing else unprintable
        text.count(_CELL) == sum(len(row) - 1 for row in table)
        and text.count(_ROW) == len(table) - 1
        and text.replace(_CELL, "").replace(_ROW, "").isprintable()
        and max(map(len, itertools.chain.from_iterable(table))) <= MAX_CELL
    ):
        escaped = escape_text(text)
        return Md("| " + escaped.replace(_CELL, " | ").replace(_ROW, " |\n| ") + " |")
    return Md(_ROW.join(["| " + " | ".join([escape_md(c) for c in row]) + " |" for row in table]))


class _Tables:
    """The long tables of a report, each built on first use and kept: the report's
    variants (with and without charts, without the folded rows) and `mlci diff`
    render the same results, and at 100,000 metrics the rows are the work."""

    def __init__(self, results: Results) -> None:
        self.results = results

    @functools.cached_property
    def _shown_and_folded(self) -> tuple[list[_Row], list[_Row]]:
        return _split(_rows(self.results), self.results.fold_unchanged)

    @property
    def shown(self) -> list[_Row]:
        """The metric rows the report shows (changed, or judged other than pass)."""
        return self._shown_and_folded[0]

    @property
    def folded(self) -> list[_Row]:
        """The unchanged rows folded away, when the config folds them."""
        return self._shown_and_folded[1]

    @functools.cached_property
    def metrics(self) -> Md:
        """`mlci diff`'s metric rows: file, metric, base, head, change."""
        return _table(
            (c.file, c.key, fmt_value(c.base), fmt_value(c.head), fmt_change(c))
            for c in self.results.metrics
        )

    @functools.cached_property
    def params(self) -> Md:
        """`mlci diff`'s param rows: file, param, base, head, change."""
        return _table(
            (c.file, c.key, fmt_value(c.base), fmt_value(c.head), fmt_param_change(c))
            for c in self.results.params
        )

    @functools.cached_property
    def shown_rows(self) -> Md:
        """The comment's metric rows: file, metric, base, head, change, gate, status."""
        return _table(
            (
                row.change.file,
                row.change.key,
                fmt_value(row.change.base),
                fmt_value(row.change.head),
                fmt_change(row.change),
                "; ".join(row.rules),
                _status_cell(row),
            )
            for row in self.shown
        )

    @functools.cached_property
    def folded_rows(self) -> Md:
        """The comment's unchanged rows: file, metric, value, gate, status."""
        return _table(
            (
                row.change.file,
                row.change.key,
                fmt_value(row.change.head),
                "; ".join(row.rules),
                _status_cell(row),
            )
            for row in self.folded
        )

    @functools.cached_property
    def changed_params(self) -> Md:
        """The comment's param rows: file, param, base, head."""
        return _table(
            (p.file, p.key, fmt_value(p.base), fmt_value(p.head))
            for p in self.results.params
            if p.status != "unchanged"
        )


def _context(results: Results, tables: _Tables | None = None) -> dict[str, Any]:
    """The templates' context; ``tables``: the rows already built for these results (a
    :class:`Report` keeps them for all its variants)."""
    tables = tables or _Tables(results)
    shown, folded = tables.shown, tables.folded
    problems = [gate for gate in results.gates if gate.outcome != "pass"]
    problems.sort(key=lambda gate: (gate.outcome != "fail", gate.file, gate.key))
    return {
        "results": results,
        "icon": VERDICT_ICON[results.verdict],
        "counts": results.counts(),
        "summary": verdict_summary(results),
        "rows": shown,
        "folded": folded,
        "problems": problems,
        "params": [p for p in results.params if p.status != "unchanged"],
        "unchanged_params": sum(1 for p in results.params if p.status == "unchanged"),
        "marker": Md(marker(results.title)),
        "files": len({change.file for change in results.metrics}),
        "tables": tables,
    }


@functools.lru_cache(maxsize=2)
def environment(markdown: bool) -> jinja2.Environment:
    """One environment per kind, per process: each template compiles once per run.

    Not across runs: a bytecode cache on disk would save ~0.04 s, but on a
    self-hosted runner a pull request's pipeline code could plant bytecode there
    that a later job holding a write token (`mlci publish`) would then execute.
    """
    env = jinja2.Environment(
        loader=Loader(str(resources.templates_dir())),  # precompiled: mlci.render.templates
        autoescape=False,  # Markdown, not HTML: escaping is done by escape_md below
        finalize=escape_md if markdown else terminal_field,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        value=fmt_value,
        change=fmt_change,
        param_change=fmt_param_change,
        dataset_summary=dataset_summary,
        sentence=sentence,
        icon=lambda outcome: Md(VERDICT_ICON.get(outcome, "")),
        md=escape_md,
        mermaid=_mermaid,
        confusion=_confusion,
        metrics_bar=_metrics_bar,
    )
    return env


def _mermaid(curve: Curve) -> Md:
    from mlci.render.charts import mermaid_curve  # mlci.render.charts imports this module

    return Md(mermaid_curve(curve))


def _confusion(conf: Confusion) -> Md:
    from mlci.render.charts import confusion_markdown

    return Md(confusion_markdown(conf))


def _metrics_bar(changes: Sequence[Change]) -> Md:
    from mlci.render.charts import metrics_bar

    return Md(metrics_bar(changes))


def render_markdown(
    results: Results,
    template: str = "comment.md.j2",
    *,
    omit_folded: bool = False,
    charts: bool = True,
    artifacts: str | None = None,
    tables: _Tables | None = None,
) -> str:
    """The PR comment / report.md: verdict first, hidden marker last.

    ``charts=False`` leaves the Mermaid charts out (the first thing to go when the
    comment must shrink); ``artifacts`` names where report.html is (a Markdown link).
    """
    context = {
        **_context(results, tables),
        "omit_folded": omit_folded,
        "charts": charts,
        "artifacts": Md(artifacts) if artifacts else None,
    }
    return environment(markdown=True).get_template(template).render(context)


class Report:
    """One run's Markdown, each variant rendered once and reused for the report file, the
    job summary, the step output and the comment (which may need the smaller variants).

    ``artifacts`` names where report.html is (a Markdown link), in every variant.
    """

    def __init__(self, results: Results, *, artifacts: str | None = None) -> None:
        self.results = results
        self.artifacts = artifacts
        self._rendered: dict[tuple[bool, bool], str] = {}
        self._tables = _Tables(results)  # the rows, built once for every variant

    def markdown(self, *, charts: bool = True, omit_folded: bool = False) -> str:
        """The report; ``charts=False`` leaves the Mermaid charts out and ``omit_folded``
        the unchanged rows (what goes first when a comment must shrink)."""
        key = (charts, omit_folded)
        if key not in self._rendered:
            self._rendered[key] = render_markdown(
                self.results,
                charts=charts,
                omit_folded=omit_folded,
                artifacts=self.artifacts,
                tables=self._tables,
            )
        return self._rendered[key]


# The tables each terminal template shows: the others are not built (tabulate takes
# seconds over 100,000 rows, and `mlci check` shows the changed ones only).
_TERMINAL_TABLES = {
    "check.txt.j2": ("metric_table", "param_table", "delta_bars"),
    "diff.txt.j2": ("all_metric_table", "all_param_table"),
}


def render_terminal(results: Results, template: str = "check.txt.j2") -> str:
    env = environment(markdown=False)
    context = _context(results)
    tables: dict[str, Callable[[], str]] = {
        "metric_table": lambda: _metric_table(context["rows"]),
        "param_table": lambda: _change_table(context["params"], "param"),
        "all_metric_table": lambda: _change_table(results.metrics, "metric"),
        "all_param_table": lambda: _change_table(results.params, "param"),
        "delta_bars": lambda: delta_bars(results.metrics),
    }
    for name in _TERMINAL_TABLES.get(template, tuple(tables)):
        context[name] = Lines(tables[name]())
    return env.get_template(template).render(context)


def render_diff(results: Results, output_format: str) -> str:
    """`mlci diff` output: ``table`` (terminal), ``md`` or ``json``."""
    if output_format == "json":
        # As json.dumps(indent=2) of the asdict forms wrote it, NaN and Infinity
        # included: a script may rely on them (the results file writes them as text).
        payload = {
            "base": dataclasses.asdict(results.base),
            "head": dataclasses.asdict(results.head),
            # The Change objects themselves: orjson writes a dataclass's fields in C
            # (dump_json's json fallback writes them through vars()).
            "metrics": results.metrics,
            "params": results.params,
            "errors": [dataclasses.asdict(error) for error in results.errors],
        }
        # NaN or infinity in a change's fields (all scalars), found in one pass, which
        # spares dump_json its walk of the whole payload.
        floats = [
            value
            for change in (*results.metrics, *results.params)
            for value in vars(change).values()
            if type(value) is float
        ]
        non_finite = not all(map(math.isfinite, floats))
        return dump_json(payload, allow_nan=non_finite, ascii_only=True) + "\n"
    if output_format == "md":
        # What diff.md.j2 reads, and no more: the comment's context sorts every
        # metric into rows with their gates, which a diff has none of.
        template = environment(markdown=True).get_template("diff.md.j2")
        return template.render(results=results, tables=_Tables(results))
    return render_terminal(results, "diff.txt.j2")


def delta_bars(changes: Sequence[Change], width: int = 24, most: int = 12) -> str:
    """Changed metrics as a compact bar chart of relative change, largest first."""
    moved = [c for c in changes if c.change_pct is not None and c.change]
    moved.sort(key=lambda c: -abs(c.change_pct or 0.0))
    if not moved:
        return ""
    largest = max(abs(c.change_pct or 0.0) for c in moved[:most]) or 1.0
    if not math.isfinite(largest):  # change_pct is finite when diff_values computes it
        largest = 1.0
    name_width = min(40, max(len(cell(c.key)) for c in moved[:most]))
    lines = []
    for c in moved[:most]:
        pct = c.change_pct or 0.0
        share = abs(pct) / largest if math.isfinite(pct) else 1.0
        bar = "█" * max(1, min(width, round(share * width)))
        arrow = "▲" if pct > 0 else "▼"
        shown = f"{pct:+7.2f}" if abs(pct) < 1e6 else f"{pct:+.3g}"
        lines.append(f"{cell(c.key)[:name_width]:<{name_width}}  {arrow} {shown}%  {bar}")
    if len(moved) > most:
        lines.append(f"… {len(moved) - most} more")
    return "\n".join(lines)


def _change_table(changes: Sequence[Change], label: str) -> str:
    from tabulate import tabulate  # the terminal's tables only (30 ms to import)

    if not changes:
        return f"no {label}s"
    formatter = fmt_param_change if label == "param" else fmt_change
    return tabulate(
        [
            [
                cell(c.file),
                cell(c.key),
                cell(fmt_value(c.base)),
                cell(fmt_value(c.head)),
                formatter(c),
            ]
            for c in changes
        ],
        headers=["file", label, "base", "head", "change"],
        disable_numparse=True,
    )


def _metric_table(rows: Sequence[_Row]) -> str:
    from tabulate import tabulate

    return tabulate(
        [
            [
                cell(row.change.file),
                cell(row.change.key),
                cell(fmt_value(row.change.base)),
                cell(fmt_value(row.change.head)),
                fmt_change(row.change),
                cell("; ".join(row.rules)),
                row.outcome or "",
            ]
            for row in rows
        ],
        headers=["file", "metric", "base", "head", "change", "gate", "status"],
        disable_numparse=True,
    )
