"""`mlci check` (and the demo's run of it): check, write the files, print the verdict."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from mlci.errors import ExitCode
from mlci.flow import CheckOptions, run_check, write_outputs
from mlci.github.actions import ActionsLog


def shown(path: Path) -> str:
    """``path`` relative to the working folder when it is there or above it (run from a
    sub-folder: ``../report.md``), else as it is (the demo's workspace elsewhere)."""
    cwd = Path.cwd()
    if path.absolute().parent in (cwd, *cwd.parents):
        return os.path.relpath(path)
    return str(path)


def verdict_exit_code(verdict: str, fail_on: str) -> ExitCode:
    if fail_on == "never":
        return ExitCode.PASS
    failing = {"fail": {"fail"}, "warn": {"fail", "warn"}}[fail_on]
    return ExitCode.FAIL if verdict in failing else ExitCode.PASS


def check_and_report(
    options: CheckOptions,
    results_path: Path,
    report_path: Path,
    fail_on: str,
    log: ActionsLog,
    echo: Callable[[str], None],
) -> ExitCode:
    results = run_check(options)
    from mlci.render.markdown import Report, render_terminal  # imported while DVC waited

    html = write_outputs(Report(results), results_path, report_path)
    log.text(render_terminal(results).removesuffix("\n"))
    charts = f"   Page: {shown(html)}" if html else ""
    echo(f"\nReport: {shown(report_path)}   Results: {shown(results_path)}" + charts)
    return verdict_exit_code(results.verdict, fail_on)
