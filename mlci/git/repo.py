"""The one place git is touched: repository discovery, base/head resolution, fetching.

Every git command is a ``git`` child process run here (:func:`_run`); a failing one
becomes :class:`GitError` here and nowhere else. Not GitPython: importing it took
~70 ms of every `mlci check`, and it spawned `git version` twice before the first
command, for what a handful of ``git`` calls do.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from functools import cached_property
from pathlib import Path

from mlci.errors import GitError, UsageError, clip
from mlci.results import RevInfo

# Deepening steps for a shallow clone whose history stops before the fork point.
_DEEPEN_STEPS = (50, 500)

# Variables git sets for hooks (pre-push runs mlci with GIT_DIR and friends set);
# left in place they would point DVC's own git calls at the wrong place.
_KEEP_GIT_VARS = {
    "GIT_EXEC_PATH",
    "GIT_SSH",
    "GIT_SSH_COMMAND",
    "GIT_SSL_CAINFO",
    "GIT_SSL_NO_VERIFY",
    "GIT_ASKPASS",
    "GIT_TERMINAL_PROMPT",
    "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_NOSYSTEM",
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "GIT_COMMITTER_NAME",
    "GIT_COMMITTER_EMAIL",
}


# Credentials a runner may hold that the pipeline's stages (pull-request code) never need.
SECRET_VARS = frozenset(
    {
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "ACTIONS_RUNTIME_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "MLCI_GITLAB_TOKEN",  # mlci's GitLab token (mlci.gitlab.context)
        "GITLAB_TOKEN",
    }
)

# The runner's file commands: a line appended to one of these files sets a step output,
# an environment variable or PATH entry for every later step, the action's saved state,
# or the job summary. They are mlci's to write, never a stage's or a test's.
RUNNER_FILE_VARS = frozenset(
    {"GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STATE", "GITHUB_STEP_SUMMARY"}
)

# Further token variables named on the command line (`--token-env NAME`).
_hidden: set[str] = set()


def hide_from_children(name: str) -> None:
    """Never pass the variable ``name`` (a token) to child processes."""
    _hidden.add(name)


def clean_env() -> dict[str, str]:
    """The environment for child processes: no hook-local GIT_* variables, no tokens, no
    runner file commands."""
    withheld = SECRET_VARS | RUNNER_FILE_VARS | _hidden
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in withheld
        and (not key.startswith("GIT_") or key in _KEEP_GIT_VARS or key.startswith("GIT_CONFIG_"))
    }
    if sys.prefix != sys.base_prefix and not env.get("VIRTUAL_ENV"):
        # mlci runs from a virtualenv that is not activated (`.venv/bin/mlci`): stage and
        # test commands such as `python src/train.py` should find that environment.
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def scrub_hook_env() -> None:
    """Drop hook-local GIT_* variables from this process (GitPython and DVC read them)."""
    for key in list(os.environ):
        if key.startswith("GIT_") and key not in clean_env():
            del os.environ[key]


# A revision mlci hands to git: a branch, tag, sha or `HEAD~2`-style expression.
# Never an option (`-…`), a refspec (`+src:dst`, `a:b`), a range (`a..b`), a
# `rev:path`, or anything with whitespace or control characters.
_BAD_REVISION = re.compile(r"\A[-+]|:|\.\.|[\x00-\x20\x7f]|\A\Z")
_MAX_REVISION = 256


def checked_revision(rev: str, where: str) -> str:
    """``rev`` when it is safe to hand to git as a revision; else a usage error (exit 2)
    naming ``where`` it came from (``--base``, ``$MLCI_BASE``, ``base: in main:mlci.yaml``).

    Every revision reaches git through :meth:`Repository.resolve` or
    :meth:`Repository.resolve_base`, which call this before any git command, and
    then after ``--end-of-options``: a revision can never be read as an option.
    """
    if len(rev) > _MAX_REVISION or _BAD_REVISION.search(rev):
        shown = clip(rev, 80)
        raise UsageError(
            f"{where}: {shown!r} is not a revision mlci accepts",
            hint="name a branch, tag or commit (no leading '-' or '+', no ':', no '..', no spaces)",
        )
    return rev


class _Failed(Exception):
    """A git command that exited non-zero, with what it printed on stderr."""

    def __init__(self, status: int, stderr: str) -> None:
        super().__init__(stderr)
        self.status = status
        self.stderr = stderr


def _run_bytes(cwd: Path, *args: str) -> bytes:
    """``git ARGS`` in ``cwd``: its stdout, or :class:`_Failed`. The environment is
    :func:`clean_env`'s, with git's messages in English unless the user chose a locale
    (as GitPython ran it); nothing is read from stdin."""
    env = {"LANGUAGE": "C", "LC_ALL": "C", **clean_env()}
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except OSError as exc:  # no git on PATH, or cwd gone
        raise _Failed(-1, str(exc)) from None
    if done.returncode != 0:
        raise _Failed(done.returncode, done.stderr.decode("utf-8", "replace").strip())
    return done.stdout


def _run(cwd: Path, *args: str) -> str:
    """:func:`_run_bytes` as text (undecodable bytes kept as surrogates, as in a path),
    without its last newline."""
    return _run_bytes(cwd, *args).decode("utf-8", "surrogateescape").removesuffix("\n")


class Repository:
    """A git work tree, opened once."""

    def __init__(self, path: Path) -> None:
        not_a_repo = GitError(
            f"not a git repository: {path}",
            hint="run mlci inside a git checkout of your project (or `git init` one)",
        )
        if not path.is_dir():
            raise not_a_repo
        try:
            found = _run(path, "rev-parse", "--git-common-dir", "--show-toplevel")
        except _Failed as exc:
            if "work tree" in exc.stderr:  # a bare repository, or inside a .git folder
                raise GitError(f"{path} is a bare git repository; mlci needs a work tree") from None
            if "not a git repository" in exc.stderr or exc.status < 0:
                raise not_a_repo from None
            raise GitError(f"cannot open the git repository at {path}: {exc.stderr}") from None
        common_dir, top = found.splitlines()[:2]
        self.root = Path(top)
        self._shas: dict[str, str | None] = {}
        # Where `shallow` lives (a linked work tree's git folder is not it).
        self._common_dir = path.resolve() / common_dir

    def _git(self, *args: str) -> str:
        try:
            return _run(self.root, *args)
        except _Failed as exc:
            raise GitError(f"git {' '.join(args)} failed: {exc.stderr or exc.status}") from None

    def _sha(self, rev: str) -> str | None:
        """The commit ``rev`` names, or None. ``rev`` has been checked by the caller.

        Remembered until the next fetch: one check asks for its base branch's commit up
        to six times (default branch, its mlci.yaml, the merge-base), ~3-5 ms a process."""
        if rev not in self._shas:
            self._shas[rev] = self._rev_parse(rev)
        return self._shas[rev]

    def _rev_parse(self, rev: str) -> str | None:
        try:
            out = _run(
                self.root,
                "rev-parse",
                "--verify",
                "--quiet",
                "--end-of-options",
                f"{rev}^{{commit}}",
            )
        except _Failed:
            return None
        sha = out.strip()
        return sha if re.fullmatch(r"[0-9a-f]{40,64}", sha) else None

    @property
    def is_shallow(self) -> bool:
        """Looked at each time: a fetch may deepen the clone to full history."""
        return (self._common_dir / "shallow").exists()

    @cached_property
    def _remotes(self) -> frozenset[str]:
        # Read once: a run adds no remote (a fetch names one, it never adds one).
        return frozenset(self._git("remote").split())

    def has_remote(self, name: str = "origin") -> bool:
        return name in self._remotes

    def head(self) -> RevInfo:
        sha = self._sha("HEAD")
        if sha is None:
            raise GitError(f"{self.root} has no commits yet", hint="commit your project first")
        try:
            ref = self._git("symbolic-ref", "--quiet", "HEAD").strip()
        except GitError:  # detached HEAD, as in a CI checkout
            ref = ""
        name = ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else sha[:7]
        return RevInfo(name=name, sha=sha)

    def resolve(self, rev: str, where: str = "--base") -> RevInfo:
        """Resolve ``rev`` (given by ``where``), fetching it from origin when this clone
        does not have it."""
        checked_revision(rev, where)
        sha = self._sha(rev)
        if sha is None and self.has_remote() and self._fetch_quietly(rev):
            # FETCH_HEAD only when this fetch succeeded: after a failed one it is empty,
            # or still names what an earlier fetch brought.
            sha = self._sha(rev) or self._sha("FETCH_HEAD")
        if sha is None:
            raise GitError(
                f"revision '{rev}' not found in {self.root}",
                hint="check the name, or `git fetch origin` so it exists locally",
            )
        return RevInfo(name=rev, sha=sha)

    def resolve_base(self, base_branch: str, where: str = "base:") -> RevInfo:
        """The merge-base of HEAD with ``origin/<branch>``, else with the local
        ``<branch>``. Missing history in a shallow clone is fetched."""
        checked_revision(base_branch, where)
        tracking = f"origin/{base_branch}"
        ref = None
        if self.has_remote():
            if self._sha(tracking) is None:
                self._fetch_quietly(f"+refs/heads/{base_branch}:refs/remotes/{tracking}", depth=50)
            if self._sha(tracking) is not None:
                ref = tracking
        if ref is None and self._sha(base_branch) is not None:
            ref = base_branch
        if ref is None:
            raise GitError(
                f"base branch '{base_branch}' not found: no '{tracking}' and no local "
                f"'{base_branch}' in {self.root}",
                hint="pass --base REV, or set `base:` in mlci.yaml to your main branch",
            )
        merge_base = self._merge_base(ref)
        if merge_base is None:
            raise GitError(
                f"HEAD and '{ref}' share no history in {self.root}",
                hint="pass --base REV to name the revision to compare against",
            )
        return RevInfo(name=ref, sha=merge_base)

    def _merge_base(self, ref: str) -> str | None:
        for deepen in (0, *_DEEPEN_STEPS, -1):
            if deepen and not self.is_shallow:
                break
            if deepen > 0:
                self._fetch_quietly(deepen=deepen)
            elif deepen < 0:
                self._fetch_quietly("--unshallow")
            try:
                found = self._git("merge-base", "--end-of-options", "HEAD", ref).strip()
            except GitError:
                found = ""
            if found:
                return found.splitlines()[0]
        return None

    def default_branch(self) -> str | None:
        """The remote's default branch (``origin/HEAD``), else ``main`` or ``master``
        where one exists, else what the remote says its HEAD is; None without any."""
        if self.has_remote():
            try:
                ref = self._git("symbolic-ref", "--quiet", "refs/remotes/origin/HEAD").strip()
            except GitError:
                ref = ""
            if ref.startswith("refs/remotes/origin/"):
                return ref.removeprefix("refs/remotes/origin/")
        for name in ("main", "master"):
            if self._sha(f"refs/remotes/origin/{name}") or self._sha(f"refs/heads/{name}"):
                return name
        if self.has_remote():
            try:
                listed = self._git("ls-remote", "--symref", "origin", "HEAD")
            except GitError:
                return None
            match = re.match(r"ref: refs/heads/(\S+)\tHEAD", listed)
            if match:
                return match.group(1)
        return None

    def branch_ref(self, branch: str) -> str | None:
        """Where ``branch`` can be read here: ``origin/<branch>`` (fetched when missing),
        else the local branch; None when neither exists."""
        checked_revision(branch, "branch")
        tracking = f"refs/remotes/origin/{branch}"
        if self.has_remote() and self._sha(tracking) is None:
            self._fetch_quietly(f"+refs/heads/{branch}:{tracking}", depth=1)
        for ref in (tracking, f"refs/heads/{branch}"):
            if self._sha(ref) is not None:
                return ref
        return None

    def _fetch_quietly(
        self, *refspecs: str, depth: int | None = None, deepen: int | None = None
    ) -> bool:
        args = ["fetch", "--quiet", "--no-tags"]
        if depth and self.is_shallow:
            args.append(f"--depth={depth}")
        if deepen:
            args.append(f"--deepen={deepen}")
        if "--unshallow" in refspecs:
            args.append("--unshallow")
            refspecs = ()
        self._shas.clear()  # what a ref names may change with the fetch, even a failed one
        try:
            self._git(*args, "--end-of-options", "origin", *refspecs)
        except GitError:
            return False
        return True

    def tracked_files(self, folder: Path, *patterns: str) -> list[Path]:
        """Files git tracks under ``folder`` (inside the work tree) whose names match a
        glob of ``patterns``, as paths under the resolved work-tree root."""
        root = self.root.resolve()
        prefix = folder.resolve().relative_to(root).as_posix()
        where = "" if prefix == "." else f"{prefix}/"
        try:
            out = self._git("ls-files", "-z", "--", *(f":(glob){where}**/{p}" for p in patterns))
        except GitError:
            return []
        return [root / name for name in out.split("\0") if name]

    def files_named_at(self, rev: str, name: str) -> list[str]:
        """Paths (relative to the root) of the files called ``name`` at revision ``rev``
        (a sha this module resolved): what the base commit holds, not the work tree."""
        try:
            out = self._git(
                "ls-tree", "-r", "-z", "--name-only", "--end-of-options", rev, "--", "."
            )
        except GitError:
            return []
        return [path for path in out.split("\0") if path and path.rsplit("/", 1)[-1] == name]

    def changed_files(self) -> list[str]:
        """Tracked files that differ from HEAD in the work tree, relative to the root."""
        try:
            out = self._git("diff", "--name-only", "-z", "HEAD")
        except GitError:
            return []
        return [name for name in out.split("\0") if name]

    def read_file(self, rev: str, relpath: str, *, limit: int = 1 << 20) -> str | None:
        """The text of ``relpath`` at ``rev`` (a sha or ref this module resolved), or None
        when there is nothing at that path; a GitError when what is there is not a
        regular file (a symlink, a folder) or is over ``limit`` bytes."""
        sha = self._sha(rev)
        if sha is None:
            return None
        # The entry itself (a folder's, not its content), its path taken literally.
        listing = self._git(
            "--literal-pathspecs", "ls-tree", "-l", "-z", "--end-of-options", sha, "--", relpath
        )
        entry = next((e for e in listing.split("\0") if e.partition("\t")[2] == relpath), None)
        if entry is None:
            return None
        mode, kind, obj, size = entry.partition("\t")[0].split()
        if kind != "blob" or int(mode, 8) & 0o170000 != 0o100000:
            raise GitError(
                f"{relpath} at {rev[:12]} is not a regular file (a symlink or a folder)",
                hint=f"commit {relpath} as a plain file",
            )
        if int(size) > limit:
            raise GitError(f"{relpath} at {rev[:12]} is {int(size):,} bytes, over {limit:,}")
        try:
            data = _run_bytes(self.root, "cat-file", "blob", obj)
        except _Failed as exc:
            raise GitError(f"git cat-file blob {obj} failed: {exc.stderr or exc.status}") from None
        return data.decode("utf-8", errors="replace")


def run(cwd: Path, *args: str) -> str:
    """Run one git command in ``cwd`` (for building repositories, as the demo does)."""
    try:
        return _run(cwd, *args)
    except _Failed as exc:
        raise GitError(
            f"git {' '.join(args)} failed in {cwd}: {exc.stderr or exc.status}"
        ) from None
