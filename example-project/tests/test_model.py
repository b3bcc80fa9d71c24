"""Sanity checks on the trained model (the mlci gates do the fine-grained ones)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sklearn.metrics import accuracy_score

if TYPE_CHECKING:
    import pandas as pd

ACCURACY_FLOOR = 0.85


def test_model_is_accurate_enough(model: Any, test_df: pd.DataFrame) -> None:
    x, y = test_df.drop(columns=["id", "target"]), test_df["target"]
    assert accuracy_score(y, model.predict(x)) > ACCURACY_FLOOR


def test_model_predicts_both_classes(model: Any, test_df: pd.DataFrame) -> None:
    predictions = set(model.predict(test_df.drop(columns=["id", "target"])).tolist())
    assert predictions == {0, 1}


def test_predict_proba_is_a_distribution(model: Any, test_df: pd.DataFrame) -> None:
    proba = model.predict_proba(test_df.drop(columns=["id", "target"]).head(10))
    assert proba.shape == (10, 2)
    assert abs(proba.sum(axis=1) - 1).max() < 1e-9
