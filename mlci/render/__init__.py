"""Rendering results: Markdown, terminal text, charts and the self-contained HTML page."""
