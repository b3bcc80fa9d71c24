"""Drift between two versions of a dataset (base and head), column by column.

Methods and the conventions of the field they follow (defaults of :class:`DriftSpec`):

PSI, population stability index (numeric and categorical; the default)
    ``PSI = Σ (h - b) · ln(h / b)`` over bins, where ``b`` and ``h`` are the
    shares of base and head values in each bin, counted over the whole columns.
    Numeric bins are cut at the quantiles of the base sample (``bins`` of them,
    10 by default; with at most ``sample`` rows that is the whole column): edges
    that fall on the same value are merged and the first and last bins are
    open-ended, so head values outside the base range land in them. Categorical
    bins are the categories seen in the base sample (every category but those
    rarer than about 1 in ``sample``) plus one "other" bin for the rest, which
    also takes the categories new at head. A bin empty on one side gets the
    share ``PSI_EPSILON`` = 1e-4 (as Evidently does) instead of 0, which would
    make the logarithm infinite. Reading: PSI < 0.1 stable (pass),
    0.1 ≤ PSI ≤ 0.25 moderate shift (warn), PSI > 0.25 significant shift (fail).
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
    ``scipy.stats.chi2_contingency`` (its defaults) on the 2 x k table of
    category counts in the base and head samples: a test of homogeneity. It
    treats both versions as samples (the base is one too), where ``chisquare``
    against the base frequencies would treat the base as the truth and break on
    a category the base lacks. Drift when the p-value is ≤ 0.05.

Every statistic is computed, whatever the method; the method picks the one
that judges the column. The dataset drifts (fail) when at least ``share`` (50%,
Evidently's default) of the compared columns drift; it warns when any column
warns or drifts, or when something could not be compared (``errors``).

What is compared: nulls (and NaN, ±inf) are left out of every distribution; a
column is numeric when its base type is (CSV: the type DuckDB infers), else
categorical (text, booleans). Dates and timestamps are compared (as epoch
seconds) only when named in ``columns``. A categorical column with more than
``MAX_CATEGORIES`` (100) distinct values in the base sample (an id, free text)
is compared over ``HASH_BUCKETS`` (64) buckets of the hashes of its values.

How it stays bounded and fast: the base is read twice, streaming, the head once.
The base's first pass draws the sample: the ``sample`` rows with the smallest
``hash(row number, seed)``, a uniform sample without replacement that is the
same on every run whatever the thread count (only rows under a hash bound are
even converted). Its second pass computes plain aggregates: counts, means, the
base's standard deviations, ``count_if(v >= edge)`` per bin edge (edges from the
base sample) and ``count_if(v = category)`` per category. The head's bins are the
base's, so its sample and its aggregates come from one pass: reading a file
(parsing text, for CSV) costs more than anything computed on it.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import duckdb

from mlci.checks import sources
from mlci.checks.files import display
from mlci.checks.sources import EngineSettings, Source, ident, literal
from mlci.checks.statistics import chi2_pvalue, psi, quantile_edges
from mlci.numbers import fmt_number
from mlci.results import ColumnDrift, DriftResult, Outcome
from mlci.specs import DriftSpec

__all__ = ["DriftSpec"]  # declared in mlci.specs

MIN_STD = 1e-3  # floor of the base standard deviation normalising Wasserstein
MAX_CATEGORIES = 100  # more distinct values in the base sample: compared by hash bucket
HASH_BUCKETS = 64
SAMPLE_SEED = 20240601
_OTHER = "\x00mlci:other"

Side = Literal["base", "head"]
T = TypeVar("T")


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
    if sources.is_datetime(source.inferred_type(name)):
        number = f"epoch(TRY_CAST({raw} AS TIMESTAMP))" if kind == "VARCHAR" else f"epoch({raw})"
    else:
        number = f"TRY_CAST({raw} AS DOUBLE)"
    return f"(CASE WHEN isfinite({number}) THEN {number} END)"


def _category_expr(name: str) -> str:
    return f"CAST({ident(name)} AS VARCHAR)"


_HASH_RANGE = 2**64
# Candidate rows per sampled row: an estimate of the rows up to 20 times too high still
# leaves enough; beyond that the sample is drawn again from every row.
_OVERSAMPLE = 20


@dataclass(frozen=True)
class _Bins:
    """How the pass over each side counts: bins from the base sample."""

    edges: dict[int, tuple[float, ...]]  # numeric column -> inner bin edges
    # categorical column -> the categories named (None: too many; by hash bucket)
    named: dict[int, tuple[str, ...] | None]


def _select(
    source: Source, cols: Sequence[_Col], side: Side, bins: _Bins | None = None, ids: bool = False
) -> str:
    """The compared values of one side as v0, v1, ... (plus hash buckets, row hashes).

    The data's columns are read in an inner query that names only these, so a column
    of the data called ``v0`` or ``_h`` is never taken for one of them.
    """
    values = [
        f"{col.base_expr if side == 'base' else col.head_expr} AS v{i}"
        for i, col in enumerate(cols)
    ]
    if ids:
        values.append(f"hash({ident(source.row_column)}, {SAMPLE_SEED}) AS _h")
    relation = source.relation_with_ids() if ids else source.relation()
    inner = f"(SELECT {', '.join(values) or '1 AS _one'} FROM {relation})"
    buckets = [
        f"hash(v{i}) % {HASH_BUCKETS} AS b{i}"
        for i, col in enumerate(cols)
        if col.kind == "categorical" and (ids or (bins is not None and bins.named[i] is None))
    ]
    if not buckets:
        return inner
    return f"(SELECT *, {', '.join(buckets)} FROM {inner})"


def _sample_aggregates(cols: Sequence[_Col], sample: int, threshold: int | None) -> str:
    """The ``sample`` rows with the smallest hashes of their row number (a uniform sample
    without replacement, the same on every run and for any thread count), and how many
    rows were candidates.

    Only rows whose hash is below ``threshold`` are candidates; the count tells
    whether there were enough.
    """
    fields = [f"'v{i}': v{i}" for i in range(len(cols))]
    fields += [f"'b{i}': b{i}" for i, col in enumerate(cols) if col.kind == "categorical"]
    pick = f"arg_min({{{', '.join(fields)}}}, _h, {sample})"
    if threshold is None:
        return f"{pick}, count(*)"
    return f"{pick} FILTER (WHERE _h < {threshold}), {sources.count_if(f'_h < {threshold}')}"


def _sample_sql(
    source: Source, cols: Sequence[_Col], side: Side, sample: int, threshold: int | None
) -> str:
    """The sample of one side, in a pass of its own; only candidate rows are converted."""
    inner = _select(source, cols, side, ids=True)
    where = f" WHERE _h < {threshold}" if threshold is not None else ""
    return f"SELECT {_sample_aggregates(cols, sample, None)} FROM {inner}{where}"


def _threshold(con: duckdb.DuckDBPyConnection, source: Source, sample: int) -> int | None:
    """Hash bound that keeps about ``_OVERSAMPLE`` x ``sample`` candidate rows (None: all)."""
    try:
        rows = source.estimate_rows(con)
    except duckdb.Error:
        return None
    if rows <= sample * _OVERSAMPLE:
        return None
    return _HASH_RANGE * sample * _OVERSAMPLE // rows


def _sample(
    con: duckdb.DuckDBPyConnection, source: Source, cols: Sequence[_Col], side: Side, sample: int
) -> tuple[Source, list[dict[str, Any]] | None]:
    """The sampled rows of one side (None when it cannot be read)."""
    if not cols:
        return source, []
    if sample <= 0:
        return source, []
    threshold = _threshold(con, source, sample)
    source, rows = sources.query(
        con, source, lambda s: _sample_sql(s, cols, side, sample, threshold)
    )
    if rows and threshold is not None and int(rows[0][1]) < sample:
        # Fewer candidates than wanted: the estimate of the rows was too high; use all rows.
        source, rows = sources.query(
            con, source, lambda s: _sample_sql(s, cols, side, sample, None)
        )
    if not rows:
        return source, None
    return source, list(rows[0][0] or [])


def _counts_sql(cols: Sequence[_Col], side: Side, bins: _Bins) -> list[tuple[str, str]]:
    """Counts, means (and the base's standard deviations), bin and category counts.

    Everything is a plain aggregate: a numeric bin count is the difference of two
    ``count_if(v >= edge)`` and a category count is ``count_if(v = category)``;
    in DuckDB these are far cheaper than ``histogram()`` or ``GROUP BY`` in the
    same pass.
    """
    outs: list[tuple[str, str]] = [("rows", "count(*)")]
    for i, col in enumerate(cols):
        v = f"v{i}"
        outs.append((f"n{i}", f"count({v})"))
        if col.kind == "numeric":
            outs.append((f"mean{i}", f"avg({v})"))
            if side == "base":
                outs.append((f"std{i}", f"stddev_pop({v})"))
            for j, edge in enumerate(bins.edges[i]):
                outs.append((f"ge{i}_{j}", sources.count_if(f"{v} >= {literal(edge)}")))
            continue
        named = bins.named[i]
        if named is None:
            for bucket in range(HASH_BUCKETS):
                outs.append((f"cat{i}_{bucket}", sources.count_if(f"b{i} = {bucket}")))
        else:
            for j, category in enumerate(named):
                outs.append((f"cat{i}_{j}", sources.count_if(f"{v} = {literal(category)}")))
    return outs


def _counts(
    con: duckdb.DuckDBPyConnection, source: Source, cols: Sequence[_Col], side: Side, bins: _Bins
) -> tuple[Source, dict[str, Any]]:
    """One aggregate pass over one side."""
    outs = _counts_sql(cols, side, bins)
    select = ", ".join(expr for _name, expr in outs)
    source, rows = sources.query(
        con, source, lambda s: f"SELECT {select} FROM {_select(s, cols, side, bins)}"
    )
    if not rows:
        return source, {}
    return source, dict(zip([name for name, _e in outs], rows[0], strict=True))


def _sample_and_counts(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    cols: Sequence[_Col],
    side: Side,
    sample: int,
    bins: _Bins,
) -> tuple[Source, list[dict[str, Any]] | None, dict[str, Any]]:
    """The head's sample and counts in one pass over its files (its bins are the
    base's, known already): the files are read and converted once instead of twice.
    Empty counts when the side cannot be read."""
    threshold = _threshold(con, source, sample)
    outs = _counts_sql(cols, side, bins)
    select = ", ".join(expr for _name, expr in outs)
    source, rows = sources.query(
        con,
        source,
        lambda s: (
            f"SELECT {_sample_aggregates(cols, sample, threshold)}, {select} "
            f"FROM {_select(s, cols, side, bins, ids=True)}"
        ),
    )
    if not rows:
        return source, None, {}
    drawn, candidates, *values = rows[0]
    counts = dict(zip([name for name, _e in outs], values, strict=True))
    if threshold is not None and int(candidates) < sample:
        # Fewer candidates than wanted: the estimate of the rows was too high; use all rows.
        source, redrawn = sources.query(
            con, source, lambda s: _sample_sql(s, cols, side, sample, None)
        )
        drawn = redrawn[0][0] if redrawn else None
    return source, list(drawn or []), counts


def _bin_counts(found: dict[str, Any], index: int, edges: tuple[float, ...]) -> list[int]:
    """Counts in (-inf, e1), [e1, e2), ..., [ek, inf) from the ``count_if(v >= e)``."""
    at_least = [int(found[f"n{index}"])]
    at_least += [int(found[f"ge{index}_{j}"]) for j in range(len(edges))]
    at_least.append(0)
    return [at_least[j] - at_least[j + 1] for j in range(len(edges) + 1)]


def _category_counts(
    found: dict[str, Any], index: int, named: tuple[str, ...] | None
) -> dict[str, int]:
    """Category (or hash bucket) -> count, with the rest as ``_OTHER``."""
    keys = [str(b) for b in range(HASH_BUCKETS)] if named is None else list(named)
    counts = {key: int(found[f"cat{index}_{j}"]) for j, key in enumerate(keys)}
    counts[_OTHER] = int(found[f"n{index}"]) - sum(counts.values())
    return counts


# --- judging --------------------------------------------------------------------------


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
            outcome, words = (
                "fail",
                f"PSI {fmt_number(value, 3)} > {fmt_number(spec.psi_fail, 3)}: significant shift",
            )
        elif value >= spec.psi_warn:
            outcome, words = (
                "warn",
                f"PSI {fmt_number(value, 3)} ≥ {fmt_number(spec.psi_warn, 3)}: moderate shift",
            )
        else:
            outcome, words = (
                "pass",
                f"PSI {fmt_number(value, 3)} < {fmt_number(spec.psi_warn, 3)}: stable",
            )
    elif method == "ks":
        value, threshold = ks[1] if ks else 1.0, spec.ks_pvalue
        statistic = ks[0] if ks else 0.0
        drifted = value <= threshold
        outcome = "fail" if drifted else "pass"
        words = (
            f"KS p-value {fmt_number(value, 3)} {'≤' if drifted else '>'} "
            f"{fmt_number(threshold, 3)} (statistic {fmt_number(statistic, 3)})"
        )
    elif method == "wasserstein":
        value, threshold = wasserstein if wasserstein is not None else 0.0, spec.wasserstein
        drifted = value >= threshold
        outcome = "fail" if drifted else "pass"
        words = (
            f"Wasserstein {fmt_number(value, 3)} base std {'≥' if drifted else '<'} "
            f"{fmt_number(threshold, 3)}"
        )
    else:
        value, threshold = chi2 if chi2 is not None else 1.0, spec.chi2_pvalue
        drifted = value <= threshold
        outcome = "fail" if drifted else "pass"
        words = (
            f"chi-square p-value {fmt_number(value, 3)} {'≤' if drifted else '>'} "
            f"{fmt_number(threshold, 3)}"
        )
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
    with sources.connect(settings) as con:
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
        if sources.is_datetime(kind):
            if spec.columns is None:
                continue
            numeric = True
        elif sources.is_numeric(kind):
            numeric = True
        elif kind in ("VARCHAR", "BOOLEAN") or kind.startswith("ENUM"):
            numeric = False
        else:
            if spec.columns is not None:
                errors.append(f"column {name!r}: type {kind} cannot be compared")
            continue
        if numeric and not (sources.is_numeric(head_kind) or sources.is_datetime(head_kind)):
            errors.append(f"column {name!r} is numeric at base but {head_kind} at head")
        if numeric:
            cols.append(_Col(name, "numeric", _numeric_expr(base, name), _numeric_expr(head, name)))
        else:
            cols.append(_Col(name, "categorical", _category_expr(name), _category_expr(name)))
    return cols


def _values(sample: Any, key: str) -> list[Any]:
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
    base = sources.open_source(con, base_files, None, lambda p: display(p, base_root))
    head = sources.open_source(con, head_files, None, lambda p: display(p, head_root))
    cols = _columns(spec, base, head, errors) if base.files and head.files else []
    # The sample sets the bins: at least one row per bin edge is needed.
    sample = max(spec.sample, spec.bins, 1)

    base_sample = head_sample = None
    base_counts: dict[str, Any] = {}
    head_counts: dict[str, Any] = {}
    bins = _Bins({}, {})
    if cols:
        # scipy.stats (0.5 s to import) on a thread while the base's sample is drawn,
        # which DuckDB does on one thread for CSV files.
        stats = threading.Thread(target=importlib.import_module, args=("scipy.stats",))
        stats.start()
        try:
            base, base_sample = _sample(con, base, cols, "base", sample)
        finally:
            stats.join()
    if base_sample is not None:
        bins = _plan_bins(cols, base_sample, spec.bins)
        # Both passes need only the bins: the head's runs beside the base's, on a cursor
        # of its own (DuckDB releases the GIL while it reads). Its row numbers (for the
        # sample) are counted on one thread when the files are CSV, so the base's
        # parallel pass fills the other core meanwhile.
        head_pass = _Thread(
            lambda cursor: _sample_and_counts(cursor, head, cols, "head", sample, bins), con
        )
        try:
            base, base_counts = _counts(con, base, cols, "base", bins)
        except BaseException:
            head_pass.stop()  # before the connection closes under it
            raise
        found_head = head_pass.join()
        if base_counts:
            head, head_sample, head_counts = found_head

    for side, source, root in (("base", base, base_root), ("head", head, head_root)):
        for problem in source.problems:
            errors.append(f"cannot read {display(problem.file, root)} at {side}: {problem.message}")
    if not head_counts:
        reason = "cannot read the dataset at base or head" if errors else "no column to compare"
        return DriftResult(dataset, (), 0.0, "warn" if errors else "pass", reason, tuple(errors))

    results = []
    for i, col in enumerate(cols):
        b_n, h_n = int(base_counts[f"n{i}"]), int(head_counts[f"n{i}"])
        if not b_n or not h_n:
            errors.append(f"column {col.name!r} has no values at {'head' if b_n else 'base'}")
        elif col.kind == "numeric":
            results.append(
                _numeric(spec, col, i, bins, (base_sample, head_sample), base_counts, head_counts)
            )
        else:
            results.append(
                _categorical(
                    spec, col, i, bins, (base_sample, head_sample), base_counts, head_counts
                )
            )
    share, outcome, reason = _summary(spec, results, errors)
    return DriftResult(dataset, tuple(results), share, outcome, reason, tuple(errors))


class _Thread(Generic[T]):
    """``work(cursor)`` on a thread, with a cursor of ``con`` (its own DuckDB connection
    to the same database); :meth:`join` returns its value or raises its exception."""

    def __init__(
        self, work: Callable[[duckdb.DuckDBPyConnection], T], con: duckdb.DuckDBPyConnection
    ) -> None:
        self._cursor = con.cursor()
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(work,), daemon=True)
        self._thread.start()

    def _run(self, work: Callable[[duckdb.DuckDBPyConnection], T]) -> None:
        try:
            self._value = work(self._cursor)
        except BaseException as exc:  # handed to join(), in the caller's thread
            self._error = exc

    def join(self) -> T:
        self._thread.join()
        self._cursor.close()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]

    def stop(self) -> None:
        """Interrupt the query, wait for the thread, forget its outcome. (An interrupt
        that comes before the query starts is lost: it is sent again until the thread
        ends.)"""
        while self._thread.is_alive():
            with contextlib.suppress(duckdb.Error):
                self._cursor.interrupt()
            self._thread.join(0.05)
        with contextlib.suppress(duckdb.Error):
            self._cursor.close()


_Samples = tuple["list[dict[str, Any]] | None", "list[dict[str, Any]] | None"]


def _numeric(
    spec: DriftSpec,
    col: _Col,
    i: int,
    bins: _Bins,
    samples: _Samples,
    base: dict[str, Any],
    head: dict[str, Any],
) -> ColumnDrift:
    edges = bins.edges[i]
    psi_value = psi(_bin_counts(base, i, edges), _bin_counts(head, i, edges))
    b_values, h_values = _values(samples[0], f"v{i}"), _values(samples[1], f"v{i}")
    ks = wasserstein = None
    if b_values and h_values:
        from scipy import stats  # about 1 s to import: only when drift is computed

        test = stats.ks_2samp(b_values, h_values)
        ks = (float(test.statistic), float(test.pvalue))
        std = max(float(base[f"std{i}"] or 0.0), MIN_STD)
        wasserstein = float(stats.wasserstein_distance(b_values, h_values)) / std
    context = f"mean {fmt_number(base[f'mean{i}'], 3)} → {fmt_number(head[f'mean{i}'], 3)}"
    return _judge(spec, col, psi_value, ks, wasserstein, None, context)


def _categorical(
    spec: DriftSpec,
    col: _Col,
    i: int,
    bins: _Bins,
    samples: _Samples,
    base: dict[str, Any],
    head: dict[str, Any],
) -> ColumnDrift:
    named = bins.named[i]
    b_cats, h_cats = _category_counts(base, i, named), _category_counts(head, i, named)
    keys = list(b_cats)
    psi_value = psi([b_cats[k] for k in keys], [h_cats[k] for k in keys])
    by = f"v{i}" if named is not None else f"b{i}"  # hash buckets for many categories
    b_values, h_values = _values(samples[0], by), _values(samples[1], by)
    chi2 = chi2_pvalue(Counter(b_values), Counter(h_values)) if b_values and h_values else None
    if named is None:
        context = (
            f"over {MAX_CATEGORIES} values in the base sample: "
            f"compared in {HASH_BUCKETS} hash buckets"
        )
    else:
        context = _most_changed(b_cats, h_cats)
    return _judge(spec, col, psi_value, None, None, chi2, context)


def _plan_bins(cols: Sequence[_Col], base_sample: list[dict[str, Any]], bins: int) -> _Bins:
    edges: dict[int, tuple[float, ...]] = {}
    named: dict[int, tuple[str, ...] | None] = {}
    for i, col in enumerate(cols):
        values = _values(base_sample, f"v{i}")
        if col.kind == "numeric":
            edges[i] = quantile_edges(values, bins)
            continue
        seen = sorted({str(v) for v in values})
        named[i] = tuple(seen) if len(seen) <= MAX_CATEGORIES else None
    return _Bins(edges, named)


def _most_changed(base: dict[str, int], head: dict[str, int]) -> str:
    """The category whose share changed most (ties: the first in sorted order)."""
    b_total, h_total = sum(base.values()), sum(head.values())
    if not b_total or not h_total:
        return ""
    best: tuple[float, str, float, float] | None = None
    for name in sorted(set(base) | set(head)):
        b, h = base.get(name, 0) / b_total, head.get(name, 0) / h_total
        change = round(abs(h - b), 9)
        if change > 0 and (best is None or change > best[0]):
            best = (change, name, b, h)
    if best is None:
        return ""
    _change, name, b, h = best
    label = "other categories" if name == _OTHER else repr(name)
    return f"most changed: {label} {b:.1%} → {h:.1%}"
