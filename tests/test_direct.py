"""Metrics and params read without DVC (mlci.dvc.direct) equal what DVC reads.

Each accepted shape is a real git + DVC repository; the direct reader's answer at a
commit and in the work tree is compared with DVC's own (``metrics.show`` /
``params.show`` through :meth:`DvcRepo.at`). Each shape it declines is shown declined,
and :meth:`DvcRepo.values` then still answers what DVC answers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import Repo
from test_costly_inputs import mapping_laughs

from mlci import safefs
from mlci.dvc import WORKSPACE, DvcRepo, Snapshot
from mlci.dvc.direct import GitSource, Unsupported, WorkTreeSource, read_values
from mlci.git.repo import Repository


def canon(pair: tuple[Snapshot, Snapshot]) -> Any:
    """Both snapshots as comparable data (NaN is not equal to itself: compare reprs)."""
    return [
        (
            {
                file: {key: repr(value) for key, value in values.items()}
                for file, values in s.values.items()
            },
            sorted((e.rev, e.file, e.message) for e in s.errors),
        )
        for s in pair
    ]


def through_dvc(root: Path, rev: str) -> Any:
    with DvcRepo(root) as project, project.at(rev, "head") as reader:
        return canon((reader.metrics(), reader.params()))


def direct(root: Path, rev: str) -> Any:
    git = Repository(root)
    if rev == WORKSPACE:
        source: Any = WorkTreeSource(
            git, root, safefs.work_tree_root(root), safefs.DEFAULT_MAX_BYTES
        )
    else:
        source = GitSource(git, root, rev, safefs.DEFAULT_MAX_BYTES)
    return canon(read_values(source, "head"))


def values(root: Path, rev: str) -> Any:
    with DvcRepo(root, git=Repository(root)) as project:
        return canon(project.values(rev, "head"))


def assert_same_as_dvc(root: Path, rev: str) -> Any:
    expected = through_dvc(root, rev)
    assert direct(root, rev) == expected
    assert values(root, rev) == expected
    return expected


STAGES = {
    "dvc.yaml": """\
        stages:
          train:
            cmd: python train.py
            wdir: src
            params:
              - train.lr
              - seed
              - config/model.yaml:
                  - model.depth
                  - model.missing
              - train.lr
            metrics:
              - ../eval/metrics.json:
                  cache: false
            outs:
              - model.pkl
          report:
            cmd: echo report
            deps:
              - src
            params:
              - config/whole.yaml:
              - report.*
            metrics:
              - eval/summary.yaml:
                  cache: false
        metrics:
          - eval/extra.json
          - ./eval/metrics.json
        params:
          - config/top.json
        plots:
          - eval/roc.csv
        """,
    "src/params.yaml": "train:\n  lr: 0.01\n  epochs: 5\nseed: 7\nunused: 1\n",
    "src/config/model.yaml": "model:\n  depth: 6\n  width: 128\n",
    "config/whole.yaml": "a: 1\nb:\n  c: [1, 2]\n",
    "config/top.json": {"top": {"x": 1, "y": "two"}},
    "params.yaml": "train:\n  lr: 0.1\nreport:\n  title: r\n  every: 3\n",
    "eval/metrics.json": {"accuracy": 0.91, "per_class": {"a": {"recall": 0.8}}, "n": 10},
    "eval/summary.yaml": "f1: 0.7\nlatency_ms: 12\n",
    "eval/extra.json": {"loss": float("nan"), "curve": [1, 2], "empty": {}, "ok": True},
    "eval/roc.csv": "fpr,tpr\n0,0\n1,1\n",
}

YAML_CORNERS = """\
    exp: 1e-3
    yes_word: yes
    octal: 0o17
    hex: 0x1F
    inf: .inf
    nan: .nan
    null_value: null
    listed: [1, 2]
    empty: {}
    date: 2026-11-30
    text: "0.5"
    big: 123456789012345678901234567890
    neg: -0.0
    nested:
      deeper:
        deepest: 1
"""

SHAPES: dict[str, dict[str, Any]] = {
    "stages, wdir, keys, custom params files, top-level lists": STAGES,
    "YAML 1.2 corners in metrics and params": {
        "dvc.yaml": "metrics:\n  - m.yaml\n  - plain\nparams:\n  - p.yml\n",
        "m.yaml": YAML_CORNERS,
        "plain": YAML_CORNERS,  # no suffix: DVC reads it as YAML
        "p.yml": YAML_CORNERS,
    },
    "JSON corners": {
        "dvc.yaml": "metrics:\n  - a.json\n  - b.json\n  - c.json\n",
        "a.json": '{"x": NaN, "y": Infinity, "z": -Infinity, "n": null, "deep": {"k": [1]}}',
        "b.json": "[1, 2, 3]",
        "c.json": '{"unicode": "\\u00e9t\\u00e9", "dup": 1, "dup": 2}',
    },
    "dvc.yaml files in sub-folders": {
        "models/a/dvc.yaml": """\
            stages:
              fit:
                cmd: echo
                params:
                  - ../../params.yaml:
                    - train.lr
                metrics:
                  - scores.json:
                      cache: false
            """,
        "models/a/scores.json": {"auc": 0.7},
        "models/b/dvc.yaml": "metrics:\n  - ../shared/m.json\n",
        "models/shared/m.json": {"rmse": 1.5},
    },
    "a params.yaml only": {"dvc.yaml": "stages: {}\n"},
    "an empty metrics file and an empty dvc.yaml": {
        "dvc.yaml": "metrics:\n  - empty.json\n  - empty.yaml\n",
        "empty.json": "{}",
        "empty.yaml": "",
        "sub/dvc.yaml": "",
    },
}


@pytest.mark.parametrize("files", list(SHAPES.values()), ids=list(SHAPES))
def test_the_direct_reader_reads_what_dvc_reads(repo: Repo, files: dict[str, Any]) -> None:
    sha = repo.commit("shape", files)
    at_commit = assert_same_as_dvc(repo.root, sha)
    assert at_commit[0][0] or at_commit[1][0]  # it read something
    assert assert_same_as_dvc(repo.root, WORKSPACE) == at_commit


def test_the_work_tree_is_read_as_dvc_walks_it(repo: Repo) -> None:
    """Uncommitted edits, a new dvc.yaml git does not ignore (DVC reads it) and one git
    ignores (DVC skips it), a tracked dvc.yaml deleted from the work tree."""
    repo.commit("more", {"old/dvc.yaml": "metrics:\n  - m.json\n", "old/m.json": {"x": 1}})
    repo.gen(
        {
            "metrics.json": {"accuracy": 0.95, "loss": 0.2},
            "new/dvc.yaml": "metrics:\n  - m.json\n",
            "new/m.json": {"recall": 0.5},
            "ignored/dvc.yaml": "metrics:\n  - m.json\n",
            "ignored/m.json": {"recall": 0.1},
            ".gitignore": "/report.md\n/ignored/\n",
        }
    )
    (repo.root / "old" / "dvc.yaml").unlink()
    found = assert_same_as_dvc(repo.root, WORKSPACE)
    assert set(found[0][0]) == {"metrics.json", "new/m.json"}


def test_a_dvc_project_in_a_sub_folder(tmp_path: Path) -> None:
    root = tmp_path / "mono"
    project = root / "ml"
    project.mkdir(parents=True)
    repo = Repo(root)
    repo.git("init", "--quiet", "--initial-branch=main")
    subprocess.run(
        [sys.executable, "-m", "dvc", "init", "--subdir", "--quiet"], cwd=project, check=True
    )
    sha = repo.commit(
        "ml project",
        {
            "ml/dvc.yaml": "metrics:\n  - m.json\n",
            "ml/m.json": {"accuracy": 0.5},
            "ml/params.yaml": "lr: 0.1\n",
            "dvc.yaml": "metrics:\n  - outside.json\n",  # not this project's
            "outside.json": {"x": 1},
        },
    )
    found = assert_same_as_dvc(project, sha)
    assert set(found[0][0]) == {"m.json"}
    assert assert_same_as_dvc(project, WORKSPACE) == found


DECLINED: dict[str, tuple[dict[str, Any], str]] = {
    "templating": (
        {"dvc.yaml": "vars:\n  - params.yaml\nmetrics:\n  - ${train.file}\n"},
        "templating",
    ),
    "foreach": (
        {"dvc.yaml": "stages:\n  s:\n    foreach: [a, b]\n    do:\n      cmd: echo\n"},
        "not a plain stage",
    ),
    "a key DVC's schema does not know": ({"dvc.yaml": "stages: {}\nextra: 1\n"}, "schema"),
    "a .dvcignore rule": ({".dvcignore": "# comment\nmetrics.json\n"}, "ignore rules"),
    "a TOML metrics file": (
        {"dvc.yaml": "metrics:\n  - m.toml\n", "m.toml": "x = 1\n"},
        ".toml files",
    ),
    "a metrics file that is not there": (
        {"dvc.yaml": "metrics:\n  - nowhere.json\n"},
        "nowhere.json is not here",
    ),
    "a folder of metrics": (
        {"dvc.yaml": "metrics:\n  - scores\n", "scores/a.json": {"x": 1}},
        "scores is a folder",
    ),
    "a .dvc file that declares a metric": (
        {"old.dvc": "outs:\n- path: old.json\n  metric: true\n", "old.json": {"x": 1}},
        "old.dvc may declare metrics",
    ),
    "a nested DVC project": (
        {"sub/.dvc/config": "", "sub/dvc.yaml": "metrics:\n  - m.json\n"},
        "nested DVC project",
    ),
    "a params file that is not UTF-8": ({"params.yaml": b"lr: \xff\n"}, "not UTF-8"),
    "a dvc.yaml that is not YAML": ({"dvc.yaml": "metrics: [\n"}, "not valid YAML"),
    "a params key through a list": (
        {"dvc.yaml": "stages:\n  s:\n    cmd: echo\n    params:\n      - 3\n"},
        "DVC's schema",
    ),
}


@pytest.mark.parametrize(("files", "reason"), list(DECLINED.values()), ids=list(DECLINED))
def test_shapes_it_cannot_answer_exactly_go_through_dvc(
    repo: Repo, files: dict[str, Any], reason: str
) -> None:
    for name, content in files.items():
        if isinstance(content, bytes):
            (repo.root / name).write_bytes(content)
    sha = repo.commit("declined", {k: v for k, v in files.items() if not isinstance(v, bytes)})
    for rev in (sha, WORKSPACE):
        with pytest.raises(Unsupported, match=reason):
            direct(repo.root, rev)
        assert values(repo.root, rev) == through_dvc(repo.root, rev)


def test_a_metrics_output_in_dvc_s_cache_is_read_through_dvc_at_a_commit(repo: Repo) -> None:
    """A cached ``metrics:`` output is not in git: at a commit only DVC (its cache, its
    remote) has it, so the direct reader declines; in the work tree it is a file."""
    repo.commit(
        "cached metric",
        {
            "dvc.yaml": "stages:\n  e:\n    cmd: python make.py\n    metrics:\n      - m.json\n",
            "make.py": "open('m.json', 'w').write('{\"x\": 2}')\n",
        },
    )
    repo.dvc("repro", "--quiet")
    sha = repo.commit("lock")
    with pytest.raises(Unsupported, match="DVC's cache"):
        direct(repo.root, sha)
    assert values(repo.root, sha) == through_dvc(repo.root, sha)
    assert "m.json" in assert_same_as_dvc(repo.root, WORKSPACE)[0][0]


def test_a_symlinked_metrics_file_is_left_to_the_guarded_dvc_path(repo: Repo) -> None:
    secret = repo.root.parent / "secret.json"
    secret.write_text('{"token": 1}')
    (repo.root / "metrics.json").unlink()
    (repo.root / "metrics.json").symlink_to(secret)
    sha = repo.commit("link")
    for rev in (sha, WORKSPACE):
        with pytest.raises(Unsupported):
            direct(repo.root, rev)
        read = values(repo.root, rev)
        assert "token" not in str(read)


@pytest.mark.parametrize(
    ("dvc_yaml", "name", "which"),
    [
        # DVC's own walk of such metrics would not end: refused, as the flattening does.
        ("metrics:\n  - m.yaml\n", "m.yaml", 0),
        # dpath walks the whole document once per key: refused before it.
        (
            "stages:\n  s:\n    cmd: echo\n    params:\n      - lol12.k0\n      - lol9.*\n",
            "params.yaml",
            1,
        ),
    ],
    ids=["metrics", "params by keys"],
)
def test_an_alias_bomb_is_refused_quickly_naming_the_file(
    repo: Repo, dvc_yaml: str, name: str, which: int
) -> None:
    sha = repo.commit("bomb", {"dvc.yaml": dvc_yaml, name: mapping_laughs(12)})
    started = time.monotonic()
    found = direct(repo.root, sha)[which]
    assert time.monotonic() - started < 10
    assert found[1] == [("head", name, "refused: more than 1,000,000 values (a YAML alias bomb?)")]


def test_keys_repeated_through_aliases_in_dvc_yaml_are_read_once(repo: Repo) -> None:
    """A few lines of dvc.yaml naming 100 keys 10,000 times: each key is searched once."""
    keys = ", ".join(f"train.k{i}" for i in range(100))
    entries = "\n".join("      - {params.yaml: *keys}" for _ in range(10_000))
    dvc_yaml = (
        "stages:\n  s:\n    cmd: echo\n    params:\n"
        f"      - {{params.yaml: &keys [{keys}]}}\n{entries}\n"
    )
    params = "train:\n" + "".join(f"  k{i}: {i}\n" for i in range(100))
    sha = repo.commit("keys", {"dvc.yaml": dvc_yaml, "params.yaml": params})
    started = time.monotonic()
    found = direct(repo.root, sha)[1]
    assert time.monotonic() - started < 10
    assert len(found[0]["params.yaml"]) == 100


def test_mlci_diff_on_a_plain_project_does_not_import_dvc(repo: Repo) -> None:
    sha = repo.commit("head", {"metrics.json": {"accuracy": 0.95}})
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mlci", "diff", "--base", "main", "--head", sha],
        cwd=repo.root,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    assert "accuracy" in done.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    assert "dvc" not in imported and "dvc.repo" not in imported
    assert "mlci.dvc.direct" in imported


def test_mlci_read_through_dvc_turns_the_direct_reader_off(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    sha = repo.commit("head", {"metrics.json": {"accuracy": 0.95}})
    monkeypatch.setenv("MLCI_READ_THROUGH_DVC", "1")
    with DvcRepo(repo.root, git=Repository(repo.root)) as project:
        project.values(sha, "head")
        assert project._repo is not None  # DVC was opened to read
    monkeypatch.delenv("MLCI_READ_THROUGH_DVC")
    with DvcRepo(repo.root, git=Repository(repo.root)) as project:
        project.values(sha, "head")
        assert project._repo is None
