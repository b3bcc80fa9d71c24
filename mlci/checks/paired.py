"""Compare the base's and the head's predictions for one `mlci check`.

Head files are the workspace's (after `dvc repro`); base files are read at the base
revision through DVC (git- or DVC-tracked, from the cache or the remote) into a
temporary folder, as the data checks read theirs. The metrics computed from them
become :class:`~mlci.results.Change` rows under the predictions file's name, so the
diff, the gates and the report treat them as any other metric — with the interval
of the change, its p-value and its support attached.

A base without the predictions file (the pull request adds it) gives head-only
metrics, shown as new; a file that cannot be compared (unreadable, a column
missing, too few examples in common) is a :class:`~mlci.results.LoadError` at the
revision at fault, which the gates turn into a failure at head and a warning at base.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from mlci import dvc, safefs
from mlci.checks.predictions import Joined, PredictionsError, find_files, read_paired
from mlci.errors import DvcError
from mlci.judge.significance import Comparison, Estimate, Settings, compare
from mlci.results import Change, LoadError, PredictionsRun
from mlci.specs import PredictionsSpec


@dataclass(frozen=True)
class PredictionsOutcome:
    run: PredictionsRun
    changes: tuple[Change, ...] = ()
    error: LoadError | None = None


def compare_predictions(
    root: Path, at_base: dvc.RevisionReader, spec: PredictionsSpec, source: str
) -> PredictionsOutcome:
    """The paired comparison of the predictions ``spec`` names, at base and head."""

    def failed(rev: str, message: str) -> PredictionsOutcome:
        run = PredictionsRun(
            path=spec.path,
            source=source,
            task=None,
            rows=0,
            base_rows=0,
            head_rows=0,
            resamples=spec.resamples,
            confidence=spec.confidence,
            error=message,
        )
        return PredictionsOutcome(run, error=LoadError(rev=rev, file=spec.path, message=message))

    boundary = at_base.boundary or safefs.work_tree_root(root)
    try:
        head_files = find_files(root, spec, boundary=boundary)
        if not head_files:
            return failed("head", "no such file; write it in a DVC stage or fix predictions.path")
        base_listed = at_base.files(spec.path)
    except (PredictionsError, DvcError) as exc:
        return failed("head", exc.message)
    with tempfile.TemporaryDirectory(prefix="mlci-base-") as tmp:
        try:
            base_files = at_base.fetch(base_listed, Path(tmp))
        except DvcError as exc:
            return failed("base", exc.message)
        new = not base_files
        try:
            joined = read_paired(
                base_files or head_files,
                head_files,
                spec,
                base_root=Path(tmp) if base_files else root,
                head_root=root,
            )
        except PredictionsError as exc:
            return failed("base" if exc.rev == "base" else "head", exc.message)
    settings = Settings(
        resamples=spec.resamples, confidence=spec.confidence, seed=spec.seed, min_rows=spec.min_rows
    )
    comparison = compare(joined.paired, settings)
    return PredictionsOutcome(
        run=_run(spec, source, joined, new),
        changes=to_changes(spec, comparison, new),
    )


def _run(spec: PredictionsSpec, source: str, joined: Joined, new: bool) -> PredictionsRun:
    notes = list(joined.notes)
    if new:
        notes.append("no predictions at base: the head's metrics are shown as new")
    return PredictionsRun(
        path=spec.path,
        source=source,
        task=joined.paired.task,
        rows=joined.paired.rows,
        base_rows=0 if new else joined.base_rows,
        head_rows=joined.head_rows,
        resamples=spec.resamples,
        confidence=spec.confidence,
        notes=tuple(notes),
    )


def _order(estimate: Estimate) -> tuple[int, float]:
    """Overall metrics first, then slices from the worst change to the best: the
    regression an aggregate improvement hides comes first."""
    if not estimate.key.startswith("slice."):
        return (0, 0.0)
    change = estimate.change
    if change is None:
        return (2, 0.0)
    return (1, change if estimate.higher_is_better else -change)


def to_changes(
    spec: PredictionsSpec, comparison: Comparison, new: bool = False
) -> tuple[Change, ...]:
    """One metric row per estimate, its interval and test attached (none when new);
    the slices' rows ordered worst first."""
    changes = []
    for estimate in sorted(comparison.estimates, key=_order):
        base = None if new else estimate.base
        change = None if base is None or estimate.head is None else estimate.head - base
        pct = None if change is None or not base else change / abs(base) * 100
        if new:
            status = "new"
        elif base is None and estimate.head is None:
            status = "unchanged"
        else:
            status = "unchanged" if change == 0 else "changed"
        changes.append(
            Change(
                file=spec.path,
                key=estimate.key,
                base=base,
                head=estimate.head,
                change=change,
                change_pct=pct,
                status=status,
                better="higher" if estimate.higher_is_better else "lower",
                low=None if new else estimate.low,
                high=None if new else estimate.high,
                p_value=None if new else estimate.p_value,
                level=round(1 - spec.confidence, 12),  # 0.05, not 0.050000000000000044
                head_low=estimate.head_low,
                head_high=estimate.head_high,
                rows=estimate.rows,
                gated=estimate.gated,
            )
        )
    return tuple(changes)
