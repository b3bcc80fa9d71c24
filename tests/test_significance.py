"""mlci.judge.significance: metrics equal scikit-learn's, and the intervals and tests
behave as statistics promise (checked by relation and by simulation, seeded)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from sklearn import metrics as skm

from mlci.judge import significance as sig
from mlci.judge.significance import Paired, Settings, Slicing, compare, mcnemar


def _classifier(
    rng: np.random.Generator, labels: npt.NDArray[Any], right: float, classes: int
) -> npt.NDArray[np.int64]:
    """Predictions right with probability ``right``, else a uniformly wrong class."""
    wrong = (labels + rng.integers(1, classes, len(labels))) % classes
    return np.where(rng.random(len(labels)) < right, labels, wrong).astype(np.int64)


def _binary(seed: int = 0, rows: int = 3000) -> Paired:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, rows)
    # Scores rounded to two decimals: ties, which ROC AUC must count as half pairs.
    base_scores = np.clip(0.3 * labels + 0.7 * rng.random(rows), 0, 1).round(2)
    head_scores = np.clip(0.4 * labels + 0.6 * rng.random(rows), 0, 1).round(2)
    base_scores[:5] = [0.0, 1.0, 0.0, 1.0, 0.5]  # log loss clips certain answers
    return Paired(
        task="binary",
        labels=labels,
        base=_classifier(rng, labels, 0.8, 2),
        head=_classifier(rng, labels, 0.83, 2),
        classes=("0", "1"),
        positive=1,
        base_scores=base_scores,
        head_scores=head_scores,
    )


def _multiclass(seed: int = 0, rows: int = 3000, classes: int = 5) -> Paired:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, rows)
    raw = rng.random((rows, classes)) + 2 * np.eye(classes)[labels]
    scores = raw / raw.sum(axis=1, keepdims=True)
    head_raw = rng.random((rows, classes)) + 3 * np.eye(classes)[labels]
    return Paired(
        task="multiclass",
        labels=labels,
        base=_classifier(rng, labels, 0.7, classes),
        head=_classifier(rng, labels, 0.72, classes),
        classes=tuple(f"c{i}" for i in range(classes)),
        base_scores=scores,
        head_scores=head_raw / head_raw.sum(axis=1, keepdims=True),
    )


def _values(comparison: sig.Comparison, side: str) -> dict[str, float | None]:
    return {e.key: getattr(e, side) for e in comparison.estimates}


def test_binary_metrics_equal_scikit_learn() -> None:
    paired = _binary()
    comparison = compare(paired, Settings(resamples=50))
    for side, predictions, scores in (
        ("base", paired.base, paired.base_scores),
        ("head", paired.head, paired.head_scores),
    ):
        got = _values(comparison, side)
        y = paired.labels
        assert got["accuracy"] == pytest.approx(skm.accuracy_score(y, predictions))
        assert got["balanced_accuracy"] == pytest.approx(
            skm.balanced_accuracy_score(y, predictions)
        )
        assert got["precision"] == pytest.approx(skm.precision_score(y, predictions))
        assert got["recall"] == pytest.approx(skm.recall_score(y, predictions))
        assert got["f1"] == pytest.approx(skm.f1_score(y, predictions))
        assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(y, scores))
        assert got["log_loss"] == pytest.approx(skm.log_loss(y, scores))


def test_binary_positive_class_is_the_one_named() -> None:
    paired = _binary()
    flipped = Paired(**{**paired.__dict__, "positive": 0})
    got = _values(compare(flipped, Settings(resamples=20)), "head")
    y, head = paired.labels, paired.head
    assert got["recall"] == pytest.approx(skm.recall_score(y, head, pos_label=0))
    assert got["precision"] == pytest.approx(skm.precision_score(y, head, pos_label=0))
    # P(positive) is now P(class 0): scikit-learn's view of the same scores.
    assert paired.head_scores is not None
    assert got["log_loss"] == pytest.approx(skm.log_loss(1 - y, paired.head_scores))


def test_multiclass_metrics_equal_scikit_learn() -> None:
    paired = _multiclass()
    comparison = compare(paired, Settings(resamples=50))
    for side, predictions, scores in (
        ("base", paired.base, paired.base_scores),
        ("head", paired.head, paired.head_scores),
    ):
        got = _values(comparison, side)
        y = paired.labels
        assert got["accuracy"] == pytest.approx(skm.accuracy_score(y, predictions))
        assert got["balanced_accuracy"] == pytest.approx(
            skm.balanced_accuracy_score(y, predictions)
        )
        for name in ("precision", "recall", "f1"):
            scorer = getattr(skm, f"{name}_score")
            assert got[name] == pytest.approx(scorer(y, predictions, average="macro"))
            per_class = scorer(y, predictions, average=None)
            for index, value in enumerate(per_class):
                assert got[f"per_class.c{index}.{name}"] == pytest.approx(value)
        assert got["log_loss"] == pytest.approx(skm.log_loss(y, scores))
        assert got["roc_auc"] == pytest.approx(
            skm.roc_auc_score(y, scores, multi_class="ovr", average="macro")
        )


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
def test_macro_averages_run_over_the_classes_each_side_uses() -> None:
    """A class nobody predicts and no label holds is left out, as scikit-learn does;
    a class only predicted (never a label) counts with recall 0."""
    labels = np.array([0, 0, 1, 1, 1, 0])
    base = np.array([0, 1, 1, 1, 0, 0])
    head = np.array([0, 2, 1, 1, 0, 2])  # class 2 only predicted by head
    paired = Paired("multiclass", labels, base, head, classes=("a", "b", "c", "d"))
    comparison = compare(paired, Settings(resamples=20))
    for side, predictions in (("base", base), ("head", head)):
        got = _values(comparison, side)
        for name in ("precision", "recall", "f1"):
            scorer = getattr(skm, f"{name}_score")
            expected = scorer(labels, predictions, average="macro", zero_division=0)
            assert got[name] == pytest.approx(expected)
        assert got["balanced_accuracy"] == pytest.approx(
            skm.balanced_accuracy_score(labels, predictions)
        )


def test_regression_metrics_equal_scikit_learn() -> None:
    rng = np.random.default_rng(3)
    labels = rng.normal(50, 10, 2000)
    base = labels + rng.normal(0, 3, 2000)
    head = labels + rng.normal(0.5, 2.5, 2000)
    comparison = compare(Paired("regression", labels, base, head), Settings(resamples=50))
    for side, predictions in (("base", base), ("head", head)):
        got = _values(comparison, side)
        assert got["mae"] == pytest.approx(skm.mean_absolute_error(labels, predictions))
        assert got["rmse"] == pytest.approx(skm.root_mean_squared_error(labels, predictions))
        assert got["r2"] == pytest.approx(skm.r2_score(labels, predictions))


def test_r2_of_constant_labels_is_finite_as_in_scikit_learn() -> None:
    labels = np.full(40, 3.0)
    exact = labels.copy()
    off = labels + 1
    got = _values(compare(Paired("regression", labels, exact, off), Settings(resamples=20)), "base")
    assert got["r2"] == skm.r2_score(labels, exact)
    got = _values(compare(Paired("regression", labels, off, exact), Settings(resamples=20)), "base")
    assert got["r2"] == skm.r2_score(labels, off)


def test_roc_auc_with_one_class_is_none_not_nan() -> None:
    labels = np.ones(50, dtype=np.int64)
    scores = np.linspace(0, 1, 50)
    paired = Paired("binary", labels, labels, labels, ("0", "1"), 1, scores, scores)
    auc = compare(paired, Settings(resamples=20)).get("roc_auc")
    assert auc is not None
    assert (auc.base, auc.head, auc.low, auc.high, auc.p_value) == (None,) * 5


@pytest.mark.parametrize("make", [_binary, _multiclass])
def test_identical_predictions_change_nothing_with_certainty(make: Any) -> None:
    paired = make()
    same = Paired(**{**paired.__dict__, "head": paired.base, "head_scores": paired.base_scores})
    for estimate in compare(same, Settings(resamples=200)).estimates:
        assert estimate.change == 0
        assert (estimate.low, estimate.high) == (0, 0), estimate.key
        assert estimate.p_value == 1, estimate.key


def test_identical_regression_predictions_change_nothing() -> None:
    rng = np.random.default_rng(0)
    labels = rng.normal(size=300)
    base = labels + rng.normal(size=300)
    for estimate in compare(Paired("regression", labels, base, base)).estimates:
        assert (estimate.change, estimate.low, estimate.high, estimate.p_value) == (0, 0, 0, 1)


def test_a_large_real_improvement_is_significant_with_its_sign() -> None:
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 2, 4000)
    scores_base = np.clip(0.2 * labels + 0.8 * rng.random(4000), 0, 1)
    scores_head = np.clip(0.5 * labels + 0.5 * rng.random(4000), 0, 1)
    paired = Paired(
        "binary",
        labels,
        _classifier(rng, labels, 0.7, 2),
        _classifier(rng, labels, 0.9, 2),
        ("0", "1"),
        1,
        scores_base,
        scores_head,
    )
    comparison = compare(paired, Settings(resamples=500))
    for key in ("accuracy", "balanced_accuracy", "f1", "roc_auc"):
        estimate = comparison.get(key)
        assert estimate is not None and estimate.low is not None and estimate.p_value is not None
        assert estimate.low > 0, key
        assert estimate.p_value < 0.01, key
    loss = comparison.get("log_loss")
    assert loss is not None and loss.high is not None and loss.high < 0
    assert not loss.higher_is_better


def test_the_interval_holds_the_observed_change_and_narrows_with_more_data() -> None:
    small = compare(_binary(seed=1, rows=500), Settings(resamples=500)).get("accuracy")
    large = compare(_binary(seed=1, rows=20000), Settings(resamples=500)).get("accuracy")
    for estimate in (small, large):
        assert estimate is not None and estimate.low is not None and estimate.high is not None
        assert estimate.change is not None
        assert estimate.low <= estimate.change <= estimate.high
    assert small is not None and large is not None
    assert small.low is not None and small.high is not None
    assert large.low is not None and large.high is not None
    assert large.high - large.low < (small.high - small.low) / 3


def test_higher_confidence_gives_a_wider_interval() -> None:
    paired = _binary(seed=2, rows=2000)
    narrow = compare(paired, Settings(confidence=0.8)).get("f1")
    wide = compare(paired, Settings(confidence=0.99)).get("f1")
    assert narrow is not None and wide is not None
    assert narrow.low is not None and narrow.high is not None
    assert wide.low is not None and wide.high is not None
    assert wide.low < narrow.low and wide.high > narrow.high


def test_same_seed_same_answer_other_seed_other_draws() -> None:
    paired = _binary(seed=4, rows=1000)
    first = compare(paired, Settings(resamples=300, seed=7))
    again = compare(paired, Settings(resamples=300, seed=7))
    other = compare(paired, Settings(resamples=300, seed=8))
    assert first == again
    assert [e.low for e in first.estimates] != [e.low for e in other.estimates]
    # The point values never depend on the seed.
    assert [e.base for e in first.estimates] == [e.base for e in other.estimates]


def _exact_mcnemar(only_base: int, only_head: int) -> float:
    """The two-sided exact binomial test, summed by hand."""
    n = only_base + only_head
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(only_base, only_head) + 1)) / 2**n
    return min(1.0, 2 * float(tail))


@pytest.mark.parametrize(
    ("only_base", "only_head", "both"), [(0, 0, 50), (3, 3, 10), (1, 9, 40), (20, 5, 0), (7, 0, 3)]
)
def test_mcnemar_is_the_exact_binomial_test_on_discordant_pairs(
    only_base: int, only_head: int, both: int
) -> None:
    labels = np.zeros(only_base + only_head + both + 11, dtype=np.int64)
    base = np.array([0] * only_base + [1] * only_head + [0] * both + [1] * 11)
    head = np.array([1] * only_base + [0] * only_head + [0] * both + [1] * 11)
    assert mcnemar(labels, base, head) == pytest.approx(_exact_mcnemar(only_base, only_head))


@pytest.mark.parametrize(("only_base", "only_head"), [(2400, 2600), (0, 3000), (1490, 1510)])
def test_mcnemar_stays_exact_on_thousands_of_discordant_pairs(
    only_base: int, only_head: int
) -> None:
    """Summed without scipy (see _binomial_two_sided): still the exact test where the
    binomial coefficients run to hundreds of digits."""
    labels = np.zeros(only_base + only_head, dtype=np.int64)
    base = np.array([0] * only_base + [1] * only_head)
    head = 1 - base
    assert mcnemar(labels, base, head) == pytest.approx(
        _exact_mcnemar(only_base, only_head), rel=1e-9
    )


def test_bootstrap_weights_are_poisson_one_quantiles() -> None:
    """The 16-bit lookup table of Poisson(1) draws is scipy's quantile function at the
    midpoints of its steps (computed without importing scipy.stats)."""
    stats = pytest.importorskip("scipy.stats")
    from mlci.judge.significance import _POISSON

    midpoints = (np.arange(65536) + 0.5) / 65536
    assert np.array_equal(_POISSON, stats.poisson.ppf(midpoints, 1.0).astype(np.uint8))


def test_mcnemar_holds_its_level_and_finds_a_three_point_drop() -> None:
    """300 simulated pull requests: a head as good as the base (independent errors)
    is called significant at most 8% of the time at 0.05; a real drop of 3 points
    on 2,000 examples (94% accurate to 91%) at least 85% of the time."""
    rng = np.random.default_rng(2024)
    rows = 2000
    labels = np.zeros(rows, dtype=np.int64)
    false_alarms = found = 0
    for _ in range(300):
        base = (rng.random(rows) > 0.94).astype(np.int64)  # 6% errors
        same = (rng.random(rows) > 0.94).astype(np.int64)
        worse = (rng.random(rows) > 0.91).astype(np.int64)  # 9% errors
        false_alarms += mcnemar(labels, base, same) < 0.05
        found += mcnemar(labels, base, worse) < 0.05
    assert false_alarms <= 0.08 * 300
    assert found >= 0.85 * 300


def test_interval_coverage_of_a_known_difference() -> None:
    """The 95% interval of the accuracy change holds the true difference (0.03) in
    92-98% of 300 simulated test sets."""
    rng = np.random.default_rng(11)
    rows, covered = 600, 0
    labels = np.zeros(rows, dtype=np.int64)
    for trial in range(300):
        base = (rng.random(rows) > 0.85).astype(np.int64)
        head = (rng.random(rows) > 0.88).astype(np.int64)
        paired = Paired("binary", labels, base, head, ("0", "1"), 1)
        estimate = compare(paired, Settings(resamples=1000, seed=trial)).get("accuracy")
        assert estimate is not None and estimate.low is not None and estimate.high is not None
        covered += estimate.low <= 0.03 <= estimate.high
    assert 0.92 * 300 <= covered <= 0.98 * 300


def test_poisson_interval_coverage_of_a_known_mae_difference() -> None:
    """The row-based (Poisson) bootstrap: errors |N(0, 1)| vs |N(0, 1.2)| differ in
    mean by 0.2 * sqrt(2 / pi); the 95% interval holds it in 92-98% of 300 trials."""
    rng = np.random.default_rng(12)
    rows, covered = 400, 0
    truth = 0.2 * math.sqrt(2 / math.pi)
    for trial in range(300):
        labels = rng.normal(size=rows)
        base = labels + rng.normal(0, 1.0, rows)
        head = labels + rng.normal(0, 1.2, rows)
        paired = Paired("regression", labels, base, head)
        estimate = compare(paired, Settings(resamples=500, seed=trial)).get("mae")
        assert estimate is not None and estimate.low is not None and estimate.high is not None
        covered += estimate.low <= truth <= estimate.high
    assert 0.92 * 300 <= covered <= 0.98 * 300


def test_slices_compute_every_metric_per_value_and_gate_only_supported_ones() -> None:
    paired = _binary(seed=6, rows=1000)
    rng = np.random.default_rng(6)
    codes = rng.choice([0, 1, 2, -1], size=1000, p=[0.6, 0.37, 0.02, 0.01])
    sliced = Paired(**{**paired.__dict__, "slices": (Slicing("group", ("a", "b", "rare"), codes),)})
    comparison = compare(sliced, Settings(resamples=100, min_rows=30))
    for code, name in enumerate(("a", "b", "rare")):
        rows = codes == code
        estimate = comparison.get(f"slice.group={name}.recall")
        assert estimate is not None
        assert estimate.rows == rows.sum()
        assert estimate.gated == (rows.sum() >= 30)
        assert estimate.head == pytest.approx(
            skm.recall_score(paired.labels[rows], paired.head[rows])
        )
        auc = comparison.get(f"slice.group={name}.roc_auc")
        assert auc is not None and auc.base is not None
        assert paired.base_scores is not None
        assert auc.base == pytest.approx(
            skm.roc_auc_score(paired.labels[rows], paired.base_scores[rows])
        )
    # The overall numbers are the same with or without slices.
    plain = compare(paired, Settings(resamples=100))
    assert [e for e in comparison.estimates if not e.key.startswith("slice.")] == list(
        plain.estimates
    )


def _auc_trial(rng: np.random.Generator, rows: int, trial: int) -> sig.Estimate | None:
    """Scores N(0, 1) for negatives; N(1, 1) (base) and N(1.3, 1) (head) for positives,
    each model with its own noise: AUCs Phi(1 / sqrt 2) and Phi(1.3 / sqrt 2)."""
    labels = rng.integers(0, 2, rows)
    base = rng.normal(size=rows) + labels * 1.0
    head = 0.6 * base + 0.8 * rng.normal(size=rows) + labels * (1.3 - 0.6)
    predictions = (base > 0.5).astype(np.int64)
    paired = Paired("binary", labels, predictions, predictions, ("0", "1"), 1, base, head)
    return compare(paired, Settings(resamples=500, seed=trial)).get("roc_auc")


def test_roc_auc_interval_coverage_of_a_known_difference() -> None:
    from scipy.stats import norm

    truth = norm.cdf(1.3 / math.sqrt(2)) - norm.cdf(1 / math.sqrt(2))
    rng = np.random.default_rng(13)
    covered = 0
    for trial in range(300):
        estimate = _auc_trial(rng, 400, trial)
        assert estimate is not None and estimate.low is not None and estimate.high is not None
        covered += estimate.low <= truth <= estimate.high
    assert 0.92 * 300 <= covered <= 0.98 * 300


def test_grouped_rows_keep_the_coverage(monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond GROUPS rows the bootstrap resamples random groups of rows: with 64
    groups of ~16 rows the MAE interval still holds the truth 92-98% of the time."""
    monkeypatch.setattr(sig, "GROUPS", 64)
    rng = np.random.default_rng(14)
    truth = 0.2 * math.sqrt(2 / math.pi)
    covered = 0
    for trial in range(300):
        labels = rng.normal(size=1000)
        paired = Paired(
            "regression",
            labels,
            labels + rng.normal(0, 1.0, 1000),
            labels + rng.normal(0, 1.2, 1000),
        )
        estimate = compare(paired, Settings(resamples=500, seed=trial)).get("mae")
        assert estimate is not None and estimate.low is not None and estimate.high is not None
        covered += estimate.low <= truth <= estimate.high
    assert 0.92 * 300 <= covered <= 0.98 * 300


def test_a_clearly_better_multiclass_ranking_is_a_significant_roc_auc_gain() -> None:
    """One-vs-rest ROC AUC is resampled like the binary one: a head whose scores rank
    the true class far better has an interval above zero; its base against itself
    has none."""
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 4, 2000)

    def scores(signal: float) -> Any:
        raw = rng.random((2000, 4)) + signal * np.eye(4)[labels]
        return raw / raw.sum(axis=1, keepdims=True)

    base_scores, head_scores = scores(0.2), scores(0.6)
    paired = Paired(
        task="multiclass",
        labels=labels,
        base=base_scores.argmax(axis=1),
        head=head_scores.argmax(axis=1),
        classes=("a", "b", "c", "d"),
        base_scores=base_scores,
        head_scores=head_scores,
    )
    auc = compare(paired, Settings(resamples=300)).get("roc_auc")
    assert auc is not None and auc.base is not None and auc.head is not None
    assert 0.5 < auc.base < auc.head < 1
    assert auc is not None and auc.change is not None
    assert auc.change > 0
    assert auc.low is not None and auc.low > 0
    assert auc.p_value is not None and auc.p_value < 0.05
