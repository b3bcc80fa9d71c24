"""The GitHub Actions runtime: event payload, step outputs, job summary, annotations.

Everything the runner hands a step through environment variables and files is
read or written here, and only here.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlci.errors import UsageError
from mlci.results import GateResult, Results

# Actions shows at most 10 error and 10 warning annotations per step.
MAX_ANNOTATIONS = 10
SUMMARY_LIMIT = 1024 * 1024  # GITHUB_STEP_SUMMARY: 1 MiB per step


@dataclass(frozen=True)
class Context:
    """What the runner tells a step about the run."""

    event_name: str
    repository: str  # owner/name
    api_url: str
    server_url: str
    run_id: str | None
    sha: str | None  # GITHUB_SHA: for pull_request, the test merge commit
    pr_number: int | None
    base_sha: str | None  # the pull request's base, or a push's `before`
    head_sha: str | None  # where the status goes: the PR head, or the pushed commit
    event: Mapping[str, Any]

    @property
    def run_url(self) -> str | None:
        if not self.run_id:
            return None
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"

    @property
    def artifacts_url(self) -> str | None:
        """Where report.html is: the artifacts of the run that computed the results (for
        a workflow_run, the triggering run), on this GitHub's own server."""
        run = self.event.get("workflow_run")
        url = run.get("html_url") if isinstance(run, dict) else None
        if isinstance(url, str) and url.startswith(f"{self.server_url}/"):
            return f"{url}#artifacts"
        return f"{self.run_url}#artifacts" if self.run_url else None


def _load_event(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read GITHUB_EVENT_PATH {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise UsageError(f"GITHUB_EVENT_PATH {path} is not valid JSON: {exc}") from None
    if not isinstance(event, dict):
        raise UsageError(f"GITHUB_EVENT_PATH {path} does not hold a JSON object")
    return event


_ZERO_SHA = "0" * 40


def read_context(env: Mapping[str, str] | None = None, *, publishing: bool = True) -> Context:
    """Read the Actions context from the environment (GITHUB_* variables).

    Only publishing needs the repository: without it (``publishing=False``, as in
    ``mlci ci --no-publish`` tried on a laptop) the context is whatever is there.
    """
    env = env if env is not None else os.environ
    repository = env.get("GITHUB_REPOSITORY", "")
    if publishing and "/" not in repository:
        raise UsageError(
            "GITHUB_REPOSITORY is not set (expected owner/name)",
            hint="run `mlci ci` as a GitHub Actions step, or use `mlci check` locally",
        )
    event_name = env.get("GITHUB_EVENT_NAME", "")
    event = _load_event(env.get("GITHUB_EVENT_PATH"))
    pr_number = base_sha = head_sha = None
    pull = event.get("pull_request")
    if isinstance(pull, dict):
        pr_number = _int(pull.get("number"))
        base_sha = _str(pull.get("base", {}).get("sha"))
        head_sha = _str(pull.get("head", {}).get("sha"))
    elif event_name == "push":
        before = _str(event.get("before"))
        base_sha = before if before and before != _ZERO_SHA else None
        head_sha = _str(event.get("after")) or env.get("GITHUB_SHA")
    elif event_name == "merge_group":
        group = event.get("merge_group")
        if isinstance(group, dict):
            base_sha = _str(group.get("base_sha"))
            head_sha = _str(group.get("head_sha"))
        head_sha = head_sha or env.get("GITHUB_SHA")
    elif event_name == "workflow_run":
        run = event.get("workflow_run", {})
        head_sha = _str(run.get("head_sha")) if isinstance(run, dict) else None
    else:
        head_sha = env.get("GITHUB_SHA")
    return Context(
        event_name=event_name,
        repository=repository,
        api_url=env.get("GITHUB_API_URL", "https://api.github.com").rstrip("/"),
        server_url=env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/"),
        run_id=env.get("GITHUB_RUN_ID"),
        sha=env.get("GITHUB_SHA"),
        pr_number=pr_number,
        base_sha=base_sha,
        head_sha=head_sha,
        event=event,
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# Workflow commands. Data in them is escaped as the runner's toolkit does, so a
# PR-controlled string cannot end the command early or start a new one.


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def mask(value: str, write: Callable[[str], None]) -> None:
    """Ask the runner to hide ``value`` in every log line from now on."""
    if value:
        write(f"::add-mask::{escape_data(value)}")


class ActionsLog:
    """The step log as the runner reads it: mlci's own workflow commands, and stretches
    of text that may hold anything a pull request wrote.

    The runner executes any log line that starts with ``::`` (``::add-mask::``,
    ``::error::``, ``::stop-commands::``...), whoever printed it. So every stretch that
    can carry PR-controlled text (DVC's and the tests' streamed output, the terminal
    report, error messages) goes through :meth:`untrusted`, which pauses command
    processing with ``::stop-commands::<random token>`` and resumes it with
    ``::<token>::``, a fresh token each time: the pull request never sees it before its
    text is printed, so it cannot resume processing early. mlci's own commands go
    through :meth:`command`, which refuses to run inside such a stretch (they would be
    ignored there). Outside GitHub Actions (``active`` false) nothing is paused and no
    command is written: a local terminal would only show them, ``::add-mask::`` with
    the token in it.

    Everything goes through the one ``write`` callable, one stream: the runner reads
    stdout and stderr on separate threads, so a pause on one does not cover the other.
    """

    def __init__(self, write: Callable[[str], None], *, active: bool) -> None:
        self._write = write
        self.active = active
        self._paused = False

    @classmethod
    def from_env(
        cls, write: Callable[[str], None], env: Mapping[str, str] | None = None
    ) -> ActionsLog:
        env = os.environ if env is None else env
        return cls(write, active=env.get("GITHUB_ACTIONS") == "true")

    def command(self, line: str) -> None:
        """Write one of mlci's own workflow commands (built with this module's escaping)."""
        if self._paused:
            raise RuntimeError(f"workflow command inside an untrusted stretch: {line[:40]}")
        if self.active:
            self._write(line)

    def mask(self, value: str) -> None:
        """Ask the runner to hide ``value`` in every log line from now on."""
        mask(value, self.command)

    @contextmanager
    def untrusted(self) -> Iterator[None]:
        """A stretch of output in which the runner executes no workflow command."""
        if self._paused or not self.active:
            yield
            return
        token = secrets.token_hex(16)
        self._write(f"::stop-commands::{token}")
        self._paused = True
        try:
            yield
        finally:
            self._paused = False
            self._write(f"::{token}::")

    def text(self, text: str) -> None:
        """Write text that may hold PR-controlled strings (in a stretch of its own, unless
        one is open already)."""
        with self.untrusted():
            self._write(text)

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        """A folded group of untrusted output: ``::group::``, pause, output, resume,
        ``::endgroup::`` (the runner only sees the group lines outside the pause)."""
        self.command(f"::group::{escape_data(title)}")
        try:
            with self.untrusted():
                yield
        finally:
            self.command("::endgroup::")


def annotation_lines(results: Results, config_file: str | None) -> list[str]:
    """``::error``/``::warning`` lines for gates that did not pass, most important first."""
    lines: list[str] = []
    for level, outcome in (("error", "fail"), ("warning", "warn")):
        gates = [gate for gate in results.gates if gate.outcome == outcome]
        for gate in gates[:MAX_ANNOTATIONS]:
            lines.append(_annotation(level, gate, config_file))
    return lines


def _annotation(level: str, gate: GateResult, config_file: str | None) -> str:
    props = [f"title={escape_property(f'mlci: {gate.key}')}"]
    if config_file and gate.line and gate.source in ("base", "head"):
        props.insert(0, f"file={escape_property(config_file)},line={gate.line}")
    return f"::{level} {','.join(props)}::{escape_data(f'{gate.rule}: {gate.reason}')}"


def write_outputs(path: str | None, values: Mapping[str, str]) -> None:
    """Append ``name=value`` (or ``name<<DELIM`` blocks) to GITHUB_OUTPUT."""
    if not path:
        return
    with Path(path).open("a", encoding="utf-8") as out:
        for name, value in values.items():
            if "\n" in value or "\r" in value:
                delimiter = f"mlci_{secrets.token_hex(16)}"
                while delimiter in value:  # astronomically unlikely, but cheap to rule out
                    delimiter = f"mlci_{secrets.token_hex(16)}"
                out.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
            else:
                out.write(f"{name}={value}\n")


def append_summary(path: str | None, markdown: str, note: str = "") -> None:
    """Add the report to GITHUB_STEP_SUMMARY, within its 1 MiB limit."""
    if not path:
        return
    budget = SUMMARY_LIMIT - len(note.encode()) - 200
    data = markdown.encode()
    if len(data) > budget:
        markdown = data[:budget].decode(errors="ignore")
        markdown += "\n\n…(truncated to fit the job summary)\n"
    with Path(path).open("a", encoding="utf-8") as out:
        out.write(markdown + note + "\n")
