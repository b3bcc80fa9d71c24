"""What a GitLab CI job tells mlci about the run, through its predefined variables.

Only the runner sets these (a merge request cannot: its own ``.gitlab-ci.yml`` could
set variables, which is why they are still checked for shape before use: a sha is 40
hex digits, an IID is a number). The token is read from the variable the user names,
``MLCI_GITLAB_TOKEN`` by default, never from ``CI_JOB_TOKEN``: GitLab lets a job token
read merge-request notes but not write them, nor set commit statuses.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from mlci.errors import UsageError
from mlci.forge import TOKEN_ENV

DEFAULT_TOKEN_ENV = TOKEN_ENV["gitlab"]
JOB_TOKEN_ENV = "CI_JOB_TOKEN"
_SHA = re.compile(r"[0-9a-f]{40}")

TOKEN_HINT = (
    "create a project access token (scope `api`; role Reporter to post the note, "
    "Developer to set the commit status) and store it as a masked CI/CD variable named "
    f"{DEFAULT_TOKEN_ENV}, not protected (merge-request pipelines of unprotected branches "
    "never see protected variables); or name another variable with --token-env"
)


@dataclass(frozen=True)
class GitLabContext:
    """The run as GitLab CI describes it."""

    api_url: str  # CI_API_V4_URL
    server_url: str  # CI_SERVER_URL
    project_id: str  # CI_PROJECT_ID: the project the pipeline runs in (holds the commit)
    mr_project_id: str  # CI_MERGE_REQUEST_PROJECT_ID: the project the merge request is in
    mr_iid: int | None  # CI_MERGE_REQUEST_IID: None outside merge-request pipelines
    base_sha: str | None  # CI_MERGE_REQUEST_DIFF_BASE_SHA
    head_sha: str | None  # the merge request's head commit: where the status goes
    source_branch: str | None  # CI_MERGE_REQUEST_SOURCE_BRANCH_NAME, else CI_COMMIT_REF_NAME
    pipeline_url: str | None  # CI_PIPELINE_URL
    mr_url: str | None  # the merge request's page
    job_url: str | None = None  # CI_JOB_URL: this job, whose artifacts hold report.html
    # CI_PIPELINE_ID: the status joins this pipeline, not another one on the same commit
    pipeline_id: int | None = None

    @property
    def artifacts_link(self) -> str | None:
        """A Markdown link to this job's artifacts (report.html), when there is a job."""
        return f"[the job's artifacts]({self.job_url}/artifacts/browse)" if self.job_url else None

    def note_url(self, note_id: int) -> str | None:
        return f"{self.mr_url}#note_{note_id}" if self.mr_url else None


def read_context(env: Mapping[str, str] | None = None, *, publishing: bool = True) -> GitLabContext:
    """Read the job's ``CI_*`` variables. Publishing needs the API URL and the project;
    without them (``mlci ci --no-publish`` tried outside GitLab) whatever is there is used.

    In a merged-results pipeline ``CI_COMMIT_SHA`` is the temporary merge commit, and
    ``CI_MERGE_REQUEST_SOURCE_BRANCH_SHA`` the merge request's head: the status goes to
    the head, as GitLab's commit-status API requires ("the API call must target the
    commit in the merge request's source branch").
    """
    env = env if env is not None else os.environ
    api_url = env.get("CI_API_V4_URL", "").rstrip("/")
    project_id = env.get("CI_PROJECT_ID", "")
    if publishing and not (api_url and project_id):
        missing = [name for name in ("CI_API_V4_URL", "CI_PROJECT_ID") if not env.get(name)]
        raise UsageError(
            f"{' and '.join(missing)} not set: this does not look like a GitLab CI job",
            hint="run `mlci ci` as a GitLab CI job (`mlci init --gitlab` writes one), or "
            "use `mlci check` locally",
        )
    if project_id and not project_id.isdigit():
        raise UsageError(f"CI_PROJECT_ID must be a number, got {project_id[:40]!r}")
    mr_project_id = env.get("CI_MERGE_REQUEST_PROJECT_ID") or project_id
    if not mr_project_id.isdigit() and mr_project_id:
        raise UsageError(
            f"CI_MERGE_REQUEST_PROJECT_ID must be a number, got {mr_project_id[:40]!r}"
        )
    iid_text = env.get("CI_MERGE_REQUEST_IID", "")
    if iid_text and not iid_text.isdigit():
        raise UsageError(f"CI_MERGE_REQUEST_IID must be a number, got {iid_text[:40]!r}")
    mr_iid = int(iid_text) if iid_text else None
    head = _sha(env, "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA") or _sha(env, "CI_COMMIT_SHA")
    project_url = env.get("CI_MERGE_REQUEST_PROJECT_URL") or env.get("CI_PROJECT_URL")
    return GitLabContext(
        api_url=api_url,
        server_url=env.get("CI_SERVER_URL", "").rstrip("/"),
        project_id=project_id,
        mr_project_id=mr_project_id,
        mr_iid=mr_iid,
        base_sha=_sha(env, "CI_MERGE_REQUEST_DIFF_BASE_SHA"),
        head_sha=head,
        source_branch=env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")
        or env.get("CI_COMMIT_REF_NAME")
        or None,
        pipeline_url=env.get("CI_PIPELINE_URL") or None,
        job_url=(env.get("CI_JOB_URL") or "").rstrip("/") or None,
        pipeline_id=_number(env, "CI_PIPELINE_ID"),
        mr_url=f"{project_url.rstrip('/')}/-/merge_requests/{mr_iid}"
        if project_url and mr_iid is not None
        else None,
    )


def _number(env: Mapping[str, str], name: str) -> int | None:
    value = env.get(name, "")
    if not value:
        return None
    if not value.isdigit():
        raise UsageError(f"{name} must be a number, got {value[:40]!r}")
    return int(value)


def _sha(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "")
    if not value:
        return None
    if not _SHA.fullmatch(value):
        raise UsageError(f"{name} must be a 40-character commit sha, got {value[:60]!r}")
    return value


def read_token(token_env: str = DEFAULT_TOKEN_ENV, env: Mapping[str, str] | None = None) -> str:
    """The token from ``$token_env``; a clear error when it is missing or is the job token.

    ``CI_JOB_TOKEN`` is refused by name and by value: GitLab answers 401 when a job
    token creates a merge-request note, so publishing with it could only fail later.
    """
    env = env if env is not None else os.environ
    job_token = env.get(JOB_TOKEN_ENV, "")
    if token_env == JOB_TOKEN_ENV or (job_token and env.get(token_env, "") == job_token):
        raise UsageError(
            f"${token_env} holds the CI job token, which cannot write merge-request notes "
            "or set commit statuses (GitLab allows a job token to read notes only)",
            hint=TOKEN_HINT,
        )
    token = env.get(token_env, "")
    if token:
        return token
    if job_token:
        raise UsageError(
            f"no GitLab token in ${token_env}; only CI_JOB_TOKEN is set, and a job token "
            "cannot write merge-request notes or set commit statuses",
            hint=TOKEN_HINT,
        )
    raise UsageError(f"no GitLab token in ${token_env}", hint=TOKEN_HINT)
