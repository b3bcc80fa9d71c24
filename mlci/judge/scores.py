"""Metrics computed from predictions, equal to scikit-learn's on the same arrays.

Count-based metrics come from confusion matrices, vectorised over leading axes so
one call scores every bootstrap replicate; the row-based ones (ROC AUC, log loss,
MAE/RMSE/R²) from the rows. :mod:`mlci.judge.significance` resamples them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from mlci.specs import Task

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


# --- count-based metrics ---------------------------------------------------------------


def confusion(labels: IntArray, predictions: IntArray, classes: int) -> IntArray:
    """Counts[label][prediction], as scikit-learn's ``confusion_matrix``."""
    flat = np.bincount(labels * classes + predictions, minlength=classes * classes)
    return flat.reshape(classes, classes).astype(np.int64)


def ratio(top: FloatArray, bottom: FloatArray) -> FloatArray:
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
    recall = ratio(tp, support)
    precision = ratio(tp, predicted)
    f1 = ratio(2 * tp, support + predicted)
    if present is None:
        present = (support + predicted) > 0
    mask = np.broadcast_to(present, tp.shape)
    has_support = support > 0
    out = {
        "accuracy": ratio(tp.sum(axis=-1), total),
        "balanced_accuracy": ratio(
            (recall * has_support).sum(axis=-1), has_support.sum(axis=-1).astype(np.float64)
        ),
    }
    if task == "binary":
        out["precision"] = precision[..., positive]
        out["recall"] = recall[..., positive]
        out["f1"] = f1[..., positive]
        return out
    used = mask.sum(axis=-1).astype(np.float64)
    out["precision"] = ratio((precision * mask).sum(axis=-1), used)
    out["recall"] = ratio((recall * mask).sum(axis=-1), used)
    out["f1"] = ratio((f1 * mask).sum(axis=-1), used)
    for index, name in enumerate(classes):
        out[f"per_class.{name}.precision"] = precision[..., index]
        out[f"per_class.{name}.recall"] = recall[..., index]
        out[f"per_class.{name}.f1"] = f1[..., index]
    return out


# --- row-based metrics ------------------------------------------------------------------

_EPS = float(np.finfo(np.float64).eps)


def placements(scores: FloatArray, positive: npt.NDArray[np.bool_]) -> FloatArray:
    """Each row's placement value (DeLong et al., 1988): for a positive, the share of
    negatives scored below it; for a negative, the share of positives scored above
    it; ties count one half. ROC AUC is the mean placement of the positives (and of
    the negatives), and a change of weights moves it, to first order, by the
    weighted means of these values: the linearisation the bootstrap resamples."""
    pos_sorted = np.sort(scores[positive])
    neg_sorted = np.sort(scores[~positive])
    out = np.empty(len(scores), dtype=np.float64)
    s_pos = scores[positive]
    below = np.searchsorted(neg_sorted, s_pos, "left")
    equal = np.searchsorted(neg_sorted, s_pos, "right") - below
    out[positive] = (below + equal / 2) / max(1, len(neg_sorted))
    s_neg = scores[~positive]
    above = len(pos_sorted) - np.searchsorted(pos_sorted, s_neg, "right")
    equal = np.searchsorted(pos_sorted, s_neg, "right") - np.searchsorted(pos_sorted, s_neg, "left")
    out[~positive] = (above + equal / 2) / max(1, len(pos_sorted))
    return out


def roc_auc(scores: FloatArray, positive: npt.NDArray[np.bool_]) -> float | None:
    """ROC AUC of one revision's scores, or None with one class present."""
    if positive.all() or not positive.any():
        return None
    return float(placements(scores, positive)[positive].mean())


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


def row_losses(labels: IntArray, scores: FloatArray, positive: int) -> FloatArray:
    """Each row's log loss: -log P(its label), clipped to [eps, 1 - eps] as scikit-learn."""
    if scores.ndim == 1:
        p_label = np.where(labels == positive, scores, 1.0 - scores)
    else:
        p_label = scores[np.arange(len(labels)), labels]
    return np.asarray(-np.log(np.clip(p_label, _EPS, 1.0 - _EPS)), dtype=np.float64)
