"""Time `mlci check`'s data checks + drift against pandas + pandera doing the same, in one run.

    python benchmarks/bench_data.py [--rows 2000000,10000000] [--formats parquet,csv]
                                    [--runs N] [--cache DIR]

Generates a dataset of N rows and 10 columns — 6 numeric (id, age, income,
score, balance, clicks) and 4 categorical (country, segment, device, ref) — as a
base and a head version, each as Parquet and CSV. The head shifts ``score``,
``clicks`` and ``country`` and breaks two rules (3 ages of -1, 2 countries 'XX').

Per size and format it builds a real git + DVC repository: ``data/data.<fmt>`` is
DVC-tracked (``dvc add``, local cache), the ``main`` commit holds the base
version and the mlci.yaml declaring the checks and drift, the ``pr`` commit (and
the workspace) the drifted head. Then, alternating, each side runs in its own
subprocess from the repository:

- mlci: ``mlci check --base main --no-repro --no-tests --no-pull --fail-on never``:
  the checks (types, nulls, null fraction, min/max, allowed values, regex, unique
  id, unique (id, country), row count) on the workspace's head, then drift (PSI,
  KS, Wasserstein, chi-square, every column) against the base's copy, which mlci
  reads through DVC at ``main``;
- pandas: reads the head from the workspace with ``read_parquet``/``read_csv``,
  validates it with a pandera ``DataFrameSchema`` holding the same checks (lazy, so
  every failure is collected), reads the base through DVC at ``main``
  (``dvc.api.open``), then drifts the straightforward way: PSI on base decile
  bins, ``scipy.stats.ks_2samp`` and ``wasserstein_distance`` on the full columns,
  ``chi2_contingency`` on the full category counts.

Wall time and peak RSS are measured per subprocess: ``ru_maxrss`` from
``os.wait4``, the largest RSS of that process and of every process it waited for
(DVC's or git's children included), and the largest sum of the PSS (shared pages
counted once) of the process and its descendants, sampled every 20 ms (mlci's
data checks run in forked children beside it). Medians over ``--runs``. No ratio
is printed for a side that failed. Issue 13's goals: Parquet ratio <= 0.25, CSV <= 0.35,
mlci's peak RSS <= 512 MiB at 10M rows.

``--cache DIR`` keeps the generated files and repositories there between runs
(generating 10M rows and ``dvc add``-ing them takes minutes).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
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
BASE_REV = "main"


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


def mlci_yaml(fmt: str) -> str:
    """The base's mlci.yaml: the same checks as the pandera schema, drift on every column."""
    columns = {
        "id": "{type: int, nulls: 0, unique: true}",
        "age": "{type: int, nulls: 0, min: 0, max: 120}",
        "income": "{type: float, null_fraction: 0.02, min: 0}",
        "score": "{type: float, nulls: 0}",
        "balance": "{type: float, null_fraction: 0.05}",
        "clicks": "{type: int, nulls: 0, min: 0}",
        "country": f"{{type: string, nulls: 0, allowed: {json.dumps(COUNTRIES)}}}",
        "segment": f"{{type: string, nulls: 0, allowed: {json.dumps(SEGMENTS)}}}",
        "device": f"{{type: string, nulls: 0, allowed: {json.dumps(DEVICES)}}}",
        "ref": f"{{type: string, nulls: 0, regex: '{REF_REGEX}'}}",
    }
    lines = [
        "data:",
        f"  - path: data/data.{fmt}",
        "    rows: {min: 1000}",
        "    unique: [[id, country]]",
        "    columns:",
        *(f"      {name}: {rules}" for name, rules in columns.items()),
        "    drift: true",
    ]
    return "\n".join(lines) + "\n"


def _sh(cwd: Path, *cmd: str) -> None:
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True)


def build_repo(data: Path, repo: Path, fmt: str) -> None:
    """git + DVC repository: ``main`` = base data + mlci.yaml, ``pr`` (checked out) = head."""
    if (repo / ".bench-ready").exists():
        return
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir(parents=True)
    dvc = (sys.executable, "-m", "dvc")
    _sh(repo, "git", "init", "--quiet", "--initial-branch=main")
    _sh(repo, "git", "config", "user.email", "bench@example.com")
    _sh(repo, "git", "config", "user.name", "bench")
    _sh(repo, *dvc, "init", "--quiet")
    _sh(repo, *dvc, "config", "core.autostage", "true")
    (repo / "data").mkdir()
    (repo / "mlci.yaml").write_text(mlci_yaml(fmt))
    (repo / ".gitignore").write_text("/mlci-results.json\n/report.md\n/report.html\n")
    for name, branch in (("base", None), ("head", "pr")):
        if branch:
            _sh(repo, "git", "checkout", "--quiet", "-b", branch)
        shutil.copyfile(data / f"{name}.{fmt}", repo / "data" / f"data.{fmt}")
        _sh(repo, *dvc, "add", "--quiet", f"data/data.{fmt}")
        _sh(repo, "git", "add", "--all")
        _sh(repo, "git", "commit", "--quiet", "-m", f"{name} data")
    (repo / ".bench-ready").touch()


# --- the two contestants (each runs in its own subprocess) ---------------------------


def mlci_command(out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "mlci",
        "check",
        "--base",
        BASE_REV,
        "--no-repro",
        "--no-tests",
        "--no-pull",
        "--fail-on",
        "never",
        "--results",
        str(out / "mlci-results.json"),
        "--report",
        str(out / "report.md"),
    ]


def mlci_result(out: Path) -> dict[str, Any]:
    """The failed checks, drifted columns and PSIs from mlci's results file."""
    results = json.loads((out / "mlci-results.json").read_text())
    (dataset,) = results["data"]
    drift = dataset.get("drift") or {}
    return {
        "failed": sorted(
            f"{c['column']}:{c['check']}" for c in dataset["checks"] if c["outcome"] == "fail"
        ),
        "drifted": sorted(c["column"] for c in drift.get("columns", []) if c["outcome"] == "fail"),
        "psi": {c["column"]: round(c.get("psi") or 0.0, 3) for c in drift.get("columns", [])},
        "note": dataset.get("drift_skipped") or "",
    }


def run_pandas(repo: Path, fmt: str) -> dict[str, Any]:
    import dvc.api
    import numpy as np
    import pandas as pd
    import pandera.pandas as pa
    from scipy import stats

    path = f"data/data.{fmt}"

    def read(handle: Any) -> pd.DataFrame:
        return pd.read_parquet(handle) if fmt == "parquet" else pd.read_csv(handle)

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
    head = read(repo / path)
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
    # The base as DVC has it at the base revision (from the cache; the remote if need be).
    with dvc.api.open(path, repo=str(repo), rev=BASE_REV, mode="rb") as handle:
        base = read(handle)

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


class TreeMemory:
    """The largest sum of the PSS of a process and its descendants, sampled every 20 ms
    on a thread (mlci forks its data checks onto a second core: the processes' peaks
    add up, which ``ru_maxrss``, the largest of any one process, does not show). PSS,
    not RSS: a forked child shares the parent's pages until either writes them, and
    PSS counts a shared page once across the processes sharing it."""

    def __init__(self, pid: int) -> None:
        import threading

        self.peak = 0.0
        self._pid = pid
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psutil  # a dependency of DVC

        try:
            root = psutil.Process(self._pid)
        except psutil.Error:
            return
        while not self._stop.wait(0.02):
            total = 0
            try:
                for proc in [root, *root.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        total += proc.memory_full_info().pss
            except psutil.Error:
                continue
            self.peak = max(self.peak, total / 2**20)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


def measure(engine: str, fmt: str, repo: Path, baseline: Path | None) -> dict[str, Any]:
    """Run one contestant in a subprocess from ``repo``: wall time, peak RSS, its result.

    ``engine``: "mlci" (this checkout's), "baseline" (the mlci of ``baseline``) or "pandas".
    """
    env = dict(os.environ)
    if engine == "pandas":
        out = None
        cmd = [sys.executable, __file__, "--run", "pandas", "--format", fmt, "--repo", str(repo)]
    else:
        out = Path(tempfile.mkdtemp(prefix="mlci-bench-out-"))
        cmd = mlci_command(out)
        checkout = baseline if engine == "baseline" else Path(__file__).resolve().parent.parent
        env["PYTHONPATH"] = str(checkout)
    with tempfile.TemporaryFile("w+") as stdout_file, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=repo, stdout=stdout_file, stderr=err, text=True, env=env)
        sampler = TreeMemory(proc.pid)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        tree_peak = sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
        stdout_file.seek(0)
        err.seek(0)
        stdout, stderr = stdout_file.read(), err.read()
    # ru_maxrss (KiB on Linux): the largest RSS of the child or of any process it waited for.
    row: dict[str, Any] = {"engine": engine, "format": fmt, "wall": wall, "rss_mib": 0.0}
    row["rss_mib"] = usage.ru_maxrss / 1024
    row["tree_mib"] = tree_peak
    try:
        if proc.returncode != 0:
            lines = (stderr.strip() or stdout.strip()).splitlines() or ["failed"]
            return {**row, "error": f"exit {proc.returncode}: {lines[-1]}"}
        if out is not None:
            return {**row, **mlci_result(out)}
        return {**row, **json.loads(stdout.strip().splitlines()[-1])}
    finally:
        if out is not None:
            shutil.rmtree(out, ignore_errors=True)


def _median(rows: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def report(
    rows: int,
    formats: list[str],
    data: Path,
    repos: dict[str, Path],
    runs: int,
    baseline: Path | None,
) -> tuple[int, list[dict[str, Any]]]:
    """Measure (alternating, ``runs`` times) and print; the formats where a side failed."""
    sizes = {
        fmt: sum((data / f"{n}.{fmt}").stat().st_size for n in ("base", "head")) / 2**20
        for fmt in formats
    }
    print(
        f"\n{rows:,} rows x 10 columns; "
        + ", ".join(f"{fmt} {size:,.0f} MiB (base + head)" for fmt, size in sizes.items())
    )
    summary = []
    failures = 0
    for fmt in formats:
        engines = ["mlci", "pandas"] + (["baseline"] if baseline else [])
        measured: dict[str, list[dict[str, Any]]] = {engine: [] for engine in engines}
        for run in range(runs):
            # Alternate which side goes first, so neither always runs after the other.
            order = engines if run % 2 == 0 else engines[::-1]
            for engine in order:
                result = measure(engine, fmt, repos[fmt], baseline)
                measured[engine].append(result)
                print(
                    f"  {fmt} run {run + 1} {engine}: {result['wall']:.1f}s, "
                    f"{result['rss_mib']:,.0f} MiB (processes together {result['tree_mib']:,.0f})"
                    + (" FAILED" if result.get("error") else ""),
                    flush=True,
                )
        mine, theirs = measured["mlci"][-1], measured["pandas"][-1]
        print(f"  mlci: failed {mine.get('failed') or mine.get('error')}")
        print(f"        drifted {mine.get('drifted')} {mine.get('note', '')}")
        print(f"  pandas: failed {theirs.get('failed') or theirs.get('error')}")
        print(f"          drifted {theirs.get('drifted')}")
        broken = [r for runs_of in measured.values() for r in runs_of if r.get("error")]
        row: dict[str, Any] = {
            "rows": rows,
            "format": fmt,
            "mlci_wall": _median(measured["mlci"], "wall"),
            "mlci_rss": max(r["rss_mib"] for r in measured["mlci"]),
            "mlci_tree": max(r["tree_mib"] for r in measured["mlci"]),
            "pandas_wall": _median(measured["pandas"], "wall"),
            "pandas_rss": max(r["rss_mib"] for r in measured["pandas"]),
            "ratio": None,
            "baseline_wall": _median(measured["baseline"], "wall") if baseline else None,
            "baseline_rss": max(r["rss_mib"] for r in measured["baseline"]) if baseline else None,
            "baseline_ratio": None,
        }
        if broken:
            # A side that crashed did not do the work: a ratio against it means nothing.
            for r in broken:
                print(f"  **{fmt}: {r['engine']} failed: {r['error']}** (no ratio)")
            failures += 1
        else:
            row["ratio"] = row["mlci_wall"] / row["pandas_wall"]
            if baseline:
                row["baseline_ratio"] = row["baseline_wall"] / row["pandas_wall"]
            if mine.get("psi") and theirs.get("psi"):
                # ref (a million possible values) is left out: pandas' PSI over every value
                # is dominated by values seen on one side only; mlci folds the tail into
                # hash buckets.
                diff = max(
                    abs(mine["psi"][c] - theirs["psi"][c]) for c in mine["psi"] if c != "ref"
                )
                print(f"  largest PSI difference mlci vs pandas (all but ref): {diff:.3f}")
        summary.append(row)
    return failures, summary


def print_machine() -> None:
    """Machine, load, date and the versions of every library either side uses."""
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, load average {load}; "
        f"Python {platform.python_version()}; {when}"
    )
    versions = subprocess.run(
        [
            sys.executable,
            "-c",
            "import duckdb, pyarrow, pandas, pandera, scipy, dvc, numpy; "
            "print(', '.join(f'{m.__name__} {m.__version__}' for m in "
            "(duckdb, pyarrow, numpy, scipy, pandas, pandera, dvc)))",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    print("versions: " + (versions.stdout.strip() or versions.stderr.strip().splitlines()[-1]))


def print_table(table: list[dict[str, Any]]) -> None:
    with_baseline = any(r["baseline_wall"] is not None for r in table)
    head = (
        "| rows | format | mlci wall s / peak MiB (all its processes) "
        "| pandas + pandera wall s / peak MiB | ratio |"
    )
    print("\n" + head + (" baseline mlci s / MiB | baseline ratio |" if with_baseline else ""))
    print("|--:|---|--:|--:|--:|" + ("--:|--:|" if with_baseline else ""))
    for r in table:
        ratio = f"**{r['ratio']:.2f}**" if r["ratio"] is not None else "(a side failed)"
        line = (
            f"| {r['rows']:,} | {r['format']} | {r['mlci_wall']:.1f} / {r['mlci_rss']:,.0f} "
            f"({r['mlci_tree']:,.0f}) "
            f"| {r['pandas_wall']:.1f} / {r['pandas_rss']:,.0f} | {ratio} |"
        )
        if with_baseline:
            old_ratio = r["baseline_ratio"]
            line += (
                f" {r['baseline_wall']:.1f} / {r['baseline_rss']:,.0f} "
                f"| {'' if old_ratio is None else f'{old_ratio:.2f}'} |"
            )
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", default="2000000,10000000", help="sizes, comma-separated")
    parser.add_argument("--formats", default="parquet,csv")
    parser.add_argument("--runs", type=int, default=1, help="alternating runs per side (median)")
    parser.add_argument(
        "--cache", type=Path, default=None, help="keep the data and repositories here (reused)"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="DIR",
        help="a checkout of an earlier mlci (e.g. `git worktree add`): timed too, alternating, "
        "with PYTHONPATH=DIR",
    )
    parser.add_argument("--run", choices=("pandas", "generate"), help=argparse.SUPPRESS)
    parser.add_argument("--format", help=argparse.SUPPRESS)
    parser.add_argument("--repo", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.run == "generate":
        generate(int(args.rows), args.workdir)
        return
    if args.run == "pandas":
        print(json.dumps(run_pandas(args.repo, args.format)))
        return

    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    sizes = [int(n) for n in args.rows.split(",") if n.strip()]
    keep = args.cache is not None
    cache = args.cache or Path(tempfile.mkdtemp(prefix="mlci-bench-data-"))
    cache.mkdir(parents=True, exist_ok=True)
    print_machine()
    failures = 0
    table: list[dict[str, Any]] = []
    try:
        for rows in sizes:
            data = cache / f"rows-{rows}"
            data.mkdir(parents=True, exist_ok=True)
            if not (data / "done").exists():
                start = time.perf_counter()
                # In a subprocess: the harness stays small.
                generate_cmd = [sys.executable, __file__, "--run", "generate", "--rows", str(rows)]
                subprocess.run([*generate_cmd, "--workdir", str(data)], check=True)
                (data / "done").touch()
                print(f"generated {rows:,} rows in {time.perf_counter() - start:.1f}s")
            repos = {fmt: cache / f"repo-{rows}-{fmt}" for fmt in formats}
            for fmt, repo in repos.items():
                start = time.perf_counter()
                if not (repo / ".bench-ready").exists():
                    build_repo(data, repo, fmt)
                    print(f"built {repo.name} (dvc add) in {time.perf_counter() - start:.1f}s")
            failed, summary = report(rows, formats, data, repos, args.runs, args.baseline)
            failures += failed
            table.extend(summary)
        print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print_table(table)
        if failures:
            sys.exit(1)  # a side crashed (pandera missing? `pip install 'mlci[bench]'`)
    finally:
        if not keep:
            shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
