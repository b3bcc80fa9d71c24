"""Review of the direct reader (mlci.dvc.direct), the flattening it shares with the DVC
path (mlci.dvc.snapshot), and the git layer without GitPython (mlci.git.repo).

The direct reader's promise: on every project it answers what DVC answers, or it
declines (:class:`Unsupported`) and DVC answers. A shape where it answers something
else breaks that promise.
"""

from __future__ import annotations

import contextlib
import os
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from conftest import Repo
from test_direct import direct, through_dvc

from mlci.dvc import WORKSPACE
from mlci.dvc.direct import GitSource, Unsupported, read_values
from mlci.dvc.snapshot import snapshot_of
from mlci.errors import GitError
from mlci.git.repo import Repository


def same_or_declined(root: Path, rev: str) -> Any:
    """DVC's answer; the direct reader must give the same or decline."""
    expected = through_dvc(root, rev)
    try:
        found = direct(root, rev)
    except Unsupported:
        return expected
    assert found == expected
    return expected


# --- (b) shapes where the direct reader answers, and answers otherwise than DVC ----------


def test_a_dvc_yaml_under_a_hg_folder_is_skipped_as_dvc_skips_it(repo: Repo) -> None:
    """DVC's walk ignores ``.hg/`` at every level (``DvcIgnoreFilter``'s defaults):
    a pull request's ``sub/.hg/dvc.yaml`` names no metrics for DVC."""
    sha = repo.commit(
        "hg", {"sub/.hg/dvc.yaml": "metrics:\n  - m.json\n", "sub/.hg/m.json": {"x": 1}}
    )
    same_or_declined(repo.root, sha)
    same_or_declined(repo.root, WORKSPACE)


@pytest.mark.parametrize(
    "dvc_yaml",
    [
        "stages:\n  s:\n    metrics:\n      - metrics.json\n",  # no cmd
        "stages:\n  s:\n    cmd: echo\n    outs: 5\n",  # outs not a list
        "stages:\n  s:\n    cmd: echo\n    frozen: maybe\n",  # not a boolean
        "stages:\n  s: {}\nmetrics:\n  - metrics.json\n",  # an empty stage
        "stages:\n  s:\n    cmd: echo\n    metrics:\n      - metrics.json:\n",  # null options
        "stages:\n  s:\n    cmd: echo\n    wdir:\n    metrics:\n      - metrics.json\n",
        "stages:\n  s:\n    cmd: echo\n    metrics:\n      - metrics.json:\n          cache: 1\n",
        "stages:\n  s:\n    cmd: 5\n    metrics:\n      - metrics.json\n",
        "plots:\n  - 5\nmetrics:\n  - metrics.json\n",
    ],
    ids=[
        *("no cmd", "outs not a list", "frozen not a boolean", "empty stage"),
        *("null output options", "null wdir", "cache not a boolean", "cmd a number"),
        "a plot that is a number",
    ],
)
def test_a_dvc_yaml_dvc_s_schema_rejects_is_not_read(repo: Repo, dvc_yaml: str) -> None:
    """DVC refuses the whole revision ("dvc.yaml validation failed"); the direct reader
    only checks the keys' names, and reads the metrics as if all were well."""
    sha = repo.commit("invalid", {"dvc.yaml": dvc_yaml})
    same_or_declined(repo.root, sha)
    same_or_declined(repo.root, WORKSPACE)


def test_a_dot_dvc_file_dvc_cannot_parse_is_not_read_past(repo: Repo) -> None:
    """DVC's index reads every .dvc file: a broken one fails the revision."""
    sha = repo.commit("broken .dvc", {"junk.dvc": "outs: [\n"})
    same_or_declined(repo.root, sha)
    same_or_declined(repo.root, WORKSPACE)


def test_a_file_name_that_is_not_utf8_is_not_taken_for_another(repo: Repo) -> None:
    """git names the file b'\\xff.json'; the reader decodes git's output with
    errors="replace", so dvc.yaml's U+FFFD.json (another name) finds its content."""
    (repo.root / os.fsdecode(b"\xff.json")).write_text('{"x": 1}')
    sha = repo.commit("odd name", {"dvc.yaml": "metrics:\n  - \ufffd.json\n"})
    same_or_declined(repo.root, sha)


def test_a_git_ignored_params_yaml_in_the_work_tree_is_read_as_dvc_reads_it(
    repo: Repo,
) -> None:
    """DVC adds params.yaml whenever it exists (git's ignore rules play no part: it is
    often a stage's output); the work-tree reader only sees files git does not ignore."""
    repo.commit("ignore params", {".gitignore": "/params.yaml\n", "dvc.yaml": "stages: {}\n"})
    repo.git("rm", "--cached", "--quiet", "params.yaml")
    repo.commit("untracked params")
    assert (repo.root / "params.yaml").is_file()
    same_or_declined(repo.root, WORKSPACE)


# --- (a) bounds in the flattening both readers share --------------------------------------


def peak_bytes(data: Any) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        snapshot = snapshot_of({"": {"data": {"p.yaml": {"data": data}}}}, "head")
        return snapshot, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_long_keys_are_refused_before_their_paths_are_built() -> None:
    """A 1 MB key above 200 short ones: 200 paths of 1 MB each (200 MB; 1,000 keys in
    a 2 MB params file would be a runner's memory). The budget counts a long key's
    path at n/100 values, so this is refused: it must be refused before it is built."""
    data = {"K" * 1_000_000: {f"k{i}": 1 for i in range(200)}}
    snapshot, peak = peak_bytes(data)
    assert snapshot.errors and "refused" in snapshot.errors[0].message
    assert peak < 20_000_000


def test_a_list_of_aliased_long_strings_is_cut_before_its_text_is_built() -> None:
    """``s: &s <1 MB>`` and ``l: [*s, *s, ...]``: a list of 200 references to one
    string. Its text is cut at 1,000 characters, but str() of the whole list is built
    first (200 MB here; 900 lists of 900 is 800 GB, within the value budget)."""
    big = "x" * 1_000_000
    snapshot, peak = peak_bytes({"l": [big] * 200})
    text = snapshot.values["p.yaml"]["l"] if "p.yaml" in snapshot.values else ""
    assert snapshot.errors or (isinstance(text, str) and len(text) <= 1000)
    assert peak < 20_000_000


# --- (c) the git layer without GitPython ----------------------------------------------------


def test_git_missing_is_not_reported_as_not_a_repository(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-git-here"))
    with pytest.raises(GitError) as raised:
        Repository(repo.root)
    assert "not a git repository" not in raised.value.message
    assert "git" in (raised.value.hint or "")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs to give the folder another owner")
def test_a_repository_git_refuses_to_open_says_why(repo: Repo) -> None:
    """A checkout owned by another user (a CI container's usual case): git refuses it
    ("dubious ownership", fix: safe.directory). GitPython opened it and git's words
    reached the user; now mlci says it is no git repository at all."""
    for folder, _, files in os.walk(repo.root):
        for name in [".", *files]:
            os.chown(Path(folder) / name, 12345, 12345, follow_symlinks=False)
    with pytest.raises(GitError) as raised:
        Repository(repo.root)
    assert "safe.directory" in str(raised.value) + (raised.value.hint or "")


def test_a_dvc_yaml_in_a_nested_git_repository_in_the_work_tree(repo: Repo) -> None:
    """git lists an untracked repository inside the work tree as one entry
    (``nested/``); DVC's walk enters it and reads its dvc.yaml."""
    nested = Repo(repo.root / "nested")
    nested.root.mkdir()
    nested.git("init", "--quiet")
    nested.commit("n", {"dvc.yaml": "metrics:\n  - m.json\n", "m.json": {"x": 1}})
    same_or_declined(repo.root, WORKSPACE)


def test_a_dvc_yaml_in_a_submodule_in_the_work_tree(repo: Repo, tmp_path: Path) -> None:
    """A submodule is one gitlink entry for git; DVC's walk of the work tree enters it."""
    other = Repo(tmp_path / "other")
    other.root.mkdir()
    other.git("init", "--quiet")
    other.commit("o", {"dvc.yaml": "metrics:\n  - m.json\n", "m.json": {"x": 1}})
    repo.git(
        "-c", "protocol.file.allow=always", "submodule", "add", "--quiet", str(other.root), "sub"
    )
    sha = repo.commit("submodule")
    same_or_declined(repo.root, sha)
    same_or_declined(repo.root, WORKSPACE)


def test_many_large_dot_dvc_files_are_not_all_held_at_once(repo: Repo) -> None:
    """Each file is under the size limit; together they are not. A pull request's
    commit of 2,000 copies of one 49 MB .dvc file is one small blob in git, and the
    reader would hold 2,000 decoded copies (98 GB). Here: 40 copies of 1 MB under a
    2 MB limit; what is held at once must stay near the limit, not grow with the count."""
    text = "# " + "x" * 1_000_000 + "\n"
    sha = repo.commit("many", {f"d{i}.dvc": text for i in range(40)})
    git = Repository(repo.root)
    tracemalloc.start()
    try:
        with contextlib.suppress(Unsupported):
            read_values(GitSource(git, repo.root, sha, 2_000_000), "head")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000


def test_a_cached_metrics_output_also_committed_to_git_reads_alike_both_ways(
    repo: Repo,
) -> None:
    """A stage's ``metrics:`` output is in DVC's cache (dvc.lock names its hash), and a
    pull request force-adds another m.json to git. DVC 3.67's own ``metrics.show``
    reads git's copy (x: 99, its DVCFileSystem opens the git file first), as the
    direct reader does; mlci's DVC path (``_CacheGuard``) reads the cached object
    (x: 2). The same ``DvcRepo.values`` call answers 99 or 2 depending on which
    reader it takes: mlci must pick one answer."""
    repo.commit(
        "cached metric",
        {
            "dvc.yaml": "stages:\n  e:\n    cmd: python make.py\n    metrics:\n      - m.json\n",
            "make.py": "open('m.json', 'w').write('{\"x\": 2}')\n",
        },
    )
    repo.dvc("repro", "--quiet")
    repo.commit("lock")
    (repo.root / "m.json").write_text('{"x": 99}')
    repo.git("add", "--force", "m.json")
    sha = repo.commit("git copy")
    (repo.root / "m.json").write_text('{"x": 2}')
    same_or_declined(repo.root, sha)


def test_a_config_whose_blob_git_lacks_is_an_error_not_an_empty_file(repo: Repo) -> None:
    """read_file reads the base's mlci.yaml (the policy). When git lists the file but
    has not its object (a partial clone whose fetch failed, a damaged repository),
    ``git cat-file --batch`` says "missing" and read_file answered "": the base's
    policy read as an empty file, every threshold gone. GitPython raised."""
    sha = repo.commit("config", {"mlci.yaml": "metrics:\n  accuracy:\n    min: 0.9\n"})
    blob = repo.git("rev-parse", f"{sha}:mlci.yaml")
    (repo.root / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    with pytest.raises(GitError):
        Repository(repo.root).read_file(sha, "mlci.yaml")


def test_a_params_key_dpath_refuses_is_not_a_crash(repo: Repo) -> None:
    """dpath raises InvalidGlob for ``a.**.**``: DVC records it as that file's error;
    the direct reader let it out of :meth:`DvcRepo.values`, a raw traceback."""
    sha = repo.commit(
        "glob",
        {
            "dvc.yaml": "stages:\n  s:\n    cmd: echo\n    params:\n      - p.yaml:\n"
            "          - train.**.**\n",
            "p.yaml": "train:\n  lr: 1\n",
        },
    )
    same_or_declined(repo.root, sha)


def nested_list_aliases(levels: int) -> str:
    """A list nested ``levels`` deep in as many short lines: each level an alias of
    the one before (no deep nesting for the YAML parser to refuse)."""
    lines = ["l0: &l0 [1]"]
    lines += [f"l{i}: &l{i} [*l{i - 1}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def test_a_list_nested_deeper_than_python_recurses_is_refused_not_a_crash(repo: Repo) -> None:
    """str() of a list 1,500 levels deep raises RecursionError: the flattening both
    readers share let it out of the direct reader as a raw traceback (params files
    are read whole). DVC itself fails the revision on it (its own recursion)."""
    sha = repo.commit("deep", {"params.yaml": nested_list_aliases(1500)})
    for rev in (sha, WORKSPACE):
        snapshot = direct(repo.root, rev)[1]
        assert snapshot[1] and "refused" in snapshot[1][0][2]
        assert through_dvc(repo.root, rev)[1][1]  # an error, not a crash


def test_the_head_branch_is_named_as_git_names_it_when_a_tag_shares_its_name(
    repo: Repo,
) -> None:
    """``git symbolic-ref --short`` says "heads/feature" when a tag is also called
    feature; GitPython's active_branch said "feature" (and `mlci init` writes it)."""
    repo.git("tag", "feature")
    assert Repository(repo.root).head().name == "feature"


@pytest.mark.parametrize(
    "lock",
    ["stages: [\n", "schema: '2.0'\nstages:\n  s:\n    cmd: 5\n"],
    ids=["not YAML", "cmd a number"],
)
def test_a_dvc_lock_dvc_refuses_is_not_read_past(repo: Repo, lock: str) -> None:
    """DVC reads the dvc.lock beside a dvc.yaml with stages and fails the revision on
    one it refuses; the direct reader never looked at dvc.lock."""
    dvc_yaml = "stages:\n  s:\n    cmd: echo\n    metrics:\n      - metrics.json:\n"
    sha = repo.commit("lock", {"dvc.yaml": dvc_yaml + "          cache: false\n", "dvc.lock": lock})
    same_or_declined(repo.root, sha)
    same_or_declined(repo.root, WORKSPACE)
