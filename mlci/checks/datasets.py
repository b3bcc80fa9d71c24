"""Run the data checks and drift that mlci.yaml declares, for one `mlci check`.

Head files are the workspace's (after `dvc repro`); base files are read at the base
revision through DVC (git-tracked or DVC-tracked, from the cache or the remote)
into a temporary folder. A dataset whose files have the same content hashes at
both revisions is not compared at all.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mlci import dvc, safefs
from mlci.checks.data import check_dataset
from mlci.checks.files import FileProblem, display, find_data_files
from mlci.checks.sources import connect
from mlci.config import DataRule
from mlci.results import (
    CheckResult,
    DatasetReport,
    DriftResult,
    Outcome,
    under_severity,
    worst,
)

if TYPE_CHECKING:
    import duckdb


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


def check_data(
    root: Path, at_base: dvc.RevisionReader, rules: Sequence[tuple[DataRule, str]]
) -> tuple[DatasetReport, ...]:
    """Check each dataset's head files (the workspace's, under ``root``); compare them
    with the same files read at the base revision, ``at_base``, for drift. ``rules``
    are the datasets the policy declares, each with whose mlci.yaml declared it."""
    reports = []
    # One DuckDB database for every dataset's checks: opening one costs ~15 ms, and
    # the checks only query files, leaving nothing behind in it.
    with connect() as con:
        for rule, source in rules:
            reports.append(_check_rule(root, at_base, rule, source, con))
    return tuple(reports)


def _check_rule(
    root: Path,
    at_base: dvc.RevisionReader,
    rule: DataRule,
    source: str,
    con: duckdb.DuckDBPyConnection,
) -> DatasetReport:
    spec = rule.spec
    boundary = at_base.boundary or safefs.work_tree_root(root)
    head_files, refused = find_data_files(root, spec.path, boundary=boundary)
    checks = _refused(spec.path, refused, root)
    if head_files or not refused:
        checks += check_dataset(head_files, spec, root=root, connection=con)
    drift = skipped = None
    if rule.drift is not None and refused and not head_files:
        skipped = "no readable files at head"
    elif rule.drift is not None:
        drift, skipped = _drift(root, at_base, rule, head_files)
    return DatasetReport(
        path=spec.path,
        outcome=_outcome(checks, drift, rule.severity),
        severity=rule.severity,
        checks=checks,
        drift=drift,
        drift_skipped=skipped,
        source=source,
    )


def _refused(dataset: str, refused: Sequence[FileProblem], root: Path) -> tuple[CheckResult, ...]:
    """A failed check per file mlci will not read (outside the repository, not a
    regular file), naming the file and why, never its content."""
    return tuple(
        CheckResult(
            dataset, None, "readable", "fail", f"cannot read {display(p.file, root)}: {p.message}"
        )
        for p in refused
    )


def _drift(
    root: Path, at_base: dvc.RevisionReader, rule: DataRule, head_files: Sequence[Path]
) -> tuple[DriftResult | None, str | None]:
    assert rule.drift is not None
    base_files = at_base.files(rule.spec.path)
    if not base_files:
        return None, "no files at base: nothing to compare (a new dataset)"
    if not head_files:
        return None, "no files at head"
    md5 = _Digests()
    if _same_content(root, base_files, head_files, md5):
        return None, "unchanged: the same content at base and head"
    with tempfile.TemporaryDirectory(prefix="mlci-base-") as tmp:
        local = at_base.fetch(base_files, Path(tmp))
        if _same_copies(base_files, local, head_files, md5):
            return None, "unchanged: the same content at base and head"
        from mlci.checks.drift import compute_drift  # numpy: only when data changed

        result = compute_drift(
            rule.spec.path, local, head_files, rule.drift, base_root=Path(tmp), head_root=root
        )
    return result, None
