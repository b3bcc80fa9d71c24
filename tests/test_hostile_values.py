"""Issue 10: values a pull request's stages write cannot escape the gate or crash mlci.

Real git + DVC repositories (tests/conftest.py's ``repo``); the head's metrics.json is
what a hostile or broken stage wrote.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import Repo

RULES = "metrics:\n  - key: accuracy\n    min: 0.5\n    max_drop: 0.01\n"


def results(repo: Repo) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((repo.root / "mlci-results.json").read_text())
    return found


def base_rules(repo: Repo) -> None:
    """The rules come from the base: commit them on main, then branch again."""
    repo.git("checkout", "--quiet", "main")
    repo.commit("rules", {"mlci.yaml": RULES})
    repo.git("checkout", "--quiet", "-B", "feature")


@pytest.mark.parametrize(
    ("accuracy", "reason"),
    [
        ('"0.81"', "head value '0.81' is a string, not a number"),
        ("true", "head value true is a boolean, not a number"),
        ("null", "present at base (0.9) but missing at head"),  # DVC drops nulls
        ("[0.99]", "present at base (0.9) but missing at head"),  # DVC drops lists
        ("NaN", "head value nan is not finite, not a usable number"),
        ("Infinity", "head value inf is not finite, not a usable number"),
        ("1" + "0" * 400, "head value is an integer too large for a float, not a usable number"),
    ],
)
def test_a_head_value_that_is_not_a_number_fails_the_gate(
    repo: Repo, accuracy: str, reason: str
) -> None:
    base_rules(repo)
    (repo.root / "metrics.json").write_text(f'{{"accuracy": {accuracy}, "loss": 0.3}}')
    result = repo.mlci("check")
    assert result.exit_code == 1, result.output
    written = results(repo)
    assert written["verdict"] == "fail"
    check = "present" if reason.startswith("present") else "number"
    assert [(g["check"], g["outcome"], g["reason"]) for g in written["gates"]] == [
        (check, "fail", reason)
    ]
    assert reason.replace("'", "") in (repo.root / "report.md").read_text().replace("'", "")


@pytest.mark.parametrize("accuracy", ["1e308", "-1e308", "1.7976931348623157e308", "5e-324"])
def test_extreme_numbers_never_crash_any_output(repo: Repo, accuracy: str) -> None:
    """`"accuracy": 1e308` crashed with `cannot convert float NaN to integer` (exit 3)."""
    repo.git("checkout", "--quiet", "main")
    repo.commit("tiny", {"metrics.json": '{"accuracy": 1e-300, "loss": -1e308, "f1": 1e308}'})
    repo.git("checkout", "--quiet", "-B", "feature")
    repo.gen({"metrics.json": f'{{"accuracy": {accuracy}, "loss": 1e308, "f1": -1e308}}'})
    result = repo.mlci("check")
    assert result.exit_code in (0, 1), result.output
    text = (repo.root / "mlci-results.json").read_text()
    json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))
    assert (repo.root / "report.md").read_text().startswith("## ")
    for output in ("md", "json", "table"):
        diff = repo.mlci("diff", "--base", "main", "--format", output)
        assert diff.exit_code == 0, diff.output
