"""One error type, raised anywhere and caught once in the CLI.

Each subclass carries the exit code documented in the README's table.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    PASS = 0  # verdict pass or warn
    FAIL = 1  # verdict fail: a gate, data check or test failed
    USAGE = 2  # bad flag or bad mlci.yaml
    ENVIRONMENT = 3  # not a git/DVC repo, revision unreachable, DVC failed
    PUBLISH = 4  # publishing failed; the report is still on disk


class MlciError(Exception):
    """Something mlci cannot get past; the message says what, where and what to do."""

    exit_code = ExitCode.ENVIRONMENT

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class UsageError(MlciError):
    exit_code = ExitCode.USAGE


class PredictionsError(UsageError):
    """The predictions files cannot be compared: unreadable, columns missing, or too
    few examples in common. ``rev``: the revision at fault ("base", "head"), None
    when it is the pair (too few examples in common)."""

    def __init__(self, message: str, *, hint: str | None = None, rev: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.rev = rev


class ConfigError(UsageError):
    """mlci.yaml is invalid."""


class GitError(MlciError):
    """Not a git repository, or a revision that cannot be resolved or fetched."""


class DvcError(MlciError):
    """Not a DVC repository, or a DVC command failed."""


class PublishError(MlciError):
    """Publishing failed. ``status``: GitHub's HTTP status, None when it never answered;
    ``operation``: what was being done ("post the PR comment")."""

    exit_code = ExitCode.PUBLISH

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        status: int | None = None,
        operation: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.operation = operation


def redact(text: str, token: str) -> str:
    """``text`` with ``token`` masked: the one redaction, wherever an error or a message
    may carry what a forge echoed back."""
    return text.replace(token, "***") if token else text


QUOTE_LIMIT = 200  # characters of a value quoted in an error: it may be huge


def clip(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` cut to at most ``limit`` characters, an ellipsis marking the cut: the one
    clipper for values a pull request controls (errors, terminal cells, Markdown)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
