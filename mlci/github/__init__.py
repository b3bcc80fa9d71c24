"""GitHub: the REST client, the Actions runtime, and publishing a report to a pull request."""
