"""Issue 10: a pull request cannot make mlci read or write anything outside the checkout.

Every test is a real git + DVC repository whose head (the pull request) commits the
attack: a symlink as a metrics, params, plot, data, config or output file, a FIFO,
a data rule with an absolute or ``..`` path. The outside file holds a distinctive
secret; it must appear nowhere in what mlci writes or prints.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Repo

from mlci import safefs

SECRET = "Outside-Secret-7c1f"
SECRET_NUMBER = "4242.4242"
OUTSIDE = safefs.OUTSIDE
PNG = b"\x89PNG\r\n\x1a\n" + SECRET.encode()
PNG_BASE64 = base64.b64encode(PNG).decode()
GATE = "metrics:\n  - key: accuracy\n    min: 0.5\n"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the repository (not in it) with secret-bearing files."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "metrics.json").write_text(json.dumps({SECRET: float(SECRET_NUMBER)}))
    (folder / "params.yaml").write_text(f"{SECRET}: {SECRET_NUMBER}\n")
    (folder / "creds.csv").write_text(f"user,token\nalice,{SECRET}\nbob,{SECRET_NUMBER}\n")
    (folder / "roc.csv").write_text(f"fpr,tpr\n0,0\n{SECRET_NUMBER},1\n")
    (folder / "shot.png").write_bytes(PNG)
    (folder / "target.txt").write_text(SECRET)
    return folder


def everything(repo: Repo, *extra: str) -> str:
    """All mlci wrote (results, report.md, report.html) and printed, as one text."""
    texts = [*extra]
    for name in ("mlci-results.json", "report.md", "report.html"):
        path = repo.root / name
        if path.is_file() and not path.is_symlink():
            texts.append(path.read_text())
    return "\n".join(texts)


def assert_no_secret(text: str) -> None:
    assert SECRET not in text
    assert SECRET_NUMBER not in text
    assert PNG_BASE64 not in text  # the outside image is not inlined into report.html


def results(repo: Repo) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((repo.root / "mlci-results.json").read_text())
    return found


def check(repo: Repo, *args: str) -> tuple[int, str]:
    result = repo.mlci("check", "--no-tests", *args)
    return result.exit_code, result.output


# --- metrics and params ---------------------------------------------------------------


def test_metrics_symlink_outside_fails_the_gate_naming_the_file(repo: Repo, outside: Path) -> None:
    repo.git("checkout", "--quiet", "main")
    repo.commit("gate", {"mlci.yaml": GATE})
    repo.git("checkout", "--quiet", "-B", "feature")
    (repo.root / "metrics.json").unlink()
    (repo.root / "metrics.json").symlink_to(outside / "metrics.json")
    repo.commit("steal")
    code, output = check(repo)
    assert code == 1, output
    reason = f"cannot read metrics.json at head: {OUTSIDE}"
    [gate] = [g for g in results(repo)["gates"] if g["check"] == "readable"]
    assert (gate["outcome"], gate["reason"]) == ("fail", reason)
    assert f"- Could not read metrics.json at head: {OUTSIDE}" in (
        (repo.root / "report.md").read_text().replace("\\'", "'").replace("\\.", ".")
    )
    assert_no_secret(everything(repo, output))


def test_relative_symlink_and_symlinked_folder_outside(repo: Repo, outside: Path) -> None:
    repo.commit(
        "more metrics",
        {"dvc.yaml": "metrics:\n  - metrics.json\n  - results/metrics.json\n  - deep/\n"},
    )
    (repo.root / "metrics.json").unlink()
    (repo.root / "metrics.json").symlink_to(Path("..") / "outside" / "metrics.json")
    (repo.root / "results").symlink_to(outside)  # a folder leading out
    (repo.root / "deep").mkdir()
    (repo.root / "deep" / "inner").symlink_to(outside)  # deeper inside a metrics folder
    code, output = check(repo)
    assert code == 1, output
    errors = {(e["file"], e["message"]) for e in results(repo)["errors"]}
    assert errors == {
        ("metrics.json", OUTSIDE),
        ("results/metrics.json", OUTSIDE),
        ("deep/inner", OUTSIDE),  # named by the link, not by the outside folder's files
    }
    assert_no_secret(everything(repo, output))


def test_params_symlink_outside(repo: Repo, outside: Path) -> None:
    (repo.root / "params.yaml").unlink()
    (repo.root / "params.yaml").symlink_to(outside / "params.yaml")
    repo.commit("steal params")
    code, output = check(repo)
    errors = [(e["rev"], e["file"], e["message"]) for e in results(repo)["errors"]]
    assert errors == [("head", "params.yaml", OUTSIDE)]
    assert code == 1, output
    assert_no_secret(everything(repo, output))


def test_symlink_inside_the_repository_still_reads(repo: Repo) -> None:
    repo.gen({"results/metrics.json": {"accuracy": 0.95, "loss": 0.3}})
    (repo.root / "metrics.json").unlink()
    (repo.root / "metrics.json").symlink_to(Path("results") / "metrics.json")
    repo.commit("metrics moved, linked")
    code, output = check(repo)
    assert code == 0, output
    data = results(repo)
    assert data["errors"] == []
    [accuracy] = [m for m in data["metrics"] if m["key"] == "accuracy"]
    assert (accuracy["base"], accuracy["head"]) == (0.9, 0.95)


def test_oversized_metrics_file_is_refused_with_its_size(repo: Repo) -> None:
    with (repo.root / "metrics.json").open("r+b") as handle:
        handle.truncate(safefs.DEFAULT_MAX_BYTES + 5)  # sparse: nothing is written or read
    code, output = check(repo)
    assert code == 1, output
    assert [(e["file"], e["message"]) for e in results(repo)["errors"]] == [
        (
            "metrics.json",
            "it is too large to read (50,000,005 bytes; the limit is 50,000,000 bytes)",
        )
    ]


def test_base_revision_symlink_is_not_followed(repo: Repo, outside: Path) -> None:
    """At base, files come from git objects: a committed symlink is its target's text."""
    repo.git("checkout", "--quiet", "main")
    (repo.root / "metrics.json").unlink()
    (repo.root / "metrics.json").symlink_to(outside / "metrics.json")
    (repo.root / "params.yaml").unlink()
    (repo.root / "params.yaml").symlink_to(outside / "params.yaml")
    repo.commit("base with links")
    repo.git("checkout", "--quiet", "-B", "feature")
    (repo.root / "metrics.json").unlink()
    (repo.root / "params.yaml").unlink()
    repo.commit("regular files", {"metrics.json": {"accuracy": 0.9}, "params.yaml": "lr: 1\n"})
    code, output = check(repo)
    assert code == 0, output  # a base that cannot be read warns
    assert_no_secret(everything(repo, output))
    diff = repo.mlci("diff", "--base", "main", "--format", "json")
    assert_no_secret(diff.output)


def test_base_dvc_cache_object_planted_as_a_symlink_is_refused(repo: Repo, outside: Path) -> None:
    """The DVC cache lies in the work tree: a pull request can put a symlink there named
    like the base's object of a DVC-tracked metrics file."""
    repo.git("checkout", "--quiet", "main")
    (repo.root / "metrics.json").unlink()
    repo.git("rm", "--quiet", "--cached", "metrics.json")
    repo.gen({"metrics.json": {"accuracy": 0.9}})
    repo.dvc("add", "--quiet", "metrics.json")
    repo.commit("metrics tracked by DVC")
    repo.git("checkout", "--quiet", "-B", "feature")
    [obj] = [p for p in (repo.root / ".dvc" / "cache").rglob("*") if p.is_file()]
    obj.chmod(0o644)
    obj.unlink()
    obj.symlink_to(outside / "metrics.json")
    repo.gen({"metrics.json": {"accuracy": 0.95}})  # not the base's content: read from cache
    code, output = check(repo)
    assert code == 0, output  # the base cannot be read: a warning
    [error] = results(repo)["errors"]
    assert (error["rev"], error["file"]) == ("base", "metrics.json")
    # mlci's refusal when DVC asks for the object; DVC's own when its index check
    # already finds the object unusable (this DVC version, for this layout).
    assert error["message"] in (
        f"its object in the DVC cache is refused: {OUTSIDE}",
        "[Errno 2] No storage files available: 'metrics.json'",
    )
    assert_no_secret(everything(repo, output))


# --- FIFOs and devices: the run finishes ------------------------------------------------


@pytest.mark.parametrize("kind", ["fifo", "dev-stdin", "fifo-outside"])
def test_metrics_fifo_or_stdin_does_not_hang(repo: Repo, outside: Path, kind: str) -> None:
    metrics = repo.root / "metrics.json"
    metrics.unlink()
    if kind == "fifo":
        os.mkfifo(metrics)
    elif kind == "dev-stdin":
        metrics.symlink_to("/dev/stdin")
    else:
        os.mkfifo(outside / "pipe")
        metrics.symlink_to(outside / "pipe")
    # mlci in its own process, its stdin a pipe nobody writes to: a blocking read of
    # the FIFO or of /dev/stdin would wait for ever; the timeout turns that into a failure.
    proc = subprocess.run(
        [sys.executable, "-m", "mlci", "check", "--no-tests"],
        cwd=repo.root,
        stdin=subprocess.PIPE,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    [error] = results(repo)["errors"]
    expected = (
        "it is a FIFO (named pipe), not a regular file; mlci reads only files"
        if kind == "fifo"
        else OUTSIDE
    )
    assert (error["file"], error["message"]) == ("metrics.json", expected)


# --- plots ------------------------------------------------------------------------------

PLOTS_DVC_YAML = """\
metrics:
  - metrics.json
params:
  - params.yaml
plots:
  - plots/roc.csv:
      x: fpr
      y: tpr
  - plots/shot.png
"""


def test_plot_files_symlinked_outside_are_not_read(repo: Repo, outside: Path) -> None:
    repo.git("checkout", "--quiet", "main")
    repo.commit(
        "plots",
        {
            "dvc.yaml": PLOTS_DVC_YAML,
            "plots/roc.csv": "fpr,tpr\n0,0\n1,1\n",
            "plots/shot.png": "not really a png",
        },
    )
    repo.git("checkout", "--quiet", "-B", "feature")
    for name in ("roc.csv", "shot.png"):
        (repo.root / "plots" / name).unlink()
        (repo.root / "plots" / name).symlink_to(outside / name)
    repo.commit("plots leading out", {"metrics.json": {"accuracy": 0.91}})
    code, output = check(repo)
    assert code == 0, output
    plots = results(repo)["plots"]
    assert sorted(plots["errors"]) == [
        f"plots/roc.csv at head: {OUTSIDE}",
        f"plots/shot.png at head: {OUTSIDE}",
    ]
    [image] = plots["images"]
    assert image["head_uri"] is None
    assert (repo.root / "report.html").is_file()
    assert_no_secret(everything(repo, output))


# --- data files -------------------------------------------------------------------------


def data_rule(path: str) -> str:
    return f"data:\n  - path: {path}\n    columns:\n      user: {{nulls: 0}}\n"


def data_reasons(repo: Repo) -> list[tuple[str, str]]:
    return [
        (check["outcome"], check["reason"])
        for dataset in results(repo)["data"]
        for check in dataset["checks"]
    ]


@pytest.mark.parametrize(
    ("rule", "setup", "named"),
    [
        ("data/creds.csv", "file-link", "data/creds.csv"),
        ("data", "folder-link-inside-folder", "data/stolen"),
        ("linked", "folder-link", "linked"),
        ("'data/*.csv'", "file-link", "data/creds.csv"),
        ("'linked/*.csv'", "folder-link", "linked"),
        ("'*/creds.csv'", "folder-link", "linked"),
    ],
)
def test_data_files_leading_out_are_failed_checks(
    repo: Repo, outside: Path, rule: str, setup: str, named: str
) -> None:
    repo.gen({"data/good.csv": "user,token\ncarol,x\n"})
    if setup == "file-link":
        (repo.root / "data" / "creds.csv").symlink_to(outside / "creds.csv")
    elif setup == "folder-link":
        (repo.root / "linked").symlink_to(outside)
    else:
        (repo.root / "data" / "stolen").symlink_to(outside)
    repo.commit("data", {"mlci.yaml": data_rule(rule)})
    code, output = check(repo)
    assert code == 1, output
    assert ("fail", f"cannot read {named}: {OUTSIDE}") in data_reasons(repo)
    assert_no_secret(everything(repo, output))


@pytest.mark.parametrize(
    ("rule", "named", "reason"),
    [
        (
            "ABS/creds.csv",
            "ABS/creds.csv",
            "an absolute path; a dataset's path is relative to the project folder",
        ),
        ("../outside/creds.csv", "../outside/creds.csv", OUTSIDE),
        ("'../outside/*.csv'", "../outside/*.csv", OUTSIDE),
        ("'data/../../outside/creds.csv'", "data/../../outside/creds.csv", OUTSIDE),
    ],
)
def test_absolute_and_dotdot_data_paths_are_failed_checks(
    repo: Repo, outside: Path, rule: str, named: str, reason: str
) -> None:
    rule = rule.replace("ABS", str(outside))
    named = named.replace("ABS", str(outside))
    repo.commit("data", {"mlci.yaml": data_rule(rule)})
    code, output = check(repo)
    assert code == 1, output
    [dataset] = results(repo)["data"]
    assert [(c["outcome"], c["reason"]) for c in dataset["checks"]] == [
        ("fail", f"cannot read {named}: {reason}")
    ]
    assert_no_secret(everything(repo, output))


def test_data_link_inside_the_repository_still_reads(repo: Repo) -> None:
    repo.gen({"store/real.csv": "user,token\ncarol,x\n"})
    (repo.root / "data").mkdir()
    (repo.root / "data" / "users.csv").symlink_to(Path("..") / "store" / "real.csv")
    repo.commit("data", {"mlci.yaml": data_rule("data")})
    code, output = check(repo)
    assert code == 0, output
    assert ("pass", "read 1 row from 1 file, 2 columns") in data_reasons(repo)


def test_a_data_fifo_is_a_failed_check(repo: Repo) -> None:
    (repo.root / "data").mkdir()
    os.mkfifo(repo.root / "data" / "users.csv")
    repo.commit("data", {"mlci.yaml": data_rule("data/users.csv")})
    code, output = check(repo)
    assert code == 1, output
    assert data_reasons(repo) == [
        (
            "fail",
            "cannot read data/users.csv: it is a FIFO (named pipe), not a regular file; "
            "mlci reads only files",
        )
    ]


# --- mlci.yaml ---------------------------------------------------------------------------


def test_config_symlink_outside_is_a_config_error(repo: Repo, outside: Path) -> None:
    (outside / "mlci.yaml").write_text(f"report:\n  title: {SECRET}\n")
    (repo.root / "mlci.yaml").symlink_to(outside / "mlci.yaml")
    code, output = check(repo)
    assert code == 2
    assert f"cannot read mlci.yaml: {OUTSIDE}" in output
    assert SECRET not in output


# --- outputs -----------------------------------------------------------------------------


def test_output_symlinks_are_replaced_never_followed(repo: Repo, outside: Path) -> None:
    repo.commit("plots", {"dvc.yaml": PLOTS_DVC_YAML, "plots/roc.csv": "fpr,tpr\n0,0\n1,1\n"})
    for name in ("report.md", "report.html", "mlci-results.json"):
        (repo.root / name).symlink_to(outside / "target.txt")
    repo.git("add", "--force", "report.md", "report.html", "mlci-results.json")
    repo.commit("outputs as links", {"metrics.json": {"accuracy": 0.95}})
    code, output = check(repo)
    assert code == 0, output
    assert (outside / "target.txt").read_text() == SECRET
    for name in ("report.md", "report.html", "mlci-results.json"):
        path = repo.root / name
        assert path.is_file() and not path.is_symlink(), name
    assert results(repo)["verdict"] == "pass"
    assert (repo.root / "report.md").read_text().startswith("## ✅ Model report: PASS")


def test_output_that_is_a_directory_is_an_error_naming_it(repo: Repo) -> None:
    repo.gen({"metrics.json": {"accuracy": 0.95}})  # a change: report.html is written
    (repo.root / "report.html").mkdir()
    code, output = check(repo)
    assert code == 2
    assert output == (
        f"mlci: error: cannot write {repo.root / 'report.html'}: it is a directory\n"
        "  hint: remove it or pass another file name\n"
    )
    assert not (repo.root / "mlci-results.json").exists()  # refused before any work
    # Refused before anything runs: no results file is written, none is left half-done.
    (repo.root / "report.html").rmdir()
    (repo.root / "report.md").unlink(missing_ok=True)
    (repo.root / "mlci-results.json").unlink(missing_ok=True)
    (repo.root / "mlci-results.json").mkdir()
    code, output = check(repo)
    assert code == 2
    assert output.startswith(
        f"mlci: error: cannot write {repo.root / 'mlci-results.json'}: it is a directory\n"
    )
    assert not (repo.root / "report.md").exists()


# --- JUnit XML -----------------------------------------------------------------------------


def test_junit_symlinked_outside_is_not_read(repo: Repo, outside: Path) -> None:
    (outside / "junit.xml").write_text(f'<testsuite><testcase name="{SECRET}"/></testsuite>')
    link = f"import os; os.symlink({str(outside / 'junit.xml')!r}, 'junit.xml')"
    repo.commit(
        "tests", {"mlci.yaml": f'tests:\n  command: python -c "{link}"\n  junit: junit.xml\n'}
    )
    result = repo.mlci("check")
    assert result.exit_code == 1, result.output
    assert results(repo)["tests"]["reason"] == f"cannot read junit.xml: {OUTSIDE}"
    assert_no_secret(everything(repo, result.output))


def test_stale_junit_is_not_read(repo: Repo) -> None:
    repo.commit(
        "tests",
        {
            "mlci.yaml": "tests:\n  command: python -c pass\n  junit: junit.xml\n",
            "junit.xml": '<testsuite><testcase name="old"/></testsuite>',
        },
    )
    result = repo.mlci("check")
    assert result.exit_code == 1, result.output
    assert results(repo)["tests"]["reason"] == (
        "junit.xml is stale: the command did not write it (it is as it was before the run), "
        "so it was not read"
    )


def test_pytest_junit_is_written_outside_the_repository(repo: Repo) -> None:
    """A committed junit.xml (or a link named like pytest's report) is never read for pytest."""
    repo.commit(
        "tests",
        {
            "mlci.yaml": "tests:\n  command: python -m pytest tests -q -p no:cacheprovider\n",
            "tests/test_one.py": "def test_one():\n    assert True\n",
            "junit.xml": '<testsuite><testcase name="forged"><failure/></testcase></testsuite>',
        },
    )
    result = repo.mlci("check")
    assert result.exit_code == 0, result.output
    tests = results(repo)["tests"]
    assert (tests["total"], tests["reason"]) == (1, "the only test passed")
