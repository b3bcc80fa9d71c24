from conftest import Repo


def test_check_passes_on_unchanged_metrics(repo: Repo) -> None:
    result = repo.mlci("check", "--no-repro")
    assert result.exit_code == 0, result.output
    assert "nothing is gated" in result.output
