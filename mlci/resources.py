"""Files mlci ships beside its code (Jinja2 templates, the example project), and
the folder where it caches what it can rebuild (the Vega bundle).

An installed wheel carries the shipped files inside the package (see pyproject.toml's
force-include); a source checkout reads them from the repository root.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"mlci is missing its {name}/ folder (looked in {_PACKAGE})")


def templates_dir() -> Path:
    return _find("templates")


def example_project_dir() -> Path:
    return _find("example-project")


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/mlci`` (default ``~/.cache/mlci``); may not exist yet."""
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "mlci"
