"""A DVC remote on S3: a real S3 API served locally by moto, DVC's own dvc-s3 plugin.

main pushes its data and DVC-cached metrics to the bucket; a fresh clone of a pull
request's branch has nothing but git. `mlci check` pulls from the bucket, and reads
the base's DVC-cached metrics and data (for drift) from it too.
"""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Repo, bare_origin, run

pytestmark = pytest.mark.e2e

SCORE = """\
import csv, json, yaml
rows = list(csv.DictReader(open("data.csv")))
shift = yaml.safe_load(open("params.yaml"))["shift"]
mean = sum(float(r["x"]) for r in rows) / len(rows)
json.dump({"accuracy": round(0.9 - shift / 10, 4), "mean_x": mean}, open("scores.json", "w"))
"""
PIPELINE = f"""\
stages:
  score:
    cmd: {sys.executable} score.py
    deps: [data.csv, score.py]
    params: [shift]
    metrics: [scores.json]
"""
MLCI_YAML = """\
metrics:
  - key: accuracy
    max_drop: 0.05
data:
  - path: data.csv
    columns: {x: {min: 0}}
    drift: {columns: [x]}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A moto S3 server on a free local port with one bucket; yields its endpoint."""
    boto3 = pytest.importorskip("boto3")
    moto_server = pytest.importorskip("moto.server")
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="mlci-store")
        yield endpoint
    finally:
        server.stop()


def test_check_pulls_from_s3_and_reads_the_base_from_it(
    repo: Repo, tmp_path: Path, s3: str
) -> None:
    repo.git("checkout", "--quiet", "main")
    repo.dvc("remote", "add", "-d", "store", "s3://mlci-store/dvc")
    repo.dvc("remote", "modify", "store", "endpointurl", s3)
    repo.gen(
        {
            "data.csv": "x\n" + "".join(f"{i % 10}\n" for i in range(200)),
            "score.py": SCORE,
            "dvc.yaml": PIPELINE,
            "params.yaml": "shift: 0\n",
            "mlci.yaml": MLCI_YAML,
            ".gitignore": "/report.md\n/report.html\n/mlci-results.json\n",
        }
    )
    repo.dvc("add", "--quiet", "data.csv")
    repo.dvc("repro", "--quiet")
    repo.commit("data and pipeline on S3")
    repo.dvc("push", "--quiet")
    repo.git("checkout", "--quiet", "-B", "feature", "main")
    repo.gen({"data.csv": "x\n" + "".join(f"{5 + i % 10}\n" for i in range(200))})
    repo.gen({"params.yaml": "shift: 1\n"})
    repo.dvc("add", "--quiet", "data.csv")
    repo.dvc("repro", "--quiet")
    repo.commit("a new export, moved up by 5")
    repo.dvc("push", "--quiet")

    origin = bare_origin(repo, tmp_path / "origin.git")
    clone = tmp_path / "clone"
    run(tmp_path, "git", "clone", "--quiet", "--branch", "feature", str(origin), str(clone))
    fresh = Repo(clone)
    assert not (clone / "data.csv").exists()  # only git so far
    result = fresh.mlci("check", "--no-tests")
    assert result.exit_code == 1, result.output  # the data drifted
    found = json.loads((clone / "mlci-results.json").read_text())
    assert found["pipeline"]["pulled"] is True
    assert found["pipeline"]["reproduced"] == []
    metrics = {m["key"]: m for m in found["metrics"]}
    assert metrics["accuracy"]["base"] > metrics["accuracy"]["head"]  # base from S3
    assert metrics["mean_x"]["head"] - metrics["mean_x"]["base"] == pytest.approx(5)
    [dataset] = found["data"]
    assert dataset["drift"]["outcome"] == "fail"  # base data read from S3
    assert [g["outcome"] for g in found["gates"]] == ["fail"]  # accuracy fell by 0.1


def test_a_remote_whose_plugin_is_missing_names_the_extra_to_install(repo: Repo) -> None:
    """dvc-gs is not installed: the error says which extra brings it."""
    pytest.importorskip("dvc_s3")
    if "dvc_gs" in sys.modules:
        pytest.skip("dvc-gs is installed here")
    repo.git("checkout", "--quiet", "main")
    repo.dvc("remote", "add", "-d", "store", "gs://mlci-store/dvc")
    repo.gen({"data.csv": "x\n1\n"})
    repo.dvc("add", "--quiet", "data.csv")
    repo.commit("data on GCS")
    repo.git("checkout", "--quiet", "-B", "feature", "main")
    (repo.root / "data.csv").unlink()
    result = repo.mlci("check", "--no-tests")
    assert result.exit_code == 3, result.output
    assert "requires 'dvc-gs' to be installed" in result.output
    assert "hint: install DVC's plugin for this remote: pip install 'mlci[gs]'" in result.output
