"""mlci.judge.gates: thresholds, globs, base-vs-head rules and load errors, with exact reasons."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from mlci.config import Config, MetricRule
from mlci.judge.diff import diff_values
from mlci.judge.gates import describe, evaluate, matches
from mlci.judge.policy import Policy
from mlci.results import Change, GateResult, LoadError

M = "metrics.json"


def changes(base: Mapping[str, Any], head: Mapping[str, Any], file: str = M) -> tuple[Change, ...]:
    return diff_values({file: base} if base else {}, {file: head} if head else {})


def gate(
    base: Mapping[str, Any],
    head: Mapping[str, Any],
    *rules: MetricRule,
    head_rules: Sequence[MetricRule] | None = None,
    errors: Sequence[LoadError] = (),
) -> tuple[GateResult, ...]:
    head_config = None if head_rules is None else Config(metrics=tuple(head_rules))
    return evaluate(
        changes(base, head), Policy(Config(metrics=rules), head_config).metric_rules(), errors
    )


def one(base: Any, head: Any, rule: MetricRule) -> GateResult:
    results = gate(
        {} if base is None else {rule.key: base}, {} if head is None else {rule.key: head}, rule
    )
    assert len(results) == 1, results
    return results[0]


def change(key: str, file: str = M) -> Change:
    return Change(
        file=file, key=key, base=1.0, head=1.0, change=0.0, change_pct=0.0, status="unchanged"
    )


# --- each threshold ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "head", "outcome", "reason"),
    [
        (MetricRule("acc", min=0.88), 0.95, "pass", "0.95 ≥ min 0.88"),
        (MetricRule("acc", min=0.88), 0.85, "fail", "0.85 < min 0.88"),
        (MetricRule("acc", max=0.99), 0.95, "pass", "0.95 ≤ max 0.99"),
        (MetricRule("acc", max=0.86), 0.95, "fail", "0.95 > max 0.86"),
        (
            MetricRule("acc", max_drop=0.1),
            0.85,
            "pass",
            "dropped by 0.05 (0.9 → 0.85), allowed 0.1",
        ),
        (
            MetricRule("acc", max_drop=0.01),
            0.85,
            "fail",
            "dropped by 0.05 (0.9 → 0.85), allowed 0.01",
        ),
        (MetricRule("acc", max_drop=0.01), 0.95, "pass", "did not drop (0.9 → 0.95)"),
        (MetricRule("acc", max_drop=0), 0.9, "pass", "did not drop (0.9 → 0.9)"),
        (
            MetricRule("acc", max_drop=0),
            0.899,
            "fail",
            "dropped by 0.001 (0.9 → 0.899), allowed 0",
        ),
        (
            MetricRule("acc", max_drop_pct=10),
            0.85,
            "pass",
            "dropped 5.56% (0.9 → 0.85), allowed 10%",
        ),
        (
            MetricRule("acc", max_drop_pct=1),
            0.85,
            "fail",
            "dropped 5.56% (0.9 → 0.85), allowed 1%",
        ),
        (MetricRule("acc", max_drop_pct=1), 0.95, "pass", "did not drop (0.9 → 0.95)"),
        (
            MetricRule("acc", max_drop_pct=2.5),
            0.8,
            "fail",
            "dropped 11.11% (0.9 → 0.8), allowed 2.5%",
        ),
    ],
)
def test_threshold(rule: MetricRule, head: float, outcome: str, reason: str) -> None:
    result = one(0.9, head, rule)
    assert (result.outcome, result.reason) == (outcome, reason)
    (check,) = rule.thresholds()
    assert result.check == check
    assert (result.key, result.file, result.source, result.severity) == ("acc", M, "base", "fail")
    assert result.rule == f"acc: {describe(rule)}"


def test_all_thresholds_of_one_rule_give_one_result_each_in_order() -> None:
    rule = MetricRule("acc", min=0.88, max=0.99, max_drop=0.01, max_drop_pct=1, line=4)
    results = gate({"acc": 0.9}, {"acc": 0.87}, rule)
    assert [(r.check, r.outcome, r.reason) for r in results] == [
        ("min", "fail", "0.87 < min 0.88"),
        ("max", "pass", "0.87 ≤ max 0.99"),
        ("max_drop", "fail", "dropped by 0.03 (0.9 → 0.87), allowed 0.01"),
        ("max_drop_pct", "fail", "dropped 3.33% (0.9 → 0.87), allowed 1%"),
    ]
    assert {r.rule for r in results} == {"acc: ≥ 0.88, ≤ 0.99, drop ≤ 0.01, drop ≤ 1%"}
    assert {r.line for r in results} == {4}


def test_negative_base_percent_is_relative_to_its_magnitude() -> None:
    result = one(-2, -3, MetricRule("delta", max_drop_pct=40))
    assert (result.outcome, result.reason) == ("fail", "dropped 50.00% (-2 → -3), allowed 40%")


def test_drop_from_zero_in_percent_is_infinite() -> None:
    result = one(0, -1, MetricRule("acc", max_drop_pct=5))
    assert (result.outcome, result.reason) == ("fail", "dropped inf% (0 → -1), allowed 5%")
    rise = one(0, 1, MetricRule("acc", max_drop_pct=5))
    assert (rise.outcome, rise.reason) == ("pass", "did not drop (0 → 1)")


# --- lower is better ---------------------------------------------------------------------


def test_a_rising_loss_is_a_drop() -> None:
    rule = MetricRule("loss", higher_is_better=False, max_drop=0.1, max_drop_pct=10)
    results = gate({"loss": 0.3}, {"loss": 0.5}, rule)
    assert [(r.check, r.outcome, r.reason) for r in results] == [
        ("max_drop", "fail", "dropped by 0.2 (0.3 → 0.5), allowed 0.1"),
        ("max_drop_pct", "fail", "dropped 66.67% (0.3 → 0.5), allowed 10%"),
    ]
    assert results[0].rule == "loss: drop ≤ 0.1, drop ≤ 10%, lower is better"


def test_a_falling_loss_is_not_a_drop() -> None:
    rule = MetricRule("loss", higher_is_better=False, max_drop=0.1, max_drop_pct=10)
    results = gate({"loss": 0.3}, {"loss": 0.2}, rule)
    assert [(r.outcome, r.reason) for r in results] == [
        ("pass", "did not drop (0.3 → 0.2)"),
        ("pass", "did not drop (0.3 → 0.2)"),
    ]


def test_lower_is_better_does_not_flip_min_and_max() -> None:
    rule = MetricRule("loss", higher_is_better=False, max=0.4, min=0.1)
    results = gate({"loss": 0.3}, {"loss": 0.5}, rule)
    assert [(r.check, r.outcome, r.reason) for r in results] == [
        ("min", "pass", "0.5 ≥ min 0.1"),
        ("max", "fail", "0.5 > max 0.4"),
    ]


# --- float noise at the boundary ---------------------------------------------------------


def test_boundary_max_drop_passes_despite_float_noise() -> None:
    assert 0.3 - 0.2 != 0.1  # the noise is real
    result = one(0.3, 0.2, MetricRule("acc", max_drop=0.1))
    assert (result.outcome, result.reason) == ("pass", "dropped by 0.1 (0.3 → 0.2), allowed 0.1")
    tighter = one(0.3, 0.2, MetricRule("acc", max_drop=0.09))
    assert tighter.outcome == "fail"


def test_boundary_lower_is_better() -> None:
    result = one(0.2, 0.3, MetricRule("loss", higher_is_better=False, max_drop=0.1))
    assert result.outcome == "pass"


def test_boundary_min_max_and_pct() -> None:
    assert 0.1 + 0.2 > 0.3
    assert one(0.9, 0.1 + 0.2, MetricRule("a", max=0.3)).outcome == "pass"
    assert 0.7 - 0.4 < 0.3
    assert one(0.9, 0.7 - 0.4, MetricRule("a", min=0.3)).outcome == "pass"
    assert one(0.9, 0.2999, MetricRule("a", min=0.3)).outcome == "fail"
    pct = one(0.3, 0.27, MetricRule("a", max_drop_pct=10))
    assert (pct.outcome, pct.reason) == ("pass", "dropped 10.00% (0.3 → 0.27), allowed 10%")


def test_boundary_passes_for_large_values() -> None:
    result = one(10000000.3, 10000000.2, MetricRule("latency", max_drop=0.1))
    assert result.outcome == "pass", result.reason


# --- NaN -----------------------------------------------------------------------------------


def test_nan_head_fails_absolute_and_relative_checks() -> None:
    rule = MetricRule("acc", min=0.5, max_drop=0.01)
    results = gate({"acc": 0.9}, {"acc": float("nan")}, rule)
    assert [(r.check, r.outcome) for r in results] == [("number", "fail")]
    assert results[0].reason == "head value nan is not finite, not a usable number"


def test_nan_head_reason_does_not_say_it_did_not_drop() -> None:
    result = one(0.9, float("nan"), MetricRule("acc", max_drop=0.01))
    assert result.outcome == "fail"
    assert not result.reason.startswith("did not drop"), result.reason


def test_nan_base_does_not_fail_a_repaired_metric() -> None:
    results = gate({"acc": float("nan")}, {"acc": 0.9}, MetricRule("acc", max_drop=0.01))
    assert [(r.check, r.outcome, r.reason) for r in results] == [
        (
            "max_drop",
            "warn",
            "not compared: base value nan is not finite, not a usable number",
        )
    ]


# --- globs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("glob", "key", "expected"),
    [
        ("accuracy", "accuracy", True),
        ("accuracy", "accuracy_top5", False),
        ("accuracy", "val.accuracy", False),
        ("acc", "accuracy", False),
        ("*", "accuracy", True),
        ("*", "val.accuracy", False),
        ("*.accuracy", "val.accuracy", True),
        ("*.accuracy", "a.b.accuracy", False),
        ("*.accuracy", "accuracy", False),
        ("per_class.*.recall", "per_class.cat.recall", True),
        ("per_class.*.recall", "per_class.cat.x.recall", False),
        ("per_class.**.recall", "per_class.cat.x.recall", True),
        ("per_class.**.recall", "per_class.cat.recall", True),
        ("per_class.**", "per_class.cat.recall", True),
        ("**", "a.b.c", True),
        ("**.loss", "train.stage.loss", True),
        ("acc*", "accuracy", True),
        ("acc*", "acc", True),
        ("acc*", "acc.top5", False),
        ("f?", "f1", True),
        ("f?", "f12", False),
        ("f?", "f.", False),
        ("a.b", "axb", False),  # the dot is literal
        ("a+b", "a+b", True),  # regex characters are literal
        ("a+b", "aab", False),
        ("[x]", "[x]", True),
        ("[x]", "x", False),
    ],
)
def test_glob(glob: str, key: str, expected: bool) -> None:
    assert matches(MetricRule(glob, min=0), change(key)) is expected


def test_file_restricts_the_match() -> None:
    rule = MetricRule("acc", file="eval/metrics.json", min=0)
    assert matches(rule, change("acc", file="eval/metrics.json"))
    assert not matches(rule, change("acc", file="metrics.json"))
    assert matches(MetricRule("acc", min=0), change("acc", file="anything.json"))


def test_glob_through_evaluate() -> None:
    metrics = diff_values(
        {M: {"per_class.a.recall": 0.8, "per_class.b.recall": 0.9, "recall": 0.1}},
        {M: {"per_class.a.recall": 0.7, "per_class.b.recall": 0.9, "recall": 0.1}},
    )
    results = evaluate(
        metrics,
        Policy(Config(metrics=(MetricRule("per_class.*.recall", min=0.75),)), None).metric_rules(),
    )
    assert [(r.key, r.outcome) for r in results] == [
        ("per_class.a.recall", "fail"),
        ("per_class.b.recall", "pass"),
    ]


def test_file_restriction_through_evaluate() -> None:
    metrics = diff_values(
        {"a.json": {"acc": 0.5}, "b.json": {"acc": 0.5}},
        {
            "a.json": {"acc": 0.5},
            "b.json": {"acc": 0.5},
        },
    )
    results = evaluate(
        metrics,
        Policy(Config(metrics=(MetricRule("acc", file="b.json", min=0.9),)), None).metric_rules(),
    )
    assert [(r.file, r.outcome) for r in results] == [("b.json", "fail")]


def test_many_rules_at_once_judge_exactly_what_each_matches_alone_in_rule_order() -> None:
    """evaluate indexes the rules (literal keys by dict, globs as one regex): the gates
    must be those of trying every rule on every metric, rule by rule, metric by metric."""
    keys = ["acc", "acc.top5", "accuracy", "f1", "a+b", "[x]", "per_class.cat.x.recall", "loss"]
    files = {"a.json": dict.fromkeys(keys, 0.5), "b.json": dict.fromkeys(keys[::2], 0.5)}
    metrics = diff_values(files, files)
    rules = tuple(
        MetricRule(key, file=file, min=0, line=line)
        for line, (key, file) in enumerate(
            [
                ("acc", None),
                ("acc*", "b.json"),
                ("**", "a.json"),
                ("f?", None),
                ("acc", "b.json"),
                ("a+b", None),
                ("[x]", None),
                ("per_class.**.recall", None),
                ("nothing.*", None),
            ]
        )
    )
    results = evaluate(metrics, Policy(Config(metrics=rules), None).metric_rules())
    expected = [
        (rule.line, change.file, change.key)
        for rule in rules
        for change in metrics
        if matches(rule, change)
    ]
    assert [(r.line, r.file, r.key) for r in results if r.check != "matched"] == expected
    assert [r.key for r in results if r.check == "matched"] == ["nothing.*"]


# --- describe ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        (MetricRule("a", min=0.9), "≥ 0.9"),
        (MetricRule("a", max=1), "≤ 1"),
        (MetricRule("a", max_drop=0.01), "drop ≤ 0.01"),
        (MetricRule("a", max_drop_pct=2.5), "drop ≤ 2.5%"),
        (MetricRule("a", min=0.9, max_drop=0.01), "≥ 0.9, drop ≤ 0.01"),
        (MetricRule("a", max_drop=0, higher_is_better=False), "drop ≤ 0, lower is better"),
        (
            MetricRule("a", min=0.5, max=0.99, max_drop=0.01, max_drop_pct=1),
            "≥ 0.5, ≤ 0.99, drop ≤ 0.01, drop ≤ 1%",
        ),
    ],
)
def test_describe(rule: MetricRule, text: str) -> None:
    assert describe(rule) == text


# --- removed, new, non-numeric, unmatched ------------------------------------------------


def test_metric_removed_at_head_fails() -> None:
    rule = MetricRule("acc", min=0.1, max_drop=0.5, line=2)
    results = gate({"acc": 0.3}, {}, rule)
    assert len(results) == 1
    (result,) = results
    assert (result.check, result.outcome, result.reason) == (
        "present",
        "fail",
        "present at base (0.3) but missing at head",
    )
    assert (result.key, result.file, result.line) == ("acc", M, 2)


def test_removed_string_metric_shows_its_repr() -> None:
    result = one("ok", None, MetricRule("status", max=1))
    assert result.reason == "present at base ('ok') but missing at head"


def test_removed_metric_with_warn_severity_warns() -> None:
    result = one(0.3, None, MetricRule("acc", min=0.1, severity="warn"))
    assert (result.check, result.outcome, result.severity) == ("present", "warn", "warn")


def test_new_metric_gets_only_absolute_checks() -> None:
    rule = MetricRule("acc", min=0.1, max=0.2, max_drop=0.0, max_drop_pct=0)
    results = gate({}, {"acc": 0.3}, rule)
    assert [(r.check, r.outcome, r.reason) for r in results] == [
        ("min", "pass", "0.3 ≥ min 0.1"),
        ("max", "fail", "0.3 > max 0.2"),
    ]


def test_new_metric_with_only_relative_checks_gives_nothing() -> None:
    assert gate({}, {"acc": 0.3}, MetricRule("acc", max_drop=0)) == ()


def test_string_base_warns_on_relative_checks_and_absolute_ones_judge_the_head() -> None:
    rule = MetricRule("acc", min=0.5, max_drop=0, max_drop_pct=1)
    results = gate({"acc": "n/a"}, {"acc": 0.3}, rule)
    assert [(r.check, r.outcome, r.reason) for r in results] == [
        ("min", "fail", "0.3 < min 0.5"),
        ("max_drop", "warn", "not compared: base value 'n/a' is a string, not a number"),
        ("max_drop_pct", "warn", "not compared: base value 'n/a' is a string, not a number"),
    ]


# Issue 10, "gate escape by type": a stage that writes its accuracy as "0.81", true or a
# list slipped past every threshold (no rule evaluated, PASS). Whatever is not a finite
# number at head fails every rule that covers it, with the rule's severity.
@pytest.mark.parametrize(
    ("head", "reason"),
    [
        ("0.81", "head value '0.81' is a string, not a number"),
        ("n/a", "head value 'n/a' is a string, not a number"),
        ("", "head value '' is a string, not a number"),
        (True, "head value true is a boolean, not a number"),
        (False, "head value false is a boolean, not a number"),
        (None, "head value is null, not a number"),
        ([0.99], "head value [0.99] is a list, not a number"),
        ({"v": 1}, "head value {'v': 1} is a mapping, not a number"),
        (float("nan"), "head value nan is not finite, not a usable number"),
        (float("inf"), "head value inf is not finite, not a usable number"),
        (float("-inf"), "head value -inf is not finite, not a usable number"),
        (10**400, "head value is an integer too large for a float, not a usable number"),
        (-(10**400), "head value is an integer too large for a float, not a usable number"),
        ("x" * 500, "head value '" + "x" * 58 + "… is a string, not a number"),
    ],
)
@pytest.mark.parametrize("base", [0.9, None, "0.9"])
def test_head_value_that_is_not_a_finite_number_fails_the_rule(
    head: Any, reason: str, base: Any
) -> None:
    rule = MetricRule("acc", min=0.5, max=0.6, max_drop=0, max_drop_pct=0)
    results = gate({"acc": base} if base is not None else {}, {"acc": head}, rule)
    assert [(r.check, r.outcome, r.reason) for r in results] == [("number", "fail", reason)]
    warned = gate({}, {"acc": head}, MetricRule("acc", max_drop=0.1, severity="warn"))
    assert [(r.check, r.outcome) for r in warned] == [("number", "warn")]


def test_gate_escape_by_type_fails_the_verdict() -> None:
    """The reproduced attack end to end through evaluate: accuracy 0.95 → "0.81"."""
    from mlci.results import verdict_of

    results = gate({"accuracy": 0.95}, {"accuracy": "0.81"}, MetricRule("accuracy", max_drop=0.01))
    assert verdict_of(results, (), None) == "fail"


@pytest.mark.parametrize(
    ("base", "head", "expected"),
    [
        (1e308, -1e308, [("min", "fail"), ("max_drop", "fail"), ("max_drop_pct", "fail")]),
        (-1e308, 1e308, [("min", "pass"), ("max_drop", "pass"), ("max_drop_pct", "pass")]),
        (10**300, 1, [("min", "pass"), ("max_drop", "fail"), ("max_drop_pct", "fail")]),
        (10**400, 0.9, [("min", "pass"), ("max_drop", "warn"), ("max_drop_pct", "warn")]),
        (5e-324, 1e308, [("min", "pass"), ("max_drop", "pass"), ("max_drop_pct", "pass")]),
    ],
)
def test_extreme_numbers_are_gated_without_crashing(
    base: Any, head: Any, expected: list[tuple[str, str]]
) -> None:
    rule = MetricRule("acc", min=-1e300, max_drop=0.1, max_drop_pct=1)
    results = gate({"acc": base}, {"acc": head}, rule)
    assert [(r.check, r.outcome) for r in results] == expected
    assert all(len(r.reason) < 200 for r in results)


def test_rule_matching_nothing_warns() -> None:
    results = gate({"acc": 0.3}, {"acc": 0.3}, MetricRule("acc2", min=0.1, line=5))
    assert results == (
        GateResult(
            key="acc2",
            file="",
            rule="acc2: ≥ 0.1",
            check="matched",
            outcome="warn",
            reason="no metric matches 'acc2' at base or head; check the key",
            severity="fail",
            source="base",
            line=5,
        ),
    )


def test_rule_matching_nothing_in_its_file_warns_with_the_file() -> None:
    (result,) = gate({"acc": 0.3}, {"acc": 0.3}, MetricRule("acc", file="m.json", min=1))
    assert (result.outcome, result.file, result.reason) == (
        "warn",
        "m.json",
        "no metric matches 'acc' in m.json at base or head; check the key",
    )


def test_rule_matching_nothing_warns_even_with_warn_severity() -> None:
    (result,) = gate({}, {}, MetricRule("acc", min=1, severity="warn"))
    assert (result.check, result.outcome, result.severity) == ("matched", "warn", "warn")


# --- severity ------------------------------------------------------------------------------


def test_warn_severity_turns_a_failure_into_a_warning() -> None:
    rule = MetricRule("acc", min=0.25, max=0.1, severity="warn")
    results = gate({"acc": 0.3}, {"acc": 0.2}, rule)
    assert [(r.check, r.outcome, r.severity, r.reason) for r in results] == [
        ("min", "warn", "warn", "0.2 < min 0.25"),
        ("max", "warn", "warn", "0.2 > max 0.1"),
    ]
    passing = one(0.3, 0.3, MetricRule("acc", min=0.25, severity="warn"))
    assert (passing.outcome, passing.severity) == ("pass", "warn")


# --- base and head rules -------------------------------------------------------------------


def test_head_cannot_loosen_the_base_rule() -> None:
    results = gate(
        {"acc": 0.9},
        {"acc": 0.8},
        MetricRule("acc", max_drop=0.01),
        head_rules=[MetricRule("acc", max_drop=0.5)],
    )
    assert [(r.source, r.outcome, r.reason) for r in results] == [
        ("base", "fail", "dropped by 0.1 (0.9 → 0.8), allowed 0.01"),
        ("head", "pass", "dropped by 0.1 (0.9 → 0.8), allowed 0.5"),
    ]


def test_head_cannot_downgrade_the_base_rule_to_a_warning() -> None:
    results = gate(
        {"acc": 0.9},
        {"acc": 0.8},
        MetricRule("acc", min=0.85),
        head_rules=[MetricRule("acc", min=0.85, severity="warn")],
    )
    assert [(r.source, r.outcome) for r in results] == [("base", "fail"), ("head", "warn")]


def test_head_without_mlci_yaml_keeps_the_base_rules() -> None:
    rules = Policy(Config(metrics=(MetricRule("acc", min=0.85),)), None).metric_rules()
    results = evaluate(changes({"acc": 0.9}, {"acc": 0.8}), rules)
    assert [(r.source, r.outcome) for r in results] == [("base", "fail")]


def test_a_stricter_head_rule_also_applies() -> None:
    results = gate(
        {"acc": 0.9},
        {"acc": 0.8},
        MetricRule("acc", max_drop=0.5),
        head_rules=[MetricRule("acc", min=0.85, line=7)],
    )
    assert [(r.source, r.check, r.outcome, r.reason, r.line) for r in results] == [
        ("base", "max_drop", "pass", "dropped by 0.1 (0.9 → 0.8), allowed 0.5", None),
        ("head", "min", "fail", "0.8 < min 0.85", 7),
    ]


def test_head_rules_apply_without_a_base_config() -> None:
    rules = Policy(None, Config(metrics=(MetricRule("acc", min=0.85),))).metric_rules()
    results = evaluate(changes({"acc": 0.9}, {"acc": 0.8}), rules)
    assert [(r.source, r.outcome) for r in results] == [("head", "fail")]


def test_identical_rules_count_once() -> None:
    results = gate(
        {"acc": 0.9},
        {"acc": 0.8},
        MetricRule("acc", max_drop=0.5, line=3),
        MetricRule("acc", max_drop=0.5, line=9),
        head_rules=[MetricRule("acc", max_drop=0.5, line=7)],
    )
    assert [(r.source, r.line, r.outcome) for r in results] == [("base", 3, "pass")]


def test_no_config_gates_nothing() -> None:
    assert evaluate(changes({"acc": 0.9}, {"acc": 0.1}), ()) == ()
    assert evaluate((), Policy(Config(), Config()).metric_rules()) == ()


# --- load errors ---------------------------------------------------------------------------


def test_head_load_error_fails_and_base_load_error_warns() -> None:
    errors = [LoadError("head", M, "bad json"), LoadError("base", "b.json", "missing")]
    results = evaluate((), (), errors)
    assert results == (
        GateResult(
            key="*",
            file=M,
            rule="metrics files must be readable",
            check="readable",
            outcome="fail",
            reason="cannot read metrics.json at head: bad json",
            severity="fail",
            source="mlci",
        ),
        GateResult(
            key="*",
            file="b.json",
            rule="metrics files must be readable",
            check="readable",
            outcome="warn",
            reason="cannot read b.json at base: missing",
            severity="fail",
            source="mlci",
        ),
    )


def test_load_errors_come_after_rule_gates() -> None:
    results = gate(
        {"acc": 0.9}, {"acc": 0.9}, MetricRule("acc", min=0.5), errors=[LoadError("head", M, "x")]
    )
    assert [r.check for r in results] == ["min", "readable"]
