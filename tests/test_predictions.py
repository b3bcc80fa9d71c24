"""mlci.checks.predictions: predictions files at base and head, read by DuckDB and
joined on the id, and the metrics computed from them equal scikit-learn's on the
same examples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn import metrics as skm

from mlci.checks.paired import find_files
from mlci.checks.predictions import read_paired
from mlci.errors import PredictionsError
from mlci.judge.significance import Settings, compare
from mlci.specs import PredictionsSpec, SliceSpec


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    """A predictions file in the format its extension names."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
    elif path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    else:
        columns = list(rows[0])
        lines = [",".join(columns)] + [
            ",".join("" if row[c] is None else str(row[c]) for c in columns) for row in rows
        ]
        path.write_text("\n".join(lines) + "\n")
    return path


def _rows(seed: int, count: int, right: float, **extra: Any) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    labels = np.random.default_rng(0).integers(0, 2, count)  # the same labels each side
    predictions = np.where(rng.random(count) < right, labels, 1 - labels)
    scores = np.clip(0.3 * labels + 0.7 * rng.random(count), 0, 1).round(3)
    group = np.random.default_rng(1).choice(["f", "m"], count)
    age = np.random.default_rng(2).integers(18, 80, count)
    return [
        {
            "id": f"ex{i}",
            "label": int(labels[i]),
            "prediction": int(predictions[i]),
            "proba": float(scores[i]),
            "gender": str(group[i]),
            "age": int(age[i]),
            **extra,
        }
        for i in range(count)
    ]


def _read(tmp_path: Path, base: Path, head: Path, spec: PredictionsSpec | None = None) -> Any:
    spec = spec or PredictionsSpec(path=head.name)
    return read_paired([base], [head], spec, base_root=tmp_path, head_root=tmp_path)


@pytest.mark.parametrize(("base_name", "head_name"), [("b.csv", "h.parquet"), ("b.jsonl", "h.csv")])
def test_formats_join_on_the_id_and_metrics_equal_scikit_learn(
    tmp_path: Path, base_name: str, head_name: str
) -> None:
    base_rows = _rows(1, 400, 0.8)
    head_rows = _rows(2, 400, 0.85)
    head_rows.reverse()  # the order of rows is not the pairing: the id is
    base = _write(tmp_path / base_name, base_rows)
    head = _write(tmp_path / head_name, head_rows)
    spec = PredictionsSpec(path=head_name, score="proba")
    joined = _read(tmp_path, base, head, spec)
    assert joined.paired.task == "binary"
    assert joined.paired.classes == ("0", "1")
    assert (joined.base_rows, joined.head_rows, joined.only_base, joined.only_head) == (
        400,
        400,
        0,
        0,
    )
    comparison = compare(joined.paired, Settings(resamples=50))
    by_id = {row["id"]: row for row in head_rows}
    labels = [row["label"] for row in base_rows]
    base_pred = [row["prediction"] for row in base_rows]
    head_pred = [by_id[row["id"]]["prediction"] for row in base_rows]
    head_proba = [by_id[row["id"]]["proba"] for row in base_rows]
    values = {e.key: (e.base, e.head) for e in comparison.estimates}
    assert values["accuracy"] == pytest.approx(
        (skm.accuracy_score(labels, base_pred), skm.accuracy_score(labels, head_pred))
    )
    assert values["f1"][1] == pytest.approx(skm.f1_score(labels, head_pred))
    assert values["roc_auc"][1] == pytest.approx(skm.roc_auc_score(labels, head_proba))


def test_examples_at_one_side_are_counted_and_left_out(tmp_path: Path) -> None:
    base_rows = _rows(1, 100, 0.8)
    head_rows = [*_rows(2, 100, 0.8)[3:], {**_rows(2, 1, 0.8)[0], "id": "new"}]
    base = _write(tmp_path / "b.csv", base_rows)
    head = _write(tmp_path / "h.csv", head_rows)
    joined = _read(tmp_path, base, head, PredictionsSpec(path="h.csv", min_join=0.9))
    assert (joined.only_base, joined.only_head, joined.paired.rows) == (3, 1, 97)
    assert joined.notes == (
        "3 examples only at base and 1 only at head are left out of the comparison",
    )


def test_a_join_below_the_share_fails_naming_the_counts(tmp_path: Path) -> None:
    base = _write(tmp_path / "b.csv", _rows(1, 100, 0.8))
    head = _write(tmp_path / "h.csv", _rows(2, 100, 0.8)[:80])
    with pytest.raises(PredictionsError) as info:
        _read(tmp_path, base, head)
    assert str(info.value).startswith(
        "predictions h.csv: only 80 examples are at both base (100 rows) and head "
        "(80 rows), 80.0%; at least 95% must match to compare the models"
    )
    assert "min_join" in str(info.value)
    assert info.value.exit_code == 2


def test_examples_whose_label_changed_are_left_out(tmp_path: Path) -> None:
    base_rows = _rows(1, 50, 0.8)
    head_rows = _rows(2, 50, 0.8)
    head_rows[0]["label"] = 1 - head_rows[0]["label"]
    joined = _read(
        tmp_path, _write(tmp_path / "b.csv", base_rows), _write(tmp_path / "h.csv", head_rows)
    )
    assert (joined.label_changed, joined.paired.rows) == (1, 49)
    assert "1 examples whose label changed are left out" in joined.notes


def test_task_is_inferred_from_the_values(tmp_path: Path) -> None:
    rows = [
        {"id": i, "label": ["cat", "dog", "owl"][i % 3], "prediction": "cat"} for i in range(30)
    ]
    joined = _read(tmp_path, _write(tmp_path / "b.jsonl", rows), _write(tmp_path / "h.jsonl", rows))
    assert (joined.paired.task, joined.paired.classes) == ("multiclass", ("cat", "dog", "owl"))

    values = [{"id": i, "label": i * 0.5, "prediction": i * 0.5 + 0.1} for i in range(40)]
    joined = _read(tmp_path, _write(tmp_path / "b.csv", values), _write(tmp_path / "h.csv", values))
    assert joined.paired.task == "regression"
    assert compare(joined.paired, Settings(resamples=20)).get("mae") is not None

    # Whole numbers with few values are classes, unless the task is set.
    counts = [{"id": i, "label": i % 4, "prediction": (i + 1) % 4} for i in range(40)]
    base = _write(tmp_path / "b.csv", counts)
    head = _write(tmp_path / "h.csv", counts)
    assert _read(tmp_path, base, head).paired.task == "multiclass"
    spec = PredictionsSpec(path="h.csv", task="regression")
    assert _read(tmp_path, base, head, spec).paired.task == "regression"


def test_numeric_classes_match_across_formats(tmp_path: Path) -> None:
    """A CSV's "1" and a Parquet file's 1.0 are the same class."""
    base = _write(
        tmp_path / "b.csv", [{"id": i, "label": i % 2, "prediction": 1} for i in range(20)]
    )
    head = _write(
        tmp_path / "h.parquet",
        [{"id": i, "label": float(i % 2), "prediction": 1.0} for i in range(20)],
    )
    joined = _read(tmp_path, base, head)
    assert joined.paired.classes == ("0", "1")
    assert joined.paired.rows == 20


def test_per_class_scores_give_multiclass_log_loss(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    rows = []
    for i in range(60):
        probs = rng.dirichlet([1, 1, 1])
        rows.append(
            {
                "id": i,
                "y": "abc"[i % 3],
                "yhat": "abc"[int(probs.argmax())],
                "pa": probs[0],
                "pb": probs[1],
                "pc": probs[2],
            }
        )
    path = _write(tmp_path / "p.parquet", rows)
    spec = PredictionsSpec(
        path="p.parquet",
        label="y",
        prediction="yhat",
        scores={"c": "pc", "a": "pa", "b": "pb"},  # type: ignore[arg-type]
    )
    joined = _read(tmp_path, path, path, spec)
    loss = compare(joined.paired, Settings(resamples=20)).get("log_loss")
    assert loss is not None
    expected = skm.log_loss([r["y"] for r in rows], [[r["pa"], r["pb"], r["pc"]] for r in rows])
    assert loss.base == pytest.approx(expected)


def test_slices_by_value_and_by_bins(tmp_path: Path) -> None:
    base = _write(tmp_path / "b.csv", _rows(1, 300, 0.8))
    head_rows = _rows(2, 300, 0.8)
    head = _write(tmp_path / "h.csv", head_rows)
    spec = PredictionsSpec(
        path="h.csv", slices=(SliceSpec("gender"), SliceSpec("age", bins=(30, 60)))
    )
    joined = _read(tmp_path, base, head, spec)
    gender, age = joined.paired.slices
    assert gender.values == ("f", "m")
    assert age.values == ("<30", "[30,60)", ">=60")
    comparison = compare(joined.paired, Settings(resamples=50))
    young = [r for r in head_rows if r["age"] < 30]
    estimate = comparison.get("slice.age=<30.accuracy")
    assert estimate is not None and estimate.rows == len(young)
    assert estimate.head == pytest.approx(
        skm.accuracy_score([r["label"] for r in young], [r["prediction"] for r in young])
    )
    assert comparison.get("slice.gender=f.recall") is not None

    quartiles = PredictionsSpec(path="h.csv", slices=(SliceSpec("age", bins=4),))
    codes = _read(tmp_path, base, head, quartiles).paired.slices[0].codes
    assert sorted(np.bincount(codes)) == pytest.approx([75] * 4, abs=12)


def test_a_slice_column_with_too_many_values_asks_for_bins(tmp_path: Path) -> None:
    rows = _rows(1, 100, 0.8)
    path = _write(tmp_path / "p.csv", rows)
    with pytest.raises(PredictionsError, match=r"slice column 'id' has more than 50 values"):
        _read(tmp_path, path, path, PredictionsSpec(path="p.csv", slices=(SliceSpec("id"),)))


@pytest.mark.parametrize(
    ("rows", "spec", "message"),
    [
        (
            [{"id": 1, "label": 1, "pred": 1}],
            PredictionsSpec(path="p.csv"),
            "predictions p.csv at base: no column 'prediction' (columns: id, label, pred)",
        ),
        (
            [{"id": 1, "label": 1, "prediction": 1}, {"id": 1, "label": 0, "prediction": 1}],
            PredictionsSpec(path="p.csv"),
            "predictions p.csv at base: the id '1' is on 2 rows; ids must be unique",
        ),
        (
            [{"id": 1, "label": None, "prediction": 1}, {"id": 2, "label": 0, "prediction": 1}],
            PredictionsSpec(path="p.csv"),
            "predictions p.csv at base: 1 rows whose label ('label') is empty or not a number",
        ),
        (
            [{"id": 1, "label": 1, "prediction": 1, "p": 1.5}],
            PredictionsSpec(path="p.csv", score="p"),
            "predictions p.csv at base: 1 rows whose score ('p') is not a probability "
            "between 0 and 1",
        ),
        (
            [{"id": i, "label": i % 3, "prediction": 0} for i in range(9)],
            PredictionsSpec(path="p.csv", task="binary"),
            "predictions p.csv: task binary, but 3 classes (0, 1, 2...)",
        ),
        (
            [{"id": i, "label": i % 2, "prediction": 0} for i in range(9)],
            PredictionsSpec(path="p.csv", positive="yes"),
            "predictions p.csv: positive class 'yes' is not among the classes (0, 1)",
        ),
    ],
)
def test_broken_predictions_are_errors_naming_file_and_fault(
    tmp_path: Path, rows: list[dict[str, Any]], spec: PredictionsSpec, message: str
) -> None:
    path = _write(tmp_path / "p.csv", rows)
    with pytest.raises(PredictionsError) as info:
        _read(tmp_path, path, path, spec)
    assert info.value.message == message


def test_unreadable_file_is_named_with_the_reason(tmp_path: Path) -> None:
    good = _write(tmp_path / "b.csv", _rows(1, 10, 0.8))
    bad = tmp_path / "h.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(PredictionsError) as info:
        _read(tmp_path, good, bad)
    assert info.value.message == (
        "predictions h.parquet at head: cannot read h.parquet: not a Parquet file, or truncated"
    )


def test_files_outside_the_checkout_are_refused(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    secret = _write(tmp_path / "outside.csv", _rows(1, 10, 0.8))
    (project / "preds.csv").symlink_to(secret)
    spec = PredictionsSpec(path="preds.csv")
    with pytest.raises(PredictionsError, match="resolves outside the repository"):
        find_files(project, spec)
    with pytest.raises(PredictionsError, match="resolves outside the repository"):
        read_paired([secret], [secret], spec, base_root=project, head_root=project)
    with pytest.raises(PredictionsError, match="an absolute path"):
        find_files(project, PredictionsSpec(path=str(secret)))
