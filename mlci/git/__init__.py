"""Git: the one place git is called (revisions, fetching, tracked files, a commit's tree)."""
