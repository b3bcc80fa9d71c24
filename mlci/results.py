"""The results of one run: plain frozen dataclasses, written to ``mlci-results.json``.

Templates read these; ``mlci publish`` reads them back from JSON.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from pathlib import Path
from typing import Any, Literal, TypeVar, Union

from mlci.errors import UsageError

SCHEMA_VERSION = 1

Value = float | int | str | bool | None
Point = tuple[float, float]
Outcome = Literal["pass", "warn", "fail"]
Verdict = Literal["pass", "warn", "fail"]

_ORDER = {"pass": 0, "warn": 1, "fail": 2}


def worst(outcomes: typing.Iterable[str]) -> Verdict:
    """The most severe of pass < warn < fail (pass when there are none)."""
    found = max((_ORDER[o] for o in outcomes), default=0)
    return typing.cast(Verdict, next(k for k, v in _ORDER.items() if v == found))


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
    status: str  # new | removed | changed | unchanged


@dataclasses.dataclass(frozen=True)
class GateResult:
    """One threshold of one rule applied to one metric."""

    key: str
    file: str
    rule: str  # the rule as written: "accuracy: min 0.9"
    check: str  # min | max | max_drop | max_drop_pct | present | finite | matched | readable
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
    schema_version: int = SCHEMA_VERSION
    mlci_version: str = ""

    def outcomes(self) -> list[str]:
        """Every judgement of the run: each gate, the test run, each dataset."""
        found: list[str] = [gate.outcome for gate in self.gates]
        if self.tests is not None:
            found.append(self.tests.outcome)
        found.extend(dataset.outcome for dataset in self.data)
        return found

    def counts(self) -> dict[str, int]:
        tally = {"pass": 0, "warn": 0, "fail": 0}
        for outcome in self.outcomes():
            tally[outcome] += 1
        return tally

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=False) + "\n"

    def write(self, path: Path) -> None:
        """Write the JSON to ``path``, replacing (never following) a symlink there."""
        from mlci.safefs import write_text

        write_text(path, self.to_json())

    @classmethod
    def read(cls, path: Path) -> Results:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UsageError(
                f"results file not found: {path}", hint="run `mlci check` first"
            ) from None
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read results file {path}: {exc}") from None
        if not isinstance(raw, dict) or raw.get("schema_version") != SCHEMA_VERSION:
            raise UsageError(
                f"{path} is not an mlci results file of schema version {SCHEMA_VERSION}",
                hint="re-create it with this version of mlci",
            )
        try:
            return _build(cls, raw)
        except (TypeError, ValueError, KeyError) as exc:
            raise UsageError(f"{path}: malformed results file: {exc}") from None


T = TypeVar("T")


def _build(kind: type[T], raw: Any) -> T:
    """Rebuild a results dataclass from its ``asdict`` form, checking shapes as it goes."""
    hints = typing.get_type_hints(kind)
    if not isinstance(raw, dict):
        raise TypeError(f"{kind.__name__}: expected an object, got {type(raw).__name__}")
    fields = {}
    for field in dataclasses.fields(kind):  # type: ignore[arg-type]
        if field.name in raw:
            fields[field.name] = _coerce(hints[field.name], raw[field.name], field.name)
    return kind(**fields)


def _coerce(hint: Any, raw: Any, name: str) -> Any:
    origin = typing.get_origin(hint)
    if origin is Literal:
        if raw not in typing.get_args(hint):
            allowed = ", ".join(map(str, typing.get_args(hint)))
            raise ValueError(f"{name}: {raw!r} is not one of {allowed}")
        return raw
    if origin in (Union, types.UnionType):
        options = [option for option in typing.get_args(hint) if option is not type(None)]
        if raw is None and len(options) < len(typing.get_args(hint)):
            return None
        if len(options) == 1:  # X | None
            return _coerce(options[0], raw, name)
        return raw  # a scalar union such as Value
    if origin is tuple:
        args = typing.get_args(hint)
        if not isinstance(raw, list):
            raise TypeError(f"{name}: expected a list")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(args[0], entry, name) for entry in raw)
        if len(args) != len(raw):
            raise TypeError(f"{name}: expected {len(args)} items, got {len(raw)}")
        return tuple(_coerce(arg, entry, name) for arg, entry in zip(args, raw, strict=True))
    if dataclasses.is_dataclass(hint):
        return _build(hint, raw)  # type: ignore[arg-type]
    return raw
