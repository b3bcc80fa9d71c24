"""The command line as a whole: help text, README coverage, start-up cost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import Repo

from mlci.cli import cli

README = (Path(__file__).parents[1] / "README.md").read_text()
COMMANDS = sorted(cli.commands)


def test_help_lists_every_command_with_its_summary() -> None:
    result = CliRunner().invoke(cli, ["--help"], prog_name="mlci")
    assert result.exit_code == 0, result.output
    listed = result.output.split("\nCommands:\n", 1)[1]
    names = [line.split()[0] for line in listed.splitlines() if line.strip()]
    assert names == COMMANDS


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help(name: str) -> None:
    command = cli.commands[name]
    assert command.help and len(command.help.strip()) > 40
    result = CliRunner().invoke(cli, [name, "--help"], prog_name="mlci")
    assert result.exit_code == 0
    assert result.output.startswith(f"Usage: mlci {name} ")
    for param in command.params:
        if isinstance(param, click.Option) and param.name != "help":
            assert param.help, f"mlci {name} {param.opts[0]} has no help text"


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_documented_in_the_readme(name: str) -> None:
    assert f"mlci {name}" in README
    for param in cli.commands[name].params:
        if isinstance(param, click.Option) and param.name != "help":
            assert param.opts[0] in README, f"README does not mention mlci {name} {param.opts[0]}"


def test_exit_codes_are_documented() -> None:
    from mlci.errors import ExitCode

    for code in ExitCode:
        assert f"| {code.value} |" in README


def test_help_does_not_import_heavy_modules() -> None:
    probe = (
        "import sys\n"
        "from mlci.cli import cli\n"
        "try:\n"
        "    cli(['--help'], prog_name='mlci')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('dvc', 'pandas', 'git', 'jinja2', 'sklearn', 'tabulate', 'yaml')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert "HEAVY []" in out


def test_version() -> None:
    from mlci import __version__

    result = CliRunner().invoke(cli, ["--version"], prog_name="mlci")
    assert result.output == f"mlci, version {__version__}\n"


def test_the_console_script_ends_as_sys_exit_would(tmp_path: Path) -> None:
    # main() freezes the garbage collector and ends through sys.exit: the exit code,
    # buffered output (stdout is a pipe here, so block-buffered) and atexit handlers
    # all survive that, and the collector's thresholds are the process's own again.
    from mlci import __version__

    version = subprocess.run(
        [sys.executable, "-m", "mlci", "--version"], check=False, capture_output=True, text=True
    )
    assert (version.returncode, version.stdout) == (0, f"mlci, version {__version__}\n")

    not_a_repo = subprocess.run(
        [sys.executable, "-m", "mlci", "check"],
        cwd=tmp_path,
        check=False,
        capture_output=True,
        text=True,
    )
    assert not_a_repo.returncode == 3
    assert not_a_repo.stderr.startswith("mlci: error: ")
    assert "not a git repository" in not_a_repo.stderr

    usage = subprocess.run(
        [sys.executable, "-m", "mlci", "bogus"], check=False, capture_output=True, text=True
    )
    assert usage.returncode == 2
    assert "No such command 'bogus'" in usage.stderr

    marker = tmp_path / "atexit-ran"
    probe = (
        "import atexit, pathlib, sys\n"
        f"atexit.register(pathlib.Path({str(marker)!r}).write_text, 'yes')\n"
        "import gc\n"
        "before = gc.get_threshold()\n"
        f"atexit.register(lambda: pathlib.Path({str(marker)!r} + '.gc').write_text("
        "str(gc.get_threshold() == before)))\n"
        "sys.argv = ['mlci', '--help']\n"
        "from mlci.cli import main\n"
        "main()\n"
    )
    helped = subprocess.run(
        [sys.executable, "-c", probe], check=False, capture_output=True, text=True
    )
    assert helped.returncode == 0
    assert helped.stdout.startswith("Usage: mlci") and helped.stdout.endswith("\n")
    assert "check" in helped.stdout and "publish" in helped.stdout
    assert marker.read_text() == "yes"
    assert Path(f"{marker}.gc").read_text() == "True"


def test_files_go_to_the_project_root_whichever_folder_mlci_runs_from(repo: Repo) -> None:
    sub = repo.root / "src" / "deep"
    sub.mkdir(parents=True)
    cwd = Path.cwd()
    os.chdir(sub)
    try:
        result = CliRunner().invoke(cli, ["check", "--no-tests"], catch_exceptions=False)
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    for name in ("mlci-results.json", "report.md", "report.html"):
        assert (repo.root / name).is_file(), name
        assert not (sub / name).exists(), name
    assert "Report: ../../report.md   Results: ../../mlci-results.json" in result.output


def test_ci_without_publishing_needs_no_github_variables(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`mlci ci --no-publish` tried on a laptop: a check with the Actions files it can write."""
    for name in [key for key in os.environ if key.startswith("GITHUB_")]:
        monkeypatch.delenv(name)
    result = repo.mlci("ci", "--no-publish", "--no-tests")
    assert result.exit_code == 0, result.output
    assert json.loads((repo.root / "mlci-results.json").read_text())["verdict"] == "pass"
    result = repo.mlci("ci", "--no-tests")  # publishing does need them
    assert result.exit_code == 2
    assert "GITHUB_REPOSITORY is not set" in result.output
