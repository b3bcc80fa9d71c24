"""mlci.dvc.internals: every private DVC API has a fallback that reads the same thing.

Real git + DVC repositories; each fallback is forced by patching the guard module's own
probe (never DVC), and what mlci reads through it (metrics, params, plots, at the base
revision from git and the DVC cache, and in the workspace) is compared with the fast path.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import Repo

from mlci.dvc import WORKSPACE, DvcRepo, Snapshot, combine_plots, internals
from mlci.results import Plots

PRIVATE_APIS = ("lock_repo", "skip_graph_checks", "cached_dvcfs", "plot_loaders", "plot_helpers")

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
    (curve,) = read.plots.curves
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


def test_without_dvcs_converter_plots_are_reported_not_drawn_and_the_rest_is_read(
    project: tuple[Repo, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, base = project
    fast = read_all(repo.root, base)
    without("vega_converter", monkeypatch)
    read = read_all(repo.root, base)
    assert read.metrics == fast.metrics and read.params == fast.params
    assert read.plots.curves == () and read.plots.confusions == ()
    assert read.plots.images == fast.plots.images  # images need no converter
    assert any("no VegaConverter" in error for error in read.plots.errors)
