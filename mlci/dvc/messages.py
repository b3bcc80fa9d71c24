"""DVC's errors as one line a user can act on (both the reads and the plots use it)."""

from __future__ import annotations

import re

# DVC's words when a remote's plugin is missing: "s3 is supported, but requires
# 'dvc-s3' to be installed".
_MISSING_PLUGIN = re.compile(r"requires '(dvc-[a-z0-9-]+)' to be installed")
# The plugins mlci has an extra for (pyproject.toml's optional dependencies).
_EXTRAS = {"dvc-s3": "s3", "dvc-gs": "gs", "dvc-azure": "azure"}


def plugin_hint(text: str) -> str | None:
    """What to install when ``text`` (DVC's error) says a remote's plugin is missing."""
    match = _MISSING_PLUGIN.search(text)
    if match is None:
        return None
    plugin = match.group(1)
    extra = _EXTRAS.get(plugin)
    install = f"pip install 'mlci[{extra}]'" if extra else f"pip install {plugin}"
    return f"install DVC's plugin for this remote: {install}"


def error_text(exc: BaseException) -> str:
    """DVC's error and its cause on one line, with what to install when the cause is a
    remote's missing plugin."""
    cause = exc.__cause__ or exc.__context__
    text = str(exc) or type(exc).__name__
    if cause is not None and str(cause) and str(cause) not in text:
        text = f"{text}: {cause}"
    text = " ".join(text.split())
    hint = plugin_hint(text)
    return f"{text} ({hint})" if hint else text
