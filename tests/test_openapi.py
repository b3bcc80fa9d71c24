"""mlci's requests and the fake GitHub's answers, checked against GitHub's own OpenAPI
description (tests/openapi/github-subset.json: the operations mlci uses, from
github/rest-api-description through @octokit/openapi; see tests/openapi/trim.py).

The fake server is the only GitHub the tests have; checking both sides against a
contract neither of them wrote keeps the fake honest and mlci on GitHub's real API.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import jsonschema
import pytest
from github_server import Exchange, GitHubServer

from mlci.github.client import GitHub

SUBSET = Path(__file__).parent / "openapi" / "github-subset.json"
OWNER_REPO = "octo-org/ml-project"
HEAD = "2" * 40
BASE = "1" * 40


@cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SUBSET.read_text(encoding="utf-8"))
    return loaded


def json_schema(schema: Any) -> Any:
    """OpenAPI 3.0's ``nullable: true`` as JSON Schema (a ``null`` type or alternative)."""
    if isinstance(schema, list):
        return [json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {key: json_schema(value) for key, value in schema.items() if key != "nullable"}
    if schema.get("nullable"):
        kind = converted.get("type")
        if isinstance(kind, str):
            converted["type"] = [kind, "null"]
            if "enum" in converted:
                converted["enum"] = [*converted["enum"], None]
        else:
            converted = {"anyOf": [converted, {"type": "null"}]}
    return converted


def operation(method: str, path: str) -> tuple[str, dict[str, Any]]:
    """The template and operation of GitHub's API that ``method path`` is."""
    for template, operations in spec()["paths"].items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if method.lower() in operations and re.fullmatch(pattern, path):
            return template, operations[method.lower()]
    raise AssertionError(f"{method} {path} is not an operation of the subset mlci uses")


def problems(exchange: Exchange) -> Iterator[str]:
    """Every way ``exchange`` departs from GitHub's description of its operation."""
    where = f"{exchange.method} {exchange.path}"
    template, op = operation(exchange.method, exchange.path)
    query_names = {p["name"] for p in op.get("parameters", []) if p.get("in") == "query"}
    for name, _value in parse_qsl(exchange.query):
        if name not in query_names:
            yield f"{where}: query parameter {name!r} is not one of {sorted(query_names)}"
    if exchange.request_body:
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body is None:
            yield f"{where}: sends a body, and {template} takes none"
        else:
            yield from _invalid(json.loads(exchange.request_body), body["schema"], where, "request")
    responses = op["responses"]
    answer = responses.get(str(exchange.status))
    if answer is None:
        # GitHub answers any operation with these, whether or not each one lists them.
        if exchange.status in (401, 403, 404, 422, 429, 500, 502, 503):
            error = json.loads(exchange.response_body)
            if not isinstance(error.get("message"), str):
                yield f"{where}: error {exchange.status} without a message"
        else:
            yield f"{where}: status {exchange.status} is not one {template} answers"
        return
    content = answer.get("content", {})
    media = exchange.response_headers.get("content-type", "").split(";")[0]
    if media == "application/json" and "application/json" in content:
        yield from _invalid(
            json.loads(exchange.response_body),
            content["application/json"]["schema"],
            where,
            f"{exchange.status} response",
        )
    elif not content and exchange.response_body:
        yield f"{where}: a {exchange.status} answer with a body GitHub does not send"


def _invalid(instance: Any, schema: dict[str, Any], where: str, what: str) -> Iterator[str]:
    validator = jsonschema.Draft7Validator(json_schema(copy.deepcopy(schema)))
    for error in sorted(validator.iter_errors(instance), key=str)[:3]:
        path = "/".join(map(str, error.absolute_path))
        yield f"{where}: {what} at /{path}: {error.message[:200]}"


@pytest.fixture
def gh() -> Iterator[GitHubServer]:
    with GitHubServer() as server:
        yield server
    assert server.server_errors == []


def every_operation(gh: GitHubServer, token: str) -> None:
    """Each call mlci's GitHub client makes, once, as a publish would make them."""
    gh.add_pull(7, HEAD, BASE)
    gh.add_file(BASE, "mlci.yaml", "report: {title: Prod}\n")
    with GitHub(gh.url, token, OWNER_REPO, backoff=0.0) as github:
        github.login()
        assert github.find_pull(HEAD, "octo-org:feature") == 7
        assert github.pull_base_sha(7) == BASE
        assert github.file_at("mlci.yaml", BASE) == "report: {title: Prod}\n"
        assert github.file_at("missing.yaml", BASE) is None
        created = github.create_comment(7, "report\n<!-- n -->", "<!-- n -->")
        assert [c.id for c in github.comments(7)] == [created.id]
        github.update_comment(created.id, "report, again")
        github.delete_comment(created.id)
        github.post_status(HEAD, "failure", "fail: 1 of 2 failed", "mlci/Prod", "https://x/1")
        if token.startswith("ghs_"):  # check runs need a GitHub App's token
            github.post_check_run(
                {
                    "name": "mlci/Prod",
                    "head_sha": HEAD,
                    "status": "completed",
                    "conclusion": "failure",
                    "output": {"title": "fail", "summary": "s", "annotations": []},
                }
            )


@pytest.mark.parametrize("token", ["ghs_valid_token", "ghp_user_token"], ids=["app", "user"])
def test_mlci_and_the_fake_follow_githubs_openapi(gh: GitHubServer, token: str) -> None:
    every_operation(gh, token)
    assert len(gh.exchanges) >= 10
    found = [problem for exchange in gh.exchanges for problem in problems(exchange)]
    assert found == []


def test_error_answers_follow_githubs_shape(gh: GitHubServer) -> None:
    gh.fail("POST", r"/statuses/", 422, times=1)
    with (
        GitHub(gh.url, "ghs_valid_token", OWNER_REPO, backoff=0.0) as github,
        pytest.raises(Exception, match="422"),
    ):
        github.post_status(HEAD, "success", "pass", "mlci/x", None)
    assert [p for e in gh.exchanges for p in problems(e)] == []


def test_the_check_catches_a_departure() -> None:
    """The checker is not vacuous: a request body GitHub would refuse is reported."""
    bad = Exchange(
        "POST",
        f"/repos/{OWNER_REPO}/statuses/{HEAD}",
        "",
        json.dumps({"state": "green"}).encode(),
        201,
        b"{}",
        {"content-type": "application/json"},
    )
    found = list(problems(bad))
    assert any("request at /state" in problem for problem in found), found
    assert any("201 response" in problem for problem in found), found
    with pytest.raises(AssertionError, match="not an operation"):
        operation("GET", f"/repos/{OWNER_REPO}/releases")


def test_the_subset_names_its_source() -> None:
    source = spec()["info"]["x-source"]
    assert source["package"].startswith("@octokit/openapi@")
    assert source["integrity"].startswith("sha512-")
