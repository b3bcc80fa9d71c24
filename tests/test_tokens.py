"""mlci.tokens: the hand-over of the token to a restarted mlci, and what it refuses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlci import tokens
from mlci.git.repo import SECRET_VARS


def test_a_handed_over_token_is_read_once_and_its_pipe_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read_fd, write_fd = os.pipe()
    os.write(write_fd, b"ghs_handed")
    os.close(write_fd)
    monkeypatch.setenv(tokens.FD_VAR, f"{read_fd}:{os.getpid()}")
    assert tokens.receive() == "ghs_handed"
    assert tokens.FD_VAR not in os.environ
    with pytest.raises(OSError):
        os.fstat(read_fd)  # closed: no child can inherit it
    assert tokens.receive() is None


@pytest.mark.parametrize("value", ["{fd}:1", "{fd}", "x:{pid}", ""])
def test_a_stray_fd_variable_is_not_read(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    """Only a variable naming this very process (execve keeps the pid) is trusted."""
    read_fd, write_fd = os.pipe()
    try:
        os.write(write_fd, b"not for you")
        monkeypatch.setenv(tokens.FD_VAR, value.format(fd=read_fd, pid=os.getpid()))
        assert tokens.receive() is None
        assert os.read(read_fd, 100) == b"not for you"  # left alone
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_nothing_to_hide_means_no_restart(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*SECRET_VARS, "MY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    warnings: list[str] = []
    tokens.reexec_without_secrets("MY_TOKEN", warn=warnings.append)  # returns: no exec
    assert warnings == []


def test_when_the_restart_fails_mlci_goes_on_and_says_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MY_TOKEN", "ghs_x")
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python"))
    warnings: list[str] = []
    before = set(Path("/proc/self/fd").iterdir()) if Path("/proc/self/fd").is_dir() else None
    tokens.reexec_without_secrets("MY_TOKEN", warn=warnings.append)
    assert warnings == [
        "could not restart mlci without $MY_TOKEN (No such file or directory); the "
        "pipeline's stages could read it from mlci's process environment"
    ]
    assert os.environ["MY_TOKEN"] == "ghs_x"
    if before is not None:
        assert set(Path("/proc/self/fd").iterdir()) == before  # the pipe was closed


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_ancestors_holding_the_token_are_named(tmp_path: Path) -> None:
    """The step's shell started with the token: mlci names it (it cannot clean it)."""
    probe = (
        "from mlci import tokens; "
        "print([name for _, name in tokens.ancestors_holding('ghs_in_the_shell')])"
    )
    script = tmp_path / "step.sh"
    script.write_text(f'"{sys.executable}" -c "{probe}"\ntrue\n')
    env = {**os.environ, "GITHUB_TOKEN": "ghs_in_the_shell"}
    shell = subprocess.run(
        ["bash", str(script)], env=env, capture_output=True, text=True, check=False
    )
    assert shell.stdout.strip() == "['bash']", shell.stderr
    clean = {key: value for key, value in os.environ.items() if key != "GITHUB_TOKEN"}
    quiet = subprocess.run(
        ["bash", str(script)], env=clean, capture_output=True, text=True, check=False
    )
    assert quiet.stdout.strip() == "[]", quiet.stderr
