"""Metrics and params read straight from git objects and dvc.yaml, without DVC.

``dvc metrics diff`` spends most of its time before it reads a metric: importing DVC
(a third of a second), building its index of every dvc.yaml, dvc.lock and .dvc file
at each revision, and opening its state database. For the project shape most
repositories have, what it then reads is simple: the files the dvc.yaml files name
under ``metrics:`` (top-level and per stage) and the params files the stages and the
top-level ``params:`` name, each parsed by its suffix. This module reads exactly that,
from ``git ls-tree`` + one ``git cat-file --batch`` at a revision, or from the work
tree under :mod:`mlci.safefs`'s rule, and hands DVC's answer shape to the same
flattening as the DVC path (:func:`mlci.dvc.snapshot.snapshot_of`), so the values are those
``dvc metrics diff`` / ``dvc params diff`` read.

It answers only when it can answer exactly. Anything outside the subset below raises
:class:`Unsupported` (with the reason), and the caller reads through DVC as before:

- templating (``${...}``, ``vars``, ``foreach``, ``matrix``), a dvc.yaml, dvc.lock or
  .dvc file that does not match DVC's schema (DVC fails the revision on it) or is
  more than this reader knows (artifacts, imports), a .dvc file that declares metrics
  or params (single-stage files from ``dvc run``), a .dvcignore with a rule, a nested
  DVC project, a DVC file under ``.hg/`` (DVC's walk skips it), a submodule or git
  repository inside the work tree (DVC's walk enters it), a file name git gives as
  not UTF-8, files read together over the size limit;
- at a commit, a metrics or params file that is a cached DVC output (read from
  DVC's cache, whatever git also holds there);
- a metrics or params file that is missing, a folder, a symlink, over the size limit,
  not UTF-8, not parseable, TOML or Python, or at a revision only in DVC's cache (a
  cached ``metrics:`` output): DVC's own path names the error, or fetches the object;
- at the work tree, a dvc.yaml git would ignore yet tracks (DVC skips ignored files).

Parsing is DVC's: JSON with :func:`json.loads`, everything else as YAML 1.2 with
ruamel's safe loader (the same call DVC makes; PyYAML's YAML 1.1 reads ``1e-3`` as a
string). ``tests/test_direct.py`` holds this reader equal to the DVC path on every
shape it accepts, and shows it declines the others.
"""

from __future__ import annotations

import bisect
import functools
import json
import os
import posixpath
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from mlci import safefs
from mlci.dvc.snapshot import MAX_VALUES, Snapshot, TooLarge, snapshot_of
from mlci.git.repo import Repository

PROJECT_FILE = "dvc.yaml"
LOCK_FILE = "dvc.lock"
DEFAULT_PARAMS_FILE = "params.yaml"
# dvc.yaml's keys (DVC 3's schema): anything else, DVC refuses or templating expands.
_TOP_KEYS = frozenset({"stages", "metrics", "params", "plots", "artifacts", "datasets"})
_STAGE_KEYS = frozenset(
    {"cmd", "wdir", "deps", "params", "outs", "metrics", "plots", "frozen"}
    | {"always_changed", "meta", "desc"}
)


_MAX_DEPTH = 500  # nesting levels walked (Python's recursion limit is 1,000)


class _Map:
    """A mapping of any string keys to values that match ``value`` (voluptuous'
    ``{str: value}``); ``nonempty``: at least one key (``{Required(str): value}``)."""

    def __init__(self, value: Any, nonempty: bool = False) -> None:
        self.value = value
        self.nonempty = nonempty


# DVC 3's schema for a dvc.yaml (dvc/schema.py: MULTI_STAGE_SCHEMA, STAGE_DEFINITION),
# for the keys this reader accepts: a type matches its instances, a tuple any of its
# specs, a one-item list a list of such items, a dict a mapping of those keys only.
# A file that does not match is refused by DVC for the whole revision: the reader
# declines it rather than read metrics DVC would not.
_OUT_OPTIONS = {
    **{"desc": str, "type": str, "labels": [str], "meta": object},
    **{"cache": bool, "persist": bool, "checkpoint": bool, "remote": str, "push": bool},
}
_PLOT_OPTIONS = {
    **_OUT_OPTIONS,
    **{"template": str, "x": str, "y": str, "x_label": str, "y_label": str, "title": str},
    "header": bool,
}
_STAGE_SCHEMA = {
    "cmd": (str, list),
    "wdir": str,
    "deps": [str],
    "params": [(str, dict)],
    "frozen": bool,
    "meta": object,
    "desc": str,
    "always_changed": bool,
    "outs": [(str, _Map(_OUT_OPTIONS))],
    "metrics": [(str, _Map(_OUT_OPTIONS))],
    "plots": [(str, _Map((_PLOT_OPTIONS, [_PLOT_OPTIONS])))],
}
_PLOT_DEFINITION = {
    "x": (str, _Map(str)),
    "y": (str, [str], _Map((str, [str]))),
    **{"x_label": str, "y_label": str, "title": str, "template": str},
}
_TOP_SCHEMA = {
    "datasets": object,
    "plots": [(str, _Map((_PLOT_DEFINITION, None), nonempty=True))],
    "stages": _Map(_STAGE_SCHEMA),
    "params": [str],
    "metrics": [str],
}
# What `dvc add` writes in a .dvc file (dvc/schema.py: SINGLE_STAGE_SCHEMA, with
# dvc/output.py's SCHEMA for each output); imports (deps), cloud and directory
# listings are DVC's to read.


def _checksum(value: Any) -> bool:
    """output.CHECKSUM_SCHEMA: None, "", or a str (or int, as its str) of 3+ characters."""
    if value is None or value == "":
        return True
    return isinstance(value, (str, int)) and len(str(value)) >= 3


_CHECKSUM = _checksum
_DVC_FILE_OUT = {
    **{"path": str, "md5": _CHECKSUM, "etag": _CHECKSUM, "checksum": _CHECKSUM},
    **{"size": int, "nfiles": int, "isexec": bool, "hash": str, "version_id": str},
    **{"desc": str, "type": str, "labels": [str], "meta": object},
    **{"cache": bool, "persist": bool, "remote": str, "push": bool},
}
# A dvc.lock (dvc/schema.py: LOCKFILE_SCHEMA; DVC reads the one beside a dvc.yaml with
# stages, and fails the revision on one it refuses); cloud, files and datasets are DVC's.
_LOCK_DATA = {
    **{"path": str, "md5": _CHECKSUM, "etag": _CHECKSUM, "checksum": _CHECKSUM},
    **{"size": int, "nfiles": int, "isexec": bool, "hash": str, "version_id": str},
}
_LOCK_SCHEMA = {
    "schema": str,
    "stages": _Map(
        {
            "cmd": (str, list),
            "deps": [_LOCK_DATA],
            "params": _Map(_Map(object)),
            "outs": [_LOCK_DATA],
        }
    ),
}
_DVC_FILE_SCHEMA = {
    **{"md5": _CHECKSUM, "wdir": (str, None), "outs": ([_DVC_FILE_OUT], None)},
    **{"frozen": bool, "locked": bool, "always_changed": bool, "meta": object, "desc": str},
}


def _conforms(value: Any, spec: Any, budget: list[int]) -> bool:
    """Whether ``value`` matches ``spec`` (see ``_TOP_SCHEMA``); each node checked costs
    one of ``budget`` (:class:`Unsupported` when spent: YAML aliases can repeat a list
    of a thousand outputs in a hundred thousand stages)."""
    budget[0] -= 1
    if budget[0] < 0:
        raise Unsupported("a dvc.yaml or .dvc file too large to check here")
    if spec is None:
        return value is None
    if spec is object:
        return True
    if isinstance(spec, type):
        # voluptuous checks types with isinstance: True is an int, never a str
        return isinstance(value, spec)
    if callable(spec) and not isinstance(spec, _Map):
        return bool(spec(value))
    if isinstance(spec, tuple):
        return any(_conforms(value, alternative, budget) for alternative in spec)
    if isinstance(spec, list):
        return isinstance(value, list) and all(_conforms(v, spec[0], budget) for v in value)
    if isinstance(spec, _Map):
        return (
            isinstance(value, dict)
            and (bool(value) or not spec.nonempty)
            and all(
                isinstance(k, str) and _conforms(v, spec.value, budget) for k, v in value.items()
            )
        )
    return isinstance(value, dict) and all(
        k in spec and _conforms(v, spec[k], budget) for k, v in value.items()
    )


class Unsupported(Exception):
    """The project (or a file of it) is outside what this reader answers exactly."""


class Source(Protocol):
    """The project's files at one revision, named relative to the DVC root."""

    def names(self) -> Mapping[str, bool]:
        """The files DVC's walk would see: path -> whether it is a regular file."""
        ...

    def read(self, paths: Iterable[str]) -> dict[str, bytes]:
        """The content of each regular file in ``paths``; a missing one is left out.
        :class:`Unsupported` when one exists but may not be read as a regular file."""
        ...

    def is_dir(self, path: str) -> bool: ...

    def exists(self, path: str) -> bool:
        """Whether DVC's file system would find something at ``path`` (not a folder)."""
        ...

    @property
    def at_commit(self) -> bool:
        """True for a commit (DVC reads a cached output from its cache there, before
        git's copy), False for the work tree (DVC reads the file)."""
        ...


class GitSource:
    """The project at a commit: ``git ls-tree`` once, blobs through one ``cat-file``."""

    def __init__(self, repo: Repository, dvc_root: Path, rev: str, max_bytes: int | None):
        root = repo.root.resolve()
        prefix = dvc_root.resolve().relative_to(root).as_posix()
        strip = 0 if prefix == "." else len(prefix) + 1
        self._repo = repo
        self._max_bytes = max_bytes
        tree = repo.tree_at(rev, prefix)
        self._entries = {path[strip:]: entry for path, entry in tree.items()} if strip else tree
        self._sorted: list[str] | None = None
        self._read_bytes = 0

    @property
    def at_commit(self) -> bool:
        return True

    def exists(self, path: str) -> bool:
        return path in self._entries

    def names(self) -> Mapping[str, bool]:
        return {
            path: _is_regular(mode)
            for path, (mode, _sha) in self._entries.items()
            if mode & 0o170000 != 0o160000  # a submodule is not a file of this tree
        }

    def is_dir(self, path: str) -> bool:
        """Whether ``path`` is a folder here: a file's path starts with ``path/``
        (a binary search of the sorted paths, sorted once)."""
        if self._sorted is None:
            self._sorted = sorted(self._entries)
        folder = path + "/"
        at = bisect.bisect_left(self._sorted, folder)
        return at < len(self._sorted) and self._sorted[at].startswith(folder)

    def read(self, paths: Iterable[str]) -> dict[str, bytes]:
        wanted: dict[str, str] = {}
        for path in paths:
            entry = self._entries.get(path)
            if entry is None:
                continue
            if not _is_regular(entry[0]):
                raise Unsupported(f"{path} is not a regular file in git")
            wanted[path] = entry[1]
        sizes = self._repo.sizes(list(wanted.values()))
        for path, sha in wanted.items():
            size = sizes.get(sha, 0)
            if self._max_bytes is not None and size > self._max_bytes:
                raise Unsupported(f"{path} is over the size limit")
            # Each file under the limit, and all of them together: 2,000 copies of one
            # 49 MB .dvc file are one small blob in git, and 98 GB decoded.
            self._read_bytes += size
            if self._max_bytes is not None and self._read_bytes > self._max_bytes:
                raise Unsupported("the project's files are together over the size limit")
        blobs = self._repo.blobs(list(wanted.values()))
        return {path: blobs[sha] for path, sha in wanted.items() if sha in blobs}


def _is_regular(mode: int) -> bool:
    return mode & 0o170000 == 0o100000


class WorkTreeSource:
    """The project in the work tree: the files git does not ignore (DVC's walk skips
    ignored ones), each read under :mod:`mlci.safefs`'s rule."""

    def __init__(self, repo: Repository, dvc_root: Path, boundary: Path, max_bytes: int | None):
        self._root = dvc_root
        self._boundary = boundary
        self._max_bytes = max_bytes
        listed, ignored = repo.worktree_files(dvc_root)
        if any(_is_dvc_file(path) for path in ignored):
            raise Unsupported("git tracks a DVC file that an ignore rule matches")
        self._names: dict[str, bool] = {}
        self._read_bytes = 0
        for path in listed:
            try:
                mode = os.lstat(dvc_root / path).st_mode
            except OSError:  # tracked, deleted in the work tree
                continue
            if stat.S_ISDIR(mode):
                # A submodule, or a git repository inside the work tree: one entry for
                # git, a folder DVC's walk enters (and finds dvc.yaml files in).
                raise Unsupported(f"{path} is a git repository inside the work tree")
            self._names[path] = stat.S_ISREG(mode)

    @property
    def at_commit(self) -> bool:
        return False

    def names(self) -> Mapping[str, bool]:
        return self._names

    def exists(self, path: str) -> bool:
        # Git's ignore rules play no part: DVC finds a git-ignored params.yaml.
        return os.path.lexists(self._root / path)

    def is_dir(self, path: str) -> bool:
        return (self._root / path).is_dir()

    def read(self, paths: Iterable[str]) -> dict[str, bytes]:
        found = {}
        for path in paths:
            local = self._root / path
            if not os.path.lexists(local):
                continue
            try:
                found[path] = safefs.read_bytes(self._boundary, local, max_bytes=self._max_bytes)
            except (safefs.UnsafePathError, OSError) as exc:
                raise Unsupported(f"{path} may not be read here: {exc}") from None
            self._read_bytes += len(found[path])
            if self._max_bytes is not None and self._read_bytes > self._max_bytes:
                raise Unsupported("the project's files are together over the size limit")
        return found


def _parents(path: str) -> Iterable[str]:
    parent = posixpath.dirname(path)
    while parent:
        yield parent
        parent = posixpath.dirname(parent)


def _has_rules(ignore_file: str) -> bool:
    """Whether a .dvcignore holds a rule (a line not blank, not a comment): one changes
    what DVC sees; the comments ``dvc init`` writes do not."""
    return any(
        line.strip() and not line.lstrip().startswith("#") for line in ignore_file.split("\n")
    )


def _is_dvc_file(path: str) -> bool:
    return path.endswith(".dvc") or posixpath.basename(path) == PROJECT_FILE


@dataclass(frozen=True)
class Values:
    """What :func:`read_values` read: DVC's ``show`` answers for metrics and params."""

    metrics: Mapping[str, Any]
    params: Mapping[str, Any]


def read_values(source: Source, label: str) -> tuple[Snapshot, Snapshot]:
    """Metrics and params at ``source`` as :class:`~mlci.dvc.snapshot.Snapshot` objects
    (``label``: "base"/"head", as errors name it); :class:`Unsupported` when this
    reader cannot answer exactly (the caller then reads through DVC)."""
    values = _read(source)
    return (
        snapshot_of({"": {"data": values.metrics}}, label),
        snapshot_of({"": {"data": values.params}}, label),
    )


def _dvc_files(names: Mapping[str, bool]) -> list[str]:
    """The files DVC's walk would read as DVC files: dvc.yaml, .dvc and .dvcignore
    files outside ``.dvc/``; :class:`Unsupported` for what DVC would read otherwise."""
    dvc_files = []
    for path, regular in names.items():
        if "\ufffd" in path:
            # git's output is decoded with errors="replace": two names may read alike.
            raise Unsupported(f"{path!r}: a file name that is not UTF-8")
        parts = path.split("/")
        if ".dvc" in parts[1:-1] or (parts[0] != ".dvc" and ".dvc" in parts[:-1]):
            raise Unsupported(f"a nested DVC project at {path}")
        if parts[0] == ".dvc":
            continue
        if parts[-1] == ".dvcignore" or _is_dvc_file(path):
            if {".hg", ".git"} & set(parts[:-1]):
                raise Unsupported(f"{path} is in a folder DVC's walk skips")
            if not regular:
                raise Unsupported(f"{path} is not a regular file")
            dvc_files.append(path)
    return dvc_files


def _check_dvc_file(path: str, text: str, budget: list[int], cached: set[str]) -> None:
    """:class:`Unsupported` for a .dvcignore with rules or a .dvc file this reader does
    not read as DVC does; the outputs a .dvc file has DVC cache go to ``cached``."""
    if path.endswith(".dvcignore"):
        if _has_rules(text):
            raise Unsupported(f"{path} has ignore rules")
    elif path.endswith(".dvc"):
        if "metric" in text or "params" in text:
            raise Unsupported(f"{path} may declare metrics or params")
        # DVC's index reads every .dvc file: one it refuses fails the revision.
        data = _parse_yaml(path, text) or {}
        if not _conforms(data, _DVC_FILE_SCHEMA, budget):
            raise Unsupported(f"{path} is not a .dvc file as `dvc add` writes one")
        base = _join(path, posixpath.dirname(path), data.get("wdir") or ".")
        for out in data.get("outs") or []:
            if out.get("cache", True):
                cached.add(_join(path, base, out["path"]))


def _read(source: Source) -> Values:
    names = source.names()
    if ".dvc/config" not in names:
        raise Unsupported("no .dvc/config here")
    texts = {path: _text(path, data) for path, data in source.read(_dvc_files(names)).items()}
    budget = [MAX_VALUES]  # the schema checks', for every DVC file of the revision
    cached: set[str] = set()  # outputs DVC keeps in its cache, from the DVC root
    for path, text in texts.items():
        _check_dvc_file(path, text, budget, cached)

    stage_metrics: list[str] = []
    top_metrics: list[str] = []
    param_specs: list[dict[str, list[str]]] = []
    top_params: list[str] = []
    for path in sorted(p for p in texts if posixpath.basename(p) == PROJECT_FILE):
        data = _collect(
            path, texts[path], stage_metrics, top_metrics, param_specs, top_params, budget
        )
        _cached_outputs(path, data, cached)
        _check_lock(source, posixpath.join(posixpath.dirname(path), LOCK_FILE), budget)

    metric_files = list(dict.fromkeys(stage_metrics + top_metrics))
    specs = [*param_specs, *({file: []} for file in top_params)]
    if source.exists(DEFAULT_PARAMS_FILE):
        specs.append({DEFAULT_PARAMS_FILE: []})
    elif source.at_commit and _within(DEFAULT_PARAMS_FILE, cached):
        raise Unsupported(f"{DEFAULT_PARAMS_FILE} is a DVC output (DVC's cache has it)")
    params = _merge_params(specs)

    for path in [*metric_files, *params]:
        if source.is_dir(path):
            raise Unsupported(f"{path} is a folder")
        if source.at_commit and _within(path, cached):
            # DVC reads a cached output from its cache, whatever git also holds there.
            raise Unsupported(f"{path} is a DVC output: read through DVC's cache")
    contents = source.read([*metric_files, *params])
    metrics: dict[str, Any] = {}
    for path in metric_files:
        try:
            metrics[path] = {"data": _extract_metrics(_load(path, contents)) or {}}
        except TooLarge as exc:
            # A YAML alias bomb or a recursive document: refused, as the DVC path's
            # flattening refuses it (DVC's own walk would not end).
            metrics[path] = {"error": _Refused(f"refused: {exc}")}
    param_values: dict[str, Any] = {}
    for path, keys in params.items():
        try:
            param_values[path] = {"data": _filter_params(_load(path, contents), keys)}
        except TooLarge as exc:
            param_values[path] = {"error": _Refused(f"refused: {exc}")}
    return Values(metrics=metrics, params=param_values)


def _collect(
    path: str,
    text: str,
    stage_metrics: list[str],
    top_metrics: list[str],
    param_specs: list[dict[str, list[str]]],
    top_params: list[str],
    budget: list[int],
) -> dict[str, Any]:
    """Add the metrics and params one dvc.yaml names, as paths from the DVC root.
    ``budget``: the schema check's, shared by every DVC file of the revision.
    Returns the file's content, checked against DVC's schema."""
    if "${" in text:
        raise Unsupported(f"{path} uses templating")
    data = _parse_yaml(path, text) or {}  # DVC reads an empty file as {}
    if not isinstance(data, dict) or not set(data) <= _TOP_KEYS:
        raise Unsupported(f"{path} has keys outside DVC's schema")
    here = posixpath.dirname(path)
    stages = data.get("stages") or {}
    if not isinstance(stages, dict):
        raise Unsupported(f"{path}: stages is not a mapping")
    for name, stage in stages.items():
        if not isinstance(stage, dict) or not set(stage) <= _STAGE_KEYS:
            raise Unsupported(f"{path}: stage {name!r} is not a plain stage")
        if "cmd" not in stage:
            raise Unsupported(f"{path}: stage {name!r} has no cmd (DVC refuses it)")
    if "artifacts" in data or not _conforms(data, _TOP_SCHEMA, budget):
        raise Unsupported(f"{path} does not match DVC's schema (DVC refuses it)")
    for name, stage in stages.items():
        wdir = stage.get("wdir") or "."
        if not isinstance(wdir, str):
            raise Unsupported(f"{path}: stage {name!r} has a wdir that is not a path")
        base = _join(path, here, wdir)
        for entry in _entries(path, stage.get("metrics")):
            stage_metrics.append(_join(path, base, _entry_path(path, entry)))
        raw = stage.get("params")
        if raw is None:
            continue
        if not isinstance(raw, list):
            raise Unsupported(f"{path}: stage {name!r} params is not a list")
        for file, keys in _merge_params(raw).items():
            param_specs.append({_join(path, base, file): keys})
    for entry in _entries(path, data.get("metrics")):
        top_metrics.append(_join(path, here, _str(path, entry)))
    for entry in _entries(path, data.get("params")):
        top_params.append(_join(path, here, _str(path, entry)))
    return data


def _check_lock(source: Source, path: str, budget: list[int]) -> None:
    """:class:`Unsupported` when the dvc.lock at ``path`` (beside a dvc.yaml) is one
    DVC refuses, or not one this reader knows. Found as DVC finds it: git-ignored or
    not (DVC reads a git-ignored dvc.lock in the work tree)."""
    if not source.exists(path):
        return
    found = source.read([path])
    if path not in found:
        raise Unsupported(f"{path} cannot be read here")
    data = _parse_yaml(path, _text(path, found[path])) or {}
    # _conforms first: then stages is a mapping of mappings, deps/outs lists of them.
    if not (
        _conforms(data, _LOCK_SCHEMA, budget)
        and data.get("schema") == "2.0"
        and all(
            "cmd" in stage
            and all("path" in item for kind in ("deps", "outs") for item in stage.get(kind, ()))
            for stage in data.get("stages", {}).values()
        )
    ):
        raise Unsupported(f"{path} is not a dvc.lock as DVC 3 writes one (DVC may refuse it)")


def _cached_outputs(path: str, data: dict[str, Any], cached: set[str]) -> None:
    """Add the outputs the dvc.yaml at ``path`` (``data``, checked by :func:`_collect`)
    has DVC cache: every ``outs``/``metrics``/``plots`` entry without ``cache: false``."""
    here = posixpath.dirname(path)
    for stage in (data.get("stages") or {}).values():
        base = _join(path, here, stage.get("wdir") or ".")
        for kind in ("outs", "metrics", "plots"):
            for entry in stage.get(kind) or []:
                options = entry if isinstance(entry, dict) else {entry: None}
                for name, flags in options.items():
                    if not (isinstance(flags, dict) and flags.get("cache") is False):
                        cached.add(_join(path, base, name))


def _within(path: str, outputs: set[str]) -> bool:
    """Whether ``path`` is one of ``outputs`` or inside one (a cached folder)."""
    return path in outputs or any(parent in outputs for parent in _parents(path))


def _entries(path: str, raw: Any) -> list[Any]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise Unsupported(f"{path}: a list of files is not a list")
    return raw


def _entry_path(path: str, entry: Any) -> str:
    """An output entry: ``file`` or ``{file: {options}}``."""
    if isinstance(entry, dict) and len(entry) == 1:
        (name, options), *_ = entry.items()
        if options is None or (isinstance(options, dict) and "metric" not in options):
            return _str(path, name)
    return _str(path, entry)


def _str(path: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise Unsupported(f"{path}: {value!r} is not a file name")
    return value


def _join(dvcfile: str, folder: str, name: str) -> str:
    """``folder/name`` from the DVC root, normalised; Unsupported when it leaves it."""
    if name.startswith("/") or "\\" in name:
        raise Unsupported(f"{dvcfile}: {name!r} is not a relative path")
    joined = posixpath.normpath(posixpath.join(folder, name))
    if joined == ".." or joined.startswith("../"):
        raise Unsupported(f"{dvcfile}: {name!r} leads out of the project")
    return joined


def _merge_params(specs: list[Any]) -> dict[str, list[str]]:
    """DVC's ``dvc.dependency._merge_params``: keys per params file, ``[]`` for a file
    tracked whole (which then wins over its keys). Each key once (DVC reads each once):
    YAML aliases cannot make a few lines of dvc.yaml a billion keys."""
    whole = {
        file for spec in specs if isinstance(spec, dict) for file, keys in spec.items() if not keys
    }
    merged: dict[str, dict[str, None]] = {}
    for spec in specs:
        if isinstance(spec, str):
            if DEFAULT_PARAMS_FILE not in whole:
                merged.setdefault(DEFAULT_PARAMS_FILE, {})[spec] = None
            continue
        if not isinstance(spec, dict):
            raise Unsupported("a params entry is neither a key nor a file")
        for file, keys in spec.items():
            if not isinstance(file, str):
                raise Unsupported(f"params file {file!r} is not a name")
            if file in whole:
                merged[file] = {}
                continue
            if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
                raise Unsupported(f"params of {file} are not a list of keys")
            merged.setdefault(file, {}).update(dict.fromkeys(keys))
    return {file: list(keys) for file, keys in merged.items()}


def _text(path: str, data: bytes) -> str:
    """``data`` decoded as DVC opens text files: UTF-8, universal newlines."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Unsupported(f"{path} is not UTF-8") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _load(path: str, contents: Mapping[str, bytes]) -> Any:
    """A metrics or params file parsed as DVC parses it (by suffix)."""
    if path not in contents:
        raise Unsupported(f"{path} is not here (or only in DVC's cache)")
    text = _text(path, contents[path])
    suffix = posixpath.splitext(path)[1].lower()
    if suffix in (".toml", ".py"):
        raise Unsupported(f"{path}: {suffix} files are read through DVC")
    if suffix == ".json":
        try:
            return json.loads(text) or {}
        except (ValueError, RecursionError):
            raise Unsupported(f"{path} is not valid JSON") from None
    return _parse_yaml(path, text) or {}


@functools.cache
def _yaml_loader() -> Any:
    from ruamel.yaml import YAML

    return YAML(typ="safe")


def _parse_yaml(path: str, text: str) -> Any:
    from ruamel.yaml.error import YAMLError

    try:
        return _yaml_loader().load(text)
    except (YAMLError, ValueError, RecursionError):
        raise Unsupported(f"{path} is not valid YAML") from None
    except Exception as exc:  # ruamel raises more kinds on odd input; DVC's path names it
        raise Unsupported(f"{path} cannot be read as YAML here: {exc}") from None


class _Refused(Exception):
    """A file refused by this reader, with the reason as DVC's path words it."""


def _extract_metrics(value: Any) -> Any:
    """DVC's ``_extract_metrics``: numbers and strings, in nested mappings; the rest
    (lists, nulls, empty mappings) dropped. At most ``MAX_VALUES`` entries are walked,
    at most ``_MAX_DEPTH`` deep (:class:`TooLarge`): YAML's aliases make a few lines a
    billion values, or a document that contains itself."""
    if isinstance(value, (int, float, str)):
        return value
    if not isinstance(value, dict):
        return None
    left = MAX_VALUES

    def walk(mapping: dict[Any, Any], depth: int) -> dict[Any, Any]:
        nonlocal left
        if depth >= _MAX_DEPTH:
            raise TooLarge(f"nested deeper than {_MAX_DEPTH} levels")
        left -= len(mapping) + 1
        if left < 0:
            raise TooLarge(f"more than {MAX_VALUES:,} values (a YAML alias bomb?)")
        kept: dict[Any, Any] = {}
        for key, inner in mapping.items():
            if isinstance(inner, (int, float, str)):
                kept[key] = inner
            elif isinstance(inner, dict):
                extracted = walk(inner, depth + 1)
                if extracted:
                    kept[key] = extracted
        return kept

    return walk(value, 0)


def _filter_params(config: Any, keys: list[str]) -> Any:
    """DVC's ``read_param_file``: the whole file, or the merge of each key's search.
    dpath walks the whole document per key: one larger than the flattening would
    take (YAML aliases: a few lines, a billion values) is refused before it."""
    if not keys:
        return config
    _check_size(config)
    from copy import deepcopy

    import dpath

    kept: dict[str, Any] = {}
    try:
        for key in keys:
            dpath.merge(kept, deepcopy(dpath.search(config, key, separator=".")), separator=".")
    except Exception as exc:  # dpath refuses a key (InvalidGlob: a.**.**): DVC's words
        raise Unsupported(f"dpath cannot search for a key: {exc}") from None
    return kept


def _check_size(config: Any) -> None:
    """:class:`TooLarge` when ``config`` holds more than ``MAX_VALUES`` values or
    mappings and lists deeper than ``_MAX_DEPTH`` (shared ones counted each time)."""
    left = MAX_VALUES
    pending: list[tuple[Any, int]] = [(config, 0)] if isinstance(config, (dict, list)) else []
    while pending:
        node, depth = pending.pop()
        inner = node.values() if isinstance(node, dict) else node
        left -= len(inner) + 1
        if left < 0:
            raise TooLarge(f"more than {MAX_VALUES:,} values (a YAML alias bomb?)")
        if depth >= _MAX_DEPTH:
            raise TooLarge(f"nested deeper than {_MAX_DEPTH} levels")
        pending.extend((child, depth + 1) for child in inner if isinstance(child, (dict, list)))


__all__ = ["GitSource", "Unsupported", "WorkTreeSource", "read_values"]
