"""How the GitHub Actions runner reads a step's log: which lines it executes as commands.

A model of the runner's ActionCommandManager, enough to tell what a log would make the
runner do: a line whose left-trimmed text starts with ``::NAME ...::`` is a command;
so is ``##[NAME ...]`` anywhere in a line (the legacy form). ``::stop-commands::TOKEN``
makes the runner ignore every command until a line ``::TOKEN::``.
"""

from __future__ import annotations

import re

_V2 = re.compile(r"^::([^\s:]+)(?:\s[^:]*?)?::(.*)$")
_LEGACY = re.compile(r"##\[([^\]\s;]+)[^\]]*\](.*)")


def executed_commands(log: str) -> list[str]:
    """The lines the runner would execute as workflow commands, in order."""
    executed: list[str] = []
    stop_token: str | None = None
    for raw in re.split(r"\r\n|\r|\n", log):
        line = raw.lstrip()
        match = _V2.match(line)
        name = match[1] if match else None
        if name is None and (legacy := _LEGACY.search(line)):
            name = legacy[1]
        if name is None:
            continue
        if stop_token is not None:
            if name == stop_token:
                stop_token = None
                executed.append(line)
            continue
        executed.append(line)
        if name == "stop-commands" and match:
            stop_token = match[2]
    return executed


def mlci_commands_only(log: str, token: str) -> list[str]:
    """The executed commands, asserting each is one mlci writes itself: the token's
    mask, groups, pauses and their ends, annotations titled `mlci...`."""
    executed = executed_commands(log)
    pauses = {line.removeprefix("::stop-commands::") for line in executed}
    for line in executed:
        ok = (
            line == f"::add-mask::{token}"
            or line.startswith(("::group::", "::stop-commands::"))
            or line == "::endgroup::"
            or line.strip(":") in pauses
            or re.match(r"^::(error|warning|notice) (file=[^,]+,line=\d+,)?title=mlci", line)
        )
        assert ok, f"the runner would execute {line!r}"
    return executed
