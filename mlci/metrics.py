"""Diff flattened metrics/params between base and head: change, relative change, status."""

from __future__ import annotations

import math
from collections.abc import Mapping

from mlci.results import Change, Value


def is_number(value: Value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _status(base: Value, head: Value, in_base: bool, in_head: bool) -> str:
    if not in_base:
        return "new"
    if not in_head:
        return "removed"
    # 1 == True in Python; a metric that turns from 1 into true has changed.
    same = base == head and isinstance(base, bool) == isinstance(head, bool)
    return "unchanged" if same else "changed"


def diff_values(
    base: Mapping[str, Mapping[str, Value]], head: Mapping[str, Mapping[str, Value]]
) -> tuple[Change, ...]:
    """Every key of every file at base or head, sorted by file then key.

    ``change`` is head - base, exactly as ``dvc metrics diff`` computes it;
    ``change_pct`` is that change relative to ``|base|`` (None when base is 0).
    """
    changes = []
    for file in sorted(set(base) | set(head)):
        base_values = base.get(file, {})
        head_values = head.get(file, {})
        for key in sorted(set(base_values) | set(head_values)):
            old, new = base_values.get(key), head_values.get(key)
            change = change_pct = None
            if is_number(old) and is_number(new):
                assert isinstance(old, (int, float)) and isinstance(new, (int, float))
                change = new - old
                if old != 0 and math.isfinite(change):
                    change_pct = change / abs(old) * 100
            changes.append(
                Change(
                    file=file,
                    key=key,
                    base=old,
                    head=new,
                    change=change,
                    change_pct=change_pct,
                    status=_status(old, new, key in base_values, key in head_values),
                )
            )
    return tuple(changes)
