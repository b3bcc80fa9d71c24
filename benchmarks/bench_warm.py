"""Warm CI: what keeping DVC's cache between runs saves, simulated with real git and DVC.

    python benchmarks/bench_warm.py [--stage-seconds S]

A four-stage pipeline (prepare -> featurize -> train -> evaluate, each stage
costing ``S`` seconds of work, default 2, train twice that) with a local-directory
DVC remote and a bare git "origin". Each CI run is a fresh clone, as on a hosted
runner; "the cache" is DVC's cache directory (.dvc/cache, which holds the
run-cache under runs/), saved and restored the way the generated workflows do with
actions/cache, under GitHub's scoping rules: a pull request's run restores what its
own earlier runs or the default branch saved; what it saves is visible to nothing
else (simulated by one store per scope).

Runs, each timed (`mlci check --no-tests`, which pulls, re-runs what is stale and
diffs):

1. main: the default branch's job (a push), cold; saves the cache in main's scope.
2. PR #1 (changes train.C: train and evaluate are stale), first run: restores
   main's cache; train and evaluate run.
3. PR #1, second run (a re-run, or a push that changes nothing in the pipeline):
   restores PR #1's cache; train and evaluate are restored from the run-cache.
4. PR #2 (changes evaluate.threshold, the last stage), first run, restoring
   main's cache: prepare, featurize and train are not re-run, only evaluate.
5. PR #2 again cold (no cache restored) for comparison: the outputs come from the
   remote instead (`dvc pull`), evaluate runs.

Which stages ran and which were restored is read from DVC's own output (`Running
stage 'x'`, `Stage 'x' is cached - skipping run`) and asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
STAGES = ("prepare", "featurize", "train", "evaluate")
RAN = re.compile(r"Running stage '([^']+)'")
RESTORED = re.compile(r"Stage '([^']+)' is cached - skipping run")

SCRIPT = """\
import json, sys, time
import yaml

stage, seconds = sys.argv[1], float(sys.argv[2])
params = yaml.safe_load(open("params.yaml"))
time.sleep(seconds)  # the stage's work
inputs = {"prepare": None, "featurize": "data/prepared.txt", "train": "data/features.txt",
          "evaluate": "model.txt"}[stage]
text = open(inputs).read() if inputs else "raw"
out = {"prepare": "data/prepared.txt", "featurize": "data/features.txt", "train": "model.txt"}
if stage == "evaluate":
    score = 0.9 - abs(params["train"]["C"] - 1.0) * 0.01 - params["evaluate"]["threshold"] * 0.01
    json.dump({"accuracy": round(score, 4), "loss": round(1 - score, 4)}, open("metrics.json", "w"))
else:
    open(out[stage], "w").write(f"{text}|{stage}:{json.dumps(params)}")
"""


def dvc_yaml(seconds: float) -> str:
    def stage(name: str, deps: list[str], params: list[str], outs: str, cost: float) -> str:
        lines = [f"  {name}:", f"    cmd: python stage.py {name} {cost}", "    deps:"]
        lines += [f"      - {dep}" for dep in ["stage.py", *deps]]
        if params:
            lines += ["    params:"] + [f"      - {p}" for p in params]
        lines += [outs]
        return "\n".join(lines)

    return "stages:\n" + "\n".join(
        [
            stage("prepare", [], ["prepare.n"], "    outs:\n      - data/prepared.txt", seconds),
            stage(
                "featurize",
                ["data/prepared.txt"],
                [],
                "    outs:\n      - data/features.txt",
                seconds,
            ),
            stage(
                "train",
                ["data/features.txt"],
                ["train.C"],
                "    outs:\n      - model.txt",
                2 * seconds,
            ),
            stage(
                "evaluate",
                ["model.txt"],
                ["evaluate.threshold", "train.C"],
                "    metrics:\n      - metrics.json:\n          cache: false",
                seconds,
            ),
        ]
    )


def sh(cwd: Path, *cmd: str) -> str:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed in {cwd}:\n{done.stdout}\n{done.stderr}")
    return done.stdout + done.stderr


def params(c: float, threshold: float) -> str:
    return f"prepare:\n  n: 100\ntrain:\n  C: {c}\nevaluate:\n  threshold: {threshold}\n"


def setup(root: Path, seconds: float) -> tuple[Path, Path]:
    """origin (bare git), remote (DVC directory remote), and main with the pipeline run
    and pushed by its author, plus two pull request branches that only change params."""
    origin, remote, dev = root / "origin.git", root / "remote", root / "dev"
    sh(root, "git", "init", "-q", "--bare", "-b", "main", str(origin))
    sh(root, "git", "clone", "-q", str(origin), str(dev))
    sh(dev, "git", "config", "user.email", "bench@example.com")
    sh(dev, "git", "config", "user.name", "bench")
    sh(dev, str(BIN / "dvc"), "init", "-q")
    sh(dev, str(BIN / "dvc"), "remote", "add", "-d", "storage", str(remote))
    (dev / "data").mkdir()
    (dev / "stage.py").write_text(SCRIPT)
    (dev / "dvc.yaml").write_text(dvc_yaml(seconds) + "\n")
    (dev / "params.yaml").write_text(params(1.0, 0.5))
    (dev / "mlci.yaml").write_text("metrics:\n  - key: accuracy\n    min: 0.5\n")
    (dev / ".gitignore").write_text("report.md\nreport.html\nmlci-results.json\n")
    sh(dev, str(BIN / "dvc"), "repro", "-q")
    sh(dev, str(BIN / "dvc"), "push", "-q")
    sh(dev, "git", "add", "-A")
    sh(dev, "git", "commit", "-q", "-m", "pipeline")
    sh(dev, "git", "push", "-q", "origin", "main")
    for branch, text in (("pr-1", params(2.0, 0.5)), ("pr-2", params(1.0, 0.7))):
        sh(dev, "git", "checkout", "-q", "-b", branch, "main")
        (dev / "params.yaml").write_text(text)
        sh(dev, "git", "commit", "-q", "-am", f"{branch}: change params")
        sh(dev, "git", "push", "-q", "origin", branch)
    return origin, remote


def ci_run(
    root: Path, origin: Path, branch: str, name: str, restore: Path | None, save: Path | None
) -> tuple[float, list[str], list[str]]:
    """A fresh clone of ``branch``, the cache restored from ``restore``, `mlci check`,
    the cache saved to ``save``: (seconds of mlci check, stages run, stages restored)."""
    work = root / "runs" / name
    sh(root, "git", "clone", "-q", "--branch", branch, str(origin), str(work))
    sh(work, "git", "fetch", "-q", "origin", "main:refs/remotes/origin/main")
    cache = work / ".dvc" / "cache"
    if restore is not None and restore.exists():
        shutil.copytree(restore, cache, dirs_exist_ok=True)  # actions/cache/restore
    env = {**os.environ, "MLCI_BASE": "origin/main"}
    start = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "mlci"), "check", "--no-tests"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"mlci check failed in {name}:\n{done.stdout}\n{done.stderr}")
    output = done.stdout + done.stderr
    if save is not None and cache.exists():  # actions/cache/save, in this run's scope
        shutil.rmtree(save, ignore_errors=True)
        shutil.copytree(cache, save)
    return seconds, RAN.findall(output), RESTORED.findall(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage-seconds", type=float, default=2.0)
    args = parser.parse_args()
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ['PATH']}"

    root = Path(tempfile.mkdtemp(prefix="mlci-bench-warm-"))
    origin, _remote = setup(root, args.stage_seconds)
    scopes = root / "actions-cache"  # one directory per cache scope
    main_scope, pr1_scope, pr2_scope = scopes / "main", scopes / "pr-1", scopes / "pr-2"

    runs = [
        ("main, cold (saves main's cache)", "main", None, main_scope),
        ("PR #1 (train.C), first run, main's cache", "pr-1", main_scope, pr1_scope),
        ("PR #1, second run, its own cache", "pr-1", pr1_scope, pr1_scope),
        ("PR #2 (evaluate.threshold), main's cache", "pr-2", main_scope, pr2_scope),
        ("PR #2, cold (no cache)", "pr-2", None, None),
    ]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; stage cost {args.stage_seconds:g} s (train twice)\n"
    )
    print("| CI run | mlci check s | stages run | restored from run-cache |")
    print("|---|--:|---|---|")
    found = {}
    for i, (label, branch, restore, save) in enumerate(runs):
        seconds, ran, restored = ci_run(root, origin, branch, f"run-{i}", restore, save)
        found[i] = (ran, restored)
        print(
            f"| {label} | {seconds:.1f} | {', '.join(ran) or '—'} | {', '.join(restored) or '—'} |",
            flush=True,
        )
    # What DVC said, asserted: the warm runs re-run nothing that ran before.
    assert found[0][0] == [], found[0]  # main is up to date: outputs pulled, nothing run
    assert found[1][0] == ["train", "evaluate"], found[1]
    assert found[2][0] == [] and set(found[2][1]) == {"train", "evaluate"}, found[2]
    assert found[3][0] == ["evaluate"], found[3]
    assert found[4][0] == ["evaluate"], found[4]
    print("\nasserted from DVC's output: the second run of PR #1 re-ran no stage (train and")
    print("evaluate restored from the run-cache); PR #2 ran only evaluate.")


if __name__ == "__main__":
    main()
