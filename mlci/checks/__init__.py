"""Data checks and drift between two versions of a dataset, on DuckDB (no git, no DVC)."""
