"""Command line: parse options, call the library, choose the exit code. Nothing more.

Heavy modules (DVC, pandas, GitPython, Jinja2) are imported inside the commands
so that `mlci --help` answers at once.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import functools
import gc
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, cast

import click

from mlci import __version__
from mlci.errors import ExitCode, MlciError

if TYPE_CHECKING:
    from mlci.check import CheckOptions
    from mlci.ci import PublishOptions

F = TypeVar("F", bound=Callable[..., Any])


class MlciGroup(click.Group):
    """Catches MlciError once: one line on stderr, the error's exit code, no traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MlciError as exc:
            click.secho(f"mlci: error: {exc}", err=True, fg="red")
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # a bug: still no raw traceback unless asked for
            if os.environ.get("MLCI_DEBUG"):
                raise
            click.secho(
                f"mlci: internal error: {type(exc).__name__}: {exc}\n"
                "  hint: this is a bug in mlci; rerun with MLCI_DEBUG=1 for the traceback "
                "and report it",
                err=True,
                fg="red",
            )
            ctx.exit(ExitCode.ENVIRONMENT)


@dataclass(frozen=True)
class PipelineFlags:
    """The options `mlci check` and `mlci ci` share, handed to them as one value."""

    base: str | None
    pull: bool | None
    repro: bool | None
    run_tests: bool
    results_path: Path
    report_path: Path
    fail_on: str

    def check_options(self) -> CheckOptions:
        from mlci.check import CheckOptions

        return CheckOptions(
            path=Path.cwd(),
            base=self.base,
            pull=self.pull,
            repro=self.repro,
            tests=self.run_tests,
            emit=click.echo,
        )


def pipeline_options(func: F) -> F:
    """--base, --pull, --repro, --tests, --results, --report, --fail-on, given to the
    command as one ``flags: PipelineFlags`` argument."""
    names = [field.name for field in dataclasses.fields(PipelineFlags)]

    @functools.wraps(func)
    def with_flags(*args: Any, **kwargs: Any) -> Any:
        flags = PipelineFlags(**{name: kwargs.pop(name) for name in names})
        return func(*args, flags=flags, **kwargs)

    decorators = [
        click.option(
            "--base",
            metavar="REV",
            help="Revision to compare against. Default: merge-base of HEAD with "
            "origin/<base branch>, else <base branch> (`base:` in mlci.yaml, default main).",
        ),
        click.option(
            "--pull/--no-pull",
            default=None,
            help="Run `dvc pull` when outputs are missing and a remote is configured "
            "(default: on, or `pipeline.pull` in mlci.yaml).",
        ),
        click.option(
            "--repro/--no-repro",
            default=None,
            help="Run `dvc repro` when the pipeline is out of date "
            "(default: on, or `pipeline.repro` in mlci.yaml).",
        ),
        click.option(
            "--tests/--no-tests",
            "run_tests",
            default=True,
            help="Run the project's own tests (`tests:` in mlci.yaml); their failures "
            "fail the gate.",
        ),
        click.option(
            "--results",
            "results_path",
            type=click.Path(dir_okay=False, path_type=Path),
            default="mlci-results.json",
            show_default=True,
            help="Where to write the results as JSON.",
        ),
        click.option(
            "--report",
            "report_path",
            type=click.Path(dir_okay=False, path_type=Path),
            default="report.md",
            show_default=True,
            help="Where to write the Markdown report (the PR comment).",
        ),
        click.option(
            "--fail-on",
            type=click.Choice(["fail", "warn", "never"]),
            default="fail",
            show_default=True,
            help="Lowest verdict that exits 1.",
        ),
    ]
    wrapped: Any = with_flags
    for decorator in reversed(decorators):
        wrapped = decorator(wrapped)
    return cast(F, wrapped)


def verdict_exit_code(verdict: str, fail_on: str) -> ExitCode:
    if fail_on == "never":
        return ExitCode.PASS
    failing = {"fail": {"fail"}, "warn": {"fail", "warn"}}[fail_on]
    return ExitCode.FAIL if verdict in failing else ExitCode.PASS


@click.group(cls=MlciGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mlci")
def cli() -> None:
    """Git-native CI for machine-learning pull requests.

    Re-runs the DVC pipeline, diffs metrics and params against the base branch,
    gates the merge on thresholds from mlci.yaml and writes one Markdown report.

    \b
    Exit codes: 0 pass (or warn), 1 a gate failed, 2 usage or config error,
    3 environment error (git, DVC), 4 publishing failed.
    """


@cli.command()
@pipeline_options
@click.pass_context
def check(ctx: click.Context, flags: PipelineFlags) -> None:
    """Re-run the pipeline and gate this branch against its base.

    Pulls missing DVC outputs, runs `dvc repro` when stages are out of date, runs
    the project's tests and data checks, reads metrics, params and plots at the
    base revision and in the workspace, applies the gates and prints the verdict.
    Writes mlci-results.json, report.md and report.html. Needs no token and no
    network (unless DVC or git must fetch).
    """
    ctx.exit(
        _check_and_report(
            flags.check_options(), flags.results_path, flags.report_path, flags.fail_on
        )
    )


def _check_and_report(
    options: CheckOptions, results_path: Path, report_path: Path, fail_on: str
) -> ExitCode:
    from mlci.check import run_check
    from mlci.report import render_terminal, write_files

    results = run_check(options)
    html = write_files(results, results_path, report_path)
    click.echo(render_terminal(results), nl=False)
    charts = f"   Charts: {html}" if html else ""
    click.echo(f"\nReport: {report_path}   Results: {results_path}{charts}")
    return verdict_exit_code(results.verdict, fail_on)


@cli.command()
@click.option("--base", metavar="REV", help="Old revision. Default: as for `mlci check`.")
@click.option("--head", metavar="REV", help="New revision. Default: the workspace.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "md", "json"]),
    default="table",
    show_default=True,
    help="table for a terminal, md for Markdown, json for scripts.",
)
def diff(base: str | None, head: str | None, output_format: str) -> None:
    """Show how metrics and params changed between revisions.

    Reads both revisions through DVC without running anything; values equal
    `dvc metrics diff BASE HEAD` and `dvc params diff BASE HEAD`, with the
    relative change added and unchanged values included.
    """
    from mlci.check import run_diff
    from mlci.report import render_diff

    results = run_diff(Path.cwd(), base, head)
    click.echo(render_diff(results, output_format), nl=False)


@cli.command()
@click.option(
    "--scenario",
    type=click.Choice(["pass", "fail", "drift"]),
    default="pass",
    show_default=True,
    help="pass: a param change within the gates; fail: one that breaks a gate; "
    "drift: a new data export whose distribution moved.",
)
@click.option(
    "--workspace",
    type=click.Path(file_okay=False, path_type=Path),
    help="Build the demo here (a new or empty folder). Default: a new temp folder.",
)
@click.pass_context
def demo(ctx: click.Context, scenario: str, workspace: Path | None) -> None:
    """Run the check on a throwaway copy of the example project.

    Builds a workspace with a bare `origin`, a local DVC remote, a `main` branch
    with the pipeline run and pushed, and a pull-request branch that changes
    params; then runs `mlci check` there. No network, no token.
    """
    from mlci.check import CheckOptions
    from mlci.demo import SCENARIOS, build_workspace

    root = workspace or Path(tempfile.mkdtemp(prefix="mlci-demo-"))
    click.secho(f"Building the demo workspace in {root}", bold=True)
    ws = build_workspace(root.resolve(), scenario, emit=_indent)
    click.secho(f"\nOn branch {ws.branch}: {SCENARIOS[scenario].summary}\n$ mlci check", bold=True)
    options = CheckOptions(path=ws.project, emit=_indent)
    code = _check_and_report(
        options, ws.project / "mlci-results.json", ws.project / "report.md", "fail"
    )
    mlci = shutil.which("mlci") or str(Path(sys.argv[0]).resolve())
    other = "pass" if scenario != "pass" else "fail"
    click.secho(f"\nThe demo workspace is {ws.root}", bold=True)
    click.echo(
        f"  cd {ws.project} && {mlci} check   # run it again\n"
        f"  cat {ws.project / 'report.md'}   # the PR comment\n"
        f"  {mlci} demo --scenario {other}   # the other story"
    )
    ctx.exit(code)


def publish_options(func: F) -> F:
    """--token-env, --comment, --status, --title (and --pr, where the command has it),
    given to the command as one ``publishing: PublishOptions`` argument."""

    @functools.wraps(func)
    def with_options(*args: Any, **kwargs: Any) -> Any:
        from mlci.ci import PublishOptions

        publishing = PublishOptions(
            token_env=kwargs.pop("token_env"),
            comment=kwargs.pop("comment"),
            status=kwargs.pop("status"),
            title=kwargs.pop("title"),
            pr_number=kwargs.pop("pr_number", None),
        )
        return func(*args, publishing=publishing, **kwargs)

    decorators = [
        click.option(
            "--token-env",
            default="GITHUB_TOKEN",
            show_default=True,
            metavar="NAME",
            help="Environment variable that holds the GitHub token.",
        ),
        click.option(
            "--comment",
            type=click.Choice(["update", "new", "delete", "off"]),
            default="update",
            show_default=True,
            help="update: one sticky comment, edited on re-runs; new: delete it and post "
            "a fresh one; delete: remove it; off: no comment.",
        ),
        click.option(
            "--status",
            type=click.Choice(["status", "check", "off"]),
            default="status",
            show_default=True,
            help="How the verdict reaches the head commit: a commit status "
            "(needs statuses: write), a check run (checks: write), or nothing.",
        ),
        click.option(
            "--title",
            help="Report title; also names the sticky comment and the status context "
            "(default: report.title in mlci.yaml).",
        ),
    ]
    wrapped: Any = with_options
    for decorator in reversed(decorators):
        wrapped = decorator(wrapped)
    return cast(F, wrapped)


@cli.command(name="ci")
@pipeline_options
@publish_options
@click.option(
    "--publish/--no-publish",
    "do_publish",
    default=True,
    help="Post the comment and status (default), or only compute and write files.",
)
@click.pass_context
def ci_command(
    ctx: click.Context, flags: PipelineFlags, publishing: PublishOptions, do_publish: bool
) -> None:
    """Run the check in GitHub Actions and publish it to the PR.

    Everything `mlci check` does, then the comment, status and outputs.

    Reads the run from the runner's environment (GITHUB_EVENT_PATH, GITHUB_REPOSITORY,
    GITHUB_API_URL, ...): on a pull_request the base is the PR's base commit and the
    verdict goes to the PR's head commit. Writes mlci-results.json, report.md, the job
    summary, step outputs and annotations before posting anything, so a failed post
    (exit 4) loses nothing.
    """
    from mlci.ci import exit_code, run_ci
    from mlci.report import render_terminal

    run = run_ci(
        flags.check_options(),
        publishing,
        results_path=flags.results_path,
        report_path=flags.report_path,
        do_publish=do_publish,
        write=click.echo,
        show=lambda results: click.echo(render_terminal(results), nl=False),
    )
    _say_published(run)
    ctx.exit(exit_code(run, verdict_exit_code(run.results.verdict, flags.fail_on)))


@cli.command(name="publish")
@click.option(
    "--results",
    "results_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default="mlci-results.json",
    show_default=True,
    help="Results written by `mlci ci --no-publish` (or `mlci check`).",
)
@publish_options
@click.option("--pr", "pr_number", type=int, help="Pull request number (default: from the event).")
@click.option(
    "--config",
    "config_path",
    default="mlci.yaml",
    show_default=True,
    metavar="PATH",
    help="mlci.yaml's path in the repository; its report.title is read from the pull "
    "request's base commit (never from the results file) unless --title is given.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["fail", "warn", "never"]),
    default="never",
    show_default=True,
    help="Lowest verdict that exits 1 (the gate itself is the status it posts).",
)
@click.pass_context
def publish_command(
    ctx: click.Context,
    results_path: Path,
    publishing: PublishOptions,
    fail_on: str,
    config_path: str,
) -> None:
    """Post saved results to the pull request, trusting nothing in the file.

    The second half of the fork-safe pattern: a `pull_request` workflow computes with
    a read-only token (`mlci ci --no-publish`) and uploads the results; a
    `workflow_run` workflow downloads them and runs `mlci publish`. The pull request
    is found from the event's head commit, never taken from the file. The file is
    validated against mlci's schema, its verdict recomputed from its outcomes, and
    the title (comment marker, status context) comes from --title or the base.
    """
    import dataclasses

    from mlci.ci import exit_code, run_publish

    publishing = dataclasses.replace(publishing, config_path=config_path)
    run = run_publish(results_path, publishing, write=click.echo)
    _say_published(run)
    ctx.exit(exit_code(run, verdict_exit_code(run.results.verdict, fail_on)))


def _say_published(run: object) -> None:
    from mlci.ci import CiRun

    assert isinstance(run, CiRun)
    if run.publish_error is not None:
        click.secho(f"mlci: error: {run.publish_error}", err=True, fg="red")
        click.echo("  (mlci-results.json and report.md were written before publishing)", err=True)
    elif run.published is not None:
        if run.published.comment_url:
            click.echo(f"Comment: {run.published.comment_url}")
        if run.published.status:
            click.echo(f"Status: {run.published.status}")


@cli.command()
@click.option(
    "--fork-safe",
    is_flag=True,
    help="Write the two-workflow pair for pull requests from forks "
    "(pull_request computes read-only, workflow_run publishes).",
)
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
def init(fork_safe: bool, force: bool) -> None:
    """Write mlci.yaml and a GitHub Actions workflow.

    mlci.yaml gets a starting gate for each numeric metric the project has now;
    the workflow runs `mlci ci` on every pull request with minimal permissions.
    Existing files are left alone unless --force.
    """
    from mlci.init import run_init

    for written in run_init(Path.cwd(), fork_safe=fork_safe, force=force):
        click.echo(f"wrote {written.path} ({written.description})")
    click.echo("Next: review mlci.yaml's thresholds, commit both, and open a pull request.")


def _indent(line: str) -> None:
    click.echo(f"  {line}")


def main() -> NoReturn:
    """The ``mlci`` console script (and ``python -m mlci``)."""
    # A check imports DVC, GitPython, DuckDB and Jinja: ~300,000 objects that live
    # until the process ends, which Python's default thresholds (700, 10, 10) scan
    # over and over while they are created. Collecting the young generation every
    # 100,000 allocations instead took ~0.07 s off a 1 s check (measured); cyclic
    # garbage is still collected, only less often.
    gc.set_threshold(100_000, 50, 100)
    try:
        cli(prog_name="mlci")  # standalone mode: always ends in SystemExit
    except SystemExit as exc:
        code = exc.code
    else:  # pragma: no cover
        code = 0
    _exit(code)


def _exit(code: object) -> NoReturn:
    """End the process the way ``sys.exit(code)`` would, without Python's teardown.

    By now every file mlci writes is written and closed. What is left is the
    interpreter's own shutdown: garbage collection over the objects DVC, GitPython
    and DuckDB leave behind, measured at 0.2-0.3 s per run, a fifth to a quarter of a
    whole `mlci check` on a small project. atexit handlers still run and the streams are
    flushed; only the final collection is skipped.
    """
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        # A closed pipe (`mlci check | head`) has nothing left to say.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(status)


if __name__ == "__main__":  # pragma: no cover
    main()
