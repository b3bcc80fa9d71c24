"""Predictions through `mlci check` on real git + DVC repositories: metrics computed
at both revisions, gated with their significance, shown with their intervals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import Repo

CONFIG = """\
predictions:
  path: eval/predictions.csv
  slices: [group]
  min_rows: 30
metrics:
  - key: accuracy
    file: eval/predictions.csv
    max_drop: 0.001
    significance: 0.05
"""


def predictions(rows: int = 400, wrong: int = 20, group_b: int = 200) -> str:
    """Binary predictions of ``rows`` examples, the first ``wrong`` of them wrong;
    the last ``group_b`` examples are in group b."""
    lines = ["id,label,prediction,group"]
    for i in range(rows):
        label = i % 2
        prediction = 1 - label if i < wrong else label
        lines.append(f"ex{i},{label},{prediction},{'b' if i >= rows - group_b else 'a'}")
    return "\n".join(lines) + "\n"


def results(repo: Repo) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((repo.root / "mlci-results.json").read_text())
    return found


def metric(repo: Repo, key: str) -> dict[str, Any]:
    found = [
        m
        for m in results(repo)["metrics"]
        if m["key"] == key and m["file"] == "eval/predictions.csv"
    ]
    assert len(found) == 1, key
    change: dict[str, Any] = found[0]
    return change


def start(repo: Repo, config: str = CONFIG, base: str | None = None) -> None:
    repo.git("checkout", "--quiet", "main")
    repo.commit("predictions", {"mlci.yaml": config, "eval/predictions.csv": base or predictions()})
    repo.git("checkout", "--quiet", "-B", "feature")


def test_one_more_wrong_example_is_a_warning_that_says_not_significant(repo: Repo) -> None:
    start(repo)
    repo.gen({"eval/predictions.csv": predictions(wrong=21)})
    result = repo.mlci("check", "--no-repro", "--no-pull", "--no-tests")
    assert result.exit_code == 0, result.output
    accuracy = metric(repo, "accuracy")
    assert (accuracy["base"], accuracy["head"]) == (0.95, 0.9475)
    assert accuracy["p_value"] == 1.0  # one discordant pair
    assert accuracy["low"] < accuracy["change"] < 0 <= accuracy["high"]
    [gate] = [g for g in results(repo)["gates"] if g["key"] == "accuracy"]
    assert gate["outcome"] == "warn"
    assert gate["reason"] == (
        "dropped by 0.0025 (0.95 → 0.9475), allowed 0.001; "
        "not significant (p = 1 ≥ 0.05): may be noise"
    )
    report = (repo.root / "report.md").read_text()
    minus = "\N{MINUS SIGN}"
    compact = f"▼ {minus}0.25 pt \\[{minus}0.8, 0.0\\] · p = 1.00 · not significant"
    assert f"| 0.95 | 0.9475 | {compact} |" in report
    assert "Metrics from eval/predictions.csv: 400 examples (binary) compared" in report


def test_a_real_drop_is_a_significant_failure(repo: Repo) -> None:
    start(repo)
    repo.gen({"eval/predictions.csv": predictions(wrong=60)})
    result = repo.mlci("check", "--no-repro", "--no-pull", "--no-tests")
    assert result.exit_code == 1, result.output
    [gate] = [g for g in results(repo)["gates"] if g["key"] == "accuracy"]
    assert gate["outcome"] == "fail"
    assert gate["reason"].startswith(
        "dropped by 0.1 (0.95 → 0.85), allowed 0.001; significant (p = "
    )
    assert gate["reason"].endswith(" < 0.05)")
    assert metric(repo, "accuracy")["high"] < 0


def test_slices_are_metrics_and_small_ones_are_not_gated(repo: Repo) -> None:
    config = CONFIG.replace("  min_rows: 30", "  min_rows: 250") + (
        "  - key: slice.*.recall\n    file: eval/predictions.csv\n    max_drop: 0.0\n"
    )
    start(repo, config)
    # Every new mistake lands in group a (200 rows, below min_rows 250): shown, not gated.
    repo.gen({"eval/predictions.csv": predictions(wrong=40)})
    result = repo.mlci("check", "--no-repro", "--no-pull", "--no-tests")
    sliced = metric(repo, "slice.group=a.recall")
    assert sliced["rows"] == 200 and sliced["gated"] is False
    assert sliced["change"] < 0
    slice_gates = [g for g in results(repo)["gates"] if g["key"].startswith("slice.")]
    assert slice_gates == []
    assert "200 examples: not gated" in (repo.root / "report.md").read_text()
    # The overall metrics first, then the slices from the worst change to the best.
    keys = [m["key"] for m in results(repo)["metrics"] if m["file"] == "eval/predictions.csv"]
    sliced_keys = [k for k in keys if k.startswith("slice.")]
    assert keys[: keys.index(sliced_keys[0])] == [k for k in keys if not k.startswith("slice.")]
    assert sliced_keys[0].startswith("slice.group=a.")
    assert sliced_keys[-1].startswith("slice.group=b.")
    assert result.exit_code == 1  # the overall accuracy drop (20 examples) is significant


def test_predictions_new_at_head_are_shown_as_new(repo: Repo) -> None:
    repo.gen({"mlci.yaml": CONFIG, "eval/predictions.csv": predictions()})
    result = repo.mlci("check", "--no-repro", "--no-pull", "--no-tests")
    accuracy = metric(repo, "accuracy")
    assert (accuracy["status"], accuracy["base"], accuracy["head"]) == ("new", None, 0.95)
    assert result.exit_code == 0, result.output
    assert results(repo)["predictions"]["notes"] == [
        "no predictions at base: the head's metrics are shown as new"
    ]


def test_broken_head_predictions_fail_naming_the_file(repo: Repo) -> None:
    start(repo)
    repo.gen({"eval/predictions.csv": predictions().replace("id,label", "key,label")})
    result = repo.mlci("check", "--no-repro", "--no-pull", "--no-tests")
    assert result.exit_code == 1, result.output
    [gate] = [g for g in results(repo)["gates"] if g["check"] == "readable"]
    assert gate["outcome"] == "fail"
    assert gate["reason"].startswith(
        "cannot read eval/predictions.csv at head: predictions eval/predictions.csv at head: "
        "no column 'id'"
    )


def test_the_base_decides_the_predictions_and_its_rules_stay(repo: Repo) -> None:
    """The pull request points `predictions:` elsewhere and drops the significance
    rule for a loose one: the base's file and rule still judge it."""
    start(repo, CONFIG.replace("significance: 0.05", "significance: 0.5"))
    loose = CONFIG.replace("eval/predictions.csv", "eval/other.csv").replace(
        "max_drop: 0.001", "max_drop: 0.5"
    )
    repo.gen(
        {
            "mlci.yaml": loose,
            "eval/predictions.csv": predictions(wrong=60),
            "eval/other.csv": predictions(),
        }
    )
    result = repo.mlci("check", "--no-repro", "--no-pull", "--no-tests")
    assert result.exit_code == 1, result.output
    assert results(repo)["predictions"]["path"] == "eval/predictions.csv"
    assert results(repo)["predictions"]["source"] == "base"


def test_dvc_tracked_predictions_at_base_are_read_through_dvc(repo: Repo, tmp_path: Path) -> None:
    storage = tmp_path / "storage"
    repo.git("checkout", "--quiet", "main")
    repo.dvc("remote", "add", "-d", "storage", str(storage))
    repo.gen({"mlci.yaml": CONFIG, "eval/predictions.csv": predictions()})
    repo.dvc("add", "eval/predictions.csv")
    repo.commit("dvc-tracked predictions")
    repo.dvc("push")
    repo.git("checkout", "--quiet", "-B", "feature")
    repo.gen({"eval/predictions.csv": predictions(wrong=21)})
    repo.dvc("add", "eval/predictions.csv")
    repo.commit("one more mistake")
    result = repo.mlci("check", "--no-repro", "--no-pull", "--no-tests")
    assert result.exit_code == 0, result.output
    accuracy = metric(repo, "accuracy")
    assert (accuracy["base"], accuracy["head"]) == (0.95, 0.9475)
