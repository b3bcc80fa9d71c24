"""One run of the flow: resolve -> prepare -> measure -> judge, returning Results.

Nothing here prints except through ``emit`` (DVC's streamed output) and nothing
here knows about GitHub or click.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, TypeVar

from mlci import __version__, dvc
from mlci.checks.suite import run_tests
from mlci.config import CONFIG_FILE, Config, MetricRule, ShardConfig, parse_config
from mlci.errors import ConfigError, GitError, MlciError, UsageError
from mlci.git.repo import Repository, checked_revision, scrub_hook_env
from mlci.judge import gates
from mlci.judge.diff import diff_values, direction
from mlci.judge.policy import Policy, choose_base
from mlci.results import (
    Change,
    DatasetReport,
    GateResult,
    PipelineRun,
    Plots,
    Results,
    RevInfo,
    TestRun,
    verdict_of,
)

if TYPE_CHECKING:
    from mlci.checks.paired import PredictionsOutcome
    from mlci.render.markdown import Report

T_co = TypeVar("T_co", covariant=True)


def _no_group(title: str) -> AbstractContextManager[None]:
    return nullcontext()


@dataclass(frozen=True)
class CheckOptions:
    path: Path
    base: str | None = None  # --base
    # The CI event's base commit (a pull request's base.sha, a push's `before`), and
    # $MLCI_BASE: used, in that order, when there is no --base.
    event_base: str | None = None
    env_base: str | None = None
    pull: bool | None = None  # None: as mlci.yaml says (default on)
    repro: bool | None = None
    emit: Callable[[str], None] = print
    # What to call the head in the report (CI: the PR's branch and head commit,
    # not the merge commit that is checked out). None: the checked-out HEAD.
    head: RevInfo | None = None
    # Wraps each DVC step's streamed output (CI: ::group:: ... ::endgroup::).
    group: Callable[[str], AbstractContextManager[None]] = _no_group
    tests: bool = True  # run the project's tests (`tests:` in mlci.yaml)
    shard: str | None = None  # `--shard NAME`: the results say whose they are


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
    head_config = work_tree_config(repo.root.resolve(), config_path, relpath)
    return Project(git=repo, dvc_root=dvc_root, config_relpath=relpath, head_config=head_config)


def _config_at(project: Project, rev: str, label: str) -> tuple[Config | None, str | None]:
    """The mlci.yaml at ``rev`` (None when there is none), or why it cannot be read."""
    source = f"{project.config_relpath} at {label}"
    try:
        text = project.git.read_file(rev, project.config_relpath)
        return (None if text is None else parse_config(text, source)), None
    except (ConfigError, GitError) as exc:  # a broken file, or not a readable one
        return None, str(exc)


def resolve_base(project: Project, options: CheckOptions) -> tuple[RevInfo, tuple[str, ...]]:
    """The revision to compare against, as the policy orders the candidates, and notes."""
    default_config = None
    default_where = ""
    default_branch = None
    if not (options.base or options.event_base or options.env_base):
        default_branch = project.git.default_branch()
        ref = project.git.branch_ref(default_branch) if default_branch else None
        if ref is not None:
            default_where = f"{project.config_relpath} on {default_branch}"
            default_config, _ = _config_at(project, ref, default_branch or ref)
    choice = choose_base(
        explicit=options.base,
        event_base=options.event_base,
        env_base=options.env_base,
        default_branch=default_branch,
        default_config=default_config,
        default_config_where=default_where,
        head_config=project.head_config,
    )
    if choice.revision is not None:
        return project.git.resolve(choice.revision, choice.where), choice.notes
    assert choice.branch is not None
    return project.git.resolve_base(choice.branch, choice.where), choice.notes


def make_policy(project: Project, base: RevInfo, notes: tuple[str, ...] = ()) -> Policy:
    """The policy of this run: the base's mlci.yaml (at the base commit) and the head's."""
    base_config, base_error = _config_at(project, base.sha, f"base {base.short}")
    found = list(notes)
    if base_error is not None:
        found.append(
            f"The base's {CONFIG_FILE} is broken, so this branch's file gates this run "
            f"(fix it on the base branch): {base_error}"
        )
    elif base_config is None and project.head_config is None:
        found.append(f"No {CONFIG_FILE} at base or head: metrics are shown, nothing is gated.")
    elif base_config is None:
        found.append(f"No {CONFIG_FILE} at base: the gates come from this branch's file.")
    return Policy(
        base_config=base_config,
        head_config=project.head_config,
        base_error=base_error,
        config_file=project.config_relpath,
        notes=tuple(found),
    )


# What `dvc repro` prints for each stage it runs, or restores from the run-cache.
_RAN_STAGE = re.compile(r"^Running stage '([^']+)'")
_RESTORED_STAGE = re.compile(r"^Stage '([^']+)' is cached - skipping run")


def _prepare(
    project: Project, options: CheckOptions, policy: Policy, repo: dvc.DvcRepo
) -> PipelineRun:
    decision = policy.pipeline(options.pull, options.repro)
    want_pull, want_repro = decision.pull, decision.repro
    skipped: list[str] = list(decision.notes)
    status = repo.status()
    skipped += [f"DVC cannot tell whether {entry}" for entry in status.unknown]
    pulled = False
    if not want_pull:
        skipped.append(f"dvc pull skipped ({_why_off(options.pull, policy, 'pull')}).")
    elif not status.missing_outputs and not (decision.run_cache and status.stale_stages):
        pass  # everything the pipeline needs is already in the workspace
    elif not repo.has_remote():
        skipped.append("dvc pull skipped: no DVC remote is configured.")
    else:
        repo.close()  # DVC's lock is the child's now; reopened (and re-read) after it
        with options.group("dvc pull"):
            # An output nobody pushed is no reason to stop: `dvc repro` rebuilds it.
            # --run-cache (pipeline.run_cache): the remote's stage runs too, which
            # `dvc repro` restores instead of re-running (it does so by default).
            run_cache = ["--run-cache"] if decision.run_cache else []
            dvc.run_dvc(
                project.dvc_root, ["pull", "--allow-missing", *run_cache], options.emit, what="pull"
            )
        pulled = True
        status = repo.status()  # what is still out of date after the pull
        if status.missing_outputs:
            missing = ", ".join(status.missing_outputs)
            skipped.append(
                f"Not in the DVC remote, so rebuilt by dvc repro: {missing}."
                if want_repro
                else f"Not in the DVC remote and not rebuilt (dvc repro is off): {missing}."
            )
    reproduced: tuple[str, ...] = ()
    if not want_repro:
        skipped.append(
            f"dvc repro skipped ({_why_off(options.repro, policy, 'repro')}): metrics are "
            "the workspace's as they are."
        )
    elif status.stale_stages:
        repo.close()
        ran: list[str] = []
        restored: list[str] = []

        def watch(line: str) -> None:
            for pattern, found in ((_RAN_STAGE, ran), (_RESTORED_STAGE, restored)):
                if match := pattern.match(line):
                    found.append(match.group(1))
            options.emit(line)

        before = project.git.changed_files()
        with options.group("dvc repro"):
            # --pull with pipeline.run_cache: a stage's run found in the run-cache is
            # restored only when its outputs are in the local cache; `dvc pull
            # --run-cache` fetches the runs but not those outputs (DVC 3.67), and
            # `dvc repro --pull` fetches them from the remote as it restores.
            pull = ["--pull"] if decision.run_cache else []
            dvc.run_dvc(project.dvc_root, ["repro", *pull], watch, what="repro")
        reproduced = tuple(ran) or status.stale_stages
        if restored:
            skipped.append(f"Restored from DVC's run-cache, not re-run: {', '.join(restored)}.")
        changed = sorted(set(project.git.changed_files()) - set(before))
        if changed:
            skipped.append(
                f"dvc repro changed {', '.join(changed)}: commit them (and `dvc push` the "
                "outputs) so the branch holds what was measured."
            )
    return PipelineRun(pulled=pulled, reproduced=reproduced, skipped=tuple(skipped))


def _why_off(flag: bool | None, policy: Policy, name: str) -> str:
    if flag is not None:
        return f"--no-{name}"
    return f"pipeline.{name}: false in the base's {policy.config_file}"


@dataclass(frozen=True)
class Measured:
    base_metrics: dvc.Snapshot
    head_metrics: dvc.Snapshot
    base_params: dvc.Snapshot
    head_params: dvc.Snapshot
    plots: Plots | None = None
    data: tuple[DatasetReport, ...] = ()
    predictions: PredictionsOutcome | None = None


class BaseWork(Protocol[T_co]):
    """Work of a check on files of both revisions, made before the pipeline runs (its
    imports start in a child meanwhile: :mod:`mlci.background`): :meth:`with_head` is
    called once the pipeline has run, :meth:`with_base` inside DVC's switch to the
    base, :meth:`result` after it."""

    def with_head(self) -> None: ...

    def with_base(self, base: dvc.RevisionReader) -> None: ...

    def result(self) -> T_co: ...


def measure(
    repo: dvc.DvcRepo,
    base_rev: str,
    head_rev: str,
    *,
    plots: bool = True,
    data: BaseWork[tuple[DatasetReport, ...]] | None = None,
    predictions: BaseWork[PredictionsOutcome] | None = None,
) -> Measured:
    """Metrics, params and (optionally) plots at both revisions, with the data checks
    and the paired comparison of predictions (``data``, ``predictions``), which read
    their base files at the base revision.

    Head first, while the index ``dvc status`` built for the workspace is still there;
    then base, every read in one switch of DVC to it. The data checks start on the
    head's files before anything else, and they and the comparison fetch their base
    files first in the switch, so that their computations (DuckDB, numpy: no DVC) run
    in children on another core while DVC reads values and plots here
    (:mod:`mlci.background`). When nothing else needs DVC (no plots, no data: `mlci
    diff`), metrics and params come straight from git objects
    where the project's shape allows (:meth:`dvc.DvcRepo.values`): DVC is then not
    even imported. When DVC reads plots or data at a revision anyway, its index is
    built for them, and the values read inside the same switch cost less than reading
    git objects beside it (measured: benchmarks/RESULTS.md).
    """
    if not plots and data is None and predictions is None:
        head_metrics, head_params = repo.values(head_rev, "head")
        base_metrics, base_params = repo.values(base_rev, "base")
        return Measured(
            base_metrics=base_metrics,
            head_metrics=head_metrics,
            base_params=base_params,
            head_params=head_params,
            plots=None,
            data=(),
            predictions=None,
        )
    for work in (data, predictions):
        if work is not None:
            work.with_head()
    with repo.at(head_rev, "head") as head:
        head_metrics, head_params = head.metrics(), head.params()
    head_plots = repo.plots(head_rev) if plots else None
    with repo.at(base_rev, "base") as base:
        for work in (predictions, data):  # the longest computation first
            if work is not None:
                work.with_base(base)
        base_metrics, base_params = base.metrics(), base.params()
    base_plots = repo.plots(base_rev) if plots else None
    if plots:
        _meanwhile()
    reports = data.result() if data is not None else ()
    compared = predictions.result() if predictions is not None else None
    return Measured(
        base_metrics=base_metrics,
        head_metrics=head_metrics,
        base_params=base_params,
        head_params=head_params,
        plots=dvc.combine_plots(base_plots, head_plots) if plots else None,
        data=reports,
        predictions=compared,
    )


def _meanwhile() -> None:
    """Import what writing the report needs while the children finish their work.

    The parent waits for them next (the paired comparison of the demo's predictions
    ends about 40 ms after DVC's last read); the templates' modules (jinja2) and the
    terminal's tables (tabulate), about 30 ms of imports, are then off the critical
    path. When the children are done already, this is what the report would have
    imported anyway.
    """
    import tabulate  # noqa: F401

    import mlci.render.html  # noqa: F401  (jinja2, the markdown report's module)


def compare(
    project: Project,
    base: RevInfo,
    head: RevInfo,
    found: Measured,
    *,
    policy: Policy | None = None,
    pipeline: PipelineRun | None = None,
    notes: tuple[str, ...] = (),
    tests: TestRun | None = None,
) -> Results:
    """Diff what was measured at both revisions and apply the policy's gates."""
    policy = policy or Policy(base_config=None, head_config=None)
    rules = policy.metric_rules()
    index = gates.RuleIndex([rule for rule, _source in rules])
    metrics = diff_values(
        found.base_metrics.values,
        found.head_metrics.values,
        unreadable_at_base={e.file for e in found.base_metrics.errors},
        better=lambda file, key: _better(file, key, rules, index),
    )
    predicted = found.predictions
    if predicted is not None:
        metrics += tuple(
            dataclasses.replace(change, level=_level(change, rules)) for change in predicted.changes
        )
    params = diff_values(
        found.base_params.values,
        found.head_params.values,
        unreadable_at_base={e.file for e in found.base_params.errors},
    )
    errors = (
        *found.base_metrics.errors,
        *found.head_metrics.errors,
        *found.base_params.errors,
        *found.head_params.errors,
        *((predicted.error,) if predicted is not None and predicted.error else ()),
    )
    results_gates = gates.evaluate(metrics, rules, errors)
    if policy.base_error is not None:
        results_gates += (
            GateResult(
                key="*",
                file=policy.config_file,
                rule=f"the base's {policy.config_file} must be valid",
                check="readable",
                outcome="warn",
                reason=f"the base's {policy.config_file} is broken; this branch's file was used",
                severity="warn",
                source="mlci",
            ),
        )
    return Results(
        title=policy.report.title,
        verdict=verdict_of(results_gates, found.data, tests),
        base=base,
        head=head,
        metrics=metrics,
        params=params,
        gates=results_gates,
        errors=errors,
        notes=(*policy.notes, *notes, *_predictions_notes(predicted)),
        pipeline=pipeline,
        fold_unchanged=policy.report.fold_unchanged,
        config_file=project.config_relpath if policy.gated() else None,
        mlci_version=__version__,
        tests=tests,
        plots=found.plots,
        data=found.data,
        predictions=predicted.run if predicted is not None else None,
    )


def _predictions_notes(predicted: PredictionsOutcome | None) -> tuple[str, ...]:
    """What a reviewer needs to read the intervals: how many examples were compared,
    how, and which were left out."""
    if predicted is None or predicted.run.error is not None:
        return ()
    run = predicted.run
    head = (
        f"Metrics from {run.path}: {run.rows:,} examples ({run.task}) compared at base and "
        f"head; intervals of the change at {run.confidence:.0%} from {run.resamples:,} "
        "paired bootstrap resamples; accuracy's p-value is McNemar's exact test."
    )
    return (head, *(f"{run.path}: {note}." for note in run.notes))


def _level(change: Change, rules: Sequence[tuple[MetricRule, str]]) -> float | None:
    """The level the report calls a change significant at: the strictest significance of
    the rules that gate it, else the run's (1 - confidence)."""
    levels = [
        rule.significance
        for rule, _source in rules
        if rule.significance is not None and gates.matches(rule, change)
    ]
    return min(levels) if levels else change.level


def _better(
    file: str, key: str, rules: Sequence[tuple[MetricRule, str]], index: gates.RuleIndex
) -> Literal["higher", "lower"] | None:
    """Which way ``key`` is better: the first rule that gates it says, else its name."""
    for i in index.matching(file, key)[:1]:
        return "higher" if rules[i][0].higher_is_better else "lower"
    return direction(key)


def _run_tests(project: Project, options: CheckOptions, policy: Policy) -> TestRun | None:
    """The test command the policy chooses (the base's when it names one)."""
    settings = policy.tests()
    if settings is None or not options.tests:
        return None
    with options.group(f"tests: {settings.command}"):
        return run_tests(
            settings.command,
            project.dvc_root,
            options.emit,
            junit=settings.junit,
            severity=settings.severity,
            max_bytes=policy.max_file_bytes,
        )


def _data_checks(
    project: Project, policy: Policy, repo: dvc.DvcRepo, stack: contextlib.ExitStack
) -> BaseWork[tuple[DatasetReport, ...]] | None:
    """The data checks the policy declares (their imports started)."""
    if not policy.data_rules():
        return None
    from mlci.checks.datasets import DataChecks

    return DataChecks(project.dvc_root, policy.data_rules(), stack, boundary=repo.boundary)


def _paired_comparison(
    project: Project, policy: Policy, repo: dvc.DvcRepo, stack: contextlib.ExitStack
) -> BaseWork[PredictionsOutcome] | None:
    """The paired comparison of predictions the policy declares, its imports started."""
    declared = policy.predictions()
    if declared is None:
        return None
    from mlci.checks.paired import PairedComparison

    spec, source = declared
    return PairedComparison(project.dvc_root, spec, source, stack, boundary=repo.boundary)


def refuse_yaml_bombs(project: Project) -> None:
    """Before DVC parses the pull request's YAML (dvc.yaml, dvc.lock, .dvc files,
    params.yaml, `vars:` files, YAML metrics), refuse one whose aliases would expand it
    past any job's time: DVC expands every alias it reads."""
    from mlci import safefs
    from mlci.config import check_dvc_yaml

    root = project.git.root.resolve()
    for path in project.git.tracked_files(project.dvc_root, "*.yaml", "*.yml", "*.dvc", "dvc.lock"):
        try:
            text = safefs.read_text(root, path)
        except MlciError:
            continue  # not a regular file inside the checkout: mlci's reads refuse it anyway
        check_dvc_yaml(text, path.relative_to(root).as_posix())


def run_check(options: CheckOptions) -> Results:
    """`mlci check`: resolve base and head, re-run the pipeline, diff and gate."""
    project = open_project(options.path)
    refuse_yaml_bombs(project)
    base, notes = resolve_base(project, options)
    head = project.git.head()
    policy = make_policy(project, base, notes)
    with (
        dvc.DvcRepo(project.dvc_root, max_bytes=policy.max_file_bytes, git=project.git) as repo,
        contextlib.ExitStack() as stack,  # the base's copies, and the children computing
    ):
        # Made first: their children import DuckDB and numpy while DVC is imported.
        data = _data_checks(project, policy, repo, stack)
        predictions = _paired_comparison(project, policy, repo, stack)
        pipeline = _prepare(project, options, policy, repo)
        found = measure(repo, base.sha, dvc.WORKSPACE, data=data, predictions=predictions)
    # After DVC's lock is released: the project's tests may run DVC themselves.
    tests = _run_tests(project, options, policy)
    results = compare(
        project,
        base,
        options.head or head,
        found,
        policy=policy,
        pipeline=pipeline,
        tests=tests,
    )
    if options.shard is None:
        return results
    # The shard's name in its title: its report, alone, is "Model report (nlp)", and a
    # shard that publishes by itself never takes the merged comment's marker or status.
    title = f"{results.title} ({options.shard})"
    return dataclasses.replace(results, shard=options.shard, title=title)


def run_diff(
    path: Path, base: str | None, head: str | None, *, env_base: str | None = None
) -> Results:
    """`mlci diff`: metrics and params between two revisions, no pipeline, no gates.
    The base defaults as for `mlci check` (``env_base``: $MLCI_BASE)."""
    for rev, flag in ((base, "--base"), (env_base, "$MLCI_BASE"), (head, "--head")):
        if rev:
            checked_revision(rev, flag)  # all of them, before git is asked anything
    project = open_project(path)
    base_rev, _ = resolve_base(project, CheckOptions(path=path, base=base, env_base=env_base))
    if head:
        head_info = project.git.resolve(head, "--head")
        head_ref = head_info.sha
    else:
        head_info = RevInfo(name="workspace", sha="workspace")
        head_ref = dvc.WORKSPACE
    with dvc.DvcRepo(project.dvc_root, git=project.git) as repo:
        found = measure(repo, base_rev.sha, head_ref, plots=False)
    return compare(project, base_rev, head_info, found)


def write_outputs(report: Report, results_path: Path, report_path: Path) -> Path | None:
    """Write mlci-results.json, report.md and, for a check (which reads plots),
    report.html beside report.md: the verdict and why, then the charts. Returns the
    HTML file's path, if written.

    Each file replaces whatever is at its name, a symlink included, without following
    it (:func:`mlci.safefs.write_text`): a pull request may commit ``report.md`` as a
    link to a file outside the checkout."""
    from mlci.safefs import write_text

    results = report.results
    results.write(results_path)
    write_text(report_path, report.markdown())
    if results.plots is None:
        return None
    from mlci.render.html import render_html

    html_path = report_path.with_name("report.html")
    write_text(html_path, render_html(results))
    return html_path


# --- shards: one job of a matrix runs one DVC project of the repository ----------------


@dataclass(frozen=True)
class ShardPlace:
    """Where `--shard NAME` runs, and whose word it was."""

    name: str
    folder: Path
    where: str  # "mlci.yaml at base 1a2b3c4", "the DVC projects found in the work tree"


def discover_projects(repo: Repository, rev: str | None = None) -> tuple[ShardConfig, ...]:
    """Each DVC project git tracks (a folder with its own ``.dvc/``), as a shard named
    after its folder (``models/vision`` -> ``models-vision``; the root: ``root``): at
    revision ``rev`` (the base: what a pull request cannot rename), else in the work
    tree."""
    root = repo.root.resolve()
    if rev is not None:
        folders = sorted(
            {
                "." if path == ".dvc/config" else path.removesuffix("/.dvc/config")
                for path in repo.files_named_at(rev, "config")
                if path == ".dvc/config" or path.endswith("/.dvc/config")
            }
        )
    else:
        folders = sorted(
            {
                path.parent.parent.relative_to(root).as_posix()
                for path in repo.tracked_files(root, ".dvc/config")
            }
        )
    shards: list[ShardConfig] = []
    for folder in folders:
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", folder).strip("-._")[:60] or "project"
        name = "root" if folder == "." else name
        taken = {shard.name for shard in shards}
        # Two folders that read alike (a-b/c, a/b-c): the later one, in path order, gets
        # a number; `--shard` finds the projects the same way, so names stay stable.
        unique = name
        for number in range(2, len(folders) + 2):
            if unique not in taken:
                break
            unique = f"{name}-{number}"
        shards.append(ShardConfig(name=unique, path=folder))
    return tuple(shards)


def locate_shard(options: CheckOptions, name: str) -> ShardPlace:
    """The folder shard ``name`` runs in. The base decides, as for every rule: the
    ``shards:`` of the mlci.yaml at the repository's root on the base revision; if the
    base lists none, the DVC projects the base commit holds, named after their folders.
    Only a name the base does not know (a project new in this branch) is looked up in
    this branch's list, then its work tree: a pull request cannot move a shard the
    base knows, by its own list or by a folder whose name sorts first."""
    repo = Repository(options.path)
    root = repo.root.resolve()
    head_config = work_tree_config(root, root / CONFIG_FILE, CONFIG_FILE)
    project = Project(git=repo, dvc_root=root, config_relpath=CONFIG_FILE, head_config=head_config)
    base, _ = resolve_base(project, options)
    base_config, _error = _config_at(project, base.sha, f"base {base.short}")
    listed: tuple[ShardConfig, ...]
    if base_config is not None and base_config.shards:
        listed, where = base_config.shards, f"{CONFIG_FILE} at base {base.short}"
    else:
        listed, where = discover_projects(repo, base.sha), f"the DVC projects at base {base.short}"
        if not any(shard.name == name for shard in listed):
            if head_config is not None and head_config.shards:
                listed, where = head_config.shards, f"this branch's {CONFIG_FILE}"
            else:
                listed = discover_projects(repo)
                where = "the DVC projects in this branch (none of that name at base)"
    found = next((shard for shard in listed if shard.name == name), None)
    if found is None:
        names = ", ".join(shard.name for shard in listed) or "none"
        raise UsageError(
            f"--shard {name}: not a shard of {where} (shards: {names})",
            hint=f"list it under `shards:` in {CONFIG_FILE} at the repository's root",
        )
    from mlci import safefs

    folder = root / found.path
    lexical = Path(os.path.normpath(folder))
    # The folder as the list names it, not where a symlink the branch committed leads.
    if (
        not safefs.is_inside(root, folder)
        or not folder.is_dir()
        or Path(os.path.realpath(folder)) != lexical
    ):
        raise UsageError(
            f"--shard {name}: its folder {found.path} (from {where}) is not a folder of the "
            "repository",
            hint=f"fix its path: in {CONFIG_FILE}",
        )
    if not (folder / ".dvc").is_dir():
        # A dvc.yaml inside a larger project: mlci would run, measure and gate the whole
        # project under this shard's name. Refuse rather than report the wrong thing.
        raise UsageError(
            f"--shard {name}: its folder {found.path} (from {where}) is not a DVC project "
            "of its own (no .dvc/ there); mlci checks a whole DVC project",
            hint=f"run `dvc init --subdir` in {found.path}, or point the shard at the "
            "project's folder",
        )
    return ShardPlace(name=name, folder=folder, where=where)


def work_tree_config(boundary: Path, path: Path, relpath: str) -> Config | None:
    """An mlci.yaml as this branch's work tree has it (None: there is none)."""
    if not (path.is_symlink() or path.exists()):
        return None
    from mlci import safefs

    try:
        text = safefs.read_text(boundary, path)
    except safefs.UnsafePathError as exc:
        raise ConfigError(
            f"cannot read {relpath}: {exc.reason}",
            hint=f"commit {CONFIG_FILE} as a regular file in the repository",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {relpath}: {exc}") from None
    return parse_config(text, relpath)
