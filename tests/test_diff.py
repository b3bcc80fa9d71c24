"""`mlci diff` against DVC's own `dvc metrics diff` / `dvc params diff` on the same revisions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import Repo


def dvc_json(repo: Repo, kind: str, *revs: str) -> dict[str, Any]:
    out = repo.dvc(kind, "diff", *revs, "--all", "--json").stdout
    found: dict[str, Any] = json.loads(out or "{}")
    return found


def as_dvc_shape(changes: list[dict[str, Any]]) -> dict[str, Any]:
    shaped: dict[str, Any] = {}
    for change in changes:
        entry = {"old": change["base"], "new": change["head"]}
        if change["change"] is not None:
            entry["diff"] = change["change"]
        shaped.setdefault(change["file"], {})[change["key"]] = entry
    return shaped


def without_float_noise(shaped: dict[str, Any]) -> dict[str, Any]:
    """DVC's diffs carry subtraction noise (0.91 - 0.9 = 0.010000000000000009); mlci's are
    rounded to the inputs' precision. Equal within 1e-12 is equal."""
    return {
        file: {
            key: {**entry, "diff": pytest.approx(entry["diff"], rel=1e-12, abs=1e-12)}
            if isinstance(entry.get("diff"), float)
            else entry
            for key, entry in entries.items()
        }
        for file, entries in shaped.items()
    }


@pytest.fixture
def history(repo: Repo) -> dict[str, str]:
    """Several revisions touching metrics (incl. nested, new, removed, strings) and params."""
    revs = {"main": repo.git("rev-parse", "main")}
    revs["second"] = repo.commit(
        "second",
        {
            "metrics.json": {
                "accuracy": 0.91,
                "loss": 0.25,
                "per_class": {"a": {"recall": 0.7}},
                "model": "rf",
                "n_trees": 100,
            },
            "params.yaml": "train:\n  lr: 0.05\n  epochs: 10\n  layers: [64, 32]\n",
        },
    )
    revs["third"] = repo.commit(
        "third",
        {
            "metrics.json": {
                "accuracy": 0.875,
                "per_class": {"a": {"recall": 0.7}, "b": {"recall": 0.6}},
                "model": "gbm",
                "n_trees": 250,
            },
            "params.yaml": "train:\n  lr: 0.05\n  epochs: 12\n  layers: [64, 64]\n"
            "  optimizer: adam\n",
        },
    )
    repo.gen({"metrics.json": {"accuracy": 0.9, "n_trees": 10}})  # uncommitted workspace
    return revs


@pytest.mark.parametrize(
    ("base", "head"), [("main", "second"), ("main", "third"), ("second", "third"), ("third", None)]
)
def test_values_equal_dvc_diff(
    repo: Repo, history: dict[str, str], base: str, head: str | None
) -> None:
    args = ["diff", "--base", history[base], "--format", "json"]
    dvc_revs = [history[base]]
    if head:
        args += ["--head", history[head]]
        dvc_revs.append(history[head])
    result = repo.mlci(*args)
    assert result.exit_code == 0, result.output
    ours = json.loads(result.output)
    assert as_dvc_shape(ours["metrics"]) == without_float_noise(
        dvc_json(repo, "metrics", *dvc_revs)
    )
    assert as_dvc_shape(ours["params"]) == without_float_noise(dvc_json(repo, "params", *dvc_revs))
    noisy = [m["change"] for m in ours["metrics"] if isinstance(m["change"], float)]
    assert all(len(repr(value)) <= 8 for value in noisy), noisy  # -0.025, not -0.0250000…2


def test_relative_change_and_statuses(repo: Repo, history: dict[str, str]) -> None:
    result = repo.mlci(
        "diff", "--base", history["main"], "--head", history["third"], "--format", "json"
    )
    by_key = {c["key"]: c for c in json.loads(result.output)["metrics"]}
    assert by_key["accuracy"]["change_pct"] == pytest.approx((0.875 - 0.9) / 0.9 * 100)
    assert by_key["loss"]["status"] == "removed"
    assert by_key["per_class.b.recall"]["status"] == "new"
    assert by_key["model"]["status"] == "new"


def test_table_and_markdown_formats(repo: Repo, history: dict[str, str]) -> None:
    table = repo.mlci("diff", "--base", "main", "--head", history["second"])
    assert table.exit_code == 0
    assert "accuracy" in table.output and "▲ +0.01 (+1.11%) better" in table.output
    md = repo.mlci("diff", "--base", "main", "--head", history["second"], "--format", "md")
    assert md.output.startswith(f"### Metrics: main (`{history['main'][:7]}`) → ")
    assert "| metrics.json | accuracy | 0.9 | 0.91 | ▲ +0.01 (+1.11%) better |" in md.output
    # A loss that fell is better; a param has no arrow and no judgement: it is a choice.
    assert "| metrics.json | loss | 0.3 | 0.25 | ▼ -0.05 (-16.67%) better |" in md.output
    assert "| params.yaml | train.lr | 0.1 | 0.05 | -0.05 |" in md.output
    assert "loss" in table.output and "▼ -0.05 (-16.67%) better" in table.output


def test_default_base_is_the_merge_base_with_main(repo: Repo, history: dict[str, str]) -> None:
    result = repo.mlci("diff", "--format", "json")
    data = json.loads(result.output)
    assert data["base"]["sha"] == history["main"]
    assert data["head"]["name"] == "workspace"


def test_unknown_head_revision(repo: Repo) -> None:
    result = repo.mlci("diff", "--head", "nope")
    assert result.exit_code == 3
    assert result.output.startswith("mlci: error: revision 'nope' not found in ")


@pytest.mark.e2e
def test_dvc_cached_metrics_are_read_at_base_from_the_remote(repo: Repo, tmp_path: Path) -> None:
    """A metrics file DVC caches (cache: true) is read at base through DVC, even in a
    fresh clone whose cache has only the head's version (DVC streams it from the remote)."""
    from conftest import bare_origin, run

    storage = tmp_path / "storage"
    repo.git("checkout", "--quiet", "main")
    repo.dvc("remote", "add", "-d", "storage", str(storage))
    repo.gen(
        {
            "dvc.yaml": "stages:\n  score:\n    cmd: python score.py\n"
            "    deps: [auc.txt, score.py]\n    metrics:\n      - scores.json\n",
            "score.py": "import json\n"
            "json.dump({'auc': float(open('auc.txt').read())}, open('scores.json', 'w'))\n",
            "auc.txt": "0.8",
        }
    )
    repo.dvc("repro")
    repo.commit("cached metrics")
    repo.dvc("push")
    repo.git("checkout", "--quiet", "-B", "feature")
    repo.gen({"auc.txt": "0.85"})
    repo.dvc("repro")
    repo.commit("better")
    repo.dvc("push")
    origin = bare_origin(repo, tmp_path / "origin.git")
    clone = tmp_path / "clone"
    run(tmp_path, "git", "clone", "--quiet", "--branch", "feature", str(origin), str(clone))
    fresh = Repo(clone)
    result = fresh.mlci("check")  # pulls the head's outputs; base's comes from the remote
    assert result.exit_code == 0, result.output
    data = json.loads((clone / "mlci-results.json").read_text())
    [auc] = [m for m in data["metrics"] if m["key"] == "auc"]
    assert (auc["base"], auc["head"]) == (0.8, 0.85)
    assert data["pipeline"]["pulled"] is True


@pytest.mark.parametrize("with_nan", [False, True], ids=["finite", "NaN and infinity"])
def test_json_output_is_json_s_document_of_every_change(repo: Repo, with_nan: bool) -> None:
    """`--format json` (orjson, or json where NaN must be kept) reads back as the changes
    with all their fields; text outside ASCII is escaped."""
    head_metrics = {"accuracy": 0.95, "loss": 0.2, "per_class": {"é": {"recall": 0.9}}}
    if with_nan:
        head_metrics |= {"nan_metric": float("nan"), "inf_metric": float("inf")}
    repo.commit("head", {"metrics.json": json.dumps(head_metrics, allow_nan=True)})
    result = repo.mlci("diff", "--base", "main", "--head", "HEAD", "--format", "json")
    assert result.exit_code == 0, result.output
    assert result.output.isascii()
    data = json.loads(result.output)
    by_key = {change["key"]: change for change in data["metrics"]}
    assert by_key["per_class.é.recall"]["status"] == "new"
    assert by_key["accuracy"]["base"] == 0.9 and by_key["accuracy"]["head"] == 0.95
    assert set(by_key["accuracy"]) >= {"file", "key", "base", "head", "change", "change_pct"}
    if with_nan:
        assert by_key["nan_metric"]["head"] != by_key["nan_metric"]["head"]  # NaN, not null
        assert by_key["inf_metric"]["head"] == float("inf")
    assert [change["key"] for change in data["params"]] == ["train.epochs", "train.lr"]
