"""`mlci init --gitlab`: the .gitlab-ci.yml it writes keeps the token away from the merge
request's code, runs on merge requests, fetches the base, and is pinned to this mlci."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from conftest import Repo

from mlci.commands.ci import GitLabFiles
from mlci.gitlab.context import DEFAULT_TOKEN_ENV

GITLAB_CI_SCHEMA = Path(__file__).parent / "schemas" / "gitlab-ci.json"  # see its README

# Commands that run the merge request's code (its stages, its tests, its requirements).
RUNS_MR_CODE = ("mlci ci", "mlci check", "dvc ", "pytest", "pip install -r")
PUBLISH_ENVIRONMENT = "mlci-publish"


def jobs(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: job
        for name, job in config.items()
        if isinstance(job, dict) and "script" in job and not name.startswith(".")
    }


def script_text(job: dict[str, Any]) -> str:
    parts = [*job.get("before_script", []), *job["script"], *job.get("after_script", [])]
    return "\n".join(parts)


def token_problems(config: dict[str, Any]) -> list[str]:
    """Where a job that runs merge-request code could get the token: it names the token
    variable, or declares the environment the token is scoped to; and where the job that
    gets the token checks the merge request out."""
    problems = []
    for name, job in jobs(config).items():
        text = script_text(job)
        environment = job.get("environment") or {}
        scoped = (
            environment.get("name") if isinstance(environment, dict) else environment
        ) == PUBLISH_ENVIRONMENT
        if any(command in text for command in RUNS_MR_CODE):
            # A dotenv report sets variables (PIP_INDEX_URL, CI_API_V4_URL, ...) in every
            # job that needs this one, over even predefined ones: the token's job too.
            if "dotenv" in ((job.get("artifacts") or {}).get("reports") or {}):
                problems.append(f"{name} runs merge-request code and exports a dotenv report")
            if DEFAULT_TOKEN_ENV in text or DEFAULT_TOKEN_ENV in str(job.get("variables")):
                problems.append(f"{name} runs merge-request code and names the token")
            if scoped:
                problems.append(f"{name} runs merge-request code in the token's environment")
        if scoped and (job.get("variables") or {}).get("GIT_STRATEGY") != "none":
            problems.append(f"{name} holds the token and checks out the merge request")
    return problems


def test_init_gitlab_writes_the_two_jobs_pinned_to_this_mlci(repo: Repo) -> None:
    result = repo.mlci("init", "--gitlab")
    assert result.exit_code == 0, result.output
    assert (repo.root / "mlci.yaml").is_file()
    assert not (repo.root / ".github").exists()
    text = (repo.root / ".gitlab-ci.yml").read_text(encoding="utf-8")
    assert "pip install mlci\n" not in text  # never the bare, unpinned name
    config = yaml.safe_load(text)
    assert config["workflow"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert token_problems(config) == []
    check, publish = jobs(config)["mlci-check"], jobs(config)["mlci-publish"]
    # The base commit is fetched before any of the merge request's code runs.
    script = check["script"]
    fetch = next(i for i, line in enumerate(script) if "CI_MERGE_REQUEST_DIFF_BASE_SHA" in line)
    assert fetch < next(i for i, line in enumerate(script) if "pip install" in line)
    assert check["variables"]["GIT_DEPTH"] == "1"
    # The reports come from the publishing job, which writes them from the results it
    # re-judges; the check job exports none.
    files = GitLabFiles()
    assert "reports" not in check["artifacts"]
    assert publish["artifacts"]["reports"] == {
        "junit": str(files.junit),
        "dotenv": str(files.dotenv),
    }
    assert check["artifacts"]["when"] == "always"
    assert "mlci-results.json" in check["artifacts"]["paths"]
    # Publishing runs after a failed check too, from its artifacts.
    assert publish["needs"] == [{"job": "mlci-check", "artifacts": True}]
    assert publish["rules"] == [{"when": "always"}]
    assert "mlci publish --results mlci-results.json" in script_text(publish)


def test_dvc_s_cache_is_kept_per_merge_request_by_the_check_job_only(repo: Repo) -> None:
    """The check job keeps .dvc/cache between a merge request's pipelines; the job that
    holds the token restores no cache, even one a `default:` section would add."""
    assert repo.mlci("init", "--gitlab").exit_code == 0
    config = yaml.safe_load((repo.root / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    check, publish = jobs(config)["mlci-check"], jobs(config)["mlci-publish"]
    assert check["cache"]["paths"] == [".dvc/cache/"]
    assert "$CI_MERGE_REQUEST_IID" in check["cache"]["key"]
    assert check["cache"]["when"] == "always"
    assert publish["cache"] == []


def schema_errors(config: dict[str, Any]) -> list[str]:
    """Where ``config`` breaks GitLab's own schema of .gitlab-ci.yml."""
    validator = jsonschema.Draft7Validator(json.loads(GITLAB_CI_SCHEMA.read_text()))
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(config)
    ]


def test_what_init_writes_is_valid_gitlab_ci(repo: Repo) -> None:
    assert repo.mlci("init", "--gitlab").exit_code == 0
    config = yaml.safe_load((repo.root / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    assert schema_errors(config) == []
    # The check can fail: a needs that is not a list, an artifacts key misspelt.
    config["mlci-publish"]["needs"] = "mlci-check"
    config["mlci-check"]["artifact"] = config["mlci-check"].pop("artifacts")
    assert len(schema_errors(config)) >= 2


def test_the_token_check_catches_a_leaky_pipeline() -> None:
    leaky = {
        "check": {
            "script": ["mlci ci"],
            "variables": {"TOKEN": f"${DEFAULT_TOKEN_ENV}"},
            "artifacts": {"reports": {"dotenv": "mlci.env"}},
        },
        "scoped": {
            "script": ["dvc repro"],
            "environment": {"name": PUBLISH_ENVIRONMENT},
            "variables": {"GIT_STRATEGY": "none"},
        },
        "publish": {"script": ["mlci publish"], "environment": PUBLISH_ENVIRONMENT},
    }
    assert token_problems(leaky) == [
        "check runs merge-request code and exports a dotenv report",
        "check runs merge-request code and names the token",
        "scoped runs merge-request code in the token's environment",
        "publish holds the token and checks out the merge request",
    ]


def test_init_gitlab_keeps_an_existing_file_unless_forced(repo: Repo) -> None:
    existing = repo.root / ".gitlab-ci.yml"
    existing.write_text("# mine\n", encoding="utf-8")
    kept = repo.mlci("init", "--gitlab")
    assert kept.exit_code == 0, kept.output
    assert f"kept {existing} (exists; --force .gitlab-ci.yml replaces it)" in kept.output
    assert existing.read_text(encoding="utf-8") == "# mine\n"
    forced = repo.mlci("init", "--gitlab", "--force", ".gitlab-ci.yml")
    assert forced.exit_code == 0, forced.output
    assert "mlci-publish" in existing.read_text(encoding="utf-8")


def test_init_gitlab_and_fork_safe_do_not_combine(repo: Repo) -> None:
    result = repo.mlci("init", "--gitlab", "--fork-safe")
    assert result.exit_code == 2
    assert "--gitlab and --fork-safe cannot be combined" in result.output
    assert not (repo.root / ".gitlab-ci.yml").exists()
