"""`mlci merge`: the results of several shards (one CI job each), one report on the PR.

A matrix of jobs runs `mlci ci --shard NAME --no-publish`, each uploading its results
as the artifact ``mlci-results-NAME``; one trusted job downloads them all and merges
them here. Every file is read as `mlci publish` reads one (size-bounded, validated
against the schema, its verdict recomputed from its outcomes, for this run's head
commit), so a shard's job can lie about nothing but its own section. The merge never
lets a shard disappear: a shard the base expects whose results are missing, unreadable,
for another commit, or claimed twice is a failing shard that the report names.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlci import __version__
from mlci.commands.publish import (
    PublishOptions,
    _head_label,
    _open_github,
    _repo_relative,
    artifacts_link,
    take_token,
)
from mlci.config import Config, ReportConfig, parse_config
from mlci.errors import ConfigError, PublishError, UsageError, clip
from mlci.forge import COMMENT_LIMIT, body_size, utf8_size
from mlci.github import actions
from mlci.github.client import GitHub, missing_token, redact
from mlci.github.publish import _CONCLUSION, _STATE, CHECK_TEXT_LIMIT, sync_comment
from mlci.render.markdown import _environment, marker, render_markdown, verdict_summary
from mlci.render.text import VERDICT_ICON, Md, escape_md
from mlci.results import SHARD_NAME, Results, RevInfo, Verdict, worst
from mlci.safefs import write_text

RESULTS_FILE = "mlci-results.json"
# `mlci init --matrix` uploads shard NAME's files as the artifact mlci-results-NAME;
# actions/download-artifact puts each artifact in a folder of that name.
ARTIFACT_PREFIX = "mlci-results-"
# A folder of downloaded artifacts holding more results files than this is refused:
# a matrix has at most 256 jobs.
MAX_FILES = 1000
_SHARD = re.compile(SHARD_NAME)
_ORDER = {"fail": 0, "warn": 1, "pass": 2}

# A metric row's least length besides the name: "| f | ... |" has 8 borders and spaces.
_ROW_BORDERS = 12
_CELL = 300  # mlci.report clips a cell to this many characters
# How far a shard's section is folded to fit the comment, level by level.
FULL, NO_CHARTS, NO_UNCHANGED, ONE_LINE = range(4)


@dataclass(frozen=True)
class Shard:
    """One shard as the merge sees it: its results, or why it has none it can trust."""

    name: str
    results: Results | None
    problem: str | None = None  # set: the shard fails, and this says why
    sources: tuple[str, ...] = ()  # the file(s) it was read from
    expected: bool = True  # listed by --expect or the base; False: found, not listed

    @property
    def verdict(self) -> Verdict:
        if self.problem is not None or self.results is None:
            return "fail"
        return self.results.verdict

    @property
    def summary(self) -> str:
        """One line: what was judged and how it went, or what went wrong."""
        if self.problem is not None or self.results is None:
            return self.problem or "no results"
        text = verdict_summary(self.results)
        return text if self.expected else f"{text} (not a listed shard)"


@dataclass(frozen=True)
class Merged:
    title: str
    shards: tuple[Shard, ...]  # failing first, then warning, then passing; by name
    head: RevInfo | None  # the commit every shard's results are for
    base: RevInfo | None

    @property
    def verdict(self) -> Verdict:
        """The worst shard's verdict; no shard at all is a failure, not a pass."""
        if not self.shards:
            return "fail"
        return worst(shard.verdict for shard in self.shards)

    def failing(self) -> list[Shard]:
        return [shard for shard in self.shards if shard.verdict == "fail"]

    def summary(self) -> str:
        """``2 of 3 shards failed: nlp, vision (no results)``: the names, so the commit
        status alone says which jobs to look at."""
        total = len(self.shards)
        if not total:
            return "no shard's results were found"
        failing = self.failing()
        warned = [shard for shard in self.shards if shard.verdict == "warn"]
        if failing:
            names = ", ".join(
                shard.name + ("" if shard.results is not None else " (no results)")
                for shard in failing
            )
            return f"{len(failing)} of {total} shards failed: {names}"
        if warned:
            names = ", ".join(shard.name for shard in warned)
            return f"nothing failed, {len(warned)} of {total} shards warned: {names}"
        return "the only shard passed" if total == 1 else f"all {total} shards passed"


def find_results(paths: Sequence[Path]) -> list[Path]:
    """The results files named, and those inside each folder named (a folder of
    downloaded artifacts: ``<folder>/mlci-results-NAME/mlci-results.json``)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            inside = sorted(p for p in path.rglob(RESULTS_FILE) if not p.is_dir())
            if len(inside) > MAX_FILES:
                raise UsageError(
                    f"{path} holds {len(inside)} {RESULTS_FILE} files; mlci merges at most "
                    f"{MAX_FILES}",
                    hint="give the folder the shards' artifacts were downloaded to",
                )
            found.extend(inside)
        elif path.exists() or path.is_symlink():
            found.append(path)
        else:
            raise UsageError(
                f"{path}: no such file or folder",
                hint="give the results files, or the folder the artifacts were downloaded to",
            )
    return found


def _artifact_name(path: Path) -> str | None:
    """The shard the artifact's folder names (``mlci-results-NAME``), if it does."""
    folder = path.parent.name
    if folder.startswith(ARTIFACT_PREFIX):
        name = folder[len(ARTIFACT_PREFIX) :]
        return name if _SHARD.match(name) else None
    return None


def _read_one(path: Path, head_sha: str | None) -> Shard:
    """A shard from one file: its results, or the reason they are refused."""
    folder_name = _artifact_name(path)
    fallback = folder_name or str(path)
    if path.is_symlink():
        return Shard(fallback, None, f"{path} is a symbolic link; refused", (str(path),))
    try:
        results = Results.read(path)
    except UsageError as exc:
        return Shard(fallback, None, f"results refused: {exc.message}", (str(path),))
    name = results.shard or fallback
    if folder_name is not None and results.shard is not None and results.shard != folder_name:
        problem = (
            f"{path} says it is shard {results.shard}, but it was uploaded as the artifact "
            f"of shard {folder_name}"
        )
        return Shard(folder_name, None, problem, (str(path),))
    if head_sha and results.head.sha != head_sha:
        problem = f"{path} is for commit {results.head.short}, but this run is for {head_sha[:7]}"
        return Shard(name, None, problem, (str(path),))
    return Shard(name, results, None, (str(path),))


def merge(
    paths: Sequence[Path],
    *,
    title: str,
    expect: Sequence[str] = (),
    head_sha: str | None = None,
) -> Merged:
    """Read every results file and build the merged view.

    ``expect``: the shards the base lists (and --expect names); each one without a
    trustworthy results file is a failing shard. ``head_sha``: the commit this run
    is for; without it, the commit most shards' results are for.
    """
    for name in expect:
        if not _SHARD.match(name):
            raise UsageError(
                f"--expect {name!r} is not a shard name",
                hint="letters, digits, '.', '_' and '-', starting with a letter or digit",
            )
    read = [_read_one(path, head_sha) for path in find_results(paths)]
    if not head_sha:
        heads = Counter(s.results.head.sha for s in read if s.results is not None)
        if len(heads) > 1:
            common = heads.most_common(1)[0][0]
            read = [_read_one(Path(s.sources[0]), common) for s in read]
    by_name: dict[str, list[Shard]] = {}
    for shard in read:
        by_name.setdefault(shard.name, []).append(shard)
    listed = set(expect)
    shards: list[Shard] = []
    for name, claims in by_name.items():
        expected = not listed or name in listed
        if len(claims) > 1:
            sources = tuple(source for claim in claims for source in claim.sources)
            problem = (
                f"{len(claims)} results files claim to be shard {name} "
                f"({', '.join(sources)}); none is used"
            )
            shards.append(Shard(name, None, problem, sources, expected))
        else:
            shards.append(dataclasses.replace(claims[0], expected=expected))
    for name in expect:
        if name not in by_name:
            problem = (
                f"no results: the artifact {ARTIFACT_PREFIX}{name} (with {RESULTS_FILE}) "
                "was not found; its job failed before writing it, was cancelled or skipped"
            )
            shards.append(Shard(name, None, problem))
    shards.sort(key=lambda shard: (_ORDER[shard.verdict], shard.name))
    valid = [shard.results for shard in shards if shard.results is not None]
    return Merged(
        title=title,
        shards=tuple(shards),
        head=valid[0].head if valid else None,
        base=valid[0].base if valid else None,
    )


# --- rendering --------------------------------------------------------------------------


def _nested(markdown: str, results: Results) -> str:
    """A shard's report as a section of the merged one: its own heading (the merged
    report gives it one), the footer and the marker dropped, sub-headings one level
    down. Only template lines can match: every value is escaped (no ``<``, and a
    ``#`` from a pull request is followed by a zero-width space, never a blank)."""
    mark = marker(results.title)
    lines = markdown.splitlines()
    if lines and lines[0].startswith("## "):
        lines = lines[1:]
    kept = []
    for line in lines:
        if line == mark or line.startswith("<sub>Generated by mlci"):
            continue
        kept.append("#" + line if line.startswith("### ") else line)
    return "\n".join(kept).strip("\n")


def shard_body(shard: Shard, level: int, full_report: str) -> str:
    """The section's text at one folding level (``FULL`` ... ``ONE_LINE``)."""
    if shard.results is None or shard.problem is not None:
        return escape_md(shard.summary)
    if level == ONE_LINE:
        return (
            f"{escape_md(shard.summary)}. Left out to fit GitHub's comment size limit: its "
            f"full report is in its artifact, {ARTIFACT_PREFIX}{shard.name}, in "
            f"{escape_md(full_report)}."
        )
    markdown = render_markdown(
        shard.results,
        charts=level == FULL,
        omit_folded=level >= NO_UNCHANGED,
    )
    return _nested(markdown, shard.results)


def render_merged(merged: Merged, bodies: Sequence[str], *, truncated: bool = False) -> str:
    template = _environment(markdown=True).get_template("merged.md.j2")
    return template.render(
        m=merged,
        icon=Md(VERDICT_ICON[merged.verdict]),
        summary=merged.summary(),
        sections=[(shard, Md(body)) for shard, body in zip(merged.shards, bodies, strict=True)],
        marker=Md(marker(merged.title)),
        version=__version__,
        truncated=truncated,
    )


def fit_merged(
    merged: Merged,
    *,
    limit: int = COMMENT_LIMIT,
    full_report: str = "the workflow run",
    size: Callable[[str], int] = body_size,
) -> str:
    """The merged comment within ``limit``: each shard's section folds (charts, then
    unchanged rows, then down to one line), passing shards before warning ones before
    failing ones, the largest first; if even that is too long, the report is cut with
    a pointer to the full one.

    A section is rendered only once a cheap lower bound of its size
    (:func:`_least_size`) says it may fit: with 50 shards of 1,000 metrics, most
    never render in full."""
    shards = merged.shards
    levels = [FULL] * len(shards)
    texts: dict[tuple[int, int], str] = {}
    sizes: dict[tuple[int, int], int] = {}

    least: dict[tuple[int, int], int] = {}

    def size_at(index: int) -> int:
        key = (index, levels[index])
        found = sizes.get(key)
        if found is None:
            found = least.get(key)
            if found is None:
                found = least[key] = _least_size(shards[index], levels[index])
        return found

    def fold_steps() -> Iterator[tuple[int, int]]:
        for verdict in ("pass", "warn", "fail"):
            group = [i for i, s in enumerate(shards) if s.verdict == verdict and s.results]
            group.sort(key=lambda i: -size_at(i))
            for level in (NO_CHARTS, NO_UNCHANGED, ONE_LINE):
                for index in group:
                    yield level, index

    steps = fold_steps()
    overhead = size(render_merged(merged, [""] * len(shards)))
    while True:
        if overhead + sum(size_at(i) for i in range(len(shards))) > limit:
            step = next(steps, None)
            if step is None:
                break
            level, index = step
            levels[index] = max(levels[index], level)
            continue
        pending = [(i, levels[i]) for i in range(len(shards)) if (i, levels[i]) not in sizes]
        if not pending:
            break
        for index, level in pending:
            text = shard_body(shards[index], level, full_report)
            texts[index, level] = text
            sizes[index, level] = size(text)
    bodies = [
        texts.get((i, levels[i])) or shard_body(shards[i], levels[i], full_report)
        for i in range(len(shards))
    ]
    rendered = render_merged(merged, bodies)
    if size(rendered) <= limit:
        return rendered
    return _truncate(merged, bodies, limit, full_report, size)


def _least_size(shard: Shard, level: int) -> int:
    """At least how long a shard's section is at ``level``: each metric row it must show
    holds the metric's name and the table's cell borders."""
    results = shard.results
    if results is None or shard.problem is not None or level == ONE_LINE:
        return 0
    rows = results.metrics
    if level >= NO_UNCHANGED:
        rows = tuple(change for change in rows if change.status != "unchanged")
    return sum(_ROW_BORDERS + min(len(change.key), _CELL) for change in rows)


def _truncate(
    merged: Merged,
    bodies: Sequence[str],
    limit: int,
    full_report: str,
    size: Callable[[str], int],
) -> str:
    tail = (
        f"\n\n**… truncated to fit GitHub's comment size limit.** "
        f"Each shard's full report is in its artifact, {ARTIFACT_PREFIX}NAME, in "
        f"{escape_md(full_report)}.\n\n{marker(merged.title)}\n"
    )
    text = render_merged(merged, bodies, truncated=True)
    kept: list[str] = []
    used = size(tail)
    for line in text.splitlines(keepends=True):
        if used + size(line) > limit:
            break
        kept.append(line)
        used += size(line)
    return "".join(kept).rstrip("\n") + tail


def status_description(merged: Merged, limit: int = 140) -> str:
    """The commit status's description: ``fail: 2 of 3 shards failed: nlp, vision``."""
    text = f"{merged.verdict}: {merged.summary()}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shard_names(shards: Iterable[Shard]) -> list[str]:
    return [shard.name for shard in shards]


# --- the command: read the base's word, merge, write, publish -----------------------------


@dataclass(frozen=True)
class MergeRun:
    merged: Merged
    comment_url: str | None
    status: str | None  # the state or conclusion sent
    publish_error: PublishError | None


def _base_config(
    github: GitHub,
    context: actions.Context,
    pr_number: int | None,
    config_path: str,
    log: actions.ActionsLog,
) -> Config | None:
    """The mlci.yaml at the pull request's base commit (or the default branch): its
    ``report.title`` names the comment and the status, its ``shards:`` are expected.
    None when there is none; a broken one is reported and treated as absent (the pull
    request that repairs it must not be locked out)."""
    base_sha = None
    if isinstance(context.event.get("pull_request"), dict):
        base_sha = context.base_sha
    elif pr_number is not None:
        base_sha = github.pull_base_sha(pr_number)
    text = github.file_at(config_path, base_sha)
    if text is None:
        return None
    where = f"{base_sha[:7] if base_sha else 'default branch'}:{config_path}"
    try:
        return parse_config(text, where)
    except ConfigError as exc:
        log.command(f"::warning title=mlci::{actions.escape_data(str(exc))}")
        return None


def run_merge(
    paths: Sequence[Path],
    options: PublishOptions,
    *,
    expect: Sequence[str],
    report_path: Path,
    do_publish: bool,
    log: actions.ActionsLog,
) -> MergeRun:
    """Merge the shards' results and publish one comment, one status, one summary.

    What is expected and the title come from the base (its mlci.yaml, read through the
    API as `mlci publish` reads it) and the command line, never from a results file.
    The merged report is written to ``report_path`` and the job summary before
    anything is posted, so a failed post (exit 4) loses nothing.
    """
    config_path = _repo_relative(options.config_path)
    context = actions.read_context(publishing=do_publish)
    token = take_token(options, log.command)
    if do_publish and not token:
        raise missing_token(options.token_env)
    title = options.title
    listed: list[str] = []
    pr_number = options.pr_number or context.pr_number
    error: PublishError | None = None
    if do_publish:
        try:
            with _open_github(context, token, options) as github:
                if pr_number is None and context.head_sha:
                    pr_number = github.find_pull(context.head_sha, _head_label(context))
                base = _base_config(github, context, pr_number, config_path, log)
        except PublishError as exc:
            exc.message = redact(exc.message, token)
            log.command(
                f"::error title=mlci%3A publishing failed::{actions.escape_data(exc.message)}"
            )
            error, base = exc, None
        if base is not None:
            listed = [shard.name for shard in base.shards]
            title = title or base.report.title
    expect = list(dict.fromkeys([*listed, *expect]))
    merged = merge(
        paths, title=title or ReportConfig().title, expect=expect, head_sha=context.head_sha
    )
    # One text for the report file, the job summary and the comment (as for `mlci ci`):
    # the complete report of each shard is the artifact its job uploaded.
    runs = artifacts_link(context)
    full_report = Md(runs) if runs else "the workflow run"
    # Room for the per-post nonce line sync_comment appends.
    report = fit_merged(merged, limit=COMMENT_LIMIT - 64, full_report=full_report)
    write_text(report_path, report)
    actions.append_summary(os.environ.get("GITHUB_STEP_SUMMARY"), report)
    for shard in merged.failing():
        log.command(
            f"::error title=mlci%3A shard {shard.name} failed::"
            + actions.escape_data(clip(shard.summary, 1000))
        )
    url = sent = None
    if do_publish and error is None:
        try:
            with _open_github(context, token, options) as github:
                url, sent = _publish(merged, context, github, options, pr_number, report)
        except PublishError as exc:
            exc.message = redact(exc.message, token)
            log.command(
                f"::error title=mlci%3A publishing failed::{actions.escape_data(exc.message)}"
            )
            error = exc
    actions.write_outputs(
        os.environ.get("GITHUB_OUTPUT"),
        {
            "verdict": merged.verdict,
            "failed-shards": " ".join(shard.name for shard in merged.failing()),
            "comment-url": url or "",
            "report-path": str(report_path.absolute()),
        },
    )
    return MergeRun(merged=merged, comment_url=url, status=sent, publish_error=error)


def _publish(
    merged: Merged,
    context: actions.Context,
    github: GitHub,
    options: PublishOptions,
    pr_number: int | None,
    body: str,
) -> tuple[str | None, str | None]:
    url = sent = None
    if pr_number is not None and options.comment != "off":
        url, _removed = sync_comment(github, pr_number, body, merged.title, options.comment)
    head_sha = context.head_sha
    if options.status != "off" and head_sha:
        name = f"mlci/{merged.title}"
        if options.status == "status":
            sent = _STATE[merged.verdict]
            github.post_status(head_sha, sent, status_description(merged), name, context.run_url)
        else:
            sent = _CONCLUSION[merged.verdict]
            payload: dict[str, object] = {
                "name": name,
                "head_sha": head_sha,
                "status": "completed",
                "conclusion": sent,
                "output": {
                    "title": status_description(merged, 255),
                    # Check-run text is limited in UTF-8 bytes, not characters.
                    "summary": body
                    if utf8_size(body) <= CHECK_TEXT_LIMIT
                    else fit_merged(merged, limit=CHECK_TEXT_LIMIT, size=utf8_size),
                },
            }
            if context.run_url:
                payload["details_url"] = context.run_url
            github.post_check_run(payload)
    return url, sent
