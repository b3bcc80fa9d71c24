"""The project's own tests (pytest or anything that writes JUnit XML), parsed into results."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from mlci import safefs
from mlci.git.repo import clean_env
from mlci.results import TestFailure, TestRun, under_severity

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


_Parsed = tuple[list[tuple[str, float]], list[TestFailure], int, int]


def parse_junit(path: Path) -> _Parsed:
    """(cases with durations, failures, skipped count, total) from a JUnit XML file."""
    return _parse_junit_root(ET.parse(path).getroot())


def _parse_junit_root(root: ET.Element) -> _Parsed:
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
    boundary: Path | None = None,
    max_bytes: int | None = safefs.DEFAULT_MAX_BYTES,
) -> TestRun:
    """Run ``command`` in ``cwd`` (no tokens in its environment) and parse its JUnit XML.

    pytest writes its XML into a fresh temporary folder outside the repository, so no
    file of the pull request's (a symlink, a stale report) is ever read for it. A
    ``junit`` file another runner writes is read under :mod:`mlci.safefs`'s rule
    (inside ``boundary``, default the git work tree holding ``cwd``; a regular file
    of at most ``max_bytes``), and only when this run wrote it: a file the run left
    as it found it is stale, and not read.
    """
    argv = shlex.split(command)
    with tempfile.TemporaryDirectory(prefix="mlci-tests-") as tmp:
        junit_path = Path(tmp) / "junit.xml"
        read_boundary = Path(tmp).resolve()
        before: tuple[int, int, int] | None = None
        if junit:
            junit_path = cwd / junit
            read_boundary = boundary or safefs.work_tree_root(cwd)
            before = _identity(junit_path)
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
        if not os.path.lexists(junit_path):
            if _is_pytest(argv) and code == _PYTEST_NO_TESTS:
                return _broken(command, code, "no tests were collected", outcome="warn")
            said = f"; its last line: {last[:200]}" if last else ""
            return _broken(command, code, f"exited {code} without writing {junit_path.name}{said}")
        if before is not None and before == _identity(junit_path):
            return _broken(
                command,
                code,
                f"{junit} is stale: the command did not write it (it is as it was before "
                "the run), so it was not read",
            )
        try:
            content = safefs.read_bytes(read_boundary, junit_path, max_bytes=max_bytes)
            cases, failures, skipped, total = _parse_junit_root(ET.fromstring(content))
        except safefs.UnsafePathError as exc:
            return _broken(command, code, f"cannot read {junit or junit_path.name}: {exc.reason}")
        except (ET.ParseError, OSError) as exc:
            return _broken(command, code, f"unreadable JUnit XML ({exc})")
    failed = sum(1 for f in failures if f.kind == "failure")
    errors = len(failures) - failed
    if total == 0:
        outcome, reason = "warn", "no tests were collected"
    elif failures:
        outcome = under_severity("fail", severity)
        reason = f"{len(failures)} of {total} test{'s' if total != 1 else ''} failed"
    elif code not in (0, _PYTEST_NO_TESTS):
        outcome, reason = "fail", f"all tests passed but the command exited {code}"
    else:
        outcome = "pass"
        ran = total - skipped
        reason = ("the only test passed" if ran == 1 else f"all {ran} tests passed") + (
            f", {skipped} skipped" if skipped else ""
        )
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


def _identity(path: Path) -> tuple[int, int, int] | None:
    """What tells a file rewritten by the run from the one found before it: inode,
    size and modification time (ns); None when nothing is there. Not followed: a
    symlink is judged itself."""
    try:
        info = path.lstat()
    except OSError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns)


def _broken(command: str, code: int, reason: str, outcome: str = "fail") -> TestRun:
    return TestRun(command, code, 0, 0, 0, 0, 0, 0.0, (), (), outcome, reason)
