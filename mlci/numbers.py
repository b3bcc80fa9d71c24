"""Numbers as mlci judges and shows them: what counts as one, and the one formatter.

A metric, threshold or statistic is shown the same way in a gate's reason, a data
check's message, a drift result and a chart's axis; only the number of significant
digits differs, and it is an argument here, not a second formatter.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TypeGuard


def is_number(value: object) -> TypeGuard[int | float]:
    """An int or float, not a bool (``True == 1`` in Python, but true is not a metric)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def finite_number(value: object) -> float | None:
    """``value`` as a finite float, or None when it is not one: strings (even ``"0.81"``),
    booleans, null, lists, NaN, ±inf, and ints too large for a float."""
    if not is_number(value):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int of more than ~309 digits
        return None
    return number if math.isfinite(number) else None


def fmt_number(value: float, digits: int = 6, *, exponent: bool = True) -> str:
    """``value`` in at most ``digits`` significant digits (``3`` for 3.0, ``1e+09``): an
    int below 10**15 exactly, ``nan``/``inf`` as Python writes them, an int too large for
    a float by its order of magnitude (``~1e400``). ``exponent=False`` writes
    ``0.000012`` rather than ``1.2e-05`` (a chart's axis)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) < 10**15:
            return str(value)
        if value.bit_length() > 1000:  # does not fit a float
            return f"{'-' if value < 0 else ''}~1e{int(value.bit_length() * math.log10(2))}"
    number = float(value)
    if not math.isfinite(number):
        return str(number)
    text = f"{number:.{digits}g}"
    if not exponent and "e" in text:
        text = format(Decimal(text), "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
