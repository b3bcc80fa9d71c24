"""`mlci diff`: how metrics and params changed between two revisions, as text."""

from __future__ import annotations

from pathlib import Path

from mlci.flow import run_diff
from mlci.render.markdown import render_diff


def diff_text(
    root: Path, base: str | None, head: str | None, output_format: str, env_base: str | None
) -> str:
    """``table`` (terminal), ``md`` or ``json``; ``env_base``: ``$MLCI_BASE``, if set."""
    return render_diff(run_diff(root, base, head, env_base=env_base), output_format)
