"""How long `mlci merge` takes for a wide matrix: 50 shards of 1,000 metrics each.

Each shard's results file is what `mlci ci --shard` writes: 1,000 metrics (a tenth of
them changed), one gate per metric, written once into a folder laid out as
actions/download-artifact lays out 50 artifacts. Two sides, alternating:

- hand-written: the glue a workflow would otherwise carry: ``json.load`` each file,
  the worst ``verdict``, and every ``report.md`` concatenated under a heading (no
  validation, no missing-shard check, no size limit);
- mlci: `mlci merge --no-publish DIR`: each file validated against the schema and
  re-judged, the merged report fitted to GitHub's comment limit and written: all
  that `mlci merge` does before it posts.

Both sides run as a fresh process, so both pay the interpreter's start.

Usage: python benchmarks/bench_merge.py [--shards 50] [--metrics 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mlci.render.markdown import render_markdown
from mlci.results import Change, GateResult, Results, RevInfo


def shard(name: str, metrics: int) -> Results:
    changes = []
    gates = []
    for i in range(metrics):
        key = f"class_{i:04d}.f1"
        head = 0.9 - (0.01 if i % 10 == 0 else 0.0)
        status = "changed" if i % 10 == 0 else "unchanged"
        change = round(head - 0.9, 6)
        changes.append(
            Change("metrics.json", key, 0.9, head, change, change / 0.9 * 100, status, "higher")
        )
        gates.append(
            GateResult(key, "metrics.json", f"{key}: ≥ 0.5", "min", "pass", "ok", "fail", "base")
        )
    return Results(
        title="Models",
        verdict="pass",
        base=RevInfo("main", "a" * 40),
        head=RevInfo("feature", "b" * 40),
        metrics=tuple(changes),
        params=(),
        gates=tuple(gates),
        errors=(),
        notes=(),
        pipeline=None,
        shard=name,
    )


HAND_WRITTEN = """
import json, sys
from pathlib import Path
verdicts, parts = [], []
for path in sorted(Path(sys.argv[1]).glob("*/mlci-results.json")):
    verdicts.append(json.loads(path.read_text())["verdict"])
    parts.append(f"## {path.parent.name}\\n\\n" + (path.parent / "report.md").read_text())
order = ["pass", "warn", "fail"]
worst = max(verdicts, key=order.index)
Path(sys.argv[2]).write_text(f"# {worst}\\n\\n" + "\\n".join(parts))
"""


def hand_written(folder: Path, out: Path) -> list[str]:
    return [sys.executable, "-c", HAND_WRITTEN, str(folder), str(out)]


def with_mlci(folder: Path, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "mlci",
        "merge",
        "--no-publish",
        "--fail-on",
        "never",
        "--report",
        str(out),
        str(folder),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shards", type=int, default=50)
    parser.add_argument("--metrics", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlci-bench-merge-") as tmp:
        folder = Path(tmp)
        for i in range(args.shards):
            name = f"model-{i:02d}"
            results = shard(name, args.metrics)
            target = folder / f"mlci-results-{name}"
            target.mkdir()
            results.write(target / "mlci-results.json")
            (target / "report.md").write_text(render_markdown(results))
        size = sum(p.stat().st_size for p in folder.glob("*/mlci-results.json"))
        times: dict[str, list[float]] = {"hand-written": [], "mlci": []}
        out = Path(tmp) / "merged.md"
        env = {**os.environ, "GITHUB_ACTIONS": ""}
        for _ in range(args.runs):
            for side, command in (("hand-written", hand_written), ("mlci", with_mlci)):
                start = time.perf_counter()
                subprocess.run(command(folder, out), check=True, capture_output=True, env=env)
                times[side].append(time.perf_counter() - start)
        merged = out.read_text()  # mlci ran last
        # The merge itself, in this process (imports done, the CLI's GC thresholds):
        # reading, validating and re-judging the 50 files, and fitting the report.
        from mlci.commands.merge import merge
        from mlci.forge import COMMENT_LIMIT, body_size
        from mlci.render.shards import fit_merged

        inside: list[float] = []
        saved = gc.get_threshold()
        gc.set_threshold(100_000, 50, 100)
        try:
            for _ in range(args.runs):
                start = time.perf_counter()
                view = merge([folder], title="Models")
                fit_merged(view, limit=COMMENT_LIMIT - 64, size=body_size)
                inside.append(time.perf_counter() - start)
        finally:
            gc.set_threshold(*saved)
        times["mlci, in-process (no start-up)"] = inside
    print(
        f"{args.shards} shards x {args.metrics} metrics ({size / 1e6:.1f} MB of results), "
        f"{args.runs} runs each; Python {platform.python_version()}, {platform.machine()}"
    )
    print("| side | median s | min s | max s |\n|---|--:|--:|--:|")
    for side, found in times.items():
        print(f"| {side} | {statistics.median(found):.2f} | {min(found):.2f} | {max(found):.2f} |")
    print(f"mlci's merged report: {len(merged):,} characters (GitHub's limit: 65,536)")
    ratio = statistics.median(times["mlci"]) / statistics.median(times["hand-written"])
    print(f"ratio mlci / hand-written: {ratio:.1f}; goal: mlci under 2 s")


if __name__ == "__main__":
    main()
