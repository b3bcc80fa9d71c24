"""End to end: `mlci ci` in an Actions-like environment on a real repo from the demo,
against the local GitHub API server."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import Repo, assert_dropped_beyond_max_drop, run
from github_server import GitHubServer
from runner_log import mlci_commands_only

from mlci.cli import cli
from mlci.commands.demo import SCENARIOS, set_params

pytestmark = pytest.mark.e2e
TOKEN = "ghs_valid_token"


@pytest.fixture
def gh() -> Iterator[GitHubServer]:
    with GitHubServer() as server:
        yield server
    assert server.server_errors == []


class Runner:
    """A pull request's CI job: a shallow checkout of the PR branch plus runner files."""

    def __init__(self, ws: Path, tmp: Path, gh: GitHubServer, monkeypatch: pytest.MonkeyPatch):
        self.ws, self.tmp, self.gh, self.monkeypatch = ws, tmp, gh, monkeypatch
        self.project = Repo(ws / "project")
        self.project.git("remote", "set-url", "origin", str(ws / "origin.git"))
        self.base_sha = self.project.git("rev-parse", "main")

    def open_pr(
        self, scenario: str, number: int, ref: str | None = None, *, setenv: bool = True
    ) -> Path:
        ref = ref or f"pr/{scenario}"
        project = self.project
        project.git("checkout", "--quiet", "-B", ref, "main")
        set_params(project.root / "params.yaml", SCENARIOS[scenario].params)
        head_sha = project.commit(SCENARIOS[scenario].summary)
        project.git("push", "--quiet", "--force", "origin", ref)
        checkout = self.tmp / f"checkout-{number}"
        run(
            self.tmp,
            "git",
            "clone",
            "--quiet",
            "--depth",
            "1",
            "--branch",
            ref,
            f"file://{self.ws / 'origin.git'}",
            str(checkout),
        )
        self.gh.add_pull(number, head_sha, self.base_sha, head_ref=ref)
        event = {
            "pull_request": {
                "number": number,
                "base": {"sha": self.base_sha, "ref": "main"},
                "head": {"sha": head_sha, "ref": ref},
            }
        }
        (self.tmp / f"event-{number}.json").write_text(json.dumps(event))
        self.head_sha = head_sha
        if setenv:
            self.env(number, head_sha, "pull_request")
        return checkout

    def env(self, number: int, sha: str, event_name: str) -> None:
        for name, value in self.variables(number, sha, event_name).items():
            self.monkeypatch.setenv(name, value)

    def variables(self, number: int, sha: str, event_name: str) -> dict[str, str]:
        """What the runner gives the step (runner files included), the token too."""
        return {
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(self.tmp / f"event-{number}.json"),
            "GITHUB_REPOSITORY": "octo-org/ml-project",
            "GITHUB_API_URL": self.gh.url,
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_RUN_ID": "777",
            "GITHUB_SHA": sha,
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_OUTPUT": str(self.tmp / "output"),
            "GITHUB_STEP_SUMMARY": str(self.tmp / "summary.md"),
            "GITHUB_ENV": str(self.tmp / "env"),
            "GITHUB_PATH": str(self.tmp / "path"),
            "GITHUB_STATE": str(self.tmp / "state"),
            "MLCI_GITHUB_BACKOFF": "0.01",
        }

    def ci(self, checkout: Path, *args: str) -> Result:
        cwd = Path.cwd()
        os.chdir(checkout)
        try:
            return CliRunner().invoke(cli, ["ci", *args], prog_name="mlci")
        finally:
            os.chdir(cwd)


@pytest.fixture
def runner(
    demo_ws: Path, tmp_path: Path, gh: GitHubServer, monkeypatch: pytest.MonkeyPatch
) -> Runner:
    return Runner(demo_ws, tmp_path, gh, monkeypatch)


def test_first_run_comments_and_sets_status_second_run_updates(runner: Runner) -> None:
    checkout = runner.open_pr("pass", 7)
    first = runner.ci(checkout)
    assert first.exit_code == 0, first.output
    assert first.output.splitlines()[0] == f"::add-mask::{TOKEN}"
    assert "::group::dvc pull" in first.output and "::group::dvc repro" in first.output
    [comment] = runner.gh.comments[7]
    assert comment["body"].startswith("## ✅ Model report: PASS")
    assert "Comparing **pr/pass**" in comment["body"]
    [status] = runner.gh.statuses
    head_sha = runner.gh.pulls[7]["head"]["sha"]
    assert (status["sha"], status["state"], status["context"]) == (
        head_sha,
        "success",
        "mlci/Model report",
    )
    outputs = (runner.tmp / "output").read_text()
    assert "verdict=pass\n" in outputs
    assert f"comment-url={comment['html_url']}\n" in outputs
    assert "report<<mlci_" in outputs
    summary = (runner.tmp / "summary.md").read_text()
    assert summary.startswith("## ✅ Model report: PASS")
    artifacts = (
        "Interactive charts, base and head overlaid: report.html in [the run's artifacts]"
        "(https://github.com/octo-org/ml-project/actions/runs/777#artifacts).\n"
    )
    assert artifacts in comment["body"]
    # One rendering serves every output: report.md, the job summary and the step output
    # are the comment, byte for byte (less the per-post nonce line).
    posted = comment["body"].rsplit("\n<!-- mlci-post:", 1)[0] + "\n"
    assert (checkout / "report.md").read_text() == posted
    assert summary.startswith(posted)
    assert f"report<<{outputs.split('report<<', 1)[1].split(chr(10), 1)[0]}\n{posted}" in outputs
    assert (checkout / "report.html").exists()

    second = runner.ci(checkout)
    assert second.exit_code == 0, second.output
    [updated] = runner.gh.comments[7]
    assert updated["id"] == comment["id"]
    assert len(runner.gh.statuses) == 2
    assert TOKEN not in "\n".join(second.output.splitlines()[1:])


def test_failing_scenario_sets_failure_and_exits_1(runner: Runner) -> None:
    checkout = runner.open_pr("fail", 8)
    result = runner.ci(checkout)
    assert result.exit_code == 1, result.output
    [status] = runner.gh.statuses
    assert status["state"] == "failure"
    assert status["description"].startswith("fail: 3 of 12 failed")
    results = json.loads((checkout / "mlci-results.json").read_text())
    [annotation] = [
        line
        for line in result.output.splitlines()
        if line.startswith("::error file=mlci.yaml,line=3,title=mlci%3A accuracy::")
        and "dropped by" in line
    ]
    assert "accuracy: ≥ 0.9, drop ≤ 0.01: dropped by " in annotation
    assert_dropped_beyond_max_drop(annotation, results, "accuracy")
    # The accuracy computed from eval/predictions.csv: a drop, and a significant one.
    assert "::error file=mlci.yaml,line=14,title=mlci%3A accuracy::" in result.output
    assert "::warning file=mlci.yaml,line=23," in result.output
    [comment] = runner.gh.comments[8]
    assert_dropped_beyond_max_drop(comment["body"], results, "accuracy")


def test_publishing_failure_exits_4_with_the_report_on_disk(runner: Runner) -> None:
    checkout = runner.open_pr("pass", 9)
    runner.gh.readonly_tokens.add(TOKEN)
    result = runner.ci(checkout)
    assert result.exit_code == 4, result.output
    assert "Resource not accessible by integration" in result.output
    assert (checkout / "report.md").read_text().startswith("## ✅ Model report: PASS")
    assert json.loads((checkout / "mlci-results.json").read_text())["verdict"] == "pass"
    assert "verdict=pass\n" in (runner.tmp / "output").read_text()


def test_no_publish_posts_nothing(runner: Runner) -> None:
    checkout = runner.open_pr("pass", 10)
    result = runner.ci(checkout, "--no-publish")
    assert result.exit_code == 0, result.output
    assert runner.gh.comments.get(10, []) == [] and runner.gh.statuses == []
    assert runner.gh.requests == []


def test_hostile_branch_name_and_metric_key_stay_inert(runner: Runner) -> None:
    ref = "feat/@octocat-<img_src=x>|pwn"
    checkout = runner.open_pr("pass", 11, ref=ref)
    (checkout / "extra.json").write_text(json.dumps({"x|<b>@admin ![i](http://e/i.png)": 1}))
    dvc_yaml = (checkout / "dvc.yaml").read_text()
    (checkout / "dvc.yaml").write_text(dvc_yaml + "metrics:\n  - extra.json\n")
    result = runner.ci(checkout)
    assert result.exit_code == 0, result.output
    [comment] = runner.gh.comments[11]
    body = comment["body"]
    for raw in ("<img", "<b>", "@octocat", "@admin", "![i]"):
        assert raw not in body
    rows = [line for line in body.splitlines() if "extra.json" in line]
    assert rows and all(line.replace("\\|", "").count("|") == 8 for line in rows)


def test_push_event_reports_status_and_summary_only(runner: Runner) -> None:
    project = runner.project
    project.git("checkout", "--quiet", "main")
    before = project.git("rev-parse", "HEAD")
    after = project.commit("docs", {"NOTES.md": "notes\n"})
    (runner.tmp / "event-0.json").write_text(json.dumps({"before": before, "after": after}))
    runner.env(0, after, "push")
    result = runner.ci(project.root)
    assert result.exit_code == 0, result.output
    assert runner.gh.comments == {}
    [status] = runner.gh.statuses
    assert (status["sha"], status["state"]) == (after, "success")


def test_pipeline_stages_do_not_inherit_the_token(
    runner: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = runner.open_pr("pass", 12)
    monkeypatch.setenv("MY_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_other_secret")
    train = checkout / "src" / "train.py"
    train.write_text(
        train.read_text() + "\nimport os\n"
        "open('seen-env.txt', 'w').write(repr({k: os.environ.get(k) for k in "
        "('MY_TOKEN', 'GITHUB_TOKEN')}))\n"
    )
    result = runner.ci(checkout, "--token-env", "MY_TOKEN")
    assert result.exit_code == 0, result.output
    assert (checkout / "seen-env.txt").read_text() == "{'MY_TOKEN': None, 'GITHUB_TOKEN': None}"


# --- the pull request against the log and the token ---------------------------------------

# A pipeline stage as a hostile pull request writes it: it walks its own and every
# ancestor's /proc/<pid>/environ and cmdline, keeps whatever looks like a GitHub token,
# and puts it where mlci will carry it (a metric key: results, report, comment, summary,
# outputs) and in a file; it appends to every runner file it finds in its environment,
# and prints workflow commands.
SNOOP = r"""
import json, os, re
from pathlib import Path

def parent(pid):
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0

found, read, pid = set(), [], os.getpid()
while pid > 0:
    for part in ("environ", "cmdline"):
        try:
            data = Path(f"/proc/{pid}/{part}").read_bytes()
        except OSError:
            continue
        read.append(pid)
        found.update(m.decode() for m in re.findall(rb"gh[opsu]_[A-Za-z0-9_]+", data))
        for entry in data.split(b"\0"):
            name, _, value = entry.partition(b"=")
            if b"TOKEN" in name and value:
                found.add(value.decode(errors="replace"))
    pid = parent(pid)
runner_files = {}
for name in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STATE", "GITHUB_STEP_SUMMARY"):
    runner_files[name] = os.environ.get(name)
    if os.environ.get(name):
        with open(os.environ[name], "a") as out:
            out.write("pwned=1\n")
print("::add-mask::0.9\n::error::forged by the stage\n::stop-commands::x\n##[error]legacy")
for value in sorted(found):
    print("leak:", value)
Path("snoop.json").write_text(json.dumps({"leak_" + v: 1 for v in found} | {"seen": len(found)}))
dump = {"read": read, "found": sorted(found), "runner_files": runner_files}
Path("snoop-dump.json").write_text(json.dumps(dump))
"""


def add_snoop_stage(checkout: Path) -> None:
    (checkout / "snoop.py").write_text(SNOOP)
    dvc_yaml = (checkout / "dvc.yaml").read_text()
    stage = (
        "  snoop:\n    cmd: python snoop.py\n    deps:\n      - snoop.py\n"
        "    metrics:\n      - snoop.json:\n          cache: false\n"
        "    outs:\n      - snoop-dump.json:\n          cache: false\n"
    )
    (checkout / "dvc.yaml").write_text(dvc_yaml.replace("stages:\n", f"stages:\n{stage}", 1))


@pytest.mark.parametrize("entry", ["console-script", "python-m"])
def test_no_process_running_pull_request_code_holds_the_token(
    runner: Runner, tmp_path: Path, entry: str
) -> None:
    """`mlci ci` as a real process, the token in its environment: the stage finds the
    decoy (so it looks in the right places) and never the token, which still reaches
    GitHub through the hand-over (comment and status are posted)."""
    token = f"ghs_{secrets.token_hex(20)}"
    decoy = f"ghs_decoy_{secrets.token_hex(8)}"
    runner.gh.tokens[token] = "github-actions[bot]"
    checkout = runner.open_pr("pass", 21, setenv=False)
    add_snoop_stage(checkout)
    env = {
        **os.environ,
        **runner.variables(21, runner.head_sha, "pull_request"),
        "GITHUB_TOKEN": token,
        "GH_TOKEN": token,
        "DECOY": decoy,
    }
    bin_dir = Path(sys.executable).parent
    command = (
        [str(bin_dir / "mlci")] if entry == "console-script" else [sys.executable, "-m", "mlci"]
    )
    proc = subprocess.Popen(
        [*command, "ci"],
        cwd=checkout,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stdout + stderr

    dump = json.loads((checkout / "snoop-dump.json").read_text())
    assert proc.pid in dump["read"]  # it did read mlci's own environment
    assert decoy in dump["found"] and token not in dump["found"]
    assert dump["runner_files"] == dict.fromkeys(
        ["GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STATE", "GITHUB_STEP_SUMMARY"]
    )
    [comment] = runner.gh.comments[21]
    [status] = runner.gh.statuses
    assert status["state"] == "success"
    assert f"leak_{decoy}" in (checkout / "mlci-results.json").read_text()  # its metric
    places = {
        # The one line that names the token asks the runner to mask it everywhere.
        "stdout": stdout.replace(f"::add-mask::{token}\n", "", 1),
        "stderr": stderr,
        "comment": comment["body"],
        "status": json.dumps(status),
        **{
            name: path.read_text()
            for name, path in {
                "results": checkout / "mlci-results.json",
                "report.md": checkout / "report.md",
                "summary": tmp_path / "summary.md",
                "outputs": tmp_path / "output",
                "dump": checkout / "snoop-dump.json",
                "metrics": checkout / "snoop.json",
            }.items()
        },
    }
    for name, text in places.items():
        assert token not in text, name
    for name in ("env", "path", "state"):
        assert not (tmp_path / name).exists(), name
    assert "pwned" not in places["outputs"] + places["summary"]
    # The runner would execute mlci's own commands only: the stage's are fenced off.
    executed = mlci_commands_only(stdout + stderr, token)
    assert executed[0] == f"::add-mask::{token}"
    assert "::group::dvc repro" in executed
    assert token not in Path("/proc/self/environ").read_text(errors="replace")


FORGED = "\n::error::forged\n::add-mask::0.9\n::set-output name=verdict::pass\n##[error]legacy"


def add_stage(checkout: Path, name: str, script: str) -> None:
    (checkout / f"{name}.py").write_text(script)
    dvc_yaml = (checkout / "dvc.yaml").read_text()
    stage = f"  {name}:\n    cmd: python {name}.py\n    deps:\n      - {name}.py\n"
    (checkout / "dvc.yaml").write_text(dvc_yaml.replace("stages:\n", f"stages:\n{stage}", 1))


def test_pull_request_text_never_commands_the_runner(runner: Runner) -> None:
    """A metric key, a column name and a data path carrying line breaks and workflow
    commands, and a stage printing them: in the log the runner executes mlci's own
    commands only, and the terminal report shows each value on its one line."""
    checkout = runner.open_pr("pass", 31)
    (checkout / "extra.json").write_text(json.dumps({f"acc{FORGED}": 1}))
    dvc_yaml = (checkout / "dvc.yaml").read_text()
    (checkout / "dvc.yaml").write_text(dvc_yaml + "metrics:\n  - extra.json\n")
    add_stage(
        checkout, "noisy", f"print({FORGED!r})\nimport sys; print({FORGED!r}, file=sys.stderr)\n"
    )
    config = (checkout / "mlci.yaml").read_text()
    config = config.replace(
        "      target: {allowed: [0, 1]}\n",
        f"      target: {{allowed: [0, 1]}}\n      {json.dumps('x' + FORGED)}: {{nulls: 0}}\n"
        f"  - path: {json.dumps('missing' + FORGED + '.csv')}\n",
    )
    (checkout / "mlci.yaml").write_text(config)
    result = runner.ci(checkout)
    assert result.exit_code in (0, 1), result.output
    executed = mlci_commands_only(result.output, TOKEN)
    assert executed[0] == f"::add-mask::{TOKEN}"
    assert "::group::dvc repro" in executed and "::endgroup::" in executed
    assert "::error::forged" in result.output  # printed, fenced: shown, not executed
    report = (checkout / "mlci-results.json").read_text()
    assert "acc\\n::error::forged" in report  # the key reached the results as it is
    [row] = [line for line in result.output.splitlines() if "extra.json" in line]
    assert "acc\\n::error::forged\\n::add-mask::0.9\\n::set-output" in row


def test_a_failing_stage_quoted_in_the_error_commands_nothing(runner: Runner) -> None:
    checkout = runner.open_pr("pass", 32)
    add_stage(checkout, "broken", f"print({FORGED!r})\nraise SystemExit(3)\n")
    result = runner.ci(checkout, "--no-publish")
    assert result.exit_code == 3, result.output
    assert "mlci: error: DVC stage 'broken' failed" in result.output
    assert "    ::error::forged" in result.output  # quoted in the error, fenced
    executed = mlci_commands_only(result.output, TOKEN)
    assert executed[-1].strip(":") in {line.removeprefix("::stop-commands::") for line in executed}


def test_mlci_check_restarts_without_any_token(runner: Runner) -> None:
    """`mlci check` needs no token at all: started with some, it drops them all before
    any stage runs (the stage reads mlci's environment, and finds only the decoy)."""
    token, decoy = f"ghs_{secrets.token_hex(20)}", f"ghs_decoy_{secrets.token_hex(8)}"
    checkout = runner.open_pr("pass", 33, setenv=False)
    add_snoop_stage(checkout)
    env = {**os.environ, "GITHUB_TOKEN": token, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": token}
    env["DECOY"] = decoy
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "mlci"), "check"],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    dump = json.loads((checkout / "snoop-dump.json").read_text())
    assert len(dump["read"]) >= 4  # itself, `dvc repro`, mlci, this test: both files each
    assert decoy in dump["found"] and token not in dump["found"]
    assert token not in proc.stdout + proc.stderr
