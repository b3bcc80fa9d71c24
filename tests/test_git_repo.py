"""mlci.git.repo against real git: opening a work tree, naming HEAD, reading a file at
a revision (git child processes, no GitPython)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Repo, run

from mlci.errors import GitError
from mlci.git.repo import Repository


def test_a_sub_folder_opens_its_work_tree(repo: Repo) -> None:
    (repo.root / "src" / "deep").mkdir(parents=True)
    opened = Repository(repo.root / "src" / "deep")
    assert opened.root.resolve() == repo.root.resolve()
    assert opened.head().name == repo.git("rev-parse", "--abbrev-ref", "HEAD")


@pytest.mark.parametrize("where", ["nowhere", "plain"])
def test_outside_any_repository_is_named(tmp_path: Path, where: str) -> None:
    (tmp_path / "plain").mkdir()
    with pytest.raises(GitError, match="not a git repository: .*" + where):
        Repository(tmp_path / where)


def test_a_bare_repository_or_git_folder_has_no_work_tree(repo: Repo, tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    run(tmp_path, "git", "clone", "--quiet", "--bare", str(repo.root), str(bare))
    for path in (bare, repo.root / ".git"):
        with pytest.raises(GitError, match="bare git repository; mlci needs a work tree"):
            Repository(path)


def test_detached_head_is_named_by_its_short_sha(repo: Repo) -> None:
    sha = repo.commit("second")
    repo.git("checkout", "--quiet", "--detach", "HEAD")
    head = Repository(repo.root).head()
    assert (head.name, head.sha) == (sha[:7], sha)


def test_read_file_reads_the_committed_text_not_the_work_tree(repo: Repo) -> None:
    sha = repo.commit("config", {"conf/a.yaml": "x: 1\n", "conf/[a].yaml": "x: 2\n"})
    (repo.root / "conf" / "a.yaml").write_text("x: 3\n")
    git = Repository(repo.root)
    assert git.read_file(sha, "conf/a.yaml") == "x: 1\n"
    # A path is a path, not a pattern: `[a].yaml` never matches `a.yaml`.
    assert git.read_file(sha, "conf/[a].yaml") == "x: 2\n"
    assert git.read_file(sha, "conf/missing.yaml") is None
    assert git.read_file(sha, "conf/a.yaml/below") is None


def test_read_file_refuses_a_symlink_a_folder_and_a_large_file(repo: Repo) -> None:
    (repo.root / "big.yaml").write_text("x" * 2000)
    (repo.root / "folder").mkdir()
    (repo.root / "folder" / "f.yaml").write_text("x: 1\n")
    (repo.root / "link.yaml").symlink_to("/etc/passwd")
    sha = repo.commit("odd files")
    git = Repository(repo.root)
    for name, reason in (
        ("link.yaml", "not a regular file"),
        ("folder", "not a regular file"),
        ("big.yaml", "2,000 bytes, over 1,000"),
    ):
        with pytest.raises(GitError, match=reason):
            git.read_file(sha, name, limit=1000)
