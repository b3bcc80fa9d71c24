"""Data checks and drift through `mlci check` on small real git + DVC repositories."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import Repo

CONFIG = """\
data:
  - path: data/people.csv
    unique: [id]
    columns:
      age: {type: int, min: 0, max: 120, nulls: 0}
      country: {allowed: [fr, de, us]}
    drift:
      columns: [age, country]
"""


def people(n: int, shift: int = 0, bad: bool = False) -> str:
    rows = ["id,age,country"]
    for i in range(n):
        age = 20 + (i * 7) % 50 + shift
        rows.append(f"{i},{age},{['fr', 'de', 'us'][i % 3]}")
    if bad:
        rows += ["5,-3,xx", "6,,fr"]
    return "\n".join(rows) + "\n"


def results(repo: Repo) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((repo.root / "mlci-results.json").read_text())
    return found


def test_bad_data_fails_with_counts_and_examples(repo: Repo) -> None:
    repo.commit("data", {"mlci.yaml": CONFIG, "data/people.csv": people(300)})
    repo.gen({"data/people.csv": people(300, bad=True)})
    result = repo.mlci("check")
    assert result.exit_code == 1, result.output
    [dataset] = results(repo)["data"]
    failed = {(c["column"], c["check"]): c for c in dataset["checks"] if c["outcome"] == "fail"}
    assert set(failed) == {
        ("age", "min"),
        ("age", "nulls"),
        ("country", "allowed"),
        ("id", "unique"),
    }
    assert failed[("age", "min")]["examples"] == ["-3"]
    assert failed[("country", "allowed")]["failed_rows"] == 1
    report = (repo.root / "report.md").read_text()
    assert "**❌ data/people.csv**: 4 of" in report
    assert "FAIL age min:" in result.output


def test_drift_on_a_changed_dataset_and_unchanged_is_skipped(repo: Repo) -> None:
    new = repo.mlci("check")  # nothing declared yet
    repo.commit("data", {"mlci.yaml": CONFIG, "data/people.csv": people(600)})
    new = repo.mlci("check")
    assert results(repo)["data"][0]["drift_skipped"] == (
        "no files at base: nothing to compare (a new dataset)"
    )
    assert new.exit_code == 0
    repo.git("checkout", "--quiet", "main")
    repo.commit("data on main", {"mlci.yaml": CONFIG, "data/people.csv": people(600)})
    repo.git("checkout", "--quiet", "-B", "feature")
    unchanged = repo.mlci("check")
    assert unchanged.exit_code == 0, unchanged.output
    [dataset] = results(repo)["data"]
    assert dataset["drift_skipped"] == "unchanged: the same content at base and head"
    repo.gen({"data/people.csv": people(600, shift=40)})
    drifted = repo.mlci("check")
    [dataset] = results(repo)["data"]
    drift = dataset["drift"]
    by_column = {c["column"]: c for c in drift["columns"]}
    assert by_column["age"]["outcome"] == "fail"
    assert by_column["country"]["outcome"] == "pass"
    assert drift["drifted_share"] == pytest.approx(0.5)
    assert drift["outcome"] == "fail"  # 1 of 2 columns is the default share of 50%
    assert drifted.exit_code == 1


def test_dvc_tracked_dataset_at_base_is_read_through_dvc(repo: Repo, tmp_path: Path) -> None:
    storage = tmp_path / "storage"
    repo.git("checkout", "--quiet", "main")
    repo.dvc("remote", "add", "-d", "storage", str(storage))
    repo.gen({"data/people.csv": people(600), "mlci.yaml": CONFIG})
    repo.dvc("add", "data/people.csv")
    repo.commit("track the data with DVC")
    repo.dvc("push")
    repo.git("checkout", "--quiet", "-B", "feature")
    repo.gen({"data/people.csv": people(600, shift=40)})
    repo.dvc("add", "data/people.csv")
    repo.commit("new export")
    # the base version is only in the cache and the remote, never in the workspace
    result = repo.mlci("check")
    assert result.exit_code == 1, result.output
    [dataset] = results(repo)["data"]
    assert dataset["drift"]["columns"][0]["column"] == "age"
    assert dataset["drift"]["columns"][0]["outcome"] == "fail"


@pytest.mark.parametrize("tracker", ["git", "dvc"])
def test_a_same_sized_change_is_compared_and_the_same_bytes_are_not(
    repo: Repo, tracker: str
) -> None:
    # The base's copy is compared by size before any hashing, and a DVC-tracked file's
    # md5 comes from DVC: neither shortcut may take a changed file for an unchanged one.
    repo.git("checkout", "--quiet", "main")
    repo.gen({"data/people.csv": people(600), "mlci.yaml": CONFIG})
    if tracker == "dvc":
        repo.dvc("add", "data/people.csv")
    repo.commit("the data")
    repo.git("checkout", "--quiet", "-B", "feature")
    shifted = people(600, shift=10)  # ages 30-79 instead of 20-69: the same byte count
    assert len(shifted) == len(people(600))
    repo.gen({"data/people.csv": shifted})
    if tracker == "dvc":
        repo.dvc("add", "data/people.csv")
    repo.commit("shifted ages")
    repo.mlci("check")
    [dataset] = results(repo)["data"]
    assert dataset["drift_skipped"] is None
    by_column = {c["column"]: c for c in dataset["drift"]["columns"]}
    assert by_column["age"]["outcome"] == "fail"

    repo.gen({"data/people.csv": people(600)})  # back to the base's bytes
    if tracker == "dvc":
        repo.dvc("add", "data/people.csv")
    repo.commit("the base's data again")
    repo.mlci("check")
    [dataset] = results(repo)["data"]
    assert dataset["drift_skipped"] == "unchanged: the same content at base and head"


def test_missing_dataset_and_warn_severity(repo: Repo) -> None:
    repo.commit("data", {"mlci.yaml": "data:\n  - path: data/nowhere/*.csv\n    severity: warn\n"})
    result = repo.mlci("check")
    assert result.exit_code == 0, result.output
    [dataset] = results(repo)["data"]
    assert dataset["outcome"] == "warn"
    [check] = dataset["checks"]
    assert (check["check"], check["outcome"]) == ("exists", "fail")


def test_invalid_data_config(repo: Repo) -> None:
    repo.gen({"mlci.yaml": "data:\n  - path: x.csv\n    columns:\n      age: {mni: 0}\n"})
    result = repo.mlci("check")
    assert result.exit_code == 2
    assert result.output == (
        "mlci: error: mlci.yaml:4: data[0].columns.age.mni: unknown key 'mni'\n"
        "  hint: did you mean 'min'?\n"
    )


@pytest.mark.parametrize(
    "pattern",
    [
        "data",  # a folder: its data files, hidden ones and other formats skipped
        "data/",
        "data/*",  # a glob: files only, never the folders it matches
        "data/*.csv",
        "data/**/*.csv",
        "dat?/sub/[bc].*",
        "data/a.csv",  # a file names itself
        "data/notes.txt",  # whatever its extension
        "data/missing.csv",
        "/data/a.csv",  # refused at both: an absolute path
    ],
)
def test_a_dataset_path_names_the_same_files_at_base_and_in_the_workspace(
    repo: Repo, pattern: str
) -> None:
    """One rule for what a dataset's path names: the workspace's files (the head) and
    the base revision's, read through DVC, agree — git- and DVC-tracked alike."""
    from mlci import dvc
    from mlci.checks.files import find_data_files

    repo.commit(
        "data",
        {
            "data/a.csv": "x\n1\n",
            "data/.hidden.csv": "x\n2\n",
            "data/notes.txt": "not data\n",
            "data/sub/b.csv": "x\n3\n",
            "data/sub/c.jsonl": '{"x": 4}\n',
        },
    )
    (repo.root / "data" / "big.csv").write_text("x\n5\n")
    repo.dvc("add", "--quiet", "data/big.csv")
    sha = repo.commit("a DVC-tracked file", {})
    head, refused = find_data_files(repo.root, pattern)
    with dvc.DvcRepo(repo.root) as project, project.at(sha, "base") as base:
        at_base = [file.path for file in base.files(pattern)]
    assert [path.relative_to(repo.root).as_posix() for path in head] == at_base
    assert bool(refused) == pattern.startswith("/")
    if pattern in ("data", "data/*"):
        assert "data/big.csv" in at_base and "data/a.csv" in at_base
