"""Which files a dataset's ``path`` names in the workspace, inside the checkout.

A file is itself (whatever its extension); a folder is every data file under it; a
glob the files it matches (see :mod:`mlci.specs` for the rule both revisions share).
Everything found stays inside the git work tree (:mod:`mlci.safefs`); what is refused
is a :class:`FileProblem` naming the file, never its content. Reading the files is
:mod:`mlci.checks.sources`'.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from mlci import safefs
from mlci.specs import is_data_name, is_glob, is_glob_match, pattern_problem


@dataclass(frozen=True)
class FileProblem:
    file: Path
    message: str


def resolve_files(root: Path, pattern: str) -> list[Path]:
    """The readable files a dataset ``path`` names (see :func:`find_data_files`)."""
    return find_data_files(root, pattern)[0]


def find_data_files(
    root: Path,
    pattern: str,
    *,
    boundary: Path | None = None,
    max_bytes: int | None = safefs.DATA_MAX_BYTES,
) -> tuple[list[Path], list[FileProblem]]:
    """The files a dataset ``path`` from mlci.yaml names, relative to ``root``, sorted,
    and the files refused by :mod:`mlci.safefs`'s rule, each with its reason.

    A file is itself (whatever its extension); a directory is every data file
    under it (recursively, hidden files skipped); anything with ``*``, ``?`` or
    ``[`` is a glob (``data/*.csv``, ``data/**/*.parquet``). Nothing that exists
    matches: an empty list. Everything stays inside ``boundary`` (default: the git
    work tree holding ``root``): an absolute ``path``, one whose ``..`` leads out,
    and a match through a symlink that leads out are refused, named by the part of
    the path that leads out (never listed beyond it); so are FIFOs, sockets and
    devices. A folder that leads out is not descended into.
    """
    boundary = boundary or safefs.work_tree_root(root)
    problem = pattern_problem(pattern)
    if problem is not None:
        return [], [FileProblem(Path(pattern), problem)]
    if not _lexically_inside(boundary, root / pattern):
        return [], [FileProblem(root / pattern, safefs.OUTSIDE)]
    glob = is_glob(pattern)
    if glob:
        candidates = sorted(root.glob(pattern))
    else:
        candidates = [root / pattern] if os.path.lexists(root / pattern) else []
    files: list[Path] = []
    refused: dict[Path, str] = {}
    for path in candidates:
        escape = safefs.escape_point(boundary, path)
        if escape is not None:
            refused.setdefault(escape, safefs.OUTSIDE)
        elif glob and (path.is_dir() or not is_glob_match(path)):
            continue  # a glob names files; the folders it matches are not expanded
        elif path.is_dir():
            found, outside = _walk(boundary, path)
            files.extend(p for p in found if p not in files)
            refused.update(dict.fromkeys(outside, safefs.OUTSIDE))
        else:
            files.append(path)
    kept = []
    for path in files:
        try:
            safefs.check_file(boundary, path, max_bytes=max_bytes)
        except safefs.UnsafePathError as exc:
            refused.setdefault(path, exc.reason)
        except OSError as exc:
            refused.setdefault(path, exc.strerror or str(exc))
        else:
            kept.append(path)
    problems = [FileProblem(path, reason) for path, reason in sorted(refused.items())]
    return sorted(kept), problems


def _lexically_inside(boundary: Path, path: Path) -> bool:
    """Whether ``path`` with its ``..`` collapsed (symlinks not followed) is under ``boundary``."""
    normal = Path(os.path.normpath(path.absolute()))
    return normal == boundary or boundary in normal.parents or safefs.is_inside(boundary, normal)


def _walk(boundary: Path, folder: Path) -> tuple[list[Path], list[Path]]:
    """Data files under ``folder`` (hidden ones skipped), following symlinked folders
    that stay inside ``boundary``; and the entries that lead outside it."""
    files: list[Path] = []
    outside: list[Path] = []
    seen: set[str] = set()
    for current, folders, names in os.walk(folder, followlinks=True):
        real = os.path.realpath(current)
        if real in seen:  # a symlink loop, or a folder reached twice
            folders[:] = []
            continue
        seen.add(real)
        kept_folders = []
        for name in sorted(folders):
            path = Path(current) / name
            if safefs.is_inside(boundary, path):
                kept_folders.append(name)
            else:
                outside.append(path)
        folders[:] = kept_folders
        for name in sorted(names):
            path = Path(current) / name
            if not is_data_name(path):
                continue
            if safefs.is_inside(boundary, path):
                files.append(path)
            else:
                outside.append(path)
    return files, outside


def display(path: Path, root: Path | None) -> str:
    """A file as reasons name it: relative to ``root`` when under it."""
    if root is not None:
        with contextlib.suppress(ValueError):
            return path.relative_to(root).as_posix()
    return str(path)
