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
  bootstrap, as TensorFlow Model Analysis uses), drawn in chunks of replicates so
  memory stays bounded. The weights come from a 16-bit lookup of Poisson(1)'s
  quantiles, which is Poisson(1) with its probabilities rounded to 1/65,536.
- **Accuracy** also gets the exact McNemar test on the discordant pairs
  (Dietterich, 1998): its p-value is the binomial test of "base right, head
  wrong" against "base wrong, head right". Every other metric's p-value is the
  bootstrap's: twice the share of replicates on the far side of zero.

Intervals are percentile intervals of the replicates' differences (head - base).
Values equal scikit-learn's on the same arrays (tests compare them); a metric a
revision cannot have (ROC AUC with one class present) is None, never NaN.

Pure numpy and scipy: no files, no DuckDB; the arrays come from the caller.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

Task = Literal["binary", "multiclass", "regression"]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DEFAULT_RESAMPLES = 2000
DEFAULT_CONFIDENCE = 0.95
DEFAULT_MIN_ROWS = 30
# Replicates x rows drawn at once for the row-based metrics: ~16 MB of weights, and a
# few int32 arrays of that shape, keep the process well under 1 GiB at any size.
_CHUNK_CELLS = 16_000_000

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


# --- count-based metrics ---------------------------------------------------------------


def confusion(labels: IntArray, predictions: IntArray, classes: int) -> IntArray:
    """Counts[label][prediction], as scikit-learn's ``confusion_matrix``."""
    flat = np.bincount(labels * classes + predictions, minlength=classes * classes)
    return flat.reshape(classes, classes).astype(np.int64)


def _ratio(top: FloatArray, bottom: FloatArray) -> FloatArray:
    """top / bottom, 0 where bottom is 0 (scikit-learn's ``zero_division`` default)."""
    safe = np.where(bottom > 0, bottom, 1.0)
    return np.where(bottom > 0, top / safe, 0.0)


def count_metrics(
    counts: npt.NDArray[np.floating] | IntArray,
    task: Task,
    *,
    classes: Sequence[str],
    positive: int,
    present: npt.NDArray[np.bool_] | None = None,
) -> dict[str, FloatArray]:
    """Every count-based metric of confusion matrices ``counts`` (..., k, k), vectorised
    over the leading axes (one per bootstrap replicate).

    ``present``: the classes macro averages run over — scikit-learn's
    ``unique_labels(y_true, y_pred)``; by default the classes each matrix holds.
    """
    counts = np.asarray(counts, dtype=np.float64)
    tp = np.diagonal(counts, axis1=-2, axis2=-1)
    support = counts.sum(axis=-1)
    predicted = counts.sum(axis=-2)
    total = support.sum(axis=-1)
    recall = _ratio(tp, support)
    precision = _ratio(tp, predicted)
    f1 = _ratio(2 * tp, support + predicted)
    if present is None:
        present = (support + predicted) > 0
    mask = np.broadcast_to(present, tp.shape)
    has_support = support > 0
    out = {
        "accuracy": _ratio(tp.sum(axis=-1), total),
        "balanced_accuracy": _ratio(
            (recall * has_support).sum(axis=-1), has_support.sum(axis=-1).astype(np.float64)
        ),
    }
    if task == "binary":
        out["precision"] = precision[..., positive]
        out["recall"] = recall[..., positive]
        out["f1"] = f1[..., positive]
        return out
    used = mask.sum(axis=-1).astype(np.float64)
    out["precision"] = _ratio((precision * mask).sum(axis=-1), used)
    out["recall"] = _ratio((recall * mask).sum(axis=-1), used)
    out["f1"] = _ratio((f1 * mask).sum(axis=-1), used)
    for index, name in enumerate(classes):
        out[f"per_class.{name}.precision"] = precision[..., index]
        out[f"per_class.{name}.recall"] = recall[..., index]
        out[f"per_class.{name}.f1"] = f1[..., index]
    return out


def mcnemar(labels: IntArray, base: IntArray, head: IntArray) -> float:
    """The exact (binomial) McNemar p-value of base and head accuracy on the same rows."""
    base_right = base == labels
    head_right = head == labels
    only_base = int(np.count_nonzero(base_right & ~head_right))
    only_head = int(np.count_nonzero(head_right & ~base_right))
    if only_base + only_head == 0:
        return 1.0
    return float(stats.binomtest(only_base, only_base + only_head, 0.5).pvalue)


# --- row-based metrics ------------------------------------------------------------------

_EPS = float(np.finfo(np.float64).eps)


@dataclass(frozen=True, eq=False)
class _Ranking:
    """One side's scores in ascending order, grouped by ties, for weighted ROC AUC."""

    order: IntArray
    positive: npt.NDArray[np.bool_]  # in ``order``
    starts: IntArray | None  # first row of each run of equal scores; None: no ties

    @classmethod
    def of(cls, scores: FloatArray, positive: npt.NDArray[np.bool_]) -> _Ranking:
        order = np.argsort(scores, kind="stable").astype(np.int64)
        ranked = scores[order]
        new = np.empty(len(ranked), dtype=bool)
        new[:1] = True
        new[1:] = ranked[1:] != ranked[:-1]
        starts = None if new.all() else np.flatnonzero(new).astype(np.int64)
        return cls(order, positive[order], starts)

    def auc(self, weights: npt.NDArray[np.integer]) -> FloatArray:
        """ROC AUC with integer row ``weights`` (r, n), one per replicate row, exactly:
        pairs (positive above negative) count 1, tied pairs 1/2, as scikit-learn's."""
        ranked = weights[:, self.order] if weights.shape[1] else weights
        pos = np.where(self.positive, ranked, 0).astype(np.int64)
        neg = ranked.astype(np.int64) - pos
        if self.starts is not None:
            pos = np.add.reduceat(pos, self.starts, axis=1)
            neg = np.add.reduceat(neg, self.starts, axis=1)
        below = np.cumsum(neg, axis=1)
        # Twice the pairs won: negatives strictly below, plus half the tied ones.
        won2 = (pos * (2 * below - neg)).sum(axis=1)
        pairs = (pos.sum(axis=1) * neg.sum(axis=1)).astype(np.float64)
        # A replicate without both classes has no AUC: NaN, left out of the interval.
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(pairs > 0, won2 / 2 / pairs, np.nan)


def roc_auc(scores: FloatArray, positive: npt.NDArray[np.bool_]) -> float | None:
    """ROC AUC of one revision's scores, or None with one class present."""
    if positive.all() or not positive.any():
        return None
    ones = np.ones((1, len(scores)), dtype=np.int64)
    return float(_Ranking.of(scores, positive).auc(ones)[0])


def regression_metrics(labels: FloatArray, values: FloatArray) -> dict[str, float]:
    errors = values - labels
    sse = float(np.sum(errors**2))
    sst = float(np.sum((labels - labels.mean()) ** 2)) if len(labels) else 0.0
    return {
        "mae": float(np.mean(np.abs(errors))),
        "rmse": math.sqrt(sse / len(labels)),
        "r2": _r2(sse, sst),
    }


def _r2(sse: float, sst: float) -> float:
    if sst == 0:  # scikit-learn's force_finite: a perfect fit 1, anything else 0
        return 1.0 if sse == 0 else 0.0
    return 1.0 - sse / sst


# --- the bootstrap ----------------------------------------------------------------------


def _poisson_table() -> npt.NDArray[np.uint8]:
    """Poisson(1) at the midpoints of 65,536 equal quantile steps: a uniform 16-bit
    number through this table is a Poisson(1) draw, its probabilities rounded to 2⁻¹⁶."""
    quantiles = (np.arange(65536) + 0.5) / 65536
    return np.asarray(stats.poisson.ppf(quantiles, 1.0), dtype=np.uint8)


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
    estimates = list(_compare_group(paired, np.arange(paired.rows), "", True, settings))
    for slicing in paired.slices:
        for code, value in enumerate(slicing.values):
            rows = np.flatnonzero(slicing.codes == code)
            if not len(rows):
                continue
            prefix = f"slice.{slicing.column}={value}."
            gated = len(rows) >= settings.min_rows
            estimates.extend(_compare_group(paired, rows, prefix, gated, settings))
    return Comparison(
        task=paired.task,
        rows=paired.rows,
        resamples=settings.resamples,
        confidence=settings.confidence,
        seed=settings.seed,
        estimates=tuple(estimates),
    )


def _compare_group(
    paired: Paired, rows: IntArray, prefix: str, gated: bool, settings: Settings
) -> Iterator[Estimate]:
    kind = np.float64 if paired.task == "regression" else np.int64
    labels: npt.NDArray[Any] = np.asarray(paired.labels[rows], dtype=kind)
    base: npt.NDArray[Any] = np.asarray(paired.base[rows], dtype=kind)
    head: npt.NDArray[Any] = np.asarray(paired.head[rows], dtype=kind)
    count = len(rows)
    samples: dict[str, tuple[float | None, float | None, FloatArray]] = {}
    if paired.task == "regression":
        samples.update(_regression_samples(labels, base, head, prefix, settings))
    else:
        samples.update(_count_samples(paired, labels, base, head, prefix, settings))
        samples.update(_score_samples(paired, rows, prefix, settings))
    for name, (base_value, head_value, deltas) in samples.items():
        undefined = base_value is None or head_value is None
        low, high = (None, None) if undefined else _interval(deltas, settings.confidence)
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
        )


def _count_samples(
    paired: Paired,
    labels: IntArray,
    base: IntArray,
    head: IntArray,
    prefix: str,
    settings: Settings,
) -> dict[str, tuple[float | None, float | None, FloatArray]]:
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
        name: (
            _finite(float(at_base[name])),
            _finite(float(at_head[name])),
            head_draws[name] - base_draws[name],
        )
        for name in at_base
    }


def _score_samples(
    paired: Paired, rows: IntArray, prefix: str, settings: Settings
) -> dict[str, tuple[float | None, float | None, FloatArray]]:
    """ROC AUC (binary) and log loss from the scores, by the Poisson bootstrap."""
    if paired.base_scores is None or paired.head_scores is None:
        return {}
    base_scores = paired.base_scores[rows]
    head_scores = paired.head_scores[rows]
    labels = np.asarray(paired.labels[rows], dtype=np.int64)
    losses = np.column_stack(
        [row_losses_of(paired, labels, base_scores), row_losses_of(paired, labels, head_scores)]
    )
    rankings: tuple[_Ranking, _Ranking] | None = None
    positive = labels == paired.positive
    if paired.task == "binary" and positive.any() and not positive.all():
        rankings = (_Ranking.of(base_scores, positive), _Ranking.of(head_scores, positive))
    rng = _rng(settings, prefix + "rows")
    auc_deltas: list[FloatArray] = []
    loss_deltas: list[FloatArray] = []
    for size in _chunks(settings.resamples, len(rows)):
        weights = _poisson_weights(rng, size, len(rows))
        sums = weights.astype(np.float64) @ losses
        total = weights.sum(axis=1, dtype=np.int64).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            loss_deltas.append((sums[:, 1] - sums[:, 0]) / total)
        if rankings is not None:
            auc_deltas.append(rankings[1].auc(weights) - rankings[0].auc(weights))
    out: dict[str, tuple[float | None, float | None, FloatArray]] = {}
    if paired.task == "binary":
        base_auc = head_auc = None
        if rankings is not None:
            ones = np.ones((1, len(rows)), dtype=np.uint8)
            base_auc = _finite(rankings[0].auc(ones)[0])
            head_auc = _finite(rankings[1].auc(ones)[0])
        deltas = np.concatenate(auc_deltas) if auc_deltas else np.full(1, np.nan)
        out["roc_auc"] = (base_auc, head_auc, deltas)
    out["log_loss"] = (
        _finite(losses[:, 0].mean()),
        _finite(losses[:, 1].mean()),
        np.concatenate(loss_deltas),
    )
    return out


def row_losses_of(paired: Paired, labels: IntArray, scores: FloatArray) -> FloatArray:
    """Each row's log loss: -log P(its label), clipped to [eps, 1 - eps] as scikit-learn."""
    if scores.ndim == 1:
        p_label = np.where(labels == paired.positive, scores, 1.0 - scores)
    else:
        p_label = scores[np.arange(len(labels)), labels]
    return np.asarray(-np.log(np.clip(p_label, _EPS, 1.0 - _EPS)), dtype=np.float64)


def _regression_samples(
    labels: FloatArray, base: FloatArray, head: FloatArray, prefix: str, settings: Settings
) -> dict[str, tuple[float | None, float | None, FloatArray]]:
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
    rng = _rng(settings, prefix + "rows")
    deltas: dict[str, list[FloatArray]] = {"mae": [], "rmse": [], "r2": []}
    for size in _chunks(settings.resamples, len(labels)):
        weights = _poisson_weights(rng, size, len(labels))
        sums = weights.astype(np.float64) @ features
        total = weights.sum(axis=1, dtype=np.int64).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            deltas["mae"].append((sums[:, 1] - sums[:, 0]) / total)
            deltas["rmse"].append(np.sqrt(sums[:, 3] / total) - np.sqrt(sums[:, 2] / total))
            spread = sums[:, 5] - sums[:, 4] ** 2 / total
            deltas["r2"].append((sums[:, 2] - sums[:, 3]) / spread)
    at_base = regression_metrics(labels, base)
    at_head = regression_metrics(labels, head)
    return {
        name: (_finite(at_base[name]), _finite(at_head[name]), np.concatenate(parts))
        for name, parts in deltas.items()
    }
