"""Text every rendering shares: Markdown escaping, terminal-safe text, clipping, and the
one number formatter.

Every string a pull request controls (a metric key, a branch name, a param value) goes
through :func:`escape_md` in Markdown or :func:`plain` on a terminal before it is shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from mlci.errors import clip
from mlci.numbers import fmt_number
from mlci.results import Value

MAX_CELL = 300
# C0 and C1 controls (ESC, CSI) and bidi overrides: nothing a PR may send to a terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

VERDICT_ICON = {"pass": "✅", "warn": "⚠️", "fail": "❌"}


class Md(str):
    """Markdown that is already safe: emitted as is."""


# Every character escape_md changes, and what it becomes: HTML's three, a backslash
# before Markdown's specials, a zero-width space after # (no issue link) and @ (no
# mention). In this order, each replacement leaves alone what the earlier ones wrote:
# the backslash first, & before the entities, # before @ (whose escape holds a #).
_MD_ESCAPES = (
    ("\\", "\\\\"),
    ("&", "&amp;"),
    ("<", "&lt;"),
    (">", "&gt;"),
    *((char, "\\" + char) for char in "`*_[]|~!{}"),
    ("#", "#&#8203;"),
    ("@", "@&#8203;"),
)


def escape_text(text: str) -> str:
    """``text`` with every Markdown special escaped, and nothing else done to it.

    One ``str.replace`` per special that occurs (each a C scan): 20 times faster than a
    ``str.translate`` table, whose generic path looks up every character, on a
    100,000-row table, and 3 times on one cell (measured in benchmarks/RESULTS.md).
    """
    for char, escaped in _MD_ESCAPES:
        if char in text:
            text = text.replace(char, escaped)
    return text


def escape_md(value: object) -> Md:
    """Make any string inert inside a Markdown table cell or paragraph."""
    if isinstance(value, Md):
        return value
    text = "" if value is None else str(value)
    if not text.isprintable():
        # Line breaks and controls are not printable; a printable text has neither,
        # so only these (rare) values pay for the join and the regex.
        text = _CONTROL.sub("", " ".join(text.splitlines()))
    return Md(escape_text(clip(text, MAX_CELL)))


class Lines(str):
    """Terminal text already made of :func:`plain` values (a table): kept on its lines."""


# A line break inside a value is shown, never obeyed: a PR string must not start a new
# output line (in Actions, a line starting with `::` is a workflow command).
_LINE_BREAKS = str.maketrans({"\n": "\\n", "\r": "\\r", "\u2028": "\\n", "\u2029": "\\n"})


def plain(value: object) -> str:
    """For the terminal: one line, line breaks shown as ``\\n``, control characters
    dropped (no ANSI or bidi tricks from a PR)."""
    if isinstance(value, Lines):
        return value
    text = "" if value is None else str(value)
    return _CONTROL.sub("", text.translate(_LINE_BREAKS))


def cell(value: object) -> str:
    """One terminal table cell: plain, on one line and at most ``MAX_CELL`` characters,
    so columns stay aligned and a PR's megabyte-long key cannot flood the log."""
    return clip(plain(value), MAX_CELL)


def terminal_field(value: object) -> str:
    """The terminal templates' finalize: every value plain, single values cut to length;
    :class:`Lines` (tables mlci rendered from such cells) shown whole."""
    return value if isinstance(value, Lines) else clip(plain(value), MAX_CELL)


def fmt_value(value: Value) -> str:
    """A metric or param as the tables show it: up to 5 decimals in the everyday range,
    else 5 significant digits (:func:`mlci.numbers.fmt_number`)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and (value == 0 or 1e-4 <= abs(value) < 1e9):
        return f"{value:.5f}".rstrip("0").rstrip(".") or "0"
    if isinstance(value, (int, float)):
        return fmt_number(value, 5)
    return str(value)


def cut_to_fit(text: str, tail: str, limit: int, size: Callable[[str], int]) -> str:
    """``text`` cut at a line boundary so that it and ``tail`` (which says where the rest
    is) fit in ``limit`` as ``size`` counts: a comment too long even folded."""
    kept: list[str] = []
    used = size(tail)
    for line in text.splitlines(keepends=True):
        if used + size(line) > limit:
            break
        kept.append(line)
        used += size(line)
    return "".join(kept).rstrip("\n") + tail
