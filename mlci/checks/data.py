"""Declarative data checks: one dataset, the column rules it must meet, one result per rule.

Every check is a column aggregate (``count(*) FILTER (WHERE ...)``, ``min``/``max``,
``count(DISTINCT ...)``) and all of a dataset's checks run in **one** streaming pass
over its files (see :mod:`mlci.checks.io` for formats and memory). Only a check that
fails costs one more query, to fetch up to five example values — the most frequent
failing values, then in value order, like pandera's failure cases.

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb

from mlci.checks import io
from mlci.checks.io import EngineSettings, Format, Source, ident, literal

ColumnType = Literal["int", "float", "number", "string", "bool", "datetime"]
CheckName = Literal[
    "type",
    "nulls",
    "null_fraction",
    "min",
    "max",
    "allowed",
    "regex",
    "unique",
    "rows",
    "readable",
    "exists",
]
Scalar = str | int | float | bool

MAX_EXAMPLES = 5
_BOUNDS: tuple[Literal["min", "max"], ...] = ("min", "max")


@dataclass(frozen=True)
class ColumnSpec:
    """The rules for one column; ``None`` (or ``False``) leaves a rule out."""

    type: ColumnType | None = None
    nulls: int | None = None  # most null rows allowed
    null_fraction: float | None = None  # largest null share allowed, 0..1
    min: float | None = None
    max: float | None = None
    allowed: tuple[Scalar, ...] | None = None
    regex: str | None = None
    unique: bool = False


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset in mlci.yaml: where its files are and the rules they must meet."""

    path: str  # as written in mlci.yaml: a file, a directory or a glob
    format: Format | None = None  # None: from each file's extension
    # (column, rules) pairs in the order they are written; a mapping is accepted too.
    columns: tuple[tuple[str, ColumnSpec], ...] = ()
    unique: tuple[tuple[str, ...], ...] = ()  # keys of one or several columns
    rows_min: int | None = None
    rows_max: int | None = None

    def __post_init__(self) -> None:
        columns: Any = self.columns
        if isinstance(columns, Mapping):
            object.__setattr__(self, "columns", tuple(columns.items()))
        else:
            object.__setattr__(self, "columns", tuple(tuple(pair) for pair in columns))
        object.__setattr__(self, "unique", tuple(tuple(key) for key in self.unique))

    def column(self, name: str) -> ColumnSpec | None:
        return dict(self.columns).get(name)


@dataclass(frozen=True)
class CheckResult:
    dataset: str
    column: str | None  # None for the dataset; "a, b" for a key of several columns
    check: CheckName
    outcome: Literal["pass", "fail"]
    reason: str  # "3 of 569 rows below min 0: -1, -4, -7"
    failed_rows: int = 0
    examples: tuple[str, ...] = ()  # up to 5 failing values (most frequent first)


# --- formatting -------------------------------------------------------------------


def _num(value: float) -> str:
    """A threshold or observed number, short and exact enough to read."""
    if isinstance(value, int) or (
        math.isfinite(value) and value.is_integer() and abs(value) < 1e15
    ):
        return str(int(value))
    return f"{value:.6g}"


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
_INT_TEXT = r"'\s*[+-]?[0-9]+\s*'"


def _stored_matches(kind: str, declared: ColumnType) -> bool:
    if declared == "int":
        return io.is_integer(kind)
    if declared == "float":
        return io.is_float(kind)
    if declared == "number":
        return io.is_numeric(kind)
    if declared == "string":
        return kind == "VARCHAR" or kind.startswith("ENUM")
    if declared == "bool":
        return kind == "BOOLEAN"
    return io.is_datetime(kind)


def _parse(column: str, declared: ColumnType) -> str:
    """SQL that parses the text ``column`` as ``declared``: NULL where it does not."""
    if declared == "int":
        return f"CASE WHEN regexp_full_match({column}, {_INT_TEXT}) THEN TRY_CAST({column} AS BIGINT) END"
    return f"TRY_CAST({column} AS {_SQL_TYPE[declared]})"


@dataclass(frozen=True)
class _Column:
    """SQL expressions for one column of one source."""

    name: str
    raw: str  # the column as read
    stored: str  # its DuckDB type as read
    value: str  # the value the checks compare (parsed / NaN made NULL)
    is_null: str  # predicate: the row is null here
    parse_fails: str | None  # predicate: a value that does not parse as the declared type
    stored_ok: bool  # the stored type is the declared one (or no type is declared)
    text: bool  # the column is text (CSV cells, JSON strings)


def _column(source: Source, name: str, spec: ColumnSpec) -> _Column:
    raw = ident(name)
    stored = source.type_of(name)
    is_null = f"({raw} IS NULL OR isnan({raw}))" if io.is_nan_capable(stored) else f"{raw} IS NULL"
    value = f"nullif({raw}, 'NaN'::DOUBLE)" if io.is_nan_capable(stored) else raw
    declared = spec.type
    parse_fails = None
    stored_ok = True
    text = stored == "VARCHAR"
    if declared is not None:
        stored_ok = _stored_matches(stored, declared)
        if text and declared != "string":
            value = _parse(raw, declared)
            parse_fails = f"({raw} IS NOT NULL AND {value} IS NULL)"
    return _Column(name, raw, stored, value, is_null, parse_fails, stored_ok, text)


class _Aggregates:
    """The SELECT list of the one pass, with slots to read results back by name."""

    def __init__(self) -> None:
        self.exprs: list[str] = []
        self.slots: dict[str, int] = {}

    def add(self, key: str, expr: str) -> None:
        self.slots[key] = len(self.exprs)
        self.exprs.append(expr)

    def sql(self, relation: str) -> str:
        return f"SELECT {', '.join(self.exprs)} FROM {relation}"


@dataclass(frozen=True)
class _Pending:
    """A value check with the predicate that finds its failing rows."""

    column: str | None
    check: CheckName
    key: str  # slot of the failing-row count
    failing: str  # predicate over a row
    shown: str  # expression whose values are the examples
    order: str  # examples of equal frequency are ordered by this (ascending) ...
    describe: str  # "below min 0", "not in allowed values", ...
    descending: bool = False  # ... or descending
    numbers_in_text: bool = False  # examples are text; show those that are numbers unquoted


@dataclass(frozen=True)
class _Plan:
    aggs: _Aggregates
    pending: tuple[_Pending, ...]
    early: tuple[CheckResult, ...]  # results known before reading (bad regex, ...)
    late: tuple[tuple[str, ColumnSpec, _Column], ...]


def _numeric(col: _Column, spec: ColumnSpec) -> tuple[str, str | None] | str:
    """(number expression, predicate for a non-number) or why min/max cannot apply."""
    if spec.type in ("int", "float", "number"):
        if not col.stored_ok and not col.text:
            return f"column type is {col.stored}, not a number"
        return col.value, None
    if spec.type is not None:
        return f"min/max need numbers; the column is declared {spec.type}"
    if io.is_numeric(col.stored):
        return col.value, None
    if col.text:
        number = f"TRY_CAST({col.raw} AS DOUBLE)"
        return number, f"({col.raw} IS NOT NULL AND {number} IS NULL)"
    return f"min/max need numbers; the column type is {col.stored}"


def _allowed_expr(col: _Column, allowed: tuple[Scalar, ...]) -> tuple[str, str]:
    """(predicate: value allowed, how the values are compared)."""
    if not allowed:
        return "FALSE", "text"
    if all(isinstance(v, bool) for v in allowed):
        values = ", ".join(literal(v) for v in dict.fromkeys(allowed))
        return f"coalesce(TRY_CAST({col.value} AS BOOLEAN) IN ({values}), FALSE)", "bool"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in allowed):
        values = ", ".join(literal(float(v)) for v in dict.fromkeys(allowed))
        return f"coalesce(TRY_CAST({col.value} AS DOUBLE) IN ({values}), FALSE)", "number"
    texts = [_value(v) for v in allowed]
    values = ", ".join(literal(v) for v in dict.fromkeys(texts))
    return f"coalesce(CAST({col.value} AS VARCHAR) IN ({values}), FALSE)", "text"


def _regex_error(con: duckdb.DuckDBPyConnection, pattern: str) -> str | None:
    try:
        con.execute(f"SELECT regexp_full_match('', {literal(pattern)})").fetchall()
    except duckdb.Error as exc:
        return io.explain(exc)
    return None


def _plan(con: duckdb.DuckDBPyConnection, source: Source, spec: DatasetSpec) -> _Plan:
    aggs = _Aggregates()
    aggs.add("rows", "count(*)")
    pending: list[_Pending] = []
    early: list[CheckResult] = []
    late: list[tuple[str, ColumnSpec, _Column]] = []
    present = set(source.names)
    if all(fmt != "parquet" for fmt, _ in source.formats):
        # Text formats: convert every column, so a bad byte anywhere is found.
        for index, name in enumerate(source.names):
            aggs.add(f"read{index}", f"count({ident(name)})")

    def fail(column: str | None, check: CheckName, reason: str) -> None:
        early.append(CheckResult(spec.path, column, check, "fail", reason))

    for name, rules in spec.columns:
        if name not in present:
            continue
        col = _column(source, name, rules)
        late.append((name, rules, col))
        key = f"c{len(late)}:"
        if rules.nulls is not None or rules.null_fraction is not None:
            aggs.add(key + "nulls", f"count(*) FILTER (WHERE {col.is_null})")
        if rules.type is not None:
            aggs.add(key + "values", f"count(*) FILTER (WHERE NOT {col.is_null})")
            if col.parse_fails is not None:
                aggs.add(key + "type", f"count(*) FILTER (WHERE {col.parse_fails})")
                pending.append(
                    _Pending(
                        name,
                        "type",
                        key + "type",
                        col.parse_fails,
                        col.raw,
                        col.raw,
                        f"are not {rules.type}",
                    )
                )
        for bound in _BOUNDS:
            limit = getattr(rules, bound)
            if limit is None:
                continue
            numeric = _numeric(col, rules)
            if isinstance(numeric, str):
                fail(name, bound, numeric)
                continue
            number, not_number = numeric
            op = "<" if bound == "min" else ">"
            failing = f"{number} {op} {literal(float(limit))}"
            if not_number is not None:
                failing = f"({failing} OR {not_number})"
                aggs.add(key + bound + "_nan", f"count(*) FILTER (WHERE {not_number})")
            aggs.add(key + bound, f"count(*) FILTER (WHERE {failing})")
            aggs.add(key + bound + "_seen", f"{bound}({number})")
            shown = col.raw if not_number is not None else number
            words = f"{'below' if bound == 'min' else 'above'} {bound} {_num(limit)}"
            pending.append(
                _Pending(
                    name,
                    bound,
                    key + bound,
                    failing,
                    shown,
                    number,
                    words,
                    descending=bound == "max",
                    numbers_in_text=not_number is not None,
                )
            )
        if rules.allowed is not None:
            ok, _how = _allowed_expr(col, rules.allowed)
            failing = f"({col.value} IS NOT NULL AND NOT {ok})"
            aggs.add(key + "allowed", f"count(*) FILTER (WHERE {failing})")
            pending.append(
                _Pending(
                    name,
                    "allowed",
                    key + "allowed",
                    failing,
                    col.value,
                    col.value,
                    "not in allowed values",
                )
            )
        if rules.regex is not None:
            problem = _regex_error(con, rules.regex)
            if problem is not None:
                fail(name, "regex", f"invalid regex {rules.regex!r}: {problem}")
            else:
                failing = (
                    f"({col.value} IS NOT NULL AND NOT "
                    f"regexp_full_match(CAST({col.value} AS VARCHAR), {literal(rules.regex)}))"
                )
                aggs.add(key + "regex", f"count(*) FILTER (WHERE {failing})")
                pending.append(
                    _Pending(
                        name,
                        "regex",
                        key + "regex",
                        failing,
                        col.value,
                        col.value,
                        f"do not match {rules.regex!r}",
                    )
                )
        if rules.unique:
            aggs.add(key + "distinct", f"count(DISTINCT {col.value})")
            aggs.add(key + "nonnull", f"count({col.value})")

    for index, columns in enumerate(spec.unique):
        if len(columns) == 1 and columns[0] in present:
            expr = _column(source, columns[0], spec.column(columns[0]) or ColumnSpec()).value
            aggs.add(f"key{index}:distinct", f"count(DISTINCT {expr})")
            aggs.add(f"key{index}:nonnull", f"count({expr})")
        elif all(c in present for c in columns) and columns:
            values = [_column(source, c, spec.column(c) or ColumnSpec()).value for c in columns]
            struct = "{" + ", ".join(f"'k{i}': {v}" for i, v in enumerate(values)) + "}"
            complete = " AND ".join(f"{v} IS NOT NULL" for v in values)
            aggs.add(f"key{index}:distinct", f"count(DISTINCT {struct}) FILTER (WHERE {complete})")
            aggs.add(f"key{index}:nonnull", f"count(*) FILTER (WHERE {complete})")
    return _Plan(aggs, tuple(pending), tuple(early), tuple(late))


# --- running -----------------------------------------------------------------------


def _examples(con: duckdb.DuckDBPyConnection, source: Source, check: _Pending) -> tuple[Any, ...]:
    """The most frequent failing values of a check (ties: in value order)."""
    direction = "DESC" if check.descending else "ASC"
    sql = (
        f"SELECT {check.shown} AS v, count(*) AS n, min({check.order}) AS o "
        f"FROM {source.relation()} WHERE {check.failing} GROUP BY ALL "
        f"ORDER BY n DESC, o {direction} NULLS LAST, v LIMIT {MAX_EXAMPLES}"
    )
    try:
        return tuple(row[0] for row in con.execute(sql).fetchall())
    except duckdb.Error:  # the counts stand without examples
        return ()


def _duplicates(
    con: duckdb.DuckDBPyConnection, source: Source, values: Sequence[str]
) -> tuple[int, int, tuple[str, ...]]:
    """(rows sharing a value, duplicated values, examples) for a key."""
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


def check_dataset(
    files: Sequence[Path],
    spec: DatasetSpec,
    *,
    root: Path | None = None,
    settings: EngineSettings | None = None,
) -> tuple[CheckResult, ...]:
    """Run every check of ``spec`` on ``files`` (one dataset); never raises for bad data.

    ``root``: reasons name files relative to it (e.g. the repository root).
    """
    if not files:
        return (CheckResult(spec.path, None, "exists", "fail", f"no files match {spec.path!r}"),)
    with io.connect(settings) as con:
        return _check(con, list(files), spec, root)


def _check(
    con: duckdb.DuckDBPyConnection, files: list[Path], spec: DatasetSpec, root: Path | None
) -> tuple[CheckResult, ...]:
    def show(path: Path) -> str:
        return io.display(path, root)

    def result(
        column: str | None,
        check: CheckName,
        ok: bool,
        reason: str,
        failed: int = 0,
        examples: tuple[str, ...] = (),
    ) -> CheckResult:
        return CheckResult(
            spec.path,
            column,
            check,
            "pass" if ok else "fail",
            reason,
            0 if ok else failed,
            () if ok else examples,
        )

    source = io.open_source(con, files, spec.format, show)
    values: list[Any] = []
    plan: _Plan | None = None
    if source.files:
        plan = _plan(con, source, spec)
        built = plan.aggs.sql
        source, rows = io.query(con, source, lambda s: built(s.relation()))
        values = list(rows[0]) if rows else []

    out: list[CheckResult] = []
    for problem in source.problems:
        out.append(
            result(None, "readable", False, f"cannot read {show(problem.file)}: {problem.message}")
        )
    if not values or plan is None:
        return tuple(out)

    def get(key: str) -> Any:
        return values[plan.aggs.slots[key]]

    total = int(get("rows"))
    if not source.problems:
        out.append(
            result(
                None,
                "readable",
                True,
                f"read {_rows(total)} from {_files(len(source.files))}, "
                f"{len(source.names)} columns",
            )
        )
    if spec.rows_min is not None or spec.rows_max is not None:
        low = spec.rows_min is not None and total < spec.rows_min
        high = spec.rows_max is not None and total > spec.rows_max
        if low:
            out.append(result(None, "rows", False, f"{_rows(total)}, below min {spec.rows_min}"))
        elif high:
            out.append(result(None, "rows", False, f"{_rows(total)}, above max {spec.rows_max}"))
        else:
            bounds = ", ".join(
                f"{word} {limit}"
                for word, limit in (("min", spec.rows_min), ("max", spec.rows_max))
                if limit is not None
            )
            out.append(result(None, "rows", True, f"{_rows(total)} ({bounds})"))

    pending = {(p.column, p.check): p for p in plan.pending}
    early = {(r.column, r.check): r for r in plan.early}
    missing = dict(source.missing)
    columns = {name: (rules, col) for name, rules, col in plan.late}
    index_of = {name: i + 1 for i, (name, _r, _c) in enumerate(plan.late)}

    def failing(p: _Pending, count: int, extra: str = "") -> CheckResult:
        found = _examples(con, source, p)
        shown = ", ".join(
            v if p.numbers_in_text and _is_number_text(v) else _quoted(v) for v in found
        )
        reason = f"{count} of {_rows(total)} {p.describe}{extra}" + (f": {shown}" if shown else "")
        return result(p.column, p.check, False, reason, count, tuple(_value(v) for v in found))

    for name, rules in spec.columns:
        if name not in columns:
            close = difflib.get_close_matches(name, list(source.names), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            listed = ", ".join(source.names[:12]) + (", ..." if len(source.names) > 12 else "")
            where = show(source.files[0]) if len(source.files) == 1 else _files(len(source.files))
            out.append(
                result(
                    name,
                    "exists",
                    False,
                    f"column {name!r} not found in {where} (columns: {listed}){hint}",
                )
            )
            continue
        _rules, col = columns[name]
        key = f"c{index_of[name]}:"
        if name in missing:
            lacking = missing[name]
            out.append(
                result(
                    name,
                    "exists",
                    False,
                    f"column {name!r} missing from {len(lacking)} of {_files(len(source.files))}: "
                    + ", ".join(show(p) for p in lacking[:5]),
                )
            )
        if rules.type is not None:
            count = int(get(key + "values"))
            if col.parse_fails is not None:
                bad = int(get(key + "type"))
                if bad:
                    out.append(failing(pending[(name, "type")], bad))
                elif not col.stored_ok and col.stored != "VARCHAR":
                    out.append(
                        result(
                            name,
                            "type",
                            False,
                            f"column type {col.stored} is not {rules.type}",
                            count,
                        )
                    )
                else:
                    out.append(
                        result(
                            name, "type", True, f"all {count} non-null values parse as {rules.type}"
                        )
                        if count
                        else result(name, "type", True, "no non-null values to check")
                    )
            elif col.stored_ok:
                out.append(result(name, "type", True, f"column type {col.stored} is {rules.type}"))
            else:
                out.append(
                    result(
                        name, "type", False, f"column type {col.stored} is not {rules.type}", count
                    )
                )
        if rules.nulls is not None:
            nulls = int(get(key + "nulls"))
            if nulls > rules.nulls:
                out.append(
                    result(
                        name,
                        "nulls",
                        False,
                        f"{nulls} of {_rows(total)} are null, max {rules.nulls}",
                        nulls,
                    )
                )
            else:
                out.append(result(name, "nulls", True, f"{nulls} null (max {rules.nulls})"))
        if rules.null_fraction is not None:
            nulls = int(get(key + "nulls"))
            share = nulls / total if total else 0.0
            if share > rules.null_fraction:
                out.append(
                    result(
                        name,
                        "null_fraction",
                        False,
                        f"{nulls} of {_rows(total)} are null ({_pct(share)}), "
                        f"above max {_pct(rules.null_fraction)}",
                        nulls,
                    )
                )
            else:
                out.append(
                    result(
                        name,
                        "null_fraction",
                        True,
                        f"{_pct(share)} null (max {_pct(rules.null_fraction)})",
                    )
                )
        for bound in _BOUNDS:
            limit = getattr(rules, bound)
            if limit is None:
                continue
            if (name, bound) in early:
                out.append(early[(name, bound)])
                continue
            bad = int(get(key + bound))
            if bad:
                not_numbers = (
                    int(get(key + bound + "_nan")) if key + bound + "_nan" in plan.aggs.slots else 0
                )
                extra = " or not a number" if not_numbers else ""
                out.append(failing(pending[(name, bound)], bad, extra))
            else:
                seen = get(key + bound + "_seen")
                if seen is None:
                    out.append(result(name, bound, True, "no non-null values to check"))
                else:
                    word = "smallest" if bound == "min" else "largest"
                    sign = "≥" if bound == "min" else "≤"
                    out.append(
                        result(
                            name, bound, True, f"{word} {_num(seen)} {sign} {bound} {_num(limit)}"
                        )
                    )
        if rules.allowed is not None:
            bad = int(get(key + "allowed"))
            if bad:
                out.append(failing(pending[(name, "allowed")], bad))
            else:
                out.append(
                    result(
                        name, "allowed", True, f"all values among the {len(rules.allowed)} allowed"
                    )
                )
        if rules.regex is not None:
            if (name, "regex") in early:
                out.append(early[(name, "regex")])
            else:
                bad = int(get(key + "regex"))
                if bad:
                    out.append(failing(pending[(name, "regex")], bad))
                else:
                    out.append(result(name, "regex", True, f"all values match {rules.regex!r}"))
        if rules.unique:
            out.append(
                _unique(
                    con,
                    source,
                    spec,
                    name,
                    [col.value],
                    get(key + "distinct"),
                    get(key + "nonnull"),
                    total,
                )
            )

    for index, columns_of_key in enumerate(spec.unique):
        label = ", ".join(columns_of_key)
        absent = [c for c in columns_of_key if c not in set(source.names)]
        if not columns_of_key:
            continue
        if absent:
            out.append(result(label, "unique", False, "key column not found: " + ", ".join(absent)))
            continue
        exprs = [_column(source, c, spec.column(c) or ColumnSpec()).value for c in columns_of_key]
        out.append(
            _unique(
                con,
                source,
                spec,
                label,
                exprs,
                get(f"key{index}:distinct"),
                get(f"key{index}:nonnull"),
                total,
            )
        )
    return tuple(out)


def _unique(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    spec: DatasetSpec,
    label: str,
    exprs: Sequence[str],
    distinct: Any,
    nonnull: Any,
    total: int,
) -> CheckResult:
    distinct, nonnull = int(distinct), int(nonnull)
    what = "value" if len(exprs) == 1 else "key"
    if distinct == nonnull:
        return CheckResult(
            spec.path, label, "unique", "pass", f"all {nonnull} non-null {what}s unique"
        )
    rows, groups, examples = _duplicates(con, source, exprs)
    if not rows:  # the examples query failed; report what the pass counted
        extra = nonnull - distinct
        return CheckResult(
            spec.path,
            label,
            "unique",
            "fail",
            f"{extra} of {_rows(total)} repeat an earlier {what}",
            extra,
        )
    plural = "s" if groups != 1 else ""
    shown = ", ".join(examples)
    return CheckResult(
        spec.path,
        label,
        "unique",
        "fail",
        f"{rows} of {_rows(total)} share {groups} duplicated {what}{plural}: {shown}",
        rows,
        examples,
    )
