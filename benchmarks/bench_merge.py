"""How long `mlci merge` takes for a wide matrix: 50 shards of 1,000 metrics each.

Each shard's results file is what `mlci ci --shard` writes: 1,000 metrics (a tenth of
them changed), one gate per metric, written once into a folder laid out as
actions/download-artifact lays out 50 artifacts. Two sides, alternating:

- hand-written: the glue a workflow would otherwise carry: ``json.load`` each file,
  the worst ``verdict``, and every ``report.md`` concatenated under a heading (no
  validation, no missing-shard check, no size limit);
- mlci: :func:`mlci.commands.merge.merge` (each file validated against the schema
  and re-judged) and the comment fitted to GitHub's limit, plus the full report for
  the job summary: what `mlci merge` does before it posts.

Usage: python benchmarks/bench_merge.py [--shards 50] [--metrics 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from mlci.commands.merge import fit_merged, merge
from mlci.forge import utf8_size
from mlci.github.actions import SUMMARY_LIMIT
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


def hand_written(folder: Path) -> str:
    verdicts = []
    parts = []
    for path in sorted(folder.glob("*/mlci-results.json")):
        verdicts.append(json.loads(path.read_text())["verdict"])
        parts.append(f"## {path.parent.name}\n\n" + (path.parent / "report.md").read_text())
    order = ["pass", "warn", "fail"]
    worst = max(verdicts, key=order.index)
    return f"# {worst}\n\n" + "\n".join(parts)


def with_mlci(folder: Path) -> str:
    merged = merge([folder], title="Models")
    fit_merged(merged, limit=SUMMARY_LIMIT - 1024, size=utf8_size)
    return fit_merged(merged)


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
        for _ in range(args.runs):
            for side, func in (("hand-written", hand_written), ("mlci", with_mlci)):
                start = time.perf_counter()
                func(folder)
                times[side].append(time.perf_counter() - start)
    print(
        f"{args.shards} shards x {args.metrics} metrics ({size / 1e6:.1f} MB of results), "
        f"{args.runs} runs each; Python {platform.python_version()}, {platform.machine()}"
    )
    print("| side | median s | min s | max s |\n|---|--:|--:|--:|")
    for side, found in times.items():
        print(f"| {side} | {statistics.median(found):.2f} | {min(found):.2f} | {max(found):.2f} |")
    ratio = statistics.median(times["mlci"]) / statistics.median(times["hand-written"])
    print(f"ratio mlci / hand-written: {ratio:.1f}; goal: mlci under 2 s")
    sys.exit(0 if statistics.median(times["mlci"]) < 2.0 else 1)


if __name__ == "__main__":
    main()
