"""Reading datasets for the data checks and drift: one DuckDB engine over the files.

Every statistic is a column aggregate that DuckDB computes while it streams over
the files, so memory stays bounded whatever the size of the data: DuckDB runs
under ``memory_limit`` (256 MB unless told otherwise) with one thread per
available core, and spills hash tables (``count(DISTINCT)``, ``GROUP BY``) to a
temporary directory that is removed afterwards. DuckDB fills its limit (plus a
little of its own) whenever a hash table is big, and ``mlci check`` holds DVC,
numpy and scipy besides (~130-200 MiB): at 512 MB the process peaked at 622 MiB on
ten million rows of Parquet (the ``count(DISTINCT)`` of a unique id), at 256 MB at
~400 MiB, with no measurable loss of time (the hash table spills a few partitions).
The limit is per connection, and `mlci check` runs the data checks, the drift and
the paired comparison in children of their own (:mod:`mlci.background`), each with
its database: up to three limits at once (benchmarks/RESULTS.md has the peaks).

Formats, from the extension unless the dataset says otherwise:

- ``.csv`` / ``.tsv`` (optionally ``.gz`` / ``.zst``): UTF-8, a header row,
  ``"`` quotes; every column is read as text and converted by the checks, so a
  stray value never stops the read. The strings pandas reads as missing
  (``""``, ``NA``, ``NaN``, ``null``, ``None``, ``n/a``, ...) are nulls; in the
  header they are names, as in pandas.
- ``.parquet`` / ``.pq``: the types stored in the file.
- ``.jsonl`` / ``.ndjson`` / ``.json``: one JSON object a line (or a JSON array),
  types inferred by DuckDB.

Several files (a directory or a glob) are one dataset, combined by column name
(``UNION BY NAME``): a column one file lacks is null in that file's rows.

A file that cannot be read is never an exception: :func:`open_source` and
:func:`query` return it as a :class:`FileProblem` naming the file, with a short
reason made from DuckDB's message.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from mlci.background import available_cores
from mlci.checks.files import FileProblem
from mlci.specs import (
    Format,
    format_of,
)

FORMATS: tuple[Format, ...] = ("csv", "tsv", "parquet", "jsonl")


# pandas' default ``na_values``: the same cells are missing here as in pandas/pandera.
CSV_NULLS = (
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
)

DEFAULT_MEMORY_LIMIT = "256MB"


@dataclass(frozen=True)
class EngineSettings:
    """How DuckDB may use the machine; the defaults suit a CI runner."""

    memory_limit: str = DEFAULT_MEMORY_LIMIT
    threads: int | None = None  # None: the cores this process may run on
    temp_directory: str | None = None  # None: a fresh temporary directory, removed after


@contextlib.contextmanager
def connect(settings: EngineSettings | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection with bounded memory and a spill directory."""
    settings = settings or EngineSettings()
    with contextlib.ExitStack() as stack:
        spill = settings.temp_directory or stack.enter_context(
            tempfile.TemporaryDirectory(prefix="mlci-duckdb-")
        )
        con = duckdb.connect(
            ":memory:",
            config={
                "memory_limit": settings.memory_limit,
                "threads": settings.threads or available_cores(),
                "temp_directory": spill,
                # Row numbers (row_number() OVER (), for the drift sample) follow file order.
                "preserve_insertion_order": True,
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
            },
        )
        stack.callback(con.close)
        with contextlib.suppress(duckdb.Error):  # DuckDB before 2.0 has no such optimizer
            # DuckDB 2.0 pushes a cast into the CSV reader when a column is read only
            # through it, and the reader then fails on a value TRY_CAST would make NULL
            # ("Could not convert string 'maybe' to 'BOOLEAN'"): every query here reads
            # text and converts it with TRY_CAST, so that a stray value is counted, not
            # fatal.
            con.execute("SET disabled_optimizers = 'type_pushdown'")
        yield con


@contextlib.contextmanager
def nan_aware(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Queries that test for NaN (``isnan``, ``nullif(x, NaN)``) get it right.

    DuckDB takes a Parquet column's min and max (which Parquet writers leave NaN out
    of) to mean the column holds no NaN, and folds ``isnan(x)`` to false and
    ``nullif(x, NaN)`` to ``x`` (its statistics_propagation optimizer). The drift's
    ``isfinite`` is not folded, and the optimizer saves it ~15% on Parquet: it is
    turned off only here, and back on after.
    """
    row = con.execute("SELECT current_setting('disabled_optimizers')").fetchone()
    before = str(row[0]) if row else ""
    off = ", ".join(dict.fromkeys([*filter(None, before.split(",")), "statistics_propagation"]))
    con.execute(f"SET disabled_optimizers = {literal(off)}")
    try:
        yield
    finally:
        con.execute(f"SET disabled_optimizers = {literal(before)}")


# --- SQL text -----------------------------------------------------------------------


def count_if(predicate: str) -> str:
    """Rows where ``predicate`` holds (0, not NULL, when it never does)."""
    return f"coalesce(count_if({predicate}), 0)"


def ident(name: str) -> str:
    """A column name as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str | int | float | bool) -> str:
    """A Python scalar as a SQL literal (strings quoted, floats exact)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "'NaN'::DOUBLE"
        if value in (float("inf"), float("-inf")):
            return "'inf'::DOUBLE" if value > 0 else "'-inf'::DOUBLE"
        return f"{value!r}::DOUBLE"
    return "'" + value.replace("'", "''") + "'"


def _string_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(literal(v) for v in values) + "]"


_GLOB = re.compile(r"([*?\[])")
_ESCAPED = re.compile(r"\[([*?\[])\]")


def _literal_path(path: Path) -> str:
    """``path`` as DuckDB's readers take it: they read a path with ``*``, ``?`` or ``[``
    as a glob (``a[1].csv`` would read ``a1.csv``; ``a*.csv`` every a-file), so each of
    these is escaped as the class of that one character (``[[]``, ``[*]``, ``[?]``)."""
    return _GLOB.sub(r"[\1]", str(path))


def reader(
    files: Sequence[Path],
    fmt: Format,
    *,
    text: bool = True,
    names: Sequence[str] = (),
    nulls: bool = True,
) -> str:
    """The DuckDB table function reading ``files`` of one format as one table.

    ``text=False`` lets DuckDB infer CSV column types (used to describe a CSV).
    ``names``: the CSV columns' names, in place of DuckDB's reading of the header.
    ``nulls=False``: no cell of a CSV is a missing value but an empty one (used to
    read the names of its header).
    """
    paths = _string_list([_literal_path(p) for p in files])
    if fmt in ("csv", "tsv"):
        delim = "\\t" if fmt == "tsv" else ","
        options = [
            "header = true",
            f"delim = E'{delim}'",
            "quote = '\"'",
            "escape = '\"'",
            "union_by_name = true",
            "encoding = 'utf-8'",
        ]
        if nulls:
            options.append(f"nullstr = {_string_list(CSV_NULLS)}")
        if text:
            options.append("all_varchar = true")
        if names:
            options.append(f"names = {_string_list(names)}")
        return f"read_csv({paths}, {', '.join(options)})"
    if fmt == "parquet":
        return f"read_parquet({paths}, union_by_name = true)"
    return f"read_json({paths}, format = 'auto', union_by_name = true)"


# --- errors ---------------------------------------------------------------------------


_PREFIX = re.compile(r"^[A-Za-z ]*(Error|Exception): ")


def explain(exc: BaseException) -> str:
    """A one-line reason from a DuckDB error, without its advice on DuckDB options."""
    message = str(exc).strip()
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    first = _PREFIX.sub("", lines[0]) if lines else type(exc).__name__
    line_no = re.search(r"CSV Error on Line: (\d+)", message)
    at = f" (line {line_no.group(1)})" if line_no else ""
    if "not utf-8 encoded" in message.lower() or "invalid unicode" in message.lower():
        return f"not valid UTF-8{at}; save it as UTF-8"
    columns = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message)
    if columns:
        return (
            f"malformed or truncated{at}: {columns.group(2)} fields where the header "
            f"has {columns.group(1)}"
        )
    if "unterminated quote" in message.lower():
        return f"malformed or truncated{at}: a quoted value is never closed"
    if "It was not possible to automatically detect the CSV parsing dialect" in message:
        return "not a readable CSV file (malformed or truncated)"
    if "No magic bytes found" in message or "too small to be a Parquet file" in message:
        return "not a Parquet file, or truncated"
    if "Malformed JSON" in message:
        # DuckDB's line number here is one past the line at fault: leave it out.
        detail = re.search(r"line \d+: (.*?)\.?\s*$", lines[0])
        return "malformed JSON" + (f": {detail.group(1)}" if detail else "")
    for path_like in re.findall(r"\"(/[^\"]+)\"|'(/[^']+)'", first):
        for part in path_like:
            if part:
                first = first.replace(part, Path(_ESCAPED.sub(r"\1", part)).name)
    return first.rstrip(".")


# --- sources ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """The readable files of one dataset, the SQL that reads them, and their columns."""

    files: tuple[Path, ...]
    formats: tuple[tuple[Format, tuple[Path, ...]], ...]
    # Column name -> DuckDB type as the data is read (CSV: VARCHAR) ...
    columns: tuple[tuple[str, str], ...]
    # ... and as it is stored or inferred (CSV: the types DuckDB's sniffer infers).
    inferred: tuple[tuple[str, str], ...]
    # Columns each file lacks (only when some other file of the dataset has them).
    missing: tuple[tuple[str, tuple[Path, ...]], ...] = ()
    problems: tuple[FileProblem, ...] = field(default=())
    # Columns to add as nulls when these files lack them (a part of a bigger source).
    pad: tuple[tuple[str, str], ...] = ()
    # CSV files whose header DuckDB reads wrong, with their columns' names: each is
    # read on its own, with these names (see :func:`_header_names`).
    headers: tuple[tuple[Path, tuple[str, ...]], ...] = ()

    def readers(self) -> list[tuple[Format, tuple[Path, ...], str]]:
        """Each reader of the source: its format, its files and its SQL, in the files'
        order (the combined columns come in the order the first file has them)."""
        named = dict(self.headers)
        found: list[tuple[Format, tuple[Path, ...], str]] = []
        for fmt, files in self.formats:
            for alone, run in itertools.groupby(files, key=lambda path: path in named):
                paths = tuple(run)
                if alone:
                    found += [(fmt, (p,), reader([p], fmt, names=named[p])) for p in paths]
                else:
                    found.append((fmt, paths, reader(paths, fmt)))
        return found

    @property
    def sql(self) -> str:
        parts = [f"SELECT * FROM {sql}" for _fmt, _files, sql in self.readers()]
        if self.pad:
            nulls = ", ".join(f"NULL::{kind} AS {ident(name)}" for name, kind in self.pad)
            parts.insert(0, f"SELECT {nulls} WHERE false")
        return " UNION ALL BY NAME ".join(parts)

    def relation(self) -> str:
        return f"({self.sql}) AS src"

    @property
    def row_column(self) -> str:
        """The name :meth:`relation_with_ids` gives the row numbers: ``_row``, or
        ``_row_1``, ``_row_2``... when the data has a column of that name."""
        taken = {name.lower() for name in self.names}  # DuckDB's names ignore case
        name, suffix = "_row", 0
        while name in taken:
            suffix += 1
            name = f"_row_{suffix}"
        return name

    def relation_with_ids(self) -> str:
        """The rows with their number (in :attr:`row_column`), unique across the source
        and stable between runs (whatever the thread count).

        Parquet files number their rows themselves (``file_row_number``, with the file's
        place in the list, ``file_index``), which DuckDB reads in parallel. Other readers
        have no row number (DuckDB 2.0's CSV reader refuses ``file_row_number``):
        ``row_number() OVER ()`` counts the rows in file order, on one thread. So does a
        Parquet source with a column of either name. (Counting several CSV files in
        readers side by side was measured and not kept: see benchmarks/RESULTS.md.)
        """
        readers = self.readers()
        groups = len(readers)
        column = ident(self.row_column)
        own = not {"file_row_number", "file_index"} & {name.lower() for name in self.names}
        parts = []
        for group, (fmt, files, sql) in enumerate(readers):
            if fmt == "parquet" and own:
                numbered = sql.removesuffix(")") + ", file_row_number = true)"
                row = f"file_row_number * {len(files)} + file_index"
                parts.append(
                    f"SELECT * EXCLUDE (file_row_number), ({row}) * {groups} + {group} "
                    f"AS {column} FROM {numbered}"
                )
                continue
            # DuckDB documents row_number() OVER () as keeping the rows' order.
            parts.append(
                f"SELECT *, row_number() OVER () * {groups} + {group} AS {column} FROM {sql}"
            )
        if self.pad:
            nulls = ", ".join(f"NULL::{kind} AS {ident(name)}" for name, kind in self.pad)
            parts.insert(0, f"SELECT {nulls}, NULL::BIGINT AS {column} WHERE false")
        return "(" + " UNION ALL BY NAME ".join(parts) + ") AS src"

    def estimate_rows(self, con: duckdb.DuckDBPyConnection) -> int:
        """Rows in the source: exact for Parquet (from its metadata), else from file sizes.

        Text files are estimated from the length of their first lines (rough for
        compressed files). It only sizes the drift sample's hash bound: an estimate
        far too high costs a second pass, never a wrong sample.
        """
        total = 0
        for fmt, files in self.formats:
            if fmt == "parquet":
                row = con.execute(f"SELECT count(*) FROM {reader(files, fmt)}").fetchone()
                total += int(row[0]) if row else 0
                continue
            for path in files:
                try:
                    with path.open("rb") as handle:
                        head = handle.read(1 << 20)
                    size = path.stat().st_size
                except OSError:
                    continue
                lines = max(1, head.count(b"\n"))
                total += max(1, round(size * lines / max(1, len(head))))
        return total

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    def type_of(self, column: str) -> str:
        return dict(self.columns)[column]

    def inferred_type(self, column: str) -> str:
        return dict(self.inferred)[column]

    def only(self, path: Path) -> Source:
        """This source restricted to one of its files."""
        return Source(
            files=(path,),
            formats=tuple((fmt, (path,)) for fmt, files in self.formats if path in files),
            columns=self.columns,
            inferred=self.inferred,
            pad=self.columns,
            headers=tuple((file, names) for file, names in self.headers if file == path),
        )

    def without(self, bad: Sequence[FileProblem]) -> Source:
        broken = {problem.file for problem in bad}
        formats = tuple(
            (fmt, kept)
            for fmt, files in self.formats
            if (kept := tuple(f for f in files if f not in broken))
        )
        return Source(
            files=tuple(f for f in self.files if f not in broken),
            formats=formats,
            columns=self.columns,
            inferred=self.inferred,
            missing=self.missing,
            problems=(*self.problems, *bad),
            pad=self.columns if bad else self.pad,
            headers=tuple((file, names) for file, names in self.headers if file not in broken),
        )


def _describe(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[str, str]]:
    rows = con.execute(f"DESCRIBE {sql}").fetchall()
    return [(str(row[0]), str(row[1])) for row in rows]


_GENERATED = re.compile(r"column\d+")


def _header_names(
    con: duckdb.DuckDBPyConnection, path: Path, fmt: Format, names: Sequence[str]
) -> tuple[str, ...] | None:
    """The names of a CSV file's columns when DuckDB's reading of its header is wrong
    (else None).

    DuckDB takes a header cell spelled like a missing value (``NA``, ``null``,
    ``None``: :data:`CSV_NULLS`) for an empty one and names the column ``column1``;
    pandas, and the file's author, call it ``NA``. Read without missing values (only
    when a name looks made up), the header gives its names.
    """
    if fmt not in ("csv", "tsv") or not any(_GENERATED.fullmatch(name) for name in names):
        return None
    try:
        header = _describe(con, f"SELECT * FROM {reader([path], fmt, nulls=False)}")
    except duckdb.Error:  # the file is read as DuckDB reads it; its problem is found then
        return None
    found = tuple(name for name, _kind in header)
    return found if len(found) == len(names) and list(found) != list(names) else None


def _merge_types(types: Sequence[str]) -> str:
    unique = list(dict.fromkeys(types))
    if len(unique) == 1:
        return unique[0]
    if all(is_numeric(t) for t in unique):
        return "BIGINT" if all(is_integer(t) for t in unique) else "DOUBLE"
    return "VARCHAR"


def open_source(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[Path],
    fmt: Format | None,
    show: Callable[[Path], str],
) -> Source:
    """Probe each file (exists, non-empty, header or schema readable) and describe them.

    Files that fail are listed in ``problems``; the rest make the source. Reading
    every row happens later, in :func:`query`.
    """
    problems: list[FileProblem] = []
    per_file: list[tuple[Path, Format, list[tuple[str, str]]]] = []
    headers: list[tuple[Path, tuple[str, ...]]] = []
    for path in files:
        file_format = fmt or format_of(path)
        if file_format is None:
            problems.append(
                FileProblem(
                    path,
                    "cannot tell the format from the extension; set format: " + " | ".join(FORMATS),
                )
            )
            continue
        try:
            size = path.stat().st_size
        except OSError as exc:
            problems.append(FileProblem(path, exc.strerror or str(exc)))
            continue
        if size == 0:
            problems.append(FileProblem(path, "the file is empty"))
            continue
        try:
            described = _describe(con, f"SELECT * FROM {reader([path], file_format, text=False)}")
        except duckdb.Error as exc:
            problems.append(FileProblem(path, explain(exc)))
            continue
        header = _header_names(con, path, file_format, [name for name, _ in described])
        if header is not None:
            headers.append((path, header))
            described = [(name, kind) for name, (_, kind) in zip(header, described, strict=True)]
        per_file.append((path, file_format, described))

    # DuckDB matches column names ignoring case (one file's "ID" and another's "id" are
    # one column; a file's own names never differ only by case, DuckDB renames one "ID_1").
    # Each column here is keyed so, spelled as in the first file that has it.
    names: dict[str, list[str]] = {}
    spelled: dict[str, str] = {}
    for _path, _fmt, described in per_file:
        for name, kind in described:
            spelled.setdefault(name.lower(), name)
            names.setdefault(name.lower(), []).append(kind)
    has = [(path, {name.lower() for name, _kind in described}) for path, _f, described in per_file]
    lacking = {
        key: tuple(path for path, keys in has if key not in keys)
        for key in names
        if len(names[key]) < len(per_file)
    }
    groups: dict[Format, list[Path]] = {}
    for path, file_format, _described in per_file:
        groups.setdefault(file_format, []).append(path)
    formats = tuple((f, tuple(paths)) for f, paths in groups.items())
    merged = {key: _merge_types(kinds) for key, kinds in names.items()}
    inferred = tuple((spelled[key], kind) for key, kind in merged.items())
    missing = tuple((spelled[key], files) for key, files in lacking.items())
    source = Source(
        files=tuple(p for p, _f, _d in per_file),
        formats=formats,
        columns=(),
        inferred=inferred,
        missing=missing,
        problems=tuple(problems),
        headers=tuple(headers),
    )
    if not per_file:
        return source
    try:
        read_types = _describe(con, source.sql)
    except duckdb.Error as exc:  # files that read alone but not together
        bad = [FileProblem(p, explain(exc)) for p in source.files]
        return source.without(bad)
    # The combined read spells each column as its first file does, which the order of
    # the formats' readers may change: the names below are the read's.
    read_name = {name.lower(): name for name, _kind in read_types}
    return Source(
        files=source.files,
        formats=formats,
        columns=tuple(read_types),
        inferred=tuple((name, merged.get(name.lower(), kind)) for name, kind in read_types),
        missing=tuple((read_name.get(key, spelled[key]), files) for key, files in lacking.items()),
        problems=tuple(problems),
        headers=tuple(headers),
    )


def query(
    con: duckdb.DuckDBPyConnection, source: Source, build: Callable[[Source], str]
) -> tuple[Source, list[tuple[Any, ...]]]:
    """Run ``build(source)``; when a file breaks it, find which and run without it.

    Returns the source actually used (its ``problems`` name the files dropped) and
    the rows. With every file broken the rows are empty.
    """
    current = source
    while current.files:
        try:
            return current, con.execute(build(current)).fetchall()
        except duckdb.ParserException:
            raise  # mlci wrote bad SQL: a bug to report, not a bad file
        except duckdb.Error as exc:
            if len(current.files) == 1:
                return current.without([FileProblem(current.files[0], explain(exc))]), []
            bad = []
            for path in current.files:
                try:
                    con.execute(build(current.only(path))).fetchall()
                except duckdb.Error as single_exc:
                    bad.append(FileProblem(path, explain(single_exc)))
            if not bad:  # only the combination fails: blame them all
                bad = [FileProblem(path, explain(exc)) for path in current.files]
            current = current.without(bad)
    return current, []


# --- types --------------------------------------------------------------------------------

_INTEGER = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
}
_FLOAT = {"FLOAT", "DOUBLE", "REAL"}


def is_integer(kind: str) -> bool:
    return kind in _INTEGER


def is_float(kind: str) -> bool:
    return kind in _FLOAT or kind.startswith("DECIMAL")


def is_numeric(kind: str) -> bool:
    return is_integer(kind) or is_float(kind)


def is_datetime(kind: str) -> bool:
    return kind == "DATE" or kind.startswith("TIMESTAMP")


def is_nan_capable(kind: str) -> bool:
    return kind in _FLOAT
