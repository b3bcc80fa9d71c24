"""report.html in a real browser: headless Chromium draws every chart, offline, silently.

Needs Chromium (Debian/Ubuntu: ``make browser``, as root, or ``apt-get install
chromium``). Without it this module is skipped, saying so; with
``MLCI_REQUIRE_BROWSER=1`` (as ``.ci/run`` sets) it FAILS instead, so CI cannot pass by
accident. ``MLCI_SKIP_BROWSER=1`` skips it on purpose.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import make_results

from mlci import dvc
from mlci.flow import measure
from mlci.judge.diff import diff_values
from mlci.render.charts import BASE_COLOUR, HEAD_COLOUR, Curve, Plots
from mlci.render.html import render_html
from mlci.results import Change, GateResult

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        os.environ.get("MLCI_SKIP_BROWSER") == "1", reason="MLCI_SKIP_BROWSER=1 is set"
    ),
]

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Tried in order; each run gets a fresh profile. No network: every host name fails to
# resolve, so a page that tried to load anything would log an error.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=15000",
)
HOSTILE = '</script><script>console.error("injected")</script><img src=x onerror=alert(1)>'


def chromium() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    message = (
        "headless Chromium is needed to test report.html and none was found "
        f"(looked for {', '.join(BROWSERS)}). Install it: `make browser` (Debian/Ubuntu, "
        "as root) or `apt-get install chromium`."
    )
    if os.environ.get("MLCI_REQUIRE_BROWSER") == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _browser_first() -> None:
    """Fail on a missing browser before spending time on the demo workspace."""
    chromium()


def browse(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile.mkdir()
    return subprocess.run(
        [chromium(), *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def console_messages(stderr: str) -> list[str]:
    """What the page logged (console.*, uncaught errors, CSP violations)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


class Charts(HTMLParser):
    """Per chart container (id="mlci-…"): its classes, and the SVG elements inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str | None] = []  # the chart id each open element belongs to
        self.classes: dict[str, str] = {}
        self.svg: dict[str, list[tuple[str, dict[str, str | None]]]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        chart = self.stack[-1] if self.stack else None
        element_id = attributes.get("id") or ""
        if element_id.startswith("mlci-"):
            chart = element_id
            self.classes[chart] = attributes.get("class") or ""
            self.svg[chart] = []
        elif chart is not None and tag in ("svg", "path", "text", "rect", "g"):
            self.svg[chart].append((tag, attributes))
        if tag not in ("meta", "br", "img", "input", "link", "hr", "col", "area", "source"):
            self.stack.append(chart)

    def handle_endtag(self, tag: str) -> None:
        if self.stack:
            self.stack.pop()


@pytest.fixture
def report(demo_ws: Path, tmp_path: Path) -> tuple[Path, Plots]:
    """report.html of the demo's plots (base main, head the re-run workspace), plus one
    curve whose strings try to break out of the page."""
    project = demo_ws / "project"
    # The pull request changed a param: re-run the pipeline so head's plots differ.
    dvc.run_dvc(project, ["repro", "--quiet"], lambda line: None, what="repro")
    with dvc.DvcRepo(project) as repo:
        found = measure(repo, "main", dvc.WORKSPACE)
    plots = found.plots
    assert plots is not None
    assert plots.errors == ()
    assert plots.curves
    assert plots.confusions
    evil = Curve(
        id=HOSTILE,
        title=HOSTILE,
        x_label=HOSTILE,
        y_label="loss",
        x="step",
        y="loss",
        base=((0, 1.0), (1, 0.6), (2, 0.4)),
        head=((0, 1.0), (1, 0.5), (2, 0.3), (3, 0.25)),
    )
    plots = replace(plots, curves=(*plots.curves, evil))
    metrics = list(diff_values(found.base_metrics.values, found.head_metrics.values))
    metrics.append(Change("metrics.json", HOSTILE, 0.5, 0.6, 0.1, 20.0, "changed"))
    # Metrics computed from predictions, gated: drawn as intervals of their change.
    for key, base, head in (("accuracy", 0.9825, 0.9737), (HOSTILE, 0.9, 0.95)):
        change = Change("eval/p.csv", key, base, head, head - base, 1.0, "changed")
        metrics.append(replace(change, low=-0.026, high=0.009, p_value=0.5, level=0.05))
    gates = tuple(
        GateResult(key, "eval/p.csv", "drop ≤ 0.005", "max_drop", "warn", "noise", "fail", "base")
        for key in ("accuracy", HOSTILE)
    )
    page = tmp_path / "report.html"
    results = make_results(
        plots=plots, title=f"Model report {HOSTILE}", metrics=tuple(metrics), gates=gates
    )
    page.write_text(render_html(results), encoding="utf-8")
    return page, plots


def test_every_chart_is_drawn_without_console_errors(
    report: tuple[Path, Plots], tmp_path: Path
) -> None:
    page, plots = report
    size = page.stat().st_size
    assert size < 1_200_000, f"report.html is {size} bytes"

    result = browse(page, tmp_path / "profile-dom", "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    assert console_messages(result.stderr) == []

    charts = Charts()
    charts.feed(result.stdout)
    expected = {
        "mlci-metrics",
        "mlci-intervals",
        *(f"mlci-curve-{i}" for i in range(len(plots.curves))),
        *(f"mlci-confusion-{i}" for i in range(len(plots.confusions))),
    }
    assert set(charts.svg) == expected
    for chart, elements in charts.svg.items():
        assert "failed" not in charts.classes[chart], chart
        tags = [tag for tag, _ in elements]
        assert tags.count("svg") >= 1, chart
        assert tags.count("path") >= 3, chart  # axes, marks: not an empty frame

    for i, curve in enumerate(plots.curves):
        strokes = {attrs.get("stroke") for tag, attrs in charts.svg[f"mlci-curve-{i}"]}
        assert HEAD_COLOUR in strokes, curve.id  # head drawn in blue...
        assert BASE_COLOUR in strokes, curve.id  # ...over base in grey
    texts = result.stdout
    assert "True positive rate" in texts
    assert "False positive rate" in texts
    # The hostile strings are text on the page, not markup that ran.
    assert "injected" not in result.stderr
    assert "<img src=x" not in texts


def test_screenshot_shows_the_page(report: tuple[Path, Plots], tmp_path: Path) -> None:
    page, _ = report
    shot = tmp_path / "report.png"
    result = browse(
        page, tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1200,2600"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert console_messages(result.stderr) == []
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 40_000  # a blank page of this size compresses to a few kB
    print(f"screenshot: {shot}")
