"""Publish computed results to a pull request: sticky comment, commit status or check run.

Nothing here computes a verdict; it only carries one to GitHub.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Literal

from mlci.forge import COMMENT_LIMIT, Published, fit_comment, utf8_size
from mlci.github.actions import Context
from mlci.github.client import Comment, GitHub
from mlci.render.markdown import Report, marker, verdict_summary
from mlci.render.text import Md
from mlci.results import Results

CommentMode = Literal["update", "new", "delete", "off"]
StatusMode = Literal["status", "check", "off"]

_STATE = {"pass": "success", "warn": "success", "fail": "failure"}
_CONCLUSION = {"pass": "success", "warn": "neutral", "fail": "failure"}
STATUS_DESCRIPTION_LIMIT = 140
CHECK_TEXT_LIMIT = 65535
CHECK_ANNOTATION_LIMIT = 50
__all__ = [
    "CommentMode",
    "GitHubForge",
    "Published",
    "StatusMode",
    "post_report",
    "post_verdict",
    "sync_comment",
]


def is_ours(comment: Comment, mark: str, login: str | None) -> bool:
    """Our sticky comment: the marker on a line of its own, written by this token's user.

    A human who quotes the report (marker and all) is never matched: their comment
    is not by the bot.
    """
    if mark not in comment.body.splitlines():
        return False
    if login is not None:
        return comment.login == login
    return comment.user_type == "Bot"


def summary_line(results: Results) -> str:
    """The commit status's description: ``fail: 1 of 9 failed (7 gate checks, ...)``."""
    return f"{results.verdict}: {verdict_summary(results)}"


def sync_comment(
    github: GitHub, number: int, body: str, title: str, mode: CommentMode
) -> tuple[str | None, int]:
    """Create, update or delete the one sticky comment; returns (url, duplicates removed)."""
    mark = marker(title)
    login = github.login()
    ours = [c for c in github.comments(number) if is_ours(c, mark, login)]
    if mode in ("new", "delete"):
        for comment in ours:
            github.delete_comment(comment.id)
        if mode == "delete":
            return None, 0
        ours = []
    if ours:
        url = github.update_comment(ours[0].id, body)
        for duplicate in ours[1:]:  # left by a post whose answer was lost
            github.delete_comment(duplicate.id)
        return url, len(ours) - 1
    nonce = f"<!-- mlci-post: {secrets.token_hex(8)} -->"
    created = github.create_comment(number, f"{body.rstrip()}\n{nonce}\n", nonce)
    return created.url, 0


@dataclass(frozen=True)
class GitHubForge:
    """GitHub as a :class:`mlci.forge.Forge`: a pull request's comment and a commit status
    or check run, through one client."""

    github: GitHub
    context: Context
    pr_number: int | None
    comment: CommentMode = "update"
    status: StatusMode = "status"
    config_file: str | None = None
    name: str = "GitHub"

    def post(self, report: Report) -> Published:
        return post_report(
            report,
            self.context,
            self.github,
            pr_number=self.pr_number,
            comment=self.comment,
            status=self.status,
            config_file=self.config_file,
        )


def post_report(
    report: Report,
    context: Context,
    github: GitHub,
    *,
    pr_number: int | None,
    comment: CommentMode,
    status: StatusMode,
    config_file: str | None,
) -> Published:
    results = report.results
    run_url = context.run_url
    full_report = Md(f"[the job summary]({run_url})") if run_url else "the job summary"
    url = None
    if pr_number is not None and comment != "off":
        # Room for the per-post nonce line sync_comment appends.
        body = fit_comment(report, full_report=full_report, limit=COMMENT_LIMIT - 64)
        url, _removed = sync_comment(github, pr_number, body, results.title, comment)
    sent = None
    head_sha = context.head_sha
    if status != "off" and head_sha:
        name = f"mlci/{results.title}"
        if status == "status":
            sent = _STATE[results.verdict]
            description = summary_line(results)
            if len(description) > STATUS_DESCRIPTION_LIMIT:
                description = description[: STATUS_DESCRIPTION_LIMIT - 1] + "…"
            github.post_status(head_sha, sent, description, name, run_url)
        else:
            sent = _CONCLUSION[results.verdict]
            github.post_check_run(_check_run(report, name, head_sha, sent, run_url, config_file))
    return Published(comment_url=url, status=sent)


def _check_run(
    report: Report,
    name: str,
    head_sha: str,
    conclusion: str,
    run_url: str | None,
    config_file: str | None,
) -> dict[str, object]:
    results = report.results
    annotations = [
        {
            "path": config_file,
            "start_line": gate.line,
            "end_line": gate.line,
            "annotation_level": "failure" if gate.outcome == "fail" else "warning",
            "title": f"mlci: {gate.key}"[:255],
            "message": f"{gate.rule}: {gate.reason}"[:64000],
        }
        for gate in results.gates
        if gate.outcome != "pass" and gate.line and config_file
    ][:CHECK_ANNOTATION_LIMIT]
    # Check-run text is limited in characters and in UTF-8 bytes: count the bytes.
    summary = fit_comment(report, limit=CHECK_TEXT_LIMIT, size=utf8_size)
    payload: dict[str, object] = {
        "name": name,
        "head_sha": head_sha,
        "status": "completed",
        "conclusion": conclusion,
        "output": {
            "title": summary_line(results),
            "summary": summary,
            "annotations": annotations,
        },
    }
    if run_url:
        payload["details_url"] = run_url
    return payload


def post_verdict(
    github: GitHub,
    *,
    head_sha: str,
    verdict: str,
    name: str,
    title: str,
    summary: str,
    mode: StatusMode,
    run_url: str | None,
) -> str | None:
    """A verdict computed elsewhere (`mlci merge`'s, over several shards) on the head
    commit: a commit status (``title`` as its description, cut to GitHub's 140
    characters) or a completed check run (``summary``, within 65,535 UTF-8 bytes, as
    its text). Returns the state or conclusion sent; None for ``mode`` "off"."""
    if mode == "off":
        return None
    if mode == "status":
        state = _STATE[verdict]
        if len(title) > STATUS_DESCRIPTION_LIMIT:
            title = title[: STATUS_DESCRIPTION_LIMIT - 1] + "…"
        github.post_status(head_sha, state, title, name, run_url)
        return state
    conclusion = _CONCLUSION[verdict]
    payload: dict[str, object] = {
        "name": name,
        "head_sha": head_sha,
        "status": "completed",
        "conclusion": conclusion,
        "output": {"title": title[:255], "summary": summary},
    }
    if run_url:
        payload["details_url"] = run_url
    github.post_check_run(payload)
    return conclusion
