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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mlci.commands.publish import (
    PublishOptions,
    artifacts_link,
    base_config,
    head_label,
    open_github,
    repo_relative,
    take_token,
)
from mlci.config import ReportConfig
from mlci.errors import PublishError, UsageError, clip, redact
from mlci.forge import COMMENT_LIMIT, body_size, detect, utf8_size
from mlci.github import actions
from mlci.github.client import GitHub, missing_token
from mlci.github.publish import CHECK_TEXT_LIMIT, post_verdict, sync_comment
from mlci.render.shards import (
    ARTIFACT_PREFIX,
    ORDER,
    Merged,
    Shard,
    fit_merged,
    status_description,
)
from mlci.render.text import Md
from mlci.results import SHARD_NAME, Results
from mlci.safefs import write_text

RESULTS_FILE = "mlci-results.json"
# A folder of downloaded artifacts holding more results files than this is refused:
# a matrix has at most 256 jobs.
MAX_FILES = 1000
_SHARD = re.compile(SHARD_NAME)


def find_results(paths: Sequence[Path]) -> list[Path]:
    """The results files named, and those of each folder named: in it, or one level
    down (a folder of downloaded artifacts: ``<folder>/mlci-results-NAME/mlci-results.json``).

    Not deeper: an artifact holds what its job (the pull request's code) put there, and
    a file planted further down must not pass for another shard's results."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            inside = sorted(
                p
                for p in (path / RESULTS_FILE, *path.glob(f"*/{RESULTS_FILE}"))
                if (p.is_file() or p.is_symlink()) and not p.parent.is_symlink()
            )
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
    folder = path.parent.name
    if folder_name is None and folder.startswith(ARTIFACT_PREFIX):
        # An artifact named like a shard's but not a valid name ("mlci-results-x y"):
        # its file must not claim whichever shard it likes.
        problem = f"{path} was uploaded as {folder!r}, which names no shard; refused"
        return Shard(str(path), None, problem, (str(path),))
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
    shards.sort(key=lambda shard: (ORDER[shard.verdict], shard.name))
    valid = [shard.results for shard in shards if shard.results is not None]
    return Merged(
        title=title,
        shards=tuple(shards),
        head=valid[0].head if valid else None,
        base=valid[0].base if valid else None,
    )


# --- the command: read the base's word, merge, write, publish -----------------------------


@dataclass(frozen=True)
class MergeRun:
    merged: Merged
    comment_url: str | None
    status: str | None  # the state or conclusion sent
    publish_error: PublishError | None


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
    if do_publish and detect() == "gitlab":
        raise UsageError(
            "mlci merge publishes to GitHub pull requests only, and this is a GitLab CI job",
            hint="`mlci merge --no-publish --expect NAME ...` writes the merged report (and "
            "the verdict as the exit code); GitLab's `parallel: matrix` jobs can each "
            "publish with `mlci ci`",
        )
    config_path = repo_relative(options.config_path)
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
            with open_github(context, token, options) as github:
                if pr_number is None and context.head_sha:
                    pr_number = github.find_pull(context.head_sha, head_label(context))
                base = base_config(github, context, pr_number, config_path, log.command)
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
    if not do_publish and not expect:
        # The base's shards: list is read through the API, only when publishing: without
        # --expect a shard whose job left nothing cannot be missed.
        log.command(
            "::warning title=mlci::no shard is expected: a shard whose results are missing "
            "goes unnoticed; name each shard with --expect NAME"
        )
    merged = merge(
        paths, title=title or ReportConfig().title, expect=expect, head_sha=context.head_sha
    )
    # One text for the report file, the job summary and the comment (as for `mlci ci`):
    # the complete report of each shard is the artifact its job uploaded.
    runs = artifacts_link(context)
    full_report = Md(runs) if runs else "the workflow run"
    # Room for the per-post nonce line sync_comment appends.
    report = fit_merged(merged, limit=COMMENT_LIMIT - 64, size=body_size, full_report=full_report)
    write_text(report_path, report)
    actions.append_summary(os.environ.get("GITHUB_STEP_SUMMARY"), report)
    for shard in merged.failing():
        log.command(
            f"::error title={actions.escape_property(f'mlci: shard {shard.name} failed')}::"
            + actions.escape_data(clip(shard.summary, 1000))
        )
    url = sent = None
    if do_publish and error is None:
        try:
            with open_github(context, token, options) as github:
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
    if context.head_sha:
        summary = body
        if utf8_size(body) > CHECK_TEXT_LIMIT:  # a check run's text counts UTF-8 bytes
            summary = fit_merged(merged, limit=CHECK_TEXT_LIMIT, size=utf8_size)
        sent = post_verdict(
            github,
            head_sha=context.head_sha,
            verdict=merged.verdict,
            name=f"mlci/{merged.title}",
            title=status_description(merged, 255),
            summary=summary,
            mode=options.status,
            run_url=context.run_url,
        )
    return url, sent
