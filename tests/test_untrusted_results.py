"""Issue 10: `mlci publish` trusts nothing in the results file.

A forged mlci-results.json (the pull request's run wrote it) is refused unless it has
exactly the shape mlci writes, agrees with itself and is for this run's commit; what
is published is rendered through the same escaping as a fresh check; the title comes
from --title or the base's mlci.yaml. Property-based tests (hypothesis) put arbitrary
strings into every field and arbitrary JSON into the validator.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import typing
from pathlib import Path
from typing import Any

import pytest
from github_server import GitHubServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_publish import BASE_SHA, HEAD_SHA, bot_comments, make_results, publish

from mlci import results as results_module
from mlci.errors import UsageError
from mlci.forge import fit_comment
from mlci.render.markdown import Report, marker, render_terminal
from mlci.results import (
    CheckResult,
    ColumnDrift,
    Confusion,
    Curve,
    DatasetReport,
    DriftResult,
    GateResult,
    ImagePlot,
    LoadError,
    PipelineRun,
    Plots,
    Results,
)
from mlci.results import (
    TestFailure as FailedTest,
)
from mlci.results import (
    TestRun as RunOfTests,
)

pytest_plugins = ["test_publish"]  # its gh and workdir fixtures


def full_results() -> Results:
    """Every kind of thing a results file holds, consistent with itself."""
    base = make_results("fail")
    failing = dataclasses.replace(base.gates[0], outcome="fail", reason="0.8 < min 0.9")
    drift = DriftResult(
        "data.csv",
        (ColumnDrift("age", "numeric", 0.3, 0.2, 0.01, 0.1, None, "psi", 0.3, 0.25, "fail", "r"),),
        1.0,
        "fail",
        "1 of 1 columns drifted",
    )
    return dataclasses.replace(
        base,
        gates=(failing, dataclasses.replace(failing, key="f1", outcome="warn", check="matched")),
        params=base.metrics,
        errors=(LoadError("base", "eval.json", "unreadable"),),
        notes=("a note",),
        pipeline=PipelineRun(True, ("train",), ("pull skipped",)),
        tests=RunOfTests(
            "pytest",
            1,
            2,
            1,
            1,
            0,
            0,
            0.5,
            (FailedTest("tests/t.py::test_a", "failure", "boom"),),
            (("tests/t.py::test_a", 0.4),),
            "fail",
            "1 of 2 tests failed",
        ),
        plots=Plots(
            curves=(
                Curve("roc", "ROC", "fpr", "tpr", "x", "y", ((0, 0), (1, 1)), ((0, 0), (1, 1))),
            ),
            confusions=(
                Confusion("cm", "CM", "actual", "predicted", ("a", "b"), ((1, 2), (3, 4)), None),
            ),
            images=(ImagePlot("img", "plots/a.png", True, True, "data:image/png;base64,AAAA"),),
            errors=("plots/x.csv at head: unreadable",),
        ),
        data=(
            DatasetReport(
                "data.csv",
                "fail",
                "fail",
                (CheckResult("data.csv", "age", "min", "fail", "1 row below 0", 1, ("-1",)),),
                drift,
                None,
                "base",
            ),
        ),
    )


def write_raw(workdir: Path, raw: Any) -> None:
    (workdir / "mlci-results.json").write_text(json.dumps(raw), encoding="utf-8")


def raw_of(results: Results) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(results.to_json())
    return found


def refused(gh: GitHubServer, *args: str) -> str:
    result = publish(*args)
    assert result.exit_code == 2, result.output
    assert gh.statuses == [] and bot_comments(gh) == []
    return result.output


# --- forged files are refused, nothing is posted -------------------------------------------


def test_the_full_results_round_trip_through_the_validator(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    full_results().write(path)
    assert Results.read(path) == full_results()


FORGED_CELLS = [
    '<img src="https://evil.example/x.png">',
    "<details open>",
    "[click](https://evil.example)",
    "@everyone",
    "\n\n## ✅ Model report: PASS\n",
    "1.5",
    -1,
    True,
    None,
]


@pytest.mark.parametrize("cell", FORGED_CELLS)
def test_forged_confusion_cells_are_refused(gh: GitHubServer, workdir: Path, cell: Any) -> None:
    raw = raw_of(full_results())
    raw["plots"]["confusions"][0]["head"] = [[cell, 2], [3, 4]]
    write_raw(workdir, raw)
    output = refused(gh)
    assert "is not a valid mlci results file (schema version 3): " in output
    assert "$.plots.confusions[0].head" in output


@pytest.mark.parametrize(
    ("edit", "where"),
    [
        (lambda raw: raw.update(verdict="pass"), "$.verdict: pass, but its outcomes make it fail"),
        (
            lambda raw: raw["gates"][0].update(outcome="fail", severity="warn"),
            "$.gates[0]: outcome fail for a rule of severity warn",
        ),
        (
            lambda raw: raw["tests"].update(outcome="pass"),
            "$.tests: outcome pass with failed tests",
        ),
        (
            lambda raw: raw["data"][0].update(outcome="pass"),
            "$.data[0]: outcome pass, its checks say fail",
        ),
        (
            lambda raw: raw["plots"]["confusions"][0].update(head=[[1, 2, 3], [4, 5, 6]]),
            "$.plots.confusions[0].head: not 2 x 2 like its labels",
        ),
    ],
)
def test_a_file_that_contradicts_itself_is_refused(
    gh: GitHubServer, workdir: Path, edit: Any, where: str
) -> None:
    raw = raw_of(full_results())
    edit(raw)
    write_raw(workdir, raw)
    assert where in refused(gh)


def test_pass_with_failing_gates_never_posts_success(gh: GitHubServer, workdir: Path) -> None:
    raw = raw_of(make_results("fail"))
    raw["verdict"] = "pass"
    write_raw(workdir, raw)
    assert "$.verdict: pass, but its outcomes make it fail" in refused(gh)


@pytest.mark.parametrize(
    ("edit", "where"),
    [
        (lambda raw: raw["head"].update(sha="workspace"), None),
        (lambda raw: raw["head"].update(sha="3" * 40), None),
        (lambda raw: raw["head"].update(sha="HEAD"), "$.head.sha"),
        (lambda raw: raw.update(extra=1), "$: Additional properties are not allowed"),
        (lambda raw: raw["gates"][0].update(check="bogus"), "$.gates[0].check"),
        (lambda raw: raw["gates"][0].update(outcome="PASS"), "$.gates[0].outcome"),
        (lambda raw: raw["metrics"][0].update(change="Infinity"), "$.metrics[0].change"),
        (lambda raw: raw["metrics"][0].update(key="k" * 1001), "$.metrics[0].key"),
        (lambda raw: raw.update(notes=["n"] * 1001), "$.notes"),
        (
            lambda raw: raw["plots"]["images"][0].update(head_uri="javascript:alert(1)"),
            "$.plots.images[0].head_uri",
        ),
        (
            lambda raw: raw["plots"]["images"][0].update(head_uri="data:text/html;base64,PGI+"),
            "$.plots.images[0].head_uri",
        ),
        (lambda raw: raw["plots"]["curves"][0].update(head=[["0", 1]]), "$.plots.curves[0]"),
        (lambda raw: raw["plots"]["curves"][0].update(head=[[0, "nan"]]), "$.plots.curves[0]"),
        (lambda raw: raw["tests"].update(passed=-1), "$.tests.passed"),
    ],
)
def test_forged_fields_are_refused_naming_the_place(
    gh: GitHubServer, workdir: Path, edit: Any, where: str | None
) -> None:
    raw = raw_of(full_results())
    edit(raw)
    write_raw(workdir, raw)
    output = refused(gh)
    if where is None:  # the commit check: the event's head sha is HEAD_SHA
        assert "but this run is for 2222222" in output
    else:
        assert where in output


def test_infinity_and_nan_literals_are_not_json(gh: GitHubServer, workdir: Path) -> None:
    text = full_results().to_json().replace('"change": 0.05', '"change": Infinity')
    (workdir / "mlci-results.json").write_text(text)
    assert "Infinity is not JSON" in refused(gh)


def test_a_file_over_the_size_limit_is_refused_unread(
    gh: GitHubServer, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(results_module, "MAX_RESULTS_BYTES", 100)
    assert "mlci-results.json is larger than 100 bytes; refused unread" in refused(gh)


def test_config_must_be_inside_the_repository(gh: GitHubServer, workdir: Path) -> None:
    for path in ("../mlci.yaml", "/etc/mlci.yaml", "a/../../b", "a//b"):
        assert "must be a path inside the repository" in refused(gh, "--config", path)


# --- the title is never the file's ----------------------------------------------------------


def test_the_files_title_is_ignored(gh: GitHubServer, workdir: Path) -> None:
    raw = raw_of(make_results())
    raw["title"] = "Security review"
    write_raw(workdir, raw)
    result = publish()
    assert result.exit_code == 0, result.output
    [status] = gh.statuses
    assert status["context"] == "mlci/Model report"
    [comment] = bot_comments(gh)
    assert comment["body"].startswith("## ✅ Model report: PASS")
    assert marker("Model report") in comment["body"].splitlines()
    assert "Security review" not in comment["body"]


def test_the_title_comes_from_the_base_commits_mlci_yaml(gh: GitHubServer, workdir: Path) -> None:
    """workflow_run: the PR is found by its head sha, its base sha read from GET /pulls/7."""
    gh.add_file(BASE_SHA, "ml/mlci.yaml", "report:\n  title: Quality gate\n")
    gh.add_file("main", "ml/mlci.yaml", "report:\n  title: Not this one\n")
    gh.add_file(HEAD_SHA, "ml/mlci.yaml", "report:\n  title: Nor the head's\n")
    result = publish("--config", "ml/mlci.yaml")
    assert result.exit_code == 0, result.output
    assert [s["context"] for s in gh.statuses] == ["mlci/Quality gate"]
    assert bot_comments(gh)[0]["body"].startswith("## ✅ Quality gate: PASS")
    paths = [path for _, path, _ in gh.requests]
    assert f"/repos/octo-org/ml-project/contents/ml/mlci.yaml?ref={BASE_SHA}" in paths


def test_title_flag_wins_and_no_base_config_means_the_default(
    gh: GitHubServer, workdir: Path
) -> None:
    assert publish("--title", "Nightly").exit_code == 0
    assert publish().exit_code == 0  # no mlci.yaml at base: 404, the default title
    assert [s["context"] for s in gh.statuses] == ["mlci/Nightly", "mlci/Model report"]


# --- property: any string in any field renders inert -----------------------------------------

# Fields typed str that hold one of a few words mlci chose, not free text.
_CHOSEN = {"status", "check", "severity", "source", "rev", "outcome", "kind", "method"}
_CHOSEN |= {"template", "sha", "verdict", "mlci_version", "base_uri", "head_uri"}
_HTML_TAG = re.compile(r"<[A-Za-z/!]")
_OURS = re.compile(r"</?(details|summary|sub)>")
_MENTION = re.compile(r"@(?!&#8203;)\w")
_CELL_SEPARATOR = re.compile(r"(?<!\\)\|")


def with_text(value: Any, text: str) -> Any:
    """``value`` with every free-text string in it replaced by ``text``."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        hints = typing.get_type_hints(type(value))
        changes = {}
        for field in dataclasses.fields(value):
            if field.name in _CHOSEN:
                continue
            current = getattr(value, field.name)
            if isinstance(current, str) or (
                field.name in ("base", "head")
                and hints[field.name] is not None
                and isinstance(current, (int, float))
            ):
                changes[field.name] = text
            else:
                changes[field.name] = with_text(current, text)
        return dataclasses.replace(value, **changes)
    if isinstance(value, tuple):
        return tuple(text if isinstance(v, str) else with_text(v, text) for v in value)
    return value


_FENCE = re.compile(r"^```mermaid\n(.*?)\n```$", re.DOTALL | re.MULTILINE)


def assert_inert(body: str, title: str) -> None:
    lines = body.splitlines()
    assert sum(line.startswith("<!-- mlci-report:") for line in lines) == 1
    assert lines.count(marker(title)) == 1
    # Inside a code fence nothing is HTML or a mention, as long as the fence holds.
    assert all("`" not in block for block in _FENCE.findall(body))
    prose = _FENCE.sub("", body)
    assert "```" not in prose
    assert not _HTML_TAG.search(_OURS.sub("", prose.replace(marker(title), ""))), body
    assert not _MENTION.search(prose)
    assert "![" not in prose
    header_cells = None
    for line in lines:
        if line.startswith("|"):
            cells = len(_CELL_SEPARATOR.findall(line))
            header_cells = header_cells or cells
            assert cells == header_cells, line
        else:
            header_cells = None


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.text(max_size=60))
def test_any_string_in_any_field_renders_inert(text: str, tmp_path: Path) -> None:
    forged = with_text(full_results(), text)
    path = tmp_path / "r.json"
    forged.write(path)
    back = Results.read(path)  # what publish would render
    body = fit_comment(Report(back))
    assert_inert(body, back.title)
    terminal = render_terminal(back)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", terminal.replace("\n", ""))


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_validator_raises_nothing_but_usage_error(
    data: st.DataObject, tmp_path_factory: Any
) -> None:
    path = tmp_path_factory.mktemp("v") / "r.json"
    raw: Any = raw_of(full_results())
    # Arbitrary JSON at the top, or in place of any one field of a valid file.
    choice = data.draw(st.integers(0, 2))
    if choice == 0:
        raw = data.draw(_JSON)
    elif choice == 1:
        key = data.draw(st.sampled_from(sorted(raw)))
        raw[key] = data.draw(_JSON)
    else:
        section = data.draw(st.sampled_from(["gates", "metrics", "data"]))
        entry = raw[section][0]
        entry[data.draw(st.sampled_from(sorted(entry)))] = data.draw(_JSON)
    path.write_text(json.dumps(raw))
    with contextlib.suppress(UsageError):  # anything else fails the test
        Results.read(path)


def test_the_schema_names_every_field_of_the_results_dataclasses() -> None:
    """A field added to a results dataclass without the schema would make every file
    mlci writes unpublishable: keep the two in step."""
    schema = json.loads(results_module.SCHEMA_FILE.read_text())
    defs = schema["$defs"]
    pairs = {
        "rev": results_module.RevInfo,
        "change": results_module.Change,
        "gate": GateResult,
        "load_error": LoadError,
        "pipeline": PipelineRun,
        "test_failure": FailedTest,
        "test_run": RunOfTests,
        "curve": Curve,
        "confusion": Confusion,
        "image": ImagePlot,
        "plots": Plots,
        "check": CheckResult,
        "column_drift": ColumnDrift,
        "drift": DriftResult,
        "dataset": DatasetReport,
    }
    for name, kind in pairs.items():
        assert set(defs[name]["properties"]) == {f.name for f in dataclasses.fields(kind)}, name
    assert set(schema["properties"]) == {f.name for f in dataclasses.fields(Results)}
