"""Command line: parse options, call the library, choose the exit code. Nothing more.

Heavy modules (DVC, pandas, git, Jinja2) are imported inside the commands
so that `mlci --help` answers at once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, cast

import click

from mlci import __version__
from mlci.errors import ExitCode, MlciError, UsageError

if TYPE_CHECKING:
    from mlci.commands.publish import CiRun, PublishOptions
    from mlci.flow import CheckOptions
    from mlci.github.actions import ActionsLog

F = TypeVar("F", bound=Callable[..., Any])


class MlciGroup(click.Group):
    """Catches MlciError once: one line on stderr, the error's exit code, no traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MlciError as exc:
            _print_error(f"mlci: error: {exc}")
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # a bug: still no raw traceback unless asked for
            if os.environ.get("MLCI_DEBUG"):
                raise
            _print_error(
                f"mlci: internal error: {type(exc).__name__}: {exc}\n"
                "  hint: this is a bug in mlci; rerun with MLCI_DEBUG=1 for the traceback "
                "and report it"
            )
            ctx.exit(ExitCode.ENVIRONMENT)


def _print_error(message: str) -> None:
    """An error may quote what a pull request wrote (a metric key, a path, a failing
    stage's last lines). In GitHub Actions it is printed where the runner executes no
    workflow command, on stdout with the rest of mlci's log (the runner reads stdout
    and stderr on separate threads: a pause on one would not cover the other)."""
    log = _actions_log()
    with log.untrusted():
        click.secho(message, err=not log.active, fg="red")


def _actions_log() -> ActionsLog:
    from mlci.github.actions import ActionsLog

    return ActionsLog.from_env(click.echo)


def fail_on_option(default: str, help_text: str) -> Callable[[F], F]:
    """``--fail-on``: the lowest verdict that exits 1 (each command its own default)."""
    return click.option(
        "--fail-on",
        type=click.Choice(["fail", "warn", "never"]),
        default=default,
        show_default=True,
        help=help_text,
    )


pr_option = click.option(
    "--pr", "pr_number", type=int, help="Pull request number (default: from the event)."
)


def config_option(help_text: str) -> Callable[[F], F]:
    """``--config``: mlci.yaml's path in the repository (what each command reads of it)."""
    return click.option(
        "--config",
        "config_path",
        default="mlci.yaml",
        show_default=True,
        metavar="PATH",
        help=help_text,
    )


@dataclass(frozen=True)
class Process:
    """What :func:`main` knows about this process: it is the real ``mlci`` (so it may
    restart itself, which a test's in-process runner may not), and the token a restart
    handed over, if any."""

    handed_token: str | None = None


def _restart_without_secrets(ctx: click.Context, hand_over: str | None) -> str | None:
    """In the real ``mlci`` process, restart without any token in the environment before
    running pull-request code (see mlci.tokens); returns the token handed over to this
    process by such a restart. Does nothing under a test's in-process runner."""
    from mlci import tokens

    process = ctx.find_object(Process)
    if process is None:
        return None
    if process.handed_token is None:
        tokens.reexec_without_secrets(hand_over, warn=_warn)  # returns only if it could not
    return process.handed_token


def _warn(message: str) -> None:
    click.secho(f"mlci: warning: {message}", err=True, fg="yellow")


@dataclass(frozen=True)
class PipelineFlags:
    """The options `mlci check` and `mlci ci` share, handed to them as one value."""

    base: str | None
    pull: bool | None
    repro: bool | None
    run_tests: bool
    results: Path | None  # None: at the project root, wherever mlci runs from
    report: Path | None
    fail_on: str
    shard: str | None
    # With --shard: the shard's folder, where the check runs (see located()).
    folder: Path | None = None

    def located(self, event_base: str | None = None) -> PipelineFlags:
        """These flags with --shard's folder found (the base's `shards:` decide, see
        :func:`mlci.flow.locate_shard`); the same flags without --shard."""
        if self.shard is None:
            return self
        from mlci.flow import CheckOptions, locate_shard

        place = locate_shard(
            CheckOptions(
                path=Path.cwd(),
                base=self.base,
                event_base=event_base,
                env_base=os.environ.get("MLCI_BASE") or None,
            ),
            self.shard,
        )
        return dataclasses.replace(self, folder=place.folder)

    @property
    def project_root(self) -> Path:
        return self.folder or _project_root()

    @property
    def results_path(self) -> Path:
        return self.results or self.project_root / "mlci-results.json"

    @property
    def report_path(self) -> Path:
        return self.report or self.project_root / "report.md"

    def check_outputs(self) -> None:
        """Refuse, before any work, output names that cannot be written."""
        from mlci.safefs import check_writable

        for path in (
            self.results_path,
            self.report_path,
            self.report_path.with_name("report.html"),
        ):
            check_writable(path)

    def check_options(self, log: ActionsLog) -> CheckOptions:
        """DVC's and the tests' output go to ``log`` as untrusted text, in its groups."""
        from mlci.flow import CheckOptions

        return CheckOptions(
            path=self.folder or Path.cwd(),
            shard=self.shard,
            base=self.base,
            env_base=os.environ.get("MLCI_BASE") or None,
            pull=self.pull,
            repro=self.repro,
            tests=self.run_tests,
            emit=log.text,
            group=log.group,
        )

    @property
    def runs_project_code(self) -> bool:
        """Whether the run may start the pull request's code: DVC stages or its tests."""
        return self.pull is not False or self.repro is not False or self.run_tests


def pipeline_options(func: F) -> F:
    """--base, --pull, --repro, --tests, --results, --report, --fail-on, given to the
    command as one ``flags: PipelineFlags`` argument."""
    names = [field.name for field in dataclasses.fields(PipelineFlags) if field.name != "folder"]

    @functools.wraps(func)
    def with_flags(*args: Any, **kwargs: Any) -> Any:
        flags = PipelineFlags(**{name: kwargs.pop(name) for name in names})
        return func(*args, flags=flags, **kwargs)

    decorators = [
        click.option(
            "--base",
            metavar="REV",
            help="RevisionReader to compare against. Default: the CI event's base commit, else "
            "$MLCI_BASE, else the merge-base of HEAD with the base branch: `base:` in the "
            "mlci.yaml of the default branch (origin/HEAD), else that branch itself.",
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
            "results",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Where to write the results as JSON. Default: mlci-results.json at the "
            "project root (the folder with .dvc/), whichever folder mlci runs from.",
        ),
        click.option(
            "--report",
            "report",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Where to write the Markdown report (the PR comment); report.html goes "
            "beside it. Default: report.md at the project root.",
        ),
        fail_on_option("fail", "Lowest verdict that exits 1."),
        click.option(
            "--shard",
            metavar="NAME",
            help="Check one shard of a matrix: the DVC project that `shards:` in the "
            "base's mlci.yaml (at the repository's root) lists as NAME, else the project "
            "whose folder reads NAME (models/vision: models-vision). The results say "
            "whose they are; `mlci merge` makes one report of them.",
        ),
    ]
    wrapped: Any = with_flags
    for decorator in reversed(decorators):
        wrapped = decorator(wrapped)
    return cast(F, wrapped)


def _project_root() -> Path:
    """The DVC project that holds the working folder, else the working folder itself."""
    from mlci.safefs import dvc_root

    return dvc_root(Path.cwd()) or Path.cwd()


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
    flags = flags.located()
    flags.check_outputs()
    if flags.runs_project_code:
        _restart_without_secrets(ctx, None)
    from mlci.commands.check import check_and_report

    log = _actions_log()
    ctx.exit(
        check_and_report(
            flags.check_options(log),
            flags.results_path,
            flags.report_path,
            flags.fail_on,
            log,
            echo=click.echo,
        )
    )


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
    from mlci.commands.diff import diff_text

    text = diff_text(Path.cwd(), base, head, output_format, os.environ.get("MLCI_BASE") or None)
    _actions_log().text(text.removesuffix("\n"))


@cli.command()
@click.option(
    "--scenario",
    type=click.Choice(["pass", "fail", "noise", "drift"]),
    default="pass",
    show_default=True,
    help="pass: a param change within the gates; fail: one that breaks a gate; "
    "noise: accuracy drops by one test example, beyond the threshold but not "
    "significant (a warning); drift: a new data export whose distribution moved.",
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
    from mlci.commands.check import check_and_report
    from mlci.commands.demo import SCENARIOS, build_workspace
    from mlci.flow import CheckOptions
    from mlci.github.actions import ActionsLog

    root = workspace or Path(tempfile.mkdtemp(prefix="mlci-demo-"))
    click.secho(f"Building the demo workspace in {root}", bold=True)
    ws = build_workspace(root.resolve(), scenario, emit=_indent)
    click.secho(f"\nOn branch {ws.branch}: {SCENARIOS[scenario].summary}\n$ mlci check", bold=True)
    options = CheckOptions(path=ws.project, emit=_indent)
    code = check_and_report(
        options,
        ws.project / "mlci-results.json",
        ws.project / "report.md",
        "fail",
        ActionsLog(click.echo, active=False),  # the demo's own example project only
        echo=click.echo,
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
        from mlci.commands.publish import PublishOptions

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
            help="Environment variable that holds the token (in GitLab CI the default "
            "is MLCI_GITLAB_TOKEN; CI_JOB_TOKEN cannot post notes).",
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
    """Run the check in GitHub Actions or GitLab CI and publish it to the PR or MR.

    Everything `mlci check` does, then the comment, status and outputs. In GitLab CI
    (GITLAB_CI=true) the base is CI_MERGE_REQUEST_DIFF_BASE_SHA, the report is a
    sticky merge-request note and a commit status, and mlci-junit.xml and mlci.env
    are written for `artifacts:reports:junit` and `dotenv`.

    Reads the run from the runner's environment (GITHUB_EVENT_PATH, GITHUB_REPOSITORY,
    GITHUB_API_URL, ...): on a pull_request the base is the PR's base commit and the
    verdict goes to the PR's head commit. Writes mlci-results.json, report.md, the job
    summary, step outputs and annotations before posting anything, so a failed post
    (exit 4) loses nothing.
    """
    from mlci.commands.check import verdict_exit_code
    from mlci.commands.ci import run_ci
    from mlci.commands.publish import exit_code
    from mlci.render.markdown import render_terminal

    if flags.shard is not None:
        from mlci.github.actions import read_context

        flags = flags.located(read_context(publishing=False).base_sha)
    flags.check_outputs()
    publishing = _token_env_of(ctx, publishing)
    token = None
    if flags.runs_project_code:
        token = _restart_without_secrets(ctx, publishing.token_env)
    log = _actions_log()
    run = run_ci(
        flags.check_options(log),
        publishing,
        results_path=flags.results_path,
        report_path=flags.report_path,
        do_publish=do_publish,
        log=log,
        show=lambda results: log.text(render_terminal(results).removesuffix("\n")),
        token=token,
        warn=_warn,
    )
    _say_published(run, log)
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
@pr_option
@config_option(
    "mlci.yaml's path in the repository; its report.title is read from the pull "
    "request's base commit (never from the results file) unless --title is given."
)
@fail_on_option("never", "Lowest verdict that exits 1 (the gate itself is the status it posts).")
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
    from mlci.commands.check import verdict_exit_code
    from mlci.commands.publish import exit_code, run_publish

    publishing = dataclasses.replace(_token_env_of(ctx, publishing), config_path=config_path)
    log = _actions_log()
    run = run_publish(results_path, publishing, write=log.command, warn=_warn)
    _say_published(run, log)
    ctx.exit(exit_code(run, verdict_exit_code(run.results.verdict, fail_on)))


def _token_env_of(ctx: click.Context, publishing: PublishOptions) -> PublishOptions:
    """The forge's own token variable (mlci.forge.TOKEN_ENV: MLCI_GITLAB_TOKEN in GitLab
    CI) unless --token-env names one."""
    from mlci.forge import TOKEN_ENV, detect

    if ctx.get_parameter_source("token_env") == click.core.ParameterSource.DEFAULT:
        return dataclasses.replace(publishing, token_env=TOKEN_ENV[detect()])
    return publishing


@cli.command(name="merge")
@click.argument(
    "results", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="RESULTS..."
)
@click.option(
    "--expect",
    multiple=True,
    metavar="NAME",
    help="A shard that must have results (repeat for several); the base's mlci.yaml "
    "`shards:` are expected too when publishing (it is read through the API). A missing one "
    "fails the merge, by name.",
)
@publish_options
@pr_option
@config_option(
    "mlci.yaml's path in the repository, read at the pull request's base commit: "
    "its report.title and its shards."
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default="report.md",
    show_default=True,
    help="Where to write the merged Markdown report.",
)
@click.option(
    "--publish/--no-publish",
    "do_publish",
    default=True,
    help="Post the comment and status (default), or only write the merged report.",
)
@fail_on_option("fail", "Lowest merged verdict that exits 1.")
@click.pass_context
def merge_command(
    ctx: click.Context,
    results: tuple[Path, ...],
    expect: tuple[str, ...],
    publishing: PublishOptions,
    config_path: str,
    report_path: Path,
    do_publish: bool,
    fail_on: str,
) -> None:
    """Merge the shards of a matrix into one comment, one status, one job summary.

    RESULTS are the shards' results files (`mlci ci --shard NAME --no-publish`), or
    folders holding them (the artifacts `actions/download-artifact` put there, one
    folder each). Each is read as `mlci publish` reads one: validated, its verdict
    recomputed, for this run's head commit. The verdict is the worst shard's; a shard
    expected but missing, refused, or claimed twice fails, and the report names it.
    """
    from mlci.commands.check import verdict_exit_code
    from mlci.commands.merge import run_merge
    from mlci.safefs import check_writable

    check_writable(report_path)
    publishing = dataclasses.replace(publishing, config_path=config_path)
    log = _actions_log()
    run = run_merge(
        results,
        publishing,
        expect=expect,
        report_path=report_path,
        do_publish=do_publish,
        log=log,
    )
    merged = run.merged
    log.text(f"{merged.verdict}: {merged.summary()}   Report: {report_path}")
    if run.publish_error is not None:
        _print_error(f"mlci: error: {run.publish_error}\n  ({report_path} was written first)")
        ctx.exit(ExitCode.PUBLISH)
    if run.comment_url:
        click.echo(f"Comment: {run.comment_url}")
    if run.status:
        click.echo(f"Status: {run.status}")
    ctx.exit(verdict_exit_code(merged.verdict, fail_on))


def _say_published(run: CiRun, log: ActionsLog) -> None:
    if run.publish_error is not None:
        _print_error(
            f"mlci: error: {run.publish_error}\n"
            "  (mlci-results.json and report.md were written before publishing)"
        )
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
@click.option(
    "--gitlab",
    is_flag=True,
    help="Write .gitlab-ci.yml instead: a merge-request check job without the token and "
    "a publishing job that checks out nothing.",
)
@click.option(
    "--matrix",
    is_flag=True,
    help="Write one workflow with a `check` job per shard (the `shards:` of the root "
    "mlci.yaml, else each DVC project found: a folder with its own .dvc/) and one "
    "`publish` job running `mlci merge`.",
)
@click.option(
    "--force",
    "force",
    multiple=True,
    metavar="FILE",
    help="Replace FILE (a path from the repository root, as init prints it) even though "
    "it exists. Repeat for several.",
)
def init(fork_safe: bool, gitlab: bool, matrix: bool, force: tuple[str, ...]) -> None:
    """Write mlci.yaml and a GitHub Actions workflow (or, --gitlab, GitLab CI jobs).

    mlci.yaml gets a starting gate for each numeric metric the project has now and
    `base:` set to the default branch; the workflow runs `mlci ci` on every pull
    request with minimal permissions and installs exactly this mlci. Each missing
    file is written; existing ones are kept unless --force names them.
    """
    from mlci.commands.init import run_init, run_init_matrix

    if matrix and gitlab:
        raise UsageError(
            "--matrix and --gitlab cannot be combined",
            hint="the matrix workflow is GitHub Actions'; on GitLab, use `parallel: matrix`",
        )
    if matrix:
        report = run_init_matrix(Path.cwd(), fork_safe=fork_safe, force=force)
    else:
        report = run_init(Path.cwd(), fork_safe=fork_safe, force=force, gitlab=gitlab)
    for written in report.files:
        click.echo(f"{written.action} {written.path} ({written.description})")
    for note in report.notes:
        click.secho(f"note: {note}", fg="yellow")
    if any(written.action != "kept" for written in report.files):
        click.echo(
            "Next: review mlci.yaml's thresholds, commit the files, and open a pull request."
        )


def _indent(line: str) -> None:
    click.echo(f"  {line}")


def main() -> NoReturn:
    """The ``mlci`` console script (and ``python -m mlci``)."""
    from mlci import tokens

    # First of all: a token handed over by the process this one replaced (mlci.tokens).
    process = Process(handed_token=tokens.receive())
    with _few_collections():
        try:
            cli(prog_name="mlci", obj=process)  # standalone mode: always ends in SystemExit
        except SystemExit as exc:
            code = exc.code
        else:  # pragma: no cover
            code = 0
    # What is left is the interpreter's shutdown, whose garbage collection over the
    # ~300,000 objects DVC, GitPython and DuckDB leave behind took 0.15 s (median of 8,
    # benchmarks/RESULTS.md). Frozen objects are never scanned again: 0.017 s, with
    # Python's normal shutdown (threads joined, atexit handlers run, streams flushed).
    gc.freeze()
    sys.exit(code)


@contextlib.contextmanager
def _few_collections() -> Iterator[None]:
    """Collect the young generation every 100,000 allocations during the run, not 700.

    A check imports DVC, DuckDB and Jinja: ~300,000 objects that live until
    the process ends, which Python's default thresholds (700, 10, 10) scan over and over
    while they are created; ~0.07 s of a 1 s check (measured). Cyclic garbage is still
    collected, only less often. The old thresholds come back afterwards.
    """
    saved = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*saved)


if __name__ == "__main__":  # pragma: no cover
    main()
