"""Diff flattened metrics/params between base and head: change, relative change, status."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Collection, Mapping
from typing import Literal

from mlci.errors import clip
from mlci.numbers import finite_number, is_number
from mlci.results import Change, Value


def not_a_number(value: object, rev: str) -> str:
    """Why ``value`` cannot be gated: "head value '0.81' is a string, not a number"."""
    if value is None:
        return f"{rev} value is null, not a number"
    if isinstance(value, float):
        return f"{rev} value {value} is not finite, not a usable number"
    if is_number(value):  # an int that does not fit a float
        return f"{rev} value is an integer too large for a float, not a usable number"
    kind = {bool: "a boolean", str: "a string", list: "a list", dict: "a mapping"}.get(
        type(value), f"a {type(value).__name__}"
    )
    return f"{rev} value {shown(value)} is {kind}, not a number"


def shown(value: object, limit: int = 60) -> str:
    """``value`` quoted for a message, at most ``limit`` characters: a PR's value may be huge."""
    if is_number(value) and isinstance(value, int) and finite_number(value) is None:
        return "an integer too large for a float"
    text = str(value).lower() if isinstance(value, bool) else repr(value)
    return clip(text, limit)


def _difference(old: int | float, new: int | float) -> float | int | None:
    """head - base: exact for ints, ±inf when it overflows a float, None when it has
    no value (NaN, or an int too large for a float against a float)."""
    if isinstance(old, int) and isinstance(new, int):
        exact = new - old
        if finite_number(exact) is not None:
            return exact
        return math.inf if exact > 0 else -math.inf  # copysign would overflow on the int
    if old == new and math.isfinite(old):
        return float(new) - float(old)  # 0.0 or -0.0, as rounding it below would leave it
    try:
        difference = float(new) - float(old)
    except OverflowError:
        return None
    if math.isnan(difference):
        return None
    if math.isfinite(difference):
        # Float noise is not a change: round to the finer of the two inputs' precision.
        places = max(_decimals(old), _decimals(new))
        if places <= 17:
            difference = round(difference, places)
    return difference


_INF = math.inf


def _decimals(value: int | float) -> int:
    """Digits after the decimal point in the shortest repr of ``value`` (1e-05: 5)."""
    if isinstance(value, int) or not math.isfinite(value):
        return 0
    # What Decimal(repr(value)).as_tuple().exponent says, read off the repr itself
    # (a Decimal per value was a third of the diff's time at 100,000 metrics).
    mantissa, _, exponent = repr(value).partition("e")
    fraction = mantissa.partition(".")[2]
    return max(0, len(fraction) - int(exponent or 0))


# Metric names that are better when lower, for changes no rule gives a direction.
LOWER_IS_BETTER = re.compile(
    r"(loss|error|err|mse|mae|rmse|mape|latency|time|fpr|fnr|perplexity|wer|cer)", re.I
)


# ... and names that are better when higher (the whole last segment, so "f1" but not
# "f1_loss", which the pattern above claims first).
HIGHER_IS_BETTER = re.compile(
    r"(accuracy|acc|balanced_accuracy|precision|recall|f1|f1_score|auc|roc_auc|pr_auc|"
    r"average_precision|ap|map|r2|iou|miou|dice|bleu|rouge\w*|ndcg\w*|specificity|"
    r"sensitivity|tpr|tnr)",
    re.I,
)


def direction(key: str) -> Literal["higher", "lower"] | None:
    """Which way a metric named ``key`` is better by its name: lower for ``loss`` or
    ``val.rmse``, higher for ``accuracy`` or ``per_class.a.recall``; else no opinion."""
    return _direction_of(key.rsplit(".", 1)[-1])


@functools.lru_cache(maxsize=4096)
def _direction_of(name: str) -> Literal["higher", "lower"] | None:
    """Cached: 100,000 metrics repeat a few hundred last segments (accuracy, loss)."""
    if LOWER_IS_BETTER.search(name):
        return "lower"
    return "higher" if HIGHER_IS_BETTER.fullmatch(name) else None


def _status(base: Value, head: Value, in_base: bool, in_head: bool, compared: bool) -> str:
    if not in_base:
        return "new" if compared else "not compared"
    if not in_head:
        return "removed"
    # 1 == True in Python; a metric that turns from 1 into true has changed.
    same = base == head and isinstance(base, bool) == isinstance(head, bool)
    return "unchanged" if same else "changed"


def diff_values(
    base: Mapping[str, Mapping[str, Value]],
    head: Mapping[str, Mapping[str, Value]],
    unreadable_at_base: Collection[str] = (),
    better: Callable[[str, str], Literal["higher", "lower"] | None] | None = None,
) -> tuple[Change, ...]:
    """Every key of every file at base or head, sorted by file then key.

    ``change`` is head - base as ``dvc metrics diff`` computes it, rounded to the
    inputs' own precision (0.9 - 0.9556 is -0.0556, not -0.05559999999999998; ±inf when
    it overflows a float); ``change_pct`` is that change relative to ``|base|`` (None
    when base is 0 or the result is not finite). A key missing at base from a file in
    ``unreadable_at_base`` ("*": every file) is "not compared", never "new".
    ``better(file, key)`` fills :attr:`Change.better`.
    """
    changes = []
    everything = "*" in unreadable_at_base
    for file in sorted(set(base) | set(head)):
        compared = not everything and file not in unreadable_at_base
        base_values = base.get(file, {})
        head_values = head.get(file, {})
        for key in sorted(set(base_values) | set(head_values)):
            old, new = base_values.get(key), head_values.get(key)
            change: float | int | None = None
            change_pct = None
            if type(old) is float and old == new and type(new) is float and abs(old) < _INF:
                # Most of a large diff: an unchanged finite float (what the general
                # path below computes for it, without its calls).
                change = new - old  # ±0.0, as _difference gives it
                change_pct = change / abs(old) * 100 if old else None
                status = "unchanged"
            else:
                if is_number(old) and is_number(new):
                    change = _difference(old, new)
                    base_value = finite_number(old)
                    if change is not None and base_value:  # not None, not 0
                        pct = float(change) / abs(base_value) * 100
                        change_pct = pct if math.isfinite(pct) else None
                status = _status(old, new, key in base_values, key in head_values, compared)
            changes.append(
                Change(
                    file=file,
                    key=key,
                    base=old,
                    head=new,
                    change=change,
                    change_pct=change_pct,
                    status=status,
                    better=better(file, key) if better is not None else None,
                )
            )
    return tuple(changes)
