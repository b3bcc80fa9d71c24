"""Stage 1: split data/raw.csv (DVC-tracked; see fetch_data.py) into train/test CSVs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml
from sklearn.model_selection import train_test_split

RAW = Path("data/raw.csv")
OUT_DIR = Path("data/prepared")


def main() -> None:
    with Path("params.yaml").open() as f:
        params = yaml.safe_load(f)["prepare"]

    # 569 rows: an id, 30 numeric features, "target": 0 = malignant, 1 = benign. The id
    # stays (not a feature): the predictions file names each test example by it.
    df = pd.read_csv(RAW)
    train, test = train_test_split(
        df,
        test_size=float(params["test_size"]),
        random_state=int(params["seed"]),
        stratify=df["target"],
    )

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    train.to_csv(OUT_DIR / "train.csv", index=False)
    test.to_csv(OUT_DIR / "test.csv", index=False)
    print(f"prepare: {len(train)} train rows, {len(test)} test rows -> {OUT_DIR}/")


if __name__ == "__main__":
    main()
