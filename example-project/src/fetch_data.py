"""Export scikit-learn's bundled breast-cancer data to data/raw.csv (tracked by DVC).

    python src/fetch_data.py && dvc add data/raw.csv

`--new-export` writes the kind of export a data team might send later: the size
columns come in inches instead of millimetres (radius, perimeter) and square
inches (area) — a unit change that slips past a quick look and is exactly the
drift mlci's data checks are there to catch.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sklearn.datasets import load_breast_cancer

OUT = Path("data/raw.csv")
MM_PER_INCH = 25.4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--new-export", action="store_true", help="sizes in inches")
    args = parser.parse_args()

    # 569 rows, 30 numeric features, "target": 0 = malignant, 1 = benign.
    df = load_breast_cancer(as_frame=True).frame
    df.insert(0, "id", range(1, len(df) + 1))
    if args.new_export:
        for column in df.columns:
            if column.endswith(("radius", "perimeter")):
                df[column] = df[column] / MM_PER_INCH
            elif column.endswith("area"):
                df[column] = df[column] / MM_PER_INCH**2
    OUT.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(OUT, index=False)
    print(f"fetch_data: {len(df)} rows -> {OUT}")


if __name__ == "__main__":
    main()
