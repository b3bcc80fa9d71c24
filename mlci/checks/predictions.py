"""Reading a model's predictions at base and head, joined example by example.

A predictions file (CSV, Parquet, JSONL; several files are one table, as for the
data checks) has one row per example: an id, the label, the prediction, and
optionally scores and slice columns. Both revisions' files are read by DuckDB
through :mod:`mlci.checks.io` (the same readers, the same handling of broken
files) and joined on the id, so row i of the result is the same example scored
by both models: the pairing the statistics of :mod:`mlci.judge.significance`
need.

The task is inferred unless set: labels that are text, or whole numbers of at
most :data:`MAX_CLASSES` distinct values (labels and predictions together), are
classes — two of them binary, more multiclass; anything else is regression.
Scores make it classification.

Everything here is the pull request's: a missing column, a duplicated id, an
empty cell where a label must be, or too few examples in common is a
:class:`PredictionsError` naming the file (as the caller shows it) and what to
do — never a traceback.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from mlci import safefs
from mlci.checks import files as datafiles
from mlci.checks import sources
from mlci.errors import PredictionsError
from mlci.judge.significance import Paired, Slicing
from mlci.specs import PredictionsSpec, SliceSpec, Task

MAX_CLASSES = 20  # whole-number labels with more distinct values are regression
MAX_SLICE_VALUES = 50  # a slice column with more values needs bins


@dataclass(frozen=True, eq=False)
class Joined:
    """The paired predictions, and how the two revisions' examples matched."""

    paired: Paired
    base_rows: int
    head_rows: int
    only_base: int  # examples (ids) at base only
    only_head: int
    label_changed: int  # examples whose label differs between the revisions: left out
    notes: tuple[str, ...] = field(default=())


def read_paired(
    base_files: Sequence[Path],
    head_files: Sequence[Path],
    spec: PredictionsSpec,
    *,
    base_root: Path,
    head_root: Path,
    settings: sources.EngineSettings | None = None,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> Joined:
    """Join the base's and the head's predictions on the id into :class:`Joined`.

    Paths must already have passed :mod:`mlci.safefs` (:func:`mlci.checks.paired.find_files`,
    or the base revision's files fetched by DVC into a temporary folder). ``connection``:
    a DuckDB connection from :func:`sources.connect` to read in (by default one of
    ``settings`` is opened and closed).
    """
    if not base_files:
        raise PredictionsError(f"predictions {spec.path}: no files at base", rev="base")
    if not head_files:
        raise PredictionsError(
            f"predictions {spec.path}: no files at head",
            hint="write the predictions file in a DVC stage, or fix `predictions.path`",
            rev="head",
        )
    for root, files in ((base_root, base_files), (head_root, head_files)):
        boundary = safefs.work_tree_root(root)
        for path in files:
            if not safefs.is_inside(boundary, path):
                raise PredictionsError(
                    f"predictions {spec.path}: {datafiles.display(path, root)}: {safefs.OUTSIDE}"
                )
    with contextlib.ExitStack() as stack:
        con = connection or stack.enter_context(sources.connect(settings))
        base = _open(con, base_files, spec, "base", lambda p: datafiles.display(p, base_root))
        head = _open(con, head_files, spec, "head", lambda p: datafiles.display(p, head_root))
        return _Reader(con, spec, base, head).read()


def _open(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[Path],
    spec: PredictionsSpec,
    rev: str,
    show: Callable[[Path], str],
) -> sources.Source:
    source = sources.open_source(con, files, spec.format, show)
    if source.problems:
        problem = source.problems[0]
        raise PredictionsError(
            f"predictions {spec.path} at {rev}: cannot read {show(problem.file)}: "
            f"{problem.message}",
            rev=rev,
        )
    needed = [spec.id, spec.label, spec.prediction, *spec.score_columns]
    if rev == "head":
        needed += [s.column for s in spec.slices]
    missing = [name for name in needed if name not in source.names]
    if missing:
        shown = ", ".join(source.names[:20]) + (", ..." if len(source.names) > 20 else "")
        raise PredictionsError(
            f"predictions {spec.path} at {rev}: no column {missing[0]!r} (columns: {shown})",
            hint="name the columns in mlci.yaml: predictions: {id: ..., label: ..., "
            "prediction: ...}",
            rev=rev,
        )
    return source


class _Reader:
    """The SQL of one join, run step by step so each failure has its own message."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        spec: PredictionsSpec,
        base: sources.Source,
        head: sources.Source,
    ) -> None:
        self.con = con
        self.spec = spec
        self.base = base
        self.head = head
        numeric = all(
            sources.is_numeric(src.inferred_type(col))
            for src in (base, head)
            for col in (spec.label, spec.prediction)
        )
        self.numeric = numeric or spec.task == "regression"

    def _run(self, sql: str, rev: str = "base and head") -> list[tuple[Any, ...]]:
        try:
            return self.con.execute(sql).fetchall()
        except duckdb.ParserException:
            raise
        except duckdb.Error as exc:
            raise PredictionsError(
                f"predictions {self.spec.path} at {rev}: {sources.explain(exc)}",
                rev=rev if rev in ("base", "head") else None,
            ) from None

    def _value(self, column: str) -> str:
        kind = "DOUBLE" if self.numeric else "VARCHAR"
        return f"TRY_CAST({sources.ident(column)} AS {kind})"

    def _table(self, name: str, source: sources.Source, rev: str) -> None:
        spec = self.spec
        parts = [
            f"CAST({sources.ident(spec.id)} AS VARCHAR) AS id",
            f"{self._value(spec.label)} AS label",
            f"{self._value(spec.prediction)} AS pred",
            f"{sources.ident(spec.label)} IS NOT NULL AS has_label",
            f"{sources.ident(spec.prediction)} IS NOT NULL AS has_pred",
        ]
        parts += [
            f"TRY_CAST({sources.ident(col)} AS DOUBLE) AS s{i}"
            for i, col in enumerate(spec.score_columns)
        ]
        if rev == "head":
            parts += [
                f"TRY_CAST({sources.ident(s.column)} AS DOUBLE) AS c{i}"
                if s.bins is not None
                else f"CAST({sources.ident(s.column)} AS VARCHAR) AS c{i}"
                for i, s in enumerate(spec.slices)
            ]
        self._run(
            f"CREATE OR REPLACE TEMP TABLE {name} AS "
            f"SELECT {', '.join(parts)} FROM {source.relation()}",
            rev,
        )
        self._validate(name, rev)

    def _validate(self, name: str, rev: str) -> None:
        spec = self.spec
        checks = [
            ("count_if(id IS NULL)", f"rows without an id ({spec.id!r})"),
            (
                "count_if(label IS NULL)",
                f"rows whose label ({spec.label!r}) is empty or not a number"
                if self.numeric
                else f"rows without a label ({spec.label!r})",
            ),
            (
                "count_if(pred IS NULL)",
                f"rows whose prediction ({spec.prediction!r}) is empty or not a number"
                if self.numeric
                else f"rows without a prediction ({spec.prediction!r})",
            ),
        ]
        checks += [
            (
                f"count_if(s{i} IS NULL OR NOT isfinite(s{i}) OR s{i} < 0 OR s{i} > 1)",
                f"rows whose score ({col!r}) is not a probability between 0 and 1",
            )
            for i, col in enumerate(spec.score_columns)
        ]
        sql = ", ".join(sql for sql, _ in checks)
        row = self._run(f"SELECT {sql} FROM {name}", rev)[0]
        for count, (_, what) in zip(row, checks, strict=True):
            if count:
                raise PredictionsError(
                    f"predictions {spec.path} at {rev}: {count:,} {what}",
                    hint="every row needs an id, a label and a prediction",
                    rev=rev,
                )
        dup = self._run(
            f"SELECT id, count(*) FROM {name} GROUP BY id HAVING count(*) > 1 LIMIT 1", rev
        )
        if dup:
            raise PredictionsError(
                f"predictions {spec.path} at {rev}: the id {_clip(dup[0][0])!r} is on "
                f"{dup[0][1]:,} rows; ids must be unique",
                hint=f"make {spec.id!r} identify each example once",
                rev=rev,
            )

    def read(self) -> Joined:
        self._table("mlci_base", self.base, "base")
        self._table("mlci_head", self.head, "head")
        base_rows, head_rows, both, same = self._run(
            "SELECT (SELECT count(*) FROM mlci_base), (SELECT count(*) FROM mlci_head), "
            "count(*), count_if(b.label = h.label) "
            "FROM mlci_base b JOIN mlci_head h USING (id)"
        )[0]
        share = both / max(base_rows, head_rows, 1)
        if share < self.spec.min_join or both == 0:
            raise PredictionsError(
                f"predictions {self.spec.path}: only {both:,} examples are at both base "
                f"({base_rows:,} rows) and head ({head_rows:,} rows), {share:.1%}; "
                f"at least {self.spec.min_join:.0%} must match to compare the models",
                hint="score the same examples at both revisions (the same ids), "
                "or lower `predictions.min_join`",
            )
        task = self.spec.task or self._infer_task()
        classes = () if task == "regression" else self._classes()
        if task == "binary" and len(classes) > 2:
            raise PredictionsError(
                f"predictions {self.spec.path}: task binary, but {len(classes)} classes "
                f"({', '.join(_clip(c) for c in classes[:5])}...)",
                hint="set `predictions.task: multiclass`, or leave it out to infer it",
            )
        if task != "regression" and len(classes) <= 2 and self.spec.task is None:
            task = "binary"
        paired = self._fetch(task, classes)
        notes = []
        if base_rows - both or head_rows - both:
            notes.append(
                f"{base_rows - both:,} examples only at base and {head_rows - both:,} only "
                "at head are left out of the comparison"
            )
        if both - same:
            notes.append(f"{both - same:,} examples whose label changed are left out")
        return Joined(
            paired=paired,
            base_rows=base_rows,
            head_rows=head_rows,
            only_base=base_rows - both,
            only_head=head_rows - both,
            label_changed=both - same,
            notes=tuple(notes),
        )

    def _values(self) -> str:
        return " UNION ".join(
            f"SELECT {col} AS v FROM {table}"
            for table, col in itertools.product(("mlci_base", "mlci_head"), ("label", "pred"))
        )

    def _infer_task(self) -> Task:
        if self.spec.score_columns or not self.numeric:
            return "multiclass"  # narrowed to binary by the number of classes
        distinct, whole = self._run(
            f"SELECT count(*), bool_and(v = round(v)) FROM ({self._values()})"
        )[0]
        return "multiclass" if whole and distinct <= MAX_CLASSES else "regression"

    def _classes(self) -> tuple[str, ...]:
        rows = self._run(
            f"SELECT v FROM ({self._values()}) ORDER BY v LIMIT {MAX_CLASSES * 50 + 1}"
        )
        if len(rows) > MAX_CLASSES * 50:
            raise PredictionsError(
                f"predictions {self.spec.path}: more than {MAX_CLASSES * 50:,} distinct "
                "labels and predictions; is this a regression?",
                hint="set `predictions.task: regression`",
            )
        self._run(
            "CREATE OR REPLACE TEMP TABLE mlci_classes AS "
            "SELECT v, (row_number() OVER (ORDER BY v) - 1)::BIGINT AS code "
            f"FROM ({self._values()})"
        )
        return tuple(_class_name(row[0]) for row in rows)

    def _fetch(self, task: Task, classes: tuple[str, ...]) -> Paired:
        spec = self.spec
        n_scores = len(spec.score_columns)
        if task == "regression":
            columns = ["b.label AS label", "b.pred AS base", "h.pred AS head"]
            joins = ""
        else:
            columns = ["lc.code AS label", "bc.code AS base", "hc.code AS head"]
            joins = (
                " JOIN mlci_classes lc ON lc.v = b.label"
                " JOIN mlci_classes bc ON bc.v = b.pred"
                " JOIN mlci_classes hc ON hc.v = h.pred"
            )
        columns += [f"b.s{i} AS bs{i}, h.s{i} AS hs{i}" for i in range(n_scores)]
        slice_values = [self._slice_values(i, s) for i, s in enumerate(spec.slices)]
        for i, s in enumerate(spec.slices):
            if s.bins is None:
                columns.append(f"coalesce(sv{i}.code, -1) AS c{i}")
                joins += f" LEFT JOIN mlci_slice{i} sv{i} ON sv{i}.v = h.c{i}"
            else:
                columns.append(f"coalesce(h.c{i}, 'NaN'::DOUBLE) AS c{i}")
        sql = (
            f"SELECT {', '.join(columns)} FROM mlci_base b JOIN mlci_head h "
            f"ON b.id = h.id AND b.label = h.label{joins} ORDER BY b.id"
        )
        try:
            arrays = self.con.execute(sql).fetchnumpy()
        except duckdb.Error as exc:
            raise PredictionsError(f"predictions {spec.path}: {sources.explain(exc)}") from None
        slices = tuple(
            _slicing(s, values, np.asarray(arrays[f"c{i}"]))
            for i, (s, values) in enumerate(zip(spec.slices, slice_values, strict=True))
        )
        if task == "regression":
            return Paired(
                task=task,
                labels=np.asarray(arrays["label"], dtype=np.float64),
                base=np.asarray(arrays["base"], dtype=np.float64),
                head=np.asarray(arrays["head"], dtype=np.float64),
                slices=slices,
            )
        positive = self._positive(classes) if task == "binary" else 0
        base_scores, head_scores = self._scores(task, classes, positive, arrays)
        return Paired(
            task=task,
            labels=np.asarray(arrays["label"], dtype=np.int64),
            base=np.asarray(arrays["base"], dtype=np.int64),
            head=np.asarray(arrays["head"], dtype=np.int64),
            classes=classes,
            positive=positive,
            base_scores=base_scores,
            head_scores=head_scores,
            slices=slices,
        )

    def _slice_values(self, index: int, spec: SliceSpec) -> tuple[str, ...]:
        """The values of a slice column at head, each given its code in a temp table."""
        if spec.bins is not None:
            return ()
        column = f"c{index}"
        rows = self._run(
            f"SELECT DISTINCT {column} FROM mlci_head WHERE {column} IS NOT NULL "
            f"ORDER BY 1 LIMIT {MAX_SLICE_VALUES + 1}",
            "head",
        )
        if len(rows) > MAX_SLICE_VALUES:
            raise PredictionsError(
                f"predictions {self.spec.path}: slice column {spec.column!r} has more than "
                f"{MAX_SLICE_VALUES} values",
                hint=f"bin it: slices: [{{column: {spec.column}, bins: [...]}}]",
            )
        self._run(
            f"CREATE OR REPLACE TEMP TABLE mlci_slice{index} AS SELECT v, "
            "(row_number() OVER (ORDER BY v) - 1)::BIGINT AS code FROM "
            f"(SELECT DISTINCT {column} AS v FROM mlci_head WHERE {column} IS NOT NULL)"
        )
        return tuple(str(row[0]) for row in rows)

    def _positive(self, classes: tuple[str, ...]) -> int:
        if self.spec.positive is None:
            return len(classes) - 1
        if self.spec.positive not in classes:
            raise PredictionsError(
                f"predictions {self.spec.path}: positive class {_clip(self.spec.positive)!r} "
                f"is not among the classes ({', '.join(_clip(c) for c in classes)})"
            )
        return classes.index(self.spec.positive)

    def _scores(
        self,
        task: Task,
        classes: tuple[str, ...],
        positive: int,
        arrays: Mapping[str, Any],
    ) -> tuple[np.ndarray[Any, np.dtype[np.float64]] | None, ...]:
        spec = self.spec

        def side(prefix: str, index: int) -> np.ndarray[Any, np.dtype[np.float64]]:
            return np.asarray(arrays[f"{prefix}{index}"], dtype=np.float64)

        if spec.score:
            if task != "binary":
                raise PredictionsError(
                    f"predictions {spec.path}: `score` is one probability, for a binary task; "
                    f"this task is {task}",
                    hint="give one column per class: `scores: {class: column, ...}`",
                )
            return side("bs", 0), side("hs", 0)
        if not spec.scores:
            return None, None
        by_class = {name: i for i, (name, _) in enumerate(spec.scores)}
        lacking = [c for c in classes if c not in by_class]
        if task == "binary":
            if classes[positive] not in by_class:
                raise PredictionsError(
                    f"predictions {spec.path}: `scores` has no column for the positive "
                    f"class {_clip(classes[positive])!r}"
                )
            index = by_class[classes[positive]]
            return side("bs", index), side("hs", index)
        if lacking:
            raise PredictionsError(
                f"predictions {spec.path}: `scores` has no column for class {_clip(lacking[0])!r}",
                hint="give one probability column per class",
            )
        order = [by_class[c] for c in classes]
        return (
            np.column_stack([side("bs", i) for i in order]),
            np.column_stack([side("hs", i) for i in order]),
        )


def _slicing(spec: SliceSpec, values: tuple[str, ...], column: np.ndarray[Any, Any]) -> Slicing:
    """Each row's slice: the code of its value, or its bin for a binned numeric column."""
    if spec.bins is None:
        return Slicing(spec.column, values, np.asarray(column, dtype=np.int64))
    numbers = np.asarray(column, dtype=np.float64)
    finite = np.isfinite(numbers)
    if isinstance(spec.bins, int):
        inner = np.linspace(0, 1, spec.bins + 1)[1:-1]
        found = np.quantile(numbers[finite], inner) if finite.any() else np.array([])
        edges = tuple(float(e) for e in np.unique(found))
    else:
        edges = tuple(sorted(float(e) for e in spec.bins))
    codes = np.searchsorted(np.asarray(edges, dtype=np.float64), numbers, side="right")
    return Slicing(spec.column, _bin_names(edges), np.where(finite, codes, -1).astype(np.int64))


def _bin_names(edges: tuple[float, ...]) -> tuple[str, ...]:
    if not edges:
        return ("all",)
    shown = [_class_name(e) for e in edges]
    names = [f"<{shown[0]}"]
    names += [f"[{a},{b})" for a, b in itertools.pairwise(shown)]
    names.append(f">={shown[-1]}")
    return tuple(names)


def _class_name(value: Any) -> str:
    """A class or slice value as keys and reports show it: 1.0 is "1"."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value)).lower()
    return str(value)


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
