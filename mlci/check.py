"""One run of the flow: resolve -> prepare -> measure -> judge, returning Results.

Nothing here prints except through ``emit`` (DVC's streamed output) and nothing
here knows about GitHub or click.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from mlci import __version__, dvc, gates
from mlci.checks.tests import run_tests
from mlci.config import CONFIG_FILE, Config, parse_config
from mlci.git import Repository, Rev, scrub_hook_env
from mlci.metrics import diff_values
from mlci.results import (
    DatasetReport,
    LoadError,
    PipelineRun,
    Plots,
    Results,
    RevInfo,
    TestRun,
    verdict_of,
)


def _no_group(title: str) -> AbstractContextManager[None]:
    return nullcontext()


@dataclass(frozen=True)
class CheckOptions:
    path: Path
    base: str | None = None
    pull: bool | None = None  # None: as mlci.yaml says (default on)
    repro: bool | None = None
    emit: Callable[[str], None] = print
    # What to call the head in the report (CI: the PR's branch and head commit,
    # not the merge commit that is checked out). None: the checked-out HEAD.
    head: RevInfo | None = None
    # Wraps each DVC step's streamed output (CI: ::group:: ... ::endgroup::).
    group: Callable[[str], AbstractContextManager[None]] = _no_group
    tests: bool = True  # run the project's tests (`tests:` in mlci.yaml)


@dataclass(frozen=True)
class Project:
    """Where we are: the git work tree, the DVC root inside it, and the head's config."""

    git: Repository
    dvc_root: Path
    config_relpath: str  # mlci.yaml relative to the git root, posix
    head_config: Config | None


def open_project(path: Path) -> Project:
    scrub_hook_env()
    repo = Repository(path)
    dvc_root = dvc.find_root(path.resolve(), repo.root.resolve())
    config_path = dvc_root / CONFIG_FILE
    relpath = config_path.relative_to(repo.root.resolve()).as_posix()
    head_config = None
    if config_path.is_file():
        head_config = parse_config(config_path.read_text(encoding="utf-8"), relpath)
    return Project(git=repo, dvc_root=dvc_root, config_relpath=relpath, head_config=head_config)


def _base_config(project: Project, base: Rev) -> Config | None:
    text = project.git.read_file(base.sha, project.config_relpath)
    if text is None:
        return None
    return parse_config(text, f"{project.config_relpath} at base {base.short}")


def _prepare(
    project: Project, options: CheckOptions, config: Config, repo: dvc.DvcRepo
) -> PipelineRun:
    want_pull = config.pipeline.pull if options.pull is None else options.pull
    want_repro = config.pipeline.repro if options.repro is None else options.repro
    skipped: list[str] = []
    status = repo.status()
    pulled = False
    if not want_pull:
        skipped.append("dvc pull skipped (--no-pull).")
    elif not status.missing_outputs:
        pass  # everything the pipeline needs is already in the workspace
    elif not repo.has_remote():
        skipped.append("dvc pull skipped: no DVC remote is configured.")
    else:
        repo.close()  # DVC's lock is the child's now; reopened (and re-read) after it
        with options.group("dvc pull"):
            dvc.run_dvc(project.dvc_root, ["pull"], options.emit, what="pull")
        pulled = True
        status = repo.status()  # what is still out of date after the pull
    reproduced: tuple[str, ...] = ()
    if not want_repro:
        skipped.append("dvc repro skipped (--no-repro): metrics are the workspace's as they are.")
    elif status.stale_stages:
        repo.close()
        with options.group("dvc repro"):
            dvc.run_dvc(project.dvc_root, ["repro"], options.emit, what="repro")
        reproduced = status.stale_stages
    return PipelineRun(pulled=pulled, reproduced=reproduced, skipped=tuple(skipped))


@dataclass(frozen=True)
class Measured:
    base_metrics: dvc.Snapshot
    head_metrics: dvc.Snapshot
    base_params: dvc.Snapshot
    head_params: dvc.Snapshot
    plots: Plots | None = None
    data: tuple[DatasetReport, ...] = ()


def measure(
    repo: dvc.DvcRepo,
    base_rev: str,
    head_rev: str,
    *,
    plots: bool = True,
    data: Callable[[dvc.Revision], tuple[DatasetReport, ...]] | None = None,
) -> Measured:
    """Metrics, params and (optionally) plots at both revisions, and ``data(base)``:
    the data checks, given the base revision to read the base's data from.

    Head first, while the index ``dvc status`` built for the workspace is still there;
    then base, every read in one switch to it. On an up-to-date workspace DVC builds
    its index twice per check: once for the workspace, once for the base.
    """
    with repo.at(head_rev, "head") as head:
        head_metrics, head_params = head.metrics(), head.params()
    head_plots = repo.plots(head_rev) if plots else None
    with repo.at(base_rev, "base") as base:
        base_metrics, base_params = base.metrics(), base.params()
        reports = data(base) if data is not None else ()
    base_plots = repo.plots(base_rev) if plots else None
    return Measured(
        base_metrics=base_metrics,
        head_metrics=head_metrics,
        base_params=base_params,
        head_params=head_params,
        plots=dvc.combine_plots(base_plots, head_plots) if plots else None,
        data=reports,
    )


def compare(
    project: Project,
    base: Rev,
    head: RevInfo,
    found: Measured,
    *,
    base_config: Config | None = None,
    head_config: Config | None = None,
    pipeline: PipelineRun | None = None,
    notes: tuple[str, ...] = (),
    tests: TestRun | None = None,
) -> Results:
    """Diff what was measured at both revisions and apply the gates."""
    metrics = diff_values(found.base_metrics.values, found.head_metrics.values)
    params = diff_values(found.base_params.values, found.head_params.values)
    errors = tuple(
        LoadError(rev=e.rev, file=e.file, message=e.message)
        for snapshot in (found.base_metrics, found.head_metrics)
        for e in snapshot.errors
    ) + tuple(
        LoadError(rev=e.rev, file=e.file, message=e.message)
        for snapshot in (found.base_params, found.head_params)
        for e in snapshot.errors
    )
    results_gates = gates.evaluate(metrics, base_config, head_config, errors)
    config = head_config or base_config or Config()
    return Results(
        title=(base_config or config).report.title,
        verdict=verdict_of(results_gates, found.data, tests),
        base=RevInfo(name=base.name, sha=base.sha),
        head=head,
        metrics=metrics,
        params=params,
        gates=results_gates,
        errors=errors,
        notes=notes,
        pipeline=pipeline,
        fold_unchanged=config.report.fold_unchanged,
        config_file=project.config_relpath if (base_config or head_config) else None,
        mlci_version=__version__,
        tests=tests,
        plots=found.plots,
        data=found.data,
    )


def _run_tests(
    project: Project, options: CheckOptions, base: Config | None, head: Config | None
) -> TestRun | None:
    """The base's test command if it has one (a pull request cannot swap it), else the head's."""
    settings = (base.tests if base else None) or (head.tests if head else None)
    if settings is None or not options.tests:
        return None
    with options.group(f"tests: {settings.command}"):
        return run_tests(
            settings.command,
            project.dvc_root,
            options.emit,
            junit=settings.junit,
            severity=settings.severity,
        )


def _check_data(
    project: Project, base_config: Config | None, head_config: Config | None
) -> Callable[[dvc.Revision], tuple[DatasetReport, ...]] | None:
    """The data checks mlci.yaml declares, to run with the base revision at hand."""
    if not any(config and config.data for config in (base_config, head_config)):
        return None

    def check(base: dvc.Revision) -> tuple[DatasetReport, ...]:
        from mlci.checks.run import check_data  # DuckDB: only when data checks are declared

        return check_data(project.dvc_root, base, base_config, head_config)

    return check


def run_check(options: CheckOptions) -> Results:
    """`mlci check`: resolve base and head, re-run the pipeline, diff and gate."""
    project = open_project(options.path)
    config = project.head_config or Config()
    base = project.git.resolve_base(options.base, config.base)
    head = project.git.head()
    base_config = _base_config(project, base)
    notes: list[str] = []
    if base_config is None and project.head_config is None:
        notes.append(f"No {CONFIG_FILE} at base or head: metrics are shown, nothing is gated.")
    elif base_config is None:
        notes.append(f"No {CONFIG_FILE} at base: the gates come from this branch's file.")
    with dvc.DvcRepo(project.dvc_root) as repo:
        pipeline = _prepare(project, options, config, repo)
        found = measure(
            repo,
            base.sha,
            dvc.WORKSPACE,
            data=_check_data(project, base_config, project.head_config),
        )
    # After DVC's lock is released: the project's tests may run DVC themselves.
    tests = _run_tests(project, options, base_config, project.head_config)
    return compare(
        project,
        base,
        options.head or RevInfo(name=head.name, sha=head.sha),
        found,
        base_config=base_config,
        head_config=project.head_config,
        pipeline=pipeline,
        notes=tuple(notes),
        tests=tests,
    )


def run_diff(path: Path, base: str | None, head: str | None) -> Results:
    """`mlci diff`: metrics and params between two revisions, no pipeline, no gates."""
    project = open_project(path)
    config = project.head_config or Config()
    base_rev = project.git.resolve(base) if base else project.git.resolve_base(None, config.base)
    if head:
        head_rev = project.git.resolve(head)
        head_info = RevInfo(name=head_rev.name, sha=head_rev.sha)
        head_ref = head_rev.sha
    else:
        head_info = RevInfo(name="workspace", sha="workspace")
        head_ref = dvc.WORKSPACE
    with dvc.DvcRepo(project.dvc_root) as repo:
        found = measure(repo, base_rev.sha, head_ref, plots=False)
    return compare(project, base_rev, head_info, found)
