"""`mlci ci`: the check inside GitHub Actions, then (unless told not to) publishing it.

Order matters: results and report are written to disk, then the job summary,
annotations and step outputs, and only then does anything talk to GitHub — so a
failed post loses nothing.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

from mlci import tokens
from mlci.commands.publish import (
    CiRun,
    PublishOptions,
    artifacts_link,
    post_or_report,
    step_outputs,
    take_token,
)
from mlci.flow import CheckOptions, run_check, write_outputs
from mlci.github import actions
from mlci.github.client import missing_token
from mlci.render.markdown import Report
from mlci.results import Results, RevInfo


def run_ci(
    check: CheckOptions,
    options: PublishOptions,
    *,
    results_path: Path,
    report_path: Path,
    do_publish: bool,
    log: actions.ActionsLog,
    show: Callable[[Results], None],
    token: str | None = None,
) -> CiRun:
    """Check, write everything to disk and the runner, then publish (unless told not to).

    ``log`` carries mlci's workflow commands; DVC's and the tests' output go to
    ``check.emit`` inside its groups, where the runner executes no command. ``token``:
    the token handed over by :func:`mlci.tokens.receive`, else read from the environment.
    """
    context = actions.read_context(publishing=do_publish)
    token = take_token(options, log.command, token)
    if do_publish and not token:
        raise missing_token(options.token_env)
    for pid, name in tokens.ancestors_holding(token):
        log.command(
            f"::warning title=mlci: the token is in another process::{name} (pid {pid}), "
            f"which started mlci, holds ${options.token_env} in its environment, where the "
            "pipeline's stages can read it. Run `mlci ci --no-publish` in a step without "
            "the token and `mlci publish` in a later one (the mlci action does)."
        )
    head = None
    pull = context.event.get("pull_request")
    if isinstance(pull, dict) and context.head_sha:
        ref = (pull.get("head") or {}).get("ref")
        head = RevInfo(name=str(ref or context.head_sha[:7]), sha=context.head_sha)
    check = dataclasses.replace(check, event_base=context.base_sha, head=head)
    results = run_check(check)
    if options.title:
        results = dataclasses.replace(results, title=options.title)
    report = Report(results, artifacts=artifacts_link(context))
    write_outputs(report, results_path, report_path)
    show(results)
    actions.append_summary(os.environ.get("GITHUB_STEP_SUMMARY"), report.markdown())
    config_file = results.config_file
    for line in actions.annotation_lines(results, config_file):
        log.command(line)
    published = error = None
    if do_publish:
        published, error = post_or_report(
            report,
            context,
            token,
            options,
            pr_number=context.pr_number,
            config_file=config_file,
            write=log.command,
        )
    actions.write_outputs(
        os.environ.get("GITHUB_OUTPUT"),
        step_outputs(report, published, results_path, report_path),
    )
    return CiRun(results=results, published=published, publish_error=error)
