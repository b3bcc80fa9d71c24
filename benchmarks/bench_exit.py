"""How long the interpreter's shutdown takes after a check, three ways.

A process imports DVC, GitPython, DuckDB and Jinja, opens the demo project with DVC
and reads its status and metrics (what `mlci check` leaves in memory), then exits:

- normal: ``sys.exit`` with Python's full shutdown (a final garbage collection);
- freeze: ``gc.freeze()`` then ``sys.exit`` (what ``mlci.cli.main`` does);
- os_exit: ``os._exit`` (no shutdown at all; what mlci did before).

Shutdown time is measured from the moment the child is about to exit to the moment
the parent sees it gone (one monotonic clock). Usage: python benchmarks/bench_exit.py [N]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import gc, os, sys, time
gc.set_threshold(100_000, 50, 100)
import dvc.repo, git, duckdb, jinja2
repo = dvc.repo.Repo(sys.argv[2])
repo.status()
repo.metrics.show()
repo.close()
sys.stderr.write(f"{time.perf_counter()}\\n")
sys.stderr.flush()
if sys.argv[1] == "freeze":
    gc.freeze()
if sys.argv[1] == "os_exit":
    os._exit(0)
sys.exit(0)
"""
MODES = ("normal", "freeze", "os_exit")


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    with tempfile.TemporaryDirectory(prefix="mlci-bench-exit-") as tmp:
        workspace = Path(tmp) / "ws"
        subprocess.run(
            [sys.executable, "-m", "mlci", "demo", "--workspace", str(workspace)],
            check=False,
            capture_output=True,
        )
        project = workspace / "project"
        times: dict[str, list[float]] = {mode: [] for mode in MODES}
        for _ in range(rounds):
            for mode in MODES:  # alternating, so drift in the machine's speed is shared
                done = subprocess.run(
                    [sys.executable, "-c", CHILD, mode, str(project)],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                end = time.perf_counter()
                times[mode].append(end - float(done.stderr.strip().splitlines()[-1]))
    for mode in MODES:
        print(f"{mode:8} shutdown median {statistics.median(times[mode]):.3f} s over {rounds}")


if __name__ == "__main__":
    main()
