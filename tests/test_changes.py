"""How a change reads to a reviewer: better or worse, not compared, no float noise."""

from __future__ import annotations

import json
from typing import Any

from conftest import Repo

from mlci.judge.diff import diff_values
from mlci.render.html import metrics_spec
from mlci.render.markdown import fmt_change, fmt_param_change
from mlci.results import Change


def results_of(repo: Repo) -> dict[str, object]:
    found: dict[str, Any] = json.loads((repo.root / "mlci-results.json").read_text())
    return found


def by_key(repo: Repo) -> dict[str, dict[str, object]]:
    return {m["key"]: m for m in results_of(repo)["metrics"]}  # type: ignore[attr-defined]


def test_a_rule_says_which_way_is_better(repo: Repo) -> None:
    """log_loss rose 31.72%: with `higher_is_better: false` that is worse, not neutral."""
    repo.commit(
        "worse log loss, better accuracy",
        {
            "mlci.yaml": "metrics:\n  - key: log_loss\n    higher_is_better: false\n"
            "    max_drop_pct: 50\n",
            "metrics.json": {"accuracy": 0.95, "log_loss": 0.3958, "n_trees": 120},
        },
    )
    repo.git("checkout", "--quiet", "main")
    repo.commit("base", {"metrics.json": {"accuracy": 0.9, "log_loss": 0.3005, "n_trees": 100}})
    repo.git("checkout", "--quiet", "feature")
    result = repo.mlci("check", "--no-tests", "--base", "main")
    assert result.exit_code == 0, result.output
    found = by_key(repo)
    assert found["log_loss"]["better"] == "lower"
    assert found["accuracy"]["better"] == "higher"  # no rule: its name tells
    assert found["n_trees"]["better"] is None  # no rule, no telling name: neutral
    report = (repo.root / "report.md").read_text()
    assert "▲ +0.0953 (+31.71%) worse" in report
    assert "▲ +0.05 (+5.56%) better" in report
    assert "▲ +20 (+20.00%) |" in report  # no judgement without a direction


def test_fmt_change_judges_by_direction_and_params_get_no_arrow() -> None:
    loss = Change("m.json", "val.loss", 0.3, 0.25, -0.05, -16.67, "changed", better="lower")
    auc = Change("m.json", "auc", 0.9, 0.8, -0.1, -11.11, "changed", better="higher")
    lr = Change("params.yaml", "train.lr", 0.1, 0.2, 0.1, 100.0, "changed")
    assert fmt_change(loss) == "▼ -0.05 (-16.67%) better"
    assert fmt_change(auc) == "▼ -0.1 (-11.11%) worse"
    assert fmt_param_change(lr) == "+0.1"
    spec = metrics_spec([loss, auc, lr])
    assert spec is not None
    colours = {row["metric"]: row["judgement"] for row in spec["data"]["values"]}
    assert colours == {
        "m.json: val.loss": "better",
        "m.json: auc": "worse",
        "params.yaml: train.lr": "no direction",
    }


def test_a_base_that_cannot_be_read_is_not_compared_and_drop_rules_warn(repo: Repo) -> None:
    repo.git("checkout", "--quiet", "main")
    repo.commit("broken metrics at base", {"metrics.json": "{not json"})
    repo.git("checkout", "--quiet", "-B", "feature", "main")
    repo.commit(
        "repaired",
        {
            "metrics.json": {"accuracy": 0.5},
            "mlci.yaml": "metrics:\n  - key: accuracy\n    max_drop: 0.01\n    min: 0.4\n",
        },
    )
    result = repo.mlci("check", "--no-tests")
    assert result.exit_code == 0, result.output
    found = results_of(repo)
    accuracy = by_key(repo)["accuracy"]
    assert accuracy["status"] == "not compared"  # never "new"
    gates = {g["check"]: g for g in found["gates"] if g["key"] == "accuracy"}  # type: ignore[attr-defined]
    assert gates["max_drop"]["outcome"] == "warn"
    assert gates["max_drop"]["reason"] == "not evaluated: metrics.json could not be read at base"
    assert gates["min"]["outcome"] == "pass"  # the absolute rule still judges the head
    assert found["verdict"] == "warn"
    assert (
        "| metrics.json | accuracy | — | 0.5 | not compared |"
        in (repo.root / "report.md").read_text()
    )


def test_changes_carry_no_float_noise() -> None:
    (change,) = diff_values({"m": {"a": 0.9556}}, {"m": {"a": 0.9}})
    assert change.change == -0.0556
    (small,) = diff_values({"m": {"a": 1e-05}}, {"m": {"a": 3e-05}})
    assert small.change == 2e-05
    (whole,) = diff_values({"m": {"a": 10}}, {"m": {"a": 250}})
    assert whole.change == 240 and isinstance(whole.change, int)
