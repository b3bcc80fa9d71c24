"""`mlci init`: write mlci.yaml (gates for the metrics the project has) and the workflows.

Each file that is missing is written; an existing file is left alone unless
``--force`` names it. The workflows install exactly the mlci that wrote them.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from mlci import __version__, dvc, resources
from mlci.config import CONFIG_FILE, ShardConfig
from mlci.errors import UsageError
from mlci.flow import discover_projects, open_project, work_tree_config
from mlci.git.repo import Repository
from mlci.judge.diff import direction
from mlci.numbers import is_number
from mlci.results import Value

WORKFLOWS = {
    False: {"mlci.yml": "mlci.yml"},
    True: {
        "mlci-compute.yml": "mlci-fork-compute.yml",
        "mlci-publish.yml": "mlci-fork-publish.yml",
    },
}
_MAX_RULES = 12
GITLAB_CI_FILE = ".gitlab-ci.yml"
GITLAB_TEMPLATE = "gitlab/gitlab-ci.yml"
GITLAB = "GitLab CI jobs: set the MLCI_GITLAB_TOKEN variable as its comments say"


@dataclass(frozen=True)
class Written:
    path: Path
    description: str
    action: str = "wrote"  # wrote | replaced | kept


@dataclass(frozen=True)
class InitReport:
    files: tuple[Written, ...]
    notes: tuple[str, ...] = ()


def install_requirement(direct_url: Mapping[str, Any] | None, version: str) -> tuple[str, str]:
    """What a workflow should ``pip install`` to get this very mlci, and a note.

    PEP 610's ``direct_url.json`` says where an installed distribution came from: a
    VCS URL is pinned to its commit, an archive URL is kept with its hash; an index
    install (no file) is pinned to its version. A local folder cannot be installed
    on a runner, so the version is pinned and the note says to check it is published.
    """
    if direct_url is None:
        return f"mlci=={version}", ""
    url = direct_url.get("url")
    vcs = direct_url.get("vcs_info")
    if isinstance(url, str) and isinstance(vcs, Mapping):
        commit = vcs.get("commit_id")
        kind = vcs.get("vcs")
        if isinstance(commit, str) and re.fullmatch(r"[0-9a-f]{40,64}", commit) and kind:
            return f"mlci @ {kind}+{url}@{commit}", ""
    archive = direct_url.get("archive_info")
    if isinstance(url, str) and not url.startswith("file:") and isinstance(archive, Mapping):
        digest = archive.get("hash")
        return f"mlci @ {url}" + (f"#{digest}" if isinstance(digest, str) else ""), ""
    return f"mlci=={version}", (
        f"mlci is installed from a local folder here; the workflows install mlci=={version} "
        "from PyPI: make sure that version is published, or edit the install lines."
    )


def _this_mlci() -> tuple[str, str]:
    try:
        dist = metadata.distribution("mlci")
        text = dist.read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return install_requirement(None, __version__)
    try:
        found = json.loads(text) if text else None
    except ValueError:
        found = None
    return install_requirement(found if isinstance(found, dict) else None, __version__)


def _workflow_text(template: str, requirement: str, branch: str) -> str:
    """The template with the install lines pinned and the default branch filled in."""
    text = re.sub(
        r"(pip install )mlci$",
        lambda m: m.group(1) + shlex.quote(requirement),
        template,
        flags=re.M,
    )
    return text.replace("branches: [main]", f"branches: [{json.dumps(branch)}]")


def _config_text(
    metrics: Mapping[str, Mapping[str, Value]], branch: str, unreadable: Collection[str] = ()
) -> str:
    lines = [
        "# mlci gates: the keys are described in mlci's README, section Configuration.",
        "# The base branch's copy of this file is what gates a pull request.",
        f"base: {json.dumps(branch)}",
    ]
    rules = [
        (file, key, value)
        for file, values in sorted(metrics.items())
        for key, value in sorted(values.items())
        if is_number(value)
    ]
    if not rules and unreadable:
        lines += [
            "metrics: []",
            f"# Metrics files exist but could not be read: {', '.join(unreadable)}",
            "# (`dvc pull` them and run `mlci init --force mlci.yaml`). A rule looks like:",
            "#  - key: accuracy",
            "#    min: 0.9",
            "#    max_drop: 0.01",
        ]
    elif not rules:
        lines += [
            "metrics: []",
            "# No numeric metrics found yet (run `dvc repro` first?). A rule looks like:",
            "#  - key: accuracy",
            "#    min: 0.9",
            "#    max_drop: 0.01",
        ]
    else:
        lines.append("metrics:  # starting points: tighten or loosen to taste")
        for file, key, _value in rules[:_MAX_RULES]:
            lines.append(f'  - key: "{key}"')
            if len(metrics) > 1:
                lines.append(f'    file: "{file}"')
            if direction(key) == "lower":
                lines.append("    higher_is_better: false")
            lines.append("    max_drop_pct: 2")
        if len(rules) > _MAX_RULES:
            lines.append(f"  # … {len(rules) - _MAX_RULES} more metrics not gated")
    lines += ["report:", "  title: Model report", ""]
    return "\n".join(lines)


def run_init(
    path: Path, *, fork_safe: bool, force: Collection[str] = (), gitlab: bool = False
) -> InitReport:
    """Write mlci.yaml at the DVC root and the workflow(s) under .github/workflows/, or
    with ``gitlab`` the two GitLab CI jobs in .gitlab-ci.yml at the repository root.

    A file that exists is kept unless ``force`` names it (its path from the
    repository root, as init prints it); a name in ``force`` that init does not
    write is a usage error.
    """
    if gitlab and fork_safe:
        raise UsageError(
            "--gitlab and --fork-safe cannot be combined",
            hint="the GitLab jobs are already split: the check runs without the token, "
            "and merge requests from forks run their pipelines in the fork",
        )
    project = open_project(path)
    root = project.git.root
    branch = project.git.default_branch() or project.git.head().name
    requirement, install_note = _this_mlci()
    targets: list[tuple[Path, str, str]] = []
    config_path = project.dvc_root / CONFIG_FILE
    with dvc.DvcRepo(project.dvc_root) as repo, repo.at(dvc.WORKSPACE, "head") as head:
        snapshot = head.metrics()
    unreadable = sorted({f"{e.file} ({e.message})" for e in snapshot.errors})
    targets.append((config_path, _config_text(snapshot.values, branch, unreadable), "gates"))
    workflows = root / ".github" / "workflows"
    if gitlab:
        text = (resources.templates_dir() / GITLAB_TEMPLATE).read_text(encoding="utf-8")
        targets.append((root / GITLAB_CI_FILE, _workflow_text(text, requirement, branch), GITLAB))
    for name, template in () if gitlab else WORKFLOWS[fork_safe].items():
        text = (resources.templates_dir() / "workflows" / template).read_text(encoding="utf-8")
        targets.append(
            (workflows / name, _workflow_text(text, requirement, branch), "GitHub Actions workflow")
        )
    files = _write_targets(root, targets, force)
    notes = [install_note] if install_note else []
    other = {} if gitlab else WORKFLOWS[not fork_safe]
    present = [workflows / name for name in other if (workflows / name).exists()]
    if present:
        shown = ", ".join(p.relative_to(root).as_posix() for p in present)
        notes.append(
            f"{shown} also exist{'s' if len(present) == 1 else ''}: both patterns would run "
            "on every pull request (two comments, two statuses); delete the one you do not want."
        )
    return InitReport(files=tuple(files), notes=tuple(notes))


def _write_targets(
    root: Path, targets: Sequence[tuple[Path, str, str]], force: Collection[str]
) -> list[Written]:
    """Write each (path, text, description) that is missing, or that ``force`` names."""
    names = {target.relative_to(root).as_posix() for target, _, _ in targets}
    unknown = sorted(set(force) - names)
    if unknown:
        raise UsageError(
            f"--force {unknown[0]}: mlci init does not write that file",
            hint="name one of: " + ", ".join(sorted(names)),
        )
    from mlci import safefs

    files = []
    for target, text, description in targets:
        name = target.relative_to(root).as_posix()
        exists = target.exists() or target.is_symlink()
        if exists and name not in force:
            files.append(Written(target, f"exists; --force {name} replaces it", "kept"))
            continue
        safefs.write_text(target, text)  # a symlink at the name is replaced, not followed
        files.append(Written(target, description, "replaced" if exists else "wrote"))
    return files


MATRIX_WORKFLOWS = {
    False: {"mlci.yml": "mlci-matrix.yml"},
    True: {
        "mlci-compute.yml": "mlci-matrix-fork-compute.yml",
        "mlci-publish.yml": "mlci-matrix-fork-publish.yml",
    },
}
_EXAMPLE_ENTRY = re.compile(r"^ *- shard: example\n *path: \.\n *runs-on: ubuntu-latest\n", re.M)
_EXAMPLE_EXPECT = re.compile(r"^( *)--expect example\n", re.M)


def matrix_workflow(template: str, shards: Sequence[ShardConfig]) -> str:
    """A matrix template with one `include:` entry per shard where it has the example
    entry, and each shard expected by `mlci merge` where it runs it (a shard whose
    artifact is missing then fails the report)."""
    indent = re.search(r"^( *)- shard: example$", template, re.M)
    expect = _EXAMPLE_EXPECT.search(template)
    if indent is None and expect is None:
        raise ValueError("a matrix template without the example shard")
    text = template
    if indent is not None:
        pad = indent.group(1)
        entries = "".join(
            f"{pad}- shard: {shard.name}\n"
            f"{pad}  path: {json.dumps(shard.path)}\n"
            f"{pad}  runs-on: "
            + (
                json.dumps(shard.runs_on[0])
                if len(shard.runs_on) == 1
                else json.dumps(list(shard.runs_on))
            )
            + "\n"
            for shard in shards
        )
        text = _EXAMPLE_ENTRY.sub(lambda _: entries, text, count=1)
    if expect is not None:
        flags = "".join(f"{expect.group(1)}--expect {shard.name}\n" for shard in shards)
        text = _EXAMPLE_EXPECT.sub(lambda _: flags, text, count=1)
    return text


def _root_shards_text(shards: Sequence[ShardConfig], branch: str) -> str:
    lines = [
        "# mlci at the repository's root: the shards of the matrix (`mlci init --matrix`).",
        "# The base branch's copy of this file decides which shards a pull request has.",
        f"base: {json.dumps(branch)}",
        "report:",
        "  title: Model report",
        "shards:",
    ]
    for shard in shards:
        lines += [f"  - name: {shard.name}", f"    path: {json.dumps(shard.path)}"]
    return "\n".join(lines) + "\n"


def run_init_matrix(
    path: Path, *, fork_safe: bool = False, force: Collection[str] = ()
) -> InitReport:
    """`mlci init --matrix`: the matrix workflow for the repository's shards: the
    ``shards:`` of the mlci.yaml at its root, else the DVC projects found (each folder
    with its own ``.dvc/``), then written into a root mlci.yaml; and each shard's
    mlci.yaml with starting gates, where it has none. ``fork_safe``: the pair of
    workflows (a `pull_request` matrix that publishes nothing, a `workflow_run` one
    that merges) for repositories that take pull requests from forks."""
    repo = Repository(path)
    root = repo.root.resolve()
    branch = repo.default_branch() or repo.head().name
    requirement, install_note = _this_mlci()
    root_config = work_tree_config(root, root / CONFIG_FILE, CONFIG_FILE)
    targets: list[tuple[Path, str, str]] = []
    notes = [install_note] if install_note else []
    if root_config is not None and root_config.shards:
        shards = root_config.shards
    else:
        shards = discover_projects(repo)
        if not shards:
            raise UsageError(
                f"no DVC project found in {root} (a folder with its own .dvc/)",
                hint="`dvc init --subdir` in each project's folder, or list them under "
                f"`shards:` in {CONFIG_FILE} at the repository's root",
            )
        if root_config is not None:
            notes.append(
                f"{CONFIG_FILE} at the root lists no shards: the matrix has the projects "
                f"found ({', '.join(s.name for s in shards)}); list them under `shards:` "
                "so that the base branch decides"
            )
        else:
            targets.append((root / CONFIG_FILE, _root_shards_text(shards, branch), "shards"))
    for shard in shards:
        folder = root / shard.path
        if not (folder / ".dvc").is_dir():
            notes.append(f"shard {shard.name}: {shard.path} has no .dvc/ (`dvc init --subdir`)")
            continue
        if folder == root:
            continue  # the root's mlci.yaml holds the shards
        with dvc.DvcRepo(folder) as dvc_repo, dvc_repo.at(dvc.WORKSPACE, "head") as head:
            snapshot = head.metrics()
        unreadable = sorted({f"{e.file} ({e.message})" for e in snapshot.errors})
        text = _config_text(snapshot.values, branch, unreadable)
        targets.append((folder / CONFIG_FILE, text, f"gates of shard {shard.name}"))
    workflows = root / ".github" / "workflows"
    for name, template_name in MATRIX_WORKFLOWS[fork_safe].items():
        template = (resources.templates_dir() / "workflows" / template_name).read_text(
            encoding="utf-8"
        )
        workflow = _workflow_text(matrix_workflow(template, shards), requirement, branch)
        targets.append((workflows / name, workflow, "GitHub Actions workflow, one job per shard"))
    files = _write_targets(root, targets, force)
    other = MATRIX_WORKFLOWS[not fork_safe]
    present = [workflows / name for name in other if (workflows / name).exists()]
    if present:
        shown = ", ".join(p.relative_to(root).as_posix() for p in present)
        notes.append(
            f"{shown} also exist{'s' if len(present) == 1 else ''}: both would run on every "
            "pull request (two comments, two statuses); delete the one you do not want."
        )
    return InitReport(files=tuple(files), notes=tuple(notes))
