"""The project's own tests (pytest or anything that writes JUnit XML), parsed into results."""

from __future__ import annotations

import shlex
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from mlci.git import clean_env
from mlci.results import TestFailure, TestRun

SLOWEST = 5
FAILURES_SHOWN = 20
_PYTEST_NO_TESTS = 5


def _is_pytest(argv: list[str]) -> bool:
    if not argv:
        return False
    if Path(argv[0]).name in ("pytest", "py.test"):
        return True
    return (
        len(argv) >= 3
        and Path(argv[0]).name.startswith("python")
        and argv[1:3]
        == [
            "-m",
            "pytest",
        ]
    )


def _case_id(case: ET.Element) -> str:
    classname = case.get("classname", "")
    name = case.get("name", "?")
    return f"{classname}::{name}" if classname else name


def _first_line(text: str | None) -> str:
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()[:300]
    return ""


def parse_junit(path: Path) -> tuple[list[tuple[str, float]], list[TestFailure], int, int]:
    """(cases with durations, failures, skipped count, total) from a JUnit XML file."""
    root = ET.parse(path).getroot()
    cases: list[tuple[str, float]] = []
    failures: list[TestFailure] = []
    skipped = 0
    for case in root.iter("testcase"):
        case_id = _case_id(case)
        try:
            seconds = float(case.get("time", "0") or 0)
        except ValueError:
            seconds = 0.0
        cases.append((case_id, seconds))
        for kind in ("failure", "error"):
            element = case.find(kind)
            if element is not None:
                message = element.get("message") or _first_line(element.text)
                failures.append(TestFailure(case_id, kind, _first_line(message)))
                break
        else:
            if case.find("skipped") is not None:
                skipped += 1
    return cases, failures, skipped, len(cases)


def run_tests(
    command: str,
    cwd: Path,
    emit: Callable[[str], None],
    *,
    junit: str | None = None,
    severity: str = "fail",
) -> TestRun:
    """Run ``command`` in ``cwd`` (no tokens in its environment) and parse its JUnit XML."""
    argv = shlex.split(command)
    with tempfile.TemporaryDirectory(prefix="mlci-tests-") as tmp:
        junit_path = Path(tmp) / "junit.xml"
        if junit:
            junit_path = cwd / junit
        elif _is_pytest(argv):
            argv = [*argv, f"--junitxml={junit_path}"]
        else:
            return _broken(
                command, -1, "not pytest: set tests.junit to the JUnit XML file it writes"
            )
        try:
            proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=clean_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                errors="replace",
            )
        except OSError as exc:
            return _broken(command, -1, f"could not start `{argv[0]}`: {exc.strerror}")
        last = ""
        with proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                emit(line.rstrip())
                last = line.strip() or last
        code = proc.returncode
        if not junit_path.exists():
            if _is_pytest(argv) and code == _PYTEST_NO_TESTS:
                return _broken(command, code, "no tests were collected", outcome="warn")
            said = f"; its last line: {last[:200]}" if last else ""
            return _broken(command, code, f"exited {code} without writing {junit_path.name}{said}")
        try:
            cases, failures, skipped, total = parse_junit(junit_path)
        except (ET.ParseError, OSError) as exc:
            return _broken(command, code, f"unreadable JUnit XML ({exc})")
    failed = sum(1 for f in failures if f.kind == "failure")
    errors = len(failures) - failed
    if total == 0:
        outcome, reason = "warn", "no tests were collected"
    elif failures:
        outcome = "fail" if severity == "fail" else "warn"
        reason = f"{len(failures)} of {total} tests failed"
    elif code not in (0, _PYTEST_NO_TESTS):
        outcome, reason = "fail", f"all tests passed but the command exited {code}"
    else:
        outcome = "pass"
        reason = f"all {total - skipped} tests passed" + (f", {skipped} skipped" if skipped else "")
    return TestRun(
        command=command,
        exit_code=code,
        total=total,
        passed=total - len(failures) - skipped,
        failed=failed,
        errors=errors,
        skipped=skipped,
        seconds=round(sum(seconds for _, seconds in cases), 3),
        failures=tuple(failures[:FAILURES_SHOWN]),
        slowest=tuple(sorted(cases, key=lambda c: -c[1])[:SLOWEST]),
        outcome=outcome,
        reason=reason,
    )


def _broken(command: str, code: int, reason: str, outcome: str = "fail") -> TestRun:
    return TestRun(command, code, 0, 0, 0, 0, 0, 0.0, (), (), outcome, reason)
