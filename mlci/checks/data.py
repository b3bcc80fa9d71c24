"""Declarative data checks: one dataset, the column rules it must meet, one result per rule.

Every check is a column aggregate (``count_if(...)``, ``min``/``max``,
``count(DISTINCT ...)``) and all of a dataset's checks run in one streaming pass
over its files, plus one for the ``count(DISTINCT ...)`` of uniqueness checks
(see :mod:`mlci.checks.sources` for formats and memory). Example failing values come
from the same pass (``arg_min(value, order, 50) FILTER (WHERE failing)``): up to
five distinct ones, the smallest first (the largest for ``max``; for text
columns, numbers before the rest). Only a failed uniqueness check costs one more
query, a ``GROUP BY ... HAVING count(*) > 1`` for the most repeated values.

What each check means:

``type``
    The column holds values of that type. In Parquet and JSON the stored type
    must match (``int``: any integer type; ``float``: float, double or decimal;
    ``number``: either; ``string``; ``bool``; ``datetime``: date or timestamp).
    CSV/TSV cells and JSON strings are text, so there every non-null value must
    *parse* as the type (``int``: optional sign and digits only, so ``1.5`` and
    ``1e3`` are not ints). A column with no values passes: ``nulls`` catches that.
``nulls`` / ``null_fraction``
    At most this many / this share of rows are null. Float NaN counts as null, as
    in pandas.
``min`` / ``max``
    Every non-null value is ≥ min / ≤ max. In a CSV column without a declared
    type, a value that is not a number fails too.
``allowed``
    Every non-null value is one of these. Compared as numbers when all allowed
    values are numbers (``1`` matches ``1.0``), as booleans when all are
    booleans, else as text.
``regex``
    Every non-null value, as text, matches the whole pattern (RE2 syntax:
    no look-around or back-references).
``unique``
    No non-null value (no key of non-null values) appears twice; the reason
    counts every row that shares a value with another.
``rows``
    The dataset has between ``rows_min`` and ``rows_max`` rows.
``exists`` / ``readable``
    The path matches files, a column is present in every file, every file can
    be read to the end (valid UTF-8, not truncated, not empty).

Nothing raises for bad data: a missing column, an unreadable file or a wrong type
is a ``fail`` result whose reason names the file or column.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb

from mlci.checks import sources
from mlci.checks.files import display
from mlci.checks.sources import EngineSettings, Source, ident, literal
from mlci.numbers import fmt_number
from mlci.results import CheckName, CheckResult
from mlci.specs import ColumnSpec, ColumnType, DatasetSpec, Scalar

__all__ = ["ColumnSpec", "DatasetSpec"]  # declared in mlci.specs


MAX_EXAMPLES = 5
_BOUNDS: tuple[Literal["min", "max"], ...] = ("min", "max")


# --- formatting -------------------------------------------------------------------


def _value(value: Any) -> str:
    """An example value as stored in ``examples``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value)


def _quoted(value: Any) -> str:
    """An example value as the reason shows it: text quoted, so blanks show."""
    return repr(value) if isinstance(value, str) else _value(value)


def _is_number_text(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return isinstance(value, str)


def _pct(fraction: float) -> str:
    return f"{fraction * 100:.3g}%"


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def _files(count: int) -> str:
    return f"{count} file" if count == 1 else f"{count} files"


# --- SQL per column ------------------------------------------------------------------

_SQL_TYPE = {
    "int": "BIGINT",
    "float": "DOUBLE",
    "number": "DOUBLE",
    "string": "VARCHAR",
    "bool": "BOOLEAN",
    "datetime": "TIMESTAMP",
}
_EXAMPLE_POOL = 50  # failing values kept per check to find 5 distinct examples


def _stored_matches(kind: str, declared: ColumnType) -> bool:
    if declared == "int":
        return sources.is_integer(kind)
    if declared == "float":
        return sources.is_float(kind)
    if declared == "number":
        return sources.is_numeric(kind)
    if declared == "string":
        return kind == "VARCHAR" or kind.startswith("ENUM")
    if declared == "bool":
        return kind == "BOOLEAN"
    return sources.is_datetime(kind)


def _parse(column: str, declared: ColumnType) -> str:
    """SQL that parses the text ``column`` as ``declared``: NULL where it does not."""
    if declared == "int":
        # DuckDB casts '1.5' and '1e3' to integers; an int has no point nor exponent.
        return (
            f"CASE WHEN NOT (contains({column}, '.') OR contains({column}, 'e') "
            f"OR contains({column}, 'E')) THEN TRY_CAST({column} AS BIGINT) END"
        )
    return f"TRY_CAST({column} AS {_SQL_TYPE[declared]})"


@dataclass(frozen=True)
class _Column:
    """SQL expressions for one column of one source."""

    name: str
    raw: str  # the column as read
    stored: str  # its DuckDB type as read
    value: str  # the value the checks compare (parsed; NaN made NULL)
    is_null: str  # predicate: the row is null here
    parse_fails: str | None  # predicate: a value that does not parse as the declared type
    stored_ok: bool  # the stored type is the declared one (or no type is declared)


def _column(source: Source, name: str, spec: ColumnSpec | None) -> _Column:
    raw = ident(name)
    stored = source.type_of(name)
    nan = sources.is_nan_capable(stored)
    is_null = f"({raw} IS NULL OR isnan({raw}))" if nan else f"{raw} IS NULL"
    value = f"nullif({raw}, 'NaN'::DOUBLE)" if nan else raw
    declared = spec.type if spec else None
    parse_fails = None
    stored_ok = True
    if declared is not None:
        stored_ok = _stored_matches(stored, declared)
        if stored == "VARCHAR" and declared != "string":
            value = _parse(raw, declared)
            parse_fails = f"({raw} IS NOT NULL AND {value} IS NULL)"
    return _Column(name, raw, stored, value, is_null, parse_fails, stored_ok)


def _numeric(col: _Column, declared: ColumnType | None) -> tuple[str, str | None] | str:
    """(number expression, predicate for a value that is no number) or why min/max cannot apply."""
    if declared in ("int", "float", "number") or sources.is_numeric(col.stored):
        if col.parse_fails is None and not sources.is_numeric(col.stored):
            return f"min/max need numbers; the column type is {col.stored}"
        return col.value, None
    if declared is not None:
        return f"min/max need numbers; the column is declared {declared}"
    if col.stored == "VARCHAR":
        number = f"TRY_CAST({col.raw} AS DOUBLE)"
        return number, f"({col.raw} IS NOT NULL AND {number} IS NULL)"
    return f"min/max need numbers; the column type is {col.stored}"


def _allowed(col: _Column, allowed: tuple[Scalar, ...]) -> str:
    """Predicate: the (non-null) value is one of ``allowed``."""
    if not allowed:
        return "FALSE"
    if all(isinstance(v, bool) for v in allowed):
        values = ", ".join(literal(v) for v in dict.fromkeys(allowed))
        return f"coalesce(TRY_CAST({col.value} AS BOOLEAN) IN ({values}), FALSE)"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in allowed):
        values = ", ".join(literal(float(v)) for v in dict.fromkeys(allowed))
        return f"coalesce(TRY_CAST({col.value} AS DOUBLE) IN ({values}), FALSE)"
    texts = dict.fromkeys(_value(v) for v in allowed)
    values = ", ".join(literal(v) for v in texts)
    return f"coalesce(CAST({col.value} AS VARCHAR) IN ({values}), FALSE)"


def _regex_error(con: duckdb.DuckDBPyConnection, pattern: str) -> str | None:
    try:
        con.execute(f"SELECT regexp_full_match('', {literal(pattern)})").fetchall()
    except duckdb.Error as exc:
        return sources.explain(exc)
    return None


# --- the plan: one aggregate pass, then results in the order of the spec -------------

_Get = Callable[[str], Any]
_Finish = Callable[[_Get], "list[CheckResult]"]


class _Plan:
    """Collects the aggregates of the single pass and, per check, how to judge them."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        source: Source,
        spec: DatasetSpec,
        show: Callable[[Path], str],
    ) -> None:
        self.con = con
        self.show = show
        self.source = source
        self.spec = spec
        self.exprs: list[str] = []
        self.slots: dict[str, int] = {}
        # count(DISTINCT ...) runs in a query of its own: in one query with the
        # other aggregates DuckDB is slower than running the two one after the other.
        self.distinct: dict[str, str] = {}
        # The values of each key counted there (one: a column's; several: a composite key).
        self.key_values: dict[str, tuple[str, ...]] = {}
        self.finishers: list[_Finish] = []
        self.add("rows", "count(*)")
        if all(fmt != "parquet" for fmt, _ in source.formats):
            # Text formats: convert every column, so a bad byte anywhere is found.
            for index, name in enumerate(source.names):
                self.add(f"read{index}", f"count({ident(name)})")

    def add(self, key: str, expr: str) -> str:
        self.slots[key] = len(self.exprs)
        self.exprs.append(expr)
        return key

    def sql(self, source: Source) -> str:
        return f"SELECT {', '.join(self.exprs)} FROM {source.relation()}"

    def distinct_sql(self, source: Source, keys: Sequence[str]) -> str:
        return f"SELECT {', '.join(self.distinct[k] for k in keys)} FROM {source.relation()}"

    def implied_by(self, key: str) -> list[str]:
        """The single-value keys whose uniqueness makes the composite ``key`` unique: the
        rows where every part of ``key`` is set are some of the rows where that part is,
        so no two of them share a key if no two of those share that value."""
        values = self.key_values[key]
        if len(values) < 2:
            return []
        return [
            single
            for single, (value, *more) in self.key_values.items()
            if not more and value in values
        ]

    def result(
        self,
        column: str | None,
        check: CheckName,
        ok: bool,
        reason: str,
        failed: int = 0,
        examples: tuple[str, ...] = (),
    ) -> CheckResult:
        if ok:
            return CheckResult(self.spec.path, column, check, "pass", reason)
        return CheckResult(self.spec.path, column, check, "fail", reason, failed, examples)

    def fixed(self, result: CheckResult) -> None:
        self.finishers.append(lambda get: [result])

    def failing(
        self,
        key: str,
        column: str,
        check: CheckName,
        predicate: str,
        shown: str,
        order: str,
        describe: str,
        *,
        descending: bool = False,
        numbers_in_text: bool = False,
        passed: Callable[[_Get], str],
        extra: Callable[[_Get], str] = lambda get: "",
    ) -> None:
        """A check that fails on the rows matching ``predicate``; examples come along."""
        self.add(key, sources.count_if(predicate))
        pick = "arg_max" if descending else "arg_min"
        self.add(
            key + ":examples",
            f"{pick}({shown}, {order}, {_EXAMPLE_POOL}) FILTER (WHERE {predicate})",
        )

        def finish(get: _Get) -> list[CheckResult]:
            count = int(get(key))
            if not count:
                return [self.result(column, check, True, passed(get))]
            # Distinct by their text: a nested value (a struct, list or map of Parquet or
            # JSON) comes as a dict or a list, which cannot be hashed.
            pool: dict[str, Any] = {}
            for value in get(key + ":examples") or []:
                pool.setdefault(_value(value), value)
            found = list(pool.values())[:MAX_EXAMPLES]
            shown_text = ", ".join(
                v if numbers_in_text and _is_number_text(v) else _quoted(v) for v in found
            )
            reason = f"{count} of {_rows(int(get('rows')))} {describe}{extra(get)}"
            if shown_text:
                reason += f": {shown_text}"
            return [
                self.result(column, check, False, reason, count, tuple(_value(v) for v in found))
            ]

        self.finishers.append(finish)


def _plan_column(plan: _Plan, index: int, name: str, rules: ColumnSpec) -> None:
    """Plan every rule of one column: each adds its aggregates to the one query and a
    finisher that turns their values into a :class:`CheckResult`."""
    key = f"c{index}:"
    col = _column(plan.source, name, rules)
    _plan_missing(plan, name)
    if rules.type is not None:
        _plan_type(plan, key, col, rules.type)
    if rules.nulls is not None or rules.null_fraction is not None:
        plan.add(key + "nulls", sources.count_if(col.is_null))
    if rules.nulls is not None:
        _plan_nulls(plan, key, name, rules.nulls)
    if rules.null_fraction is not None:
        _plan_null_fraction(plan, key, name, rules.null_fraction)
    for bound in _BOUNDS:
        limit_value = getattr(rules, bound)
        if limit_value is not None:
            _plan_bound(plan, key, col, rules.type, bound, float(limit_value))
    if rules.allowed is not None:
        _plan_allowed(plan, key, col, rules.allowed)
    if rules.regex is not None:
        _plan_regex(plan, key, col, rules.regex)
    if rules.unique:
        _plan_unique(plan, key, name, [col.value])


def _plan_missing(plan: _Plan, name: str) -> None:
    """A column some files lack fails at once, naming (up to five of) those files."""
    source = plan.source
    lacking = dict(source.missing).get(name)
    if lacking:
        plan.fixed(
            plan.result(
                name,
                "exists",
                False,
                f"column {name!r} missing from {len(lacking)} of {_files(len(source.files))}: "
                + ", ".join(plan.show(p) for p in lacking[:5]),
            )
        )


def _plan_nulls(plan: _Plan, key: str, name: str, limit: int) -> None:
    def nulls(get: _Get) -> list[CheckResult]:
        count, total = int(get(key + "nulls")), int(get("rows"))
        if count > limit:
            reason = f"{count} of {_rows(total)} are null, max {limit}"
            return [plan.result(name, "nulls", False, reason, count)]
        return [plan.result(name, "nulls", True, f"{count} null (max {limit})")]

    plan.finishers.append(nulls)


def _plan_null_fraction(plan: _Plan, key: str, name: str, share_limit: float) -> None:
    def null_fraction(get: _Get) -> list[CheckResult]:
        count, total = int(get(key + "nulls")), int(get("rows"))
        share = count / total if total else 0.0
        if share > share_limit:
            reason = (
                f"{count} of {_rows(total)} are null ({_pct(share)}), above max {_pct(share_limit)}"
            )
            return [plan.result(name, "null_fraction", False, reason, count)]
        reason = f"{_pct(share)} null (max {_pct(share_limit)})"
        return [plan.result(name, "null_fraction", True, reason)]

    plan.finishers.append(null_fraction)


def _plan_allowed(plan: _Plan, key: str, col: _Column, allowed: tuple[Scalar, ...]) -> None:
    predicate = f"({col.value} IS NOT NULL AND NOT {_allowed(col, allowed)})"
    plan.failing(
        key + "allowed",
        col.name,
        "allowed",
        predicate,
        col.value,
        col.value,
        "not in allowed values",
        passed=lambda get: f"all values among the {len(allowed)} allowed",
    )


def _plan_regex(plan: _Plan, key: str, col: _Column, pattern: str) -> None:
    problem = _regex_error(plan.con, pattern)
    if problem is not None:
        plan.fixed(plan.result(col.name, "regex", False, f"invalid regex {pattern!r}: {problem}"))
        return
    text = f"CAST({col.value} AS VARCHAR)"
    predicate = f"({col.value} IS NOT NULL AND NOT regexp_full_match({text}, {literal(pattern)}))"
    plan.failing(
        key + "regex",
        col.name,
        "regex",
        predicate,
        text,
        text,
        f"do not match {pattern!r}",
        passed=lambda get: f"all values match {pattern!r}",
    )


def _plan_type(plan: _Plan, key: str, col: _Column, declared: ColumnType) -> None:
    name = col.name
    plan.add(key + "values", sources.count_if(f"NOT {col.is_null}"))
    if col.parse_fails is not None:

        def parsed(get: _Get) -> str:
            count = int(get(key + "values"))
            if not count:
                return "no non-null values to check"
            return f"all {count} non-null values parse as {declared}"

        plan.failing(
            key + "type",
            name,
            "type",
            col.parse_fails,
            col.raw,
            col.raw,
            f"are not {declared}",
            passed=parsed,
        )
    elif col.stored_ok:
        plan.fixed(plan.result(name, "type", True, f"column type {col.stored} is {declared}"))
    else:

        def wrong(get: _Get) -> list[CheckResult]:
            reason = f"column type {col.stored} is not {declared}"
            return [plan.result(name, "type", False, reason, int(get(key + "values")))]

        plan.finishers.append(wrong)


def _plan_bound(
    plan: _Plan,
    key: str,
    col: _Column,
    declared: ColumnType | None,
    bound: Literal["min", "max"],
    limit: float,
) -> None:
    numeric = _numeric(col, declared)
    if isinstance(numeric, str):
        plan.fixed(plan.result(col.name, bound, False, numeric))
        return
    number, not_number = numeric
    predicate = f"{number} {'<' if bound == 'min' else '>'} {literal(limit)}"
    shown, order = number, number
    if not_number is not None:
        predicate = f"({predicate} OR {not_number})"
        plan.add(key + bound + ":nan", sources.count_if(not_number))
        # Text examples, numbers first in numeric order, then what is no number.
        shown = col.raw
        order = f"coalesce({number}, {literal(float('inf') if bound == 'min' else float('-inf'))})"
    seen = plan.add(key + bound + ":seen", f"{bound}({number})")
    word, sign = ("smallest", "≥") if bound == "min" else ("largest", "≤")

    def passed(get: _Get) -> str:
        value = get(seen)
        if value is None:
            return "no non-null values to check"
        return f"{word} {fmt_number(value)} {sign} {bound} {fmt_number(limit)}"

    def extra(get: _Get) -> str:
        return " or not a number" if not_number is not None and get(key + bound + ":nan") else ""

    plan.failing(
        key + bound,
        col.name,
        bound,
        predicate,
        shown,
        order,
        f"{'below' if bound == 'min' else 'above'} {bound} {fmt_number(limit)}",
        descending=bound == "max",
        numbers_in_text=not_number is not None,
        passed=passed,
        extra=extra,
    )


def _plan_unique(plan: _Plan, key: str, label: str, values: Sequence[str]) -> None:
    plan.key_values[key + "distinct"] = tuple(values)
    if len(values) == 1:
        plan.distinct[key + "distinct"] = f"count(DISTINCT {values[0]})"
        plan.add(key + "nonnull", f"count({values[0]})")
    else:
        struct = "{" + ", ".join(f"'k{i}': {v}" for i, v in enumerate(values)) + "}"
        complete = " AND ".join(f"{v} IS NOT NULL" for v in values)
        plan.distinct[key + "distinct"] = f"count(DISTINCT {struct}) FILTER (WHERE {complete})"
        plan.add(key + "nonnull", sources.count_if(complete))
    what = "value" if len(values) == 1 else "key"

    def unique(get: _Get) -> list[CheckResult]:
        distinct, nonnull = int(get(key + "distinct")), int(get(key + "nonnull"))
        total = int(get("rows"))
        if distinct == nonnull:
            return [plan.result(label, "unique", True, f"all {nonnull} non-null {what}s unique")]
        rows, groups, examples = _duplicates(plan.con, plan.source, values)
        if not rows:  # the query for examples failed: report what the pass counted
            extra = nonnull - distinct
            reason = f"{extra} of {_rows(total)} repeat an earlier {what}"
            return [plan.result(label, "unique", False, reason, extra)]
        plural = "s" if groups != 1 else ""
        reason = f"{rows} of {_rows(total)} share {groups} duplicated {what}{plural}: " + ", ".join(
            examples
        )
        return [plan.result(label, "unique", False, reason, rows, examples)]

    plan.finishers.append(unique)


def _plan_dataset(plan: _Plan) -> None:
    spec, source = plan.spec, plan.source
    present = set(source.names)
    for index, (name, rules) in enumerate(spec.columns):
        if name in present:
            _plan_column(plan, index, name, rules)
            continue
        close = difflib.get_close_matches(name, list(source.names), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        listed = ", ".join(source.names[:12]) + (", ..." if len(source.names) > 12 else "")
        where = plan.show(source.files[0]) if len(source.files) == 1 else _files(len(source.files))
        plan.fixed(
            plan.result(
                name,
                "exists",
                False,
                f"column {name!r} not found in {where} (columns: {listed}){hint}",
            )
        )
    for index, key_columns in enumerate(spec.unique):
        label = ", ".join(key_columns)
        absent = [c for c in key_columns if c not in present]
        if not key_columns:
            continue
        if absent:
            plan.fixed(
                plan.result(label, "unique", False, "key column not found: " + ", ".join(absent))
            )
            continue
        values = [_column(source, c, spec.column(c)).value for c in key_columns]
        _plan_unique(plan, f"key{index}:", label, values)


def _duplicates(
    con: duckdb.DuckDBPyConnection, source: Source, values: Sequence[str]
) -> tuple[int, int, tuple[str, ...]]:
    """(rows sharing a value, duplicated values, the most repeated) for a key."""
    keys = ", ".join(f"{v} AS k{i}" for i, v in enumerate(values))
    complete = " AND ".join(f"{v} IS NOT NULL" for v in values)
    names = ", ".join(f"k{i}" for i in range(len(values)))
    sql = (
        f"WITH d AS (SELECT {keys}, count(*) AS n FROM {source.relation()} WHERE {complete} "
        f"GROUP BY ALL HAVING count(*) > 1) "
        f"SELECT {names}, n, count(*) OVER (), sum(n) OVER () FROM d "
        f"ORDER BY n DESC, {names} LIMIT {MAX_EXAMPLES}"
    )
    try:
        rows = con.execute(sql).fetchall()
    except duckdb.Error:
        return 0, 0, ()
    if not rows:
        return 0, 0, ()
    width = len(values)
    examples = tuple(
        _value(row[0]) if width == 1 else "(" + ", ".join(_quoted(v) for v in row[:width]) + ")"
        for row in rows
    )
    return int(rows[0][width + 2]), int(rows[0][width + 1]), examples


# --- entry point ---------------------------------------------------------------------------


def check_dataset(
    files: Sequence[Path],
    spec: DatasetSpec,
    *,
    root: Path | None = None,
    settings: EngineSettings | None = None,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> tuple[CheckResult, ...]:
    """Run every check of ``spec`` on ``files`` (one dataset); never raises for bad data.

    ``root``: reasons name files relative to it (e.g. the repository root).
    ``connection``: a DuckDB connection from :func:`sources.connect` to run in (the checks
    leave nothing behind in it); by default one of ``settings`` is opened and closed.
    """
    if not files:
        return (CheckResult(spec.path, None, "exists", "fail", f"no files match {spec.path!r}"),)
    if connection is not None:
        with sources.nan_aware(connection):
            return _check(connection, list(files), spec, root)
    with sources.connect(settings) as con, sources.nan_aware(con):
        return _check(con, list(files), spec, root)


def _check(
    con: duckdb.DuckDBPyConnection, files: list[Path], spec: DatasetSpec, root: Path | None
) -> tuple[CheckResult, ...]:
    def show(path: Path) -> str:
        return display(path, root)

    source = sources.open_source(con, files, spec.format, show)
    out: list[CheckResult] = []
    found: dict[str, Any] = {}
    plan: _Plan | None = None
    if source.files:
        plan = _Plan(con, source, spec, show)
        _plan_dataset(plan)
        source, rows = sources.query(con, source, plan.sql)
        if rows:
            found = {key: rows[0][slot] for key, slot in plan.slots.items()}
        if rows and plan.distinct:
            source, found = _count_distinct(con, source, plan, found)
        plan.source = source
    for problem in source.problems:
        reason = f"cannot read {show(problem.file)}: {problem.message}"
        out.append(CheckResult(spec.path, None, "readable", "fail", reason))
    if plan is None or not found:
        return tuple(out)

    def get(key: str) -> Any:
        return found[key]

    total = int(get("rows"))
    if not source.problems:
        reason = (
            f"read {_rows(total)} from {_files(len(source.files))}, {len(source.names)} columns"
        )
        out.append(plan.result(None, "readable", True, reason))
    out.extend(_rows_result(plan, total))
    for finish in plan.finishers:
        out.extend(finish(get))
    return tuple(out)


def _count_distinct(
    con: duckdb.DuckDBPyConnection, source: Source, plan: _Plan, found: dict[str, Any]
) -> tuple[Source, dict[str, Any]]:
    """The ``count(DISTINCT ...)`` of every unique check, added to ``found`` (empty when
    the files cannot be read).

    A composite key that holds a column whose values are unique is unique too: it is
    not counted (its hash table is as big as the data) unless that column turns out
    not to be unique, which costs a second pass, only when a check fails anyway.
    """

    def nonnull(key: str) -> int:
        return int(found[key.removesuffix("distinct") + "nonnull"])

    first = [k for k in plan.distinct if not plan.implied_by(k)]
    source, rows = sources.query(con, source, lambda s: plan.distinct_sql(s, first))
    if not rows:
        return source, {}
    counted = dict(zip(first, rows[0], strict=True))
    rest = []
    for key in plan.distinct:
        if key in counted:
            continue
        if any(int(counted[single]) == nonnull(single) for single in plan.implied_by(key)):
            counted[key] = nonnull(key)  # unique, as a column of it is
        else:
            rest.append(key)
    if rest:
        source, rows = sources.query(con, source, lambda s: plan.distinct_sql(s, rest))
        if not rows:
            return source, {}
        counted |= dict(zip(rest, rows[0], strict=True))
    return source, counted | found


def _rows_result(plan: _Plan, total: int) -> list[CheckResult]:
    low, high = plan.spec.rows_min, plan.spec.rows_max
    if low is None and high is None:
        return []
    if low is not None and total < low:
        return [plan.result(None, "rows", False, f"{_rows(total)}, below min {low}")]
    if high is not None and total > high:
        return [plan.result(None, "rows", False, f"{_rows(total)}, above max {high}")]
    bounds = ", ".join(
        f"{word} {limit}" for word, limit in (("min", low), ("max", high)) if limit is not None
    )
    return [plan.result(None, "rows", True, f"{_rows(total)} ({bounds})")]
