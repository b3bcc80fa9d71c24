"""`mlci demo`: a throwaway workspace where a pull request changes a real DVC pipeline.

Layout of the workspace::

    origin.git/     bare git remote ("GitHub")
    dvc-storage/    DVC remote (a local directory)
    project/        a clone: `main` with the pipeline run and pushed, then a PR branch
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mlci import dvc, resources
from mlci.errors import DvcError, MlciError, UsageError
from mlci.git import repo as git
from mlci.git.repo import clean_env

DEMO_USER = ("mlci demo", "demo@mlci.invalid")


@dataclass(frozen=True)
class Scenario:
    summary: str
    params: dict[str, object]  # "section.key" -> new value in params.yaml
    # Arguments for src/fetch_data.py when the pull request brings a new data export.
    export: tuple[str, ...] | None = None


SCENARIOS = {
    "pass": Scenario(
        summary="Tune the regularisation: C 1.0 -> 0.5",
        params={"train.C": 0.5},
    ),
    "fail": Scenario(
        summary="Regularise harder against overfitting: C 1.0 -> 0.0005",
        params={"train.C": 0.0005},
    ),
    "noise": Scenario(
        summary="Raise the decision threshold: 0.5 -> 0.535",
        params={"evaluate.threshold": 0.535},
    ),
    "drift": Scenario(
        summary="Refresh data/raw.csv from the new export",
        params={},
        export=("--new-export",),
    ),
}


@dataclass(frozen=True)
class Workspace:
    root: Path
    project: Path
    origin: Path
    storage: Path
    branch: str


def set_params(params_file: Path, changes: dict[str, object]) -> None:
    """Set ``section.key: value`` in params.yaml, keeping its comments and layout.

    Only a key directly under a top-level section is changed; the value is replaced
    in place, so a trailing comment stays.
    """
    lines = params_file.read_text(encoding="utf-8").splitlines(keepends=True)
    for dotted, value in changes.items():
        section, _, key = dotted.partition(".")
        index = _find_param(lines, section, key)
        if index is None:
            raise UsageError(f"{params_file}: no '{dotted}' to change")
        line = lines[index]
        start = line.index(":") + 1
        start += len(line[start:]) - len(line[start:].lstrip(" \t"))
        value_end = re.match(r"[^\s#]*", line[start:])  # matches always: * allows empty
        end = start + (len(value_end.group()) if value_end else 0)
        lines[index] = f"{line[:start]}{value}{line[end:]}"
    params_file.write_text("".join(lines), encoding="utf-8")


def _find_param(lines: list[str], section: str, key: str) -> int | None:
    """Index of the line of ``key`` directly under top-level ``section``."""
    header = re.compile(rf"{re.escape(section)}:[ \t]*(#.*)?$")
    in_section, child_indent = False, None
    for index, line in enumerate(lines):
        text = line.rstrip("\n")
        stripped = text.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(text) - len(stripped)
        if indent == 0:
            in_section = bool(header.match(text))
            child_indent = None
            continue
        if not in_section:
            continue
        child_indent = indent if child_indent is None else child_indent
        if indent == child_indent and re.match(rf"{re.escape(key)}:(\s|$)", stripped):
            return index
    return None


def _export_data(project: Path, args: tuple[str, ...], emit: Callable[[str], None]) -> None:
    """Write data/raw.csv with the project's own script and track it with DVC."""
    emit(f"$ python src/fetch_data.py {' '.join(args)} && dvc add data/raw.csv".replace("  ", " "))
    completed = subprocess.run(
        [sys.executable, "src/fetch_data.py", *args],
        cwd=project,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise DvcError(f"src/fetch_data.py failed in {project}: {completed.stderr.strip()[-500:]}")
    dvc.run_dvc(project, ["add", "--quiet", "data/raw.csv"], emit, what="add data/raw.csv")
    git.run(project, "add", "data/raw.csv.dvc", "data/.gitignore")


def _need_demo_extra() -> None:
    """The example pipeline trains with pandas and scikit-learn and tests with pytest."""
    import importlib.util

    missing = [
        name for name in ("pandas", "sklearn", "pytest") if not importlib.util.find_spec(name)
    ]
    if missing:
        raise MlciError(
            f"the demo needs {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
            "not installed",
            hint="pip install 'mlci[demo]' (or run `make demo` in a clone of mlci)",
        )


def build_workspace(
    dest: Path, scenario: str, emit: Callable[[str], None], source: Path | None = None
) -> Workspace:
    """Create origin, DVC storage and a project clone with `main` pushed and a PR branch."""
    _need_demo_extra()
    if scenario not in SCENARIOS:
        raise UsageError(
            f"unknown scenario '{scenario}'", hint="use one of: " + ", ".join(SCENARIOS)
        )
    if dest.exists() and any(dest.iterdir()):
        raise UsageError(f"--workspace {dest} is not empty", hint="name a new or empty folder")
    source = source or resources.example_project_dir()
    origin, storage, project = dest / "origin.git", dest / "dvc-storage", dest / "project"
    storage.mkdir(parents=True)
    git.run(dest, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    shutil.copytree(
        source,
        project,
        ignore=shutil.ignore_patterns(
            ".venv",
            "__pycache__",
            ".pytest_cache",
            "*.pyc",
            "model.pkl",
            "data",
            "plots",
            "metrics.json",
            "dvc.lock",
            ".dvc",
        ),
    )
    git.run(project, "init", "--quiet", "--initial-branch=main")
    git.run(project, "config", "user.name", DEMO_USER[0])
    git.run(project, "config", "user.email", DEMO_USER[1])
    git.run(project, "remote", "add", "origin", str(origin))
    dvc.run_dvc(project, ["init", "--quiet"], emit, what="init")
    dvc.run_dvc(project, ["config", "core.analytics", "false"], emit, what="config")
    dvc.run_dvc(project, ["remote", "add", "-d", "storage", str(storage)], emit, what="remote add")
    _export_data(project, (), emit)
    emit("$ dvc repro   # on main")
    dvc.run_dvc(project, ["repro"], emit, what="repro")
    git.run(project, "add", "--all")
    git.run(project, "commit", "--quiet", "-m", "Train the baseline model")
    dvc.run_dvc(project, ["push", "--quiet"], emit, what="push")
    git.run(project, "push", "--quiet", "--set-upstream", "origin", "main")

    branch = f"pr/{scenario}"
    change = SCENARIOS[scenario]
    git.run(project, "checkout", "--quiet", "-b", branch)
    set_params(project / "params.yaml", change.params)
    if change.export is not None:
        _export_data(project, change.export, emit)
        dvc.run_dvc(project, ["push", "--quiet"], emit, what="push")
    git.run(project, "commit", "--quiet", "--all", "-m", change.summary)
    return Workspace(root=dest, project=project, origin=origin, storage=storage, branch=branch)
