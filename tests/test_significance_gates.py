"""Predictions in mlci.yaml, the policy that picks them, gates that know noise from
regression, the compact report cell, and the results file that carries it all."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import make_results

from mlci.checks.paired import to_changes
from mlci.config import parse_config
from mlci.errors import ConfigError
from mlci.judge.gates import evaluate
from mlci.judge.policy import Policy
from mlci.judge.significance import Paired, Settings, compare
from mlci.render.markdown import fmt_change
from mlci.results import Change, PredictionsRun, Results, worst
from mlci.specs import PredictionsSpec, SliceSpec

FULL = """\
predictions:
  path: eval/preds.parquet
  format: parquet
  id: example
  label: y
  prediction: yhat
  scores: {0: p0, 1: p1}
  task: binary
  positive: 1
  slices:
    - gender
    - {column: age, bins: [60, 30]}
    - {column: income, bins: 4}
  min_join: 1
  resamples: 500
  confidence: 0.9
  seed: 7
  min_rows: 50
metrics:
  - key: accuracy
    max_drop: 0.01
    significance: 0.05
  - key: recall
    min: 0.8
    min_confidence: lower
"""


def test_the_predictions_section_parses_into_its_spec() -> None:
    config = parse_config(FULL)
    assert config.predictions == PredictionsSpec(
        path="eval/preds.parquet",
        format="parquet",
        id="example",
        label="y",
        prediction="yhat",
        scores=(("0", "p0"), ("1", "p1")),
        task="binary",
        positive="1",
        slices=(
            SliceSpec("gender"),
            SliceSpec("age", bins=(30.0, 60.0)),
            SliceSpec("income", bins=4),
        ),
        min_join=1.0,
        resamples=500,
        confidence=0.9,
        seed=7,
        min_rows=50,
    )
    accuracy, recall = config.metrics
    assert (accuracy.significance, accuracy.min_confidence) == (0.05, "point")
    assert (recall.significance, recall.min_confidence) == (None, "lower")


def test_defaults_are_the_documented_ones() -> None:
    spec = parse_config("predictions: {path: p.csv}\n").predictions
    assert spec == PredictionsSpec(path="p.csv")
    assert (spec.resamples, spec.confidence, spec.min_rows, spec.min_join) == (2000, 0.95, 30, 0.95)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("predictions: {label: y}\n", "mlci.yaml:1: predictions: missing required key 'path'"),
        (
            "predictions:\n  path: p.csv\n  confidance: 0.9\n",
            "mlci.yaml:3: predictions.confidance: unknown key 'confidance'",
        ),
        (
            "predictions:\n  path: p.csv\n  confidence: 95\n",
            "mlci.yaml:3: predictions.confidence: expected a number above 0 and below 1, got 95",
        ),
        (
            "predictions:\n  path: p.csv\n  task: ranking\n",
            "mlci.yaml:3: predictions.task: expected one of binary, multiclass, regression, "
            "got 'ranking'",
        ),
        (
            "predictions:\n  path: p.csv\n  resamples: 10\n",
            "mlci.yaml:3: predictions.resamples: expected a whole number ≥ 100, got 10",
        ),
        (
            "predictions:\n  path: p.csv\n  slices:\n    - {column: age, bins: many}\n",
            "mlci.yaml:4: predictions.slices[0].bins: expected a number, got 'many'",
        ),
        (
            "metrics:\n  - key: accuracy\n    max_drop: 0.01\n    significance: 5\n",
            "mlci.yaml:4: metrics[0].significance: expected a number above 0 and below 1, got 5",
        ),
        (
            "metrics:\n  - key: accuracy\n    min: 0.9\n    min_confidence: upper\n",
            "mlci.yaml:4: metrics[0].min_confidence: expected one of point, lower, got 'upper'",
        ),
    ],
)
def test_errors_name_file_line_and_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    assert info.value.message == message
    assert info.value.exit_code == 2


def test_the_base_decides_the_predictions() -> None:
    base = parse_config("predictions: {path: base.csv, resamples: 5000}\n")
    head = parse_config("predictions: {path: head.csv, resamples: 100}\n")
    nothing = parse_config("base: main\n")
    assert Policy(base, head).predictions() == (base.predictions, "base")
    # A base that declares none lets the pull request add the comparison.
    assert Policy(nothing, head).predictions() == (head.predictions, "head")
    assert Policy(None, head).predictions() == (head.predictions, "head")
    assert Policy(nothing, nothing).predictions() is None


def _change(**fields: object) -> Change:
    defaults: dict[str, object] = {
        "file": "eval/preds.csv",
        "key": "accuracy",
        "base": 0.9825,
        "head": 0.9737,
        "change": 0.9737 - 0.9825,
        "change_pct": -0.9,
        "status": "changed",
        "better": "higher",
        "low": -0.026,
        "high": 0.009,
        "p_value": 0.5,
        "level": 0.05,
        "head_low": 0.95,
        "head_high": 0.99,
        "rows": 114,
    }
    return Change(**{**defaults, **fields})  # type: ignore[arg-type]


def _gate(config: str, change: Change) -> tuple[str, str]:
    rules = [(rule, "base") for rule in parse_config(config).metrics]
    [gate] = evaluate([change], rules)
    return gate.outcome, gate.reason


RULE = "metrics:\n  - key: accuracy\n    max_drop: 0.005\n    significance: 0.05\n"


def test_a_drop_beyond_the_threshold_that_is_not_significant_is_a_warning() -> None:
    assert _gate(RULE, _change()) == (
        "warn",
        "dropped by 0.0088 (0.9825 → 0.9737), allowed 0.005; "
        "not significant (p = 0.5 ≥ 0.05): may be noise",
    )


def test_a_significant_drop_beyond_the_threshold_fails() -> None:
    outcome, reason = _gate(RULE, _change(p_value=0.003, high=-0.002))
    assert outcome == "fail"
    assert reason.endswith("; significant (p = 0.003 < 0.05)")


def test_a_drop_within_the_threshold_passes_whatever_its_p_value() -> None:
    outcome, _ = _gate(RULE, _change(head=0.98, change=0.98 - 0.9825, p_value=0.001))
    assert outcome == "pass"


def test_without_significance_the_threshold_alone_decides() -> None:
    rule = "metrics:\n  - key: accuracy\n    max_drop: 0.005\n"
    assert _gate(rule, _change())[0] == "fail"
    # A metric read from a file has no test: a significance rule judges it as before.
    assert _gate(RULE, _change(p_value=None, low=None, high=None))[0] == "fail"


def test_min_on_the_lower_bound_of_the_interval() -> None:
    rule = "metrics:\n  - key: accuracy\n    min: 0.96\n    min_confidence: lower\n"
    assert _gate(rule, _change()) == (
        "fail",
        "0.9737, its interval's lower bound 0.95 < min 0.96",
    )
    assert _gate(rule, _change(head_low=0.961))[0] == "pass"
    point = "metrics:\n  - key: accuracy\n    min: 0.96\n"
    assert _gate(point, _change())[0] == "pass"


def test_slices_below_their_support_are_never_gated() -> None:
    rules = [
        (r, "base") for r in parse_config(RULE.replace("accuracy", "slice.*.accuracy")).metrics
    ]
    small = _change(key="slice.gender=f.accuracy", gated=False, p_value=0.001)
    large = _change(key="slice.gender=m.accuracy", p_value=0.001)
    gates = evaluate([small, large], rules)
    assert [(g.key, g.outcome) for g in gates] == [("slice.gender=m.accuracy", "fail")]
    # Matched, so not reported as a rule that matches nothing.
    assert evaluate([small], rules) == ()


def test_the_compact_cell() -> None:
    minus = "\N{MINUS SIGN}"
    assert fmt_change(_change()) == (
        f"▼ {minus}0.88 pt [{minus}2.6, +0.9] · p = 0.50 · not significant"
    )
    assert fmt_change(_change(p_value=0.0004, level=0.01)) == (
        f"▼ {minus}0.88 pt [{minus}2.6, +0.9] · p < 0.001 · significant"
    )
    loss = _change(key="log_loss", base=0.30, head=0.25, change=-0.05, low=-0.08, high=-0.02)
    assert (
        fmt_change(loss) == f"▼ {minus}0.05 [{minus}0.08, {minus}0.02] · p = 0.50 · not significant"
    )
    small = _change(key="slice.age=<30.recall", gated=False, rows=12)
    assert fmt_change(small).endswith(" · 12 examples: not gated")
    # A metric from a file keeps the old cell.
    plain = _change(low=None, high=None, p_value=None)
    assert fmt_change(plain) == "▼ -0.0088 (-0.90%) worse"


def test_results_with_predictions_round_trip_through_the_schema(tmp_path: Path) -> None:
    run = PredictionsRun(
        path="eval/preds.csv",
        source="base",
        task="binary",
        rows=114,
        base_rows=114,
        head_rows=115,
        resamples=2000,
        confidence=0.95,
        notes=("0 examples only at base and 1 only at head are left out of the comparison",),
    )
    results = make_results(
        metrics=(_change(), _change(key="slice.g=a.f1", gated=False)), predictions=run
    )
    path = tmp_path / "r.json"
    results.write(path)
    assert Results.read(path) == results


def _simulated_pr(rng: np.random.Generator, base_errors: float, head_errors: float) -> str:
    """One pull request on 2,000 examples: each model wrong independently at its rate;
    the outcome of `accuracy: max_drop 0, significance 0.05` on it."""
    rows = 2000
    labels = np.zeros(rows, dtype=np.int64)
    base = (rng.random(rows) < base_errors).astype(np.int64)
    head = (rng.random(rows) < head_errors).astype(np.int64)
    paired = Paired("binary", labels, base, head, ("0", "1"), 1)
    comparison = compare(paired, Settings(resamples=200))
    changes = to_changes(PredictionsSpec(path="p.csv"), comparison)
    rule = "metrics:\n  - key: accuracy\n    max_drop: 0\n    significance: 0.05\n"
    gates = evaluate(changes, [(r, "base") for r in parse_config(rule).metrics])
    return worst(g.outcome for g in gates)


def test_a_significance_rule_fails_noise_rarely_and_real_drops_mostly() -> None:
    """300 simulated pull requests whose head is exactly as good as the base fail the
    rule at most 8% of the time; 300 with a real drop of 3 points (6% errors to 9%)
    on 2,000 examples fail at least 85% of the time. Every drop that does not fail
    warns: nothing passes silently."""
    rng = np.random.default_rng(99)
    same = [_simulated_pr(rng, 0.06, 0.06) for _ in range(300)]
    worse = [_simulated_pr(rng, 0.06, 0.09) for _ in range(300)]
    assert same.count("fail") <= 0.08 * 300
    assert worse.count("fail") >= 0.85 * 300
    assert "warn" in same  # drops that were noise: said so
