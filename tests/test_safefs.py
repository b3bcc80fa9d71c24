"""mlci.safefs: the rule for files a pull request controls, on real files, links and FIFOs."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest

from mlci import safefs
from mlci.errors import UsageError

OUTSIDE = safefs.OUTSIDE


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, Path]:
    """A repository folder and, beside it, a folder outside it with a secret file."""
    root = tmp_path / "repo"
    (root / "sub").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("the-secret")
    return root.resolve(), outside


def refusal(root: Path, path: Path, **kwargs: int | None) -> str:
    with pytest.raises(safefs.UnsafePathError) as caught:
        safefs.read_bytes(root, path, **kwargs)
    assert "the-secret" not in str(caught.value)
    return caught.value.reason


def test_regular_files_and_links_inside_are_read(layout: tuple[Path, Path]) -> None:
    root, _ = layout
    (root / "sub" / "real.json").write_text('{"a": 1}')
    (root / "link.json").symlink_to("sub/real.json")
    (root / "sub" / "up.json").symlink_to("../sub/real.json")
    assert safefs.read_text(root, root / "link.json") == '{"a": 1}'
    assert safefs.read_text(root, root / "sub" / "up.json") == '{"a": 1}'
    assert safefs.check_file(root, root / "link.json") == root / "sub" / "real.json"


def test_symlinks_and_dotdot_leading_out_are_refused(layout: tuple[Path, Path]) -> None:
    root, outside = layout
    (root / "abs.txt").symlink_to(outside / "secret.txt")
    (root / "rel.txt").symlink_to("../outside/secret.txt")
    (root / "folder").symlink_to(outside)
    (root / "chain.txt").symlink_to("abs.txt")
    for path in (
        root / "abs.txt",
        root / "rel.txt",
        root / "folder" / "secret.txt",
        root / "chain.txt",
        root / ".." / "outside" / "secret.txt",
        outside / "secret.txt",
    ):
        assert refusal(root, path) == OUTSIDE
    assert safefs.escape_point(root, root / "folder" / "secret.txt") == root / "folder"
    assert safefs.escape_point(root, root / "chain.txt") == root / "chain.txt"
    assert safefs.escape_point(root, root / "sub") is None


def test_a_fifo_is_refused_without_blocking(layout: tuple[Path, Path]) -> None:
    root, outside = layout
    os.mkfifo(root / "metrics.json")
    assert refusal(root, root / "metrics.json") == (
        "it is a FIFO (named pipe), not a regular file; mlci reads only files"
    )
    # Nothing writes to it: had the read opened it blocking, this test would hang.
    os.mkfifo(outside / "fifo")
    (root / "to-fifo").symlink_to(outside / "fifo")
    assert refusal(root, root / "to-fifo") == OUTSIDE


def test_devices_directories_and_sockets_are_refused(tmp_path: Path) -> None:
    # The root "/" holds /dev: only the kind of file can refuse these.
    root = Path("/")
    assert refusal(root, Path("/dev/null")) == (
        "it is a device, not a regular file; mlci reads only files"
    )
    assert refusal(root, tmp_path) == "it is a directory, not a regular file; mlci reads only files"
    sock_path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(sock_path))
        assert (
            refusal(root, sock_path) == "it is a socket, not a regular file; mlci reads only files"
        )


def test_dev_stdin_is_refused_whatever_it_is(layout: tuple[Path, Path]) -> None:
    root, _ = layout
    (root / "metrics.json").symlink_to("/dev/stdin")
    assert refusal(root, root / "metrics.json") == OUTSIDE


def test_size_limit_is_a_keyword_with_a_named_default(layout: tuple[Path, Path]) -> None:
    root, _ = layout
    big = root / "big.json"
    with big.open("wb") as handle:  # sparse: the size is what counts, nothing is read
        handle.truncate(safefs.DEFAULT_MAX_BYTES + 1)
    assert (
        refusal(root, big)
        == "it is too large to read (50,000,001 bytes; the limit is 50,000,000 bytes)"
    )
    small = root / "small.json"
    small.write_text("x" * 11)
    assert refusal(root, small, max_bytes=10) == (
        "it is too large to read (11 bytes; the limit is 10 bytes)"
    )
    assert safefs.read_bytes(root, small, max_bytes=11) == b"x" * 11
    assert safefs.read_bytes(root, big, max_bytes=None)[:1] == b"\0"


def test_missing_file_is_file_not_found(layout: tuple[Path, Path]) -> None:
    root, _ = layout
    with pytest.raises(FileNotFoundError):
        safefs.read_bytes(root, root / "nothing.json")


def test_write_replaces_a_symlink_and_never_follows_it(layout: tuple[Path, Path]) -> None:
    root, outside = layout
    target = root / "report.md"
    target.symlink_to(outside / "secret.txt")
    safefs.write_text(target, "# report\n")
    assert (outside / "secret.txt").read_text() == "the-secret"
    assert not target.is_symlink() and target.read_text() == "# report\n"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    # A dangling link, and a link to a folder, are replaced the same way.
    dangling = root / "mlci-results.json"
    dangling.symlink_to(outside / "not-there.json")
    safefs.write_text(dangling, "{}")
    assert not (outside / "not-there.json").exists() and dangling.read_text() == "{}"
    to_folder = root / "report.html"
    to_folder.symlink_to(outside)
    safefs.write_text(to_folder, "<html>")
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert to_folder.read_text() == "<html>"
    assert sorted(p.name for p in root.iterdir()) == [
        "mlci-results.json",
        "report.html",
        "report.md",
        "sub",
    ]  # no temporary file left behind


def test_write_to_a_directory_names_it(layout: tuple[Path, Path]) -> None:
    root, _ = layout
    (root / "report.md").mkdir()
    with pytest.raises(UsageError) as caught:
        safefs.write_text(root / "report.md", "x")
    assert str(caught.value) == (
        f"cannot write {root / 'report.md'}: it is a directory\n"
        "  hint: remove it or pass another file name"
    )


def test_work_tree_root_finds_the_git_folder_or_file(tmp_path: Path) -> None:
    (tmp_path / "a" / ".git").mkdir(parents=True)
    (tmp_path / "a" / "b" / "c").mkdir(parents=True)
    assert safefs.work_tree_root(tmp_path / "a" / "b" / "c") == (tmp_path / "a").resolve()
    (tmp_path / "w" / "x").mkdir(parents=True)
    (tmp_path / "w" / ".git").write_text("gitdir: elsewhere\n")  # a linked worktree
    assert safefs.work_tree_root(tmp_path / "w" / "x") == (tmp_path / "w").resolve()
