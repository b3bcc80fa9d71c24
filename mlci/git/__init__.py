"""Git: the one place GitPython is used (revisions, fetching, tracked files)."""
