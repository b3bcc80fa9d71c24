"""Write mlci's templates as precompiled modules (see :mod:`mlci.render.templates`).

    python -m mlci.render.precompile

Run it after editing a template (``make templates``); tests/test_templates.py fails
while a shipped module is not what this writes.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from mlci.render import html, markdown
from mlci.render.templates import compiled_source, module_name


def targets() -> list[tuple[jinja2.Environment, str]]:
    """Each template mlci renders, with the one environment that renders it."""
    md = markdown.environment(markdown=True)
    text = markdown.environment(markdown=False)
    page = html.environment()
    return [
        (md, "comment.md.j2"),
        (md, "diff.md.j2"),
        (md, "merged.md.j2"),
        (text, "check.txt.j2"),
        (text, "diff.txt.j2"),
        (page, "report.html.j2"),
    ]


def modules() -> dict[str, str]:
    """{module file name: its text} for every target."""
    found = {}
    for environment, name in targets():
        assert environment.loader is not None
        source, _filename, _uptodate = environment.loader.get_source(environment, name)
        found[f"{module_name(name)}.py"] = compiled_source(environment, name, source)
    return found


def folder() -> Path:
    return Path(__file__).resolve().parent / "compiled"


def main() -> None:
    target = folder()
    target.mkdir(exist_ok=True)
    (target / "__init__.py").write_text(
        '"""Templates compiled by `python -m mlci.render.precompile`: generated, do not edit."""\n'
    )
    for file_name, text in modules().items():
        (target / file_name).write_text(text)
        print(f"wrote {target / file_name}")


if __name__ == "__main__":
    main()
