"""Judging: the diff of two revisions' values, the gates, and whose word counts (policy)."""
