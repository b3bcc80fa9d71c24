"""Templates compiled by `python -m mlci.render.precompile`: generated, do not edit."""
