"""Time `mlci diff` against `dvc metrics diff` on many metrics, in one run.

    python benchmarks/bench_diff.py [--runs N] [--sizes 10000,100000] [--profile]

For each size N (default 10,000 and 100,000) builds a real git + DVC repository in
a temp dir whose ``metrics.json`` holds N numbers (groups of 100 keys: 100 groups
at 10,000, 1,000 at 100,000), declared under ``metrics:`` in ``dvc.yaml``, in two
commits: the second moves every tenth value. Then alternates, N runs each:

    md:    mlci diff --base HEAD~1 --head HEAD --format md
           vs  dvc metrics diff HEAD~1 HEAD --md
    json:  mlci diff --base HEAD~1 --head HEAD --format json
           vs  dvc metrics diff HEAD~1 HEAD --json

and prints medians and ratios (goal: <= 0.5 at 10,000; the 100,000-metric time
within 5x the 10,000-metric one). mlci also diffs the params and prints the
unchanged metrics (dvc leaves them out unless --all). mlci reads this project's
metrics from git objects (mlci/dvc/direct.py); it is also timed with
``MLCI_READ_THROUGH_DVC=1`` (reading through DVC, as before), in the same
alternation, to show what that reader buys. ``--profile`` runs mlci's
md and json rendering in-process under cProfile at the largest size and prints
the top functions by own time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench_common import BIN, compile_mlci


def _run(
    cmd: list[str], cwd: Path, pythonpath: str | None = None, extra: dict[str, str] | None = None
) -> float:
    env = {**os.environ, **({"PYTHONPATH": pythonpath} if pythonpath else {}), **(extra or {})}
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, check=False, env=env)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr.decode()[-2000:]}")
    return elapsed


def metrics_file(count: int, seed: int, moved: bool) -> dict[str, dict[str, float]]:
    """``count`` metrics as groups of 100 keys; ``moved`` changes every tenth value."""
    rng = random.Random(seed)
    groups: dict[str, dict[str, float]] = {}
    for g in range(count // 100):
        group = {}
        for k in range(100):
            value = round(rng.random(), 6)
            if moved and k % 10 == 0:
                value = round(value + 0.01, 6)
            group[f"metric_{k:03d}_accuracy" if k % 2 else f"metric_{k:03d}_loss"] = value
        groups[f"group_{g:04d}"] = group
    return groups


def build_repo(root: Path, count: int) -> Path:
    """A git + DVC repository with two commits of a ``count``-metric file."""
    repo = root / f"metrics-{count}"
    repo.mkdir(parents=True)

    def sh(*cmd: str) -> None:
        subprocess.run(cmd, cwd=repo, check=True, capture_output=True)

    sh("git", "init", "-q", "-b", "main")
    sh("git", "config", "user.email", "bench@example.com")
    sh("git", "config", "user.name", "bench")
    sh(str(BIN / "dvc"), "init", "-q")
    (repo / "dvc.yaml").write_text("metrics:\n  - metrics.json\n")
    (repo / "params.yaml").write_text("train:\n  lr: 0.1\n  epochs: 10\n")
    (repo / "metrics.json").write_text(json.dumps(metrics_file(count, 1, moved=False), indent=2))
    sh("git", "add", "-A")
    sh("git", "commit", "-q", "-m", "base")
    (repo / "metrics.json").write_text(json.dumps(metrics_file(count, 1, moved=True), indent=2))
    (repo / "params.yaml").write_text("train:\n  lr: 0.05\n  epochs: 10\n")
    sh("git", "commit", "-q", "-am", "head")
    return repo


def commands(fmt: str) -> tuple[list[str], list[str]]:
    mlci = [str(BIN / "mlci"), "diff", "--base", "HEAD~1", "--head", "HEAD", "--format", fmt]
    dvc_flag = "--md" if fmt == "md" else "--json"
    dvc = [str(BIN / "dvc"), "metrics", "diff", "HEAD~1", "HEAD", dvc_flag]
    return mlci, dvc


def profile(repo: Path) -> None:
    """mlci's diff in-process under cProfile: where the time goes, by own time."""
    import cProfile
    import pstats

    from mlci.flow import run_diff
    from mlci.render.markdown import render_diff

    os.chdir(repo)
    profiler = cProfile.Profile()
    profiler.enable()
    results = run_diff(repo, "HEAD~1", "HEAD")
    for fmt in ("md", "json"):
        render_diff(results, fmt)
    profiler.disable()
    stats = pstats.Stats(profiler)
    print(f"\nprofile of run_diff + render md + render json at {repo.name} (own time):")
    stats.sort_stats("tottime").print_stats(18)
    stats.sort_stats("cumulative").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--baseline",
        metavar="DIR",
        help="a checkout of an earlier mlci (e.g. `git worktree add`): timed too, alternating, "
        "with PYTHONPATH=DIR",
    )
    args = parser.parse_args()
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ['PATH']}"
    compile_mlci(*([Path(args.baseline)] if args.baseline else []))

    root = Path(tempfile.mkdtemp(prefix="mlci-bench-diff-"))
    sizes = [int(size) for size in args.sizes.split(",")]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; {args.runs} runs each, alternating\n"
    )
    extra = " baseline mlci s | baseline ratio |" if args.baseline else ""
    print(
        "| metrics | format | dvc metrics diff s | mlci diff s | ratio "
        f"| mlci through DVC s | its ratio |{extra}"
    )
    print("|--:|---|--:|--:|--:|--:|--:|" + ("--:|--:|" if args.baseline else ""))
    medians: dict[tuple[int, str], float] = {}
    repos = {}
    for size in sizes:
        repo = repos[size] = build_repo(root, size)
        for fmt in ("md", "json"):
            mlci, dvc = commands(fmt)
            _run(mlci, repo)  # warm-up: file caches, .pyc
            _run(dvc, repo)
            mlci_times, dvc_times, old_times, through_times = [], [], [], []
            for _ in range(args.runs):
                dvc_times.append(_run(dvc, repo))
                mlci_times.append(_run(mlci, repo))
                through_times.append(_run(mlci, repo, extra={"MLCI_READ_THROUGH_DVC": "1"}))
                if args.baseline:
                    old_times.append(_run(mlci, repo, args.baseline))
            mlci_median = statistics.median(mlci_times)
            dvc_median = statistics.median(dvc_times)
            through = statistics.median(through_times)
            medians[size, fmt] = mlci_median
            old = ""
            if old_times:
                old_median = statistics.median(old_times)
                old = f" {old_median:.2f} | {old_median / dvc_median:.2f} |"
            print(
                f"| {size:,} | {fmt} | {dvc_median:.2f} | {mlci_median:.2f} "
                f"| {mlci_median / dvc_median:.2f} | {through:.2f} | {through / dvc_median:.2f} "
                f"|{old}",
                flush=True,
            )
    if len(sizes) > 1:
        small, large = min(sizes), max(sizes)
        for fmt in ("md", "json"):
            growth = medians[large, fmt] / medians[small, fmt]
            print(
                f"\nmlci diff --format {fmt}: {large:,} metrics take {growth:.1f}x the time "
                f"of {small:,} ({large // small}x the metrics; goal <= 5x)"
            )
    if args.profile:
        profile(repos[max(sizes)])


if __name__ == "__main__":
    main()
