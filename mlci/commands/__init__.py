"""One module per CLI command: what the command does, without click (mlci/cli.py parses)."""
