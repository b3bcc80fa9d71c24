"""Drift between two versions of a dataset (base and head), column by column.

Methods and the conventions of the field they follow (defaults of :class:`DriftSpec`):

PSI, population stability index (numeric and categorical; the default)
    ``PSI = Σ (h - b) · ln(h / b)`` over bins, where ``b`` and ``h`` are the
    shares of base and head values in each bin. Numeric bins are cut at the
    quantiles of the base (``bins`` of them, 10 by default): edges that fall on
    the same value are merged and the first and last bins are open-ended, so
    head values outside the base range land in them. Categorical bins are the
    categories of either side. A bin empty on one side gets the share
    ``PSI_EPSILON`` = 1e-4 (as Evidently does) instead of 0, which would make
    the logarithm infinite. Reading: PSI < 0.1 stable (pass), 0.1 ≤ PSI ≤ 0.25
    moderate shift (warn), PSI > 0.25 significant shift (fail).
Kolmogorov-Smirnov (numeric)
    ``scipy.stats.ks_2samp`` on seeded samples of ``sample`` rows (5000) per
    side; the column drifts when the p-value is ≤ 0.05. Sampling keeps the test
    about as sensitive on ten million rows as on ten thousand, where on the full
    data any negligible difference is "significant".
Wasserstein (numeric)
    The earth mover's distance W1 between the base and head samples
    (``scipy.stats.wasserstein_distance``, exact on the samples) divided by the
    standard deviation of the whole base column (at least 0.001), so one
    threshold fits every scale, as Evidently's ``wasserstein`` test; drift when
    ≥ 0.1 (the head moved by a tenth of a base standard deviation).
Chi-square (categorical)
    ``scipy.stats.chi2_contingency`` on the 2 × k table of category counts in
    the base and head samples: a test of homogeneity. It treats both versions
    as samples (the base is one too), where ``chisquare`` against the base
    frequencies would treat the base as the truth and break on a category the
    base lacks. Drift when the p-value is ≤ 0.05.

The dataset drifts (fail) when at least ``share`` (50%, Evidently's default) of
the compared columns drift; it warns when any column warns or drifts.

What is compared: nulls (and NaN, ±inf) are left out of every distribution; a
column is numeric when its base type is (CSV: the type DuckDB infers), else
categorical (text, booleans). Dates and timestamps are compared (as epoch
seconds) only when named in ``columns``.

How it stays bounded: each version is read in streaming passes (base twice,
head once) that compute column aggregates — counts, standard deviations, bin
counts, category histograms — and draw the samples: the ``sample`` rows with
the smallest ``hash(row number, seed)``, a uniform sample without replacement
that is the same on every run, whatever the thread count. A category column
with more than ``MAX_CATEGORIES`` distinct values keeps the most frequent
categories of the base sample and counts the rest as one "other" bin.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb
import numpy as np
from scipy import stats

from mlci.checks import io
from mlci.checks.io import EngineSettings, Source, ident, literal

PSI_EPSILON = 1e-4  # share given to a bin that is empty on one side
MIN_STD = 1e-3  # floor of the base standard deviation normalising Wasserstein
MAX_CATEGORIES = 200
SAMPLE_SEED = 20240601
_OTHER = "\x00mlci:other"

Outcome = Literal["pass", "warn", "fail"]
Side = Literal["base", "head"]


@dataclass(frozen=True)
class DriftSpec:
    columns: tuple[str, ...] | None = None  # None: every column present at both revisions
    numeric_method: Literal["psi", "ks", "wasserstein"] = "psi"
    categorical_method: Literal["psi", "chi2"] = "psi"
    psi_warn: float = 0.1
    psi_fail: float = 0.25
    ks_pvalue: float = 0.05
    wasserstein: float = 0.1
    chi2_pvalue: float = 0.05
    share: float = 0.5  # the dataset drifts when >= this share of checked columns drift
    bins: int = 10
    sample: int = 5000  # rows per side for KS, Wasserstein and chi-square (seeded)


@dataclass(frozen=True)
class ColumnDrift:
    column: str
    kind: Literal["numeric", "categorical"]
    psi: float | None
    ks_statistic: float | None
    ks_pvalue: float | None
    wasserstein: float | None  # W1 / base standard deviation
    chi2_pvalue: float | None
    method: str  # psi | ks | wasserstein | chi2
    value: float  # the statistic the method judges
    threshold: float  # its fail threshold
    outcome: Outcome  # psi between the warn and fail thresholds: warn
    reason: str


@dataclass(frozen=True)
class DriftResult:
    dataset: str
    columns: tuple[ColumnDrift, ...]
    drifted_share: float
    outcome: Outcome  # fail: drifted_share >= share; warn: any column warns or drifts
    reason: str
    errors: tuple[str, ...] = ()  # e.g. a column missing at head


# --- statistics ---------------------------------------------------------------------


def psi(base_counts: Sequence[float], head_counts: Sequence[float]) -> float:
    """PSI of two histograms over the same bins; empty bins get ``PSI_EPSILON``."""
    base = np.asarray(base_counts, dtype=float)
    head = np.asarray(head_counts, dtype=float)
    if base.sum() == 0 or head.sum() == 0:
        return 0.0
    b = base / base.sum()
    h = head / head.sum()
    b = np.where(b == 0, PSI_EPSILON, b)
    h = np.where(h == 0, PSI_EPSILON, h)
    return float(np.sum((h - b) * np.log(h / b)))


def quantile_edges(values: Sequence[float], bins: int) -> tuple[float, ...]:
    """Inner bin edges at the base quantiles 1/bins .. (bins-1)/bins, equal ones merged."""
    if len(values) == 0 or bins < 2:
        return ()
    cuts = np.quantile(np.asarray(values, dtype=float), np.arange(1, bins) / bins)
    return tuple(float(x) for x in np.unique(cuts))


def bin_counts(values: Sequence[float], edges: Sequence[float]) -> list[int]:
    """Counts in (-inf, e1), [e1, e2), ..., [ek, inf): the bins the SQL counts."""
    index = np.searchsorted(
        np.asarray(edges, dtype=float), np.asarray(values, dtype=float), "right"
    )
    return [int(n) for n in np.bincount(index, minlength=len(edges) + 1)]


def chi2_pvalue(base: Counter[Any], head: Counter[Any]) -> float:
    categories = sorted(set(base) | set(head), key=str)
    if len(categories) < 2 or not base or not head:
        return 1.0
    table = np.array([[base[c] for c in categories], [head[c] for c in categories]])
    return float(stats.chi2_contingency(table, correction=False).pvalue)


# --- SQL ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Col:
    name: str
    kind: Literal["numeric", "categorical"]
    base_expr: str
    head_expr: str


def _numeric_expr(source: Source, name: str) -> str:
    raw = ident(name)
    kind = source.type_of(name)
    if io.is_datetime(source.inferred_type(name)):
        number = f"epoch(TRY_CAST({raw} AS TIMESTAMP))" if kind == "VARCHAR" else f"epoch({raw})"
    else:
        number = f"TRY_CAST({raw} AS DOUBLE)"
    return f"(CASE WHEN isfinite({number}) THEN {number} END)"


def _category_expr(name: str) -> str:
    return f"CAST({ident(name)} AS VARCHAR)"


_HASH_RANGE = 2**64
_OVERSAMPLE = 20  # candidate rows per sampled row, so an underestimate of the rows is harmless


def _select(source: Source, cols: Sequence[_Col], side: Side, *, ids: bool = False) -> str:
    values = ", ".join(
        f"{col.base_expr if side == 'base' else col.head_expr} AS v{i}"
        for i, col in enumerate(cols)
    )
    row = f", hash(_row, {SAMPLE_SEED}) AS _h" if ids else ""
    relation = source.relation_with_ids() if ids else source.relation()
    return f"(SELECT {values or '1 AS _one'}{row} FROM {relation})"


def _sample_sql(cols: Sequence[_Col], sample: int, threshold: int | None) -> list[tuple[str, str]]:
    """Aggregates drawing the rows with the ``sample`` smallest hashes of their row number.

    Only rows whose hash is below ``threshold`` are candidates (cheap to skip);
    ``candidates`` tells whether there were enough of them.
    """
    if not sample or not cols:
        return []
    struct = "{" + ", ".join(f"'v{i}': v{i}" for i in range(len(cols))) + "}"
    if threshold is None:
        return [("sample", f"arg_min({struct}, _h, {sample})"), ("candidates", "count(*)")]
    # CASE builds the struct for candidates only: most of the cost otherwise.
    lazy = f"CASE WHEN _h < {threshold} THEN {struct} END"
    where = f" FILTER (WHERE _h < {threshold})"
    return [
        ("sample", f"arg_min({lazy}, _h, {sample}){where}"),
        ("candidates", f"count(*){where}"),
    ]


def _stats_sql(
    cols: Sequence[_Col], edges: dict[str, tuple[float, ...]] | None, *, stats_too: bool
) -> list[tuple[str, str]]:
    """Counts, moments and bin counts of every column.

    A bin count is the difference of two ``count_if(v >= edge)``: far cheaper in
    DuckDB than a ``histogram`` of bin numbers or ``FILTER``ed counts per bin.
    """
    outs: list[tuple[str, str]] = []
    for i, col in enumerate(cols):
        v = f"v{i}"
        outs.append((f"n{i}", f"count({v})"))
        if col.kind != "numeric":
            continue
        if stats_too:
            outs.append((f"std{i}", f"stddev_pop({v})"))
            outs.append((f"mean{i}", f"avg({v})"))
        for j, edge in enumerate((edges or {}).get(col.name, ())):
            outs.append((f"ge{i}_{j}", f"count_if({v} >= {literal(edge)})"))
    return outs


def _aggregate(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    build: Callable[[Source], tuple[str, list[tuple[str, str]]]],
) -> tuple[Source, dict[str, Any]]:
    """Run one aggregate pass (``build`` gives its FROM and named aggregates)."""
    names: list[str] = []

    def sql(src: Source) -> str:
        relation, outs = build(src)
        names[:] = [name for name, _e in outs]
        return f"SELECT {', '.join(expr for _n, expr in outs)} FROM {relation}"

    used, rows = io.query(con, source, sql)
    return used, (dict(zip(names, rows[0], strict=True)) if rows else {})


def _threshold(con: duckdb.DuckDBPyConnection, source: Source, sample: int) -> int | None:
    """Hash bound that keeps about ``_OVERSAMPLE`` × ``sample`` candidate rows (None: all)."""
    try:
        rows = source.estimate_rows(con)
    except duckdb.Error:
        return None
    if rows <= sample * _OVERSAMPLE:
        return None
    return _HASH_RANGE * sample * _OVERSAMPLE // rows


def _side_pass(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    cols: Sequence[_Col],
    side: Side,
    sample: int,
    edges: dict[str, tuple[float, ...]] | None,
) -> tuple[Source, dict[str, Any]]:
    """Row count, column statistics (and bins, given edges) and the sample of one side."""
    threshold = _threshold(con, source, sample)

    def build(src: Source) -> tuple[str, list[tuple[str, str]]]:
        outs = [("rows", "count(*)"), *_stats_sql(cols, edges, stats_too=True)]
        outs += _sample_sql(cols, sample, threshold)
        return _select(src, cols, side, ids=bool(sample and cols)), outs

    source, found = _aggregate(con, source, build)
    if found and threshold is not None:
        wanted = min(sample, int(found["rows"]))
        if int(found.get("candidates") or 0) < wanted:  # too few candidates: draw from all rows
            source, again = _aggregate(
                con,
                source,
                lambda src: (_select(src, cols, side, ids=True), _sample_sql(cols, sample, None)),
            )
            found["sample"] = again.get("sample")
    return source, found


def _bins(found: dict[str, Any], index: int, edges: tuple[float, ...]) -> list[int]:
    """Counts in (-inf, e1), [e1, e2), ..., [ek, inf) from the ``count_if(v >= e)``."""
    at_least = [int(found[f"n{index}"])] + [int(found[f"ge{index}_{j}"]) for j in range(len(edges))]
    at_least.append(0)
    return [at_least[j] - at_least[j + 1] for j in range(len(edges) + 1)]


def _category_counts(
    con: duckdb.DuckDBPyConnection,
    base: Source,
    head: Source,
    cols: Sequence[tuple[int, _Col]],
) -> dict[int, dict[str, tuple[int, int]]]:
    """Per categorical column: the ``MAX_CATEGORIES`` most frequent categories over both
    sides with their (base, head) counts, in one grouped pass (it spills, so it is bounded)."""
    if not cols:
        return {}
    names = [f"c{i}" for i, _ in cols]
    base_values = ", ".join(f"{col.base_expr} AS c{i}" for i, col in cols)
    head_values = ", ".join(f"{col.head_expr} AS c{i}" for i, col in cols)
    sets = ", ".join(f"({n})" for n in names)
    sql = (
        f"SELECT GROUPING({', '.join(names)}) AS g, coalesce({', '.join(names)}) AS value, "
        f"count_if(_side = 0) AS nb, count_if(_side = 1) AS nh FROM ("
        f"SELECT 0 AS _side, {base_values} FROM {base.relation()} UNION ALL "
        f"SELECT 1 AS _side, {head_values} FROM {head.relation()}) "
        f"GROUP BY GROUPING SETS ({sets}) "
        f"QUALIFY row_number() OVER (PARTITION BY g ORDER BY (value IS NULL), nb + nh DESC, value) "
        f"<= {MAX_CATEGORIES}"
    )
    rows = con.execute(sql).fetchall()
    width = len(names)
    found: dict[int, dict[str, tuple[int, int]]] = {i: {} for i, _ in cols}
    for group, value, nb, nh in rows:
        if value is None:
            continue
        # GROUPING() sets a bit for every column *not* grouped; ours is the one left clear.
        position = next(p for p in range(width) if not (int(group) >> (width - 1 - p)) & 1)
        found[cols[position][0]][str(value)] = (int(nb), int(nh))
    return found


# --- judging --------------------------------------------------------------------------


def _fmt(value: float) -> str:
    return f"{value:.3g}"


def _judge(
    spec: DriftSpec,
    col: _Col,
    psi_value: float | None,
    ks: tuple[float, float] | None,
    wasserstein: float | None,
    chi2: float | None,
    context: str,
) -> ColumnDrift:
    method = spec.numeric_method if col.kind == "numeric" else spec.categorical_method
    outcome: Outcome
    if method == "psi":
        value, threshold = psi_value if psi_value is not None else 0.0, spec.psi_fail
        if value > spec.psi_fail:
            outcome, words = "fail", f"PSI {_fmt(value)} > {_fmt(spec.psi_fail)}: significant shift"
        elif value >= spec.psi_warn:
            outcome, words = "warn", f"PSI {_fmt(value)} ≥ {_fmt(spec.psi_warn)}: moderate shift"
        else:
            outcome, words = "pass", f"PSI {_fmt(value)} < {_fmt(spec.psi_warn)}: stable"
    elif method == "ks":
        value, threshold = ks[1] if ks else 1.0, spec.ks_pvalue
        statistic = ks[0] if ks else 0.0
        drifted = value <= threshold
        outcome = "fail" if drifted else "pass"
        words = (
            f"KS p-value {_fmt(value)} {'≤' if drifted else '>'} {_fmt(threshold)} "
            f"(statistic {_fmt(statistic)})"
        )
    elif method == "wasserstein":
        value, threshold = wasserstein if wasserstein is not None else 0.0, spec.wasserstein
        drifted = value >= threshold
        outcome = "fail" if drifted else "pass"
        words = f"Wasserstein {_fmt(value)} base std {'≥' if drifted else '<'} {_fmt(threshold)}"
    else:
        value, threshold = chi2 if chi2 is not None else 1.0, spec.chi2_pvalue
        drifted = value <= threshold
        outcome = "fail" if drifted else "pass"
        words = f"chi-square p-value {_fmt(value)} {'≤' if drifted else '>'} {_fmt(threshold)}"
    return ColumnDrift(
        column=col.name,
        kind=col.kind,
        psi=psi_value,
        ks_statistic=ks[0] if ks else None,
        ks_pvalue=ks[1] if ks else None,
        wasserstein=wasserstein,
        chi2_pvalue=chi2,
        method=method,
        value=float(value),
        threshold=float(threshold),
        outcome=outcome,
        reason=words + (f" ({context})" if context else ""),
    )


def _summary(
    spec: DriftSpec, columns: Sequence[ColumnDrift], errors: Sequence[str]
) -> tuple[float, Outcome, str]:
    if not columns:
        reason = "no column to compare" + (f"; {len(errors)} problem(s)" if errors else "")
        return 0.0, "warn" if errors else "pass", reason
    drifted = [c.column for c in columns if c.outcome == "fail"]
    warned = [c.column for c in columns if c.outcome == "warn"]
    share = len(drifted) / len(columns)
    listed = ", ".join(drifted[:10]) + (", ..." if len(drifted) > 10 else "")
    outcome: Outcome
    if drifted and share >= spec.share:
        outcome = "fail"
        reason = (
            f"{len(drifted)} of {len(columns)} columns drifted ({share:.0%}), "
            f"at least {spec.share:.0%}: {listed}"
        )
    elif drifted:
        outcome = "warn"
        reason = (
            f"{len(drifted)} of {len(columns)} columns drifted ({share:.0%}), "
            f"below {spec.share:.0%}: {listed}"
        )
    elif warned:
        outcome = "warn"
        reason = (
            f"no column drifted; {len(warned)} of {len(columns)} shifted moderately: "
            + ", ".join(warned[:10])
        )
    else:
        outcome = "pass"
        reason = f"no column drifted ({len(columns)} compared)"
    if errors and outcome == "pass":
        outcome = "warn"
    return share, outcome, reason


# --- the whole computation -----------------------------------------------------------


def compute_drift(
    dataset: str,
    base_files: Sequence[Path],
    head_files: Sequence[Path],
    spec: DriftSpec,
    *,
    base_root: Path | None = None,
    head_root: Path | None = None,
    settings: EngineSettings | None = None,
) -> DriftResult:
    """Compare the head version of a dataset with its base version; never raises for bad data.

    ``base_root`` / ``head_root``: errors name files relative to them.
    """
    if not base_files:
        return DriftResult(dataset, (), 0.0, "pass", "new at head: no base version to compare")
    if not head_files:
        return DriftResult(
            dataset, (), 0.0, "warn", "no files at head", (f"no files match {dataset!r} at head",)
        )
    with io.connect(settings) as con:
        return _compute(
            con, dataset, list(base_files), list(head_files), spec, base_root, head_root
        )


def _columns(spec: DriftSpec, base: Source, head: Source, errors: list[str]) -> list[_Col]:
    base_names, head_names = set(base.names), set(head.names)
    if spec.columns is None:
        wanted = [n for n in base.names if n in head_names]
        errors.extend(
            f"column {n!r} is at base but missing at head"
            for n in base.names
            if n not in head_names
        )
    else:
        wanted = []
        for name in dict.fromkeys(spec.columns):
            if name not in base_names and name not in head_names:
                errors.append(f"column {name!r} not found at base or head")
            elif name not in head_names:
                errors.append(f"column {name!r} is at base but missing at head")
            elif name not in base_names:
                errors.append(f"column {name!r} is new at head: nothing to compare")
            else:
                wanted.append(name)
    cols = []
    for name in wanted:
        kind = base.inferred_type(name)
        head_kind = head.inferred_type(name)
        if io.is_datetime(kind):
            if spec.columns is None:
                continue
            numeric = True
        elif io.is_numeric(kind):
            numeric = True
        elif kind in ("VARCHAR", "BOOLEAN") or kind.startswith("ENUM"):
            numeric = False
        else:
            if spec.columns is not None:
                errors.append(f"column {name!r}: type {kind} cannot be compared")
            continue
        if numeric and not (io.is_numeric(head_kind) or io.is_datetime(head_kind)):
            errors.append(f"column {name!r} is numeric at base but {head_kind} at head")
        if numeric:
            cols.append(_Col(name, "numeric", _numeric_expr(base, name), _numeric_expr(head, name)))
        else:
            cols.append(_Col(name, "categorical", _category_expr(name), _category_expr(name)))
    return cols


def _values(sample: Any, index: int) -> list[Any]:
    key = f"v{index}"
    return [row[key] for row in (sample or []) if row[key] is not None]


def _compute(
    con: duckdb.DuckDBPyConnection,
    dataset: str,
    base_files: list[Path],
    head_files: list[Path],
    spec: DriftSpec,
    base_root: Path | None,
    head_root: Path | None,
) -> DriftResult:
    errors: list[str] = []
    base = io.open_source(con, base_files, None, lambda p: io.display(p, base_root))
    head = io.open_source(con, head_files, None, lambda p: io.display(p, head_root))
    cols = _columns(spec, base, head, errors) if base.files and head.files else []
    sample = max(0, spec.sample)

    # Base: statistics and the sample (whose quantiles set the bins), then bin counts.
    first: dict[str, Any] = {}
    second: dict[str, Any] = {}
    third: dict[str, Any] = {}
    edges: dict[str, tuple[float, ...]] = {}
    if cols:
        base, first = _side_pass(con, base, cols, "base", sample, None)
    if first:
        for i, col in enumerate(cols):
            if col.kind == "numeric":
                edges[col.name] = quantile_edges(_values(first.get("sample"), i), spec.bins)
        if any(edges.values()):
            base, second = _aggregate(
                con,
                base,
                lambda src: (_select(src, cols, "base"), _stats_sql(cols, edges, stats_too=False)),
            )
        else:
            second = first
    # Head: statistics, bins and the sample in one pass.
    if second:
        head, third = _side_pass(con, head, cols, "head", sample, edges)
    categories: dict[int, dict[str, tuple[int, int]]] = {}
    categorical = [(i, col) for i, col in enumerate(cols) if col.kind == "categorical"]
    if third and categorical:
        try:
            categories = _category_counts(con, base, head, categorical)
        except duckdb.Error as exc:
            errors.append(f"cannot count categories: {io.explain(exc)}")

    for side, source, root in (("base", base, base_root), ("head", head, head_root)):
        for problem in source.problems:
            errors.append(
                f"cannot read {io.display(problem.file, root)} at {side}: {problem.message}"
            )
    if not third:
        return DriftResult(
            dataset,
            (),
            0.0,
            "warn" if errors else "pass",
            "cannot read the dataset at base or head" if errors else "no column to compare",
            tuple(errors),
        )

    results = []
    for i, col in enumerate(cols):
        b_n, h_n = int(first.get(f"n{i}") or 0), int(third.get(f"n{i}") or 0)
        if not b_n or not h_n:
            errors.append(f"column {col.name!r} has no values at {'base' if not b_n else 'head'}")
            continue
        b_values = _values(first.get("sample"), i)
        h_values = _values(third.get("sample"), i)
        if col.kind == "numeric":
            cut = edges[col.name]
            psi_value = psi(_bins(second, i, cut), _bins(third, i, cut))
            ks = wasserstein = None
            if b_values and h_values:
                test = stats.ks_2samp(b_values, h_values)
                ks = (float(test.statistic), float(test.pvalue))
                std = max(float(first.get(f"std{i}") or 0.0), MIN_STD)
                wasserstein = float(stats.wasserstein_distance(b_values, h_values)) / std
            context = f"mean {_fmt(first[f'mean{i}'])} → {_fmt(third[f'mean{i}'])}"
            results.append(_judge(spec, col, psi_value, ks, wasserstein, None, context))
        elif i in categories:
            top = categories[i]
            b_counts = {name: nb for name, (nb, _nh) in top.items()}
            h_counts = {name: nh for name, (_nb, nh) in top.items()}
            b_counts[_OTHER] = b_n - sum(b_counts.values())
            h_counts[_OTHER] = h_n - sum(h_counts.values())
            order = sorted(b_counts)
            psi_value = psi([b_counts[c] for c in order], [h_counts[c] for c in order])
            chi2 = None
            if b_values and h_values:
                chi2 = chi2_pvalue(Counter(b_values), Counter(h_values))
            results.append(
                _judge(spec, col, psi_value, None, None, chi2, _most_changed(b_counts, h_counts))
            )
    share, outcome, reason = _summary(spec, results, errors)
    return DriftResult(dataset, tuple(results), share, outcome, reason, tuple(errors))


def _most_changed(base: dict[str, int], head: dict[str, int]) -> str:
    b_total, h_total = sum(base.values()), sum(head.values())
    if not b_total or not h_total:
        return ""
    name, b, h = max(
        ((c, base.get(c, 0) / b_total, head.get(c, 0) / h_total) for c in set(base) | set(head)),
        key=lambda t: (abs(t[2] - t[1]), str(t[0])),
    )
    label = "other categories" if name == _OTHER else repr(name)
    if b == h:
        return ""
    return f"most changed: {label} {b:.1%} → {h:.1%}"
