"""mlci's Jinja2 templates, loaded precompiled when mlci ships them compiled.

Compiling comment.md.j2, check.txt.j2 and report.html.j2 from source took 55-100 ms
of every `mlci check` (Jinja parses each template and generates Python for it). The
generated Python is written once, by ``python -m mlci.render.precompile``, into the
package ``mlci.render.compiled`` (one module per template, installed and byte-compiled
with the rest of mlci), and :class:`Loader` runs it instead of compiling.

Nothing is cached at run time and nothing is read from the work tree or a cache
folder: a pull request's code cannot plant a template (the reason a bytecode cache
on disk was refused). A compiled module is used only when its key matches: the
template's source as it is now, the installed Jinja2's version and the environment's
code-shaping settings; any difference (a template edited since, another Jinja2)
compiles from source, as before. A test holds the shipped modules to the sources.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from collections.abc import MutableMapping
from types import CodeType
from typing import Any

import jinja2

COMPILED_PACKAGE = "mlci.render.compiled"
KEY_NAME = "MLCI_TEMPLATE_KEY"


def module_name(template: str) -> str:
    """The module of ``template`` in :data:`COMPILED_PACKAGE` (``check.txt.j2`` ->
    ``check_txt_j2``)."""
    return re.sub(r"\W", "_", template)


def template_key(environment: jinja2.Environment, source: str) -> str:
    """What the generated Python depends on: the source, Jinja2's version and the
    environment's settings that shape the code (not its filters: looked up at render)."""
    settings = (
        jinja2.__version__,
        environment.autoescape if isinstance(environment.autoescape, bool) else "callable",
        environment.finalize is not None,
        environment.trim_blocks,
        environment.lstrip_blocks,
        environment.keep_trailing_newline,
        environment.newline_sequence,
        environment.block_start_string,
        environment.block_end_string,
        environment.variable_start_string,
        environment.variable_end_string,
        environment.comment_start_string,
        environment.comment_end_string,
        environment.line_statement_prefix,
        environment.line_comment_prefix,
        tuple(sorted(environment.extensions)),
        environment.optimized,
        environment.is_async,
    )
    return hashlib.sha256(repr((settings, source)).encode()).hexdigest()


def compiled_source(environment: jinja2.Environment, name: str, source: str) -> str:
    """The module :mod:`mlci.render.precompile` writes for ``name``: Jinja's generated
    Python, then its key (last, so the generated lines keep the numbers Jinja's
    debug info maps template lines to)."""
    code = environment.compile(source, name, name, raw=True)
    return f"{code}\n\n{KEY_NAME} = {template_key(environment, source)!r}\n"


def _precompiled(name: str) -> CodeType | None:
    """The code of ``name``'s compiled module (from its .pyc when there is one), or None."""
    try:
        spec = importlib.util.find_spec(f"{COMPILED_PACKAGE}.{module_name(name)}")
        if spec is None or spec.loader is None:
            return None
        get_code = getattr(spec.loader, "get_code", None)  # a SourceFileLoader has it
        code = get_code(spec.name) if get_code is not None else None
    except Exception:  # missing, unreadable or broken: compile from source instead
        return None
    return code if isinstance(code, CodeType) else None


class Loader(jinja2.FileSystemLoader):
    """A FileSystemLoader that runs a template's precompiled module when it was made
    from the same source, Jinja2 and settings; otherwise it compiles as Jinja does."""

    def load(
        self,
        environment: jinja2.Environment,
        name: str,
        globals: MutableMapping[str, Any] | None = None,
    ) -> jinja2.Template:
        source, filename, uptodate = self.get_source(environment, name)
        code = _precompiled(name)
        if code is not None:
            # A fresh namespace per load, as Template.from_code makes: the module's own
            # globals are never shared between environments.
            namespace: dict[str, Any] = {"environment": environment, "__file__": filename}
            exec(code, namespace)
            if namespace.get(KEY_NAME) == template_key(environment, source):
                template = environment.template_class.from_module_dict(
                    environment, namespace, globals if globals is not None else {}
                )
                template._uptodate = uptodate
                return template
        return super().load(environment, name, globals)
