"""mlci.dvc.internals: every private DVC API has a fallback that reads the same thing.

Real git + DVC repositories; each fallback is forced by patching the guard module's own
probe (never DVC), and what mlci reads through it (metrics, params, plots, at the base
revision from git and the DVC cache, and in the workspace) is compared with the fast path.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import Repo

from mlci.dvc import WORKSPACE, DvcRepo, Snapshot, combine_plots, internals
from mlci.results import Plots

PRIVATE_APIS = (
    "lock_repo",
    "skip_graph_checks",
    "cached_dvcfs",
    "plot_loaders",
    "plot_helpers",
    "vega_converter",
)

# A 1x1 PNG: an image plot.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)

DVC_YAML = """\
stages:
  evaluate:
    cmd: python evaluate.py
    deps:
      - evaluate.py
    params:
      - train.lr
    metrics:
      - eval/scores.json
    plots:
      - eval/loss.csv:
          x: step
          y: loss
metrics:
  - metrics.json
params:
  - params.yaml
plots:
  - confusion:
      template: confusion
      x: actual
      y:
        eval/classes.json: predicted
  - eval/sample.png
  - eval/history.json
  - train_and_test:
      x: epoch
      y:
        eval/history.json: [train, test]
  - loss_against_history:
      x:
        eval/history.json: epoch
      y:
        eval/loss.csv: loss
"""

EVALUATE = """\
import json, pathlib, yaml
lr = yaml.safe_load(open("params.yaml"))["train"]["lr"]
out = pathlib.Path("eval")
out.mkdir(exist_ok=True)
(out / "scores.json").write_text(json.dumps({"auc": round(1 - lr, 3)}))
(out / "loss.csv").write_text("step,loss\\n" + "".join(f"{i},{lr / (i + 1)}\\n" for i in range(4)))
"""


@dataclass(frozen=True)
class Read:
    """All mlci reads of a project: base and workspace metrics and params, paired plots."""

    metrics: tuple[Snapshot, Snapshot]
    params: tuple[Snapshot, Snapshot]
    plots: Plots


def read_all(root: Path, base: str) -> Read:
    with DvcRepo(root) as dvc_repo:
        with dvc_repo.at(base, "base") as rev:
            base_metrics, base_params = rev.metrics(), rev.params()
        with dvc_repo.at(WORKSPACE, "head") as rev:
            head_metrics, head_params = rev.metrics(), rev.params()
        plots = combine_plots(dvc_repo.plots(base), dvc_repo.plots(WORKSPACE))
    return Read((base_metrics, head_metrics), (base_params, head_params), plots)


def classes(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"actual": actual, "predicted": predicted} for actual, predicted in pairs]


def history(train: list[float], test: list[float]) -> list[dict[str, float]]:
    return [
        {"epoch": epoch + 1, "train": a, "test": b}
        for epoch, (a, b) in enumerate(zip(train, test, strict=True))
    ]


@pytest.fixture
def project(repo: Repo) -> tuple[Repo, str]:
    """A project whose base (main) and workspace differ in every kind of value mlci
    reads: git-tracked metrics and params, a DVC-cached stage metric and curve, a
    confusion matrix and an image; returns it with the base commit."""
    repo.git("checkout", "--quiet", "main")
    repo.gen(
        {
            "dvc.yaml": DVC_YAML,
            "evaluate.py": EVALUATE,
            "eval/classes.json": classes([("a", "a"), ("b", "a"), ("b", "b")]),
            "eval/history.json": history([0.9, 0.6, 0.5, 0.45], [1.0, 0.8, 0.7, 0.72]),
        }
    )
    (repo.root / "eval" / "sample.png").write_bytes(PIXEL)
    repo.dvc("repro", "--quiet")
    base = repo.commit("base with a stage and plots")
    repo.git("checkout", "--quiet", "-b", "change")
    repo.gen(
        {
            "params.yaml": "train:\n  lr: 0.2\n  epochs: 12\n",
            "metrics.json": {"accuracy": 0.85, "loss": 0.4, "per_class": {"a": {"recall": 0.7}}},
            "eval/classes.json": classes([("a", "a"), ("b", "b"), ("b", "b"), ("a", "b")]),
            "eval/history.json": history([0.8, 0.5, 0.4, 0.3], [0.9, 0.7, 0.6, 0.6]),
        }
    )
    repo.dvc("repro", "--quiet")
    return repo, base


def without(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make mlci.dvc.internals believe DVC lacks the private API ``name``."""
    real = internals.probe
    monkeypatch.setattr(internals, "probe", lambda wanted: wanted != name and real(wanted))


def test_the_installed_dvc_has_every_private_api_so_the_fast_path_is_tested() -> None:
    # Otherwise the comparisons below would compare the fallback with itself.
    missing = [name for name in PRIVATE_APIS if not internals.probe(name)]
    assert missing == []


def test_the_project_reads_values_at_both_revisions(project: tuple[Repo, str]) -> None:
    repo, base = project
    read = read_all(repo.root, base)
    base_metrics, head_metrics = read.metrics
    assert base_metrics.values["eval/scores.json"] == {"auc": 0.9}
    assert head_metrics.values["eval/scores.json"] == {"auc": 0.8}
    assert head_metrics.values["metrics.json"]["accuracy"] == 0.85
    assert read.params[0].values["params.yaml"]["train.lr"] == 0.1
    assert read.params[1].values["params.yaml"]["train.lr"] == 0.2
    assert not read.metrics[0].errors and not read.metrics[1].errors
    assert not read.plots.errors, read.plots.errors
    curves = {curve.id: curve for curve in read.plots.curves}
    # DVC's inference: no x is the row index (step), no y the file's last field; two
    # y fields are two curves; an x from another file is joined row by row.
    assert set(curves) == {
        "eval/loss.csv",
        "eval/history.json",
        "train_and_test (eval/history.json: train)",
        "train_and_test (eval/history.json: test)",
        "loss_against_history",
    }, set(curves)
    assert (curves["eval/history.json"].x, curves["eval/history.json"].y) == ("step", "test")
    assert curves["loss_against_history"].x == "epoch"
    for curve in curves.values():
        assert curve.base is not None and curve.head is not None and curve.base != curve.head
    (confusion,) = read.plots.confusions
    assert confusion.base != confusion.head
    (image,) = read.plots.images
    assert image.in_base and image.in_head


@pytest.mark.parametrize("name", PRIVATE_APIS)
def test_each_fallback_reads_what_the_fast_path_reads(
    project: tuple[Repo, str],
    name: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    repo, base = project
    fast = read_all(repo.root, base)
    without(name, monkeypatch)
    with caplog.at_level(logging.DEBUG):
        fallback = read_all(repo.root, base)
    assert fallback == fast
    # The fallback is silent: nothing at warning level or above, from mlci or DVC.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


@pytest.mark.parametrize("name", ["cached_dvcfs", "plot_loaders"])
def test_a_guard_fallback_still_refuses_a_file_outside_the_repository(
    project: tuple[Repo, str], name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    repo, base = project
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "metrics.json").write_text('{"accuracy": 1.0, "secret": 42}')
    (outside / "classes.json").write_text('[{"actual": "x", "predicted": "y"}]')
    for name_in_repo, target in (
        ("metrics.json", "metrics.json"),
        ("eval/classes.json", "classes.json"),
    ):
        (repo.root / name_in_repo).unlink()
        (repo.root / name_in_repo).symlink_to(outside / target)
    fast = read_all(repo.root, base)
    without(name, monkeypatch)
    fallback = read_all(repo.root, base)

    for read in (fast, fallback):
        assert "metrics.json" not in read.metrics[1].values
        assert [error.file for error in read.metrics[1].errors] == ["metrics.json"]
        assert any(e.startswith("eval/classes.json at head") for e in read.plots.errors)
    assert fallback.metrics == fast.metrics  # the same refusal, in the same words
    assert fallback.plots.errors == fast.plots.errors


ROWS = [{"step": 0, "loss": 0.5, "acc": 0.7}, {"step": 1, "loss": 0.4, "acc": 0.8}]
OTHER = [{"epoch": 1, "loss": 0.6}, {"epoch": 2, "loss": 0.3}]
SHORT = [{"epoch": 1, "loss": 0.6}]


@pytest.mark.parametrize(
    ("data", "props"),
    [
        ({"a.json": ROWS}, {}),  # x: the row index; y: the last field
        ({"a.json": {"train": ROWS}}, {"x": "step", "y": "loss"}),  # rows under a key
        ({"a.json": ROWS}, {"y": ["loss", "acc"], "title": "t"}),  # a list of y fields
        (
            {"a.json": ROWS, "b.json": OTHER},
            {"x": "step", "y": {"a.json": "loss", "b.json": "loss"}},
        ),
        ({"a.json": ROWS, "b.json": OTHER}, {"y": {"a.json": ["loss", "acc"]}, "x": "step"}),
        ({"a.json": ROWS, "b.json": OTHER}, {"x": {"b.json": "epoch"}, "y": {"a.json": "acc"}}),
        (
            {"d/a.json": ROWS, "d/b.json": OTHER},
            {
                "x": {"d/a.json": "step", "d/b.json": "epoch"},
                "y": {"d/a.json": "acc", "d/b.json": "loss"},
            },
        ),
        ({"a.json": ROWS}, {"x": "nope", "y": "loss"}),  # a field the data lacks
        ({"a.json": ROWS, "s.json": SHORT}, {"x": {"s.json": "epoch"}, "y": {"a.json": "acc"}}),
        ({"a.json": "not rows"}, {"y": "loss"}),
        ({"a.json": []}, {}),
        ({"a.json": []}, {"y": "loss"}),
        ({"a.json": [{}]}, {}),
        ({"a.json": [1, 2]}, {"y": "x"}),
        ({"a.json": {"x": 3}}, {}),
    ],
)
def test_the_written_out_converter_matches_dvcs(
    data: dict[str, object], props: dict[str, object]
) -> None:
    from dvc.exceptions import DvcException
    from dvc.render.converter.vega import VegaConverter

    from mlci.dvc.vega import ConversionError, flat_datapoints

    plot_id = next(iter(data))

    def outcome(convert: Callable[[], object]) -> object:
        try:
            return convert()
        except DvcException as exc:  # DVC's message: the plot's error in the report
            return ("error", str(exc))
        except (ValueError, AttributeError, TypeError):
            # DVC crashes on a file without rows of objects, in words that change
            # between its versions; the written-out converter fails too, in its own.
            return ("error", "no rows")

    theirs = outcome(lambda: VegaConverter(plot_id, data, props).flat_datapoints("HEAD"))
    try:
        ours: object = flat_datapoints(plot_id, data, props, "HEAD")
    except ConversionError as exc:
        designed = isinstance(theirs, tuple) and theirs[1] != "no rows"
        ours = ("error", str(exc) if designed else "no rows")
    assert ours == theirs


@pytest.mark.parametrize("name", ["cached_dvcfs", "plot_loaders"])
def test_a_guard_fallback_still_refuses_a_base_cache_object_planted_as_a_symlink(
    project: tuple[Repo, str], name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The DVC cache lies in the work tree: a pull request can put a symlink there named
    # like the base's object of a cached metric or plot file.
    repo, base = project
    secret = tmp_path / "secret.json"
    secret.write_text('{"auc": 42}')
    lock = yaml.safe_load(repo.git("show", f"{base}:dvc.lock"))
    for out in lock["stages"]["evaluate"]["outs"]:
        md5 = out["md5"]
        obj = repo.root / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]
        obj.chmod(0o644)
        obj.unlink()
        obj.symlink_to(secret)
    fast = read_all(repo.root, base)
    without(name, monkeypatch)
    fallback = read_all(repo.root, base)
    for read in (fast, fallback):
        assert "eval/scores.json" not in read.metrics[0].values
        assert [error.file for error in read.metrics[0].errors] == ["eval/scores.json"]
        assert any(e.startswith("eval/loss.csv at base") for e in read.plots.errors)
        assert "42" not in repr(read.plots.curves)
    assert fallback.metrics == fast.metrics
    assert fallback.plots.errors == fast.plots.errors
