"""Data checks on small generated files: every check passing and failing, formats, bad files."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from mlci.checks.data import ColumnSpec, DatasetSpec, check_dataset
from mlci.checks.files import resolve_files
from mlci.checks.sources import EngineSettings
from mlci.results import CheckResult

SETTINGS = EngineSettings(memory_limit="256MB", threads=1)

CLEAN = (
    "id,age,name,score,flag\n"
    "1,30,ann,0.5,true\n"
    "2,41,bob,1.5,false\n"
    "3,52,cid,,true\n"
    "4,63,dee,2.5,false\n"
)


def run(
    files: list[Path], spec: DatasetSpec, root: Path
) -> dict[tuple[str | None, str], CheckResult]:
    results = check_dataset(files, spec, root=root, settings=SETTINGS)
    return {(r.column, r.check): r for r in results}


def reasons(
    results: dict[tuple[str | None, str], CheckResult],
) -> dict[tuple[str | None, str], str]:
    return {key: f"{r.outcome}: {r.reason}" for key, r in results.items()}


def test_every_check_passes_with_exact_reasons(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text(CLEAN)
    spec = DatasetSpec(
        path="d.csv",
        columns=(
            ("id", ColumnSpec(type="int", nulls=0, unique=True, min=1, max=4)),
            ("age", ColumnSpec(type="number", allowed=(30, 41, 52, 63))),
            (
                "name",
                ColumnSpec(type="string", regex="[a-z]{3}", allowed=("ann", "bob", "cid", "dee")),
            ),
            ("score", ColumnSpec(type="float", null_fraction=0.25, min=0, max=2.5)),
            ("flag", ColumnSpec(type="bool", allowed=(True, False))),
        ),
        unique=(("id", "name"),),
        rows_min=4,
        rows_max=4,
    )
    assert reasons(run([tmp_path / "d.csv"], spec, tmp_path)) == {
        (None, "readable"): "pass: read 4 rows from 1 file, 5 columns",
        (None, "rows"): "pass: 4 rows (min 4, max 4)",
        ("id", "type"): "pass: all 4 non-null values parse as int",
        ("id", "nulls"): "pass: 0 null (max 0)",
        ("id", "min"): "pass: smallest 1 ≥ min 1",
        ("id", "max"): "pass: largest 4 ≤ max 4",
        ("id", "unique"): "pass: all 4 non-null values unique",
        ("age", "type"): "pass: all 4 non-null values parse as number",
        ("age", "allowed"): "pass: all values among the 4 allowed",
        ("name", "type"): "pass: column type VARCHAR is string",
        ("name", "allowed"): "pass: all values among the 4 allowed",
        ("name", "regex"): "pass: all values match '[a-z]{3}'",
        ("score", "type"): "pass: all 3 non-null values parse as float",
        ("score", "null_fraction"): "pass: 25% null (max 25%)",
        ("score", "min"): "pass: smallest 0.5 ≥ min 0",
        ("score", "max"): "pass: largest 2.5 ≤ max 2.5",
        ("flag", "type"): "pass: all 4 non-null values parse as bool",
        ("flag", "allowed"): "pass: all values among the 2 allowed",
        ("id, name", "unique"): "pass: all 4 non-null keys unique",
    }


def test_every_check_fails_with_exact_reasons_and_examples(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text(
        "id,age,name,score,flag\n"
        "1,-1,ann,0.5,true\n"
        "2,-4,Bob,,maybe\n"
        "2,-7,,9.5,false\n"
        "4,x,dee,,true\n"
        "4,140,eve,,true\n"
    )
    spec = DatasetSpec(
        path="d.csv",
        columns=(
            ("id", ColumnSpec(unique=True)),
            ("age", ColumnSpec(min=0, max=120)),
            ("name", ColumnSpec(type="string", nulls=0, regex="[a-z]+", allowed=("ann", "dee"))),
            ("score", ColumnSpec(type="int", null_fraction=0.1, max=5)),
            ("flag", ColumnSpec(type="bool")),
        ),
        unique=(("id", "flag"),),
        rows_min=10,
    )
    results = run([tmp_path / "d.csv"], spec, tmp_path)
    failed = {
        k: (r.reason, r.failed_rows, r.examples) for k, r in results.items() if r.outcome == "fail"
    }
    assert failed == {
        (None, "rows"): ("5 rows, below min 10", 0, ()),
        ("id", "unique"): ("4 of 5 rows share 2 duplicated values: 2, 4", 4, ("2", "4")),
        ("age", "min"): (
            "4 of 5 rows below min 0 or not a number: -7, -4, -1, 'x'",
            4,
            ("-7", "-4", "-1", "x"),
        ),
        ("age", "max"): ("2 of 5 rows above max 120 or not a number: 140, 'x'", 2, ("140", "x")),
        ("name", "nulls"): ("1 of 5 rows are null, max 0", 1, ()),
        ("name", "regex"): ("1 of 5 rows do not match '[a-z]+': 'Bob'", 1, ("Bob",)),
        ("name", "allowed"): (
            "2 of 5 rows not in allowed values: 'Bob', 'eve'",
            2,
            ("Bob", "eve"),
        ),
        ("score", "type"): ("2 of 5 rows are not int: '0.5', '9.5'", 2, ("0.5", "9.5")),
        ("score", "null_fraction"): ("3 of 5 rows are null (60%), above max 10%", 3, ()),
        ("flag", "type"): ("1 of 5 rows are not bool: 'maybe'", 1, ("maybe",)),
        ("id, flag", "unique"): (
            "2 of 5 rows share 1 duplicated key: ('4', true)",
            2,
            ("('4', true)",),
        ),
    }
    # score's values do not parse as int, so max has nothing to judge them by.
    assert results[("score", "max")].reason == "no non-null values to check"


def test_typed_formats_judge_the_stored_type(tmp_path: Path) -> None:
    table = pa.table(
        {
            "n": pa.array([1.0, 2.0, float("nan"), None]),
            "i": pa.array([1, 2, 3, 4]),
            "s": pa.array(["1", "2", "x", None]),
        }
    )
    pq.write_table(table, tmp_path / "t.parquet")
    spec = DatasetSpec(
        path="t.parquet",
        columns=(
            ("n", ColumnSpec(type="int", nulls=1, min=0)),
            ("i", ColumnSpec(type="float")),
            ("s", ColumnSpec(type="int")),
        ),
    )
    results = reasons(run([tmp_path / "t.parquet"], spec, tmp_path))
    assert results[("n", "type")] == "fail: column type DOUBLE is not int"
    # NaN counts as null, as in pandas.
    assert results[("n", "nulls")] == "fail: 2 of 4 rows are null, max 1"
    assert results[("n", "min")] == "pass: smallest 1 ≥ min 0"
    assert results[("i", "type")] == "fail: column type BIGINT is not float"
    assert results[("s", "type")] == "fail: 1 of 4 rows are not int: 'x'"


def test_allowed_compares_numbers_as_numbers_and_bools_as_bools(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("a,b,c\n1.0,true,x\n2,false,1\n3,yes,\n")
    spec = DatasetSpec(
        path="d.csv",
        columns=(
            ("a", ColumnSpec(allowed=(1, 2))),
            ("b", ColumnSpec(allowed=(True, False))),
            ("c", ColumnSpec(allowed=("x", 1))),
        ),
    )
    results = run([tmp_path / "d.csv"], spec, tmp_path)
    assert results[("a", "allowed")].reason == "1 of 3 rows not in allowed values: '3'"
    assert results[("b", "allowed")].outcome == "pass"  # 'yes' reads as true
    assert results[("c", "allowed")].outcome == "pass"  # text compared with text: '1' == 1


def _frame(rows: int = 50) -> pa.Table:
    rng = np.random.default_rng(7)
    return pa.table(
        {
            "id": pa.array(np.arange(rows)),
            "x": pa.array(rng.normal(size=rows)),
            "c": pa.array(rng.choice(["a", "b"], rows)),
        }
    )


@pytest.mark.parametrize("fmt", ["csv", "tsv", "parquet", "jsonl"])
def test_every_format_reads_the_same(tmp_path: Path, fmt: str) -> None:
    table = _frame()
    path = tmp_path / f"data.{fmt}"
    if fmt == "csv":
        pcsv.write_csv(table, path)
    elif fmt == "tsv":
        pcsv.write_csv(table, path, pcsv.WriteOptions(delimiter="\t"))
    elif fmt == "parquet":
        pq.write_table(table, path)
    else:
        path.write_text("".join(json.dumps(row) + "\n" for row in table.to_pylist()))
    spec = DatasetSpec(
        path=path.name,
        columns=(
            ("id", ColumnSpec(type="int", unique=True, min=0, max=49)),
            ("x", ColumnSpec(type="float", nulls=0)),
            ("c", ColumnSpec(type="string", allowed=("a",))),
        ),
        rows_min=50,
    )
    results = run(resolve_files(tmp_path, path.name), spec, tmp_path)
    assert [(k, r.outcome) for k, r in results.items() if r.outcome == "fail"] == [
        (("c", "allowed"), "fail")
    ]
    assert results[("c", "allowed")].reason.endswith("not in allowed values: 'b'")
    assert results[(None, "readable")].reason == "read 50 rows from 1 file, 3 columns"


def test_a_glob_or_a_directory_is_one_dataset(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "more").mkdir(parents=True)
    (data / "a.csv").write_text("id,v\n1,10\n2,20\n")
    (data / "b.csv").write_text("id,v,w\n3,30,x\n")
    (data / "more" / "c.csv").write_text("v,id\n40,4\n")
    (data / ".hidden.csv").write_text("id\n99\n")
    (data / "notes.txt").write_text("not data")

    # As in a shell, a wildcard does not match a hidden file.
    assert [p.relative_to(tmp_path).as_posix() for p in resolve_files(tmp_path, "data/*.csv")] == [
        "data/a.csv",
        "data/b.csv",
    ]
    files = resolve_files(tmp_path, "data")
    assert [p.relative_to(data).as_posix() for p in files] == ["a.csv", "b.csv", "more/c.csv"]
    assert resolve_files(tmp_path, "data/a.csv") == [data / "a.csv"]
    assert resolve_files(tmp_path, "data/nothing-*.csv") == []
    assert resolve_files(tmp_path, "missing.csv") == []

    spec = DatasetSpec(
        path="data",
        columns=(("id", ColumnSpec(type="int", unique=True)), ("w", ColumnSpec())),
        rows_min=4,
    )
    results = reasons(run(files, spec, tmp_path))
    assert results[(None, "readable")] == "pass: read 4 rows from 3 files, 3 columns"
    assert results[("id", "unique")] == "pass: all 4 non-null values unique"
    assert results[("w", "exists")] == (
        "fail: column 'w' missing from 2 of 3 files: data/a.csv, data/more/c.csv"
    )


def test_no_files_is_a_failed_exists_check() -> None:
    assert check_dataset([], DatasetSpec(path="data/*.csv")) == (
        CheckResult("data/*.csv", None, "exists", "fail", "no files match 'data/*.csv'"),
    )


def test_a_missing_column_is_named_with_a_suggestion(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text(CLEAN)
    spec = DatasetSpec(path="d.csv", columns=(("Age", ColumnSpec(min=0)),))
    results = reasons(run([tmp_path / "d.csv"], spec, tmp_path))
    assert results[("Age", "exists")] == (
        "fail: column 'Age' not found in d.csv (columns: id, age, name, score, flag); "
        "did you mean 'age'?"
    )
    assert ("Age", "min") not in results


def test_a_column_full_of_nulls(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("id,empty\n1,\n2,NA\n3,\n")
    spec = DatasetSpec(
        path="d.csv", columns=(("empty", ColumnSpec(type="float", nulls=0, min=0, unique=True)),)
    )
    results = reasons(run([tmp_path / "d.csv"], spec, tmp_path))
    assert results[("empty", "nulls")] == "fail: 3 of 3 rows are null, max 0"
    assert results[("empty", "type")] == "pass: no non-null values to check"
    assert results[("empty", "min")] == "pass: no non-null values to check"
    assert results[("empty", "unique")] == "pass: all 0 non-null values unique"


def _rows(count: int) -> str:
    return "a,b,c\n" + "".join(f"{i},x{i},{i * 0.5}\n" for i in range(count))


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        pytest.param(
            _rows(3000) + "3000,x",
            "malformed or truncated (line 3002): 2 fields where the header has 3",
            id="truncated",
        ),
        pytest.param(
            _rows(3000) + '3000,"x',
            "malformed or truncated (line 3002): a quoted value is never closed",
            id="open-quote",
        ),
        pytest.param(
            _rows(10).encode() + b"10,caf\xe9,1\n",
            "not valid UTF-8 (line 12); save it as UTF-8",
            id="latin-1",
        ),
        pytest.param(b"", "the file is empty", id="empty"),
        pytest.param(
            b"a,b\n1,2\n3", "not a readable CSV file (malformed or truncated)", id="short-truncated"
        ),
    ],
)
def test_bad_csv_files_fail_readable_and_name_the_file(
    tmp_path: Path, content: str | bytes, reason: str
) -> None:
    path = tmp_path / "data" / "bad.csv"
    path.parent.mkdir()
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    results = check_dataset(
        [path], DatasetSpec(path="data/bad.csv"), root=tmp_path, settings=SETTINGS
    )
    assert results == (
        CheckResult(
            "data/bad.csv", None, "readable", "fail", f"cannot read data/bad.csv: {reason}"
        ),
    )


def test_bad_parquet_and_json_files(tmp_path: Path) -> None:
    pq.write_table(_frame(), tmp_path / "ok.parquet")
    whole = (tmp_path / "ok.parquet").read_bytes()
    (tmp_path / "cut.parquet").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "cut.jsonl").write_text('{"a": 1}\n{"a": ')
    (tmp_path / "noise.csv").write_bytes(bytes(range(256)) * 4)
    found = {
        name: check_dataset([tmp_path / name], DatasetSpec(path=name), settings=SETTINGS)
        for name in ("cut.parquet", "cut.jsonl", "noise.csv")
    }
    assert found["cut.parquet"][0].reason.endswith("cut.parquet: not a Parquet file, or truncated")
    assert found["cut.jsonl"][0].reason.endswith(
        "cut.jsonl: malformed JSON: unexpected end of data"
    )
    assert found["noise.csv"][0].check == "readable"
    assert all(r.outcome == "fail" for results in found.values() for r in results)


def test_one_bad_file_among_several_leaves_the_others_checked(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("id\n1\n2\n")
    (tmp_path / "b.csv").write_text("id\n3\n")
    (tmp_path / "c.csv").write_bytes(b"id\n" + b"4\n" * 3000 + b"caf\xe9\n")
    spec = DatasetSpec(path="*.csv", columns=(("id", ColumnSpec(type="int", max=3)),))
    results = reasons(run(resolve_files(tmp_path, "*.csv"), spec, tmp_path))
    assert results[(None, "readable")] == (
        "fail: cannot read c.csv: not valid UTF-8 (line 3002); save it as UTF-8"
    )
    assert results[("id", "max")] == "pass: largest 3 ≤ max 3"


def test_an_invalid_regex_fails_its_check_only(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text(CLEAN)
    spec = DatasetSpec(path="d.csv", columns=(("name", ColumnSpec(regex="(?=a)", nulls=0)),))
    results = run([tmp_path / "d.csv"], spec, tmp_path)
    assert results[("name", "regex")].outcome == "fail"
    assert results[("name", "regex")].reason.startswith("invalid regex '(?=a)': ")
    assert results[("name", "nulls")].outcome == "pass"


def test_min_max_on_a_non_numeric_column(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text(CLEAN)
    spec = DatasetSpec(path="d.csv", columns=(("name", ColumnSpec(type="string", min=0)),))
    results = reasons(run([tmp_path / "d.csv"], spec, tmp_path))
    assert results[("name", "min")] == "fail: min/max need numbers; the column is declared string"


def test_results_are_plain_json(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text(CLEAN)
    spec = DatasetSpec(
        path="d.csv",
        columns={"age": ColumnSpec(max=40)},  # type: ignore[arg-type]
    )
    results = check_dataset([tmp_path / "d.csv"], spec, settings=SETTINGS)
    assert spec.columns == (("age", ColumnSpec(max=40)),)
    text = json.dumps([dataclasses.asdict(r) for r in results])
    assert json.loads(text)[-1]["examples"] == ["63", "52", "41"]


def test_many_failing_values_keep_five_examples(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("v\n" + "".join(f"{-i}\n" for i in range(1, 200)))
    spec = DatasetSpec(path="d.csv", columns=(("v", ColumnSpec(type="int", min=0)),))
    result = run([tmp_path / "d.csv"], spec, tmp_path)[("v", "min")]
    assert result.failed_rows == 199
    assert result.examples == ("-199", "-198", "-197", "-196", "-195")
    assert result.reason == "199 of 199 rows below min 0: -199, -198, -197, -196, -195"


def test_datetime_and_json_strings(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("when\n2024-01-02\n2024-01-03 04:05:06\nyesterday\n")
    (tmp_path / "d.jsonl").write_text('{"n": "12"}\n{"n": "x"}\n{"n": "7"}\n')
    when = run(
        [tmp_path / "d.csv"],
        DatasetSpec(path="d.csv", columns=(("when", ColumnSpec(type="datetime")),)),
        tmp_path,
    )
    assert when[("when", "type")].reason == "1 of 3 rows are not datetime: 'yesterday'"
    numbers = run(
        [tmp_path / "d.jsonl"],
        DatasetSpec(path="d.jsonl", columns=(("n", ColumnSpec(type="int", max=10)),)),
        tmp_path,
    )
    assert numbers[("n", "type")].reason == "1 of 3 rows are not int: 'x'"
    assert numbers[("n", "max")].reason == "1 of 3 rows above max 10: 12"


def test_datasets_checked_in_one_connection_do_not_see_each_other(tmp_path: Path) -> None:
    # mlci check runs every dataset's checks in one DuckDB connection: each must come out
    # as it does in a connection of its own, whatever ran before it.
    from mlci.checks.sources import connect

    (tmp_path / "a.csv").write_text(CLEAN)
    (tmp_path / "b.csv").write_text("id,age\n1,x\n1,7\n")
    spec_a = DatasetSpec(
        path="a.csv", columns=(("id", ColumnSpec(type="int", unique=True)),), rows_min=4
    )
    spec_b = DatasetSpec(
        path="b.csv", columns=(("id", ColumnSpec(unique=True)), ("age", ColumnSpec(type="int")))
    )
    alone = [
        check_dataset([tmp_path / "a.csv"], spec_a, root=tmp_path, settings=SETTINGS),
        check_dataset([tmp_path / "b.csv"], spec_b, root=tmp_path, settings=SETTINGS),
    ]
    with connect(SETTINGS) as con:
        shared = [
            check_dataset([tmp_path / "a.csv"], spec_a, root=tmp_path, connection=con),
            check_dataset([tmp_path / "b.csv"], spec_b, root=tmp_path, connection=con),
            check_dataset([tmp_path / "a.csv"], spec_a, root=tmp_path, connection=con),
        ]
    assert shared == [*alone, alone[0]]
    assert any(r.outcome == "fail" for r in alone[1])  # b's duplicate id and 'x'
    assert all(r.outcome == "pass" for r in alone[0])


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_key_holding_a_unique_column_and_a_key_that_must_be_counted(
    tmp_path: Path, suffix: str
) -> None:
    # (id, tag) holds id, whose values are unique: it is unique without a count of its
    # own. (group, tag) holds group, which repeats: it must be counted, and fails or
    # passes on its own rows; (group, id) holds both and is unique. Nulls in a key's
    # other part leave the row out of that key.
    table = pa.table(
        {
            "id": [1, 2, 3, 4, 5, 6],
            "group": [1, 1, 2, 2, 3, 3],
            "tag": ["a", "b", "a", "a", None, "x"],
            "code": ["p", "q", "p", "q", "p", "q"],
        }
    )
    path = tmp_path / f"d{suffix}"
    if suffix == ".csv":
        pcsv.write_csv(table, path)
    else:
        pq.write_table(table, path)
    spec = DatasetSpec(
        path=path.name,
        columns=(("id", ColumnSpec(unique=True)), ("group", ColumnSpec(unique=True))),
        unique=(("id", "tag"), ("group", "tag"), ("group", "code"), ("group", "id")),
    )
    found = reasons(run([path], spec, tmp_path))
    assert found[("id", "unique")] == "pass: all 6 non-null values unique"
    assert found[("group", "unique")].startswith("fail: 6 of 6 rows share 3 duplicated values")
    assert found[("id, tag", "unique")] == "pass: all 5 non-null keys unique"
    assert found[("group, tag", "unique")].startswith("fail: 2 of 6 rows share 1 duplicated key")
    assert found[("group, code", "unique")] == "pass: all 6 non-null keys unique"
    assert found[("group, id", "unique")] == "pass: all 6 non-null keys unique"


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_rules_on_nested_columns_are_judged_like_any_other(tmp_path: Path, suffix: str) -> None:
    # Parquet and JSON columns may hold structs, lists or maps (dicts and lists in
    # Python): every rule gives a result, failing values shown as text, never a crash.
    rows = [{"s": {"a": a}, "l": [a, 1]} for a in (1, 2, 1, 3)]
    path = tmp_path / f"d{suffix}"
    if suffix == ".parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
    else:
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    rules = ColumnSpec(nulls=0, allowed=(1, 2), regex=".*", unique=True)
    spec = DatasetSpec(path=path.name, columns=(("s", rules), ("l", rules)))
    found = run([path], spec, tmp_path)
    assert found[(None, "readable")].outcome == "pass"
    for column, shown in (
        ("s", ("{'a': 1}", "{'a': 2}", "{'a': 3}")),
        ("l", ("[1, 1]", "[2, 1]", "[3, 1]")),
    ):
        allowed = found[(column, "allowed")]
        assert (allowed.outcome, allowed.failed_rows, allowed.examples) == ("fail", 4, shown)
        assert found[(column, "nulls")].outcome == "pass"
        assert found[(column, "regex")].outcome == "pass"
        assert found[(column, "unique")].reason.startswith("2 of 4 rows share 1 duplicated value")


def test_names_that_differ_only_by_case_are_one_column_as_duckdb_reads_them(
    tmp_path: Path,
) -> None:
    # DuckDB matches column names ignoring case: a file's "ID" and another's "id" are
    # read as one column. The checks say the same as when both files spell it alike:
    # no file "lacks" it, and its type is judged from every file's values.
    spec = DatasetSpec(
        path="*.csv",
        columns=(("id", ColumnSpec(type="int", unique=True)), ("score", ColumnSpec(max=6))),
    )
    outcomes = []
    for second in ("id,score", "ID,Score"):
        folder = tmp_path / second.replace(",", "-")
        folder.mkdir()
        (folder / "a.csv").write_text("id,score\n1,5\n2,6\n")
        (folder / "b.csv").write_text(f"{second}\n3,7\n4,x\n")
        outcomes.append(reasons(run(resolve_files(folder, "*.csv"), spec, folder)))
    assert outcomes[1] == outcomes[0]
    assert ("id", "exists") not in outcomes[0]


def test_a_csv_header_cell_spelled_like_a_missing_value_names_its_column(
    tmp_path: Path,
) -> None:
    # Cells such as NA, null or None are missing values, but in the header they are
    # names (as pandas reads them): the checks on a column called "NA" say the same as
    # on one called "na_rate". Its cells reading NA stay missing values.
    outcomes = []
    for name in ("NA", "na_rate"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "a.csv").write_text(f"id,{name},None\n1,0.5,x\n2,NA,y\n")
        (folder / "b.csv").write_text(f"None,{name},id\nz,0.7,3\n")
        (folder / "c.csv").write_text("id\n4\n")
        spec = DatasetSpec(
            path="*.csv",
            columns=(
                (name, ColumnSpec(type="float", nulls=0, max=0.6)),
                ("None", ColumnSpec(allowed=("x", "y"))),
                ("id", ColumnSpec(type="int", unique=True)),
            ),
        )
        found = reasons(run(resolve_files(folder, "*.csv"), spec, folder))
        outcomes.append(
            {
                ("<name>" if column == name else column, check): text.replace(name, "<name>")
                for (column, check), text in found.items()
            }
        )
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][("<name>", "nulls")] == "fail: 2 of 4 rows are null, max 0"
    assert outcomes[0][("None", "allowed")] == "fail: 1 of 4 rows not in allowed values: 'z'"
    assert outcomes[0][(None, "readable")] == "pass: read 4 rows from 3 files, 3 columns"


def test_nan_in_a_parquet_float_column_is_null_for_every_rule(tmp_path: Path) -> None:
    # NaN counts as null, as in pandas: the rules on values leave it out, as they
    # leave out a null. (DuckDB's nullif(x, NaN) misses the NaN of a Parquet scan.)
    outcomes = []
    for missing in (float("nan"), None):
        path = tmp_path / f"{missing}.parquet"
        pq.write_table(pa.table({"f": pa.array([missing, 1.0, missing, 0.5], pa.float64())}), path)
        rules = ColumnSpec(nulls=2, max=1, allowed=(1, 0.5), regex="[0-9.]+", unique=True)
        spec = DatasetSpec(path=path.name, columns=(("f", rules),), unique=(("f", "f"),))
        outcomes.append(reasons(run([path], spec, tmp_path)))
    assert outcomes[0] == outcomes[1]
    assert {text.split(":")[0] for text in outcomes[0].values()} == {"pass"}


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
@pytest.mark.parametrize("name", ["a[1]", "a*", "a?", "[ab]/a"])
def test_a_file_named_like_a_glob_is_read_alone(tmp_path: Path, suffix: str, name: str) -> None:
    # DuckDB reads a path with * ? [ as a glob: the pull request's "a[1].csv" would be
    # read as its neighbour "a1.csv", its "a*.csv" as every a-file. Each file is read
    # as itself.
    for stem, value in ((name, 1), ("a1", 2), ("ab", 3), ("a/a", 4), ("b/a", 5)):
        path = tmp_path / f"{stem}{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        table = pa.table({"x": [value]})
        if suffix == ".csv":
            pcsv.write_csv(table, path)
        elif suffix == ".parquet":
            pq.write_table(table, path)
        else:
            path.write_text(json.dumps({"x": value}) + "\n")
    spec = DatasetSpec(path=f"{name}{suffix}", columns=(("x", ColumnSpec(max=1)),))
    found = reasons(run([tmp_path / f"{name}{suffix}"], spec, tmp_path))
    assert found[(None, "readable")] == "pass: read 1 row from 1 file, 1 columns"
    assert found[("x", "max")] == "pass: largest 1 ≤ max 1"
