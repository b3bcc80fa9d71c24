"""Metrics and params files as mlci holds them: flattened values per file, and errors.

Both readers build DVC's ``show`` answer shape (``{rev: {"data": {file: {"data": ...}
| {"error": exc}}}}``) and hand it to :func:`snapshot_of`: DVC's own
(:mod:`mlci.dvc.repo`) and the one that reads git objects without DVC
(:mod:`mlci.dvc.direct`), so both flatten, bound and name errors alike.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
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
MAX_DEPTH = 200  # lists and mappings in a list (str() and its text recurse per level)


class TooLarge(Exception):
    """A file that expands beyond ``MAX_VALUES`` values."""


def _flatten(data: Any, prefix: str = "", budget: list[int] | None = None) -> dict[str, Value]:
    """DVC's dot-flattening: nested keys joined with '.', lists kept as their str().

    Bounded: at most ``MAX_VALUES`` values are walked, a key of n characters counting
    as n/100 of them (raises :class:`TooLarge`), nesting costs no recursion, and a
    list's text is cut at ``_MAX_LIST_TEXT``. A mapping's paths are not built when
    what they will cost (each at least its parent's path) is already over the budget:
    a 1 MB key above 1,000 short ones would be 1,000 paths of 1 MB each, a gigabyte
    built before the first of them was counted.
    """
    budget = [MAX_VALUES] if budget is None else budget
    flat: dict[str, Value] = {}
    pending: list[tuple[str, Any]] = [(prefix, data)]
    left = budget[0]  # spent in a local, checked per mapping (a hot loop at 100,000 keys)
    while pending:
        path, value = pending.pop()
        # A long key costs in proportion: a recursive or deep document cannot make each
        # of a million keys a megabyte of text.
        cost = 1 + len(path) // 100
        left -= cost
        if isinstance(value, dict):
            # Each child will cost at least ``cost``: refused now if it cannot be paid.
            if left - len(value) * cost < 0:
                left = -1
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
    """str(values), walked within ``budget`` first and cut at ``_MAX_LIST_TEXT``.

    The text is built piece by piece and stops at the cut: a list of 1,000 aliases of
    one 1 MB string is a few lines of YAML, and its whole str() a gigabyte."""
    pending: list[tuple[Any, int]] = [(value, 1) for value in values]
    spend(budget, len(values))
    seen = len(values)
    short = True  # whether str(values) is short: few values, each of them short
    while pending:
        value, depth = pending.pop()
        if isinstance(value, (list, dict)):
            if depth >= MAX_DEPTH:
                # str() recurses: a list 1,500 deep (aliases of aliases, one short
                # line each) is a RecursionError.
                raise TooLarge(f"nested deeper than {MAX_DEPTH} levels")
            inner = list(value.values()) if isinstance(value, dict) else value
            spend(budget, len(inner))
            pending.extend((item, depth + 1) for item in inner)
            seen += len(inner)
            if isinstance(value, dict):
                seen += len(value)
                short = short and all(map(_is_short, value))
        elif short:
            short = _is_short(value)
    if short and seen <= _MAX_LIST_TEXT:
        text = str(values)
    else:
        pieces: list[str] = []
        length = 0
        for piece in _repr_pieces(values):
            pieces.append(piece[: _MAX_LIST_TEXT + 1 - length])
            length += len(pieces[-1])
            if length > _MAX_LIST_TEXT:
                break
        text = "".join(pieces)
    return text if len(text) <= _MAX_LIST_TEXT else text[: _MAX_LIST_TEXT - 1] + "…"


def _is_short(value: Any) -> bool:
    """Whether ``repr(value)`` is a few hundred characters at most."""
    return (
        value is None
        or isinstance(value, (bool, float))
        or (isinstance(value, int) and -(10**18) < value < 10**18)
        or (isinstance(value, str) and len(value) <= 100)
    )


def _repr_pieces(value: Any) -> Iterator[str]:
    """str(value) of a list or dict as consecutive pieces (their join is str(value));
    a piece is the repr of one scalar, so each is as long as one value of the file.
    Recursion: depth is bounded by the walk above (the budget counts each level)."""
    if isinstance(value, list):
        yield "["
        for index, inner in enumerate(value):
            if index:
                yield ", "
            yield from _repr_pieces(inner)
        yield "]"
    elif isinstance(value, dict):
        yield "{"
        for index, (key, inner) in enumerate(value.items()):
            if index:
                yield ", "
            yield from _repr_pieces(key)
            yield ": "
            yield from _repr_pieces(inner)
        yield "}"
    else:
        yield repr(value)


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
