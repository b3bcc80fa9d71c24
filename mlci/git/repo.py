"""The one place git is touched: repository discovery, base/head resolution, fetching.

Every call is the ``git`` command line, run with :func:`clean_env`, its failure a
:class:`GitError` here and nowhere else. (mlci used GitPython for this; it was a
wrapper around the same commands, and its import alone cost 40 ms of every run.)
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
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
    """Drop hook-local GIT_* variables from this process (git and DVC read them)."""
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


class Repository:
    """A git work tree, opened once."""

    def __init__(self, path: Path) -> None:
        start = Path(os.path.abspath(path))  # noqa: PTH100 (resolve() would drop a symlink's spelling)
        folder = start if start.is_dir() else start.parent
        not_a_repository = GitError(
            f"not a git repository: {path}",
            hint="run mlci inside a git checkout of your project (or `git init` one)",
        )
        if not folder.is_dir():
            raise not_a_repository
        try:
            bare, top = _git_at(
                folder, "rev-parse", "--is-bare-repository", "--show-toplevel"
            ).splitlines()[:2]
        except (GitError, ValueError) as exc:
            if isinstance(exc, GitError) and exc.message.startswith("cannot run git"):
                raise  # no git to run: say so, not "not a git repository"
            words = exc.message if isinstance(exc, GitError) else ""
            if "must be run in a work tree" in words or (
                _git_answers(folder, "rev-parse", "--is-bare-repository") == "true"
            ):  # a bare repository, or a folder inside .git
                raise GitError(f"{path} is a bare git repository; mlci needs a work tree") from None
            if words and "not a git repository" not in words:
                # git found a repository and refused it (another user's checkout:
                # "dubious ownership", fixed by safe.directory): git's own words.
                raise GitError(
                    f"git cannot open the repository at {path}: {words}",
                    hint="git says why (another user's checkout: see its safe.directory advice)",
                ) from None
            raise not_a_repository from None
        if bare == "true":
            raise GitError(f"{path} is a bare git repository; mlci needs a work tree")
        self.root = _spelled_as(folder, Path(top))
        self._shas: dict[str, str | None] = {}

    def _git(self, *args: str) -> str:
        return _git_at(self.root, *args)

    def _sha(self, rev: str) -> str | None:
        """The commit ``rev`` names, or None. ``rev`` has been checked by the caller.

        Remembered until the next fetch: one check asks for its base branch's commit up
        to six times (default branch, its mlci.yaml, the merge-base), ~3-5 ms a process."""
        if rev not in self._shas:
            self._shas[rev] = self._rev_parse(rev)
        return self._shas[rev]

    def _rev_parse(self, rev: str) -> str | None:
        out = _git_answers(
            self.root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"
        )
        sha = (out or "").strip()
        return sha if re.fullmatch(r"[0-9a-f]{40,64}", sha) else None

    @property
    def is_shallow(self) -> bool:
        return _git_answers(self.root, "rev-parse", "--is-shallow-repository") == "true"

    @functools.cached_property
    def _remotes(self) -> frozenset[str]:
        # Read once: a run adds no remote (a fetch names one, it never adds one).
        return frozenset((_git_answers(self.root, "remote") or "").split())

    def has_remote(self, name: str = "origin") -> bool:
        return name in self._remotes

    def head(self) -> RevInfo:
        sha = self._sha("HEAD")
        if sha is None:
            raise GitError(f"{self.root} has no commits yet", hint="commit your project first")
        # None on a detached HEAD, as in a CI checkout.
        # Not --short: it says "heads/x" when a tag is also called x.
        ref = _git_answers(self.root, "symbolic-ref", "--quiet", "HEAD") or ""
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

    def tree_at(self, rev: str, folder: str) -> dict[str, tuple[int, str]]:
        """Every blob and submodule git holds under ``folder`` (relative to the root, "."
        for all) at ``rev`` (a sha this module resolved), recursively, in one ``git
        ls-tree``: path -> (mode, object name). Modes: 0o100644/0o100755 a file,
        0o120000 a symlink, 0o160000 a submodule. No sizes: ``--long`` opens every
        object (8 s instead of 0.3 s for 300,000 files); :meth:`sizes` asks for the few
        that are read."""
        where = "." if folder in ("", ".") else folder.rstrip("/") + "/"
        out = self._git("ls-tree", "-r", "-z", "--end-of-options", rev, "--", where)
        entries: dict[str, tuple[int, str]] = {}
        for record in out.split("\0"):
            meta, tab, path = record.partition("\t")
            fields = meta.split(" ")
            if tab and len(fields) == 3:
                entries[path] = (int(fields[0], 8), fields[2])
        return entries

    def sizes(self, shas: list[str]) -> dict[str, int]:
        """The size in bytes of each object in ``shas``, in one ``git cat-file
        --batch-check``; a name git does not have is left out."""
        wanted = list(dict.fromkeys(shas))
        if not wanted:
            return {}
        out = self._batch("--batch-check", wanted).decode("ascii", errors="replace")
        found = {}
        for line in out.splitlines():
            name, _, size = line.partition(" blob ")
            if size.isdigit():
                found[name] = int(size)
        return found

    def blobs(self, shas: list[str]) -> dict[str, bytes]:
        """The content of each blob in ``shas`` (object names ``tree_at`` gave), read in
        one ``git cat-file --batch``; a name git does not have is left out."""
        wanted = list(dict.fromkeys(shas))
        if not wanted:
            return {}
        out = self._batch("--batch", wanted)
        found: dict[str, bytes] = {}
        at = 0
        for sha in wanted:
            end = out.index(b"\n", at)
            header = out[at:end].split()
            at = end + 1
            if len(header) != 3:  # "<name> missing"
                continue
            size = int(header[2])
            found[sha] = out[at : at + size]
            at += size + 1
        return found

    def _batch(self, mode: str, names: list[str]) -> bytes:
        """``git cat-file MODE`` (``--batch`` or ``--batch-check``) over ``names``."""
        done = subprocess.run(
            ["git", "cat-file", mode],
            cwd=self.root,
            input="".join(f"{name}\n" for name in names).encode("ascii"),
            capture_output=True,
            env=clean_env(),
            check=False,
        )
        if done.returncode != 0:
            stderr = done.stderr.decode("utf-8", errors="replace")[:300]
            raise GitError(f"git cat-file {mode} failed in {self.root}: {stderr}")
        return done.stdout

    def worktree_files(self, folder: Path) -> tuple[list[str], list[str]]:
        """Files under ``folder`` (inside the work tree) that git does not ignore:
        tracked ones and untracked ones outside every ignore rule, as paths relative
        to ``folder``; and, second, the tracked files an ignore rule matches."""
        root = self.root.resolve()
        prefix = folder.resolve().relative_to(root).as_posix()
        where = "." if prefix == "." else prefix + "/"
        listed = self._git(
            "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", where
        )
        ignored = self._git(
            "ls-files", "-z", "--cached", "--ignored", "--exclude-standard", "--", where
        )
        strip = 0 if prefix == "." else len(prefix) + 1
        return (
            [name[strip:] for name in listed.split("\0") if name],
            [name[strip:] for name in ignored.split("\0") if name],
        )

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
        listed = _git_answers(
            self.root, "--literal-pathspecs", "ls-tree", "-z", "--long", sha, "--", relpath
        )
        meta, _, name = (listed or "").partition("\0")[0].partition("\t")
        fields = meta.split()
        if name != relpath or len(fields) != 4:
            return None
        mode, kind, object_name, size = fields
        if kind != "blob" or int(mode, 8) & 0o170000 != 0o100000:
            raise GitError(
                f"{relpath} at {rev[:12]} is not a regular file (a symlink or a folder)",
                hint=f"commit {relpath} as a plain file",
            )
        # git has the tree but not the file's object (a partial clone whose fetch
        # failed, a damaged repository): ls-tree says its size is "BAD", cat-file
        # "missing". An error, never an empty file: this is the base's policy.
        if size.isdigit() and int(size) > limit:
            raise GitError(f"{relpath} at {rev[:12]} is {int(size):,} bytes, over {limit:,}")
        data = self.blobs([object_name]).get(object_name) if size.isdigit() else None
        if data is None:
            raise GitError(
                f"{relpath} at {rev[:12]}: git lists it but does not have its content",
                hint="fetch the revision again (`git fetch origin`), or run `git fsck`",
            )
        return data.decode("utf-8", errors="replace")


def _git_at(cwd: Path, *args: str) -> str:
    """``git ARGS`` in ``cwd``: its output, or a GitError quoting git's own words."""
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            # git's messages in English unless the user chose a language: mlci reads
            # some ("not a git repository") to say what went wrong.
            env={"LANGUAGE": "C", "LC_ALL": "C", **clean_env()},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )
    except OSError as exc:
        raise GitError(f"cannot run git in {cwd}: {exc}", hint="install git") from None
    if done.returncode != 0:
        stderr = done.stderr.decode("utf-8", errors="replace").strip()
        raise GitError(f"git {' '.join(args)} failed: {stderr or done.returncode}")
    return done.stdout.decode("utf-8", errors="replace").removesuffix("\n")


def _git_answers(cwd: Path, *args: str) -> str | None:
    """``git ARGS``'s output with its last newline cut, or None when git said no."""
    try:
        return _git_at(cwd, *args).strip()
    except GitError:
        return None


def _spelled_as(start: Path, top: Path) -> Path:
    """The work tree's root as the caller spelled its path (through a symlinked
    folder, say), when one of ``start``'s parents is ``top``; else git's spelling."""
    real = os.path.realpath(top)
    for folder in (start, *start.parents):
        if os.path.realpath(folder) == real:
            return folder
    return top


def run(cwd: Path, *args: str) -> str:
    """Run one git command in ``cwd`` (for building repositories, as the demo does)."""
    try:
        return _git_at(cwd, *args)
    except GitError as exc:
        raise GitError(f"{exc.message} (in {cwd})") from None
