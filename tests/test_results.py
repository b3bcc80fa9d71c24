"""mlci.results: JSON round-trip and the errors of Results.read."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from mlci.errors import UsageError
from mlci.results import (
    SCHEMA_VERSION,
    Change,
    GateResult,
    LoadError,
    PipelineRun,
    Results,
    RevInfo,
    dump_json,
    to_data,
    worst,
)


def make_results(pipeline: PipelineRun | None = None, shard: str | None = None) -> Results:
    return Results(
        title="Model report",
        verdict="warn",
        base=RevInfo("main", "a" * 40),
        head=RevInfo("feature/x", "workspace"),
        metrics=(
            Change("metrics.json", "acc", 0.9, 0.85, -0.05, -5.5, "changed"),
            Change("metrics.json", "epochs", 10, 12, 2, 20.0, "changed"),
            Change("metrics.json", "flag", True, False, None, None, "changed"),
            Change("metrics.json", "label", "cat", "dog", None, None, "changed"),
            Change("metrics.json", "new", None, 1.5, None, None, "new"),
            Change("metrics.json", "whole", 2.0, 2.0, 0.0, 0.0, "unchanged"),
        ),
        params=(Change("params.yaml", "train.C", 1.0, 0.5, -0.5, -50.0, "changed"),),
        gates=(
            GateResult(
                key="acc",
                file="metrics.json",
                rule="acc: drop ≤ 0.01",
                check="max_drop",
                outcome="warn",
                reason="dropped by 0.05 (0.9 → 0.85), allowed 0.01",
                severity="warn",
                source="head",
                line=7,
            ),
            GateResult("new", "metrics.json", "new: ≥ 1", "min", "pass", "ok", "fail", "base"),
        ),
        errors=(LoadError("base", "other.json", "not valid JSON"),),
        notes=("pull skipped", "ünïcode ✓"),
        pipeline=pipeline,
        fold_unchanged=False,
        mlci_version="0.1.0",
        shard=shard,
    )


@pytest.mark.parametrize(
    "pipeline",
    [
        None,
        PipelineRun(pulled=True, reproduced=("prepare", "train"), skipped=("note",)),
        PipelineRun(pulled=False, reproduced=()),
    ],
)
def test_round_trip(tmp_path: Path, pipeline: PipelineRun | None) -> None:
    results = make_results(pipeline)
    path = tmp_path / "out" / "mlci-results.json"
    results.write(path)
    assert path.read_text(encoding="utf-8") == results.to_json()
    back = Results.read(path)
    assert back == results
    # types survive, not only equality (1 == 1.0 == True in Python)
    values = [(c.base, c.head) for c in back.metrics]
    assert [tuple(type(v) for v in pair) for pair in values] == [
        (float, float),
        (int, int),
        (bool, bool),
        (str, str),
        (type(None), float),
        (float, float),
    ]
    assert isinstance(back.metrics, tuple)
    assert isinstance(back.gates[0], GateResult)
    assert isinstance(back.base, RevInfo)
    assert back.gates[1].line is None
    if pipeline is not None:
        assert isinstance(back.pipeline, PipelineRun)
        assert isinstance(back.pipeline.reproduced, tuple)
        assert isinstance(back.pipeline.skipped, tuple)


def test_to_json_shape() -> None:
    raw = json.loads(make_results().to_json())
    assert raw["schema_version"] == SCHEMA_VERSION == 3
    assert raw["base"] == {"name": "main", "sha": "a" * 40}
    assert raw["pipeline"] is None
    assert raw["metrics"][2] == {
        "file": "metrics.json",
        "key": "flag",
        "base": True,
        "head": False,
        "change": None,
        "change_pct": None,
        "status": "changed",
        "better": None,
        "low": None,
        "high": None,
        "p_value": None,
        "level": None,
        "head_low": None,
        "head_high": None,
        "rows": None,
        "gated": True,
    }
    assert raw["predictions"] is None
    assert make_results().to_json().endswith("}\n")


def test_every_field_is_required(tmp_path: Path) -> None:
    raw = json.loads(make_results().to_json())
    del raw["fold_unchanged"], raw["gates"][0]["line"]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert str(read_error(path)) == (
        f"{path} is not a valid mlci results file (schema version 3): "
        "$: 'fold_unchanged' is a required property; "
        "$.gates[0]: 'line' is a required property\n"
        "  hint: publish only what `mlci ci` of this mlci version wrote"
    )


def read_error(path: Path) -> UsageError:
    with pytest.raises(UsageError) as info:
        Results.read(path)
    assert info.value.exit_code == 2
    return info.value


def test_read_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    error = read_error(path)
    assert str(error) == f"results file not found: {path}\n  hint: run `mlci check` first"


def test_read_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json", encoding="utf-8")
    error = read_error(path)
    assert str(error) == (
        f"cannot read results file {path}: "
        "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
    )


def test_read_a_directory(tmp_path: Path) -> None:
    error = read_error(tmp_path)
    assert str(error).startswith(f"cannot read results file {tmp_path}: ")


def test_read_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bin.json"
    path.write_bytes(b"\xff\xfe\x00")
    assert str(read_error(path)).startswith(f"cannot read results file {path}: ")


@pytest.mark.parametrize(
    "content",
    [json.dumps({"schema_version": 2}), json.dumps({"schema_version": "3"}), "[]", "{}", "3"],
)
def test_read_wrong_schema(tmp_path: Path, content: str) -> None:
    path = tmp_path / "other.json"
    path.write_text(content, encoding="utf-8")
    assert str(read_error(path)) == (
        f"{path} is not a valid mlci results file (schema version 3): "
        "$.schema_version: expected 3; re-create it with this mlci\n"
        "  hint: publish only what `mlci ci` of this mlci version wrote"
    )


def test_read_wrong_schema_from_a_newer_writer(tmp_path: Path) -> None:
    raw = json.loads(make_results().to_json())
    raw["schema_version"] = 4
    path = tmp_path / "r.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert "$.schema_version: expected 3" in str(read_error(path))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda raw: raw.update(metrics=3), "$.metrics: 3 is not of type 'array'"),
        (lambda raw: raw.update(metrics=[3]), "$.metrics[0]: 3 is not of type 'object'"),
        (lambda raw: raw.update(base="main"), "$.base: 'main' is not of type 'object'"),
        (lambda raw: raw["head"].pop("sha"), "$.head: 'sha' is a required property"),
    ],
)
def test_read_malformed(tmp_path: Path, edit: object, message: str) -> None:
    raw = json.loads(make_results().to_json())
    edit(raw)  # type: ignore[operator]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert str(read_error(path)) == (
        f"{path} is not a valid mlci results file (schema version 3): {message}\n"
        "  hint: publish only what `mlci ci` of this mlci version wrote"
    )


@pytest.mark.parametrize("where", ["verdict", "outcome"])
def test_read_rejects_an_unknown_verdict(tmp_path: Path, where: str) -> None:
    raw = json.loads(make_results().to_json())
    if where == "verdict":
        raw["verdict"] = "maybe"
    else:
        raw["gates"][0]["outcome"] = "maybe"
    path = tmp_path / "r.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    read_error(path)


# --- helpers -------------------------------------------------------------------------------


def test_worst() -> None:
    assert worst([]) == "pass"
    assert worst(["pass", "pass"]) == "pass"
    assert worst(["pass", "warn"]) == "warn"
    assert worst(["warn", "fail", "pass"]) == "fail"


def test_counts() -> None:
    assert make_results().counts() == {"pass": 1, "warn": 1, "fail": 0}


def test_rev_short() -> None:
    assert RevInfo("main", "0123456789abcdef").short == "0123456"
    assert RevInfo("feature", "workspace").short == "workspace"


@pytest.mark.parametrize(
    "value",
    [
        "é, a line separator \u2028 and a bidi override \u202e",
        "an emoji beyond the BMP \U0001f600 and DEL \x7f",
        "a lone surrogate \ud800",
        10**30,  # beyond orjson's 64 bits
        -(10**400),
        1e-05,
        [1.5e-07, {"nested": True, "none": None}],
    ],
)
@pytest.mark.parametrize("ascii_only", [True, False])
def test_dump_json_writes_what_json_reads_back(value: object, ascii_only: bool) -> None:
    text = dump_json({"value": value, "list": [], "dict": {}}, ascii_only=ascii_only)
    if ascii_only:
        assert text.isascii()
        if isinstance(value, str):  # escaped as json escapes it
            assert json.dumps(value) in text
    assert json.loads(text) == {"value": value, "list": [], "dict": {}}
    # json's layout; floats may be spelled otherwise (0.00001 for 1e-05)
    layout = json.dumps(json.loads(text), indent=2, ensure_ascii=ascii_only)
    string, number = re.compile(r'"(?:[^"\\]|\\.)*"'), re.compile(r"-?[0-9][0-9.e+-]*")
    assert [number.sub("N", string.sub("S", line)) for line in text.split("\n")] == [
        number.sub("N", string.sub("S", line)) for line in layout.split("\n")
    ]


def test_dump_json_keeps_nan_and_infinity_when_allowed() -> None:
    text = dump_json({"a": [1.0, float("nan"), float("inf"), -float("inf")]}, allow_nan=True)
    assert "NaN" in text and "Infinity" in text and "-Infinity" in text


def test_results_with_non_finite_values_and_big_ints_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "mlci-results.json"
    change = Change("m.json", "k\u2028", float("nan"), 10**400, None, None, "changed")
    results = dataclasses.replace(make_results(), metrics=(change,))
    results.write(path)
    (read,) = Results.read(path).metrics
    # A Value field holds any scalar, so the text "nan" stays text when read back.
    assert (str(read.base), read.head, read.key) == ("nan", 10**400, "k\u2028")


def test_curve_points_are_written_as_arrays_with_non_finite_values_as_text() -> None:
    finite = ((0.0, 1.0), (0.5, 0.25))
    assert json.loads(dump_json(to_data({"points": finite}))) == {
        "points": [[0.0, 1.0], [0.5, 0.25]]
    }
    broken = ((0.0, 1.0), (0.5, float("nan")), (1.0, float("inf")))
    assert json.loads(dump_json(to_data({"points": broken}))) == {
        "points": [[0.0, 1.0], [0.5, "nan"], [1.0, "inf"]]
    }


def test_the_shard_field(tmp_path: Path) -> None:
    """Every file says whose shard it is (null: no shard), with a name fit for an artifact."""
    raw = json.loads(make_results(shard="vision").to_json())
    assert raw["shard"] == "vision"
    path = tmp_path / "r.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert Results.read(path).shard == "vision"
    raw["shard"] = "../x"
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert "$.shard: '../x' does not match" in str(read_error(path))
    del raw["shard"]
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert "$: 'shard' is a required property" in str(read_error(path))
