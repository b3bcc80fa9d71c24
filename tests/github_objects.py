"""The objects the fake GitHub answers with, whole, as GitHub's REST API sends them.

Every field GitHub's OpenAPI description marks required is here, with the URL
patterns api.github.com uses (tests/test_openapi.py checks the answers against that
description). The fake's state keeps only what tests look at; these builders dress
it up at answer time.
"""

from __future__ import annotations

import zlib
from typing import Any

CREATED = "2026-01-05T10:00:00Z"
WEB = "https://github.com"


def user_id(login: str) -> int:
    return 1_000_000 + zlib.crc32(login.encode()) % 9_000_000


def is_bot(login: str) -> bool:
    return login.endswith("[bot]")


def simple_user(login: str, api: str) -> dict[str, Any]:
    """GitHub's ``simple-user``: the author of a comment, status or pull request."""
    ident = user_id(login)
    name = login.removesuffix("[bot]")
    url = f"{api}/users/{login}"
    return {
        "login": login,
        "id": ident,
        "node_id": f"MDQ6VXNlcj{ident}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{ident}?v=4",
        "gravatar_id": "",
        "url": url,
        "html_url": f"{WEB}/{'apps/' + name if is_bot(login) else name}",
        "followers_url": f"{url}/followers",
        "following_url": f"{url}/following{{/other_user}}",
        "gists_url": f"{url}/gists{{/gist_id}}",
        "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{url}/subscriptions",
        "organizations_url": f"{url}/orgs",
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events{{/privacy}}",
        "received_events_url": f"{url}/received_events",
        "type": "Bot" if is_bot(login) else "User",
        "site_admin": False,
    }


def private_user(login: str, api: str) -> dict[str, Any]:
    """``GET /user`` for a personal token: the ``private-user`` object."""
    return {
        **simple_user(login, api),
        "name": login.capitalize(),
        "company": None,
        "blog": "",
        "location": None,
        "email": None,
        "hireable": None,
        "bio": None,
        "public_repos": 3,
        "public_gists": 0,
        "followers": 1,
        "following": 1,
        "created_at": CREATED,
        "updated_at": CREATED,
        "private_gists": 0,
        "total_private_repos": 1,
        "owned_private_repos": 1,
        "disk_usage": 1024,
        "collaborators": 0,
        "two_factor_authentication": True,
    }


def repository(owner: str, name: str, api: str) -> dict[str, Any]:
    """GitHub's ``repository`` as a pull request's head or base carries it."""
    full = f"{owner}/{name}"
    url = f"{api}/repos/{full}"
    templated = {
        "assignees_url": "/assignees{/user}",
        "blobs_url": "/git/blobs{/sha}",
        "branches_url": "/branches{/branch}",
        "collaborators_url": "/collaborators{/collaborator}",
        "comments_url": "/comments{/number}",
        "commits_url": "/commits{/sha}",
        "compare_url": "/compare/{base}...{head}",
        "contents_url": "/contents/{+path}",
        "contributors_url": "/contributors",
        "deployments_url": "/deployments",
        "downloads_url": "/downloads",
        "events_url": "/events",
        "forks_url": "/forks",
        "git_commits_url": "/git/commits{/sha}",
        "git_refs_url": "/git/refs{/sha}",
        "git_tags_url": "/git/tags{/sha}",
        "hooks_url": "/hooks",
        "issue_comment_url": "/issues/comments{/number}",
        "issue_events_url": "/issues/events{/number}",
        "issues_url": "/issues{/number}",
        "keys_url": "/keys{/key_id}",
        "labels_url": "/labels{/name}",
        "languages_url": "/languages",
        "merges_url": "/merges",
        "milestones_url": "/milestones{/number}",
        "notifications_url": "/notifications{?since,all,participating}",
        "pulls_url": "/pulls{/number}",
        "releases_url": "/releases{/id}",
        "stargazers_url": "/stargazers",
        "statuses_url": "/statuses/{sha}",
        "subscribers_url": "/subscribers",
        "subscription_url": "/subscription",
        "tags_url": "/tags",
        "teams_url": "/teams",
        "trees_url": "/git/trees{/sha}",
        "archive_url": "/{archive_format}{/ref}",
    }
    ident = 500_000 + zlib.crc32(full.encode()) % 9_000_000
    return {
        "id": ident,
        "node_id": f"R_kgDOFake{ident}",
        "name": name,
        "full_name": full,
        "owner": simple_user(owner, api),
        "private": False,
        "html_url": f"{WEB}/{full}",
        "description": None,
        "fork": False,
        "url": url,
        **{key: url + suffix for key, suffix in templated.items()},
        "git_url": f"git://github.com/{full}.git",
        "ssh_url": f"git@github.com:{full}.git",
        "clone_url": f"{WEB}/{full}.git",
        "svn_url": f"{WEB}/{full}",
        "mirror_url": None,
        "homepage": None,
        "language": "Python",
        "forks_count": 0,
        "forks": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "watchers": 0,
        "size": 128,
        "default_branch": "main",
        "open_issues_count": 1,
        "open_issues": 1,
        "has_issues": True,
        "has_projects": True,
        "has_wiki": True,
        "has_pages": False,
        "has_downloads": True,
        "archived": False,
        "disabled": False,
        "license": None,
        "pushed_at": CREATED,
        "created_at": CREATED,
        "updated_at": CREATED,
    }


def pull_request(
    pull: dict[str, Any], owner: str, repo: str, api: str, *, full: bool
) -> dict[str, Any]:
    """A pull request as ``GET /pulls/{n}`` (``full``) or ``GET /pulls`` lists it, from the
    fake's short record ``{"number", "state", "head": {"sha", "ref", "label"}, "base":
    {"sha", "ref"}}``."""
    number = pull["number"]
    url = f"{api}/repos/{owner}/{repo}/pulls/{number}"
    issue = f"{api}/repos/{owner}/{repo}/issues/{number}"
    html = f"{WEB}/{owner}/{repo}/pull/{number}"
    head_owner = pull["head"]["label"].split(":", 1)[0]

    def side(end: dict[str, Any], repo_owner: str) -> dict[str, Any]:
        return {
            "label": end.get("label", f"{owner}:{end['ref']}"),
            "ref": end["ref"],
            "sha": end["sha"],
            "user": simple_user(repo_owner, api),
            "repo": repository(repo_owner, repo, api),
        }

    author = head_owner if head_owner != owner else "alice"
    body: dict[str, Any] = {
        "url": url,
        "id": 800_000 + number,
        "node_id": f"PR_kwDOFake{number}",
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": issue,
        "commits_url": f"{url}/commits",
        "review_comments_url": f"{url}/comments",
        "review_comment_url": f"{api}/repos/{owner}/{repo}/pulls/comments{{/number}}",
        "comments_url": f"{issue}/comments",
        "statuses_url": f"{api}/repos/{owner}/{repo}/statuses/{pull['head']['sha']}",
        "number": number,
        "state": pull["state"],
        "locked": False,
        "title": f"Pull request #{number}",
        "user": simple_user(author, api),
        "body": None,
        "labels": [],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": CREATED,
        "updated_at": CREATED,
        "closed_at": None,
        "merged_at": None,
        "merge_commit_sha": None,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": side(pull["head"], head_owner),
        "base": side(pull["base"], owner),
        "_links": {
            name: {"href": href}
            for name, href in {
                "self": url,
                "html": html,
                "issue": issue,
                "comments": f"{issue}/comments",
                "review_comments": f"{url}/comments",
                "review_comment": f"{api}/repos/{owner}/{repo}/pulls/comments{{/number}}",
                "commits": f"{url}/commits",
                "statuses": f"{api}/repos/{owner}/{repo}/statuses/{pull['head']['sha']}",
            }.items()
        },
        "author_association": "CONTRIBUTOR" if head_owner != owner else "MEMBER",
        "auto_merge": None,
        "draft": False,
    }
    if full:
        body.update(
            merged=False,
            mergeable=True,
            rebaseable=True,
            mergeable_state="clean",
            merged_by=None,
            comments=0,
            review_comments=0,
            maintainer_can_modify=False,
            commits=1,
            additions=1,
            deletions=1,
            changed_files=1,
        )
    return body


def github_actions_app(api: str) -> dict[str, Any]:
    """The app behind GITHUB_TOKEN, as a check run names it."""
    return {
        "id": 15368,
        "slug": "github-actions",
        "node_id": "MDM6QXBwMTUzNjg=",
        "owner": simple_user("github", api),
        "name": "GitHub Actions",
        "description": "Automate your workflow from idea to production",
        "external_url": "https://help.github.com/en/actions",
        "html_url": f"{WEB}/apps/github-actions",
        "created_at": "2018-07-30T09:30:17Z",
        "updated_at": "2019-12-10T19:04:12Z",
        "permissions": {"checks": "write", "pull_requests": "write", "statuses": "write"},
        "events": ["check_run", "pull_request"],
    }
