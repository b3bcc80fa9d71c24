"""Run the data checks and drift that mlci.yaml declares, for one `mlci check`.

Head files are the workspace's (after `dvc repro`); base files are read at the base
revision through DVC (git-tracked or DVC-tracked, from the cache or the remote)
into a temporary folder. A dataset whose files have the same content hashes at
both revisions is not compared at all.
"""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mlci import background, dvc, safefs
from mlci.checks.files import FileProblem, display, find_data_files
from mlci.config import DataRule
from mlci.results import (
    CheckResult,
    DatasetReport,
    DriftResult,
    Outcome,
    under_severity,
    worst,
)


def _outcome(checks: Sequence[CheckResult], drift: DriftResult | None, severity: str) -> Outcome:
    outcomes = ["fail" if any(c.outcome == "fail" for c in checks) else "pass"]
    if drift is not None:
        outcomes.append(drift.outcome)
    return under_severity(worst(outcomes), severity)


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Digests:
    """The md5 of each head file, computed at most once: hashing a gigabyte of CSV
    costs about a second and a half, and a file is compared before and after the
    base's copy is fetched."""

    def __init__(self) -> None:
        self._known: dict[Path, str] = {}

    def __call__(self, path: Path) -> str:
        if path not in self._known:
            self._known[path] = _md5(path)
        return self._known[path]


def _same_content(
    root: Path, base_files: Sequence[dvc.RevFile], head_files: Sequence[Path], md5: _Digests
) -> bool:
    """True when both revisions hold the same files with the same content hashes."""
    head_by_path = {p.relative_to(root).as_posix(): p for p in head_files}
    if set(head_by_path) != {f.path for f in base_files}:
        return False
    return all(f.md5 is not None and f.md5 == md5(head_by_path[f.path]) for f in base_files)


def _same_copies(
    base_files: Sequence[dvc.RevFile],
    local: Sequence[Path],
    head_files: Sequence[Path],
    md5: _Digests,
) -> bool:
    """True when the base's fetched copies hold the head files' content, file by file.

    A copy of another size differs without hashing; a file DVC tracks is not
    hashed again (DVC gave its md5).
    """
    if len(local) != len(head_files):
        return False
    for base_file, copy, head in zip(base_files, local, head_files, strict=True):
        if copy.stat().st_size != head.stat().st_size:
            return False
        if (base_file.md5 or _md5(copy)) != md5(head):
            return False
    return True


@dataclass(frozen=True)
class _Fetched:
    """A changed dataset's base copies, fetched by DVC into ``folder``."""

    index: int  # of the rule
    files: tuple[Path, ...]
    folder: Path


class DataChecks:
    """The data checks and drift of one `mlci check`, in two steps around DVC's reads.

    Made before the pipeline runs: a child (:mod:`mlci.background`) imports DuckDB
    and the checks while DVC is imported and asked for its status. :meth:`with_head`,
    once the pipeline has run, finds each dataset's head files (the workspace's,
    under ``root``) and hands them to the child, which checks them while DVC reads
    metrics and plots here. :meth:`with_base`,
    called with the base revision at hand, lists and fetches the base's copies of
    each changed dataset through DVC and starts the drift statistics on them in a
    second child, beside the checks: DuckDB numbers a CSV's rows for the drift
    sample on one thread, and the checks' passes fill the other core meanwhile.
    :meth:`result` waits for both. ``stack`` keeps the fetched copies (and stops the
    children) until the check is over.
    """

    def __init__(
        self,
        root: Path,
        rules: Sequence[tuple[DataRule, str]],
        stack: contextlib.ExitStack,
        *,
        boundary: Path | None = None,
    ) -> None:
        self._root = root
        self._rules = tuple(rules)
        self._stack = stack
        self._boundary = boundary or safefs.work_tree_root(root)
        self._heads: list[tuple[list[Path], list[FileProblem]]] = []
        self._skipped: list[str | None] = [None] * len(self._rules)
        self._checks = stack.enter_context(background.start(self._check_heads))
        self._drift: background.Pending[None, dict[int, DriftResult]] | None = None

    def with_head(self) -> None:
        """Find each dataset's head files (the pipeline has run) and start its checks."""
        self._heads = [
            find_data_files(self._root, rule.spec.path, boundary=self._boundary)
            for rule, _ in self._rules
        ]
        self._checks.give(self._heads)

    def _check_heads(
        self, inbox: background.Inbox[list[tuple[list[Path], list[FileProblem]]]]
    ) -> list[tuple[CheckResult, ...]]:
        """Each dataset's checks on its head files, once :meth:`with_head` found them."""
        from mlci.checks.data import check_dataset  # DuckDB: imported while DVC works
        from mlci.checks.sources import connect

        root, checks = self._root, []
        # One DuckDB database for every dataset's checks, opened (~15 ms) while the
        # pipeline runs; the checks only query files, leaving nothing behind in it.
        with connect() as con:
            heads = inbox.get()
            for (rule, _source), (head_files, refused) in zip(self._rules, heads, strict=True):
                found = _refused(rule.spec.path, refused, root)
                if head_files or not refused:
                    found += check_dataset(head_files, rule.spec, root=root, connection=con)
                checks.append(found)
        return checks

    def _compute_drift(self, fetched: Sequence[_Fetched]) -> dict[int, DriftResult]:
        """The drift of each dataset whose base copies were fetched, by rule."""
        from mlci.checks.drift import compute_drift  # numpy: only when data changed

        drift = {}
        for item in fetched:
            rule, head_files = self._rules[item.index][0], self._heads[item.index][0]
            assert rule.drift is not None
            drift[item.index] = compute_drift(
                rule.spec.path,
                item.files,
                head_files,
                rule.drift,
                base_root=item.folder,
                head_root=self._root,
            )
        return drift

    def with_base(self, at_base: dvc.RevisionReader) -> None:
        """Fetch the base's copy of each changed dataset (DVC) for its drift."""
        fetched = []
        for index, ((rule, _source), (head_files, refused)) in enumerate(
            zip(self._rules, self._heads, strict=True)
        ):
            if rule.drift is None:
                continue
            if refused and not head_files:
                self._skipped[index] = "no readable files at head"
                continue
            found = self._fetch_base(at_base, index, rule.spec.path, head_files)
            if isinstance(found, _Fetched):
                fetched.append(found)
            else:
                self._skipped[index] = found
        if fetched:  # in a second child: its single-threaded passes fill the other core
            self._drift = self._stack.enter_context(
                background.start(lambda _inbox: self._compute_drift(fetched))
            )

    def _fetch_base(
        self, at_base: dvc.RevisionReader, index: int, dataset: str, head_files: Sequence[Path]
    ) -> _Fetched | str:
        """The base's copies to compare, or why drift is skipped."""
        base_files = at_base.files(dataset)
        if not base_files:
            return "no files at base: nothing to compare (a new dataset)"
        if not head_files:
            return "no files at head"
        md5 = _Digests()
        if _same_content(self._root, base_files, head_files, md5):
            return "unchanged: the same content at base and head"
        # Kept until the check is over (the drift child reads it), unless unchanged.
        copies = tempfile.TemporaryDirectory(prefix="mlci-base-")
        self._stack.callback(copies.cleanup)
        local = at_base.fetch(base_files, Path(copies.name))
        if _same_copies(base_files, local, head_files, md5):
            copies.cleanup()
            return "unchanged: the same content at base and head"
        return _Fetched(index, tuple(local), Path(copies.name))

    def result(self) -> tuple[DatasetReport, ...]:
        """Each dataset's report: its checks, and its drift against the base."""
        checks = self._checks.result()
        drift = self._drift.result() if self._drift is not None else {}
        reports = []
        rows = zip(self._rules, checks, self._skipped, strict=True)
        for index, ((rule, source), found, skipped) in enumerate(rows):
            result = drift.get(index)
            reports.append(
                DatasetReport(
                    path=rule.spec.path,
                    outcome=_outcome(found, result, rule.severity),
                    severity=rule.severity,
                    checks=found,
                    drift=result,
                    drift_skipped=skipped,
                    source=source,
                )
            )
        return tuple(reports)


def _refused(dataset: str, refused: Sequence[FileProblem], root: Path) -> tuple[CheckResult, ...]:
    """A failed check per file mlci will not read (outside the repository, not a
    regular file), naming the file and why, never its content."""
    return tuple(
        CheckResult(
            dataset, None, "readable", "fail", f"cannot read {display(p.file, root)}: {p.message}"
        )
        for p in refused
    )
