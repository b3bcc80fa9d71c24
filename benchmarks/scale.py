"""How the cost of `mlci check` grows: wall time and peak memory along five axes.

    python benchmarks/scale.py [--axes metrics,rows,points,datasets,stages] [--quick]
                               [--png benchmarks/scale.png]

For each axis a real git + DVC repository in a temp dir, a base commit on `main`
and a head on `feature`, grown along that axis alone; each point runs
`mlci check --no-tests` (with `--no-repro` where nothing is to be re-run) in its
own subprocess, after one warm-up run, and records its wall time and peak RSS
(GNU time's ``%M``: the largest of the process and the children it waited for,
such as `dvc repro`).

- metrics: one metrics.json of N numbers (groups of 100 keys), every tenth moved
  at head;                                   N = 10 .. 100,000
- rows: a Parquet dataset of N rows x 8 columns checked (nulls, range, allowed
  values, unique id, row count) and drifted on 4 columns; N = 10,000 .. 10,000,000
  (--quick stops at 1,000,000: on 2 cores the 10M point takes minutes)
- points: a linear plot (CSV) of N points at both revisions; N = 100 .. 1,000,000
- datasets: N small CSV datasets, each checked and drifted; N = 1 .. 50
- stages: a chain of N stages, all up to date (dvc status over N), N = 1 .. 100

Prints one table (axis, size, seconds, MiB, and the slope of log time against log
size from the previous point: 1 is linear) and writes a log-log picture of time
and memory per axis.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_common import BIN, new_repo, sh

SIZES = {
    "metrics": [10, 100, 1_000, 10_000, 100_000],
    "rows": [10_000, 100_000, 1_000_000, 10_000_000],
    "points": [100, 1_000, 10_000, 100_000, 1_000_000],
    "datasets": [1, 5, 10, 25, 50],
    "stages": [1, 10, 25, 50, 100],
}
QUICK_CAP = {"rows": 1_000_000}


def commit(root: Path, message: str) -> None:
    sh(root, "git", "add", "-A")
    sh(root, "git", "commit", "-q", "-m", message)


def branch(root: Path) -> None:
    sh(root, "git", "checkout", "-q", "-b", "feature")


# --- the projects, one per axis -------------------------------------------------------


def metrics_project(root: Path, n: int) -> list[str]:
    rng = random.Random(1)
    base = {
        f"group_{g:04d}": {f"m_{k:03d}": round(rng.random(), 6) for k in range(min(n, 100))}
        for g in range(max(1, n // 100))
    }
    repo = new_repo(root)
    (repo / "dvc.yaml").write_text("metrics:\n  - metrics.json\n")
    (repo / "metrics.json").write_text(json.dumps(base))
    (repo / "mlci.yaml").write_text("metrics:\n  - key: group_0000.m_000\n    min: 0\n")
    commit(repo, "base")
    branch(repo)
    for group in base.values():
        for k, key in enumerate(group):
            if k % 10 == 0:
                group[key] = round(group[key] + 0.01, 6)
    (repo / "metrics.json").write_text(json.dumps(base))
    commit(repo, "head")
    return ["--no-repro"]


def _parquet(path: Path, rows: int, seed: int, shift: float) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    countries = np.array([f"C{i:02d}" for i in range(20)])
    table = pa.table(
        {
            "id": np.arange(rows, dtype=np.int64),
            "age": rng.integers(18, 91, rows),
            "income": rng.lognormal(10, 0.5, rows),
            "score": rng.normal(shift, 1.0, rows),
            "clicks": rng.poisson(3, rows),
            "balance": rng.normal(1000, 300, rows),
            "country": countries[rng.integers(0, 20, rows)],
            "segment": np.array(list("ABCDE"))[rng.integers(0, 5, rows)],
        }
    )
    pq.write_table(table, path, row_group_size=1_000_000)


DATA_RULES = """\
    rows: {{min: 1}}
    unique: [id]
    columns:
      id: {{type: int, nulls: 0}}
      age: {{min: 0, max: 120, nulls: 0}}
      score: {{nulls: 0}}
      country: {{allowed: [{countries}]}}
      segment: {{allowed: [A, B, C, D, E]}}
    drift:
      columns: [age, score, country, segment]
"""


def rows_project(root: Path, n: int) -> list[str]:
    repo = new_repo(root)
    (repo / "data").mkdir()
    countries = ", ".join(f"C{i:02d}" for i in range(20))
    (repo / "mlci.yaml").write_text(
        "data:\n  - path: data/people.parquet\n" + DATA_RULES.format(countries=countries)
    )
    _parquet(repo / "data" / "people.parquet", n, 1, 0.0)
    sh(repo, str(BIN / "dvc"), "add", "-q", "data/people.parquet")
    commit(repo, "base")
    branch(repo)
    _parquet(repo / "data" / "people.parquet", n, 2, 0.3)
    sh(repo, str(BIN / "dvc"), "add", "-q", "data/people.parquet")
    commit(repo, "head")
    return ["--no-repro"]


def points_project(root: Path, n: int) -> list[str]:
    repo = new_repo(root)
    (repo / "plots").mkdir()
    (repo / "dvc.yaml").write_text(
        "metrics:\n  - metrics.json\nplots:\n  - plots/curve.csv:\n      x: step\n      y: loss\n"
    )

    def curve(scale: float) -> str:
        return "step,loss\n" + "".join(f"{i},{scale / (i + 1):.6g}\n" for i in range(n))

    (repo / "plots" / "curve.csv").write_text(curve(1.0))
    (repo / "metrics.json").write_text('{"loss": 0.5}')
    commit(repo, "base")
    branch(repo)
    (repo / "plots" / "curve.csv").write_text(curve(0.9))
    (repo / "metrics.json").write_text('{"loss": 0.45}')
    commit(repo, "head")
    return ["--no-repro"]


def datasets_project(root: Path, n: int) -> list[str]:
    repo = new_repo(root)
    (repo / "data").mkdir()
    rules = "data:\n"
    for i in range(n):
        rules += (
            f"  - path: data/d{i:02d}.csv\n"
            "    unique: [id]\n"
            "    columns:\n"
            "      id: {type: int, nulls: 0}\n"
            "      x: {min: -10, max: 10}\n"
            "      kind: {allowed: [a, b, c]}\n"
            "    drift:\n"
            "      columns: [x, kind]\n"
        )
    (repo / "mlci.yaml").write_text(rules)

    def write(shift: float) -> None:
        rng = random.Random(int(shift * 10))
        for i in range(n):
            lines = ["id,x,kind"] + [
                f"{j},{rng.gauss(shift, 1):.4f},{rng.choice('abc')}" for j in range(2_000)
            ]
            (repo / "data" / f"d{i:02d}.csv").write_text("\n".join(lines) + "\n")

    write(0.0)
    commit(repo, "base")
    branch(repo)
    write(0.5)
    commit(repo, "head")
    return ["--no-repro"]


def stages_project(root: Path, n: int) -> list[str]:
    repo = new_repo(root)
    lines = ["stages:"]
    for i in range(n):
        dep = f"      - out{i - 1}.txt\n" if i else ""
        lines.append(
            f"  s{i:03d}:\n    cmd: python -c \"open('out{i}.txt', 'w').write('{i}')\"\n"
            f"    deps:\n{dep}      - params.yaml\n    outs:\n      - out{i}.txt"
        )
    lines.append(
        f"  score:\n    cmd: python score.py\n    deps:\n      - score.py\n"
        f"      - out{n - 1}.txt\n    metrics:\n      - metrics.json:\n          cache: false"
    )
    (repo / "score.py").write_text("open('metrics.json', 'w').write('{\"n\": 1}')\n")
    (repo / "dvc.yaml").write_text("\n".join(lines) + "\n")
    (repo / "params.yaml").write_text("a: 1\n")
    sh(repo, str(BIN / "dvc"), "repro", "-q")
    commit(repo, "base")
    branch(repo)
    (repo / "notes.txt").write_text("a change outside the pipeline\n")
    commit(repo, "head")
    return []  # all up to date: `dvc status` over n stages, no stage runs


PROJECTS: dict[str, Callable[[Path, int], list[str]]] = {
    "metrics": metrics_project,
    "rows": rows_project,
    "points": points_project,
    "datasets": datasets_project,
    "stages": stages_project,
}


# --- measuring --------------------------------------------------------------------------


def measure(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one `mlci check`.

    The peak comes from GNU time (``%M``: ``ru_maxrss`` of the process it runs and the
    children that one waited for), not from ``os.wait4`` here: a child forked from
    this process starts with this process's high-water mark, which survives exec, so
    after the data axis had imported pyarrow every later point read the same 250 MiB.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        start = time.perf_counter()
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", rss.name, *cmd],
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
        )
        seconds = time.perf_counter() - start
        kib = int(rss.read().split()[-1])
    if done.returncode not in (0, 1):  # 1: a gate or a check failed, which is a result
        stderr = done.stderr.decode()
        raise SystemExit(f"{' '.join(cmd)} exited {done.returncode} in {cwd}:\n{stderr[-2000:]}")
    return seconds, kib / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--axes", default=",".join(SIZES))
    parser.add_argument("--quick", action="store_true", help="cap the largest data point")
    parser.add_argument("--runs", type=int, default=2, help="timed runs per point (median)")
    parser.add_argument("--png", type=Path, default=Path(__file__).with_name("scale.png"))
    args = parser.parse_args()
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ['PATH']}"

    root = Path(tempfile.mkdtemp(prefix="mlci-scale-"))
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; median of {args.runs} runs after a warm-up\n"
    )
    print("| axis | size | seconds | peak MiB | slope (log t / log n) |")
    print("|---|--:|--:|--:|--:|")
    found: dict[str, list[tuple[int, float, float]]] = {}
    for axis in args.axes.split(","):
        points: list[tuple[int, float, float]] = []
        for size in SIZES[axis]:
            if args.quick and size > QUICK_CAP.get(axis, size):
                continue
            repo = root / f"{axis}-{size}"
            extra = PROJECTS[axis](repo, size)
            cmd = [str(BIN / "mlci"), "check", "--no-tests", *extra]
            measure(cmd, repo)  # warm-up: page cache, .pyc, DVC's state database
            runs = sorted(measure(cmd, repo) for _ in range(args.runs))
            seconds = runs[len(runs) // 2][0]
            peak = max(mib for _, mib in runs)
            slope = ""
            if points:
                n0, t0, _ = points[-1]
                slope = f"{math.log(seconds / t0) / math.log(size / n0):.2f}"
            points.append((size, seconds, peak))
            print(f"| {axis} | {size:,} | {seconds:.2f} | {peak:.0f} | {slope} |", flush=True)
        found[axis] = points
    draw(found, args.png)
    print(f"\npicture: {args.png}")


def draw(found: dict[str, list[tuple[int, float, float]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (time_ax, mem_ax) = plt.subplots(1, 2, figsize=(11, 4.5))
    for axis, points in found.items():
        if not points:
            continue
        sizes = [p[0] for p in points]
        time_ax.loglog(sizes, [p[1] for p in points], marker="o", label=axis)
        mem_ax.loglog(sizes, [p[2] for p in points], marker="o", label=axis)
    for ax, label in ((time_ax, "wall time, s"), (mem_ax, "peak RSS, MiB")):
        ax.set_xlabel("size along the axis (metrics, rows, points, datasets, stages)")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    time_ax.set_title("mlci check: time (slope 1 = linear)")
    mem_ax.set_title("mlci check: peak memory")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
