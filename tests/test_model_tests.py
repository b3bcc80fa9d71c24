"""The project's own tests (`tests:` in mlci.yaml), run for real and parsed from JUnit XML."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import Repo

from mlci.checks.suite import parse_junit, run_tests

PASSING = "def test_ok():\n    assert 1 + 1 == 2\n"
FAILING = (
    "def test_ok():\n    pass\n"
    "def test_accuracy_floor():\n    assert 0.81 >= 0.9, 'accuracy 0.81 below 0.9'\n"
    "def test_broken_fixture(missing_fixture):\n    pass\n"
)


def results(repo: Repo) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((repo.root / "mlci-results.json").read_text())
    return found


def test_failing_tests_fail_the_gate_with_ids_and_first_lines(repo: Repo) -> None:
    repo.commit(
        "tests",
        {
            "mlci.yaml": "tests: python -m pytest model_tests -q\n",
            "model_tests/test_model.py": FAILING,
        },
    )
    result = repo.mlci("check")
    assert result.exit_code == 1, result.output
    tests = results(repo)["tests"]
    assert (tests["total"], tests["passed"], tests["failed"], tests["errors"]) == (3, 1, 1, 1)
    assert tests["outcome"] == "fail"
    assert tests["reason"] == "2 of 3 tests failed"
    failures = {f["id"]: f for f in tests["failures"]}
    floor = failures["model_tests.test_model::test_accuracy_floor"]
    assert floor["kind"] == "failure"
    assert floor["message"].startswith("AssertionError: accuracy 0.81 below 0.9")
    assert failures["model_tests.test_model::test_broken_fixture"]["kind"] == "error"
    # The slowest tests, slowest first, as JUnit timed them.
    slowest = tests["slowest"]
    assert slowest
    assert {name for name, _ in slowest} <= {
        f"model_tests.test_model::{n}"
        for n in ("test_ok", "test_accuracy_floor", "test_broken_fixture")
    }
    assert [seconds for _, seconds in slowest] == sorted((s for _, s in slowest), reverse=True)
    assert "FAILED model_tests.test_model::test_accuracy_floor" in result.output
    report = (repo.root / "report.md").read_text()
    assert "### Tests ❌" in report
    assert "| model\\_tests.test\\_model::test\\_accuracy\\_floor | AssertionError" in report


def test_passing_tests(repo: Repo) -> None:
    repo.commit(
        "tests",
        {
            "mlci.yaml": "tests:\n  command: python -m pytest model_tests\n",
            "model_tests/test_ok.py": PASSING,
        },
    )
    result = repo.mlci("check")
    assert result.exit_code == 0, result.output
    assert results(repo)["tests"]["reason"] == "the only test passed"
    assert repo.mlci("check", "--no-tests").exit_code == 0
    assert results(repo)["tests"] is None


def test_warn_severity_and_no_tests_collected(repo: Repo) -> None:
    repo.commit(
        "tests",
        {
            "mlci.yaml": "tests:\n  command: python -m pytest model_tests\n  severity: warn\n",
            "model_tests/test_model.py": FAILING,
        },
    )
    assert repo.mlci("check").exit_code == 0
    assert results(repo)["verdict"] == "warn"
    repo.commit("empty", {"model_tests/test_model.py": "x = 1\n"})
    assert repo.mlci("check").exit_code == 0
    assert results(repo)["tests"]["reason"] == "no tests were collected"


def test_the_base_test_command_wins(repo: Repo) -> None:
    repo.git("checkout", "--quiet", "main")
    repo.commit(
        "tests",
        {
            "mlci.yaml": "tests: python -m pytest model_tests\n",
            "model_tests/test_model.py": FAILING,
        },
    )
    repo.git("checkout", "--quiet", "-B", "feature")
    repo.commit("skip the tests", {"mlci.yaml": "tests: python -c pass\n"})
    assert repo.mlci("check").exit_code == 1
    assert results(repo)["tests"]["command"] == "python -m pytest model_tests"


def test_a_command_that_is_not_pytest_needs_junit(repo: Repo) -> None:
    repo.commit("tests", {"mlci.yaml": "tests: make test\n"})
    assert repo.mlci("check").exit_code == 1
    assert results(repo)["tests"]["reason"] == (
        "not pytest: set tests.junit to the JUnit XML file it writes"
    )


def test_a_command_that_does_not_exist(tmp_path: Path) -> None:
    run = run_tests("pytest-does-not-exist -q", tmp_path, print, junit="out.xml")
    assert (run.outcome, run.reason) == (
        "fail",
        "could not start `pytest-does-not-exist`: No such file or directory",
    )


def test_junit_from_another_runner(tmp_path: Path) -> None:
    xml = tmp_path / "report.xml"
    xml.write_text(
        '<testsuites><testsuite name="s">'
        '<testcase classname="Suite" name="a" time="1.5"/>'
        '<testcase classname="Suite" name="b" time="0.25">'
        '<failure message="boom&#10;more"/></testcase>'
        '<testcase classname="Suite" name="c"><skipped/></testcase>'
        "</testsuite></testsuites>"
    )
    cases, failures, skipped, total = parse_junit(xml)
    assert cases == [("Suite::a", 1.5), ("Suite::b", 0.25), ("Suite::c", 0.0)]
    assert [(f.id, f.kind, f.message) for f in failures] == [("Suite::b", "failure", "boom")]
    assert (skipped, total) == (1, 3)
    # The runner writes its report during the run (here: a copy of the one above).
    xml.rename(tmp_path / "prepared.xml")
    copy = "import shutil; shutil.copy('prepared.xml', 'report.xml')"
    run = run_tests(f'python -c "{copy}"', tmp_path, print, junit="report.xml")
    assert (run.outcome, run.reason, run.total) == ("fail", "1 of 3 tests failed", 3)
