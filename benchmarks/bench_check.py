"""Time `mlci check` against the hand-written DVC flow it replaces, in one run.

    python benchmarks/bench_check.py [--runs N] [--projects demo,pipeline]
                                     (default 15 runs: the machine's noise is ~10%)

Two projects, each a real git + DVC repository in a temp dir with a base branch and a
pull-request branch that changes a param:

- demo: `mlci demo`'s workspace (the example project: 3 stages, 2 plots, one metrics
  file, data checks; the PR changes `train.C`);
- pipeline: six stages (prepare -> featurize -> train -> evaluate, and two side
  stages, profile and importance), params used by several stages, metrics in three
  files (JSON and YAML), four plots (a ROC curve in JSON, a PR curve, a confusion
  matrix and feature weights in CSV), and two datasets checked by mlci.yaml's
  `data:` (`data/raw.csv`, added with `dvc add`, and the `data/features` output), so
  the base's copy is read through DVC; the PR changes `evaluate.threshold` (a late
  stage), re-runs the pipeline and commits it.

Each project is warmed up once so the pipeline is up to date on both sides (the
state of a re-run CI job or a second local check), then the two commands alternate
N times per project (the projects alternate too) and the script prints medians,
min/max and their ratio:

    hand-written:  dvc repro && dvc metrics diff BASE --md && dvc params diff BASE --md
    mlci:          mlci check --no-tests   (re-runs nothing up to date, diffs, gates,
                   reads the plots, checks the data, renders report.md, report.html)

Both sides read the same revisions and print comparable tables; mlci also applies
gates and writes report.md and mlci-results.json. Goal (issue 13): ratio <= 0.4.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench_common import BIN, compile_mlci, new_repo, sh

# --- the pipeline project ---------------------------------------------------------------

PROJECT_FILES = {
    "params.yaml": """\
prepare:
  seed: 7            # shuffles the rows before the split
  test_share: 0.25   # fraction of rows held out
featurize:
  n_features: 6      # the first k numeric columns (train and importance read it too)
  scale: true        # standardise with the training rows' mean and deviation
train:
  lr: 0.3            # gradient step
  epochs: 12         # passes over the training rows
  l2: 0.001          # ridge penalty
evaluate:
  threshold: 0.5     # score above which a row is predicted positive
  bins: 50           # points of the ROC and PR curves
""",
    "dvc.yaml": """\
stages:
  prepare:
    cmd: python src/prepare.py
    deps: [src/prepare.py, data/raw.csv]
    params: [prepare.seed, prepare.test_share]
    outs: [data/prepared]
  profile:
    cmd: python src/profile.py
    deps: [src/profile.py, data/raw.csv]
    metrics:
      - metrics/data.yaml:
          cache: false
  featurize:
    cmd: python src/featurize.py
    deps: [src/featurize.py, data/prepared]
    params: [featurize.n_features, featurize.scale]
    outs: [data/features]
  train:
    cmd: python src/train.py
    deps: [src/train.py, data/features/train.csv]
    params: [featurize.n_features, train.lr, train.epochs, train.l2]
    outs: [model.json]
  importance:
    cmd: python src/importance.py
    deps: [src/importance.py, model.json]
    params: [featurize.n_features]
    metrics:
      - metrics/model.json:
          cache: false
    plots:
      - plots/importance.csv:
          cache: false
  evaluate:
    cmd: python src/evaluate.py
    deps: [src/evaluate.py, model.json, data/features/test.csv]
    params: [evaluate.threshold, evaluate.bins]
    metrics:
      - metrics/eval.json:
          cache: false
    outs:
      - plots/roc.json:
          cache: false
      - plots/pr.csv:
          cache: false
      - plots/confusion.csv:
          cache: false

plots:
  - plots/roc.json:
      template: linear
      x: fpr
      y: tpr
      title: ROC curve
  - plots/pr.csv:
      template: linear
      x: recall
      y: precision
      title: Precision-recall curve
  - plots/confusion.csv:
      template: confusion
      x: actual
      y: predicted
      title: Confusion matrix
  - plots/importance.csv:
      template: bar_horizontal
      x: weight
      y: feature
      title: Feature weights
""",
    "mlci.yaml": """\
base: main
metrics:
  - key: accuracy
    file: metrics/eval.json
    min: 0.6
    max_drop: 0.05
  - key: roc_auc
    file: metrics/eval.json
    max_drop_pct: 5
  - key: "per_class.*.recall"
    min: 0.3
    severity: warn
  - key: weight_norm
    file: metrics/model.json
    max: 100
report:
  title: Churn model
data:
  - path: data/raw.csv
    rows: {min: 1000}
    unique: [id]
    columns:
      id: {type: int, nulls: 0}
      label: {type: int, allowed: [0, 1], nulls: 0}
      segment: {allowed: [a, b, c, d]}
      f0: {type: float, nulls: 0}
      f1: {type: float, min: -10, max: 10}
    drift:
      columns: [f0, f1, f2, segment, label]
  - path: data/features
    columns:
      label: {allowed: [0, 1], nulls: 0}
""",
    "src/common.py": """\
import csv
from pathlib import Path

import yaml


def params(section):
    return yaml.safe_load(Path("params.yaml").read_text())[section]


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def write_rows(path, rows, fields):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
""",
    "src/prepare.py": """\
import random

from common import params, read_rows, write_rows

p = params("prepare")
rows = read_rows("data/raw.csv")
random.Random(p["seed"]).shuffle(rows)
cut = int(len(rows) * (1 - p["test_share"]))
fields = list(rows[0])
write_rows("data/prepared/train.csv", rows[:cut], fields)
write_rows("data/prepared/test.csv", rows[cut:], fields)
""",
    "src/profile.py": """\
from pathlib import Path

import yaml

from common import read_rows

rows = read_rows("data/raw.csv")
out = {"rows": len(rows), "positive_share": sum(int(r["label"]) for r in rows) / len(rows)}
for name in ("f0", "f1", "f2"):
    values = [float(r[name]) for r in rows]
    out[name] = {"mean": sum(values) / len(values), "max": max(values), "min": min(values)}
Path("metrics").mkdir(exist_ok=True)
Path("metrics/data.yaml").write_text(yaml.safe_dump(out))
""",
    "src/featurize.py": """\
from common import params, read_rows, write_rows

p = params("featurize")
names = [f"f{i}" for i in range(p["n_features"])]
train, test = read_rows("data/prepared/train.csv"), read_rows("data/prepared/test.csv")
stats = {}
for name in names:
    values = [float(r[name]) for r in train]
    mean = sum(values) / len(values)
    std = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5 or 1.0
    stats[name] = (mean, std) if p["scale"] else (0.0, 1.0)
for split, rows in (("train", train), ("test", test)):
    out = []
    for r in rows:
        row = {n: round((float(r[n]) - stats[n][0]) / stats[n][1], 6) for n in names}
        row["label"] = r["label"]
        out.append(row)
    write_rows(f"data/features/{split}.csv", out, [*names, "label"])
""",
    "src/train.py": """\
import json
import math

from common import params, read_rows

p, k = params("train"), params("featurize")["n_features"]
names = [f"f{i}" for i in range(k)]
rows = read_rows("data/features/train.csv")
xs = [[float(r[n]) for n in names] for r in rows]
ys = [int(r["label"]) for r in rows]
w, b = [0.0] * k, 0.0
for _ in range(p["epochs"]):
    gw, gb = [0.0] * k, 0.0
    for x, y in zip(xs, ys):
        z = max(-30.0, min(30.0, b + sum(wi * xi for wi, xi in zip(w, x))))
        err = 1 / (1 + math.exp(-z)) - y
        gw = [g + err * xi for g, xi in zip(gw, x)]
        gb += err
    w = [wi - p["lr"] * (g / len(xs) + p["l2"] * wi) for wi, g in zip(w, gw)]
    b -= p["lr"] * gb / len(xs)
with open("model.json", "w") as f:
    json.dump({"features": names, "weights": w, "bias": b}, f)
""",
    "src/importance.py": """\
import json
from pathlib import Path

from common import write_rows

model = json.loads(Path("model.json").read_text())
pairs = list(zip(model["features"], model["weights"]))
write_rows(
    "plots/importance.csv",
    [{"feature": n, "weight": round(w, 6)} for n, w in pairs],
    ["feature", "weight"],
)
Path("metrics").mkdir(exist_ok=True)
norm = sum(w * w for _, w in pairs) ** 0.5
Path("metrics/model.json").write_text(
    json.dumps({"weight_norm": norm, "features": len(pairs), "bias": model["bias"]}, indent=2)
)
""",
    "src/evaluate.py": """\
import json
import math
from pathlib import Path

from common import params, read_rows, write_rows

p = params("evaluate")
model = json.loads(Path("model.json").read_text())
rows = read_rows("data/features/test.csv")
scored = []
for r in rows:
    z = model["bias"] + sum(w * float(r[n]) for n, w in zip(model["features"], model["weights"]))
    scored.append((1 / (1 + math.exp(-max(-30.0, min(30.0, z)))), int(r["label"])))
pos = sum(y for _, y in scored)
neg = len(scored) - pos
pred = [(int(s > p["threshold"]), y) for s, y in scored]
tp = sum(1 for q, y in pred if q and y)
fp = sum(1 for q, y in pred if q and not y)
tn = sum(1 for q, y in pred if not q and not y)
fn = len(pred) - tp - fp - tn
roc, pr = [], []
for i in range(p["bins"] + 1):
    t = i / p["bins"]
    ctp = sum(1 for s, y in scored if s >= t and y)
    cfp = sum(1 for s, y in scored if s >= t and not y)
    roc.append({"threshold": t, "fpr": cfp / neg, "tpr": ctp / pos})
    if ctp + cfp:
        pr.append({"threshold": t, "recall": ctp / pos, "precision": ctp / (ctp + cfp)})
ranked = sorted(scored)
rank_sum = sum(i + 1 for i, (_, y) in enumerate(ranked) if y)
auc = (rank_sum - pos * (pos + 1) / 2) / (pos * neg)
metrics = {
    "accuracy": (tp + tn) / len(pred),
    "roc_auc": auc,
    "precision": tp / (tp + fp) if tp + fp else 0.0,
    "recall": tp / pos,
    "per_class": {"0": {"recall": tn / neg}, "1": {"recall": tp / pos}},
    "confusion": {"tp": tp, "fp": fp, "tn": tn, "fn": fn},
}
Path("metrics").mkdir(exist_ok=True)
Path("metrics/eval.json").write_text(json.dumps(metrics, indent=2))
Path("plots").mkdir(exist_ok=True)
Path("plots/roc.json").write_text(json.dumps({"roc": roc}, indent=2))
write_rows("plots/pr.csv", pr, ["threshold", "recall", "precision"])
write_rows(
    "plots/confusion.csv",
    [{"actual": y, "predicted": q} for q, y in pred],
    ["actual", "predicted"],
)
""",
}


def raw_csv(rows: int, seed: int = 0) -> str:
    """A labelled table: an id, eight numeric features, a segment; the label follows
    three of the features, with noise."""
    rng = random.Random(seed)
    lines = ["id," + ",".join(f"f{i}" for i in range(8)) + ",segment,label"]
    for i in range(rows):
        xs = [rng.gauss(0, 1) for _ in range(8)]
        score = 1.2 * xs[0] - 0.8 * xs[1] + 0.5 * xs[2] + rng.gauss(0, 1)
        cells = ",".join(f"{x:.5f}" for x in xs)
        lines.append(f"{i},{cells},{rng.choice('abcd')},{int(score > 0)}")
    return "\n".join(lines) + "\n"


def build_pipeline(root: Path, rows: int = 4000) -> tuple[Path, str]:
    """The six-stage project: `main` with the pipeline run and committed, then `feature`
    (checked out) with `evaluate.threshold` changed, re-run and committed."""
    new_repo(root)
    for name, text in PROJECT_FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "data").mkdir()
    (root / "data" / "raw.csv").write_text(raw_csv(rows))
    sh(root, str(BIN / "dvc"), "add", "-q", "data/raw.csv")
    sh(root, str(BIN / "dvc"), "repro", "-q")
    sh(root, "git", "add", "-A")
    sh(root, "git", "commit", "-q", "-m", "pipeline")
    sh(root, "git", "checkout", "-q", "-b", "feature")
    params = root / "params.yaml"
    params.write_text(params.read_text().replace("threshold: 0.5 ", "threshold: 0.42"))
    sh(root, str(BIN / "dvc"), "repro", "-q")
    sh(root, "git", "add", "-A")
    sh(root, "git", "commit", "-q", "-m", "evaluate: threshold 0.5 -> 0.42")
    return root, sh(root, "git", "rev-parse", "main").strip()


def build_demo(root: Path) -> tuple[Path, str]:
    from mlci.commands.demo import build_workspace

    project = build_workspace(root, "pass", emit=lambda line: None).project
    return project, sh(project, "git", "merge-base", "HEAD", "origin/main").strip()


# --- timing ----------------------------------------------------------------------------


def timed(
    cmd: list[str] | str, cwd: Path, shell: bool = False, pythonpath: str | None = None
) -> float:
    env = {**os.environ, "PYTHONPATH": pythonpath} if pythonpath else None
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, shell=shell, check=False, capture_output=True, env=env)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:  # a failing side would be timed on its error path
        raise SystemExit(f"{cmd} failed in {cwd}:\n{done.stderr.decode()[-2000:]}")
    return elapsed


MLCI = [str(BIN / "mlci"), "check", "--no-tests"]


def hand_written(base: str) -> str:
    return f"dvc repro && dvc metrics diff {base} --md && dvc params diff {base} --md"


def warm_up(project: Path, base: str, baseline: str | None) -> None:
    """The first run re-runs what changed; after it both sides find the pipeline up to
    date. A check that fails here would time an error path: stop instead."""
    first = subprocess.run(MLCI, cwd=project, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stdout + first.stderr
    timed(hand_written(base), project, shell=True)
    if baseline:
        timed(MLCI, project, pythonpath=baseline)


def row(name: str, times: list[float]) -> str:
    return f"| {name} | {statistics.median(times):.2f} | {min(times):.2f} | {max(times):.2f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--projects", default="demo,pipeline")
    parser.add_argument(
        "--baseline",
        metavar="DIR",
        help="a copy of an earlier mlci (its mlci/ and templates/, e.g. from `git archive`): "
        "its `mlci check` is timed too, in the same alternation, with PYTHONPATH=DIR",
    )
    args = parser.parse_args()

    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ['PATH']}"
    compile_mlci(*([Path(args.baseline)] if args.baseline else []))
    tmp = Path(tempfile.mkdtemp(prefix="mlci-bench-"))
    builders = {"demo": build_demo, "pipeline": build_pipeline}
    projects = {}
    for name in args.projects.split(","):
        projects[name] = builders[name](tmp / name)
        warm_up(*projects[name], args.baseline)

    hand: dict[str, list[float]] = {name: [] for name in projects}
    mlci: dict[str, list[float]] = {name: [] for name in projects}
    old: dict[str, list[float]] = {name: [] for name in projects}
    for _ in range(args.runs):
        for name, (project, base) in projects.items():
            hand[name].append(timed(hand_written(base), project, shell=True))
            mlci[name].append(timed(MLCI, project))
            if args.baseline:
                old[name].append(timed(MLCI, project, pythonpath=args.baseline))
    first = next(iter(projects.values()))[0]
    help_times = [timed([str(BIN / "mlci"), "--help"], first) for _ in range(args.runs)]

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    )
    print(f"runs: {args.runs} each, alternating; seconds\n")
    print("| project | command | median s | min s | max s |")
    print("|---|---|--:|--:|--:|")
    for name in projects:
        print(row(f"{name} | hand-written dvc repro + metrics diff + params diff", hand[name]))
        print(row(f"{name} | mlci check --no-tests", mlci[name]))
        if args.baseline:
            print(row(f"{name} | baseline mlci check --no-tests", old[name]))
    print(row("- | mlci --help", help_times))
    print()
    for name in projects:
        ratio = statistics.median(mlci[name]) / statistics.median(hand[name])
        fastest = min(mlci[name]) / min(hand[name])
        print(
            f"{name}: ratio mlci / hand-written {ratio:.2f} (goal <= 0.4); "
            f"fastest runs {fastest:.2f}"
        )
        if args.baseline:
            before = statistics.median(old[name]) / statistics.median(hand[name])
            print(f"{name}: baseline ratio {before:.2f}")


if __name__ == "__main__":
    main()
