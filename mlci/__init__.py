"""mlci: Git-native CI for machine-learning pull requests."""

__version__ = "0.1.0"
