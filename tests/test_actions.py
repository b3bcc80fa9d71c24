"""The Actions runtime: event payloads, step outputs, summaries, workflow commands."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from mlci.errors import UsageError
from mlci.forge import COMMENT_LIMIT, body_size, fit_comment
from mlci.github import actions
from mlci.render.markdown import Report, marker
from mlci.results import Change, GateResult, Results, RevInfo

SHA_A, SHA_B, SHA_M = "a" * 40, "b" * 40, "c" * 40


def env_for(tmp_path: Path, event_name: str, event: dict[str, Any]) -> dict[str, str]:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(path),
        "GITHUB_REPOSITORY": "octo-org/ml-project",
        "GITHUB_API_URL": "http://127.0.0.1:9/",
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_RUN_ID": "42",
        "GITHUB_SHA": SHA_M,
    }


def test_pull_request_context_uses_base_and_head_not_the_merge_commit(tmp_path: Path) -> None:
    event = {"pull_request": {"number": 7, "base": {"sha": SHA_A}, "head": {"sha": SHA_B}}}
    context = actions.read_context(env_for(tmp_path, "pull_request", event))
    assert (context.pr_number, context.base_sha, context.head_sha) == (7, SHA_A, SHA_B)
    assert context.sha == SHA_M
    assert context.api_url == "http://127.0.0.1:9"
    assert context.run_url == "https://github.example/octo-org/ml-project/actions/runs/42"


def test_push_context_compares_with_before(tmp_path: Path) -> None:
    context = actions.read_context(env_for(tmp_path, "push", {"before": SHA_A, "after": SHA_B}))
    assert (context.pr_number, context.base_sha, context.head_sha) == (None, SHA_A, SHA_B)
    first_push = actions.read_context(
        env_for(tmp_path, "push", {"before": "0" * 40, "after": SHA_B})
    )
    assert first_push.base_sha is None


def test_workflow_run_context_posts_to_the_runs_head(tmp_path: Path) -> None:
    event = {"workflow_run": {"head_sha": SHA_B, "id": 99}}
    context = actions.read_context(env_for(tmp_path, "workflow_run", event))
    assert (context.pr_number, context.head_sha) == (None, SHA_B)


def test_missing_repository_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as info:
        actions.read_context({})
    assert str(info.value) == (
        "GITHUB_REPOSITORY is not set (expected owner/name)\n"
        "  hint: run `mlci ci` as a GitHub Actions step, or use `mlci check` locally"
    )


def test_bad_event_file(tmp_path: Path) -> None:
    env = env_for(tmp_path, "pull_request", {})
    Path(env["GITHUB_EVENT_PATH"]).write_text("{nope")
    with pytest.raises(UsageError, match=r"GITHUB_EVENT_PATH .* is not valid JSON"):
        actions.read_context(env)


def test_outputs_single_and_multi_line(tmp_path: Path) -> None:
    out = tmp_path / "output"
    out.write_text("earlier=1\n")
    actions.write_outputs(str(out), {"verdict": "fail", "report": "line 1\nline 2\n"})
    text = out.read_text()
    assert text.startswith("earlier=1\nverdict=fail\nreport<<mlci_")
    found = re.search(r"report<<(mlci_[0-9a-f]{32})\n", text)
    assert found is not None
    delimiter = found.group(1)
    assert text.endswith(f"\nline 1\nline 2\n\n{delimiter}\n")


def test_workflow_commands_escape_data() -> None:
    lines: list[str] = []
    log = actions.ActionsLog(lines.append, active=True)
    log.mask("s3cr%t\nx")
    with log.group("dvc repro\n::error::forged"):
        log.text("inside")
    token = lines[2].removeprefix("::stop-commands::")
    assert lines == [
        "::add-mask::s3cr%25t%0Ax",
        "::group::dvc repro%0A::error::forged",
        f"::stop-commands::{token}",
        "inside",
        f"::{token}::",
        "::endgroup::",
    ]


def test_untrusted_text_is_fenced_with_a_fresh_token_each_time() -> None:
    """PR text (here a metric key with a line break, as DVC or the report would print it)
    goes out between ::stop-commands::<token> and ::<token>::, a new random token for
    each stretch; nested stretches share the outer fence."""
    lines: list[str] = []
    log = actions.ActionsLog(lines.append, active=True)
    log.text("acc\n::error::forged\n::add-mask::x")
    with log.untrusted():
        log.text("line 1")
        with log.untrusted():
            log.text("::set-output name=verdict::pass")
    first = re.fullmatch(r"::stop-commands::([0-9a-f]{32})", lines[0])
    second = re.fullmatch(r"::stop-commands::([0-9a-f]{32})", lines[3])
    assert first and second and first[1] != second[1]
    assert lines == [
        lines[0],
        "acc\n::error::forged\n::add-mask::x",
        f"::{first[1]}::",
        lines[3],
        "line 1",
        "::set-output name=verdict::pass",
        f"::{second[1]}::",
    ]


def test_fence_is_closed_when_the_stretch_fails() -> None:
    lines: list[str] = []
    log = actions.ActionsLog(lines.append, active=True)
    with pytest.raises(ValueError), log.group("dvc repro"):
        log.text("stage output")
        raise ValueError("stage failed")
    token = lines[1].removeprefix("::stop-commands::")
    assert lines[2:] == ["stage output", f"::{token}::", "::endgroup::"]
    log.command("::error::after")  # commands work again
    assert lines[-1] == "::error::after"


def test_own_commands_are_refused_inside_an_untrusted_stretch() -> None:
    """They would be ignored there: mlci's commands are structurally outside the fences."""
    written: list[str] = []
    log = actions.ActionsLog(written.append, active=True)
    with log.untrusted(), pytest.raises(RuntimeError, match="untrusted stretch"):
        log.command("::error::x")


def test_outside_actions_nothing_is_fenced_and_no_command_is_written() -> None:
    """A local terminal would only show them (`::add-mask::` with the token in it)."""
    lines: list[str] = []
    log = actions.ActionsLog.from_env(lines.append, {})
    log.mask("ghs_secret")
    with log.group("dvc repro"):
        log.text("stage output")
    log.command("::error::x")
    assert lines == ["stage output"]


def gate(key: str, outcome: str, line: int | None = 4) -> GateResult:
    return GateResult(
        key,
        "metrics.json",
        f"{key}: ≥ 0.9",
        "min",
        outcome,  # type: ignore[arg-type]
        "0.8 < min 0.9",
        "fail",
        "base",
        line,
    )


def results_with(gates: tuple[GateResult, ...] = (), metrics: tuple[Change, ...] = ()) -> Results:
    return Results(
        title="Model report",
        verdict="fail",
        base=RevInfo("main", SHA_A),
        head=RevInfo("feature", SHA_B),
        metrics=metrics,
        params=(),
        gates=gates,
        errors=(),
        notes=(),
        pipeline=None,
    )


def test_annotations_point_at_mlci_yaml_and_are_capped() -> None:
    gates = (*tuple(gate(f"m{i}", "fail") for i in range(15)), gate("w,x:y", "warn", None))
    lines = actions.annotation_lines(results_with(gates), "mlci.yaml")
    errors = [line for line in lines if line.startswith("::error")]
    assert len(errors) == actions.MAX_ANNOTATIONS
    assert errors[0] == "::error file=mlci.yaml,line=4,title=mlci%3A m0::m0: ≥ 0.9: 0.8 < min 0.9"
    assert lines[-1] == "::warning title=mlci%3A w%2Cx%3Ay::w,x:y: ≥ 0.9: 0.8 < min 0.9"


def test_summary_is_appended_and_capped(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    actions.append_summary(str(summary), "# first\n")
    actions.append_summary(str(summary), "x" * (2 * actions.SUMMARY_LIMIT))
    data = summary.read_bytes()
    assert data.startswith(b"# first\n")
    assert len(data) <= actions.SUMMARY_LIMIT
    assert data.rstrip().endswith(b"(truncated to fit the job summary)")


def many_metrics(count: int, changed: bool) -> tuple[Change, ...]:
    return tuple(
        Change(
            "metrics.json",
            f"per_class.class_{i:05d}.recall_with_a_long_name",
            0.5,
            0.6 if changed else 0.5,
            0.1 if changed else 0.0,
            20.0 if changed else 0.0,
            "changed" if changed else "unchanged",
        )
        for i in range(count)
    )


def test_comment_fits_by_leaving_out_unchanged_rows_first() -> None:
    results = results_with(metrics=many_metrics(3000, changed=False))
    body = fit_comment(Report(results))
    assert body_size(body) <= COMMENT_LIMIT
    assert "3000 unchanged metrics left out to fit GitHub's comment size limit." in body
    assert body.rstrip().endswith(marker("Model report"))


def test_comment_is_truncated_with_a_pointer_when_folding_is_not_enough() -> None:
    results = results_with(metrics=many_metrics(3000, changed=True))
    body = fit_comment(Report(results), full_report="the job summary")
    assert body_size(body) <= COMMENT_LIMIT
    assert body.splitlines()[0] == "## ❌ Model report: FAIL"
    assert (
        "**… truncated to fit GitHub's comment size limit.** The full report is in the "
        "job summary." in body
    )
    assert body.rstrip().endswith(marker("Model report"))
    assert body.count("<!-- mlci-report:") == 1


def test_one_report_renders_each_variant_once_whatever_asks_for_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """report.md, the job summary, the step output, the comment's fitting and the check
    run's summary all ask one Report: each of its variants is rendered at most once, and
    the table rows are built once for all of them."""
    import jinja2

    from mlci.forge import utf8_size
    from mlci.render import markdown

    renders: list[str | None] = []
    rows: list[int] = []
    real_render, real_rows = jinja2.Template.render, markdown._rows

    def counting_render(self: jinja2.Template, *args: object, **kwargs: object) -> str:
        renders.append(self.name)
        return real_render(self, *args, **kwargs)

    def counting_rows(results: Results) -> list[object]:
        rows.append(1)
        return list(real_rows(results))

    monkeypatch.setattr(jinja2.Template, "render", counting_render)
    monkeypatch.setattr(markdown, "_rows", counting_rows)
    report = Report(results_with(metrics=many_metrics(3000, changed=True)))
    for _ in range(2):
        report.markdown()  # report.md, then the summary and the step output
        fit_comment(report)  # too long: tries every smaller variant, then cuts
        fit_comment(report, limit=65535, size=utf8_size)  # the check run's summary
    assert renders == ["comment.md.j2"] * 3
    assert rows == [1]


def test_retry_after_is_seconds_a_date_or_a_minute_when_garbled() -> None:
    """Both forges' clients wait what Retry-After says; a header that is neither a number
    nor an HTTP date means a minute, never an exception that ends the run."""
    import email.utils
    import time

    from mlci.forge import retry_after_seconds

    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("-3") == 0.0
    soon = email.utils.formatdate(time.time() + 120, usegmt=True)
    assert 100 < retry_after_seconds(soon) <= 121
    assert retry_after_seconds("in a while") == 60.0
