"""Drift statistics against hand-computed values and scipy, outcomes and error handling."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from scipy import stats

from mlci.checks.drift import DriftSpec, compute_drift
from mlci.checks.sources import EngineSettings
from mlci.checks.statistics import PSI_EPSILON, bin_counts, psi, quantile_edges
from mlci.results import DriftResult

SETTINGS = EngineSettings(memory_limit="256MB", threads=1)


def write(path: Path, columns: dict[str, Sequence[object]]) -> Path:
    table = pa.table({name: pa.array(values) for name, values in columns.items()})
    if path.suffix == ".csv":
        pcsv.write_csv(table, path)
    else:
        pq.write_table(table, path)
    return path


def drift(
    tmp_path: Path,
    base: dict[str, Sequence[object]],
    head: dict[str, Sequence[object]],
    spec: DriftSpec | None = None,
    suffix: str = ".parquet",
) -> DriftResult:
    b = write(tmp_path / f"base{suffix}", base)
    h = write(tmp_path / f"head{suffix}", head)
    return compute_drift("data", [b], [h], spec or DriftSpec(), settings=SETTINGS)


def test_psi_of_a_hand_computed_numeric_case(tmp_path: Path) -> None:
    # Base 0..99 with bins=4: edges at its quartiles 24.75, 49.5, 74.25 (numpy's
    # linear interpolation); 25 base values in each bin -> shares .25 .25 .25 .25.
    # Head 50..149: bins hold 0, 0, 25 (50..74), 75 (75..149) -> 0, 0, .25, .75;
    # the empty bins get PSI_EPSILON = 1e-4.
    #   PSI = 2 * (1e-4 - .25) * ln(1e-4 / .25)      (two empty bins)
    #       + (.25 - .25) * ln(1)                      (third bin)
    #       + (.75 - .25) * ln(.75 / .25)              (fourth bin)
    #       = 2 * 1.9552291 + 0 + 0.5493061 = 4.4597643
    expected = 2 * (1e-4 - 0.25) * math.log(1e-4 / 0.25) + 0.5 * math.log(3)
    assert expected == pytest.approx(4.4597643, abs=1e-7)
    assert quantile_edges(list(range(100)), 4) == (24.75, 49.5, 74.25)
    assert psi([25, 25, 25, 25], [0, 0, 25, 75]) == pytest.approx(expected, rel=1e-12)

    result = drift(
        tmp_path,
        {"x": [float(v) for v in range(100)]},
        {"x": [float(v) for v in range(50, 150)]},
        DriftSpec(bins=4),
    )
    (column,) = result.columns
    assert column.psi == pytest.approx(expected, rel=1e-12)
    assert column.outcome == "fail"
    assert column.reason == "PSI 4.46 > 0.25: significant shift (mean 49.5 → 99.5)"
    assert PSI_EPSILON == 1e-4


def test_psi_of_a_hand_computed_categorical_case(tmp_path: Path) -> None:
    # Base a 50%, b 50%; head a 30%, b 70%:
    #   PSI = (.3 - .5) * ln(.3 / .5) + (.7 - .5) * ln(.7 / .5)
    #       = 0.1021651 + 0.0672944 = 0.1694595  -> between 0.1 and 0.25: warn
    result = drift(tmp_path, {"c": ["a"] * 50 + ["b"] * 50}, {"c": ["a"] * 30 + ["b"] * 70})
    (column,) = result.columns
    assert column.kind == "categorical"
    assert column.psi == pytest.approx(0.1694595, abs=1e-7)
    assert column.outcome == "warn"
    assert column.reason == "PSI 0.169 ≥ 0.1: moderate shift (most changed: 'a' 50.0% → 30.0%)"
    assert result.outcome == "warn"
    assert result.reason == "no column drifted; 1 of 1 shifted moderately: c"


def test_numeric_bins_match_numpy(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    base = rng.lognormal(size=3000)
    head = rng.lognormal(0.2, size=3000)
    edges = quantile_edges(base.tolist(), 10)
    expected = psi(bin_counts(base.tolist(), edges), bin_counts(head.tolist(), edges))
    (column,) = drift(tmp_path, {"x": base.tolist()}, {"x": head.tolist()}).columns
    assert column.psi == pytest.approx(expected, rel=1e-12)


def test_equal_quantile_edges_are_merged() -> None:
    values = [0.0] * 50 + [1.0] * 50
    assert quantile_edges(values, 10) == (0.0, 0.5, 1.0)
    assert bin_counts(values, (0.0, 0.5, 1.0)) == [0, 50, 0, 50]


def test_ks_and_wasserstein_equal_scipy_on_the_same_values(tmp_path: Path) -> None:
    # 2000 rows per side, fewer than the 5000-row sample: the sample is every row,
    # so the statistics must equal scipy's on the full columns (to float rounding).
    rng = np.random.default_rng(11)
    base, head = rng.normal(0, 2, 2000), rng.normal(0.3, 2, 2000)
    result = drift(
        tmp_path, {"x": base.tolist()}, {"x": head.tolist()}, DriftSpec(numeric_method="ks")
    )
    (column,) = result.columns
    expected = stats.ks_2samp(base, head)
    assert column.ks_statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert column.ks_pvalue == pytest.approx(expected.pvalue, rel=1e-9)
    assert column.wasserstein == pytest.approx(
        stats.wasserstein_distance(base, head) / np.std(base), rel=1e-9
    )
    assert column.method == "ks"
    assert column.value == column.ks_pvalue
    assert column.outcome == "fail"
    assert column.reason.startswith(f"KS p-value {column.ks_pvalue:.3g} ≤ 0.05 (statistic ")


def test_sampled_statistics_are_reproducible_and_close_to_the_full_data(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    base, head = rng.normal(0, 1, 20_000), rng.normal(0.2, 1, 20_000)
    spec = DriftSpec(numeric_method="wasserstein", sample=2000)
    first = drift(tmp_path, {"x": base.tolist()}, {"x": head.tolist()}, spec)
    again = compute_drift(
        "data",
        [tmp_path / "base.parquet"],
        [tmp_path / "head.parquet"],
        spec,
        settings=EngineSettings(threads=2),
    )
    assert first == again  # same sample whatever the thread count
    (column,) = first.columns
    # 2000 of 20000 rows: the KS statistic is within 0.05 of the full data's and
    # the normalised Wasserstein within 0.05 of it (sampling error ~ 1/sqrt(2000)).
    assert column.ks_statistic == pytest.approx(stats.ks_2samp(base, head).statistic, abs=0.05)
    full = stats.wasserstein_distance(base, head) / np.std(base)
    assert column.wasserstein == pytest.approx(full, abs=0.05)
    assert column.outcome == "fail"  # shifted by 0.2 std >= 0.1
    assert column.reason.startswith("Wasserstein ")


def test_chi_square_equals_scipy(tmp_path: Path) -> None:
    base = ["a"] * 40 + ["b"] * 35 + ["c"] * 25
    head = ["a"] * 30 + ["b"] * 30 + ["c"] * 35 + ["d"] * 5
    result = drift(tmp_path, {"c": base}, {"c": head}, DriftSpec(categorical_method="chi2"))
    (column,) = result.columns
    table = np.array([[40, 35, 25, 0], [30, 30, 35, 5]])
    assert column.chi2_pvalue == pytest.approx(stats.chi2_contingency(table).pvalue, rel=1e-9)
    assert column.method == "chi2"
    assert column.chi2_pvalue is not None
    assert column.outcome == ("fail" if column.chi2_pvalue <= 0.05 else "pass")


def test_identical_data_is_stable(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    columns = {
        "x": rng.normal(size=1000).tolist(),
        "n": rng.integers(0, 5, 1000).tolist(),
        "c": rng.choice(["a", "b", "c"], 1000).tolist(),
    }
    result = drift(tmp_path, columns, columns)
    assert [(c.column, c.kind, c.psi, c.outcome) for c in result.columns] == [
        ("x", "numeric", 0.0, "pass"),
        ("n", "numeric", 0.0, "pass"),
        ("c", "categorical", 0.0, "pass"),
    ]
    x = result.columns[0]
    assert (x.ks_statistic, x.ks_pvalue, x.wasserstein) == (0.0, 1.0, 0.0)
    assert result.columns[2].chi2_pvalue == pytest.approx(1.0)
    assert (result.outcome, result.drifted_share, result.reason, result.errors) == (
        "pass",
        0.0,
        "no column drifted (3 compared)",
        (),
    )


def test_dataset_drifts_when_half_the_columns_drift(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    base = {"a": rng.normal(size=2000).tolist(), "b": rng.normal(size=2000).tolist()}
    head = {"a": rng.normal(2, 1, 2000).tolist(), "b": rng.normal(size=2000).tolist()}
    result = drift(tmp_path, base, head)
    assert result.outcome == "fail"
    assert result.drifted_share == 0.5
    assert result.reason == "1 of 2 columns drifted (50%), at least 50%: a"

    three = drift(tmp_path, {**base, "c": base["b"]}, {**head, "c": base["b"]})
    assert three.outcome == "warn"
    assert three.reason == "1 of 3 columns drifted (33%), below 50%: a"


def test_csv_files_and_column_selection(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    base = {"x": rng.normal(size=500).tolist(), "c": rng.choice(["u", "v"], 500).tolist()}
    head = {"x": rng.normal(size=500).tolist(), "c": ["u"] * 500}
    result = drift(tmp_path, base, head, DriftSpec(columns=("c",)), suffix=".csv")
    assert [(c.column, c.kind, c.outcome) for c in result.columns] == [("c", "categorical", "fail")]


def test_missing_and_new_columns_are_errors(tmp_path: Path) -> None:
    result = drift(tmp_path, {"a": [1.0, 2.0], "gone": [1, 2]}, {"a": [1.0, 2.0], "new": [3, 4]})
    assert result.errors == ("column 'gone' is at base but missing at head",)
    assert result.outcome == "warn"
    explicit = drift(
        tmp_path,
        {"a": [1.0, 2.0]},
        {"a": [1.0, 2.0], "new": [3, 4]},
        DriftSpec(columns=("a", "new", "nowhere")),
    )
    assert explicit.errors == (
        "column 'new' is new at head: nothing to compare",
        "column 'nowhere' not found at base or head",
    )
    assert [c.column for c in explicit.columns] == ["a"]


def test_no_base_and_unreadable_files(tmp_path: Path) -> None:
    head = write(tmp_path / "head.parquet", {"a": [1.0]})
    new = compute_drift("data", [], [head], DriftSpec(), settings=SETTINGS)
    assert (new.outcome, new.reason) == ("pass", "new at head: no base version to compare")

    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"a\n" + b"1\n" * 3000 + b"\xe9\n")
    broken = compute_drift(
        "data", [head], [bad], DriftSpec(), head_root=tmp_path, settings=SETTINGS
    )
    assert broken.outcome == "warn"
    assert broken.errors == (
        "cannot read bad.csv at head: not valid UTF-8 (line 3002); save it as UTF-8",
    )


def test_nulls_are_left_out_and_an_all_null_column_is_an_error(tmp_path: Path) -> None:
    result = drift(
        tmp_path,
        {"x": [1.0, 2.0, None, 3.0], "e": [1.0, None, 2.0, 3.0]},
        {"x": [1.0, None, 2.0, 3.0], "e": pa.nulls(4, pa.float64())},
    )
    assert [(c.column, c.psi) for c in result.columns] == [("x", 0.0)]
    assert result.errors == ("column 'e' has no values at head",)


def test_results_are_plain_json(tmp_path: Path) -> None:
    result = drift(tmp_path, {"x": [1.0, 2.0], "c": ["a", "b"]}, {"x": [2.0, 3.0], "c": ["a", "a"]})
    text = json.dumps(dataclasses.asdict(result))
    assert json.loads(text)["columns"][0]["column"] == "x"


def test_many_categories_are_compared_by_hash_bucket(tmp_path: Path) -> None:
    ids = [f"user-{i}" for i in range(1000)]
    result = drift(tmp_path, {"user": ids}, {"user": ids[::-1]})
    (column,) = result.columns
    assert (column.kind, column.psi, column.outcome) == ("categorical", 0.0, "pass")
    assert column.reason == (
        "PSI 0 < 0.1: stable (over 100 values in the base sample: compared in 64 hash buckets)"
    )
    other = drift(tmp_path, {"user": ids}, {"user": [f"other-{i}" for i in range(1000)]})
    assert other.columns[0].psi is not None and other.columns[0].psi > 0


def test_the_hash_bound_on_candidates_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 5000 rows, samples of 50: only rows under a hash bound (about 20 x 50 of them)
    # are candidates. The sample must be the one drawn from every row; and when the
    # row estimate is far too high (too few candidates) it is drawn again from all.
    import mlci.checks.drift as module
    import mlci.checks.sources as io_module

    rng = np.random.default_rng(9)
    base = {"x": rng.normal(size=5000).tolist(), "c": rng.choice(["a", "b"], 5000).tolist()}
    head = {"x": rng.normal(0.1, 1, 5000).tolist(), "c": rng.choice(["a", "b"], 5000).tolist()}
    spec = DriftSpec(sample=50, numeric_method="ks")
    bounded = drift(tmp_path, base, head, spec)
    with monkeypatch.context() as patch:
        patch.setattr(module, "_threshold", lambda con, source, sample: None)
        everything = drift(tmp_path, base, head, spec)
    with monkeypatch.context() as patch:
        patch.setattr(io_module.Source, "estimate_rows", lambda self, con: 10**9)
        redrawn = drift(tmp_path, base, head, spec)
    assert bounded == everything == redrawn
    assert bounded.columns[0].ks_statistic is not None


@pytest.mark.parametrize("suffix", [".jsonl", ".tsv"])
def test_json_lines_and_tsv(tmp_path: Path, suffix: str) -> None:
    rng = np.random.default_rng(6)
    for name, shift in (("base", 0.0), ("head", 1.0)):
        values = rng.normal(shift, 1, 300)
        path = tmp_path / f"{name}{suffix}"
        if suffix == ".jsonl":
            path.write_text("".join(json.dumps({"x": float(v)}) + "\n" for v in values))
        else:
            path.write_text("x\tc\n" + "".join(f"{v}\tk\n" for v in values))
    result = compute_drift(
        "data",
        [tmp_path / f"base{suffix}"],
        [tmp_path / f"head{suffix}"],
        DriftSpec(),
        settings=SETTINGS,
    )
    assert result.columns[0].column == "x"
    assert result.columns[0].kind == "numeric"
    assert result.columns[0].outcome == "fail"


@pytest.mark.parametrize("extra", ["y", "file_row_number"])
def test_row_numbers_are_unique_across_files_and_formats_and_thread_counts(
    tmp_path: Path, extra: str
) -> None:
    # The sample is drawn by hash(row number): a number two rows share would make them
    # one candidate. Parquet numbers its own rows (in parallel); CSV files are counted
    # (here 40 files, one lacking a column); a Parquet column named like DuckDB's row
    # number must not be taken for it.
    from mlci.checks import sources

    files = [
        write(tmp_path / "a.parquet", {"x": list(range(300)), extra: [1] * 300}),
        write(tmp_path / "b.parquet", {"x": list(range(200)), extra: [2] * 200}),
    ]
    for part in range(40):
        columns: dict[str, Sequence[object]] = {"x": list(range(part, part + 25))}
        if part != 7:
            columns[extra] = [3] * 25
        files.append(write(tmp_path / f"part-{part:02d}.csv", columns))
    numbers = []
    for threads in (1, 2):
        with sources.connect(EngineSettings(memory_limit="256MB", threads=threads)) as con:
            source = sources.open_source(con, files, None, str)
            rows = con.execute(
                f"SELECT _row, x, {sources.ident(extra)} FROM {source.relation_with_ids()}"
            ).fetchall()
        assert len(rows) == 1500
        assert len({row[0] for row in rows}) == 1500
        # the file's own column, and NULL where a file lacks it
        assert {None if row[2] is None else str(row[2]) for row in rows} == {"1", "2", "3", None}
        assert sum(row[2] is None for row in rows) == 25
        numbers.append(sorted(rows, key=lambda row: row[0]))
    assert numbers[0] == numbers[1]


def test_an_interrupted_base_pass_stops_the_heads_pass_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C during the base's counts: the head's pass on its cursor is interrupted
    and joined before the connection closes, and the interrupt is what surfaces (not
    DuckDB's "connection in use")."""
    import duckdb

    from mlci.checks import drift as module

    interrupted = []

    def heads_pass(cursor: duckdb.DuckDBPyConnection, *_args: object) -> object:
        try:
            return cursor.execute("SELECT sum(range) FROM range(100000000000)").fetchall()
        except duckdb.InterruptException:  # else it takes a minute and more
            interrupted.append(True)
            raise

    def base_counts(*_args: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(module, "_sample_and_counts", heads_pass)
    monkeypatch.setattr(module, "_counts", base_counts)
    with pytest.raises(KeyboardInterrupt):
        drift(tmp_path, {"x": [1.0, 2.0, 3.0] * 20}, {"x": [2.0, 3.0, 4.0] * 20})
    assert interrupted == [True]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_the_datas_column_names_never_meet_mlcis_own(tmp_path: Path, suffix: str) -> None:
    """A pull request names its columns: one called like a name mlci gives its own
    values in SQL (the row number, the sample's values, their hashes, DuckDB's row
    number columns) is compared like any other column, with the same outcome."""
    own = ["v0", "v1", "b1", "_row", "_ROW_1", "_h", "ordinality", "file_row_number"]
    rng = np.random.default_rng(3)
    sides: dict[str, list[list[object]]] = {}
    for side, shift in (("base", 0.0), ("head", 0.3)):
        sides[side] = [
            [f"c{v}" for v in rng.integers(0, 150 if k == 1 else 5, 400)]
            if k % 2
            else list(rng.normal(shift * k, 1, 400))
            for k in range(len(own))
        ]
    outcomes = []
    for names in (own, [f"col{k}" for k in range(len(own))]):
        folder = tmp_path / names[0]
        folder.mkdir()
        paths = [
            write(folder / f"{side}{suffix}", dict(zip(names, sides[side], strict=True)))
            for side in ("base", "head")
        ]
        result = compute_drift("data", paths[:1], paths[1:], DriftSpec(), settings=SETTINGS)
        assert [c.column for c in result.columns] == names
        outcomes.append(
            [(c.kind, c.outcome, c.psi, c.ks_statistic, c.chi2_pvalue) for c in result.columns]
        )
    assert outcomes[0] == outcomes[1]
    assert {kind for kind, *_rest in outcomes[0]} == {"numeric", "categorical"}
    assert {outcome for _kind, outcome, *_rest in outcomes[0]} >= {"pass", "fail"}


def test_names_that_differ_only_by_case_are_one_column_as_duckdb_reads_them(
    tmp_path: Path,
) -> None:
    # DuckDB reads a file's "X" and another's "x" as one column: its kind (numeric or
    # categorical) comes from every file's values, as when both files spell it alike.
    outcomes = []
    for second in ("x", "X"):
        sides = []
        for side, values in (("base", ["a", "b", "c"]), ("head", ["a", "c", "c"])):
            folder = tmp_path / second / side
            folder.mkdir(parents=True)
            first = write(folder / "a.csv", {"x": [1, 2, 3] * 20})
            sides.append([first, write(folder / "b.csv", {second: values * 20})])
        result = compute_drift("data", sides[0], sides[1], DriftSpec(), settings=SETTINGS)
        outcomes.append([(c.kind, c.outcome, c.psi, c.chi2_pvalue) for c in result.columns])
    assert outcomes[1] == outcomes[0]
    assert outcomes[0][0][0] == "categorical"


def test_a_csv_header_cell_spelled_like_a_missing_value_is_compared(tmp_path: Path) -> None:
    # A column called "null" (a missing value in a cell, a name in the header) is
    # compared like one called "nullish", also beside files whose header is plain.
    rng = np.random.default_rng(5)
    values = {side: list(rng.normal(shift, 1, 300)) for side, shift in (("base", 0), ("head", 1))}
    outcomes = []
    for name in ("null", "nullish"):
        sides = []
        for side in ("base", "head"):
            folder = tmp_path / name / side
            folder.mkdir(parents=True)
            sides.append(
                [
                    write(folder / "a.csv", {name: values[side][:150], "x": [1.0] * 150}),
                    write(folder / "b.csv", {"x": [2.0] * 150, name: values[side][150:]}),
                    write(folder / "c.csv", {"x": [3.0] * 10}),
                ]
            )
        result = compute_drift("data", sides[0], sides[1], DriftSpec(), settings=SETTINGS)
        assert result.errors == ()
        assert [c.column for c in result.columns] == [name, "x"]
        outcomes.append([(c.kind, c.outcome, c.psi, c.ks_statistic) for c in result.columns])
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0][:2] == ("numeric", "fail")
