"""The forge is one interface: the check, the report and the results know nothing of
GitHub or GitLab, and each forge lives in its own package."""

from __future__ import annotations

from test_layers import GRAPH

FORGES = ("mlci.forge", "mlci.github", "mlci.gitlab")
# What computes and renders: resolve, measure, judge, render, and the flow that runs them.
FORGE_FREE = ("mlci.flow", "mlci.results", "mlci.checks", "mlci.judge", "mlci.render")


def reachable(start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for target in GRAPH[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def test_the_check_the_report_and_the_results_reach_no_forge() -> None:
    leaks = {
        name: sorted(target for target in reachable(name) if within(target, FORGES))
        for name in GRAPH
        if within(name, FORGE_FREE)
    }
    assert {name: found for name, found in leaks.items() if found} == {}
    assert "mlci.render.markdown" in leaks  # the walk saw the modules it guards


def test_github_and_gitlab_never_import_each_other() -> None:
    for name in GRAPH:
        if within(name, ("mlci.github",)):
            assert not any(within(t, ("mlci.gitlab",)) for t in reachable(name)), name
        if within(name, ("mlci.gitlab",)):
            assert not any(within(t, ("mlci.github",)) for t in reachable(name)), name
