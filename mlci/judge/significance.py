"""Metrics from predictions, and how sure a change between two revisions is.

Base and head predictions of the same examples (joined on their id by
:mod:`mlci.checks.predictions`) are compared *paired*: every bootstrap replicate
resamples examples, and the same examples score both models, so the noise both
share (easy or hard examples drawn) cancels in the difference.

- **Count-based metrics** (accuracy, balanced accuracy, precision/recall/F1 per
  class and macro) depend on the rows only through the counts of the cells
  (label, base prediction, head prediction). A bootstrap replicate of n paired
  rows is a multinomial draw of n over those cells, so 2,000 replicates cost the
  same for a thousand rows as for ten million (Efron's bootstrap, drawn from its
  sufficient statistics).
- **Row-based metrics** (ROC AUC, log loss, MAE, RMSE, R²) need the rows: each
  replicate weighs every row by an independent Poisson(1) count (the Poisson
  bootstrap, as TensorFlow Model Analysis uses), in chunks of replicates so
  memory stays bounded. Each metric is a ratio of weighted sums; ROC AUC through
  its linearisation, the placement values of DeLong et al. (1988), whose weighted
  means move exactly as the AUC does to first order. Above :data:`GROUPS` rows,
  the rows are dealt at random into that many groups and the groups are
  resampled: the cost stops growing with the rows. The weights come from a
  16-bit lookup of Poisson(1)'s quantiles (its probabilities rounded to 2⁻¹⁶).
- **Accuracy** also gets the exact McNemar test on the discordant pairs
  (Dietterich, 1998): its p-value is the binomial test of "base right, head
  wrong" against "base wrong, head right". Every other metric's p-value is the
  bootstrap's: twice the share of replicates on the far side of zero.

Intervals are percentile intervals of the replicates' differences (head - base).
Values equal scikit-learn's on the same arrays (tests compare them); a metric a
revision cannot have (ROC AUC with one class present) is None, never NaN.

Pure numpy: no files, no DuckDB, no scipy (``scipy.stats`` takes ~0.6 s to import,
more than the whole comparison of a small project: the two distributions used here,
Binomial(n, 1/2) and Poisson(1), are summed directly); the arrays come from the caller.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from mlci.judge.scores import (
    FloatArray,
    IntArray,
    confusion,
    count_metrics,
    placements,
    regression_metrics,
    roc_auc,
    row_losses,
)
from mlci.specs import Task

DEFAULT_RESAMPLES = 2000
DEFAULT_CONFIDENCE = 0.95
DEFAULT_MIN_ROWS = 30
# Above this many rows, the row-based bootstrap resamples this many random groups of
# rows instead of the rows (see _replicate_sums).
GROUPS = 1 << 15
MIN_GROUPS = 1 << 10  # a slice's fewest groups: ample for a 95% percentile interval
# Replicate weights drawn at once: 4M float64 weights (32 MB) bound the memory.
_CHUNK_CELLS = 4_000_000

LOWER_IS_BETTER = frozenset({"log_loss", "mae", "rmse"})


@dataclass(frozen=True, eq=False)
class Slicing:
    """One slice column: each row's slice as an index into ``values`` (-1: no slice)."""

    column: str
    values: tuple[str, ...]
    codes: IntArray


@dataclass(frozen=True, eq=False)
class Paired:
    """Base and head predictions of the same examples, row i the same example at both.

    Classification: ``labels``/``base``/``head`` are indices into ``classes``;
    ``positive`` is the index of the positive class (binary). Scores, when given,
    are P(positive) per row (binary, shape (n,)) or one probability per class
    (multiclass, shape (n, len(classes))). Regression: the values themselves.
    """

    task: Task
    labels: npt.NDArray[Any]
    base: npt.NDArray[Any]
    head: npt.NDArray[Any]
    classes: tuple[str, ...] = ()
    positive: int = 1
    base_scores: FloatArray | None = None
    head_scores: FloatArray | None = None
    slices: tuple[Slicing, ...] = ()

    @property
    def rows(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class Settings:
    resamples: int = DEFAULT_RESAMPLES
    confidence: float = DEFAULT_CONFIDENCE
    seed: int = 0
    min_rows: int = DEFAULT_MIN_ROWS  # a slice with fewer rows is shown, never gated


@dataclass(frozen=True)
class Estimate:
    """One metric at both revisions and how sure its change is.

    ``low``/``high`` bound the change (head - base) at the comparison's confidence;
    ``p_value`` is McNemar's for accuracy, the bootstrap's otherwise. ``gated`` is
    False for a slice below ``min_rows``: shown, never judged.
    """

    key: str
    base: float | None
    head: float | None
    low: float | None
    high: float | None
    p_value: float | None
    test: Literal["mcnemar", "bootstrap"]
    rows: int
    gated: bool = True
    # The interval of the head's own value (for a ``min`` judged on its lower bound).
    head_low: float | None = None
    head_high: float | None = None

    @property
    def change(self) -> float | None:
        if self.base is None or self.head is None:
            return None
        return self.head - self.base

    @property
    def higher_is_better(self) -> bool:
        return self.key.rsplit(".", 1)[-1] not in LOWER_IS_BETTER


@dataclass(frozen=True)
class Comparison:
    task: Task
    rows: int
    resamples: int
    confidence: float
    seed: int
    estimates: tuple[Estimate, ...] = field(default=())

    def get(self, key: str) -> Estimate | None:
        return next((e for e in self.estimates if e.key == key), None)


# --- the test on accuracy ---------------------------------------------------------------


def mcnemar(labels: IntArray, base: IntArray, head: IntArray) -> float:
    """The exact (binomial) McNemar p-value of base and head accuracy on the same rows."""
    base_right = base == labels
    head_right = head == labels
    only_base = int(np.count_nonzero(base_right & ~head_right))
    only_head = int(np.count_nonzero(head_right & ~base_right))
    return _binomial_two_sided(only_base, only_base + only_head)


def _binomial_two_sided(k: int, n: int) -> float:
    """The two-sided exact binomial test of ``k`` successes in ``n`` at p = 1/2 (scipy's
    ``binomtest(k, n).pvalue``): twice the smaller tail, at most 1.

    The tail's terms are summed relative to its largest, P(X = m) with m = min(k, n - k)
    (from ``lgamma``), walking down by the ratio P(X = i - 1) / P(X = i) = i / (n - i + 1):
    no big integers, no overflow, linear in m."""
    low = min(k, n - k)
    if 2 * low >= n:  # k = n / 2 (or n = 0): the tail is half the mass or more
        return 1.0
    log_top = math.lgamma(n + 1) - math.lgamma(low + 1) - math.lgamma(n - low + 1) - n * math.log(2)
    i = np.arange(low, 0, -1, dtype=np.float64)
    relative = np.exp(np.cumsum(np.log(i) - np.log(n - i + 1)))
    tail = math.exp(log_top) * (1.0 + float(relative.sum()))
    return min(1.0, 2.0 * tail)


# --- the bootstrap ----------------------------------------------------------------------


def _poisson_table() -> npt.NDArray[np.uint8]:
    """Poisson(1) at the midpoints of 65,536 equal quantile steps: a uniform 16-bit
    number through this table is a Poisson(1) draw, its probabilities rounded to 2⁻¹⁶.

    The quantile function is the smallest k whose cumulative probability
    e⁻¹ · Σ_{j≤k} 1/j! reaches the step's midpoint (scipy's ``poisson.ppf``); past
    k = 20 the remaining mass is below 10⁻¹⁹, far under a step."""
    quantiles = (np.arange(65536) + 0.5) / 65536
    cumulative = np.cumsum([math.exp(-1.0) / math.factorial(k) for k in range(21)])
    return np.asarray(np.searchsorted(cumulative, quantiles, side="left"), dtype=np.uint8)


_POISSON = _poisson_table()


def _poisson_weights(rng: np.random.Generator, replicates: int, rows: int) -> npt.NDArray[np.uint8]:
    return _POISSON[rng.integers(0, 65536, size=(replicates, rows), dtype=np.uint16)]


def _chunks(total: int, rows: int) -> Iterator[int]:
    per_chunk = max(1, _CHUNK_CELLS // max(1, rows))
    done = 0
    while done < total:
        size = min(per_chunk, total - done)
        yield size
        done += size


def _replicate_sums(
    features: FloatArray, rng: np.random.Generator, settings: Settings, groups: int
) -> FloatArray:
    """Per replicate, the Poisson-weighted sums of each feature column and, last, of
    the weights: shape (resamples, k + 1).

    Up to ``groups`` rows (:data:`GROUPS`, or a slice's share of it), each row gets
    its own weight. Beyond, the rows are dealt at random into that many groups and
    each group gets one weight: the groups are independent and identically
    distributed, so resampling them is a bootstrap of the same statistic (the
    random-groups method of survey sampling), and the cost is resamples x groups
    whatever the number of rows.
    """
    data = np.column_stack([features, np.ones(len(features))])
    if len(data) > groups:
        group = rng.integers(0, groups, len(data))
        data = np.column_stack(
            [np.bincount(group, weights=column, minlength=groups) for column in data.T]
        )
    parts = []
    for size in _chunks(settings.resamples, len(data)):
        weights = _poisson_weights(rng, size, len(data)).astype(np.float64)
        parts.append(weights @ data)
    return np.concatenate(parts)


def _rng(settings: Settings, name: str) -> np.random.Generator:
    """A generator for one part of the comparison: its draws do not depend on which
    other metrics or slices are computed."""
    return np.random.default_rng([settings.seed, zlib.crc32(name.encode())])


def _interval(deltas: FloatArray, confidence: float) -> tuple[float | None, float | None]:
    finite = deltas[np.isfinite(deltas)]
    if not len(finite):
        return None, None
    alpha = 1.0 - confidence
    low, high = np.quantile(finite, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def _bootstrap_p(deltas: FloatArray) -> float | None:
    """Two-sided: twice the share of replicates at or beyond zero on the far side."""
    finite = deltas[np.isfinite(deltas)]
    if not len(finite):
        return None
    below = (1 + np.count_nonzero(finite <= 0)) / (1 + len(finite))
    above = (1 + np.count_nonzero(finite >= 0)) / (1 + len(finite))
    return float(min(1.0, 2 * min(below, above)))


def _finite(value: float | np.floating) -> float | None:
    return float(value) if math.isfinite(float(value)) else None


def compare(paired: Paired, settings: Settings | None = None) -> Comparison:
    """Every metric the task has, at both revisions, overall and per slice value,
    each with the interval of its change and a p-value."""
    settings = settings or Settings()
    estimates = list(_compare_group(paired, np.arange(paired.rows), "", True, settings, GROUPS))
    for slicing in paired.slices:
        for code, value in enumerate(slicing.values):
            rows = np.flatnonzero(slicing.codes == code)
            if not len(rows):
                continue
            prefix = f"slice.{slicing.column}={value}."
            gated = len(rows) >= settings.min_rows
            # Each slice gets its share of the groups (at least MIN_GROUPS): all the
            # slices of a column together cost about what the whole data does.
            groups = max(MIN_GROUPS, GROUPS * len(rows) // max(1, paired.rows))
            estimates.extend(_compare_group(paired, rows, prefix, gated, settings, groups))
    return Comparison(
        task=paired.task,
        rows=paired.rows,
        resamples=settings.resamples,
        confidence=settings.confidence,
        seed=settings.seed,
        estimates=tuple(estimates),
    )


class _Sample(NamedTuple):
    """One metric: its values at base and head, and per replicate the change and the
    head's value."""

    base: float | None
    head: float | None
    deltas: FloatArray
    heads: FloatArray


def _compare_group(
    paired: Paired, rows: IntArray, prefix: str, gated: bool, settings: Settings, groups: int
) -> Iterator[Estimate]:
    kind = np.float64 if paired.task == "regression" else np.int64
    labels: npt.NDArray[Any] = np.asarray(paired.labels[rows], dtype=kind)
    base: npt.NDArray[Any] = np.asarray(paired.base[rows], dtype=kind)
    head: npt.NDArray[Any] = np.asarray(paired.head[rows], dtype=kind)
    count = len(rows)
    samples: dict[str, _Sample] = {}
    if paired.task == "regression":
        samples.update(_regression_samples(labels, base, head, prefix, settings, groups))
    else:
        samples.update(_count_samples(paired, labels, base, head, prefix, settings))
        samples.update(_score_samples(paired, rows, prefix, settings, groups))
    for name, (base_value, head_value, deltas, heads) in samples.items():
        undefined = base_value is None or head_value is None
        low, high = (None, None) if undefined else _interval(deltas, settings.confidence)
        head_low, head_high = (
            (None, None) if head_value is None else _interval(heads, settings.confidence)
        )
        if name == "accuracy" and not undefined:
            p_value: float | None = mcnemar(labels, base, head)
            test: Literal["mcnemar", "bootstrap"] = "mcnemar"
        else:
            p_value, test = (None if undefined else _bootstrap_p(deltas)), "bootstrap"
        yield Estimate(
            key=prefix + name,
            base=base_value,
            head=head_value,
            low=low,
            high=high,
            p_value=p_value,
            test=test,
            rows=count,
            gated=gated,
            head_low=head_low,
            head_high=head_high,
        )


def _count_samples(
    paired: Paired,
    labels: IntArray,
    base: IntArray,
    head: IntArray,
    prefix: str,
    settings: Settings,
) -> dict[str, _Sample]:
    """Point values and replicate differences of the count-based metrics, drawn as
    multinomials over the (label, base, head) cells."""
    k = len(paired.classes)
    base_counts = confusion(labels, base, k)
    head_counts = confusion(labels, head, k)
    base_present = (base_counts.sum(axis=0) + base_counts.sum(axis=1)) > 0
    head_present = (head_counts.sum(axis=0) + head_counts.sum(axis=1)) > 0
    at_base = count_metrics(
        base_counts,
        paired.task,
        present=base_present,
        classes=paired.classes,
        positive=paired.positive,
    )
    at_head = count_metrics(
        head_counts,
        paired.task,
        present=head_present,
        classes=paired.classes,
        positive=paired.positive,
    )

    cells = np.bincount((labels * k + base) * k + head, minlength=k**3)
    used = np.flatnonzero(cells)
    rng = _rng(settings, prefix + "counts")
    draws = rng.multinomial(len(labels), cells[used] / cells[used].sum(), size=settings.resamples)
    label_of, rest = np.divmod(used, k * k)
    base_of, head_of = np.divmod(rest, k)
    to_base = np.zeros((len(used), k * k))
    to_base[np.arange(len(used)), label_of * k + base_of] = 1
    to_head = np.zeros((len(used), k * k))
    to_head[np.arange(len(used)), label_of * k + head_of] = 1
    shape = (settings.resamples, k, k)
    base_draws = count_metrics(
        (draws @ to_base).reshape(shape),
        paired.task,
        present=base_present,
        classes=paired.classes,
        positive=paired.positive,
    )
    head_draws = count_metrics(
        (draws @ to_head).reshape(shape),
        paired.task,
        present=head_present,
        classes=paired.classes,
        positive=paired.positive,
    )
    return {
        name: _Sample(
            _finite(float(at_base[name])),
            _finite(float(at_head[name])),
            head_draws[name] - base_draws[name],
            head_draws[name],
        )
        for name in at_base
    }


def _score_samples(
    paired: Paired, rows: IntArray, prefix: str, settings: Settings, groups: int
) -> dict[str, _Sample]:
    """ROC AUC and log loss from the scores, by the Poisson bootstrap. Multiclass ROC AUC
    is scikit-learn's ``multi_class="ovr"``, ``average="macro"``: the mean of each
    class's AUC against the rest, over the classes whose labels hold both sides."""
    if paired.base_scores is None or paired.head_scores is None:
        return {}
    base_scores = paired.base_scores[rows]
    head_scores = paired.head_scores[rows]
    labels = np.asarray(paired.labels[rows], dtype=np.int64)
    positive = labels == paired.positive
    columns = [
        row_losses(labels, base_scores, paired.positive),
        row_losses(labels, head_scores, paired.positive),
    ]
    # One (base scores, head scores, positive) per AUC averaged: the positive class's
    # (binary), or each class against the rest (multiclass).
    ranked: list[tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]] = []
    if paired.task == "binary":
        ranked = [(base_scores, head_scores, positive)]
    elif base_scores.ndim == 2:
        for index in range(base_scores.shape[1]):
            is_class = labels == index
            if is_class.any():
                ranked.append((base_scores[:, index], head_scores[:, index], is_class))
    ranked = [task for task in ranked if task[2].any() and not task[2].all()]
    for base_col, head_col, pos_mask in ranked:
        pos = pos_mask.astype(np.float64)
        base_place = placements(base_col, pos_mask)
        head_place = placements(head_col, pos_mask)
        columns += [pos, 1 - pos, base_place * pos, base_place * (1 - pos)]
        columns += [head_place * pos, head_place * (1 - pos)]
    rng = _rng(settings, prefix + "rows")
    sums = _replicate_sums(np.column_stack(columns), rng, settings, groups)
    total = sums[:, -1]
    out: dict[str, _Sample] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        if paired.task == "binary" or (ranked and len(ranked) > 1):
            base_auc = head_auc = None
            auc_deltas = auc_heads = np.full(1, np.nan)
            if ranked:
                base_aucs = [roc_auc(b, p) for b, _, p in ranked]
                head_aucs = [roc_auc(h, p) for _, h, p in ranked]
                base_auc = float(np.mean([a for a in base_aucs if a is not None]))
                head_auc = float(np.mean([a for a in head_aucs if a is not None]))
                # The linearised AUC of each replicate: the weighted mean placement of
                # the positives plus that of the negatives, less the AUC itself (for
                # several classes, the mean of theirs).
                base_rep = np.zeros(len(sums))
                head_rep = np.zeros(len(sums))
                for task in range(len(ranked)):
                    at = 2 + 6 * task
                    n_pos, n_neg = sums[:, at], sums[:, at + 1]
                    base_rep += sums[:, at + 2] / n_pos + sums[:, at + 3] / n_neg
                    head_rep += sums[:, at + 4] / n_pos + sums[:, at + 5] / n_neg
                base_rep /= len(ranked)
                head_rep /= len(ranked)
                auc_deltas = (head_rep - head_auc) - (base_rep - base_auc)
                auc_heads = head_rep - head_auc
            out["roc_auc"] = _Sample(base_auc, head_auc, auc_deltas, auc_heads)
        out["log_loss"] = _Sample(
            _finite(float(columns[0].mean())),
            _finite(float(columns[1].mean())),
            (sums[:, 1] - sums[:, 0]) / total,
            sums[:, 1] / total,
        )
    return out


def _regression_samples(
    labels: FloatArray,
    base: FloatArray,
    head: FloatArray,
    prefix: str,
    settings: Settings,
    groups: int,
) -> dict[str, _Sample]:
    """MAE, RMSE and R² by the Poisson bootstrap: each is a ratio of weighted sums."""
    base_errors = base - labels
    head_errors = head - labels
    centred = labels - labels.mean()  # R²'s total sum of squares without cancellation
    features = np.column_stack(
        [
            np.abs(base_errors),
            np.abs(head_errors),
            base_errors**2,
            head_errors**2,
            centred,
            centred**2,
        ]
    )
    sums = _replicate_sums(features, _rng(settings, prefix + "rows"), settings, groups)
    total = sums[:, -1]
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = sums[:, 5] - sums[:, 4] ** 2 / total
        replicates = {
            "mae": ((sums[:, 1] - sums[:, 0]) / total, sums[:, 1] / total),
            "rmse": (
                np.sqrt(sums[:, 3] / total) - np.sqrt(sums[:, 2] / total),
                np.sqrt(sums[:, 3] / total),
            ),
            "r2": ((sums[:, 2] - sums[:, 3]) / spread, 1 - sums[:, 3] / spread),
        }
    at_base = regression_metrics(labels, base)
    at_head = regression_metrics(labels, head)
    return {
        name: _Sample(_finite(at_base[name]), _finite(at_head[name]), deltas, heads)
        for name, (deltas, heads) in replicates.items()
    }
