"""`mlci merge`: several shards' results files, one report and one verdict.

Files are written as `mlci ci --shard` writes them and laid out as
actions/download-artifact lays out several artifacts (one folder per artifact).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_results
from github_server import GitHubServer

from mlci.commands.merge import MergeRun, merge, run_merge
from mlci.commands.publish import PublishOptions
from mlci.config import parse_config
from mlci.errors import ConfigError, UsageError
from mlci.forge import COMMENT_LIMIT, body_size
from mlci.github.actions import ActionsLog
from mlci.render.markdown import marker
from mlci.render.shards import Merged, fit_merged, status_description
from mlci.render.text import Md
from mlci.results import Change, GateResult, Outcome, Results, RevInfo

HEAD = "b" * 40


def shard_results(
    name: str | None, outcome: Outcome = "pass", *, metrics: int = 3, head: str = HEAD
) -> Results:
    """A shard's results: ``metrics`` unchanged metrics and one gate with ``outcome``."""
    changes = tuple(
        Change("metrics.json", f"{name}.m{i:04d}", 0.5, 0.5, 0.0, 0.0, "unchanged")
        for i in range(metrics)
    )
    gate = GateResult(
        "score", "metrics.json", "score: ≥ 0.9", "min", outcome, f"{outcome} reason", "fail", "base"
    )
    score = Change("metrics.json", "score", 0.95, 0.5, -0.45, -47.0, "changed")
    return make_results(
        verdict=outcome,
        shard=name,
        metrics=(score, *changes),
        gates=(gate,),
        head=RevInfo("feature", head),
    )


def upload(folder: Path, name: str, results: Results) -> Path:
    """Where actions/download-artifact puts shard ``name``'s artifact."""
    path = folder / f"mlci-results-{name}" / "mlci-results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    results.write(path)
    return path


def three_shards(tmp_path: Path) -> Path:
    """tabular passes, nlp fails a gate, vision never uploaded its results."""
    folder = tmp_path / "artifacts"
    upload(folder, "tabular", shard_results("tabular"))
    upload(folder, "nlp", shard_results("nlp", "fail"))
    return folder


def test_the_verdict_is_the_worst_shard_and_a_missing_one_fails(tmp_path: Path) -> None:
    merged = merge([three_shards(tmp_path)], title="Models", expect=["tabular", "nlp", "vision"])
    assert merged.verdict == "fail"
    assert [(s.name, s.verdict) for s in merged.shards] == [
        ("nlp", "fail"),
        ("vision", "fail"),
        ("tabular", "pass"),
    ]
    assert merged.shards[1].results is None
    assert "mlci-results-vision" in (merged.shards[1].problem or "")
    assert status_description(merged) == ("fail: 2 of 3 shards failed: nlp, vision (no results)")


def test_without_expectations_the_shards_found_are_the_shards(tmp_path: Path) -> None:
    folder = tmp_path / "artifacts"
    upload(folder, "a", shard_results("a"))
    upload(folder, "b", shard_results("b", "warn"))
    merged = merge([folder], title="Models")
    assert merged.verdict == "warn"
    assert [s.name for s in merged.shards] == ["b", "a"]
    assert merged.summary() == "nothing failed, 1 of 2 shards warned: b"


def test_no_results_at_all_is_a_failure(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    merged = merge([tmp_path / "empty"], title="Models")
    assert merged.verdict == "fail"
    assert merged.summary() == "no shard's results were found"


def test_a_tampered_file_fails_its_shard_and_spares_the_others(tmp_path: Path) -> None:
    folder = three_shards(tmp_path)
    path = folder / "mlci-results-nlp" / "mlci-results.json"
    raw = json.loads(path.read_text())
    raw["verdict"] = "pass"  # the gate still fails
    path.write_text(json.dumps(raw))
    merged = merge([folder], title="Models", expect=["tabular", "nlp"])
    nlp = merged.shards[0]
    assert (nlp.name, nlp.verdict, nlp.results) == ("nlp", "fail", None)
    assert nlp.problem == (
        f"results refused: {path} contradicts itself: "
        "$.verdict: pass, but its outcomes make it fail"
    )
    assert merged.shards[1].name == "tabular" and merged.shards[1].verdict == "pass"


def test_results_for_another_commit_fail_their_shard(tmp_path: Path) -> None:
    folder = three_shards(tmp_path)
    upload(folder, "old", shard_results("old", head="c" * 40))
    merged = merge([folder], title="Models", head_sha=HEAD)
    old = next(s for s in merged.shards if s.name == "old")
    assert old.verdict == "fail" and "is for commit ccccccc, but this run is for bbbbbbb" in str(
        old.problem
    )
    # Without the run's commit, the commit most shards are for decides.
    again = merge([folder], title="Models")
    assert next(s for s in again.shards if s.name == "old").verdict == "fail"


def test_a_shard_claimed_twice_is_a_failure_not_a_choice(tmp_path: Path) -> None:
    folder = tmp_path / "artifacts"
    upload(folder, "a", shard_results("a", "fail"))
    # A second artifact (another job's folder name) whose file claims to be shard a.
    upload(folder, "b", shard_results("b"))
    second = tmp_path / "elsewhere" / "mlci-results.json"
    second.parent.mkdir()
    shard_results("a").write(second)
    merged = merge([folder, second], title="Models")
    [claimed] = [s for s in merged.shards if s.name == "a"]
    assert claimed.verdict == "fail" and claimed.results is None
    assert (claimed.problem or "").startswith("2 results files claim to be shard a")


def test_a_file_uploaded_under_another_shards_name_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "artifacts"
    path = upload(folder, "vision", shard_results("nlp"))
    merged = merge([folder], title="Models", expect=["vision"])
    [vision] = merged.shards
    assert vision.name == "vision" and vision.verdict == "fail"
    assert vision.problem == (
        f"{path} says it is shard nlp, but it was uploaded as the artifact of shard vision"
    )


def test_an_artifact_named_like_no_shard_cannot_claim_one(tmp_path: Path) -> None:
    """ "mlci-results-x y" is an artifact of no shard: its file saying `shard: vision`
    (whose own job left nothing) must not stand in for vision."""
    folder = tmp_path / "artifacts"
    path = upload(folder, "x y", shard_results("vision"))
    merged = merge([folder], title="Models", expect=["vision"])
    vision = next(s for s in merged.shards if s.name == "vision")
    assert vision.results is None and vision.verdict == "fail"
    impostor = next(s for s in merged.shards if s.name == str(path))
    assert (
        impostor.problem
        == f"{path} was uploaded as 'mlci-results-x y', which names no shard; refused"
    )


def test_a_value_with_a_trailing_newline_is_refused(tmp_path: Path) -> None:
    """The schema's fast and thorough validators read `$` differently; the file is refused
    whichever of them sees the problem."""
    path = tmp_path / "mlci-results.json"
    raw = json.loads(shard_results("vision").to_json())
    raw["shard"] = "vision\n"
    path.write_text(json.dumps(raw))
    with pytest.raises(UsageError, match="does not match the results schema"):
        Results.read(path)


def test_a_results_file_that_is_a_link_is_refused_by_read(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    shard_results("vision").write(real)
    link = tmp_path / "mlci-results.json"
    link.symlink_to(real)
    with pytest.raises(UsageError, match="is a symbolic link; refused"):
        Results.read(link)


def test_a_shard_not_listed_is_shown_and_can_only_make_it_worse(tmp_path: Path) -> None:
    folder = three_shards(tmp_path)
    merged = merge([folder], title="Models", expect=["tabular"])
    nlp = next(s for s in merged.shards if s.name == "nlp")
    assert not nlp.expected and nlp.verdict == "fail" and merged.verdict == "fail"
    assert nlp.summary.endswith("(not a listed shard)")


def test_a_file_of_no_shard_is_named_by_its_artifact(tmp_path: Path) -> None:
    """Results of `mlci ci` without --shard (shard: null) take their artifact's name."""
    folder = tmp_path / "artifacts"
    upload(folder, "legacy", shard_results(None))
    merged = merge([folder], title="Models", expect=["legacy"])
    assert [(s.name, s.verdict) for s in merged.shards] == [("legacy", "pass")]


def test_bad_arguments_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file or folder"):
        merge([tmp_path / "nope"], title="Models")
    with pytest.raises(UsageError, match="is not a shard name"):
        merge([tmp_path], title="Models", expect=["../etc"])


# --- the comment --------------------------------------------------------------------------


def sections(body: str) -> list[str]:
    return [line for line in body.splitlines() if line.startswith("### ")]


def test_the_comment_has_one_section_per_shard_failing_first(tmp_path: Path) -> None:
    merged = merge([three_shards(tmp_path)], title="Models", expect=["tabular", "nlp", "vision"])
    body = fit_merged(merged, limit=COMMENT_LIMIT, size=body_size)
    lines = body.splitlines()
    assert lines[0] == "## ❌ Models: FAIL"
    assert lines[1] == "**2 of 3 shards failed: nlp, vision (no results).**"
    assert sections(body) == ["### ❌ nlp: FAIL", "### ❌ vision: FAIL", "### ✅ tabular: PASS"]
    # Each shard's own report, nested: its sub-headings one level down, one marker only.
    assert "#### Gates that did not pass" in lines
    assert lines[-1] == marker("Models")
    assert body.count("<!-- mlci-report:") == 1
    vision = body.split("### ❌ vision: FAIL")[1]
    assert vision.startswith("\n\nno results: the artifact mlci-results-vision (with ")


def big_merge(tmp_path: Path, shards: int, metrics: int, failing: int) -> Merged:
    folder = tmp_path / "artifacts"
    for i in range(shards):
        outcome: Outcome = "fail" if i < failing else "pass"
        results = shard_results(f"s{i:02d}", outcome, metrics=metrics)
        upload(folder, f"s{i:02d}", dataclasses.replace(results, fold_unchanged=False))
    return merge([folder], title="Models")


def test_a_long_report_folds_passing_shards_before_failing_ones(tmp_path: Path) -> None:
    merged = big_merge(tmp_path, shards=6, metrics=400, failing=2)
    full = fit_merged(merged, limit=10**9, size=body_size)
    assert body_size(full) > COMMENT_LIMIT
    body = fit_merged(
        merged,
        limit=COMMENT_LIMIT,
        size=body_size,
        full_report=Md("[the run's artifacts](https://run)"),
    )
    assert body_size(body) <= COMMENT_LIMIT
    assert body.splitlines()[-1] == marker("Models")
    parts = body.split("\n### ")[1:]
    assert len(parts) == 6
    failing, passing = parts[:2], parts[2:]
    # The failing shards keep their whole tables; passing ones shrink first, just enough.
    for part in failing:
        assert part.count("| metrics.json |") == 401
    rows = [part.count("| metrics.json |") for part in passing]
    assert 0 in rows and 401 in rows
    folded = passing[rows.index(0)]
    assert (
        "Left out to fit GitHub's comment size limit: its full report is in its artifact, "
        "mlci-results-s02, in [the run's artifacts](https://run)."
    ) in folded


def test_a_report_too_long_even_folded_is_cut_with_a_link(tmp_path: Path) -> None:
    merged = big_merge(tmp_path, shards=120, metrics=1, failing=120)
    body = fit_merged(
        merged, limit=20_000, size=body_size, full_report=Md("[the run's artifacts](https://run)")
    )
    assert body_size(body) <= 20_000
    assert body.endswith(
        "**… truncated to fit GitHub's comment size limit.** Each shard's full report is in "
        f"its artifact, mlci-results-NAME, in [the run's artifacts](https://run).\n\n{marker('Models')}\n"
    )
    assert body.splitlines()[-1] == marker("Models")
    assert body.count("<!-- mlci-report:") == 1


# --- the shards a base lists in mlci.yaml -------------------------------------------------


def test_the_shards_listed_in_mlci_yaml() -> None:
    config = parse_config(
        "shards:\n"
        "  - {name: tabular, path: models/tabular}\n"
        "  - name: vision\n"
        "    path: ./models/vision/\n"
        "    runs-on: [self-hosted, gpu]\n"
        "  - {name: root}\n"
    )
    assert [(s.name, s.path, s.runs_on) for s in config.shards] == [
        ("tabular", "models/tabular", ("ubuntu-latest",)),
        ("vision", "models/vision", ("self-hosted", "gpu")),
        ("root", ".", ("ubuntu-latest",)),
    ]
    assert config.shards[1].line == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("shards: {a: b}", "mlci.yaml:1: shards: expected a list of shards, got dict"),
        ("shards:\n  - {name: a/b}", "mlci.yaml:2: shards[0].name: 'a/b' is not a shard name"),
        ("shards:\n  - {path: x}", "mlci.yaml:2: shards[0]: missing required key 'name'"),
        (
            "shards:\n  - {name: a}\n  - {name: a}",
            "mlci.yaml:3: shards[1].name: shard a is listed twice",
        ),
        (
            "shards:\n  - {name: a, path: ../other}",
            "mlci.yaml:2: shards[0].path: '../other' must be a folder inside the repository",
        ),
        (
            "shards:\n  - {name: a, path: /etc}",
            "mlci.yaml:2: shards[0].path: '/etc' must be a folder inside the repository",
        ),
        (
            "shards:\n  - {name: a, runs-on: 'x\\n  y'}",
            "mlci.yaml:2: shards[0].runs-on: expected a runner label or a list of them",
        ),
    ],
)
def test_a_bad_shard_list_names_the_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    assert str(info.value).startswith(message)


# --- publishing the merge against the local GitHub server ---------------------------------

TOKEN = "ghs_valid_token"
BASE = "a" * 40
BASE_CONFIG = (
    "report: {title: Models}\n"
    "shards:\n"
    "  - {name: tabular, path: models/tabular}\n"
    "  - {name: nlp, path: models/nlp}\n"
    "  - {name: vision, path: models/vision, runs-on: [self-hosted, gpu]}\n"
)


@pytest.fixture
def gh() -> Iterator[GitHubServer]:
    with GitHubServer() as server:
        yield server
    assert server.server_errors == []


@pytest.fixture
def actions_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gh: GitHubServer) -> Path:
    """The publish job of a pull_request workflow, with the base's mlci.yaml on the server."""
    event = {"pull_request": {"number": 7, "base": {"sha": BASE}, "head": {"sha": HEAD}}}
    (tmp_path / "event.json").write_text(json.dumps(event))
    for name, value in {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
        "GITHUB_REPOSITORY": "octo-org/ml-project",
        "GITHUB_API_URL": gh.url,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "4242",
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "MLCI_GITHUB_BACKOFF": "0.01",
        "MLCI_GITHUB_MAX_WAIT": "5",
    }.items():
        monkeypatch.setenv(name, value)
    gh.add_pull(7, HEAD, BASE)
    gh.add_file(BASE, "mlci.yaml", BASE_CONFIG)
    return tmp_path


def run(
    folder: Path,
    tmp_path: Path,
    *expect: str,
    log: list[str] | None = None,
    options: PublishOptions | None = None,
) -> MergeRun:
    lines = log if log is not None else []
    return run_merge(
        [folder],
        options or PublishOptions(),
        expect=expect,
        report_path=tmp_path / "report.md",
        do_publish=True,
        log=ActionsLog(lines.append, active=True),
    )


def test_the_base_lists_the_shards_and_one_comment_one_status_carry_them(
    gh: GitHubServer, actions_env: Path, tmp_path: Path
) -> None:
    folder = three_shards(tmp_path)  # vision never uploaded
    log: list[str] = []
    first = run(folder, tmp_path, log=log)
    assert first.publish_error is None and first.merged.verdict == "fail"
    [comment] = gh.comments[7]
    assert comment["body"].startswith("## ❌ Models: FAIL\n**2 of 3 shards failed: nlp, vision")
    assert marker("Models") in comment["body"].splitlines()
    [status] = gh.statuses
    assert (status["state"], status["context"]) == ("failure", "mlci/Models")
    assert status["description"] == "fail: 2 of 3 shards failed: nlp, vision (no results)"
    assert (tmp_path / "report.md").read_text() in (tmp_path / "summary.md").read_text()
    assert "verdict=fail\n" in (tmp_path / "output").read_text()
    assert "failed-shards=nlp vision\n" in (tmp_path / "output").read_text()
    assert any(line.startswith("::error title=mlci%3A shard vision failed::") for line in log)
    # vision's job is re-run and uploads; nlp is fixed: the same comment is updated.
    upload(folder, "vision", shard_results("vision"))
    upload(folder, "nlp", shard_results("nlp"))
    second = run(folder, tmp_path)
    assert second.merged.verdict == "pass"
    [updated] = gh.comments[7]
    assert updated["id"] == comment["id"]
    assert updated["body"].startswith("## ✅ Models: PASS\nAll 3 shards passed.")
    assert [s["state"] for s in gh.statuses] == ["failure", "success"]


def test_a_failed_post_keeps_the_report_and_says_so(
    gh: GitHubServer, actions_env: Path, tmp_path: Path
) -> None:
    gh.fail("POST", r"/statuses/", 403)
    done = run(three_shards(tmp_path), tmp_path)
    assert done.publish_error is not None and done.publish_error.exit_code == 4
    assert (tmp_path / "report.md").read_text().startswith("## ❌ Models: FAIL")


def test_a_results_file_that_is_a_link_is_refused_and_linked_folders_are_not_walked(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "artifacts"
    elsewhere = upload(tmp_path / "elsewhere", "nlp", shard_results("nlp"))
    (folder / "mlci-results-nlp").mkdir(parents=True)
    (folder / "mlci-results-nlp" / "mlci-results.json").symlink_to(elsewhere)
    (folder / "mlci-results-vision").symlink_to(tmp_path / "elsewhere" / "mlci-results-nlp")
    merged = merge([folder], title="Models", expect=["nlp", "vision"])
    assert [(s.name, s.verdict, s.results) for s in merged.shards] == [
        ("nlp", "fail", None),
        ("vision", "fail", None),
    ]
    assert (merged.shards[0].problem or "").endswith("is a symbolic link; refused")
    assert (merged.shards[1].problem or "").startswith("no results")


def test_a_check_run_carries_the_merged_verdict(
    gh: GitHubServer, actions_env: Path, tmp_path: Path
) -> None:
    done = run(three_shards(tmp_path), tmp_path, options=PublishOptions(status="check"))
    assert done.publish_error is None and done.status == "failure"
    [check] = gh.check_runs
    assert (check["name"], check["conclusion"], check["head_sha"]) == (
        "mlci/Models",
        "failure",
        HEAD,
    )
    assert check["output"]["title"] == "fail: 2 of 3 shards failed: nlp, vision (no results)"
    assert check["output"]["summary"] == (tmp_path / "report.md").read_text()
    assert gh.statuses == []


@pytest.mark.parametrize(
    "hostile",
    [
        "<!-- mlci-report: models -->",
        "@octo-org/admins please merge",
        "x | y |\n| forged | row |",
        "::error::forged",
        "</details><img src=x>",
    ],
)
def test_a_shards_hostile_strings_stay_inert_in_the_merged_comment(
    tmp_path: Path, hostile: str
) -> None:
    folder = tmp_path / "artifacts"
    results = shard_results("nlp", "fail")
    changes = (*results.metrics, Change("metrics.json", hostile, 1.0, 2.0, 1.0, 100.0, "changed"))
    notes = (hostile,)
    upload(folder, "nlp", dataclasses.replace(results, metrics=changes, notes=notes))
    upload(folder, "tabular", shard_results("tabular"))
    body = fit_merged(merge([folder], title="Models"), limit=COMMENT_LIMIT, size=body_size)
    assert body.count("<!--") == 1 and body.splitlines()[-1] == marker("Models")
    assert "<img" not in body and "</details><" not in body
    prose = re.sub(r"```.*?```", "", body, flags=re.S)  # code blocks render no mention
    assert "@octo-org" not in prose  # a zero-width space after every @
    assert not any(line.startswith("::") for line in body.splitlines())
    assert "| forged | row |" not in prose


def test_from_a_workflow_run_the_pull_request_and_its_base_are_looked_up(
    gh: GitHubServer, actions_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fork-safe pair: the publishing run knows only the triggering run's head."""
    event = {
        "workflow_run": {
            "id": 99,
            "head_sha": HEAD,
            "head_branch": "feature",
            "head_repository": {"owner": {"login": "octo-org"}},
        }
    }
    (tmp_path / "event.json").write_text(json.dumps(event))
    monkeypatch.setenv("GITHUB_EVENT_NAME", "workflow_run")
    done = run(three_shards(tmp_path), tmp_path)
    assert done.publish_error is None
    [comment] = gh.comments[7]
    assert comment["body"].startswith("## ❌ Models: FAIL\n**2 of 3 shards failed: nlp, vision")
    assert gh.statuses[0]["description"] == "fail: 2 of 3 shards failed: nlp, vision (no results)"


def test_a_file_planted_deeper_in_an_artifact_is_not_a_shard(tmp_path: Path) -> None:
    """Only <folder>/mlci-results.json and <folder>/<artifact>/mlci-results.json count:
    a job cannot pass a file further down for another shard's results."""
    folder = three_shards(tmp_path)
    planted = folder / "mlci-results-nlp" / "deeper" / "mlci-results.json"
    planted.parent.mkdir()
    shard_results("tabular", "fail").write(planted)
    merged = merge([folder], title="Models", expect=["tabular", "nlp"])
    assert [(s.name, s.verdict, s.problem) for s in merged.shards] == [
        ("nlp", "fail", None),
        ("tabular", "pass", None),
    ]
    # A single results file (no artifact folders) is read too.
    alone = merge([folder / "mlci-results-tabular"], title="Models")
    assert [s.name for s in alone.shards] == ["tabular"]


def test_merge_says_it_does_not_publish_to_gitlab(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITLAB_CI", "true")
    with pytest.raises(UsageError, match="publishes to GitHub pull requests only"):
        run(three_shards(tmp_path), tmp_path)
    # Without publishing, the merge works anywhere.
    done = run_merge(
        [tmp_path / "artifacts"],
        PublishOptions(),
        expect=["vision"],
        report_path=tmp_path / "report.md",
        do_publish=False,
        log=ActionsLog(print, active=False),
    )
    assert done.merged.verdict == "fail" and (tmp_path / "report.md").is_file()
