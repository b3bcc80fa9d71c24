"""Metrics and params files as mlci holds them: flattened values per file, and errors.

Both readers build DVC's ``show`` answer shape (``{rev: {"data": {file: {"data": ...}
| {"error": exc}}}}``) and hand it to :func:`snapshot_of`: DVC's own
(:mod:`mlci.dvc.repo`) and the one that reads git objects without DVC
(:mod:`mlci.dvc.direct`), so both flatten, bound and name errors alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlci.dvc.messages import error_text
from mlci.results import LoadError, Value


@dataclass(frozen=True)
class Snapshot:
    """Flattened values per file at one revision, and the files that failed to load."""

    values: Mapping[str, Mapping[str, Value]]
    errors: tuple[LoadError, ...] = ()


# Values walked per metrics/params file: enough for 100,000 metrics many times over, and
# a YAML alias bomb (a few lines that expand to billions of values) stops here.
MAX_VALUES = 1_000_000
_MAX_LIST_TEXT = 1000  # characters of a list kept as its str(), as DVC keeps it


class TooLarge(Exception):
    """A file that expands beyond ``MAX_VALUES`` values."""


def _flatten(data: Any, prefix: str = "", budget: list[int] | None = None) -> dict[str, Value]:
    """DVC's dot-flattening: nested keys joined with '.', lists kept as their str().

    Bounded: at most ``MAX_VALUES`` values are walked, a key of n characters counting
    as n/100 of them (raises :class:`TooLarge`), nesting costs no recursion, and a
    list's text is cut at ``_MAX_LIST_TEXT``.
    """
    budget = [MAX_VALUES] if budget is None else budget
    flat: dict[str, Value] = {}
    pending: list[tuple[str, Any]] = [(prefix, data)]
    left = budget[0]  # spent in a local, checked per mapping (a hot loop at 100,000 keys)
    while pending:
        path, value = pending.pop()
        # A long key costs in proportion: a recursive or deep document cannot make each
        # of a million keys a megabyte of text.
        left -= 1 + len(path) // 100
        if isinstance(value, dict):
            if left < 0:
                break
            children = [(f"{path}.{key}" if path else str(key), v) for key, v in value.items()]
            pending.extend(reversed(children))  # in the file's order
        elif isinstance(value, list):
            budget[0] = left
            flat[path] = _list_text(value, budget)
            left = budget[0]
        else:
            flat[path] = value
    budget[0] = left
    if left < 0:
        raise TooLarge(f"more than {MAX_VALUES:,} values (a YAML alias bomb?)")
    return flat


def spend(budget: list[int], count: int) -> None:
    budget[0] -= count
    if budget[0] < 0:
        raise TooLarge(f"more than {MAX_VALUES:,} values (a YAML alias bomb?)")


def _list_text(values: list[Any], budget: list[int]) -> str:
    """str(values), walked within ``budget`` first and cut at ``_MAX_LIST_TEXT``."""
    pending: list[Any] = list(values)
    spend(budget, len(values))
    while pending:
        value = pending.pop()
        if isinstance(value, (list, dict)):
            inner = list(value.values()) if isinstance(value, dict) else value
            spend(budget, len(inner))
            pending.extend(inner)
    text = str(values)
    return text if len(text) <= _MAX_LIST_TEXT else text[: _MAX_LIST_TEXT - 1] + "…"


def snapshot_of(raw: Mapping[str, Any], label: str) -> Snapshot:
    """DVC's ``show`` answer for the current revision, flattened, errors named."""
    result: Mapping[str, Any] = next(iter(raw.values()), {})
    if "error" in result:
        error = LoadError(rev=label, file="*", message=error_text(result["error"]))
        return Snapshot(values={}, errors=(error,))
    values: dict[str, Mapping[str, Value]] = {}
    errors: list[LoadError] = []
    for file, file_result in result.get("data", {}).items():
        if "error" in file_result:
            errors.append(LoadError(label, file, error_text(file_result["error"])))
        else:
            try:
                values[file] = _flatten(file_result.get("data") or {})
            except TooLarge as exc:
                errors.append(LoadError(label, file, f"refused: {exc}"))
    return Snapshot(values=values, errors=tuple(errors))
