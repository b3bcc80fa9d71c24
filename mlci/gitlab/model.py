"""Plain data the GitLab modules share, apart from the client: importing python-gitlab
costs about a third of a second, paid only when mlci really talks to GitLab."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Note:
    """A merge-request note as mlci needs it to find its own."""

    id: int
    body: str
    author_id: int
    system: bool
