"""`mlci ci`: the check inside GitHub Actions or GitLab CI, then (unless told not to)
publishing it.

Order matters: results and report are written to disk, then the job summary,
annotations and step outputs (GitHub) or the JUnit and dotenv reports (GitLab), and
only then does anything talk to the forge — so a failed post loses nothing.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mlci import tokens
from mlci.commands.publish import (
    CiRun,
    PublishOptions,
    artifacts_link,
    post_or_report,
    post_to_gitlab,
    step_outputs,
    take_gitlab_token,
    take_token,
)
from mlci.flow import CheckOptions, run_check, write_outputs
from mlci.forge import detect
from mlci.github import actions
from mlci.github.client import missing_token
from mlci.gitlab import context as gitlab_context
from mlci.gitlab import reports as gitlab_reports
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
    warn: Callable[[str], None] = lambda _: None,
    gitlab_files: GitLabFiles | None = None,
) -> CiRun:
    """Check, write everything to disk and the runner, then publish (unless told not to).

    The forge is the job's (:func:`mlci.forge.detect`): in GitLab CI this is
    :func:`run_gitlab_ci`, which writes ``gitlab_files`` and says through ``warn``
    what GitHub's runner would get as a workflow command.

    ``log`` carries mlci's workflow commands; DVC's and the tests' output go to
    ``check.emit`` inside its groups, where the runner executes no command. ``token``:
    the token handed over by :func:`mlci.tokens.receive`, else read from the environment.
    """
    if detect() == "gitlab":
        return run_gitlab_ci(
            check,
            options,
            results_path=results_path,
            report_path=report_path,
            files=gitlab_files or GitLabFiles(),
            do_publish=do_publish,
            show=show,
            warn=warn,
            token=token,
        )
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


@dataclass(frozen=True)
class GitLabFiles:
    """Where `mlci ci` in GitLab CI leaves the reports ``artifacts:reports`` collects."""

    junit: Path | None = Path("mlci-junit.xml")
    dotenv: Path | None = Path("mlci.env")


def run_gitlab_ci(
    check: CheckOptions,
    options: PublishOptions,
    *,
    results_path: Path,
    report_path: Path,
    files: GitLabFiles,
    do_publish: bool,
    show: Callable[[Results], None],
    warn: Callable[[str], None],
    token: str | None = None,
) -> CiRun:
    """`mlci ci` in a GitLab CI job: check the merge request against its diff base,
    write the results, report, JUnit XML and dotenv files, then (unless told not to)
    post the sticky note and the commit status.

    The token is read before anything runs, so a missing one fails fast (exit 2), and
    kept out of every child process; ``token`` is the one a restart handed over.
    """
    context = gitlab_context.read_context(publishing=do_publish)
    if do_publish or token is not None:
        token = take_gitlab_token(options, token)
    for pid, name in tokens.ancestors_holding(token or ""):
        warn(
            f"{name} (pid {pid}), which started mlci, holds ${options.token_env} in its "
            "environment, where the pipeline's stages can read it: publish from a separate "
            "job whose only secret it is (`mlci init --gitlab` writes one)"
        )
    head = None
    if context.mr_iid is not None and context.head_sha:
        head = RevInfo(name=context.source_branch or context.head_sha[:7], sha=context.head_sha)
    check = dataclasses.replace(check, event_base=context.base_sha, head=head)
    results = run_check(check)
    if options.title:
        results = dataclasses.replace(results, title=options.title)
    report = Report(results, artifacts=context.artifacts_link)
    write_outputs(report, results_path, report_path)
    gitlab_reports.write_reports(results, files.junit, files.dotenv)
    show(results)
    published = error = None
    if do_publish and token:
        published, error = post_to_gitlab(report, context, token, options)
    return CiRun(results=results, published=published, publish_error=error)
