"""Time `mlci check` against the hand-written DVC flow it replaces, in one run.

    python benchmarks/bench_check.py [--runs N]   (default 15: the machine's noise is ~10%)

Builds the demo workspace (example project, PR branch with a param change),
runs the pipeline once so both sides start from the same cached state, then
alternates the two commands N times and prints medians and their ratio:

    hand-written:  dvc repro && dvc metrics diff BASE --md && dvc params diff BASE --md
    mlci:          mlci check --no-tests   (re-runs nothing up to date, diffs, gates,
                   checks the data, renders report.md and report.html)

Both sides read the same revisions and print comparable tables; mlci also applies
gates and writes report.md and mlci-results.json. Goal: ratio <= 0.5.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def timed(cmd: list[str] | str, cwd: Path, shell: bool = False) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, shell=shell, check=False, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ['PATH']}"
    from mlci.commands.demo import build_workspace

    root = Path(tempfile.mkdtemp(prefix="mlci-bench-")) / "ws"
    ws = build_workspace(root, "pass", emit=lambda line: None)
    project = ws.project
    base = subprocess.run(
        ["git", "merge-base", "HEAD", "origin/main"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # --no-tests: the hand-written flow runs no test suite; mlci still does its data
    # checks and writes report.md, mlci-results.json and report.html.
    mlci = [str(BIN / "mlci"), "check", "--no-tests"]
    hand = f"dvc repro && dvc metrics diff {base} --md && dvc params diff {base} --md"
    # Warm-up: the first run re-runs the changed stages; after it both sides find
    # the pipeline up to date (the state of a re-run CI job or a second local check).
    first = subprocess.run(mlci, cwd=project, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stdout + first.stderr
    timed(hand, project, shell=True)

    hand_times, mlci_times = [], []
    for _ in range(args.runs):
        hand_times.append(timed(hand, project, shell=True))
        mlci_times.append(timed(mlci, project))
    help_times = [timed([str(BIN / "mlci"), "--help"], project) for _ in range(args.runs)]

    hand_median = statistics.median(hand_times)
    mlci_median = statistics.median(mlci_times)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"runs: {args.runs} each, alternating; medians in seconds\n")
    print("| command | median s | min s | max s |")
    print("|---|--:|--:|--:|")
    print(
        f"| hand-written dvc repro + metrics diff + params diff | {hand_median:.2f} "
        f"| {min(hand_times):.2f} | {max(hand_times):.2f} |"
    )
    print(f"| mlci check | {mlci_median:.2f} | {min(mlci_times):.2f} | {max(mlci_times):.2f} |")
    print(
        f"| mlci --help | {statistics.median(help_times):.2f} | {min(help_times):.2f} "
        f"| {max(help_times):.2f} |"
    )
    print(
        f"\nratio mlci / hand-written: {mlci_median / hand_median:.2f} (goal <= 0.5); "
        f"of the fastest runs: {min(mlci_times) / min(hand_times):.2f}"
    )


if __name__ == "__main__":
    main()
