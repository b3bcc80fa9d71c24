"""mlci's templates run from their precompiled modules (mlci.render.templates): the same
output as compiled from source, never a module made from another source."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
from conftest import make_results

from mlci.render import html, markdown, precompile, templates
from mlci.render.markdown import Report, render_diff, render_terminal
from mlci.results import Change


def test_shipped_modules_are_what_precompile_writes() -> None:
    shipped = {p.name for p in precompile.folder().glob("*.py")} - {"__init__.py"}
    expected = precompile.modules()
    assert shipped == set(expected), "run `make templates` (python -m mlci.render.precompile)"
    for name, text in expected.items():
        assert (precompile.folder() / name).read_text() == text, (
            f"mlci/render/compiled/{name} is stale: run `make templates`"
        )


def _renderings() -> list[str]:
    results = make_results(
        verdict="fail",
        metrics=(
            Change("m.json", "acc|uracy", 0.9, 0.8, -0.1, -11.1, "changed", better="higher"),
            Change("m.json", "loss", 0.3, 0.3, 0.0, 0.0, "unchanged"),
            Change("m.json", "<b>new</b>", None, 1, None, None, "new"),
        ),
        params=(Change("params.yaml", "train.lr", 0.1, 0.2, 0.1, 100.0, "changed"),),
        notes=("A note with `code` and <html>.",),
    )
    report = Report(results)
    return [
        report.markdown(),
        render_terminal(results),
        render_diff(results, "md"),
        render_diff(results, "table"),
        html.render_html(results),
    ]


def test_precompiled_templates_render_as_compiled_from_source(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    markdown.environment.cache_clear()
    html.environment.cache_clear()
    loaded: list[str] = []
    real = templates._precompiled

    def counted(name: str) -> object:
        code = real(name)
        if code is not None:
            loaded.append(name)
        return code

    monkeypatch.setattr(templates, "_precompiled", counted)
    precompiled = _renderings()
    assert {"comment.md.j2", "check.txt.j2", "report.html.j2"} <= set(loaded)
    monkeypatch.setattr(templates, "_precompiled", lambda name: None)
    markdown.environment.cache_clear()
    html.environment.cache_clear()
    try:
        assert _renderings() == precompiled
    finally:
        markdown.environment.cache_clear()
        html.environment.cache_clear()


def test_a_template_edited_since_its_module_was_written_compiles_from_source(
    tmp_path: Path,
) -> None:
    """A module whose key does not match (the source changed, or another Jinja2) is
    never run: the template as it is now renders."""
    (tmp_path / "check.txt.j2").write_text("edited: {{ value }}\n")
    env = jinja2.Environment(loader=templates.Loader(str(tmp_path)), keep_trailing_newline=True)
    assert env.get_template("check.txt.j2").render(value=1) == "edited: 1\n"


def test_a_change_of_settings_is_a_change_of_key() -> None:
    source = "{{ x }}\n"
    plain = jinja2.Environment()
    keys = {
        templates.template_key(plain, source),
        templates.template_key(jinja2.Environment(autoescape=True), source),
        templates.template_key(jinja2.Environment(trim_blocks=True), source),
        templates.template_key(jinja2.Environment(finalize=str), source),
        templates.template_key(plain, source + " "),
    }
    assert len(keys) == 5
