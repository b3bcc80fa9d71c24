"""What every forge (GitHub, GitLab) shares: which one a job runs on, what publishing
to it looks like (:class:`Forge`, :class:`Published`), the sticky comment's size limit
and how a report is made to fit it.

A forge module (:mod:`mlci.github`, :mod:`mlci.gitlab`) posts a body; this module
decides what that body is. Nothing here talks to a forge, and the check, the report
and the results know nothing of any forge.
"""

from __future__ import annotations

import email.utils
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from mlci.render.markdown import Report, marker
from mlci.render.text import cut_to_fit, escape_md

COMMENT_LIMIT = 65536  # GitHub's maximum issue-comment body, in characters


ForgeName = Literal["github", "gitlab"]

# The variable each forge's token is read from unless --token-env names another. GitLab's
# own CI_JOB_TOKEN cannot write notes: the user provides one (mlci.gitlab.context).
TOKEN_ENV: dict[ForgeName, str] = {"github": "GITHUB_TOKEN", "gitlab": "MLCI_GITLAB_TOKEN"}


def detect(env: Mapping[str, str] | None = None) -> ForgeName:
    """The forge this job publishes to: GitLab in a GitLab CI job (``GITLAB_CI=true``,
    set by every GitLab runner), else GitHub (Actions, or a laptop)."""
    return (
        "gitlab"
        if (env if env is not None else os.environ).get("GITLAB_CI") == "true"
        else "github"
    )


class Forge(Protocol):
    """Where a report goes: one sticky comment (or note) on the pull (merge) request and
    a state on its head commit. Built by each forge module around its client and its
    runner's context; the commands hand it the report and get :class:`Published` back,
    or a :class:`~mlci.errors.PublishError` (exit 4)."""

    @property
    def name(self) -> str:
        """ "GitHub", "GitLab": in messages."""

    def post(self, report: Report) -> Published: ...


@dataclass(frozen=True)
class Published:
    """What a forge made of a report: where the sticky comment (GitHub) or note (GitLab)
    is, and the state sent to the head commit."""

    comment_url: str | None = None
    status: str | None = None  # the state or conclusion sent


def backoff(base: float, attempt: int) -> float:
    """Seconds before retry ``attempt`` (1, 2, ...) of a failed call: exponential from
    ``base``, at most 30, with jitter so that many jobs do not retry in step."""
    step = min(base * 2.0 ** (attempt - 1), 30.0)
    return step + random.uniform(0, step / 2)


def retry_after_seconds(value: str) -> float:
    """A ``Retry-After`` header as seconds from now: a number, or an HTTP date; a minute
    when it is neither (a forge's garbled header must not end the run)."""
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return 60.0
        return max(0.0, parsed.timestamp() - time.time())


def body_size(text: str) -> int:
    """Characters as GitHub may count them: UTF-16 code units, never fewer than len()."""
    return len(text.encode("utf-16-le")) // 2


def utf8_size(text: str) -> int:
    return len(text.encode())


def fit_comment(
    report: Report,
    *,
    limit: int = COMMENT_LIMIT,
    full_report: str = "the job summary",
    size: Callable[[str], int] = body_size,
    forge: str = "GitHub",
) -> str:
    """The comment body within ``limit`` (as ``size`` counts): fold first, then truncate
    with a pointer to the full report. Each variant is rendered at most once per run."""
    body = report.markdown()
    if size(body) <= limit:
        return body
    # Charts go first, then the unchanged rows; then the report is cut.
    body = report.markdown(charts=False)
    if size(body) <= limit:
        return body
    body = report.markdown(charts=False, omit_folded=True)
    if size(body) <= limit:
        return body
    tail = (
        f"\n\n**… truncated to fit {forge}'s comment size limit.** "
        f"The full report is in {escape_md(full_report)}.\n\n{marker(report.results.title)}\n"
    )
    return cut_to_fit(body, tail, limit, size)
