"""What mlci.yaml declares about datasets: plain frozen data, no engine imported.

mlci.config builds these; mlci.checks.data and mlci.checks.drift (DuckDB, scipy)
consume them, so reading mlci.yaml never pays for importing the engines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Format = Literal["csv", "tsv", "parquet", "jsonl"]
Task = Literal["binary", "multiclass", "regression"]
ColumnType = Literal["int", "float", "number", "string", "bool", "datetime"]
Scalar = str | int | float | bool


@dataclass(frozen=True)
class ColumnSpec:
    """The rules for one column; ``None`` (or ``False``) leaves a rule out."""

    type: ColumnType | None = None
    nulls: int | None = None  # most null rows allowed
    null_fraction: float | None = None  # largest null share allowed, 0..1
    min: float | None = None
    max: float | None = None
    allowed: tuple[Scalar, ...] | None = None
    regex: str | None = None
    unique: bool = False


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset in mlci.yaml: where its files are and the rules they must meet."""

    path: str  # as written in mlci.yaml: a file, a directory or a glob
    format: Format | None = None  # None: from each file's extension
    # (column, rules) pairs in the order they are written; a mapping is accepted too.
    columns: tuple[tuple[str, ColumnSpec], ...] = ()
    unique: tuple[tuple[str, ...], ...] = ()  # keys of one or several columns
    rows_min: int | None = None
    rows_max: int | None = None

    def __post_init__(self) -> None:
        columns: Any = self.columns
        if isinstance(columns, Mapping):
            object.__setattr__(self, "columns", tuple(columns.items()))
        else:
            object.__setattr__(self, "columns", tuple(tuple(pair) for pair in columns))
        object.__setattr__(self, "unique", tuple(tuple(key) for key in self.unique))

    def column(self, name: str) -> ColumnSpec | None:
        return dict(self.columns).get(name)


@dataclass(frozen=True)
class DriftSpec:
    columns: tuple[str, ...] | None = None  # None: every column present at both revisions
    numeric_method: Literal["psi", "ks", "wasserstein"] = "psi"
    categorical_method: Literal["psi", "chi2"] = "psi"
    psi_warn: float = 0.1
    psi_fail: float = 0.25
    ks_pvalue: float = 0.05
    wasserstein: float = 0.1
    chi2_pvalue: float = 0.05
    share: float = 0.5  # the dataset drifts when >= this share of checked columns drift
    bins: int = 10
    sample: int = 5000  # rows per side for KS, Wasserstein and chi-square (seeded)


EXTENSIONS: dict[str, Format] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
COMPRESSION = (".gz", ".zst")


def format_of(path: Path) -> Format | None:
    """The format a file's extension names (``data.csv.gz`` is csv), or None."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSION:
        suffixes.pop()
    return EXTENSIONS.get(suffixes[-1]) if suffixes else None


# What a dataset's ``path`` names is one rule, read the same way in the workspace
# (mlci.checks.files) and at the base revision through DVC (mlci.dvc.repo): a glob names
# the files it matches, never the folders, hidden files or DVC's .dvc pointers; a folder
# names every data file under it (hidden ones skipped); a file names itself.


def is_glob(pattern: str) -> bool:
    return any(char in pattern for char in "*?[")


def is_data_name(path: Path) -> bool:
    """A file a folder's dataset includes: not hidden, in a format mlci reads."""
    return not path.name.startswith(".") and format_of(path) is not None


def is_glob_match(path: Path) -> bool:
    """A file a glob's match includes: not hidden (``.gitignore``), not a DVC pointer file
    (``data.csv.dvc``, which DVC's view of a revision does not even list)."""
    return not path.name.startswith(".") and path.suffix != ".dvc"


def pattern_problem(pattern: str) -> str | None:
    """Why a dataset ``path`` from mlci.yaml is refused at every revision, or None. (Where
    a relative path may lead with ``..`` is the workspace's boundary, the git work tree:
    :func:`mlci.checks.files.find_data_files`.)"""
    if Path(pattern).is_absolute():
        return "an absolute path; a dataset's path is relative to the project folder"
    return None


@dataclass(frozen=True)
class SliceSpec:
    """A column to compute every metric per value of; numeric columns may be binned:
    ``bins`` as edges ``(18, 30, 60)`` or a count of equal-frequency bins."""

    column: str
    bins: tuple[float, ...] | int | None = None


@dataclass(frozen=True)
class PredictionsSpec:
    path: str  # a file, a directory or a glob, relative to the project folder
    format: Format | None = None
    id: str = "id"
    label: str = "label"
    prediction: str = "prediction"
    score: str | None = None  # binary: P(positive class)
    scores: tuple[tuple[str, str], ...] = ()  # (class, column): one probability per class
    task: Task | None = None  # None: inferred
    positive: str | None = None  # binary: the positive class; None: the greater of the two
    slices: tuple[SliceSpec, ...] = ()
    min_join: float = 0.95  # share of examples that must be at both sides

    # How sure a change must be: the paired bootstrap's settings (mlci.judge.significance).
    resamples: int = 2000
    confidence: float = 0.95
    seed: int = 0
    min_rows: int = 30  # a slice with fewer rows is shown, never gated

    def __post_init__(self) -> None:
        scores: Any = self.scores
        if isinstance(scores, Mapping):
            object.__setattr__(self, "scores", tuple((str(k), v) for k, v in scores.items()))

    @property
    def score_columns(self) -> tuple[str, ...]:
        return ((self.score,) if self.score else ()) + tuple(c for _, c in self.scores)
