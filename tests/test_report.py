"""mlci.render.markdown: escaping hostile strings, number formats, and whole rendered reports."""

from __future__ import annotations

import dataclasses
import html as htmlmod
import re
import string
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from mlci.render.markdown import (
    fmt_change,
    marker,
    render_diff,
    render_markdown,
    render_terminal,
    slug,
)
from mlci.render.text import VERDICT_ICON, Md, escape_md, fmt_value, plain
from mlci.results import Change, GateResult, LoadError, PipelineRun, Results, RevInfo

# --- escape_md -----------------------------------------------------------------------------


def test_pipe_cannot_split_a_cell() -> None:
    assert escape_md("a|b") == r"a\|b"


def test_backslash_before_pipe_cannot_unescape_it() -> None:
    # "a\|b": the backslash is escaped itself, so the pipe stays escaped
    assert escape_md("a\\|b") == "a\\\\\\|b"
    assert escape_md("a\\") == "a\\\\"


def test_html_becomes_inert() -> None:
    out = escape_md("<img src=x onerror=alert(1)>")
    assert out == "&lt;img src=x onerror=alert(1)&gt;"
    assert "<" not in out
    assert ">" not in out


def test_entities_are_not_interpreted() -> None:
    assert escape_md("&lt;script&gt;") == "&amp;lt;script&amp;gt;"


def test_image_cannot_form() -> None:
    out = escape_md("![x](http://evil/p.png)")
    assert out == r"\!\[x\](http://evil/p.png)"
    assert "![" not in out


def test_link_cannot_form() -> None:
    assert escape_md("[click](http://evil)") == r"\[click\](http://evil)"


def test_mention_is_broken() -> None:
    assert escape_md("@octocat") == "@&#8203;octocat"
    assert escape_md("hi @org/team and @x") == "hi @&#8203;org/team and @&#8203;x"


def test_issue_reference_is_broken() -> None:
    assert "#&#8203;123" in escape_md("#123")


def test_marker_cannot_be_forged() -> None:
    out = escape_md("<!-- mlci-report: model-report -->")
    assert out == r"&lt;\!-- mlci-report: model-report --&gt;"
    assert "<!--" not in out


@pytest.mark.parametrize(
    "text",
    ["line1\nline2\nline3", "line1\r\nline2\rline3", "line1\u2028line2\x85line3"],
)
def test_newlines_collapse_to_one_line(text: str) -> None:
    assert escape_md(text) == "line1 line2 line3"


def test_trailing_newline_leaves_no_space() -> None:
    assert escape_md("a\n") == "a"


def test_control_and_bidi_characters_are_dropped() -> None:
    assert escape_md("\x1b[31mred\x1b[0m") == r"\[31mred\[0m"
    assert escape_md("a\x00b\x07c\x7fd") == "abcd"
    assert escape_md("evil\u202etxt.exe\u2066x\u2069") == "eviltxt.exex"
    assert escape_md("a\tb") == "a\tb"  # a tab is harmless


def test_long_strings_are_truncated() -> None:
    out = escape_md("x" * 400)
    assert out == "x" * 299 + "…"
    assert len(out) == 300
    assert escape_md("y" * 300) == "y" * 300  # at the limit: untouched


def test_truncation_happens_before_escaping() -> None:
    out = escape_md("<" * 400)
    assert out == "&lt;" * 299 + "…"
    assert "<" not in out


_GFM = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_TAG = re.compile(r"<[^>]+>")


def seen_in_a_table_cell(markdown: str) -> str:
    """The text a reader sees when ``markdown`` is rendered (GitHub-flavoured, as by
    markdown-it) in the one cell of a table: tags dropped, entities decoded."""
    html = _GFM.render(f"| h |\n| - |\n| {markdown} |\n")
    cells = re.findall(r"<td>(.*?)</td>", html, re.DOTALL)
    assert len(cells) == 1, html  # an unescaped | would have made two
    assert not _TAG.search(cells[0]), html  # no emphasis, link, code, strike...
    return htmlmod.unescape(cells[0]).replace("\u200b", "")


@pytest.mark.parametrize("char", string.punctuation)
def test_every_punctuation_character_renders_as_itself(char: str) -> None:
    for text in (f"a{char}b", f"{char}x{char}", f"{char}{char}x{char}{char}", f"[x{char}](y)"):
        assert seen_in_a_table_cell(escape_md(text)) == text


def test_escape_md_inputs() -> None:
    assert escape_md(None) == ""
    assert escape_md(1.5) == "1.5"
    assert isinstance(escape_md("x"), Md)
    safe = Md("<sub>ok</sub>")
    assert escape_md(safe) is safe


# --- plain (terminal) ----------------------------------------------------------------------


def test_plain_drops_ansi_and_bidi() -> None:
    assert plain("\x1b[31mred\x1b[0m") == "[31mred[0m"
    assert plain("a\u202eb") == "ab"
    assert plain(None) == ""
    # A line break is shown, never obeyed: a PR value cannot start a line of its own.
    assert plain("keeps\nnewlines\r\u2028\tand tabs") == "keeps\\nnewlines\\r\\n\tand tabs"


def test_plain_drops_c1_controls() -> None:
    assert plain("a\x9b31mb\x9d") == "a31mb"


# --- fmt_value / fmt_change ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "—"),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (12345678901, "12345678901"),
        (0.0, "0"),
        (-0.0, "-0"),
        (2.0, "2"),
        (0.5, "0.5"),
        (-0.25, "-0.25"),
        (0.123456789, "0.12346"),
        (123456.789, "123456.789"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (-1e-7, "-1e-07"),
        (1e9, "1e+09"),
        (123456789.0, "123456789"),
        (float("inf"), "inf"),
        (float("-inf"), "-inf"),
        (float("nan"), "nan"),
        ("text", "text"),
        ("", ""),
    ],
)
def test_fmt_value(value: object, text: str) -> None:
    assert fmt_value(value) == text  # type: ignore[arg-type]


def make_change(
    base: object, head: object, change: float | None, pct: float | None, status: str
) -> Change:
    return Change("m.json", "k", base, head, change, pct, status)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "text"),
    [
        (
            make_change(0.9, 0.85, -0.05000000000000004, -5.555555555556, "changed"),
            "▼ -0.05 (-5.56%)",
        ),
        (make_change(1, 3, 2, 200.0, "changed"), "▲ +2 (+200.00%)"),
        (make_change(0, 0.5, 0.5, None, "changed"), "▲ +0.5"),
        (make_change(0.5, 0.5, 0.0, 0.0, "unchanged"), "0"),
        (make_change("x", "y", None, None, "changed"), ""),
        (make_change(None, 1, None, None, "new"), "new"),
        (make_change(1, None, None, None, "removed"), "removed"),
        (make_change(1.0, 1.00001, 1e-05, 0.001, "changed"), "▲ +1e-05 (+0.00%)"),
    ],
)
def test_fmt_change(change: Change, text: str) -> None:
    assert fmt_change(change) == text


# --- marker / slug -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Model report", "model-report"),
        ("  Hello, World! ", "hello-world"),
        ("a--b__c", "a-b-c"),
        ("Churn v2.1", "churn-v2-1"),
        ("!!!", "report"),
        ("", "report"),
        ("x --> <!-- y", "x-y"),
    ],
)
def test_slug(title: str, expected: str) -> None:
    assert slug(title) == expected


def test_marker() -> None:
    assert marker("Model report") == "<!-- mlci-report: model-report -->"
    assert marker("x --> <script>") == "<!-- mlci-report: x-script -->"


# --- a whole hostile report ----------------------------------------------------------------

M = "metrics.json"
EVIL_FILE = "ev|il<b>.json"
IMG_KEY = "acc|<img src=x onerror=alert(1)>"
ESC_KEY = "\x1b[31mred\x1b[0m"
FORGED = "<!-- mlci-report: model-report -->"
EVIL_REASON = f"cannot read x|<y>.json at head: <img src=x> | @octocat {FORGED}"


def hostile_results(fold: bool = True, title: str = "Model report") -> Results:
    metrics = (
        Change(EVIL_FILE, "![x](http://evil/p.png)", 0.5, 0.5, 0.0, 0.0, "unchanged"),
        Change(M, ESC_KEY, 0.5, 0.6, 0.1, 20.0, "changed"),
        Change(M, "@octocat", 2, 2, 0, 0.0, "unchanged"),
        Change(M, "a\\|b", 1.0, 1.0, 0.0, 0.0, "unchanged"),
        Change(M, IMG_KEY, 0.9, 0.8, -0.1, -11.11111, "changed"),
        Change(M, "gone", 0.3, None, None, None, "removed"),
        Change(M, "line1\nline2 | x", None, 3, None, None, "new"),
        Change(M, "note", "ok", FORGED, None, None, "changed"),
        Change(M, "stable", 1.0, 1.0, 0.0, 0.0, "unchanged"),
    )
    gates = (
        GateResult(
            key=IMG_KEY,
            file=M,
            rule="acc*: drop ≤ 0.01",
            check="max_drop",
            outcome="fail",
            reason="dropped by 0.1 (0.9 → 0.8), allowed 0.01",
            severity="fail",
            source="base",
            line=3,
        ),
        GateResult(
            key="stable",
            file=M,
            rule="stable: ≥ 0.5",
            check="min",
            outcome="pass",
            reason="1 ≥ min 0.5",
            severity="fail",
            source="base",
        ),
        GateResult(
            key="gone",
            file=M,
            rule="gone: ≥ 0.1",
            check="present",
            outcome="warn",
            reason="present at base (0.3) but missing at head",
            severity="warn",
            source="head",
        ),
        GateResult(
            key="*",
            file="x|<y>.json",
            rule="metrics files must be readable",
            check="readable",
            outcome="fail",
            reason=EVIL_REASON,
            severity="fail",
            source="mlci",
        ),
    )
    return Results(
        title=title,
        verdict="fail",
        base=RevInfo("main|<x>", "a" * 40),
        head=RevInfo("feat/@octocat<script>\x1b[2J", "b" * 40),
        metrics=metrics,
        params=(
            Change(
                "params.yaml", "train.C", 1.0, "<script>alert(1)</script>|x", None, None, "changed"
            ),
            Change("params.yaml", "train.seed", 1, 1, 0, 0.0, "unchanged"),
        ),
        gates=gates,
        errors=(LoadError("head", "x|<y>.json", "bad <json> | @x \x1b[1m"),),
        notes=(f"note <b>| {FORGED}",),
        pipeline=PipelineRun(
            pulled=True, reproduced=("train|<i>",), skipped=("pull skipped: <no remote>",)
        ),
        fold_unchanged=fold,
        mlci_version="0.1.0",
    )


_SEPARATOR = re.compile(r"(?<!\\)((?:\\\\)*)\|")


def separators(line: str) -> int:
    """Cell separators: pipes preceded by an even number of backslashes."""
    return len(_SEPARATOR.findall(line))


def section(markdown: str, heading: str) -> list[str]:
    """The table lines ('|...') of the section that starts with ``heading``."""
    lines = markdown.splitlines()
    start = lines.index(heading)
    rows = []
    for line in lines[start + 1 :]:
        if line.startswith("#"):
            break
        if line.startswith("|"):
            rows.append(line)
    return rows


def table_after(markdown: str, header: str) -> list[str]:
    lines = markdown.splitlines()
    start = lines.index(header)
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def test_separators_helper() -> None:
    assert separators("| a | b |") == 3
    assert separators(r"| a\|b |") == 2
    assert separators(r"| a\\|b |") == 3
    assert separators(r"| a\\\|b |") == 2


def test_markdown_first_line_carries_the_verdict() -> None:
    out = render_markdown(hostile_results())
    first, second = out.splitlines()[:2]
    assert first == "## ❌ Model report: FAIL"
    assert second == "**2 of 4 failed, 1 warned (4 gate checks).**"


def test_markdown_metrics_table_rows_keep_their_cells() -> None:
    out = render_markdown(hostile_results())
    header = "| File | Metric | Base | Head | Change | Gate | Status |"
    rows = table_after(out, header)
    assert rows[1] == "|---|---|--:|--:|--:|---|:-:|"
    assert len(rows) == 2 + 5  # header, alignment, five metrics that changed
    for row in rows:
        assert separators(row) == 8, row
    assert (
        r"| metrics.json | acc\|&lt;img src=x onerror=alert(1)&gt; | 0.9 | 0.8 "
        "| ▼ -0.1 (-11.11%) | drop ≤ 0.01 | ❌ |"
    ) in rows
    assert "| metrics.json | line1 line2 \\| x | — | 3 | new |  |  |" in rows
    assert "| metrics.json | \\[31mred\\[0m | 0.5 | 0.6 | ▲ +0.1 (+20.00%) |  |  |" in rows
    assert "| metrics.json | gone | 0.3 | — | removed | ≥ 0.1 | ⚠️ |" in rows
    assert (
        r"| metrics.json | note | ok | &lt;\!-- mlci-report: model-report --&gt; |  |  "
        "| not numeric |"
    ) in rows


def test_markdown_every_table_keeps_its_cells() -> None:
    out = render_markdown(hostile_results(fold=True))
    tables = {
        "| | Metric | Rule | Why |": 5,
        "| File | Metric | Base | Head | Change | Gate | Status |": 8,
        "| File | Metric | Value | Gate | Status |": 6,
        "| File | Param | Base | Head |": 5,
    }
    for header, count in tables.items():
        rows = table_after(out, header)
        assert len(rows) >= 3, header
        for row in rows:
            assert separators(row) == count, row
    # every line that starts a table row belongs to one of these tables
    table_lines = sum(len(table_after(out, header)) for header in tables)
    assert table_lines == sum(1 for line in out.splitlines() if line.startswith("|"))


_TEMPLATE_TAGS = re.compile(r"</?(sub|details|summary)>")


def test_markdown_no_raw_html_from_hostile_strings() -> None:
    for fold in (True, False):
        out = render_markdown(hostile_results(fold=fold))
        body = out.rstrip("\n")
        assert body.endswith("\n<!-- mlci-report: model-report -->")
        body = body.removesuffix("<!-- mlci-report: model-report -->")
        assert "<" not in _TEMPLATE_TAGS.sub("", body)
        assert ">" not in _TEMPLATE_TAGS.sub("", body).replace("→", "")
        assert "<img" not in out
        assert "<script" not in out
        assert "![" not in out
        assert "@octocat" not in out
        assert "@&#8203;octocat" in out
        assert "\x1b" not in out


def test_markdown_only_the_real_marker() -> None:
    out = render_markdown(hostile_results())
    assert out.count("<!-- mlci-report:") == 1
    assert out.count("mlci-report: model-report -->") == 1
    assert out.count(r"&lt;\!-- mlci-report: model-report --&gt;") == 3  # metric, reason, note
    assert out.splitlines()[-1] == "<!-- mlci-report: model-report -->"


def test_markdown_hostile_title_cannot_forge_a_marker() -> None:
    title = "Report <!-- mlci-report: other --> @octocat"
    out = render_markdown(hostile_results(title=title))
    assert out.count("<!-- mlci-report:") == 1
    assert out.splitlines()[0] == (
        r"## ❌ Report &lt;\!-- mlci-report: other --&gt; @&#8203;octocat: FAIL"
    )
    assert out.splitlines()[-1] == "<!-- mlci-report: report-mlci-report-other-octocat -->"


def test_markdown_branch_names_are_escaped() -> None:
    out = render_markdown(hostile_results())
    assert (
        r"Comparing **feat/@&#8203;octocat&lt;script&gt;\[2J** (`bbbbbbb`) "
        r"with base **main\|&lt;x&gt;** (`aaaaaaa`)."
    ) in out.splitlines()


def test_markdown_folds_unchanged_metrics() -> None:
    out = render_markdown(hostile_results(fold=True))
    assert "<details><summary>4 unchanged metrics</summary>" in out
    details = out.index("<details>")
    end = out.index("</details>")
    for row in (
        r"| ev\|il&lt;b&gt;.json | \!\[x\](http://evil/p.png) | 0.5 |  |  |",
        "| metrics.json | @&#8203;octocat | 2 |  |  |",
        r"| metrics.json | a\\\|b | 1 |  |  |",
        "| metrics.json | stable | 1 | ≥ 0.5 | ✅ |",
    ):
        assert details < out.index(row) < end, row
    main_table = table_after(out, "| File | Metric | Base | Head | Change | Gate | Status |")
    assert not any("stable" in row for row in main_table)


def test_markdown_does_not_fold_when_asked_not_to() -> None:
    out = render_markdown(hostile_results(fold=False))
    assert "<details>" not in out
    assert "unchanged metric" not in out
    main_table = table_after(out, "| File | Metric | Base | Head | Change | Gate | Status |")
    assert len(main_table) == 2 + 9
    assert "| metrics.json | stable | 1 | 1 | 0 | ≥ 0.5 | ✅ |" in main_table


def test_markdown_failing_gates_section() -> None:
    out = render_markdown(hostile_results())
    rows = section(out, "### Gates that did not pass")
    assert rows == [
        "| | Metric | Rule | Why |",
        "|---|---|---|---|",
        r"| ❌ | acc\|&lt;img src=x onerror=alert(1)&gt; <sub>metrics.json</sub> "
        r"| acc\*: drop ≤ 0.01 | dropped by 0.1 (0.9 → 0.8), allowed 0.01 |",
        r"| ❌ | \* <sub>x\|&lt;y&gt;.json</sub> | metrics files must be readable "
        r"| cannot read x\|&lt;y&gt;.json at head: &lt;img src=x&gt; \| @&#8203;octocat "
        r"&lt;\!-- mlci-report: model-report --&gt; |",
        "| ⚠️ | gone <sub>metrics.json</sub> | gone: ≥ 0.1 <sub>(PR's mlci.yaml)</sub> "
        "| present at base (0.3) but missing at head |",
    ]


def test_markdown_params_and_notes() -> None:
    out = render_markdown(hostile_results())
    assert section(out, "### Params") == [
        "| File | Param | Base | Head |",
        "|---|---|--:|--:|",
        r"| params.yaml | train.C | 1 | &lt;script&gt;alert(1)&lt;/script&gt;\|x |",
    ]
    assert "1 unchanged param not shown." in out
    lines = out.splitlines()
    notes = lines[lines.index("### Notes") + 2 : lines.index("### Notes") + 6]
    assert notes == [
        r"- Could not read x\|&lt;y&gt;.json at head: bad &lt;json&gt; \| @&#8203;x \[1m",
        r"- note &lt;b&gt;\| &lt;\!-- mlci-report: model-report --&gt;",
        r"- Re-ran the DVC pipeline: train\|&lt;i&gt;.",
        "- pull skipped: &lt;no remote&gt;",
    ]


def test_markdown_passing_report() -> None:
    results = dataclasses.replace(
        hostile_results(),
        verdict="pass",
        gates=(hostile_results().gates[1],),
        errors=(),
        notes=(),
        pipeline=None,
    )
    out = render_markdown(results)
    assert out.splitlines()[:2] == [
        "## ✅ Model report: PASS",
        "The only check passed (1 gate check).",
    ]
    assert "### Gates that did not pass" not in out
    assert "### Notes" not in out


def test_markdown_nothing_gated() -> None:
    results = dataclasses.replace(
        hostile_results(), verdict="pass", gates=(), errors=(), metrics=(), params=()
    )
    out = render_markdown(results)
    assert out.splitlines()[:2] == ["## ✅ Model report: PASS", "Nothing is gated."]
    assert "No metrics found at base or head." in out
    assert "No param changed." in out


def test_markdown_warn_report() -> None:
    results = dataclasses.replace(
        hostile_results(), verdict="warn", gates=(hostile_results().gates[2],), errors=()
    )
    out = render_markdown(results)
    assert out.splitlines()[:2] == [
        "## ⚠️ Model report: WARN",
        "Nothing failed, 1 of 1 warned (1 gate check).",
    ]


# --- terminal ------------------------------------------------------------------------------


def test_terminal_report() -> None:
    out = render_terminal(hostile_results())
    lines = out.splitlines()
    assert lines[0] == (
        "Model report: FAIL  (feat/@octocat<script>[2J bbbbbbb vs main|<x> aaaaaaa)"
    )
    assert lines[1] == "2 of 4 failed, 1 warned (4 gate checks)"
    assert "(4 unchanged metrics not shown)" in lines
    start = lines.index("Gates that did not pass:")
    assert lines[start + 1 : start + 4] == [
        f"  FAIL  metrics.json:{IMG_KEY}  [acc*: drop ≤ 0.01]  "
        "dropped by 0.1 (0.9 → 0.8), allowed 0.01",
        f"  FAIL  x|<y>.json:*  [metrics files must be readable]  {EVIL_REASON}",
        "  WARN  metrics.json:gone  [gone: ≥ 0.1]  present at base (0.3) but missing at head",
    ]
    assert "note: could not read x|<y>.json at head: bad <json> | @x [1m" in lines


@pytest.mark.parametrize("fold", [True, False])
def test_terminal_has_no_escape_characters(fold: bool) -> None:
    results = hostile_results(fold=fold)
    assert "\x1b" in results.metrics[1].key
    out = render_terminal(results)
    assert "\x1b" not in out
    assert "[31mred[0m" in out
    assert "\x1b" not in render_terminal(results, "diff.txt.j2")


def test_terminal_unfolded_shows_every_metric() -> None:
    out = render_terminal(hostile_results(fold=False))
    assert "unchanged metric" not in out
    assert "stable" in out


def test_terminal_table_stays_aligned_with_ansi_in_a_key() -> None:
    results = dataclasses.replace(
        hostile_results(),
        metrics=(
            Change(M, ESC_KEY, 0.5, 0.6, 0.1, 20.0, "changed"),
            Change(M, "plainkey", 0.5, 0.6, 0.1, 20.0, "changed"),
        ),
        gates=(),
        errors=(),
        notes=(),
    )
    lines = render_terminal(results).splitlines()
    header = next(line for line in lines if line.startswith("file "))
    column = header.index("base")
    rows = [line for line in lines if line.startswith(M)]
    assert len(rows) == 2
    assert [row.index("0.5") for row in rows] == [column, column]


def test_rendering_writes_no_template_cache_a_later_job_could_be_fed_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Jinja's bytecode caches live under the user's cache folder or the temp folder;
    # a compiled template left there by one job could be swapped for the next one's.
    for name in ("XDG_CACHE_HOME", "TMPDIR", "TEMP", "TMP"):
        folder = tmp_path / name
        folder.mkdir()
        monkeypatch.setenv(name, str(folder))
    results = hostile_results()
    first = render_markdown(results)
    assert render_markdown(results) == first
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_notes_without_a_pipeline_render() -> None:
    """A results file may hold notes and errors with `pipeline: null` (the schema allows
    it): `mlci publish` must render it, not crash in the template."""
    results = dataclasses.replace(hostile_results(), pipeline=None)
    body = render_markdown(results)
    assert "bad &lt;json&gt;" in body
    assert "Re-ran the DVC pipeline" not in body


@pytest.mark.parametrize(
    "odd_cell",
    [
        "plain",  # every cell printable: the whole table is escaped at once
        "two\nlines",
        "tab\there",
        "\x1b[31mred",
        "x" * 400,  # cut to length
    ],
)
def test_a_metric_table_escapes_every_cell_as_escape_md_does(odd_cell: str) -> None:
    keys = ["a|b", "x`y", "<img src=x>", "@user", "#12", "**bold**", "~!{}_\\", "é", odd_cell]
    metrics = tuple(
        Change("m|.json", key, 0.5, 0.5 + i, float(i), None, "changed")
        for i, key in enumerate(keys)
    )
    results = Results(
        title="t",
        verdict="pass",
        base=RevInfo("main", "a" * 40),
        head=RevInfo("feature", "b" * 40),
        metrics=metrics,
        params=(),
        gates=(),
        errors=(),
        notes=(),
        pipeline=None,
    )
    rows = [
        f"| {escape_md(c.file)} | {escape_md(c.key)} | {escape_md(fmt_value(c.base))} "
        f"| {escape_md(fmt_value(c.head))} | {escape_md(fmt_change(c))} |"
        for c in metrics
    ]
    assert "\n".join(rows) in render_diff(results, "md")
    # The icons in the status column are left as they are by the escaping.
    assert all(escape_md(icon) == icon for icon in VERDICT_ICON.values())
