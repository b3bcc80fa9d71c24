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

from mlci.checks.tests import TestFailure, TestRun
from mlci.errors import UsageError

__all__ = ["TestFailure", "TestRun"]  # part of the results schema

SCHEMA_VERSION = 1

Value = float | int | str | bool | None
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
    schema_version: int = SCHEMA_VERSION
    mlci_version: str = ""

    def outcomes(self) -> list[str]:
        """Every judgement of the run: each gate, the test run."""
        found: list[str] = [gate.outcome for gate in self.gates]
        if self.tests is not None:
            found.append(self.tests.outcome)
        return found

    def counts(self) -> dict[str, int]:
        tally = {"pass": 0, "warn": 0, "fail": 0}
        for outcome in self.outcomes():
            tally[outcome] += 1
        return tally

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=False) + "\n"

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json(), encoding="utf-8")

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
        options = typing.get_args(hint)
        if raw is None and type(None) in options:
            return None
        for option in options:
            if dataclasses.is_dataclass(option):
                return _build(option, raw)  # type: ignore[arg-type]
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
