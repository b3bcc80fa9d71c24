"""Time mlci's paired comparison of two models' predictions against a hand-written
scikit-learn + numpy paired bootstrap over rows, in one run.

    python benchmarks/bench_paired.py [--rows N] [--resamples R] [--hand-resamples H]

Each case is 1 million examples (``--rows``) scored by a base and a head model,
generated in memory with a fixed seed, and compared with 2,000 resamples:

- ``binary`` / ``10-class``: every count-based metric (accuracy, balanced
  accuracy, precision/recall/F1 — per class and macro for 10 classes) with its
  paired interval, and McNemar's test;
- ``binary + scores``: the same plus ROC AUC and log loss (rows needed);
- ``regression``: MAE, RMSE and R²;
- ``binary + scores, 20 slices``: every metric overall and for each of 20 slices
  (goal: within 2x the unsliced time; no hand-written counterpart).

mlci runs :func:`mlci.judge.significance.compare` (files are not read: the goal
is stated beyond reading them). The hand-written bootstrap is what a data
scientist would write: per replicate, draw n row indices with replacement and call
scikit-learn's metric functions on both models' predictions of those rows
(``accuracy_score``, ``balanced_accuracy_score``, ``precision_recall_fscore_support``;
``roc_auc_score``, ``log_loss``; ``mean_absolute_error``,
``root_mean_squared_error``, ``r2_score``). It takes seconds per replicate at a
million rows, so it runs ``--hand-resamples`` replicates (default 5) and its time
is scaled linearly to ``--resamples``: the output says so.

Every measurement runs in its own subprocess; wall time covers the comparison
only (not generating the data), peak RSS (``ru_maxrss`` from ``os.wait4``) the
whole child. Goals (issue 14): count-based ≤ 1 s and ≤ 0.02 x hand-written;
row-based ≤ 15 s, ≤ 0.25 x hand-written, peak memory ≤ 1 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CASES = ("binary", "10-class", "binary + scores", "regression", "binary + scores, 20 slices")
SLICED = "binary + scores, 20 slices"


def _paired(case: str, rows: int) -> Any:
    import numpy as np

    from mlci.judge.significance import Paired, Slicing

    if case == SLICED:
        import dataclasses

        whole = _paired("binary + scores", rows)
        codes = np.random.default_rng(2).integers(0, 20, rows)
        slicing = Slicing("segment", tuple(f"s{i:02d}" for i in range(20)), codes)
        return dataclasses.replace(whole, slices=(slicing,))
    rng = np.random.default_rng(0)
    if case == "regression":
        labels = rng.normal(50, 10, rows)
        return Paired(
            "regression", labels, labels + rng.normal(0, 3, rows), labels + rng.normal(0, 2.9, rows)
        )
    classes = 10 if case == "10-class" else 2
    labels = rng.integers(0, classes, rows)

    def model(right: float) -> Any:
        wrong = (labels + rng.integers(1, classes, rows)) % classes
        return np.where(rng.random(rows) < right, labels, wrong)

    scores: tuple[Any, Any] = (None, None)
    if case == "binary + scores":
        scores = (
            np.clip(0.3 * labels + 0.7 * rng.random(rows), 0, 1),
            np.clip(0.31 * labels + 0.69 * rng.random(rows), 0, 1),
        )
    return Paired(
        "binary" if classes == 2 else "multiclass",
        labels,
        model(0.90),
        model(0.901),
        tuple(str(i) for i in range(classes)),
        1,
        *scores,
    )


def _mlci(case: str, rows: int, resamples: int) -> float:
    from mlci.judge.significance import Settings, compare

    paired = _paired(case, rows)
    start = time.perf_counter()
    compare(paired, Settings(resamples=resamples))
    return time.perf_counter() - start


def _hand(case: str, rows: int, resamples: int) -> float:
    import numpy as np
    from sklearn import metrics as skm

    paired = _paired(case, rows)
    rng = np.random.default_rng(1)
    start = time.perf_counter()
    for _ in range(resamples):
        idx = rng.integers(0, rows, rows)
        y = paired.labels[idx]
        for predictions, scores in (
            (paired.base, paired.base_scores),
            (paired.head, paired.head_scores),
        ):
            yhat = predictions[idx]
            if case == "regression":
                skm.mean_absolute_error(y, yhat)
                skm.root_mean_squared_error(y, yhat)
                skm.r2_score(y, yhat)
                continue
            skm.accuracy_score(y, yhat)
            skm.balanced_accuracy_score(y, yhat)
            average = "binary" if case != "10-class" else None
            skm.precision_recall_fscore_support(y, yhat, average=average, zero_division=0)
            if case == "10-class":
                skm.precision_recall_fscore_support(y, yhat, average="macro", zero_division=0)
            if scores is not None:
                skm.roc_auc_score(y, scores[idx])
                skm.log_loss(y, scores[idx])
    return time.perf_counter() - start


def _child(args: argparse.Namespace) -> None:
    run = _mlci if args.side == "mlci" else _hand
    print(json.dumps({"seconds": run(args.case, args.rows, args.resamples)}))


def _measure(side: str, case: str, rows: int, resamples: int) -> tuple[float, float]:
    """Seconds and peak RSS (MiB) of one measurement in its own process."""
    command = [
        sys.executable,
        __file__,
        "--child",
        "--side",
        side,
        "--case",
        case,
        "--rows",
        str(rows),
        "--resamples",
        str(resamples),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"{side} {case} failed")
    return json.loads(out)["seconds"], usage.ru_maxrss / 1024


def _versions() -> str:
    import duckdb
    import numpy
    import scipy
    import sklearn

    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {numpy.__version__}, scipy {scipy.__version__}, "
        f"scikit-learn {sklearn.__version__}, duckdb {duckdb.__version__}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--hand-resamples", type=int, default=5)
    parser.add_argument("--cases", default=";".join(CASES), help="separated by ;")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--side", help=argparse.SUPPRESS)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    print(_versions())
    print(
        f"{args.rows:,} rows, {args.resamples:,} resamples; hand-written: "
        f"{args.hand_resamples} resamples, time scaled linearly to {args.resamples:,}"
    )
    print("| case | mlci s | mlci peak MiB | hand-written s (scaled) | ratio |")
    print("|---|--:|--:|--:|--:|")
    timings = {}
    for case in args.cases.split(";"):
        seconds, peak = _measure("mlci", case, args.rows, args.resamples)
        timings[case] = seconds
        if case == SLICED:  # the goal compares it with the unsliced run, not by hand
            print(f"| {case} | {seconds:.2f} | {peak:.0f} | | |")
            continue
        hand, _ = _measure("hand", case, args.rows, args.hand_resamples)
        scaled = hand * args.resamples / args.hand_resamples
        print(f"| {case} | {seconds:.2f} | {peak:.0f} | {scaled:,.0f} | {seconds / scaled:.2g} |")
    if SLICED in timings and "binary + scores" in timings:
        ratio = timings[SLICED] / timings["binary + scores"]
        print(f"20 slices / unsliced: {ratio:.2f} (goal <= 2)")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
