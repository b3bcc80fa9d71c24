"""mlci.render.charts (Mermaid charts, Markdown tables), mlci.render.html and mlci.dvc.plotdata."""

from __future__ import annotations

import base64
import dataclasses
import math
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import Repo, make_results

from mlci import dvc
from mlci.render import html as report_html
from mlci.render.charts import (
    Confusion,
    Curve,
    ImagePlot,
    Plots,
    axis_number,
    common_grid,
    confusion_markdown,
    downsample,
    mermaid_curve,
    mermaid_text,
    metrics_bar,
    resample,
)
from mlci.render.html import render_html, script_json
from mlci.render.markdown import render_markdown
from mlci.results import Change

LOSS = Curve(
    id="plots/loss.csv",
    title="Training loss",
    x_label="Epoch",
    y_label="Loss",
    x="step",
    y="loss",
    base=((0, 1.0), (1, 0.5), (2, 0.25), (3, 0.125), (4, 0.0625)),
    head=((0, 1.0), (2, 0.2), (4, 0.05)),
)


def mermaid_lines(block: str) -> list[str]:
    """The lines between the fences of the one Mermaid block in ``block``."""
    assert block.count("```") == 2
    inside = re.fullmatch(r"```mermaid\n(.*?)\n```\n.*", block, re.DOTALL)
    assert inside, block
    return inside.group(1).split("\n")


# --- numbers and resampling ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0"),
        (1.0, "1"),
        (0.83333333, "0.8333"),
        (-0.5, "-0.5"),
        (12346.0, "12350"),
        (12346, "12346"),  # an int exactly
        (100000.0, "100000"),
        (0.00001234, "0.00001234"),
        (-0.00001, "-0.00001"),
        (float("nan"), "0"),
    ],
)
def test_numbers_are_compact_and_never_exponents(value: float, text: str) -> None:
    assert axis_number(value) == text


def test_a_step_is_read_along_its_upper_edge_and_held_past_the_ends() -> None:
    roc = ((0.0, 0.0), (0.0, 0.5), (0.25, 0.75), (1.0, 1.0))
    assert resample(roc, (-1.0, 0.0, 0.125, 1.0, 2.0)) == (0.0, 0.5, 0.625, 1.0, 1.0)


def test_evenly_spaced_data_is_its_own_grid() -> None:
    assert common_grid([LOSS.base or (), LOSS.head or ()], 40) == (0, 1, 2, 3, 4)
    assert common_grid([((0, 1), (10, 2), (11, 3))], 4) == (0, 11 / 3, 22 / 3, 11)
    assert common_grid([], 40) == ()


def test_downsample_keeps_the_ends_and_at_most_max_points() -> None:
    points = tuple((float(i), float(i)) for i in range(1000))
    kept = downsample(points, 7)
    assert len(kept) == 7
    assert kept[0] == points[0]
    assert kept[-1] == points[-1]
    assert downsample(points[:5], 7) == points[:5]


# --- Mermaid curves ------------------------------------------------------------------------


def test_known_curve_pair_gives_this_exact_chart() -> None:
    # Head is sampled every other epoch: it is interpolated at 1 and 3 (0.6, 0.125).
    assert mermaid_curve(LOSS) == (
        "```mermaid\n"
        '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#8b949e, #1f6feb"}}}}%%\n'
        "xychart-beta\n"
        '    title "Training loss"\n'
        '    x-axis "Epoch" 0 --> 4\n'
        '    y-axis "Loss"\n'
        "    line [1, 0.5, 0.25, 0.125, 0.0625]\n"
        "    line [1, 0.6, 0.2, 0.125, 0.05]\n"
        "```\n"
        "*Grey line: base. Blue line: head.*\n"
    )


def test_uneven_curve_is_resampled_and_says_so() -> None:
    roc = Curve(
        id="plots/roc.csv",
        title="ROC",
        x_label="FPR",
        y_label="TPR",
        x="fpr",
        y="tpr",
        base=((0.0, 0.0), (0.0, 0.5), (0.3, 0.75), (1.0, 1.0)),
        head=((0.0, 0.0), (0.0, 0.9), (1.0, 1.0)),
    )
    assert mermaid_curve(roc, max_points=5) == (
        "```mermaid\n"
        '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#8b949e, #1f6feb"}}}}%%\n'
        "xychart-beta\n"
        '    title "ROC"\n'
        '    x-axis "FPR" 0 --> 1\n'
        '    y-axis "TPR"\n'
        "    line [0.5, 0.7083, 0.8214, 0.9107, 1]\n"
        "    line [0.9, 0.925, 0.95, 0.975, 1]\n"
        "```\n"
        "*Grey line: base. Blue line: head. Resampled to 5 points.*\n"
    )


def test_curve_missing_at_base_is_one_head_coloured_line() -> None:
    new = Curve("plots/loss.csv", "Loss", "epoch", "loss", "step", "loss", None, LOSS.head)
    block = mermaid_curve(new)
    lines = mermaid_lines(block)
    assert lines[0] == (
        '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#1f6feb"}}}}%%'
    )
    assert lines[3:] == [
        '    x-axis "epoch" 0 --> 4',
        '    y-axis "loss"',
        "    line [1, 0.2, 0.05]",
    ]
    assert block.endswith("*Blue line: head. Not present at base.*\n")


def test_curve_missing_at_head_is_one_base_line() -> None:
    gone = Curve("plots/loss.csv", "Loss", "epoch", "loss", "step", "loss", LOSS.base, None)
    block = mermaid_curve(gone)
    assert '"plotColorPalette": "#8b949e"' in block
    assert block.endswith("*Grey line: base. Not present at head.*\n")


def test_curve_with_no_data_is_a_note_not_a_chart() -> None:
    empty = Curve("plots/x.csv", "X <b>", "x", "y", "x", "y", None, ())
    assert mermaid_curve(empty) == "*X &lt;b&gt;: no data at base or head.*\n"


def test_very_long_curve_is_downsampled_to_max_points() -> None:
    points = tuple((i / 9999, (i / 9999) ** 2) for i in range(10_000))
    curve = Curve("plots/long.csv", "Long", "x", "y", "x", "y", points, points)
    block = mermaid_curve(curve, max_points=40)
    series = [line for line in mermaid_lines(block) if line.strip().startswith("line [")]
    assert len(series) == 2
    values = [float(v) for v in series[0].strip()[len("line [") : -1].split(", ")]
    assert len(values) == 40
    for i, value in enumerate(values):
        assert value == pytest.approx((i / 39) ** 2, abs=1e-3)
    assert "Resampled to 40 points." in block
    assert len(block) < 1000  # two 10,000-point curves, and the comment stays small


HOSTILE = (
    'ROC "x"\n```\n<script>alert(1)</script> %%{init: {"theme": "dark"}}%% `tick` #quot;\u2028z'
)


def test_hostile_title_and_labels_cannot_break_out_of_the_chart() -> None:
    curve = Curve("p.csv", HOSTILE, HOSTILE, HOSTILE, "x", "y", LOSS.base, LOSS.head)
    block = mermaid_curve(curve)
    lines = mermaid_lines(block)  # still exactly one fenced block
    assert len(lines) == 7
    assert lines[2].startswith('    title "')
    assert lines[3].startswith('    x-axis "')
    assert lines[4].startswith('    y-axis "')
    for line in lines[2:5]:
        text = line.split('"', 1)[1].rsplit('"', 1)[0]
        for bad in ('"', "`", "<", ">", "%%", "\n", "\u2028", "#quot;"):
            assert bad not in text, (bad, text)
    # only our own directive carries %%, and only the fences carry backticks
    assert sum("%%" in line for line in lines) == 1
    assert block.count("`") == 6


def test_mermaid_text_keeps_what_is_harmless_and_shortens_long_text() -> None:
    assert mermaid_text("Recall (class 1), 50% @ t=0.5") == "Recall (class 1), 50% @ t=0.5"
    assert mermaid_text('a "b" <c>') == "a 'b' \u2039c\u203a"
    assert mermaid_text("a\n\n b\tc") == "a b c"
    assert mermaid_text("100%% sure") == "100% sure"
    long = mermaid_text("x" * 500)
    assert len(long) == 80
    assert long.endswith("…")


# --- confusion tables ----------------------------------------------------------------------


def test_confusion_table_with_deltas_and_a_class_missing_at_base() -> None:
    conf = Confusion(
        id="plots/confusion.csv",
        title="Confusion",
        x_label="Predicted",  # across
        y_label="Actual",  # down
        labels=("cat", "dog", "owl"),
        base=((39, 3, 0), (2, 40, 0), (0, 0, 0)),  # no owl at base
        head=((41, 1, 0), (2, 38, 2), (0, 1, 5)),
    )
    assert confusion_markdown(conf) == (
        "**Confusion**\n"
        "\n"
        "| Actual ↓ / Predicted → | cat | dog | owl |\n"
        "|---|--:|--:|--:|\n"
        "| **cat** | **41 (+2)** | 1 (-2) | 0 |\n"
        "| **dog** | 2 | **38 (-2)** | 2 (+2) |\n"
        "| **owl** | 0 | 1 (+1) | **5 (+5)** |\n"
        "\n"
        "*Head counts, with the change against base in brackets.*\n"
    )


def test_confusion_table_unchanged_says_so() -> None:
    conf = Confusion("c", "C", "a", "p", ("x", "y"), ((1, 2), (3, 4)), ((1, 2), (3, 4)))
    text = confusion_markdown(conf)
    assert "| **x** | **1** | 2 |" in text
    assert text.endswith("*Same counts at base and head.*\n")


def test_confusion_missing_at_head_shows_base_counts() -> None:
    conf = Confusion("c", "C", "a", "p", ("x", "y"), ((1, 2), (3, 4)), None)
    text = confusion_markdown(conf)
    assert "| **y** | 3 | **4** |" in text
    assert text.endswith("*Base counts. Not present at head.*\n")


def test_normalized_confusion_shows_shares_of_each_row() -> None:
    # DVC's confusion_normalized template divides each cell by its row (its y class)
    conf = Confusion(
        "c",
        "C",
        "Predicted",
        "Actual",
        ("cat", "dog"),
        base=((9, 1), (0, 0)),  # no dog at base: an empty row is 0%, not a division error
        head=((18, 2), (1, 3)),
        normalized=True,
    )
    assert confusion_markdown(conf) == (
        "**C**\n"
        "\n"
        "| Actual ↓ / Predicted → | cat | dog |\n"
        "|---|--:|--:|\n"
        "| **cat** | **90.0%** | 10.0% |\n"
        "| **dog** | 25.0% (+25.0) | **75.0% (+75.0)** |\n"
        "\n"
        "*Head shares of each Actual class (row), in %, with the change against base in "
        "percentage points.*\n"
    )
    page = render_html(make_results(plots=Plots(confusions=(conf,))))
    assert '<td class="num diag">90.0%</td><td class="num">10.0%</td>' in page
    spec = report_html.confusion_spec(conf)
    head_dog = [
        row
        for row in spec["data"]["values"]
        if (row["rev"], row["row"], row["column"]) == ("head", "dog", "dog")
    ]
    assert head_dog == [{"rev": "head", "row": "dog", "column": "dog", "count": 3, "share": 75.0}]
    assert spec["spec"]["encoding"]["x"]["title"] == "Predicted"  # across, as DVC draws x
    assert spec["spec"]["encoding"]["y"]["title"] == "Actual"
    layers = spec["spec"]["layer"]
    assert layers[0]["encoding"]["color"]["field"] == "share"
    assert layers[1]["encoding"]["text"]["field"] == "share"
    counts = dataclasses.replace(conf, normalized=False)
    assert report_html.confusion_spec(counts)["spec"]["layer"][1]["encoding"]["text"] == {
        "field": "count",
        "type": "quantitative",
    }


def test_confusion_labels_are_markdown_escaped() -> None:
    conf = Confusion(
        id="c.csv",
        title="<img src=x>",
        x_label="a|b",
        y_label="@team",
        labels=("x|y", "<script>"),
        base=None,
        head=((1, 0), (0, 1)),
    )
    text = confusion_markdown(conf)
    assert "<" not in text
    assert r"x\|y" in text
    assert "@&#8203;team" in text
    assert text.endswith("*Head counts. Not present at base.*\n")
    # each row has exactly its cells: the pipe in a label did not add one
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert all(len(re.findall(r"(?<!\\)\|", row)) == 4 for row in rows)


# --- metrics bar chart ---------------------------------------------------------------------


def change(key: str, pct: float | None, status: str = "changed", file: str = "m.json") -> Change:
    return Change(file, key, 1.0, 1.0, 0.0 if pct is None else pct / 100, pct, status)


def test_metrics_bar_puts_the_largest_change_first() -> None:
    chart = metrics_bar(
        [
            change("accuracy", -5.36),
            change("recall", 20.0),
            change("f1", -1.0),
            change("loss", 0.0, status="unchanged"),
            change("model", None),  # not numeric
            change("odd", float("nan")),
            change("new_metric", None, status="new"),
        ]
    )
    lines = mermaid_lines(chart)
    assert lines[1] == "xychart-beta horizontal"
    assert lines[3] == ('    x-axis ["recall ▲ +20.00%", "accuracy ▼ -5.36%", "f1 ▼ -1.00%"]')
    assert lines[4] == '    y-axis "Size of the change (%)" 0 --> 20'
    assert lines[5] == "    bar [20, 5.36, 1]"


def test_metrics_bar_keeps_max_bars_and_names_files_when_keys_repeat() -> None:
    changes = [change(f"m{i}", float(i + 1)) for i in range(20)]
    changes += [change("acc", 50.0, file="a.json"), change("acc", -40.0, file="b.json")]
    lines = mermaid_lines(metrics_bar(changes, max_bars=5))
    assert lines[3].startswith('    x-axis ["a.json: acc ▲ +50.00%", "b.json: acc ▼ -40.00%", "m19')
    assert lines[5] == "    bar [50, 40, 20, 19, 18]"


def test_metrics_bar_is_empty_without_numeric_changes() -> None:
    assert metrics_bar([]) == ""
    assert metrics_bar([change("loss", 0.0, status="unchanged")]) == ""


def test_metrics_bar_labels_are_escaped() -> None:
    chart = metrics_bar([change('a"]\n<b>`%%', 3.0)])
    assert mermaid_lines(chart)[3] == "    x-axis [\"a'] \u2039b\u203a'% ▲ +3.00%\"]"


# --- report.html ---------------------------------------------------------------------------


@pytest.fixture
def no_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests of the page do not need the 0.9 MB Vega bundle."""
    monkeypatch.setattr(report_html, "vega_javascript", lambda: "/* vega */")


def test_script_json_cannot_close_the_script_element() -> None:
    text = script_json({"t": "</script><script>alert(1)</script>&<!--"})
    assert "<" not in text
    assert ">" not in text
    assert "&" not in text
    assert text == (
        '{"t": "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)'
        '\\u003c/script\\u003e\\u0026\\u003c!--"}'
    )


def test_html_escapes_every_string_from_the_pull_request(no_bundle: None) -> None:
    evil = '</script><script>alert("x")</script><img src=x onerror=alert(1)>'
    curve = Curve(evil, evil, evil, evil, "x", "y", LOSS.base, LOSS.head)
    conf = Confusion(evil, evil, evil, evil, (evil, "b"), ((1, 0), (0, 1)), ((2, 0), (0, 1)))
    page = render_html(
        make_results(
            plots=Plots(
                curves=(curve,),
                confusions=(conf,),
                images=(
                    ImagePlot(evil, evil, True, False, note=evil),
                    # a results file cannot smuggle markup or another kind of URI into <img>
                    ImagePlot(
                        "a.png",
                        "a.png",
                        True,
                        True,
                        base_uri="data:text/html;base64,PHNjcmlwdD4=",
                        head_uri='data:image/png;base64,AAAA" onerror="alert(1)',
                    ),
                ),
                errors=(f"{evil} at base: boom",),
            ),
            title=evil,
            metrics=(Change(evil, evil, 1.0, 2.0, 1.0, 100.0, "changed"),),
        )
    )
    assert "<script>alert" not in page
    assert "<img" not in page
    assert page.count("<script>") == 2  # the bundle and the specs: nothing else
    assert page.count("</script>") == 2
    assert "&lt;/script&gt;&lt;script&gt;alert(&#34;x&#34;)" in page


def test_html_needs_no_network(no_bundle: None) -> None:
    page = render_html(make_results(plots=Plots(curves=(LOSS,))))
    assert not re.search(r"<(script|img|iframe)[^>]*\bsrc=", page)
    assert "<link" not in page
    assert "@import" not in page
    assert "default-src 'none'" in page  # and the page forbids fetching anything


def test_html_without_charts_has_no_javascript(no_bundle: None) -> None:
    page = render_html(make_results(plots=Plots()))
    assert "<script" not in page
    assert "No DVC plots at base or head." in page


def test_html_specs_overlay_base_and_head() -> None:
    spec = report_html.curve_spec(LOSS)
    revs = {row["rev"] for row in spec["data"]["values"]}
    assert revs == {"base", "head"}
    assert spec["encoding"]["color"]["field"] == "rev"
    assert spec["encoding"]["x"]["title"] == "Epoch"
    long = tuple((float(i), float(i)) for i in range(50_000))
    rows = report_html.curve_spec(Curve("l", "l", "x", "y", "x", "y", long, None))["data"]["values"]
    assert len(rows) == report_html.HTML_MAX_POINTS


def test_real_bundle_is_inlined_once_and_is_safe() -> None:
    js = report_html.vega_javascript()
    assert 300_000 < len(js) < 3_000_000
    assert "</script" not in js.lower()
    assert "window.vegaEmbed" in js
    page = render_html(make_results(plots=Plots(curves=(LOSS,))))
    assert page.count(js) == 1


# --- plots read on real repositories ---------------------------------------------------------

PLOTS_DVC_YAML = """\
metrics:
  - metrics.json
params:
  - params.yaml
plots:
  - plots/roc.csv:
      template: linear
      x: fpr
      y: tpr
      title: ROC
      x_label: False positive rate
      y_label: True positive rate
  - plots/confusion.csv:
      template: confusion
      x: actual
      y: predicted
      title: Confusion
      x_label: Actual
      y_label: Predicted
"""


def confusion_csv(pairs: dict[tuple[str, str], int]) -> str:
    rows = [f"{a},{p}" for (a, p), n in pairs.items() for _ in range(n)]
    return "actual,predicted\n" + "\n".join(rows) + "\n"


@pytest.fixture
def plotted(repo: Repo) -> dict[str, str]:
    """A base commit with a ROC and a confusion plot; a head commit that changes both and
    adds a step-indexed plot, an image plot and a plot whose field does not exist."""
    base = repo.commit(
        "base plots",
        {
            "dvc.yaml": PLOTS_DVC_YAML,
            "plots/roc.csv": "fpr,tpr\n0,0\n0.5,0.8\n1,1\n",
            "plots/confusion.csv": confusion_csv(
                {("cat", "cat"): 3, ("cat", "dog"): 1, ("dog", "dog"): 2}
            ),
        },
    )
    head = repo.commit(
        "head plots",
        {
            "dvc.yaml": PLOTS_DVC_YAML
            + "  - plots/loss.csv:\n      y: loss\n"
            + "  - plots/bad.csv:\n      x: nope\n      y: tpr\n"
            + "  - plots/sample.png\n",
            "plots/roc.csv": "fpr,tpr\n0,0\n0.25,0.9\n1,1\n",
            "plots/confusion.csv": confusion_csv(
                {("cat", "cat"): 4, ("dog", "dog"): 2, ("owl", "owl"): 1, ("owl", "cat"): 1}
            ),
            "plots/loss.csv": "loss\n0.9\n0.5\n0.3\n",
            "plots/bad.csv": "fpr,tpr\n0,0\n",
        },
    )
    (repo.root / "plots" / "sample.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    repo.commit("an image")
    return {"base": base, "head": head}


def read_plots(repo: Repo, revs: dict[str, str]) -> Plots:
    with dvc.DvcRepo(repo.root) as dvc_repo:
        return dvc.combine_plots(dvc_repo.plots(revs["base"]), dvc_repo.plots(revs["head"]))


def test_plots_at_two_revisions(repo: Repo, plotted: dict[str, str]) -> None:
    found = read_plots(repo, {"base": plotted["base"], "head": "workspace"})

    by_id = {curve.id: curve for curve in found.curves}
    assert set(by_id) == {"plots/roc.csv", "plots/loss.csv"}
    roc = by_id["plots/roc.csv"]
    assert (roc.title, roc.x_label, roc.y_label, roc.x, roc.y) == (
        "ROC",
        "False positive rate",
        "True positive rate",
        "fpr",
        "tpr",
    )
    assert roc.base == ((0.0, 0.0), (0.5, 0.8), (1.0, 1.0))
    assert roc.head == ((0.0, 0.0), (0.25, 0.9), (1.0, 1.0))
    loss = by_id["plots/loss.csv"]
    assert loss.base is None  # declared at head only
    assert loss.x == "step"  # DVC numbers the rows when no x is given
    assert loss.head == ((0.0, 0.9), (1.0, 0.5), (2.0, 0.3))

    (conf,) = found.confusions
    assert (conf.id, conf.title, conf.x_label, conf.y_label) == (
        "plots/confusion.csv",
        "Confusion",
        "Actual",
        "Predicted",
    )
    assert conf.labels == ("cat", "dog", "owl")
    assert conf.normalized is False
    # As `dvc plots show` draws it: x (actual) across, y (predicted) down.
    assert conf.base == ((3, 0, 0), (1, 2, 0), (0, 0, 0))
    assert conf.head == ((4, 0, 1), (0, 2, 0), (0, 0, 1))

    png = base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()
    assert found.images == (
        ImagePlot(
            "plots/sample.png",
            "plots/sample.png",
            False,
            True,
            head_uri=f"data:image/png;base64,{png}",
        ),
    )
    (error,) = found.errors
    assert error.startswith("plots/bad.csv at head: ")
    assert "nope" in error

    # and the pictures come out of it
    assert "line [" in mermaid_curve(roc)
    assert "**3 (+1)**" not in confusion_markdown(conf)
    assert "| Predicted ↓ / Actual → | cat | dog | owl |" in confusion_markdown(conf)
    assert "| **cat** | **4 (+1)** | 0 | 1 (+1) |" in confusion_markdown(conf)


def test_plots_at_committed_revisions_and_from_a_subfolder(
    repo: Repo, plotted: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo.root / "sub").mkdir()
    monkeypatch.chdir(repo.root / "sub")  # DVC would name the files ../plots/...
    found = read_plots(repo, {"base": plotted["base"], "head": plotted["head"]})
    assert [curve.id for curve in found.curves] == ["plots/roc.csv", "plots/loss.csv"]
    assert found.images == ()  # the image came in a later commit
    assert Path.cwd() == repo.root / "sub"


def test_plots_at_the_same_revision_twice(repo: Repo, plotted: dict[str, str]) -> None:
    found = read_plots(repo, {"base": plotted["head"], "head": plotted["head"]})
    roc = next(curve for curve in found.curves if curve.id == "plots/roc.csv")
    assert roc.base == roc.head
    # sample.png is declared in this commit's dvc.yaml, but only the next commit adds it
    errors = {error.split(": ", 1)[0]: error.split(": ", 1)[1] for error in found.errors}
    assert set(errors) == {
        "plots/bad.csv at base",
        "plots/bad.csv at head",
        "plots/sample.png at base",
        "plots/sample.png at head",
    }
    assert errors["plots/bad.csv at base"] == errors["plots/bad.csv at head"]
    assert errors["plots/sample.png at head"] == "file not found"


def test_plots_at_reports_an_unknown_revision_and_broken_data(
    repo: Repo, plotted: dict[str, str]
) -> None:
    (repo.root / "plots" / "roc.csv").write_text("fpr,tpr\n0,zero\n")
    found = read_plots(repo, {"base": "no-such-rev", "head": "workspace"})
    assert any(error.startswith("plots at base: ") for error in found.errors)
    assert "plots/roc.csv at head: non-numeric value 'zero' in field 'tpr'" in found.errors
    assert [curve.id for curve in found.curves] == ["plots/loss.csv"]  # roc: nowhere readable


@pytest.mark.parametrize("from_root", [True, False])
def test_plots_read_where_the_repo_is_reuse_its_index_and_read_the_same(
    repo: Repo, plotted: dict[str, str], monkeypatch: pytest.MonkeyPatch, from_root: bool
) -> None:
    """In a check's order (status, the head's reads, the base's, then its plots), DVC
    indexes each revision once, and the plots equal those read by a fresh repository
    for each revision alone. Run from another folder, DVC names files from there, so
    the base's plots are read in a switch of their own (as before), and still equal."""
    from dvc.repo.index import Index

    if from_root:
        monkeypatch.chdir(repo.root)
    alone = read_plots(repo, {"base": plotted["base"], "head": "workspace"})
    built: list[str] = []
    from_repo = Index.from_repo.__func__

    def counted(cls: type[Index], dvc_repo: Any, /, *args: object, **kwargs: object) -> Index:
        built.append(str(dvc_repo.fs))
        return from_repo(cls, dvc_repo, *args, **kwargs)

    monkeypatch.setattr(Index, "from_repo", classmethod(counted))
    with dvc.DvcRepo(repo.root) as dvc_repo:
        dvc_repo.status()
        with dvc_repo.at(dvc.WORKSPACE, "head") as head:
            head.metrics()
        head_plots = dvc_repo.plots(dvc.WORKSPACE)
        with dvc_repo.at(plotted["base"], "base") as base:
            base.metrics()
        base_plots = dvc_repo.plots(plotted["base"])
        # Back at the workspace for whatever comes next, with its own index again.
        assert dvc_repo.status().stale_stages == ()
    assert dvc.combine_plots(base_plots, head_plots) == alone
    # The workspace, the base (twice from elsewhere), the workspace again after it.
    assert len(built) == (3 if from_root else 4)


def test_plots_at_without_plots(repo: Repo) -> None:
    assert read_plots(repo, {"base": "main", "head": "workspace"}) == Plots()


@pytest.mark.e2e
def test_plots_at_on_the_example_project(demo_ws: Path) -> None:
    project = demo_ws / "project"
    with dvc.DvcRepo(project) as dvc_repo:
        found = dvc.combine_plots(dvc_repo.plots("main"), dvc_repo.plots(dvc.WORKSPACE))
    assert found.errors == ()
    (roc,) = found.curves
    assert roc.id == "plots/roc.csv"
    assert (roc.x, roc.y, roc.x_label) == ("fpr", "tpr", "False positive rate")
    for points in (roc.base, roc.head):
        assert points
        assert points[0] == (0.0, 0.0)
        assert points[-1] == (1.0, 1.0)
        assert all(0 <= x <= 1 and 0 <= y <= 1 for x, y in points)
    (conf,) = found.confusions
    assert conf.labels == ("benign", "malignant")
    assert conf.base is not None
    assert conf.head is not None
    test_rows = sum(map(sum, conf.head))
    assert sum(map(sum, conf.base)) == test_rows > 0
    assert math.isclose(test_rows, len((project / "plots/confusion.csv").read_text().split()) - 1)
    assert "False positive rate" in mermaid_curve(roc)
    assert "**benign**" in confusion_markdown(conf)


def test_image_plots_are_inlined_side_by_side(no_bundle: None) -> None:
    png = base64.b64encode(b"\x89PNG\r\n\x1a\nbase").decode()
    svg = base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg"/>').decode()
    page = render_html(
        make_results(
            plots=Plots(
                images=(
                    ImagePlot(
                        "plots/cm.png",
                        "plots/cm.png",
                        True,
                        True,
                        base_uri=f"data:image/png;base64,{png}",
                        head_uri=f"data:image/png;base64,{png}",
                    ),
                    ImagePlot(
                        "new.svg",
                        "new.svg",
                        False,
                        True,
                        head_uri=f"data:image/svg+xml;base64,{svg}",
                    ),
                )
            )
        )
    )
    assert page.count(f'<img src="data:image/png;base64,{png}" alt="plots/cm.png at ') == 2
    assert f'<img src="data:image/svg+xml;base64,{svg}" alt="new.svg at head">' in page
    assert '<figcaption>base</figcaption><p class="note">not at base</p>' in page
    assert "<script>" not in page  # images need no chart library


def test_image_plots_past_the_size_limits_are_listed_not_inlined() -> None:
    from mlci.dvc.plotdata import IMAGE_MAX_BYTES, IMAGES_MAX_BYTES, _image, _RevPlot

    def rev(size: int) -> _RevPlot:
        return _RevPlot("image", {}, "plots/big.png", content=b"x" * size)

    image, left = _image("plots/big.png", rev(10), rev(IMAGE_MAX_BYTES + 1), IMAGES_MAX_BYTES)
    assert image.base_uri is not None and image.base_uri.startswith("data:image/png;base64,")
    assert image.head_uri is None
    assert left == IMAGES_MAX_BYTES - 10
    assert image.note == (
        "not inlined, too large for report.html: head (2.0 MB); images are inlined up to "
        "2 MB each and 10 MB in all"
    )
    # the budget for all images together runs out too
    image, left = _image("plots/big.png", rev(1000), rev(1000), 1500)
    assert (image.base_uri is not None, image.head_uri is None, left) == (True, True, 500)
    assert "head (0.0 MB)" in image.note
    page = render_html(make_results(plots=Plots(images=(image,))))
    assert '<figcaption>head</figcaption><p class="note">not inlined</p>' in page
    assert "images are inlined up to 2 MB each" in page


def test_confusion_normalized_is_read_as_normalized(repo: Repo) -> None:
    repo.commit(
        "normalized",
        {
            "dvc.yaml": PLOTS_DVC_YAML.replace(
                "template: confusion", "template: confusion_normalized"
            ),
            "plots/roc.csv": "fpr,tpr\n0,0\n1,1\n",
            "plots/confusion.csv": confusion_csv({("cat", "cat"): 3, ("cat", "dog"): 1}),
        },
    )
    (conf,) = read_plots(repo, {"base": "HEAD", "head": "workspace"}).confusions
    assert conf.normalized is True
    assert conf.head == ((3, 0), (1, 0))  # counts are kept; shares are computed to show
    assert "| **dog** | 100.0% | **0.0%** |" in confusion_markdown(conf)


def test_html_opens_with_the_verdict_and_why_before_the_charts(no_bundle: None) -> None:
    """Someone opening the CI artifact sees what failed and why first: gates, tests,
    data and drift, then the charts."""
    from mlci.results import (
        ColumnDrift,
        DatasetReport,
        DriftResult,
        GateResult,
        TestFailure,
        TestRun,
    )

    gate = GateResult(
        "accuracy",
        "metrics.json",
        "accuracy: drop ≤ 0.01",
        "max_drop",
        "fail",
        "dropped by 0.05 (0.95 → 0.9), allowed 0.01",
        "fail",
        "base",
    )
    tests = TestRun(
        "pytest tests",
        1,
        3,
        2,
        1,
        0,
        0,
        1.5,
        (TestFailure("tests/test_model.py::test_auc", "failure", "assert 0.7 > 0.8"),),
        (),
        "fail",
        "1 of 3 tests failed",
    )
    column = ColumnDrift(
        "age",
        "numeric",
        0.4,
        None,
        None,
        None,
        None,
        "psi",
        0.4,
        0.25,
        "fail",
        "PSI 0.4 ≥ 0.25",
    )
    drift = DriftResult("data/raw.csv", (column,), 1.0, "fail", "1 of 1 columns drifted")
    dataset = DatasetReport("data/raw.csv", "fail", "fail", (), drift, None, "base")
    page = render_html(
        make_results(
            verdict="fail",
            gates=(gate,),
            tests=tests,
            data=(dataset,),
            plots=Plots(curves=(LOSS,)),
        )
    )
    order = [
        page.index("❌ Report: FAIL"),
        page.index("dropped by 0.05 (0.95 → 0.9), allowed 0.01"),
        page.index("tests/test_model.py::test_auc"),
        page.index("Drift failed: 1 of 1 columns drifted."),
        page.index("PSI 0.4 ≥ 0.25"),
        page.index('id="mlci-curve-0"'),
    ]
    assert order == sorted(order)
    assert "3 of 3 failed (1 gate check, the tests, 1 dataset)." in page


def test_a_confusion_plot_over_two_files_is_two_tables_never_summed(repo: Repo) -> None:
    """example-get-started's Confusion-Matrix takes train.json and test.json: one matrix
    per file, as `dvc plots show` draws them, not 3,000 mixed samples in one."""

    def rows(pairs: dict[tuple[str, str], int]) -> list[dict[str, str]]:
        return [{"actual": a, "predicted": p} for (a, p), n in pairs.items() for _ in range(n)]

    repo.commit(
        "two splits",
        {
            "dvc.yaml": "plots:\n  - Confusion-Matrix:\n      template: confusion\n"
            "      x: actual\n      y:\n        cm/train.json: predicted\n"
            "        cm/test.json: predicted\n",
            "cm/train.json": rows({("0", "0"): 50, ("0", "1"): 2, ("1", "1"): 40}),
            "cm/test.json": rows({("0", "0"): 9, ("1", "0"): 3, ("1", "1"): 7}),
        },
    )
    found = read_plots(repo, {"base": "HEAD", "head": "workspace"})
    by_id = {conf.id: conf for conf in found.confusions}
    assert set(by_id) == {
        "Confusion-Matrix (train.json)",
        "Confusion-Matrix (test.json)",
    }
    train, test = (
        by_id["Confusion-Matrix (train.json)"],
        by_id["Confusion-Matrix (test.json)"],
    )
    assert train.head == ((50, 0), (2, 40))  # predicted down, actual across
    assert test.head == ((9, 3), (0, 7))
    assert sum(map(sum, train.head)) == 92 and sum(map(sum, test.head)) == 19


def test_a_bar_chart_of_categories_is_listed_as_not_drawn_never_as_unreadable(
    repo: Repo,
) -> None:
    """Feature importances (`bar_horizontal`, a feature name per bar) read fine: the
    report says they are not drawn, not that the file is broken."""
    repo.commit(
        "importances",
        {
            "dvc.yaml": "plots:\n  - importance.csv:\n      template: bar_horizontal\n"
            "      x: importance\n      y: feature\n",
            "importance.csv": "feature,importance\nproline,0.31\nalcohol,0.22\nhue,0.1\n",
        },
    )
    found = read_plots(repo, {"base": "HEAD", "head": "workspace"})
    assert found.errors == ()
    assert found.undrawn == ("importance.csv: not drawn: categorical axis",)
    text = render_markdown(make_results(plots=found))
    assert "- importance.csv: not drawn: categorical axis (see it with `dvc plots show`)." in text
    assert "Could not read" not in text
