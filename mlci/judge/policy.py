"""Whose word counts: the one place that decides what a pull request may and may not change.

The threat model in short. The pull request is the attacker. It controls its branch
name, its code (and so every DVC stage and test that runs), its metrics, params,
plots and data files, its ``dvc.yaml`` and its own ``mlci.yaml``. The base branch is
trusted: it holds what reviewers already merged. So every decision that makes a gate
mean something comes from the base, and the head may only add to it:

- the revision to compare against: the command line, the CI event, ``$MLCI_BASE``,
  else the ``base:`` of the configuration on the remote's default branch, else that
  default branch. Never the head's ``base:``;
- the rules: the base's always; the head's as well (a rule can only add a way to fail,
  so a pull request can add or tighten rules, never drop or loosen one);
- the test command: the base's when it names one;
- the predictions compared (file, columns, slices, resamples, confidence): the
  base's when it declares them;
- the pipeline: the head may turn ``pull``/``repro`` on, never off; only the base's
  configuration or a command-line flag skips them;
- the report title (which also names the sticky comment and the status context) and
  how the report folds: the base's.

A base whose ``mlci.yaml`` cannot be read does not lock the repository: the pull
request that repairs it is judged by its own file, and the verdict is at least a
warning that says why. Nothing outside this module reads the head's configuration
to make a decision; ``SECURITY.md`` lists the promises and the tests that hold them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypeVar

from mlci.config import (
    CONFIG_FILE,
    Config,
    DataRule,
    MetricRule,
    PipelineConfig,
    ReportConfig,
    TestsConfig,
)

if TYPE_CHECKING:
    from mlci.specs import PredictionsSpec

Source = Literal["base", "head"]
R = TypeVar("R", MetricRule, DataRule)


@dataclass(frozen=True)
class BaseChoice:
    """What to compare against, and whose word it was.

    ``revision`` is used as it is (a commit or a ref); ``branch`` is a branch whose
    merge-base with HEAD is the base.
    """

    where: str  # "--base", "the pull request's base commit", "$MLCI_BASE", ...
    revision: str | None = None
    branch: str | None = None
    notes: tuple[str, ...] = ()


def choose_base(
    *,
    explicit: str | None,
    event_base: str | None,
    env_base: str | None,
    default_branch: str | None,
    default_config: Config | None,
    default_config_where: str,
    head_config: Config | None,
) -> BaseChoice:
    """The base, in this order: ``--base``, the CI event's base commit, ``$MLCI_BASE``,
    the ``base:`` of the configuration on the default branch, the default branch.

    The head's ``base:`` is never used: a pull request that names its own branch as the
    base would compare with itself. When it differs, a note says it was ignored.
    """
    notes: list[str] = []
    choice: BaseChoice
    if explicit:
        choice = BaseChoice(where="--base", revision=explicit)
    elif event_base:
        choice = BaseChoice(where="the CI event's base commit", revision=event_base)
    elif env_base:
        choice = BaseChoice(where="$MLCI_BASE", revision=env_base)
    elif default_config is not None and default_config.base is not None:
        choice = BaseChoice(where=f"base: in {default_config_where}", branch=default_config.base)
    else:
        branch = default_branch or "main"
        choice = BaseChoice(where="the default branch", branch=branch)
    head_base = head_config.base if head_config is not None else None
    if head_base is not None and choice.branch is not None and head_base != choice.branch:
        notes.append(
            f"This branch's {CONFIG_FILE} sets `base: {head_base}`; ignored: the base branch "
            f"comes from the default branch's {CONFIG_FILE} (or --base), so it is "
            f"`{choice.branch}`."
        )
    return BaseChoice(
        where=choice.where, revision=choice.revision, branch=choice.branch, notes=tuple(notes)
    )


@dataclass(frozen=True)
class PipelineDecision:
    pull: bool
    repro: bool
    notes: tuple[str, ...] = ()
    run_cache: bool = False  # `dvc pull --run-cache`: the base's setting alone


@dataclass(frozen=True)
class Policy:
    """The decisions of one run, from the base's and the head's configuration.

    ``base_config`` is None when the base has no ``mlci.yaml`` (or it is broken:
    ``base_error`` then says why); the head's file then decides alone, since there
    is nothing on the base to protect.
    """

    base_config: Config | None
    head_config: Config | None
    base_error: str | None = None
    config_file: str = CONFIG_FILE
    notes: tuple[str, ...] = field(default=())

    @property
    def _trusted(self) -> Config | None:
        """The configuration whose word is final: the base's, else the head's."""
        return self.base_config if self.base_config is not None else self.head_config

    def metric_rules(self) -> tuple[tuple[MetricRule, Source], ...]:
        """The base's rules, then the head's that differ (identical rules count once)."""
        return _union(
            (self.base_config.metrics if self.base_config else ()),
            (self.head_config.metrics if self.head_config else ()),
        )

    def data_rules(self) -> tuple[tuple[DataRule, Source], ...]:
        """The base's datasets always; the head's as well (a PR can add checks, not drop them)."""
        return _union(
            (self.base_config.data if self.base_config else ()),
            (self.head_config.data if self.head_config else ()),
        )

    def tests(self) -> TestsConfig | None:
        """The base's test command if it has one (a pull request cannot swap it), else
        the head's: the head's code runs in the pipeline anyway."""
        base = self.base_config.tests if self.base_config else None
        head = self.head_config.tests if self.head_config else None
        return base or head

    def predictions(self) -> tuple[PredictionsSpec, Source] | None:
        """The predictions to compare and how (file, columns, resamples, confidence,
        slices): the base's when it declares them, else the head's (a pull request may
        add the comparison, not change or drop the base's)."""
        if self.base_config is not None and self.base_config.predictions is not None:
            return self.base_config.predictions, "base"
        if self.head_config is not None and self.head_config.predictions is not None:
            return self.head_config.predictions, "head"
        return None

    def pipeline(self, pull_flag: bool | None, repro_flag: bool | None) -> PipelineDecision:
        """Flags win; else the base's settings, which the head may turn on, never off."""
        base = self.base_config.pipeline if self.base_config else PipelineConfig()
        head = self.head_config.pipeline if self.head_config else PipelineConfig()
        notes = []
        decided = {}
        for name, flag, base_on, head_on in (
            ("pull", pull_flag, base.pull, head.pull),
            ("repro", repro_flag, base.repro, head.repro),
        ):
            if flag is not None:
                decided[name] = flag
                continue
            decided[name] = base_on or head_on
            if base_on and not head_on:
                notes.append(
                    f"This branch's {self.config_file} sets `pipeline.{name}: false`; ignored: "
                    f"only the base branch's {self.config_file} or --no-{name} can skip it."
                )
        # Restoring a stage from the remote's run-cache instead of running it trusts
        # whoever pushed that run: the base decides, the pull request cannot.
        run_cache = base.run_cache
        if self.head_config is not None and head.run_cache != run_cache:
            notes.append(
                f"This branch's {self.config_file} sets `pipeline.run_cache: "
                f"{str(head.run_cache).lower()}`; ignored: only the base branch's "
                f"{self.config_file} decides whether DVC's run-cache is pulled."
            )
        return PipelineDecision(
            pull=decided["pull"], repro=decided["repro"], notes=tuple(notes), run_cache=run_cache
        )

    @property
    def max_file_bytes(self) -> int:
        """The size limit of a metrics, params, plot or JUnit file: the base's, which the
        head may lower (a limit protects the run: only a lower one is stricter)."""
        configs = [c for c in (self.base_config, self.head_config) if c is not None]
        return int(min(c.limits.max_file_mb for c in configs or [Config()]) * 1_000_000)

    @property
    def report(self) -> ReportConfig:
        """Title (which names the sticky comment and status context) and folding."""
        trusted = self._trusted
        return trusted.report if trusted is not None else ReportConfig()

    def gated(self) -> bool:
        return self.base_config is not None or self.head_config is not None


def _union(base: tuple[R, ...], head: tuple[R, ...]) -> tuple[tuple[R, Source], ...]:
    rules: list[tuple[R, Source]] = []
    sides: tuple[tuple[Source, tuple[R, ...]], ...] = (("base", base), ("head", head))
    for source, own in sides:
        for rule in own:
            if not any(rule == seen for seen, _ in rules):
                rules.append((rule, source))
    return tuple(rules)
