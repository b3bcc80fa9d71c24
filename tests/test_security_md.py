"""SECURITY.md names the test that holds each promise: every one it names must exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cited() -> list[tuple[str, str]]:
    """(test file, test name) for every test SECURITY.md cites, `::name` continuing the
    file named before it in the same cell."""
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    found = []
    for line in text.splitlines():
        current = None
        for match in re.finditer(r"`(tests/[\w/]+\.py)?(?:::(\w+))?[^`]*`", line):
            file, name = match.group(1), match.group(2)
            current = file or current
            if name and current:
                found.append((current, name))
    return found


def test_every_test_security_md_cites_exists() -> None:
    promises = cited()
    assert len(promises) > 40  # the parser found the tables
    missing = []
    for file, name in promises:
        path = ROOT / file
        names = (
            {
                node.name
                for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                if isinstance(node, ast.FunctionDef)
            }
            if path.is_file()
            else set()
        )
        if name not in names:
            missing.append(f"{file}::{name}")
    assert missing == []
