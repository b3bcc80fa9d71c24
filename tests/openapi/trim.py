"""Write github-subset.json: the operations of GitHub's OpenAPI description that mlci
uses, dereferenced, so the tests check mlci and the fake server against GitHub's own
contract rather than against each other.

Source: the npm package @octokit/openapi, which publishes github/rest-api-description
(api.github.com) as is, plus Octokit's `x-octokit` extensions. To refresh:

    npm pack @octokit/openapi@VERSION && tar xzf octokit-openapi-VERSION.tgz
    python tests/openapi/trim.py package/generated/api.github.com.deref.json VERSION INTEGRITY

(INTEGRITY: `npm view @octokit/openapi@VERSION dist.integrity`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OPERATIONS = [
    ("get", "/user"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("post", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("patch", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("delete", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("post", "/repos/{owner}/{repo}/statuses/{sha}"),
    ("post", "/repos/{owner}/{repo}/check-runs"),
    ("get", "/repos/{owner}/{repo}/contents/{path}"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}"),
    ("get", "/repos/{owner}/{repo}/pulls"),
]
KEEP = ("operationId", "parameters", "requestBody", "responses")


def main() -> None:
    source, version, integrity = sys.argv[1:4]
    spec = json.loads(Path(source).read_text(encoding="utf-8"))
    paths: dict[str, dict[str, object]] = {}
    for method, path in OPERATIONS:
        operation = spec["paths"][path][method]
        paths.setdefault(path, {})[method] = {k: operation[k] for k in KEEP if k in operation}
    subset = {
        "openapi": spec["openapi"],
        "info": {
            "title": "GitHub REST API (api.github.com): the operations mlci uses",
            "x-source": {
                "package": f"@octokit/openapi@{version}",
                "integrity": integrity,
                "file": "generated/api.github.com.deref.json",
                "upstream": "https://github.com/github/rest-api-description",
            },
        },
        "paths": paths,
    }
    out = Path(__file__).with_name("github-subset.json")
    out.write_text(json.dumps(subset, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out} ({out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
