"""`mlci init`: write mlci.yaml (gates for the metrics the project has) and the workflows."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mlci import dvc, resources
from mlci.check import open_project
from mlci.config import CONFIG_FILE
from mlci.errors import UsageError
from mlci.metrics import is_number
from mlci.results import Value

WORKFLOWS = {
    False: {"mlci.yml": "mlci.yml"},
    True: {
        "mlci-compute.yml": "mlci-fork-compute.yml",
        "mlci-publish.yml": "mlci-fork-publish.yml",
    },
}
_LOWER_IS_BETTER = re.compile(r"(loss|error|err|mse|mae|rmse|latency|time|fpr|fnr)", re.I)
_MAX_RULES = 12


@dataclass(frozen=True)
class Written:
    path: Path
    description: str


def _config_text(metrics: Mapping[str, Mapping[str, Value]]) -> str:
    lines = [
        "# mlci gates: the keys are described in mlci's README, section Configuration.",
        "# The base branch's copy of this file is what gates a pull request.",
        "base: main",
    ]
    rules = [
        (file, key, value)
        for file, values in sorted(metrics.items())
        for key, value in sorted(values.items())
        if is_number(value)
    ]
    if not rules:
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
            if _LOWER_IS_BETTER.search(key.rsplit(".", 1)[-1]):
                lines.append("    higher_is_better: false")
            lines.append("    max_drop_pct: 2")
        if len(rules) > _MAX_RULES:
            lines.append(f"  # … {len(rules) - _MAX_RULES} more metrics not gated")
    lines += ["report:", "  title: Model report", ""]
    return "\n".join(lines)


def run_init(path: Path, *, fork_safe: bool, force: bool) -> list[Written]:
    """Write mlci.yaml at the DVC root and the workflow(s) under .github/workflows/."""
    project = open_project(path)
    targets: list[tuple[Path, str, str]] = []
    config_path = project.dvc_root / CONFIG_FILE
    with dvc.DvcRepo(project.dvc_root) as repo, repo.at(dvc.WORKSPACE, "head") as head:
        snapshot = head.metrics()
    targets.append((config_path, _config_text(snapshot.values), "gates"))
    workflows = project.git.root / ".github" / "workflows"
    for name, template in WORKFLOWS[fork_safe].items():
        text = (resources.templates_dir() / "workflows" / template).read_text(encoding="utf-8")
        targets.append((workflows / name, text, "GitHub Actions workflow"))
    existing = [target for target, _, _ in targets if target.exists()]
    if existing and not force:
        names = ", ".join(str(p.relative_to(project.git.root)) for p in existing)
        raise UsageError(f"{names} already exist(s)", hint="pass --force to overwrite")
    from mlci import safefs

    written = []
    for target, text, description in targets:
        safefs.write_text(target, text)  # a symlink at the name is replaced, not followed
        written.append(Written(target, description))
    return written
