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

import contextlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlci import background, dvc, safefs
from mlci.checks import files as datafiles
from mlci.errors import DvcError, PredictionsError
from mlci.results import Change, LoadError, PredictionsRun
from mlci.specs import PredictionsSpec

if TYPE_CHECKING:  # numpy and DuckDB: imported where the comparison runs, the child
    from mlci.checks.predictions import Joined
    from mlci.judge.significance import Comparison, Estimate


@dataclass(frozen=True)
class PredictionsOutcome:
    run: PredictionsRun
    changes: tuple[Change, ...] = ()
    error: LoadError | None = None


def find_files(root: Path, spec: PredictionsSpec, *, boundary: Path | None = None) -> list[Path]:
    """The head's predictions files under ``root``, refused ones an error."""
    files, refused = datafiles.find_data_files(root, spec.path, boundary=boundary)
    if refused:
        first = refused[0]
        raise PredictionsError(
            f"predictions {spec.path}: cannot read "
            f"{datafiles.display(first.file, root)}: {first.message}"
        )
    return files


@dataclass(frozen=True)
class _Files:
    """Both revisions' predictions files (the base's fetched into ``folder``)."""

    head: tuple[Path, ...]
    base: tuple[Path, ...]
    folder: Path


class PairedComparison:
    """The paired comparison of one `mlci check`, in two steps around DVC's reads.

    Made before the pipeline runs: a child (:mod:`mlci.background`) imports what the
    comparison needs (DuckDB, numpy) while DVC is imported, asked for its status and
    reads metrics and plots here.
    :meth:`with_base`, with the base revision at hand, finds the head's files and
    fetches the base's through DVC, and hands them to the child, which reads, joins
    and resamples them. ``stack`` keeps the base's copy (and stops the child) until
    the check is over.
    """

    def __init__(
        self,
        root: Path,
        spec: PredictionsSpec,
        source: str,
        stack: contextlib.ExitStack,
        *,
        boundary: Path | None = None,
    ) -> None:
        self._root, self._spec, self._source, self._stack = root, spec, source, stack
        self._boundary = boundary or safefs.work_tree_root(root)
        self._failed: PredictionsOutcome | None = None
        self._work = stack.enter_context(background.start(self._run))

    def _fail(self, rev: str, message: str) -> PredictionsOutcome:
        spec = self._spec
        run = PredictionsRun(
            path=spec.path,
            source=self._source,
            task=None,
            rows=0,
            base_rows=0,
            head_rows=0,
            resamples=spec.resamples,
            confidence=spec.confidence,
            error=message,
        )
        return PredictionsOutcome(run, error=LoadError(rev=rev, file=spec.path, message=message))

    def with_head(self) -> None:
        """Nothing to do once the pipeline has run: the head's files are found with the
        base's, in :meth:`with_base`."""

    def with_base(self, at_base: dvc.RevisionReader) -> None:
        """Find the head's files, fetch the base's (DVC), and hand both to the child."""
        spec, root = self._spec, self._root
        files: _Files | None = None
        try:
            head_files = find_files(root, spec, boundary=self._boundary)
            if not head_files:
                self._failed = self._fail(
                    "head", "no such file; write it in a DVC stage or fix predictions.path"
                )
            else:
                base_listed = at_base.files(spec.path)
        except (PredictionsError, DvcError) as exc:
            self._failed = self._fail("head", exc.message)
        if self._failed is None:
            folder = Path(
                self._stack.enter_context(tempfile.TemporaryDirectory(prefix="mlci-base-"))
            )
            try:
                base_files = at_base.fetch(base_listed, folder)
                files = _Files(tuple(head_files), tuple(base_files), folder)
            except DvcError as exc:
                self._failed = self._fail("base", exc.message)
        self._work.give(files)

    def _run(self, inbox: background.Inbox[_Files | None]) -> PredictionsOutcome | None:
        """Read, join and compare both revisions' files (None: nothing to compare)."""
        # Everything that does not need the files first, while DVC works: the imports
        # (numpy's submodules the resampling loads on first use too), a DuckDB database.
        import numpy.ma
        import numpy.random  # noqa: F401

        from mlci.checks.predictions import read_paired
        from mlci.checks.sources import connect
        from mlci.judge.significance import Settings, compare

        with connect() as con:
            files = inbox.get()
            if files is None:
                return None
            spec, root = self._spec, self._root
            new = not files.base
            try:
                joined = read_paired(
                    files.base or files.head,
                    files.head,
                    spec,
                    base_root=files.folder if files.base else root,
                    head_root=root,
                    connection=con,
                )
            except PredictionsError as exc:
                return self._fail("base" if exc.rev == "base" else "head", exc.message)
        settings = Settings(
            resamples=spec.resamples,
            confidence=spec.confidence,
            seed=spec.seed,
            min_rows=spec.min_rows,
        )
        comparison = compare(joined.paired, settings)
        return PredictionsOutcome(
            run=_run(spec, self._source, joined, new),
            changes=to_changes(spec, comparison, new),
        )

    def result(self) -> PredictionsOutcome:
        """The comparison's outcome (after :meth:`with_base`)."""
        outcome = self._work.result()
        if self._failed is not None:
            return self._failed
        assert outcome is not None
        return outcome


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
