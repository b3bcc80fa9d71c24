"""The results of one run: plain frozen dataclasses, written to ``mlci-results.json``.

Templates read these; ``mlci publish`` reads them back from JSON.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
import math
import re
import types
import typing
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar, Union

import orjson

from mlci.errors import UsageError, clip

# 2: non-finite floats are written as "inf", "-inf" or "nan" (json.dumps would write
# Infinity/NaN, which is not JSON); a gate's check "finite" became "number".
# 3: metrics from predictions: a change's interval, p-value and support; `predictions`;
# and ``shard``, the name of the shard (`mlci ci --shard`) whose results these are.
SCHEMA_VERSION = 3
# A shard's name: it names an artifact, a matrix entry and a section of the report.
SHARD_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
SCHEMA_FILE = Path(__file__).resolve().parent / "schema" / "results.schema.json"
# A results file larger than this is refused before it is parsed.
MAX_RESULTS_BYTES = 64 * 1024 * 1024
_SHOWN_VIOLATIONS = 5
_NON_FINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}

Value = float | int | str | bool | None
Point = tuple[float, float]
Outcome = Literal["pass", "warn", "fail"]
Verdict = Literal["pass", "warn", "fail"]

_ORDER = {"pass": 0, "warn": 1, "fail": 2}


def worst(outcomes: typing.Iterable[str]) -> Verdict:
    """The most severe of pass < warn < fail (pass when there are none)."""
    found = max((_ORDER[o] for o in outcomes), default=0)
    return typing.cast(Verdict, next(k for k, v in _ORDER.items() if v == found))


def under_severity(outcome: Outcome, severity: str) -> Outcome:
    """The one severity rule: what failed counts as a warning when its rule's severity is
    ``warn`` (a gate, the test run, a dataset's checks)."""
    return "warn" if outcome == "fail" and severity == "warn" else outcome


@dataclasses.dataclass(frozen=True)
class RevInfo:
    name: str
    sha: str

    @property
    def short(self) -> str:
        return self.sha[:7] if self.sha != "workspace" else "workspace"


@dataclasses.dataclass(frozen=True)
class Change:
    """One flattened metric or param key, base against head."""

    file: str
    key: str
    base: Value
    head: Value
    change: float | None
    change_pct: float | None
    status: str  # new | removed | changed | unchanged | not compared (base unreadable)
    # Which way is better: from a rule's higher_is_better, else the name (loss, error,
    # rmse, ... are lower-is-better), else None: a change is neither better nor worse.
    better: Literal["higher", "lower"] | None = None
    # Metrics mlci computes from predictions (mlci.judge.significance): the interval of
    # the change (head - base) at the run's confidence, the p-value of "no change"
    # (McNemar's for accuracy), the level the report calls it significant at, the
    # interval of the head's own value, and the examples behind it. ``gated`` False:
    # a slice below its minimum support, shown but never judged.
    low: float | None = None
    high: float | None = None
    p_value: float | None = None
    level: float | None = None
    head_low: float | None = None
    head_high: float | None = None
    rows: int | None = None
    gated: bool = True


@dataclasses.dataclass(frozen=True)
class GateResult:
    """One threshold of one rule applied to one metric."""

    key: str
    file: str
    rule: str  # the rule as written: "accuracy: min 0.9"
    check: str  # min | max | max_drop | max_drop_pct | present | number | matched | readable
    outcome: Outcome
    reason: str
    severity: str  # fail | warn: what a broken threshold means
    source: str  # "base" or "head": whose mlci.yaml the rule came from
    line: int | None = None  # line of the rule in that mlci.yaml


@dataclasses.dataclass(frozen=True)
class LoadError:
    rev: str  # "base" | "head"
    file: str
    message: str


@dataclasses.dataclass(frozen=True)
class PipelineRun:
    pulled: bool
    reproduced: tuple[str, ...]  # stages that were out of date and re-run
    skipped: tuple[str, ...] = ()  # human notes: "pull skipped: no DVC remote"


@dataclasses.dataclass(frozen=True)
class TestFailure:
    id: str  # tests/test_model.py::test_accuracy
    kind: str  # failure | error
    message: str  # the first line of the failure message


@dataclasses.dataclass(frozen=True)
class TestRun:
    command: str
    exit_code: int
    total: int
    passed: int
    failed: int
    errors: int
    skipped: int
    seconds: float
    failures: tuple[TestFailure, ...]
    slowest: tuple[tuple[str, float], ...]
    outcome: str  # pass | warn | fail
    reason: str


@dataclasses.dataclass(frozen=True)
class Curve:
    """A linear, scatter or smooth plot of CSV/TSV/JSON/YAML data."""

    id: str  # "plots/roc.csv", or the top-level plot id in dvc.yaml
    title: str
    x_label: str
    y_label: str
    x: str  # field names in the data ("step" when DVC numbered the rows)
    y: str
    base: tuple[Point, ...] | None  # None: not present at that revision
    head: tuple[Point, ...] | None
    template: str = "linear"  # DVC's template name: linear, scatter, smooth, ...


@dataclasses.dataclass(frozen=True)
class Confusion:
    """A plot with DVC's ``confusion`` or ``confusion_normalized`` template."""

    id: str
    title: str
    x_label: str  # the rows: actual class
    y_label: str  # the columns: predicted class
    labels: tuple[str, ...]  # union of the classes at both revisions, sorted
    base: tuple[tuple[int, ...], ...] | None  # counts[actual][predicted]
    head: tuple[tuple[int, ...], ...] | None
    # DVC's confusion_normalized: shown as each actual class's share, row by row
    normalized: bool = False


@dataclasses.dataclass(frozen=True)
class ImagePlot:
    id: str
    path: str
    in_base: bool
    in_head: bool
    # The image at base / head as a data: URI, for report.html; None when it is not
    # there or too large to inline (``note`` says which).
    base_uri: str | None = None
    head_uri: str | None = None
    note: str = ""


@dataclasses.dataclass(frozen=True)
class Plots:
    curves: tuple[Curve, ...] = ()
    confusions: tuple[Confusion, ...] = ()
    images: tuple[ImagePlot, ...] = ()
    errors: tuple[str, ...] = ()  # "plots/roc.csv at base: <message>"
    undrawn: tuple[str, ...] = ()  # "importance: not drawn: categorical axis"


# --- data checks and drift (computed by mlci.checks; plain data here) -----------------

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


@dataclasses.dataclass(frozen=True)
class CheckResult:
    dataset: str
    column: str | None  # None for the dataset; "a, b" for a key of several columns
    check: CheckName
    outcome: Literal["pass", "fail"]
    reason: str  # "3 of 569 rows below min 0: -1, -4, -7"
    failed_rows: int = 0
    examples: tuple[str, ...] = ()  # up to 5 failing values (most frequent first)


@dataclasses.dataclass(frozen=True)
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


@dataclasses.dataclass(frozen=True)
class DriftResult:
    dataset: str
    columns: tuple[ColumnDrift, ...]
    drifted_share: float
    outcome: Outcome  # fail: drifted_share >= share; warn: any column warns or drifts
    reason: str
    errors: tuple[str, ...] = ()  # e.g. a column missing at head


@dataclasses.dataclass(frozen=True)
class DatasetReport:
    """Everything mlci found about one dataset declared in mlci.yaml."""

    path: str
    outcome: Outcome  # after the dataset's severity
    severity: str  # fail | warn: what a failed check means for the verdict
    checks: tuple[CheckResult, ...]
    drift: DriftResult | None
    drift_skipped: str | None  # why drift was not computed ("unchanged: same content")
    source: str  # "base" or "head": whose mlci.yaml declared it


@dataclasses.dataclass(frozen=True)
class PredictionsRun:
    """How the base's and the head's predictions were compared (their metrics are in
    ``Results.metrics``, under the file ``path``)."""

    path: str
    source: str  # "base" or "head": whose mlci.yaml declared it
    task: str | None  # binary | multiclass | regression; None when nothing was read
    rows: int  # examples compared: at both revisions, with the same label
    base_rows: int
    head_rows: int
    resamples: int
    confidence: float
    notes: tuple[str, ...] = ()
    error: str | None = None  # why there is nothing to compare


@dataclasses.dataclass(frozen=True)
class Results:
    title: str
    verdict: Verdict
    base: RevInfo
    head: RevInfo
    metrics: tuple[Change, ...]
    params: tuple[Change, ...]
    gates: tuple[GateResult, ...]
    errors: tuple[LoadError, ...]
    notes: tuple[str, ...]
    pipeline: PipelineRun | None
    fold_unchanged: bool = True
    config_file: str | None = None  # mlci.yaml relative to the repository root
    tests: TestRun | None = None
    plots: Plots | None = None
    data: tuple[DatasetReport, ...] = ()
    predictions: PredictionsRun | None = None
    shard: str | None = None  # `mlci ci --shard NAME`: whose results among several jobs'
    schema_version: int = SCHEMA_VERSION
    mlci_version: str = ""

    def outcomes(self) -> list[str]:
        """Every judgement of the run: each gate, the test run, each dataset."""
        return outcomes_of(self.gates, self.data, self.tests)

    def counts(self) -> dict[str, int]:
        tally = {"pass": 0, "warn": 0, "fail": 0}
        for outcome in self.outcomes():
            tally[outcome] += 1
        return tally

    def to_json(self) -> str:
        """Valid JSON: a non-finite float is written as "inf", "-inf" or "nan"."""
        return dump_json(to_data(self)) + "\n"

    def write(self, path: Path) -> None:
        """Write the JSON to ``path``, replacing (never following) a symlink there."""
        from mlci.safefs import write_text

        write_text(path, self.to_json())

    @classmethod
    def read(cls, path: Path) -> Results:
        """The one way to load a results file, which may come from an untrusted run:
        size-bounded, validated against the shipped JSON Schema, then checked for
        consistency (each outcome against its severity, the verdict against the
        outcomes). Anything wrong is a UsageError naming the file and where."""
        raw = _load_json(path)
        violations = _violations(raw)
        if violations:
            raise UsageError(
                f"{path} is not a valid mlci results file (schema version {SCHEMA_VERSION}): "
                + "; ".join(violations),
                hint="publish only what `mlci ci` of this mlci version wrote",
            )
        try:
            results = _build(cls, raw)
        except (TypeError, ValueError, KeyError) as exc:  # the schema should have caught it
            raise UsageError(f"{path}: malformed results file: {exc}") from None
        problems = inconsistencies(results)
        if problems:
            raise UsageError(
                f"{path} contradicts itself: " + "; ".join(problems[:_SHOWN_VIOLATIONS]),
                hint="the file was changed after mlci wrote it; do not publish it",
            )
        return results


def outcomes_of(
    gates: Iterable[GateResult], data: Iterable[DatasetReport], tests: TestRun | None
) -> list[str]:
    """Every judgement of a run, in one list: the verdict is :func:`worst` of it."""
    found: list[str] = [gate.outcome for gate in gates]
    if tests is not None:
        found.append(tests.outcome)
    found.extend(dataset.outcome for dataset in data)
    return found


def verdict_of(
    gates: Iterable[GateResult], data: Iterable[DatasetReport], tests: TestRun | None
) -> Verdict:
    """The one rule for a verdict: the worst outcome of every gate, test run and dataset."""
    return worst(outcomes_of(gates, data, tests))


def inconsistencies(results: Results) -> list[str]:
    """What no run of mlci writes: a gate failing beyond its severity, failed tests or
    checks that passed, a confusion matrix that is not labels x labels, a verdict other
    than the worst outcome. ``mlci publish`` refuses such a file."""
    found: list[str] = []
    for i, gate in enumerate(results.gates):
        if gate.outcome == "fail" and gate.severity != "fail":
            found.append(f"$.gates[{i}]: outcome fail for a rule of severity {gate.severity}")
    tests = results.tests
    if tests is not None and tests.outcome == "pass" and (tests.failed or tests.errors):
        found.append("$.tests: outcome pass with failed tests")
    for i, dataset in enumerate(results.data):
        failed = any(check.outcome == "fail" for check in dataset.checks)
        drift = dataset.drift.outcome if dataset.drift else "pass"
        expected = under_severity(worst(["fail" if failed else "pass", drift]), dataset.severity)
        if dataset.outcome != expected:
            found.append(f"$.data[{i}]: outcome {dataset.outcome}, its checks say {expected}")
    for i, conf in enumerate(results.plots.confusions if results.plots else ()):
        size = len(conf.labels)
        for rev, matrix in (("base", conf.base), ("head", conf.head)):
            if matrix is not None and (
                len(matrix) != size or any(len(row) != size for row in matrix)
            ):
                found.append(f"$.plots.confusions[{i}].{rev}: not {size} x {size} like its labels")
    verdict = verdict_of(results.gates, results.data, results.tests)
    if results.verdict != verdict:
        found.append(f"$.verdict: {results.verdict}, but its outcomes make it {verdict}")
    return found


def _load_json(path: Path) -> Any:
    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    if path.is_symlink():  # an artifact may carry links; a results file is a plain file
        raise UsageError(
            f"results file {path} is a symbolic link; refused",
            hint="give the results file itself, as the check wrote it",
        )
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_RESULTS_BYTES + 1)
    except FileNotFoundError:
        raise UsageError(f"results file not found: {path}", hint="run `mlci check` first") from None
    except OSError as exc:
        raise UsageError(f"cannot read results file {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_RESULTS_BYTES:
        raise UsageError(
            f"results file {path} is larger than {MAX_RESULTS_BYTES:,} bytes; refused unread"
        )
    try:  # three times faster; strict JSON, as below
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass  # json says why (and reads what orjson does not: integers past 64 bits)
    try:
        return json.loads(data.decode("utf-8"), parse_constant=refuse)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise UsageError(f"cannot read results file {path}: {str(exc)[:200]}") from None


@functools.lru_cache(maxsize=1)
def _fast_validator() -> Any:
    """jsonschema-rs: says whether a file is valid ~500 times faster than jsonschema
    (1 ms against 0.5 s for 1,000 metrics; `mlci merge` reads one file per shard)."""
    import jsonschema_rs

    return jsonschema_rs.validator_for(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema  # only `mlci publish` needs it: keeps the other commands' start fast

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _violations(raw: Any) -> list[str]:
    """The first few places where ``raw`` breaks the schema, as ``$.path: message``."""
    if not isinstance(raw, dict) or raw.get("schema_version") != SCHEMA_VERSION:
        return [f"$.schema_version: expected {SCHEMA_VERSION}; re-create it with this mlci"]
    if _fast_validator().is_valid(raw):
        return []
    # Invalid: jsonschema says where, in the words the error messages have always used.
    from jsonschema.exceptions import best_match

    try:
        errors = list(itertools.islice(_validator().iter_errors(raw), _SHOWN_VIOLATIONS))
        # "null or X" fails as a whole; name the deepest place X failed instead.
        errors = [best_match([error]) or error for error in errors]
    except RecursionError:
        return ["$: nested too deeply"]
    if not errors:
        # The two validators disagree (Python's `$` also matches before a final newline,
        # the fast one's does not): the stricter one decides.
        return ["$: does not match the results schema (a value with a trailing newline?)"]
    return [f"{error.json_path}: {clip(error.message)}" for error in errors]


_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}


def _field_names(kind: type) -> tuple[str, ...] | None:
    """A dataclass's field names, looked up once per class; None for other types."""
    if kind not in _FIELD_NAMES:
        _FIELD_NAMES[kind] = (
            tuple(field.name for field in dataclasses.fields(kind))
            if dataclasses.is_dataclass(kind)
            else None
        )
    return _FIELD_NAMES[kind]


def _finite_points(values: list[Any] | tuple[Any, ...]) -> bool:
    """Whether ``values`` are tuples of finite floats only (a curve's points), which need
    no conversion: checked in bulk, not value by value through :func:`to_data` (a
    1,000,000-point plot was 6,000,000 calls)."""
    if not all(type(entry) is tuple for entry in values):
        return False
    numbers = list(itertools.chain.from_iterable(values))
    return all(type(number) is float for number in numbers) and all(map(math.isfinite, numbers))


def to_data(value: Any) -> Any:
    """``dataclasses.asdict`` for the results' types, with each non-finite float
    replaced by its text ("inf", "-inf", "nan") for valid JSON, in one pass.

    asdict deep-copies every value and a second walk then replaced the floats; at
    100,000 metrics the two took longer than everything else in writing the file.
    """
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (list, tuple)):
        if value and type(value[0]) is tuple and _finite_points(value):
            return value  # a curve's points as they are: JSON writes tuples as arrays
        return [to_data(entry) for entry in value]
    if isinstance(value, dict):
        return {key: to_data(entry) for key, entry in value.items()}
    names = _field_names(kind)
    if names is None:
        return value  # a str or int subclass (Md): written as what it is
    found = {}
    for name in names:
        entry = getattr(value, name)
        entry_kind = type(entry)
        if entry_kind is str or entry_kind is int or entry_kind is bool or entry is None:
            found[name] = entry
        else:
            found[name] = to_data(entry)
    return found


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # as json writes it: a surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


_NON_ASCII = re.compile(r"[^\x00-\x7e]")  # and DEL, which json escapes too


def dump_json(payload: Any, *, allow_nan: bool = False, ascii_only: bool = False) -> str:
    """``json.dumps(payload, indent=2)``'s document, written by orjson (C) when it can.

    Python's json encoder runs in pure Python as soon as ``indent`` is set: 100,000
    metrics took seconds. orjson writes the same document (the same values, keys and
    layout; floats may be spelled differently, 0.00001 for 1e-05) in milliseconds.
    json writes it when orjson cannot or would differ: an int beyond 64 bits, a lone
    surrogate and, with ``allow_nan``, NaN or infinity (orjson would write null).
    Without ``allow_nan`` the payload must hold none: pass it through :func:`to_data`.
    ``ascii_only`` escapes text outside ASCII as json does (\\uXXXX), so a PR's
    U+2028 or bidi override never reaches a terminal or a log raw.
    """
    if not allow_nan or not _has_non_finite(payload):
        try:
            text = orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode()
        except TypeError:  # orjson.JSONEncodeError: a big int, a surrogate
            pass
        else:
            # JSON's syntax is ASCII: anything else is inside a string.
            if not ascii_only or (text.isascii() and "\x7f" not in text):
                return text  # two C scans; the regex below walks 40 MB in 0.1 s
            return _NON_ASCII.sub(_json_escape, text)
    # ASCII: a surrogate stays escaped. A dataclass (orjson writes its fields) as its fields.
    return json.dumps(payload, indent=2, allow_nan=allow_nan, default=_fields_of)


def _fields_of(value: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _has_non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return any(_has_non_finite(entry) for entry in _fields_of(value).values())
    if isinstance(value, dict):
        return any(_has_non_finite(entry) for entry in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_non_finite(entry) for entry in value)
    return False


if TYPE_CHECKING:
    from _typeshed import DataclassInstance

# Any results dataclass: what dataclasses.fields() accepts.
D = TypeVar("D", bound="DataclassInstance")


def _build(kind: type[D], raw: Any) -> D:
    """Rebuild a results dataclass from its ``asdict`` form, checking shapes as it goes."""
    if not isinstance(raw, dict):
        raise TypeError(f"{kind.__name__}: expected an object, got {type(raw).__name__}")
    plain, converted = _field_coercers(kind)
    fields = {name: raw[name] for name in plain if name in raw}
    for name, coerce in converted:
        if name in raw:
            fields[name] = coerce(raw[name], name)
    return kind(**fields)


Coercer = Callable[[Any, str], Any]


_FIELD_COERCERS: dict[type, tuple[tuple[str, ...], tuple[tuple[str, Coercer], ...]]] = {}


def _field_coercers(kind: type) -> tuple[tuple[str, ...], tuple[tuple[str, Coercer], ...]]:
    """A results dataclass's fields: those whose JSON value is used as it is, and the
    others with the function that rebuilds them; worked out once per class (a file of
    1,000 metrics rebuilds 2,000 objects: resolving type hints each time took 95% of
    reading it)."""
    found = _FIELD_COERCERS.get(kind)
    if found is None:
        hints = typing.get_type_hints(kind)
        # `kind` is one of the results dataclasses (_coercer checks is_dataclass first).
        coercers = [(f.name, _coercer(hints[f.name])) for f in dataclasses.fields(kind)]
        found = (
            tuple(name for name, coerce in coercers if coerce is _identity),
            tuple((name, coerce) for name, coerce in coercers if coerce is not _identity),
        )
        _FIELD_COERCERS[kind] = found
    return found


def _identity(raw: Any, name: str) -> Any:
    return raw


@functools.cache
def _coercer(hint: Any) -> Coercer:
    """How to rebuild a value of type ``hint`` from JSON, checking its shape."""
    origin = typing.get_origin(hint)
    if origin is Literal:
        allowed = typing.get_args(hint)

        def literal(raw: Any, name: str) -> Any:
            if raw not in allowed:
                raise ValueError(f"{name}: {raw!r} is not one of {', '.join(map(str, allowed))}")
            return raw

        return literal
    if origin in (Union, types.UnionType):
        options = [option for option in typing.get_args(hint) if option is not type(None)]
        nullable = len(options) < len(typing.get_args(hint))
        inner = _coercer(options[0]) if len(options) == 1 else _identity  # X | None; Value
        if inner is _identity:
            return _identity  # None is itself too

        def union(raw: Any, name: str) -> Any:
            return None if raw is None and nullable else inner(raw, name)

        return union
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            each = _coercer(args[0])

            def sequence(raw: Any, name: str) -> Any:
                if not isinstance(raw, list):
                    raise TypeError(f"{name}: expected a list")
                return tuple(each(entry, name) for entry in raw)

            return sequence
        items = tuple(_coercer(arg) for arg in args)

        def fixed(raw: Any, name: str) -> Any:
            if not isinstance(raw, list):
                raise TypeError(f"{name}: expected a list")
            if len(items) != len(raw):
                raise TypeError(f"{name}: expected {len(items)} items, got {len(raw)}")
            return tuple(item(entry, name) for item, entry in zip(items, raw, strict=True))

        return fixed
    if dataclasses.is_dataclass(hint):
        kind = typing.cast(type[Any], hint)  # a dataclass type, as checked
        return lambda raw, name: _build(kind, raw)
    if hint is float:
        # to_json writes inf, -inf and nan as text
        return lambda raw, name: _NON_FINITE[raw] if isinstance(raw, str) else raw
    return _identity
