"""The one place DVC is touched (see :mod:`mlci.dvc.repo` and :mod:`mlci.dvc.plotdata`)."""

from mlci.dvc.plotdata import PlotsAtRev, combine_plots
from mlci.dvc.repo import (
    WORKSPACE,
    DvcRepo,
    PipelineStatus,
    RevFile,
    RevisionReader,
    find_root,
    run_dvc,
)
from mlci.dvc.snapshot import Snapshot

__all__ = [
    "WORKSPACE",
    "DvcRepo",
    "PipelineStatus",
    "PlotsAtRev",
    "RevFile",
    "RevisionReader",
    "Snapshot",
    "combine_plots",
    "find_root",
    "run_dvc",
]
