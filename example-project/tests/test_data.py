"""Checks on the prepared train/test splits."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import pandas as pd

N_ROWS = 569  # size of scikit-learn's breast-cancer dataset
N_FEATURES = 30
SOME_COLUMNS = {"id", "mean radius", "mean texture", "worst concave points", "target"}


@pytest.mark.parametrize("split", ["train_df", "test_df"])
def test_schema_and_labels(split: str, request: pytest.FixtureRequest) -> None:
    df: pd.DataFrame = request.getfixturevalue(split)
    assert set(df.columns) >= SOME_COLUMNS
    assert df.shape[1] == N_FEATURES + 2  # the features, the id and the target
    assert not df.isna().any().any(), "prepared data must not contain nulls"
    assert set(df["target"].unique()) <= {0, 1}
    assert df["id"].is_unique


def test_split_sizes(
    train_df: pd.DataFrame,
    test_df: pd.DataFrame,
    params: dict[str, Any],
) -> None:
    assert len(train_df) + len(test_df) == N_ROWS
    assert len(test_df) == math.ceil(N_ROWS * float(params["prepare"]["test_size"]))


def test_split_is_stratified(train_df: pd.DataFrame, test_df: pd.DataFrame) -> None:
    assert abs(train_df["target"].mean() - test_df["target"].mean()) < 0.02
