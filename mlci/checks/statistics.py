"""The statistics of drift on plain numbers (no SQL, no files): PSI over histograms,
quantile bin edges, bin counts and the chi-square test of homogeneity.

:mod:`mlci.checks.drift` gets the histograms and samples from DuckDB and judges the
columns with these; the conventions are described there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

PSI_EPSILON = 1e-4  # share given to a bin that is empty on one side


def psi(base_counts: Sequence[float], head_counts: Sequence[float]) -> float:
    """PSI of two histograms over the same bins; empty bins get ``PSI_EPSILON``."""
    base = np.asarray(base_counts, dtype=float)
    head = np.asarray(head_counts, dtype=float)
    if base.sum() == 0 or head.sum() == 0:
        return 0.0
    b = base / base.sum()
    h = head / head.sum()
    b = np.where(b == 0, PSI_EPSILON, b)
    h = np.where(h == 0, PSI_EPSILON, h)
    return float(np.sum((h - b) * np.log(h / b)))


def quantile_edges(values: Sequence[float], bins: int) -> tuple[float, ...]:
    """Inner bin edges at the base quantiles 1/bins .. (bins-1)/bins, equal ones merged."""
    if len(values) == 0 or bins < 2:
        return ()
    cuts = np.quantile(np.asarray(values, dtype=float), np.arange(1, bins) / bins)
    return tuple(float(x) for x in np.unique(cuts))


def bin_counts(values: Sequence[float], edges: Sequence[float]) -> list[int]:
    """Counts in (-inf, e1), [e1, e2), ..., [ek, inf): the bins the SQL counts."""
    index = np.searchsorted(
        np.asarray(edges, dtype=float), np.asarray(values, dtype=float), "right"
    )
    return [int(n) for n in np.bincount(index, minlength=len(edges) + 1)]


def chi2_pvalue(base: Counter[Any], head: Counter[Any]) -> float:
    categories = sorted(set(base) | set(head), key=str)
    if len(categories) < 2 or not base or not head:
        return 1.0
    table = np.array([[base[c] for c in categories], [head[c] for c in categories]])
    from scipy import stats  # about 1 s to import: only when drift is computed

    return float(stats.chi2_contingency(table).pvalue)
