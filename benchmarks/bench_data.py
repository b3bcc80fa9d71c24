"""Time mlci's data checks + drift against pandas + pandera doing the same, in one run.

    python benchmarks/bench_data.py [--rows N] [--formats parquet,csv] [--workdir DIR]

Generates a dataset of N rows (default 10 million) and 10 columns — 6 numeric
(id, age, income, score, balance, clicks) and 4 categorical (country, segment,
device, ref) — as a base and a head version, each as Parquet and CSV. The head
shifts ``score``, ``clicks`` and ``country`` and breaks two rules (3 ages of -1,
2 countries 'XX'). Then, per format, each side runs in its own subprocess:

- mlci: ``check_dataset`` on the head (types, nulls, null fraction, min/max,
  allowed values, regex, unique id, unique (id, country), row count) and
  ``compute_drift`` base -> head (PSI, KS, Wasserstein, chi-square, every column);
- pandas: ``read_parquet``/``read_csv`` the head, validate it with a pandera
  ``DataFrameSchema`` holding the same checks (lazy, so every failure is
  collected), read the base, then drift the straightforward way: PSI on base
  decile bins, ``scipy.stats.ks_2samp`` and ``wasserstein_distance`` on the full
  columns, ``chi2_contingency`` on the full category counts.

Wall time and peak RSS (``ru_maxrss`` of that child, from ``os.wait4``) are
measured per subprocess. Goals: mlci / pandas wall time <= 0.5, mlci peak RSS < 1 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

COUNTRIES = tuple(f"C{i:02d}" for i in range(20))
SEGMENTS = ("A", "B", "C", "D", "E")
DEVICES = ("mobile", "desktop", "tablet")
REF_REGEX = r"R-[0-9]{6}"
NUMERIC = ("id", "age", "income", "score", "balance", "clicks")
CATEGORICAL = ("country", "segment", "device", "ref")


# --- data -------------------------------------------------------------------------


def _table(rows: int, seed: int, drifted: bool) -> Any:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, len(COUNTRIES) + 1)
    weights = (weights[::-1] if drifted else weights) / weights.sum()

    def categorical(codes: Any, values: tuple[str, ...]) -> Any:
        return pa.DictionaryArray.from_arrays(
            pa.array(codes.astype(np.int32)), pa.array(values)
        ).cast(pa.string())

    age = rng.integers(18, 91, rows)
    country = categorical(rng.choice(len(COUNTRIES), rows, p=weights), COUNTRIES)
    if drifted and rows > 10:  # rule breaks the checks must find
        age[[1, rows // 2, rows - 2]] = -1
        mask = np.zeros(rows, dtype=bool)
        mask[[3, rows - 4]] = True
        country = pc.if_else(pa.array(mask), pa.scalar("XX"), country)
    digits = pc.utf8_lpad(pa.array(rng.integers(0, 1_000_000, rows)).cast(pa.string()), 6, "0")
    return pa.table(
        {
            "id": pa.array(np.arange(rows, dtype=np.int64)),
            "age": pa.array(age),
            "income": pa.array(rng.lognormal(10, 0.5, rows), mask=rng.random(rows) < 0.01),
            "score": pa.array(rng.normal(0.5 if drifted else 0.0, 1.0, rows)),
            "balance": pa.array(rng.normal(1000, 300, rows), mask=rng.random(rows) < 0.02),
            "clicks": pa.array(rng.poisson(4 if drifted else 3, rows)),
            "country": country,
            "segment": categorical(rng.integers(0, len(SEGMENTS), rows), SEGMENTS),
            "device": categorical(rng.integers(0, len(DEVICES), rows), DEVICES),
            "ref": pc.binary_join_element_wise("R-", digits, ""),
        }
    )


def generate(rows: int, workdir: Path) -> None:
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    for name, seed, drifted in (("base", 1, False), ("head", 2, True)):
        table = _table(rows, seed, drifted)
        pq.write_table(table, workdir / f"{name}.parquet")
        pcsv.write_csv(table, workdir / f"{name}.csv")
        del table


# --- the two contestants (each runs in its own subprocess) ---------------------------


def run_mlci(workdir: Path, fmt: str) -> dict[str, Any]:
    from mlci.checks.data import ColumnSpec, DatasetSpec, check_dataset
    from mlci.checks.drift import DriftSpec, compute_drift

    spec = DatasetSpec(
        path=f"head.{fmt}",
        columns=(
            ("id", ColumnSpec(type="int", nulls=0, unique=True)),
            ("age", ColumnSpec(type="int", nulls=0, min=0, max=120)),
            ("income", ColumnSpec(type="float", null_fraction=0.02, min=0)),
            ("score", ColumnSpec(type="float", nulls=0)),
            ("balance", ColumnSpec(type="float", null_fraction=0.05)),
            ("clicks", ColumnSpec(type="int", nulls=0, min=0)),
            ("country", ColumnSpec(type="string", nulls=0, allowed=COUNTRIES)),
            ("segment", ColumnSpec(type="string", nulls=0, allowed=SEGMENTS)),
            ("device", ColumnSpec(type="string", nulls=0, allowed=DEVICES)),
            ("ref", ColumnSpec(type="string", nulls=0, regex=REF_REGEX)),
        ),
        unique=(("id", "country"),),
        rows_min=1000,
    )
    results = check_dataset([workdir / f"head.{fmt}"], spec)
    drift = compute_drift("data", [workdir / f"base.{fmt}"], [workdir / f"head.{fmt}"], DriftSpec())
    return {
        "failed": sorted(f"{r.column}:{r.check}" for r in results if r.outcome == "fail"),
        "drifted": sorted(c.column for c in drift.columns if c.outcome == "fail"),
        "psi": {c.column: round(c.psi or 0.0, 3) for c in drift.columns},
    }


def run_pandas(workdir: Path, fmt: str) -> dict[str, Any]:
    import numpy as np
    import pandas as pd
    import pandera.pandas as pa
    from scipy import stats

    def read(name: str) -> pd.DataFrame:
        path = workdir / f"{name}.{fmt}"
        return pd.read_parquet(path) if fmt == "parquet" else pd.read_csv(path)

    def null_share(limit: float) -> pa.Check:
        return pa.Check(lambda s: s.isna().mean() <= limit, ignore_na=False, name="null_fraction")

    schema = pa.DataFrameSchema(
        {
            "id": pa.Column(int, nullable=False, unique=True),
            "age": pa.Column(int, [pa.Check.ge(0), pa.Check.le(120)], nullable=False),
            "income": pa.Column(float, [pa.Check.ge(0), null_share(0.02)], nullable=True),
            "score": pa.Column(float, nullable=False),
            "balance": pa.Column(float, null_share(0.05), nullable=True),
            "clicks": pa.Column(int, pa.Check.ge(0), nullable=False),
            "country": pa.Column(str, pa.Check.isin(COUNTRIES), nullable=False),
            "segment": pa.Column(str, pa.Check.isin(SEGMENTS), nullable=False),
            "device": pa.Column(str, pa.Check.isin(DEVICES), nullable=False),
            "ref": pa.Column(str, pa.Check.str_matches(f"^{REF_REGEX}$"), nullable=False),
        },
        checks=pa.Check(lambda df: len(df) >= 1000, name="rows_min"),
        unique=["id", "country"],
    )
    head = read("head")
    failed: list[str] = []
    try:
        schema.validate(head, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        failed = sorted(
            {
                f"{c}:{str(k).split('(')[0]}"
                for c, k in zip(cases["column"], cases["check"], strict=True)
            }
        )
    base = read("base")

    def psi(b: np.ndarray, h: np.ndarray) -> float:
        b, h = b / b.sum(), h / h.sum()
        b, h = np.where(b == 0, 1e-4, b), np.where(h == 0, 1e-4, h)
        return float(np.sum((h - b) * np.log(h / b)))

    drifted, psis = [], {}
    for column in NUMERIC:
        b, h = base[column].dropna().to_numpy(float), head[column].dropna().to_numpy(float)
        edges = np.unique(np.quantile(b, np.arange(1, 10) / 10))
        bins = np.concatenate(([-np.inf], edges, [np.inf]))
        value = psi(np.histogram(b, bins)[0], np.histogram(h, bins)[0])
        stats.ks_2samp(b, h)
        stats.wasserstein_distance(b, h) / max(b.std(), 1e-3)
        psis[column] = round(value, 3)
        if value > 0.25:
            drifted.append(column)
    for column in CATEGORICAL:
        counts = pd.concat(
            [base[column].value_counts(), head[column].value_counts()], axis=1
        ).fillna(0)
        value = psi(counts.iloc[:, 0].to_numpy(), counts.iloc[:, 1].to_numpy())
        stats.chi2_contingency(counts.to_numpy().T)
        psis[column] = round(value, 3)
        if value > 0.25:
            drifted.append(column)
    return {"failed": failed, "drifted": sorted(drifted), "psi": psis}


# --- the harness ---------------------------------------------------------------------


def _peak_rss_mib() -> float | None:
    """This process's peak RSS since it started (VmHWM), in MiB; None off Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def measure(engine: str, fmt: str, workdir: Path) -> dict[str, Any]:
    """Run one contestant in a subprocess: wall time, peak RSS of that process, its result."""
    cmd = [sys.executable, __file__, "--run", engine, "--format", fmt, "--workdir", str(workdir)]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    row: dict[str, Any] = {
        "engine": engine,
        "format": fmt,
        "wall": wall,
        # ru_maxrss (kilobytes on Linux) also counts what the child inherited from the
        # harness at fork; the child's own VmHWM, when it reports one, does not.
        "rss_mib": usage.ru_maxrss / 1024,
    }
    if proc.returncode != 0:
        return {**row, "error": (stderr.strip().splitlines() or ["failed"])[-1]}
    result = json.loads(stdout.strip().splitlines()[-1])
    if result.get("hwm_mib"):
        row["rss_mib"] = result["hwm_mib"]
    return {**row, **result}


def report(rows: int, formats: list[str], workdir: Path) -> int:
    """Measure and print; the number of formats where a side failed (0: all measured)."""
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; {rows:,} rows x 10 columns"
    )
    sizes = {
        fmt: sum((workdir / f"{n}.{fmt}").stat().st_size for n in ("base", "head")) / 2**20
        for fmt in formats
    }
    print(
        "data: " + ", ".join(f"{fmt} {size:,.0f} MiB (base + head)" for fmt, size in sizes.items())
    )
    measured = []
    for fmt in formats:
        for engine in ("mlci", "pandas"):
            result = measure(engine, fmt, workdir)
            measured.append(result)
            print(
                f"  {engine} {fmt}: {result['wall']:.1f}s, {result['rss_mib']:,.0f} MiB", flush=True
            )
    print()
    print("| format | engine | wall s | peak RSS MiB | failed checks | drifted columns |")
    print("|---|---|--:|--:|---|---|")
    for r in measured:
        failed = ", ".join(r.get("failed", [])) or r.get("error", "")
        drifted = ", ".join(r.get("drifted", []))
        print(
            f"| {r['format']} | {r['engine']} | {r['wall']:.1f} | {r['rss_mib']:,.0f} "
            f"| {failed} | {drifted} |"
        )
    print()
    failures = 0
    for fmt in formats:
        mine = next(r for r in measured if r["engine"] == "mlci" and r["format"] == fmt)
        theirs = next(r for r in measured if r["engine"] == "pandas" and r["format"] == fmt)
        broken = [r for r in (mine, theirs) if r.get("error")]
        if broken:
            # A side that crashed did not do the work: a ratio against it means nothing.
            for r in broken:
                print(f"**{fmt}: {r['engine']} failed: {r['error']}** (no ratio)")
            failures += 1
            continue
        ratio = mine["wall"] / theirs["wall"]
        print(
            f"**{fmt}: mlci / pandas+pandera = {ratio:.2f}** (goal <= 0.5); "
            f"mlci peak RSS {mine['rss_mib']:,.0f} MiB (goal < 1024), "
            f"pandas {theirs['rss_mib']:,.0f} MiB"
        )
        if mine.get("psi") and theirs.get("psi"):
            # ref (a million possible values) is left out: pandas' PSI over every value
            # is dominated by values seen on one side only; mlci folds the tail into one bin.
            diff = max(abs(mine["psi"][c] - theirs["psi"][c]) for c in mine["psi"] if c != "ref")
            print(f"  largest PSI difference mlci vs pandas (all but ref): {diff:.3f}")
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--formats", default="parquet,csv")
    parser.add_argument(
        "--workdir", type=Path, default=None, help="keep the generated data here (reused)"
    )
    parser.add_argument("--run", choices=("mlci", "pandas", "generate"), help=argparse.SUPPRESS)
    parser.add_argument("--format", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.run == "generate":
        generate(args.rows, args.workdir)
        return
    if args.run:
        runner = run_mlci if args.run == "mlci" else run_pandas
        result = runner(args.workdir, args.format)
        print(json.dumps({**result, "hwm_mib": _peak_rss_mib()}))
        return

    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    keep = args.workdir is not None
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="mlci-bench-data-"))
    workdir.mkdir(parents=True, exist_ok=True)
    marker = workdir / f"rows-{args.rows}"
    try:
        if not marker.exists():
            start = time.perf_counter()
            # In a subprocess: the harness stays small, so the children's RSS is their own.
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--run",
                    "generate",
                    "--rows",
                    str(args.rows),
                    "--workdir",
                    str(workdir),
                ],
                check=True,
            )
            marker.touch()
            print(f"generated the data in {time.perf_counter() - start:.1f}s")
        if report(args.rows, formats, workdir):
            sys.exit(1)  # a side crashed (pandera missing? `pip install 'mlci[bench]'`)
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
