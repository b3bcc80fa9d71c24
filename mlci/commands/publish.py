"""`mlci publish`: carry saved results to the pull request or merge request (and what
`mlci ci` shares).

Order matters: results and report are on disk first, then the job summary,
annotations and step outputs, and only then does anything talk to GitHub — so a
failed post loses nothing.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mlci.config import Config, ReportConfig
from mlci.errors import ConfigError, ExitCode, PublishError, UsageError, redact
from mlci.forge import Forge, Published, detect
from mlci.git.repo import hide_from_children
from mlci.github import actions
from mlci.github.client import GitHub, missing_token
from mlci.github.publish import CommentMode, GitHubForge, StatusMode
from mlci.gitlab import context as gitlab_context
from mlci.gitlab.publish import GitLabForge
from mlci.render.markdown import Report
from mlci.results import Results

if TYPE_CHECKING:
    from mlci.gitlab.client import GitLab


@dataclass(frozen=True)
class PublishOptions:
    token_env: str = "GITHUB_TOKEN"
    comment: CommentMode = "update"
    status: StatusMode = "status"
    title: str | None = None
    pr_number: int | None = None
    config_path: str = "mlci.yaml"  # repo-relative; `mlci publish` reads it at the base
    # How the GitHub client waits between retries (tests record the waits instead).
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)


def take_token(
    options: PublishOptions, write: Callable[[str], None], handed_over: str | None = None
) -> str:
    """The token, masked in the log before anything else is printed. ``handed_over``: the
    token :mod:`mlci.tokens` passed on a pipe when mlci restarted itself without it in
    its environment; else it is read from the environment, and the pipeline's stages
    (the pull request's own code, child processes) do not inherit its variable."""
    hide_from_children(options.token_env)
    token = handed_over if handed_over is not None else os.environ.get(options.token_env, "")
    actions.mask(token, write)
    return token


def open_github(context: actions.Context, token: str, options: PublishOptions) -> GitHub:
    # How long retries may take in all, and the first backoff step, in seconds;
    # a workflow (or the test suite) can change them through the environment.
    return GitHub(
        context.api_url,
        token,
        context.repository,
        max_wait=_env_seconds("MLCI_GITHUB_MAX_WAIT", 120.0),
        backoff=_env_seconds("MLCI_GITHUB_BACKOFF", 1.0),
        sleep=options.sleep,
    )


def _env_seconds(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return max(0.0, float(raw))
    except ValueError:
        raise UsageError(f"${name} must be a number of seconds, got {raw!r}") from None


def step_outputs(
    report: Report, published: Published | None, results_path: Path, report_path: Path
) -> dict[str, str]:
    results = report.results
    counts = results.counts()
    return {
        "verdict": results.verdict,
        "failed": str(counts["fail"]),
        "warnings": str(counts["warn"]),
        "passed": str(counts["pass"]),
        "comment-url": (published.comment_url or "") if published else "",
        "report-path": str(report_path.absolute()),
        "results-path": str(results_path.absolute()),
        "report": report.markdown(),
    }


def post_or_report(
    report: Report,
    context: actions.Context,
    token: str,
    options: PublishOptions,
    *,
    pr_number: int | None,
    config_file: str | None,
    write: Callable[[str], None],
) -> tuple[Published | None, PublishError | None]:
    try:
        with open_github(context, token, options) as github:
            forge: Forge = GitHubForge(
                github,
                context,
                pr_number,
                comment=options.comment,
                status=options.status,
                config_file=config_file,
            )
            return forge.post(report), None
    except PublishError as exc:
        exc.message = redact(exc.message, token)
        write(f"::error title=mlci%3A publishing failed::{actions.escape_data(exc.message)}")
        return None, exc


@dataclass(frozen=True)
class CiRun:
    results: Results
    published: Published | None
    publish_error: PublishError | None


def run_publish(
    results_path: Path,
    options: PublishOptions,
    *,
    write: Callable[[str], None],
    warn: Callable[[str], None] = lambda _: None,
) -> CiRun:
    """Publish saved results (the second, trusted half of the fork-safe pattern).

    In a GitLab CI job this is :func:`run_gitlab_publish` (``warn`` says what went
    wrong reading the base's config there; on GitHub, ``write`` carries the warning
    as a workflow command).

    The results file comes from an untrusted run and is trusted in nothing:
    ``Results.read`` validates it against the schema and refuses a verdict other than
    the worst of its outcomes; it must be for this run's head commit; the title (which
    names the comment marker and the status context) comes from ``--title`` or the
    base's mlci.yaml, read through the API; every string is escaped when rendered.
    The pull request is looked up from the event, never taken from the file.
    """
    if detect() == "gitlab":
        return run_gitlab_publish(results_path, options, warn=warn)
    config_path = repo_relative(options.config_path)
    results = Results.read(results_path)
    context = actions.read_context()
    token = take_token(options, write)
    if not token:
        raise missing_token(options.token_env)
    if context.head_sha and results.head.sha != context.head_sha:
        raise UsageError(
            f"{results_path} is for commit {results.head.short}, but this run is for "
            f"{context.head_sha[:7]}",
            hint="download the artifact of the workflow run that triggered this one",
        )
    published = error = None
    pr_number = options.pr_number or context.pr_number
    title = options.title
    try:
        with open_github(context, token, options) as github:
            if pr_number is None and context.head_sha:
                pr_number = github.find_pull(context.head_sha, head_label(context))
            if title is None:
                config = base_config(github, context, pr_number, config_path, write)
                title = config.report.title if config is not None else None
    except PublishError as exc:
        exc.message = redact(exc.message, token)
        write(f"::error title=mlci%3A publishing failed::{actions.escape_data(exc.message)}")
        error = exc
    results = dataclasses.replace(results, title=title or ReportConfig().title)
    report = Report(results, artifacts=artifacts_link(context))
    actions.append_summary(os.environ.get("GITHUB_STEP_SUMMARY"), report.markdown())
    if error is None:
        if pr_number is None and options.comment != "off":
            write("::notice title=mlci::no open pull request for this commit; status only")
        published, error = post_or_report(
            report, context, token, options, pr_number=pr_number, config_file=None, write=write
        )
    actions.write_outputs(
        os.environ.get("GITHUB_OUTPUT"),
        step_outputs(report, published, results_path, results_path.with_name("report.md")),
    )
    return CiRun(results=results, published=published, publish_error=error)


def repo_relative(path: str) -> str:
    """--config as a path inside the repository: relative, no '..', no backslashes."""
    parts = path.split("/")
    if not path or path.startswith("/") or "\\" in path or ".." in parts or "" in parts:
        raise UsageError(
            f"--config {path!r} must be a path inside the repository, such as mlci.yaml "
            "or ml/mlci.yaml (relative, without '..')"
        )
    return "/".join(part for part in parts if part != ".") or "mlci.yaml"


def base_config(
    github: GitHub,
    context: actions.Context,
    pr_number: int | None,
    config_path: str,
    write: Callable[[str], None],
) -> Config | None:
    """The mlci.yaml at the pull request's base commit (the event's, or the PR's as
    GitHub reports it), else on the default branch; None when there is none. A broken
    one is reported and treated as absent (the pull request that repairs it must not
    be locked out).

    Never the results file's word: the pull request wrote that file, and the title
    picks the status context a branch protection rule requires."""
    from mlci.config import parse_config

    base_sha = None
    pull = context.event.get("pull_request")
    if isinstance(pull, dict):
        base_sha = context.base_sha
    elif pr_number is not None:
        base_sha = github.pull_base_sha(pr_number)
    text = github.file_at(config_path, base_sha)
    if text is None:
        return None
    where = f"{base_sha[:7] if base_sha else 'default branch'}:{config_path}"
    try:
        return parse_config(text, where)
    except ConfigError as exc:  # the base's own problem: report under the default title
        write(f"::warning title=mlci::{actions.escape_data(str(exc))}")
        return None


def head_label(context: actions.Context) -> str | None:
    run = context.event.get("workflow_run")
    if not isinstance(run, dict):
        return None
    owner = ((run.get("head_repository") or {}).get("owner") or {}).get("login")
    branch = run.get("head_branch")
    return f"{owner}:{branch}" if owner and branch else None


def artifacts_link(context: actions.Context) -> str | None:
    """A Markdown link to the run's artifacts (where report.html is), if there is a run."""
    url = context.artifacts_url
    return f"[the run's artifacts]({url})" if url else None


def exit_code(run: CiRun, verdict_code: ExitCode) -> ExitCode:
    return ExitCode.PUBLISH if run.publish_error else verdict_code


# --- GitLab CI ------------------------------------------------------------------------


def open_gitlab(api_url: str, token: str, options: PublishOptions) -> GitLab:
    # python-gitlab costs ~0.3 s to import: only when a GitLab job really publishes.
    from mlci.gitlab.client import GitLab

    return GitLab(
        api_url,
        token,
        max_wait=_env_seconds("MLCI_GITLAB_MAX_WAIT", 120.0),
        backoff=_env_seconds("MLCI_GITLAB_BACKOFF", 1.0),
        sleep=options.sleep,
    )


def take_gitlab_token(options: PublishOptions, handed_over: str | None = None) -> str:
    """The token handed over by a restart (:mod:`mlci.tokens`), else ``$token_env``
    (refused when missing or the job token); its variable never reaches a stage."""
    hide_from_children(options.token_env)
    if handed_over is not None:
        return handed_over
    return gitlab_context.read_token(options.token_env)


def post_to_gitlab(
    report: Report,
    context: gitlab_context.GitLabContext,
    token: str,
    options: PublishOptions,
) -> tuple[Published | None, PublishError | None]:
    """The note and the status, or the error (the token redacted) for exit 4."""
    try:
        with open_gitlab(context.api_url, token, options) as client:
            forge: Forge = GitLabForge(
                client, context, note=options.comment, status=options.status != "off"
            )
            published = forge.post(report)
    except PublishError as exc:
        exc.message = redact(exc.message, token)
        return None, exc
    return published, None


def run_gitlab_publish(
    results_path: Path, options: PublishOptions, *, warn: Callable[[str], None]
) -> CiRun:
    """Publish saved results from a GitLab job that checked out nothing of the merge
    request. The file is validated as on GitHub (:meth:`Results.read`) and must be for
    this pipeline's head commit; the title (the note's marker, the status's name) is
    ``--title``, else ``report.title`` of the mlci.yaml at the merge request's diff
    base, read through the API; never the file's: the merge request's own job wrote it.
    """
    config_path = repo_relative(options.config_path)
    results = Results.read(results_path)
    context = gitlab_context.read_context()
    token = take_gitlab_token(options)
    if context.head_sha and results.head.sha != context.head_sha:
        raise UsageError(
            f"{results_path} is for commit {results.head.short}, but this pipeline is for "
            f"{context.head_sha[:7]}",
            hint="take the artifacts of the check job of this same pipeline",
        )
    title, error = options.title, None
    if title is None:
        try:
            with open_gitlab(context.api_url, token, options) as client:
                title = _gitlab_base_title(client, context, config_path, warn)
        except PublishError as exc:
            exc.message = redact(exc.message, token)
            error = exc
    results = dataclasses.replace(results, title=title or ReportConfig().title)
    # The JUnit and dotenv reports of the pipeline come from this job, from the results
    # as re-judged here: a dotenv report sets variables in every job that needs it
    # (overriding even predefined ones), so the check job, which runs the merge
    # request's code, must not publish one.
    from mlci.gitlab import reports as gitlab_reports

    gitlab_reports.write_reports(
        results, results_path.with_name("mlci-junit.xml"), results_path.with_name("mlci.env")
    )
    published = None
    if error is None:
        published, error = post_to_gitlab(Report(results), context, token, options)
    return CiRun(results=results, published=published, publish_error=error)


def _gitlab_base_title(
    client: GitLab,
    context: gitlab_context.GitLabContext,
    config_path: str,
    warn: Callable[[str], None],
) -> str | None:
    """report.title of the mlci.yaml at the merge request's diff base (in the project
    the merge request is in), else on the default branch; None when there is none."""
    from mlci.config import parse_config

    base = context.base_sha
    text = client.file_at(context.mr_project_id, config_path, base)
    if text is None:
        return None
    where = f"{base[:7] if base else 'default branch'}:{config_path}"
    try:
        return parse_config(text, where).report.title
    except ConfigError as exc:  # the base's own problem: report under the default title
        warn(str(exc))
        return None
