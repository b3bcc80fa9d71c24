"""Stage 2: fit a feature-selection + scaling + logistic-regression pipeline."""

from __future__ import annotations

import pickle
from pathlib import Path

import pandas as pd
import yaml
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

TRAIN_CSV = Path("data/prepared/train.csv")
MODEL_PATH = Path("model.pkl")


def build_pipeline(c: float, max_iter: int, n_features: int) -> Pipeline:
    return Pipeline(
        [
            ("select", SelectKBest(f_classif, k=n_features)),
            ("scale", StandardScaler()),
            # lbfgs has no randomness, so the fitted model is deterministic.
            ("clf", LogisticRegression(C=c, max_iter=max_iter, solver="lbfgs")),
        ]
    )


def main() -> None:
    with Path("params.yaml").open() as f:
        params = yaml.safe_load(f)["train"]

    df = pd.read_csv(TRAIN_CSV)
    x, y = df.drop(columns=["id", "target"]), df["target"]
    n_features = min(int(params["n_features"]), x.shape[1])

    model = build_pipeline(float(params["C"]), int(params["max_iter"]), n_features)
    model.fit(x, y)

    MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    with MODEL_PATH.open("wb") as f:
        pickle.dump(model, f)
    print(f"train: {len(df)} rows, {n_features} features -> {MODEL_PATH}")


if __name__ == "__main__":
    main()
