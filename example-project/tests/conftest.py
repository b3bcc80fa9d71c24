"""Shared fixtures: paths are resolved from the project root, so `pytest tests`
works from anywhere. Tests skip (not fail) until `dvc repro` has produced outputs."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PREPARED = ROOT / "data" / "prepared"


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path.relative_to(ROOT)} not found - run `dvc repro` first")
    return path


@pytest.fixture(scope="session")
def params() -> dict[str, Any]:
    with (ROOT / "params.yaml").open() as f:
        return yaml.safe_load(f)


@pytest.fixture(scope="session")
def train_df() -> pd.DataFrame:
    return pd.read_csv(_require(PREPARED / "train.csv"))


@pytest.fixture(scope="session")
def test_df() -> pd.DataFrame:
    return pd.read_csv(_require(PREPARED / "test.csv"))


@pytest.fixture(scope="session")
def model() -> Any:
    with _require(ROOT / "model.pkl").open("rb") as f:
        return pickle.load(f)
