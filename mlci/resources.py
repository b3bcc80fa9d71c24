"""Files mlci ships beside its code: Jinja2 templates and the example project.

An installed wheel carries them inside the package (see pyproject.toml's
force-include); a source checkout reads them from the repository root.
"""

from __future__ import annotations

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
