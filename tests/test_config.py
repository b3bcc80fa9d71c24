"""mlci.config.parse_config: defaults, a full config, and every error message exactly."""

from __future__ import annotations

import textwrap

import pytest

from mlci.config import (
    Config,
    MetricRule,
    PipelineConfig,
    ReportConfig,
    parse_config,
)
from mlci.errors import ConfigError, ExitCode, UsageError


def parse(text: str, source: str = "mlci.yaml") -> Config:
    return parse_config(textwrap.dedent(text), source)


def error_of(text: str, source: str = "mlci.yaml") -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse(text, source)
    error = info.value
    assert error.exit_code == 2
    assert error.exit_code == ExitCode.USAGE
    assert isinstance(error, UsageError)
    return error


# --- defaults ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n", "metrics:\n"])
def test_empty_config_gives_defaults(text: str) -> None:
    config = parse_config(text, "mlci.yaml")
    assert config == Config(
        base=None,
        pipeline=PipelineConfig(pull=True, repro=True),
        metrics=(),
        report=ReportConfig(title="Model report", fold_unchanged=True),
    )


def test_errors_name_the_config_file_by_default() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config("bse: main\n")
    assert str(info.value).startswith("mlci.yaml:1: bse: unknown key 'bse'")


def test_rule_defaults() -> None:
    (rule,) = parse("metrics:\n  - key: accuracy\n    min: 0.9\n").metrics
    assert rule == MetricRule(key="accuracy", min=0.9)
    assert rule.file is None
    assert rule.higher_is_better is True
    assert rule.max is None
    assert rule.max_drop is None
    assert rule.max_drop_pct is None
    assert rule.severity == "fail"
    assert rule.thresholds() == {"min": 0.9}


def test_empty_sections_keep_their_defaults() -> None:
    config = parse("pipeline:\nreport:\nbase:\n")
    assert config.pipeline == PipelineConfig()
    assert config.report == ReportConfig()
    assert config.base is None


# --- a full valid config -----------------------------------------------------------------

FULL = """\
base: develop
pipeline:
  pull: false
  repro: false
report:
  title: Churn model
  fold_unchanged: false
metrics:
  - key: accuracy
    file: eval/metrics.json
    higher_is_better: true
    min: 0.9
    max: 1
    max_drop: 0.01
    max_drop_pct: 2.5
    severity: fail
  # a comment between rules
  - key: per_class.*.loss
    higher_is_better: false
    max_drop: 0
    severity: warn
"""


def test_full_config() -> None:
    config = parse_config(FULL, "main:mlci.yaml")
    assert config.base == "develop"
    assert config.pipeline == PipelineConfig(pull=False, repro=False)
    assert config.report == ReportConfig(title="Churn model", fold_unchanged=False)
    first, second = config.metrics
    assert first == MetricRule(
        key="accuracy",
        file="eval/metrics.json",
        higher_is_better=True,
        min=0.9,
        max=1.0,
        max_drop=0.01,
        max_drop_pct=2.5,
        severity="fail",
    )
    assert second == MetricRule(
        key="per_class.*.loss", higher_is_better=False, max_drop=0.0, severity="warn"
    )
    # integers are read as floats; the order of thresholds is min, max, max_drop, max_drop_pct
    assert isinstance(first.max, float)
    assert list(first.thresholds()) == ["min", "max", "max_drop", "max_drop_pct"]
    assert first.thresholds() == {"min": 0.9, "max": 1.0, "max_drop": 0.01, "max_drop_pct": 2.5}
    # a threshold of 0 is a threshold
    assert second.thresholds() == {"max_drop": 0.0}


def test_rule_line_is_the_line_of_its_list_item() -> None:
    config = parse_config(FULL, "mlci.yaml")
    assert [rule.line for rule in config.metrics] == [9, 18]


def test_line_is_not_part_of_rule_equality() -> None:
    one = parse("metrics:\n  - key: a\n    min: 1\n").metrics[0]
    other = parse("\n\n\nmetrics:\n  - key: a\n    min: 1\n").metrics[0]
    assert (one.line, other.line) == (2, 5)
    assert one == other


def test_flow_style_rules() -> None:
    config = parse("metrics: [{key: a, min: 1}, {key: b, max_drop_pct: 5}]\n")
    assert config.metrics == (MetricRule(key="a", min=1.0), MetricRule(key="b", max_drop_pct=5.0))
    assert [rule.line for rule in config.metrics] == [1, 1]


# --- errors, exactly ---------------------------------------------------------------------


def test_unknown_top_level_key_suggests_the_close_one() -> None:
    error = error_of("metric:\n")
    assert str(error) == (
        "mlci.yaml:1: metric: unknown key 'metric'\n  hint: did you mean 'metrics'?"
    )
    assert error.message == "mlci.yaml:1: metric: unknown key 'metric'"
    assert error.hint == "did you mean 'metrics'?"


def test_unknown_key_without_a_close_match_lists_allowed_keys() -> None:
    assert str(error_of("zzzzz: 1\n")) == (
        "mlci.yaml:1: zzzzz: unknown key 'zzzzz'\n"
        "  hint: allowed keys: base, pipeline, metrics, report, tests, data, limits, "
        "predictions, shards"
    )


def test_unknown_key_is_reported_on_the_line_of_the_key() -> None:
    error = error_of("base: main\nmetric:\n  - key: accuracy\n    min: 0.9\n")
    assert error.message == "mlci.yaml:2: metric: unknown key 'metric'"


def test_unknown_rule_key() -> None:
    assert str(error_of("metrics:\n  - key: a\n    max_dorp: 1\n")) == (
        "mlci.yaml:3: metrics[0].max_dorp: unknown key 'max_dorp'\n  hint: did you mean 'max_drop'?"
    )


def test_unknown_rule_key_without_close_match() -> None:
    assert str(error_of("metrics:\n  - key: a\n    min: 1\n    colour: red\n")) == (
        "mlci.yaml:4: metrics[0].colour: unknown key 'colour'\n"
        "  hint: allowed keys: key, file, higher_is_better, min, max, max_drop, "
        "max_drop_pct, severity, significance, min_confidence"
    )


def test_unknown_pipeline_and_report_keys() -> None:
    assert str(error_of("pipeline:\n  pul: true\n")) == (
        "mlci.yaml:2: pipeline.pul: unknown key 'pul'\n  hint: did you mean 'pull'?"
    )
    assert str(error_of("report:\n  title: T\n  fold: false\n")) == (
        "mlci.yaml:3: report.fold: unknown key 'fold'\n  hint: allowed keys: title, fold_unchanged"
    )


def test_wrong_type_names_path_and_line() -> None:
    text = """\
    metrics:
      - key: accuracy
        min: 0.9
      - key: f1
        min: high
    """
    assert str(error_of(text)) == "mlci.yaml:5: metrics[1].min: expected a number, got 'high'"


def test_source_names_the_revision_in_errors() -> None:
    error = error_of("metrics:\n  - key: a\n    max: lots\n", source="main:mlci.yaml")
    assert str(error) == "main:mlci.yaml:3: metrics[0].max: expected a number, got 'lots'"


def test_a_list_where_a_number_belongs() -> None:
    assert str(error_of("metrics:\n  - key: a\n    max: [1, 2]\n")) == (
        "mlci.yaml:3: metrics[0].max: expected a number, got list"
    )


@pytest.mark.parametrize("literal", ["true", "false", "yes"])
def test_a_bool_is_not_a_number(literal: str) -> None:
    text = f"metrics:\n  - key: a\n    max_drop: {literal}\n"
    shown = "True" if literal in ("true", "yes") else "False"
    assert (
        str(error_of(text)) == f"mlci.yaml:3: metrics[0].max_drop: expected a number, got {shown}"
    )


@pytest.mark.parametrize(
    ("literal", "shown"), [(".inf", "inf"), ("-.inf", "-inf"), (".nan", "nan")]
)
def test_a_number_must_be_finite(literal: str, shown: str) -> None:
    text = f"metrics:\n  - key: a\n    min: {literal}\n"
    assert str(error_of(text)) == (
        f"mlci.yaml:3: metrics[0].min: expected a finite number, got {shown}"
    )


def test_missing_key() -> None:
    assert str(error_of("metrics:\n  - min: 0.9\n")) == (
        "mlci.yaml:2: metrics[0]: missing required key 'key'\n  hint: e.g. key: accuracy"
    )


def test_empty_rule_is_missing_its_key() -> None:
    assert str(error_of("metrics:\n  -\n")) == (
        "mlci.yaml:2: metrics[0]: missing required key 'key'\n  hint: e.g. key: accuracy"
    )


@pytest.mark.parametrize(("value", "shown"), [("''", "''"), ("'  '", "'  '"), ("5", "5")])
def test_key_must_be_a_non_empty_string(value: str, shown: str) -> None:
    assert str(error_of(f"metrics:\n  - key: {value}\n    min: 1\n")) == (
        f"mlci.yaml:2: metrics[0].key: expected a non-empty string, got {shown}"
    )


def test_rule_without_threshold() -> None:
    text = "metrics:\n  - key: a\n    min: 1\n  - key: accuracy\n    severity: warn\n"
    assert str(error_of(text)) == (
        "mlci.yaml:4: metrics[1]: rule for 'accuracy' sets no threshold\n"
        "  hint: add at least one of min, max, max_drop, max_drop_pct"
    )


def test_null_threshold_is_no_threshold() -> None:
    assert error_of("metrics:\n  - key: a\n    min:\n").message == (
        "mlci.yaml:2: metrics[0]: rule for 'a' sets no threshold"
    )


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [("max_drop", "-0.5", "-0.5"), ("max_drop_pct", "-5", "-5"), ("max_drop", "-1e-3", "-0.001")],
)
def test_negative_drop(name: str, value: str, shown: str) -> None:
    # "-1e-3" is a string to YAML 1.1 (no dot); mlci reads it as the number it means
    text = f"metrics:\n  - key: a\n    {name}: {value}\n"
    assert str(error_of(text)) == f"mlci.yaml:3: metrics[0].{name}: must be 0 or more, got {shown}"


def test_scientific_notation_without_a_dot_is_a_number() -> None:
    config = parse_config("metrics:\n  - key: a\n    max_drop: 1e-3\n")
    assert config.metrics[0].max_drop == 0.001


def test_min_above_max_can_never_pass() -> None:
    assert str(error_of("metrics:\n  - key: a\n    min: 5\n    max: 1\n")) == (
        "mlci.yaml:2: metrics[0]: min 5 is greater than max 1: no value can pass"
    )


def test_negative_min_is_allowed() -> None:
    (rule,) = parse("metrics:\n  - key: delta\n    min: -1\n    max: -0.5\n").metrics
    assert (rule.min, rule.max) == (-1.0, -0.5)


def test_bad_severity() -> None:
    assert str(error_of("metrics:\n  - key: a\n    min: 1\n    severity: maybe\n")) == (
        "mlci.yaml:4: metrics[0].severity: expected one of fail, warn, got 'maybe'"
    )


def test_bad_boolean() -> None:
    assert str(error_of("metrics:\n  - key: a\n    min: 1\n    higher_is_better: 'no'\n")) == (
        "mlci.yaml:4: metrics[0].higher_is_better: expected true or false, got 'no'"
    )
    assert str(error_of("pipeline:\n  pull: yes please\n")) == (
        "mlci.yaml:2: pipeline.pull: expected true or false, got 'yes please'"
    )
    assert str(error_of("report:\n  fold_unchanged: 1\n")) == (
        "mlci.yaml:2: report.fold_unchanged: expected true or false, got 1"
    )


def test_bad_strings() -> None:
    assert str(error_of("base: ''\n")) == "mlci.yaml:1: base: expected a non-empty string, got ''"
    assert str(error_of("report:\n  title: 3\n")) == (
        "mlci.yaml:2: report.title: expected a non-empty string, got 3"
    )
    assert str(error_of("metrics:\n  - key: a\n    min: 1\n    file: [x]\n")) == (
        "mlci.yaml:4: metrics[0].file: expected a non-empty string, got list"
    )


def test_invalid_yaml_names_the_line() -> None:
    text = "base: main\nmetrics:\n  - key: a\n    min: 1\n    max: : :\n"
    error = error_of(text)
    assert str(error) == (
        "mlci.yaml:5: not valid YAML: mapping values are not allowed here\n"
        "  hint: fix the syntax and run again"
    )
    assert error.__cause__ is None
    assert error.__suppress_context__


def test_invalid_yaml_tab() -> None:
    assert error_of("metrics:\n\t- key: a\n").message == (
        "mlci.yaml:2: not valid YAML: found character '\\t' that cannot start any token"
    )


def test_two_documents_are_invalid() -> None:
    assert error_of("base: a\n---\nbase: b\n").message == (
        "mlci.yaml:2: not valid YAML: but found another document"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("metrics: accuracy\n", "mlci.yaml:1: metrics: expected a list of rules, got 'accuracy'"),
        (
            "metrics:\n  key: a\n  min: 1\n",
            "mlci.yaml:2: metrics: expected a list of rules, got dict",
        ),
        ("metrics: 3\n", "mlci.yaml:1: metrics: expected a list of rules, got 3"),
    ],
)
def test_metrics_must_be_a_list(text: str, message: str) -> None:
    assert str(error_of(text)) == message


def test_a_rule_must_be_a_mapping() -> None:
    assert str(error_of("metrics:\n  - accuracy\n")) == (
        "mlci.yaml:2: metrics[0]: expected a mapping, got 'accuracy'"
    )


def test_top_level_must_be_a_mapping() -> None:
    assert str(error_of("- a\n- b\n")) == "mlci.yaml:1: (top level): expected a mapping, got list"
    assert str(error_of("hello\n")) == "mlci.yaml:1: (top level): expected a mapping, got 'hello'"


def test_sections_must_be_mappings() -> None:
    assert str(error_of("pipeline: true\n")) == (
        "mlci.yaml:1: pipeline: expected a mapping, got True"
    )
    assert str(error_of("report:\n  - title\n")) == (
        "mlci.yaml:2: report: expected a mapping, got list"
    )


def test_first_error_wins() -> None:
    text = "metrics:\n  - key: a\n    min: x\n  - key: b\n    max: y\n"
    assert error_of(text).message == "mlci.yaml:3: metrics[0].min: expected a number, got 'x'"
