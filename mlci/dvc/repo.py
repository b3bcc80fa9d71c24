"""A DVC project opened once per run: status, pull, repro, and reads at revisions.

Metrics, params and data are read in-process through ``dvc.repo.Repo`` — the calls
``dvc metrics diff`` / ``dvc params diff`` make — from ONE repository object per run
(:class:`DvcRepo`). DVC parses dvc.yaml, dvc.lock and every .dvc file into an index
each time its Repo is switched to a revision; that parse is most of what a read
costs, so everything one revision needs is read inside one switch
(:meth:`DvcRepo.at`), and the workspace's index from ``dvc status`` is reused when
nothing re-ran. ``pull`` and ``repro`` run as ``python -m dvc`` child processes so
their output streams to the user as DVC prints it, and a failing stage's output can
be quoted in the error.
"""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlci import safefs
from mlci.dvc.internals import repo_lock, show_guarded, skip_graph_checks, stay_switched
from mlci.dvc.messages import error_text, plugin_hint
from mlci.dvc.snapshot import Snapshot, snapshot_of
from mlci.errors import DvcError
from mlci.git.repo import Repository, clean_env

if TYPE_CHECKING:
    from dvc.repo import Repo

    from mlci.dvc.plotdata import PlotsAtRev

WORKSPACE = "workspace"
_TAIL_LINES = 15
# `dvc status` words for an output that is not in the workspace, or not in the cache.
_MISSING_STATES = ("deleted", "not in cache")
_FAILED_STAGE = re.compile(r"failed to reproduce '([^']+)'")


@dataclass(frozen=True)
class PipelineStatus:
    stale_stages: tuple[str, ...]
    missing_outputs: tuple[str, ...]
    # Stages whose status DVC could not tell (an import whose source repository is out
    # of reach), each with DVC's reason: reported, never fatal.
    unknown: tuple[str, ...] = ()


def find_root(start: Path, stop: Path) -> Path:
    """The DVC project root: the nearest folder with ``.dvc/`` from ``start`` up to ``stop``."""
    found = safefs.dvc_root(start, stop)
    if found is not None:
        return found
    raise DvcError(
        f"not a DVC repository: no .dvc/ folder in {start} or above it (up to {stop})",
        hint="run `dvc init` in your project, or run mlci from inside one",
    )


class DvcRepo:
    """The DVC project at ``root``, opened once for the whole run.

    Use it as a context manager. Reads happen at a revision through :meth:`at`
    (metrics, params, data files) and :meth:`plots`. While open it holds DVC's lock:
    :meth:`close` it before a ``dvc`` child process (pull, repro); the next use
    opens it again and reads the changed workspace afresh.

    Every file DVC reads from the workspace (metrics, params, plots) is read under
    :mod:`mlci.safefs`'s rule: inside ``boundary`` (default: the git work tree holding
    ``root``), a regular file, at most ``max_bytes`` long.
    """

    def __init__(
        self,
        root: Path,
        *,
        boundary: Path | None = None,
        max_bytes: int | None = safefs.DEFAULT_MAX_BYTES,
        git: Repository | None = None,
    ) -> None:
        self.root = root
        self.boundary = boundary or safefs.work_tree_root(root)
        self.max_bytes = max_bytes
        self.git = git
        self._repo: Repo | None = None
        self._held = ExitStack()
        # The revision DVC's Repo stays switched to after :meth:`at` (WORKSPACE: none),
        # and the process's cwd when it switched (DVC names files from it).
        self._switched = WORKSPACE
        self._switched_in: Path | None = None
        self._switch = ExitStack()

    def __enter__(self) -> DvcRepo:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def repo(self) -> Repo:
        """DVC's Repo, opened on first use (DVC is the heaviest import: not before)."""
        if self._repo is None:
            from dvc.exceptions import DvcException
            from dvc.repo import Repo

            _silence_dvc_logger()
            _no_progress_monitor()
            try:
                repo = Repo(str(self.root))
            except DvcException as exc:
                raise DvcError(f"DVC cannot open {self.root}: {exc}") from None
            self._held.callback(repo.close)
            try:
                # Hold DVC's repository lock as `dvc status` does (see internals).
                self._held.enter_context(repo_lock(repo))
            except DvcException as exc:
                self._held.close()
                raise DvcError(
                    f"DVC cannot lock {self.root}: {exc}",
                    hint="wait for the other DVC process to finish, then run mlci again",
                ) from None
            self._repo = repo
        return self._repo

    def close(self) -> None:
        """Release DVC's lock and close the repository (before any `dvc` child process)."""
        self._back_to_workspace()
        self._repo = None
        self._held.close()

    def _back_to_workspace(self) -> None:
        self._switch.close()  # DVC restores the workspace's filesystem (and drops its index)
        self._switched, self._switched_in = WORKSPACE, None

    def _goto(self, rev: str) -> None:
        """Switch DVC's Repo to ``rev`` and stay there until another revision is asked
        for: DVC builds an index of the revision's dvc.yaml, dvc.lock and .dvc files at
        each switch and drops it at each switch back, so the plots read after
        :meth:`at` (or at the workspace after ``dvc status``) reuse the index instead of
        building it again. May raise DVC's errors of :meth:`Repo.switch`."""
        if rev == self._switched:
            return
        self._back_to_workspace()
        if rev != WORKSPACE:
            self._switch.enter_context(self.repo.switch(rev))
            self._switched, self._switched_in = rev, Path.cwd()

    def has_remote(self) -> bool:
        self._back_to_workspace()
        return bool(self.repo.config.get("remote"))

    def status(self) -> PipelineStatus:
        """Stages that are out of date, and outputs missing from the workspace."""
        self._back_to_workspace()
        return pipeline_status(self.repo)

    def values(self, rev: str, label: str) -> tuple[Snapshot, Snapshot]:
        """Metrics and params at ``rev`` (a git revision or WORKSPACE), called ``label``.

        Read straight from git objects or the work tree by :mod:`mlci.dvc.direct`
        when the project's shape lets it answer exactly what DVC would (no DVC import,
        no index: most of ``dvc metrics diff``'s time); through DVC otherwise, and for
        the work tree once DVC is open (its index, built by ``dvc status``, is there).
        ``$MLCI_READ_THROUGH_DVC=1`` always reads through DVC.
        """
        through_dvc = os.environ.get("MLCI_READ_THROUGH_DVC", "") not in ("", "0")
        dvc_is_open = rev == WORKSPACE and self._repo is not None
        if self.git is not None and not (through_dvc or dvc_is_open):
            found = self._direct(rev, label)
            if found is not None:
                return found
        with self.at(rev, label) as reader:
            return reader.metrics(), reader.params()

    def _direct(self, rev: str, label: str) -> tuple[Snapshot, Snapshot] | None:
        from mlci.dvc.direct import GitSource, Source, Unsupported, WorkTreeSource, read_values
        from mlci.errors import GitError

        assert self.git is not None
        try:
            source: Source
            if rev == WORKSPACE:
                source = WorkTreeSource(self.git, self.root, self.boundary, self.max_bytes)
            else:
                source = GitSource(self.git, self.root, rev, self.max_bytes)
            return read_values(source, label)
        except (Unsupported, GitError):
            return None

    @contextmanager
    def at(self, rev: str, label: str) -> Iterator[RevisionReader]:
        """The project as it is at ``rev`` (a git revision or WORKSPACE), called
        ``label`` ("base", "head") in errors. Every read inside shares one DVC index.

        A revision that has no DVC project (a base from before ``dvc init``) reads as
        empty: no metrics, no params, no files.
        """
        from dvc.exceptions import NotDvcRepoError
        from dvc.scm import SCMError

        repo: Repo | None = self.repo
        try:
            self._goto(rev)  # and stay: see _goto
        except NotDvcRepoError:
            repo = None
        except SCMError as exc:
            raise DvcError(f"DVC cannot read {label} revision {rev[:7]}: {exc}") from None
        yield RevisionReader(repo, rev, label, boundary=self.boundary, max_bytes=self.max_bytes)

    def plots(self, rev: str) -> PlotsAtRev:
        """The plots at ``rev``. Call it outside :meth:`at`: DVC switches revisions for
        plots itself, and forgets the index it built afterwards (so read a revision's
        metrics and params first)."""
        from mlci.dvc.plotdata import read_plots

        repo = self.repo
        # Where the Repo already is (the workspace after `dvc status`, the base after
        # :meth:`at`), DVC's own switch for plots would only drop and rebuild the index;
        # elsewhere DVC switches as it always does, from the workspace.
        here = rev == self._switched and (rev == WORKSPACE or self._switched_in == self.root)
        if not here:
            self._back_to_workspace()

        def guard(dvcfs: Any) -> _WorkspaceGuard | _CacheGuard:
            if rev == WORKSPACE:
                return _WorkspaceGuard(dvcfs, self.root, self.boundary, self.max_bytes)
            return _CacheGuard(dvcfs, repo, self.max_bytes)

        # DVC checks the whole pipeline graph before it lists plot outputs; a read
        # needs no graph (see mlci.dvc.internals.skip_graph_checks).
        with (
            skip_graph_checks(repo),
            _cwd(self.root),
            stay_switched(repo) if here else nullcontext(),
        ):
            return read_plots(repo, rev, guard)


@contextmanager
def _cwd(folder: Path) -> Iterator[None]:
    # DVC names plot files relative to the process's cwd; mlci names them from the root.
    saved = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(saved)


def _silence_dvc_logger() -> None:
    # DVC logs warnings such as "failed to load metrics" itself; mlci reports those
    # errors with file and revision, so DVC's own copy would be noise on stderr.
    dvc_logger = logging.getLogger("dvc")
    if not dvc_logger.handlers:
        dvc_logger.addHandler(logging.NullHandler())
        dvc_logger.propagate = False


def _no_progress_monitor() -> None:
    # tqdm starts a monitor thread with DVC's first progress bar (it checks every 10 s
    # for a bar that stalled, which mlci never shows). A second thread would keep
    # mlci.background from forking the data checks onto another core.
    from tqdm import tqdm  # type: ignore[import-untyped]

    tqdm.monitor_interval = 0


def pipeline_status(repo: Repo) -> PipelineStatus:
    """Stages that are out of date, and outputs missing from the workspace.

    Imports are not checked for updates at their source (``dvc repro`` does not update
    them either), so a frozen ``dvc import`` needs no network. A stage whose status
    DVC cannot tell at all (an unfrozen import of an unreachable repository) is listed
    in ``unknown`` with DVC's reason, and the others are still checked.
    """
    from dvc.exceptions import DvcException

    unknown: list[str] = []
    try:
        status: dict[str, list[Any]] = repo.status(check_updates=False)
    except RecursionError:
        # DVC's YAML and JSON parsers recurse once per level of nesting. mlci refuses
        # deep YAML before DVC reads it (config.check_dvc_yaml); this is the rest, e.g.
        # a params.json or a `vars:` file in JSON.
        raise DvcError(
            f"`dvc status` failed in {repo.root_dir}: a file it parses (dvc.yaml, dvc.lock, "
            "params or `vars:` files) is nested too deeply for DVC's parser",
            hint="find the deeply nested file among them and flatten it",
        ) from None
    except DvcException as exc:
        status = {}
        try:
            stages = list(repo.index.stages)
        except DvcException:
            raise DvcError(f"`dvc status` failed in {repo.root_dir}: {error_text(exc)}") from None
        for stage in stages:
            try:
                status.update(stage.status(check_updates=False))
            except DvcException as stage_exc:
                name = _stage_name(repo.root_dir, stage.addressing)
                unknown.append(f"{name}: {error_text(stage_exc)}")
    missing: list[str] = []
    for changes in status.values():
        for change in changes:
            if isinstance(change, dict):
                outs = change.get("changed outs", {})
                missing.extend(p for p, state in outs.items() if state in _MISSING_STATES)
    return PipelineStatus(
        stale_stages=tuple(_stage_name(repo.root_dir, name) for name in status),
        missing_outputs=tuple(missing),
        unknown=tuple(unknown),
    )


def _stage_name(root: str, name: str) -> str:
    """DVC names stages relative to the process's cwd; name them from the project root."""
    dvcfile, sep, stage = name.rpartition(":")
    if not sep:
        return name
    relative = os.path.relpath(Path(dvcfile).absolute(), root)
    return stage if relative == "dvc.yaml" else f"{Path(relative).as_posix()}:{stage}"


def run_dvc(root: Path, args: list[str], emit: Callable[[str], None], *, what: str) -> None:
    """Run ``dvc ARGS`` in ``root``, streaming its output through ``emit``."""
    env = clean_env()
    tail: deque[str] = deque(maxlen=_TAIL_LINES)
    failed_stage = None
    with subprocess.Popen(
        [sys.executable, "-m", "dvc", *args],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        errors="replace",
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            text = line.rstrip()
            emit(text)
            if text:
                tail.append(text)
            if match := _FAILED_STAGE.search(line):
                failed_stage = match.group(1)
    if proc.returncode != 0:
        shown = "\n".join(f"    {line}" for line in tail)
        subject = f"DVC stage '{failed_stage}' failed" if failed_stage else f"`dvc {what}` failed"
        raise DvcError(
            f"{subject} (exit {proc.returncode}) in {root}; last lines of its output:\n{shown}",
            hint=plugin_hint(shown)
            or f"run `dvc {what}` in {root} to reproduce, fix it, and run mlci again",
        )


@dataclass(frozen=True)
class RevFile:
    """A data file at a revision: its repo-relative path and DVC's md5 when DVC tracks it."""

    path: str
    md5: str | None


@dataclass(frozen=True)
class RevisionReader:
    """What can be read at one revision, inside :meth:`DvcRepo.at`."""

    repo: Repo | None  # None: no DVC project at this revision
    rev: str
    label: str  # "base" / "head", as errors name the revision
    boundary: Path | None = None  # reads of the workspace stay inside it (see DvcRepo)
    max_bytes: int | None = safefs.DEFAULT_MAX_BYTES

    def metrics(self) -> Snapshot:
        if self.repo is None:
            return Snapshot(values={})
        # No revs: DVC reads the revision the repo is switched to, with its index.
        repo, guard = self._guarded()
        raw = show_guarded(repo, guard, lambda: repo.metrics.show(hide_workspace=False))
        return snapshot_of(raw, self.label)

    def params(self) -> Snapshot:
        if self.repo is None:
            return Snapshot(values={})
        repo, guard = self._guarded()
        raw = show_guarded(repo, guard, lambda: repo.params.show(hide_workspace=False))
        return snapshot_of(raw, self.label)

    def _guarded(self) -> tuple[Repo, _WorkspaceGuard | _CacheGuard]:
        """The repo, and the guard its reads of this revision go through.

        ``metrics.show`` / ``params.show`` without revisions collect the files from
        the index and read each through ``repo.dvcfs``; :func:`~mlci.dvc.internals.show_guarded`
        has them read through the guard instead: a :class:`_WorkspaceGuard` (reads
        under :mod:`mlci.safefs`'s rule) around DVC's own filesystem. DVC's
        collection, parsing and flattening are untouched, so the values stay those of
        ``dvc metrics diff``; a refused file is DVC's per-file error.
        A base revision is read from git objects and the DVC cache, not the work
        tree: git gives a committed symlink's target text, never the file it names;
        the DVC cache is the work tree's, so its objects are read through a
        :class:`_CacheGuard`.
        """
        repo = self.repo
        assert repo is not None
        if self.rev != WORKSPACE:
            return repo, _CacheGuard(repo.dvcfs, repo, self.max_bytes)
        boundary = self.boundary or safefs.work_tree_root(Path(repo.root_dir))
        return repo, _WorkspaceGuard(repo.dvcfs, Path(repo.root_dir), boundary, self.max_bytes)

    def _fs(self) -> Any:
        from dvc.exceptions import DvcException

        assert self.repo is not None
        try:
            return self.repo.dvcfs
        except (DvcException, OSError, ValueError) as exc:
            raise DvcError(
                f"DVC cannot read the {self.label} revision ({self.short}): {exc}"
            ) from None

    @property
    def short(self) -> str:
        return self.rev if self.rev == WORKSPACE else self.rev[:7]

    def files(self, pattern: str) -> list[RevFile]:
        """The files ``pattern`` (a file, a folder or a glob) names here, git- or DVC-tracked."""
        from mlci.specs import is_data_name, is_glob, is_glob_match, pattern_problem

        if self.repo is None or pattern_problem(pattern) is not None:
            return []  # refused at head too, where the check names the problem
        fs = self._fs()
        try:
            if is_glob(pattern):
                # Rooted: DVC's filesystem matches a wildcard in the first component
                # (``dat?/x.csv``, ``*.csv``) only against "/", never against "".
                matched = fs.glob("/" + pattern.removeprefix("./"))
                paths = sorted(p for p in matched if is_glob_match(Path(p)))
            elif fs.isdir(pattern):
                paths = sorted(p for p in fs.find(pattern) if is_data_name(Path(p)))
            elif fs.exists(pattern):
                paths = [pattern]
            else:
                paths = []
            files = []
            for path in paths:
                info = fs.info(path)
                if info.get("type") != "file":
                    continue
                md5 = (info.get("dvc_info") or {}).get("md5") or info.get("md5")
                files.append(
                    RevFile(path=str(path).lstrip("/"), md5=md5 if isinstance(md5, str) else None)
                )
            return files
        except Exception as exc:  # DVC's filesystem raises many kinds; all mean "cannot read"
            raise DvcError(
                f"cannot list {pattern} at {self.label} ({self.short}): {error_text(exc)}"
            ) from None

    def fetch(self, files: Sequence[RevFile], dest: Path) -> list[Path]:
        """Copy ``files`` as they are here into ``dest`` (from git, the DVC cache or remote)."""
        if not files:
            return []
        fs = self._fs()
        local = []
        for file in files:
            target = dest / file.path
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                if self.repo is not None and file.md5:
                    _check_cache_object(self.repo, file.md5, None)
                fs.get_file(file.path, str(target))
            except Exception as exc:
                raise DvcError(
                    f"cannot read {file.path} at {self.label} ({self.short}): {error_text(exc)}",
                    hint="is the base revision's data pushed to the DVC remote (`dvc push`)?",
                ) from None
            local.append(target)
        return local


class _WorkspaceGuard:
    """DVC's filesystem for the workspace, with every workspace file read under
    :mod:`mlci.safefs`'s rule; everything else is DVC's own (``__getattr__``).

    A path that exists in the work tree is read by :func:`safefs.read_bytes` (inside
    the repository, a regular file, size-limited, never blocking); one that does not
    (a DVC-tracked output not checked out) is DVC's to read from the cache or remote.
    A folder that leads outside is not listed: it reads as a file, and is refused.
    """

    def __init__(self, inner: Any, root: Path, boundary: Path, max_bytes: int | None) -> None:
        self.inner = inner
        self.root = root
        self.boundary = boundary
        self.max_bytes = max_bytes

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def _local(self, path: str) -> Path:
        return self.root / str(path).lstrip("/")

    def check(self, path: str) -> None:
        """Raise :class:`safefs.UnsafePathError` when the workspace's ``path`` may not be read."""
        local = self._local(path)
        if os.path.lexists(local):
            safefs.check_file(self.boundary, local, max_bytes=self.max_bytes)

    def open(self, path: str, mode: str = "r", **kwargs: Any) -> Any:
        local = self._local(path)
        if not os.path.lexists(local):
            return self.inner.open(path, mode, **kwargs)
        content = safefs.read_bytes(self.boundary, local, max_bytes=self.max_bytes)
        if "b" in mode:
            return io.BytesIO(content)
        return io.TextIOWrapper(io.BytesIO(content), encoding=kwargs.get("encoding") or "utf-8")

    def isdir(self, path: str) -> bool:
        local = self._local(path)
        if os.path.lexists(local) and not safefs.is_inside(self.boundary, local):
            return False
        return bool(self.inner.isdir(path))

    def find(self, path: str, **kwargs: Any) -> Iterator[str]:
        """DVC's listing, with whatever lies under a folder that leads outside the
        repository replaced by that folder (so it is refused by name, not listed)."""
        seen = set()
        for found in self.inner.find(path, **kwargs):
            escape = safefs.escape_point(self.boundary, self._local(found))
            if escape is None:
                yield found
                continue
            try:
                name = "/" + escape.relative_to(self.root).as_posix()
            except ValueError:  # the project folder itself leads out: refuse what was found
                name = found
            if name not in seen:
                seen.add(name)
                yield name


def _check_cache_object(repo: Repo, md5: str, max_bytes: int | None) -> Path | None:
    """The local DVC cache object of ``md5`` when it is a regular file inside the cache
    (:mod:`mlci.safefs`'s rule), None when it is not in the local cache; else
    :class:`safefs.UnsafePathError`.

    The cache folder lies in the work tree (``.dvc/cache``), where a pull request can
    commit a symlink named like the base's object that points at any file.
    """
    cache_root = Path(repo.cache.local.path).resolve()
    obj = Path(repo.cache.local.oid_to_path(md5))
    if not os.path.lexists(obj):
        return None
    try:
        safefs.check_file(cache_root, obj, max_bytes=max_bytes)
    except safefs.UnsafePathError as exc:
        raise safefs.UnsafePathError(
            obj, f"its object in the DVC cache is refused: {exc.reason}"
        ) from None
    return obj


class _CacheGuard:
    """DVC's filesystem at a git revision, with every DVC-tracked file whose object is
    in the local cache read from that object under :mod:`mlci.safefs`'s rule (inside
    the cache folder, a regular file); git-tracked files and objects DVC must fetch
    from the remote are DVC's own (``__getattr__``)."""

    def __init__(self, inner: Any, repo: Repo, max_bytes: int | None) -> None:
        self.inner = inner
        self.repo = repo
        self.max_bytes = max_bytes

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def _cached_object(self, path: str) -> Path | None:
        """``path``'s object in the local cache (checked), None when it has none there."""
        try:
            info = self.inner.info(path)
        except (OSError, ValueError):
            return None
        md5 = (info.get("dvc_info") or {}).get("md5")
        return _check_cache_object(self.repo, md5, self.max_bytes) if isinstance(md5, str) else None

    def check(self, path: str) -> None:
        """Raise :class:`safefs.UnsafePathError` when ``path``'s cache object may not be read."""
        self._cached_object(path)

    def open(self, path: str, mode: str = "r", **kwargs: Any) -> Any:
        obj = self._cached_object(path)
        if obj is None:
            return self.inner.open(path, mode, **kwargs)
        cache_root = Path(self.repo.cache.local.path).resolve()
        content = safefs.read_bytes(cache_root, obj, max_bytes=self.max_bytes)
        if "b" in mode:
            return io.BytesIO(content)
        return io.TextIOWrapper(io.BytesIO(content), encoding=kwargs.get("encoding") or "utf-8")
