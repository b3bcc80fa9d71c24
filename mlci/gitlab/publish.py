"""Carry computed results to a GitLab merge request: one sticky note and a commit status.

Nothing here computes a verdict. The note is found as on GitHub: the report's marker on
a line of its own, in a note written by the token's own user (a human who quotes the
report is never matched, nor a system note), across every page of notes.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from mlci.forge import Published, fit_comment
from mlci.gitlab.context import GitLabContext
from mlci.gitlab.model import Note
from mlci.render.markdown import Report, marker, verdict_summary
from mlci.render.text import Md
from mlci.results import Results

if TYPE_CHECKING:  # python-gitlab is imported only when mlci talks to GitLab
    from mlci.gitlab.client import GitLab

NoteMode = Literal["update", "new", "delete", "off"]

NOTE_LIMIT = 1_000_000  # GitLab: "The content of a note. Limited to 1,000,000 characters."
STATUS_FIELD_LIMIT = 255  # description and target_url: "Must be 255 characters or fewer"
# GitLab's commit-status states; a warning does not block the merge request.
STATE = {"pass": "success", "warn": "success", "fail": "failed"}


_QUICK_ACTION = re.compile(r"^([ \t]*)/", re.M)
_FENCE = re.compile(r"^[ \t]*(```|~~~)")


def without_quick_actions(body: str) -> str:
    """The note with no line GitLab would run as a quick action (``/merge``, ``/close``,
    ``/approve``...: a line that starts with ``/``, outside a code block, in a note the
    token's user creates or edits). Such a line's slash becomes ``&#47;``, which renders
    as the same slash. The templates never start a line with a pull request's string;
    this holds whatever a template does."""
    lines = body.split("\n")
    fenced = False
    for number, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines[number] = _QUICK_ACTION.sub(r"\1&#47;", line, count=1)
    return "\n".join(lines)


def is_ours(note: Note, mark: str, user_id: int) -> bool:
    """Our sticky note: the marker on a line of its own, by this token's user."""
    return not note.system and note.author_id == user_id and mark in note.body.splitlines()


def status_description(results: Results) -> str:
    text = f"{results.verdict}: {verdict_summary(results)}"
    return text if len(text) <= STATUS_FIELD_LIMIT else text[: STATUS_FIELD_LIMIT - 1] + "…"


def sync_note(
    client: GitLab, project_id: str, iid: int, body: str, title: str, mode: NoteMode
) -> tuple[int | None, int]:
    """Create, update or delete the one sticky note; returns (its id, duplicates removed)."""
    mark = marker(title)
    user_id = client.user_id()
    ours = [note for note in client.notes(project_id, iid) if is_ours(note, mark, user_id)]
    if mode in ("new", "delete"):
        for note in ours:
            client.delete_note(project_id, iid, note.id)
        if mode == "delete":
            return None, 0
        ours = []
    if ours:
        client.update_note(project_id, iid, ours[0].id, body)
        for duplicate in ours[1:]:  # left by a post whose answer was lost
            client.delete_note(project_id, iid, duplicate.id)
        return ours[0].id, len(ours) - 1
    nonce = f"<!-- mlci-post: {secrets.token_hex(8)} -->"
    created = client.create_note(project_id, iid, f"{body.rstrip()}\n{nonce}\n", nonce)
    return created.id, 0


@dataclass(frozen=True)
class GitLabForge:
    """GitLab as a :class:`mlci.forge.Forge`: a merge request's note and a commit status,
    through one client."""

    client: GitLab
    context: GitLabContext
    note: NoteMode = "update"
    status: bool = True
    name: str = "GitLab"

    def post(self, report: Report) -> Published:
        return post_report(report, self.context, self.client, note=self.note, status=self.status)


def post_report(
    report: Report,
    context: GitLabContext,
    client: GitLab,
    *,
    note: NoteMode = "update",
    status: bool = True,
) -> Published:
    """The note (in a merge-request pipeline) and the commit status on the head commit."""
    results = report.results
    pipeline = context.pipeline_url
    full_report = Md(f"[the pipeline]({pipeline})") if pipeline else "the pipeline's artifacts"
    note_url = None
    if context.mr_iid is not None and note != "off":
        # Room for the per-post nonce line sync_note appends.
        body = fit_comment(report, full_report=full_report, limit=NOTE_LIMIT - 64, forge="GitLab")
        body = without_quick_actions(body)
        note_id, _removed = sync_note(
            client, context.mr_project_id, context.mr_iid, body, results.title, note
        )
        note_url = context.note_url(note_id) if note_id is not None else None
    sent = None
    if status and context.head_sha:
        sent = STATE[results.verdict]
        target = pipeline if pipeline and len(pipeline) <= STATUS_FIELD_LIMIT else None
        client.post_status(
            context.project_id,
            context.head_sha,
            state=sent,
            name=f"mlci/{results.title}"[:STATUS_FIELD_LIMIT],
            description=status_description(results),
            target_url=target,
            pipeline_id=context.pipeline_id,
        )
    return Published(comment_url=note_url, status=sent)
