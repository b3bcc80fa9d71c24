"""DVC's private APIs, in one place, each behind a probe with a fallback to the public path.

mlci reads metrics, params and plots in-process through ``dvc.repo.Repo``. A few things
it does there have no public API: they make reads faster (hold DVC's lock across reads,
skip the pipeline graph check) or route DVC's file reads through :mod:`mlci.safefs`'s
rule (replace the cached ``Repo.dvcfs``; bind plot loaders to a guarded filesystem), or
reuse DVC's plot helpers so a plot means here what it means to ``dvc plots``. DVC may
rename or drop any of them in a minor release (``dvc>=3.50,<4`` is a range, not a pin).

So each is used only here, only when :func:`probe` finds it, and every call site has a
fallback that gives the same result through DVC's public API, or through the same
rule written here where no public API has it (``infer_data_sources``,
``group_definitions_by_id``; the Vega converter in :mod:`mlci.dvc.vega`). A private
API that is missing, or that raises anything but DVC's own error, drops to the
fallback; that is logged at debug level, never warned: the user gets the same
result, only slower. tests/test_dvc_internals.py forces every fallback (by patching
:func:`probe`, never DVC) and compares it with the fast path.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from dvc.repo import Repo

log = logging.getLogger(__name__)

# Image extensions `dvc plots` draws as images (dvc_render's ImageRenderer.EXTENSIONS).
_IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".gif", ".png", ".svg"})


def _has_lock_repo() -> bool:
    from dvc.repo import lock_repo

    return callable(lock_repo)


def _has_graph_check() -> bool:
    from dvc.repo import Repo
    from dvc.repo.index import Index

    # The two methods that read `_skip_graph_checks` before building the graph.
    return callable(getattr(Repo, "check_graph", None)) and callable(
        getattr(Index, "check_graph", None)
    )


def _has_cached_dvcfs() -> bool:
    from dvc.repo import Repo

    # A cached property (functools' or funcy's) is a non-data descriptor: a value in the
    # instance's __dict__ shadows it, which is how the guard takes its place.
    descriptor = inspect.getattr_static(Repo, "dvcfs", None)
    kind = type(descriptor)
    return (
        hasattr(kind, "__get__")
        and not hasattr(kind, "__set__")
        and not isinstance(descriptor, property)
    )


def _has_plot_loaders() -> bool:
    from dvc.repo import plots

    return all(
        callable(getattr(plots, name, None))
        for name in ("_resolve_data_sources", "onerror_collect", "parse")
    )


def _has_plot_helpers() -> bool:
    from dvc.repo.plots import SUPPORTED_IMAGE_EXTENSIONS, infer_data_sources
    from dvc.utils.plots import group_definitions_by_id

    return (
        callable(infer_data_sources)
        and callable(group_definitions_by_id)
        and bool(SUPPORTED_IMAGE_EXTENSIONS)
    )


@functools.cache
def probe(name: str) -> bool:
    """Whether this DVC still has the private API ``name`` (one of ``_PROBES``).

    Answered once per process: the installed DVC does not change while mlci runs.
    """
    try:
        found = _PROBES[name]()
    except (ImportError, AttributeError, TypeError) as exc:
        log.debug("DVC has no %s (%s): using the public path", name, exc)
        return False
    if not found:
        log.debug("DVC has no %s: using the public path", name)
    return found


def _fell_back(name: str, exc: BaseException) -> None:
    log.debug("DVC's %s failed (%r): using the public path", name, exc)


@contextmanager
def repo_lock(repo: Repo) -> Iterator[None]:
    """Hold DVC's repository lock while the block reads, as ``dvc status`` does.

    Held, no other DVC process changes the project mid-read, and DVC keeps the
    workspace's index across calls instead of rebuilding it for each. Fallback: no
    lock held across reads (each DVC call takes and drops it itself; slower, same
    values). DVC's own error (another process holds the lock) is raised, not hidden.
    """
    from dvc.exceptions import DvcException

    with ExitStack() as stack:
        if probe("lock_repo"):
            from dvc.repo import lock_repo

            try:
                stack.enter_context(lock_repo(repo))
            except DvcException:
                raise
            except Exception as exc:  # a changed private API, not a held lock
                _fell_back("lock_repo", exc)
        yield


@contextmanager
def skip_graph_checks(repo: Repo) -> Iterator[None]:
    """Skip DVC's pipeline-graph check (importing networkx, ~0.1 s) for the block.

    ``dvc status``/``dvc repro`` have checked the graph already, and a read needs none.
    ``_skip_graph_checks`` is the attribute DVC's Repo and Index read for that (DVC
    calls it a hack). Fallback: the check runs; only the time returns.
    """
    if not probe("skip_graph_checks"):
        yield
        return
    repo._skip_graph_checks = True
    try:
        yield
    finally:
        repo._skip_graph_checks = False


@contextmanager
def stay_switched(repo: Repo) -> Iterator[None]:
    """For the block, DVC's ``repo.switch(rev)`` does not switch: ``repo`` is already
    where the caller wants it. ``plots.collect`` switches to each revision it reads,
    even the one the repository is at, and a switch drops the index DVC built there
    (~30-100 ms to parse dvc.yaml, dvc.lock and the .dvc files again). The override is
    an attribute of this one Repo object; a DVC that no longer switches through
    ``repo.switch`` just switches as before (only slower)."""
    repo.switch = nullcontext  # nullcontext(rev) yields rev
    try:
        yield
    finally:
        del repo.switch


class ReadGuard(Protocol):
    """A filesystem wrapping DVC's, whose reads follow mlci.safefs's rule."""

    inner: Any

    def check(self, path: str) -> None:
        """Raise ``safefs.UnsafePathError`` when ``path`` (a DVC path) may not be read."""


def show_guarded(
    repo: Repo, guard: ReadGuard, show: Callable[[], Mapping[str, Any]]
) -> Mapping[str, Any]:
    """``show()`` (``repo.metrics.show`` / ``repo.params.show``) with each file DVC
    reads through ``guard`` instead of ``repo.dvcfs``.

    Fast path: ``repo.dvcfs`` is a cached property, so the guard is set in its place
    for the call (DVC drops it only when it switches revisions, which ``show`` without
    revisions does not). Fallback: DVC reads with its own filesystem, then every file
    in the answer is checked by the guard, and a refused one becomes DVC's per-file
    error, as the fast path makes it; the values of the files that pass are the same.
    The fallback checks after DVC has read: a refused file's content never reaches the
    results, but a FIFO or an oversized file is not stopped before the read itself.
    """
    if not probe("cached_dvcfs"):
        return _refuse_unsafe(show(), guard, Path(repo.root_dir))
    repo.__dict__["dvcfs"] = guard
    try:
        return show()
    finally:
        if repo.__dict__.get("dvcfs") is guard:
            repo.__dict__["dvcfs"] = guard.inner


def _refuse_unsafe(raw: Mapping[str, Any], guard: ReadGuard, root: Path) -> Mapping[str, Any]:
    """``raw`` (a ``show`` answer: rev -> {"data": {file: result}}) with each file the
    guard refuses turned into ``{"error": reason}``. DVC names the files from its
    filesystem's cwd: the project root, where mlci opens the Repo."""
    from mlci.safefs import UnsafePathError

    for result in raw.values():
        files = result.get("data", {}) if isinstance(result, dict) else {}
        for name, file_result in files.items():
            if "error" in file_result:
                continue
            try:
                guard.check(_dvc_path(root, root / name))
            except UnsafePathError as exc:
                files[name] = {"error": exc}
    return raw


def _dvc_path(root: Path, path: Path) -> str:
    """``path`` as DVC's filesystem names it: from the project root, '/'-separated."""
    return "/" + Path(os.path.relpath(path, root)).as_posix()  # path is absolute


def plots_show(repo: Repo, rev: str, guard: Callable[[Any], ReadGuard] | None) -> dict[str, Any]:
    """``repo.plots.show(revs=[rev])``, each data file read through ``guard(repo.dvcfs)``.

    Fast path: ``Plots.show`` is ``collect`` (plot definitions, and a loader per data
    file bound to ``repo.dvcfs``) then ``_resolve_data_sources`` (run the loaders); in
    between, each loader is bound to the guarded filesystem instead (DVC switches the
    repository to the revision for plots, which drops any filesystem set beforehand).
    Fallback: the public ``repo.plots.show``, then every data file checked by the
    guard (on the filesystem of the revision, opened again for it), a refused one
    turned into its error, as the fast path makes it (checked after the read, as in
    :func:`show_guarded`'s fallback).
    """
    if guard is None:
        return dict(repo.plots.show(revs=[rev]))
    if not probe("plot_loaders"):
        return _plots_show_checked(repo, rev, guard)
    from dvc.repo.plots import _resolve_data_sources, onerror_collect, parse

    result: dict[str, Any] = {}
    for data in repo.plots.collect(revs=[rev], onerror=onerror_collect):
        guarded = guard(repo.dvcfs)  # the revision's filesystem, while switched to it
        for rev_data in data.values():
            sources = rev_data.get("sources", {}).get("data", {})
            for fs_path, source in sources.items():
                if "data_source" in source:
                    source["data_source"] = functools.partial(
                        parse, guarded, fs_path, props=source.get("props"), onerror=onerror_collect
                    )
        _resolve_data_sources(data, rev, cache=True)
        result.update(data)
    return result


def _plots_show_checked(repo: Repo, rev: str, guard: Callable[[Any], ReadGuard]) -> dict[str, Any]:
    """The public ``repo.plots.show``, each data file it read then checked by the guard."""
    from mlci.safefs import UnsafePathError

    result = dict(repo.plots.show(revs=[rev]))
    for rev_data in result.values():
        sources = rev_data.get("sources", {}).get("data", {})
        if not sources:
            continue
        with ExitStack() as stack:
            if rev != "workspace":
                stack.enter_context(repo.switch(rev))
            checker = guard(repo.dvcfs)
            for fs_path, source in sources.items():
                if "error" in source:
                    continue
                try:
                    checker.check("/" + str(fs_path).lstrip("/"))
                except UnsafePathError as exc:
                    sources[fs_path] = {"error": exc}
    return result


def is_image(path: str) -> bool:
    """Whether ``dvc plots`` draws the file at ``path`` as an image (by its extension)."""
    suffix = Path(path).suffix
    if probe("plot_helpers"):
        from dvc.repo.plots import SUPPORTED_IMAGE_EXTENSIONS

        return suffix in SUPPORTED_IMAGE_EXTENSIONS
    return suffix in _IMAGE_EXTENSIONS


def infer_data_sources(plot_id: str, config: Mapping[str, Any] | None) -> list[str]:
    """The data files a plot definition reads: its y files (or the plot id), then its
    first x file; DVC's ``infer_data_sources``, or the same rule written here."""
    if probe("plot_helpers"):
        from dvc.repo.plots import infer_data_sources as dvc_infer

        try:
            return list(dvc_infer(plot_id, dict(config) if config is not None else None))
        except Exception as exc:
            _fell_back("infer_data_sources", exc)
    y = config.get("y") if config else None
    sources = list(y) if isinstance(y, dict) else [plot_id]
    x = config.get("x") if config else None
    if isinstance(x, dict) and x:
        sources.append(next(iter(x)))
    return list(dict.fromkeys(sources))


def group_definitions_by_id(
    definitions: Mapping[str, Mapping[str, Any]],
) -> dict[str, tuple[str, Any]]:
    """{plot id: (id inside its dvc.yaml, definition)}; a plot id defined in several
    config files is named ``file::id``, as ``dvc plots`` names it."""
    if probe("plot_helpers"):
        from dvc.utils.plots import group_definitions_by_id as dvc_group

        try:
            return dict(dvc_group(dict(definitions)))
        except Exception as exc:
            _fell_back("group_definitions_by_id", exc)
    by_config: dict[str, dict[str, tuple[str, Any]]] = {}
    for config_file, content in definitions.items():
        for plot_id, definition in content.get("data", {}).items():
            by_config.setdefault(plot_id, {})[config_file] = (plot_id, definition)
    grouped: dict[str, tuple[str, Any]] = {}
    for plot_id, configs in by_config.items():
        if len(configs) == 1:
            grouped[plot_id] = next(iter(configs.values()))
        else:
            for config_file, entry in configs.items():
                grouped[f"{config_file}::{plot_id}" if config_file else plot_id] = entry
    return grouped


def _has_vega_converter() -> bool:
    from dvc.render.converter.vega import VegaConverter

    return callable(getattr(VegaConverter, "flat_datapoints", None))


def vega_datapoints(
    plot_id: str, data: Mapping[str, Any], props: Mapping[str, Any], rev: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A plot's points and its resolved properties (x/y inferred, files joined), by
    DVC's own Vega converter, so a plot means what it means to ``dvc plots``.

    Fallback: the same conversion written out in :mod:`mlci.dvc.vega` (no public API
    returns DVC's points in-process).
    """
    if probe("vega_converter"):
        from dvc.render.converter.vega import VegaConverter

        converter = VegaConverter(plot_id, dict(data), dict(props))
        datapoints, resolved = converter.flat_datapoints(rev)
        return list(datapoints), dict(resolved)
    from mlci.dvc.vega import flat_datapoints

    return flat_datapoints(plot_id, data, props, rev)


# Checked by probe(); defined last, after every probe function.
_PROBES: Mapping[str, Callable[[], bool]] = {
    "lock_repo": _has_lock_repo,
    "skip_graph_checks": _has_graph_check,
    "cached_dvcfs": _has_cached_dvcfs,
    "plot_loaders": _has_plot_loaders,
    "plot_helpers": _has_plot_helpers,
    "vega_converter": _has_vega_converter,
}
