"""Stage 3: score the model on the test split; write metrics.json and plot data."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)

TEST_CSV = Path("data/prepared/test.csv")
MODEL_PATH = Path("model.pkl")
METRICS_PATH = Path("metrics.json")
PREDICTIONS_PATH = Path("eval/predictions.csv")
PLOTS_DIR = Path("plots")
CLASS_NAMES = ("malignant", "benign")  # index == label, as in load_breast_cancer
MAX_ROC_POINTS = 100


def main() -> None:
    with Path("params.yaml").open() as f:
        params = yaml.safe_load(f)["evaluate"]

    df = pd.read_csv(TEST_CSV)
    x, y = df.drop(columns=["id", "target"]), df["target"].to_numpy()
    with MODEL_PATH.open("rb") as f:
        model = pickle.load(f)

    proba = model.predict_proba(x)[:, 1]  # P(label 1 = benign)
    pred = (proba >= float(params["threshold"])).astype(int)

    labels = [0, 1]
    precision = precision_score(y, pred, labels=labels, average=None, zero_division=0)
    recall = recall_score(y, pred, labels=labels, average=None, zero_division=0)
    metrics = {
        "accuracy": round(float(accuracy_score(y, pred)), 4),
        "f1": round(float(f1_score(y, pred, zero_division=0)), 4),
        "roc_auc": round(float(roc_auc_score(y, proba)), 4),
        "per_class": {
            name: {
                "precision": round(float(precision[i]), 4),
                "recall": round(float(recall[i]), 4),
            }
            for i, name in enumerate(CLASS_NAMES)
        },
    }
    METRICS_PATH.parent.mkdir(parents=True, exist_ok=True)
    METRICS_PATH.write_text(json.dumps(metrics, indent=2) + "\n")

    PLOTS_DIR.mkdir(parents=True, exist_ok=True)
    fpr, tpr, _ = roc_curve(y, proba)
    if len(fpr) > MAX_ROC_POINTS:
        idx = np.linspace(0, len(fpr) - 1, MAX_ROC_POINTS).round().astype(int)
        keep = np.unique(idx)
        fpr, tpr = fpr[keep], tpr[keep]
    roc = pd.DataFrame({"fpr": fpr.round(4), "tpr": tpr.round(4)})
    roc.to_csv(PLOTS_DIR / "roc.csv", index=False)

    names = np.array(CLASS_NAMES)
    confusion = pd.DataFrame({"actual": names[y], "predicted": names[pred]})
    confusion.to_csv(PLOTS_DIR / "confusion.csv", index=False)

    write_predictions(df["id"].to_numpy(), x, y, pred, proba)
    print(f"evaluate: {json.dumps(metrics)}")


def write_predictions(
    ids: np.ndarray, x: pd.DataFrame, y: np.ndarray, pred: np.ndarray, proba: np.ndarray
) -> None:
    """One row per test example, for mlci's paired comparison with the base branch: the
    example's id (the same at both revisions), its label, the prediction, P(benign),
    and ``size`` (mean radius below 14: small), a slice mlci computes every metric for.
    """
    predictions = pd.DataFrame(
        {
            "id": ids,
            "label": y,
            "prediction": pred,
            "proba": proba.round(6),
            "size": np.where(x["mean radius"].to_numpy() < 14, "small", "large"),
        }
    )
    PREDICTIONS_PATH.parent.mkdir(parents=True, exist_ok=True)
    predictions.to_csv(PREDICTIONS_PATH, index=False)


if __name__ == "__main__":
    main()
