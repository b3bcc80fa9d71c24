"""Rules from mlci.yaml applied to the metrics diff: one GateResult per threshold."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from mlci.config import MetricRule
from mlci.judge.diff import not_a_number, shown
from mlci.numbers import finite_number, fmt_number
from mlci.results import Change, GateResult, LoadError, Outcome, under_severity

# Float noise must not fail a gate set exactly at the boundary (0.1 + 0.2 > 0.3);
# the allowance scales with the numbers compared.
_RELATIVE_TOLERANCE = 1e-9


def _slack(*values: float) -> float:
    return _RELATIVE_TOLERANCE * max(1.0, *(abs(v) for v in values if math.isfinite(v)))


@lru_cache(maxsize=256)
def _key_pattern(glob: str) -> re.Pattern[str]:
    """``*`` matches within one dotted segment, ``**`` across segments."""
    parts = re.split(r"(\*\*|\*|\?)", glob)
    wildcard = {"**": ".*", "*": r"[^.]*", "?": r"[^.]"}
    return re.compile("".join(wildcard.get(part, re.escape(part)) for part in parts) + r"\Z")


def matches(rule: MetricRule, change: Change) -> bool:
    if rule.file is not None and rule.file != change.file:
        return False
    return _key_pattern(rule.key).match(change.key) is not None


class RuleIndex:
    """Which rules match a metric, found without trying every rule on every metric.

    A rule whose key has no wildcard is looked up by key in a dict; the globs are
    compiled once into one alternation, so a metric no glob matches costs one regex
    match, and only those one does are tried glob by glob. For N metrics and R rules
    the work is N dict lookups and N regex matches, not N x R pattern matches.
    """

    def __init__(self, rules: Sequence[MetricRule]) -> None:
        self._rules = rules
        self._literal: dict[str, list[int]] = {}
        self._globs: list[int] = []
        for index, rule in enumerate(rules):
            if any(wildcard in rule.key for wildcard in "*?"):
                self._globs.append(index)
            else:
                self._literal.setdefault(rule.key, []).append(index)
        self._any_glob = (
            re.compile("|".join(f"(?:{_key_pattern(rules[i].key).pattern})" for i in self._globs))
            if self._globs
            else None
        )

    def matching(self, file: str, key: str) -> list[int]:
        """The indexes of the rules that match ``key`` in ``file``, in the rules' order."""
        if not self._rules:
            return []
        found = [
            index for index in self._literal.get(key, ()) if self._rules[index].file in (None, file)
        ]
        if self._any_glob is not None and self._any_glob.match(key):
            found += [
                i
                for i in self._globs
                if self._rules[i].file in (None, file)
                and _key_pattern(self._rules[i].key).match(key)
            ]
            found.sort()
        return found


def describe(rule: MetricRule) -> str:
    """The rule as a reviewer reads it: ``accuracy: ≥ 0.9, drop ≤ 0.01``."""
    words = {
        "min": "≥ {:g}",
        "max": "≤ {:g}",
        "max_drop": "drop ≤ {:g}",
        "max_drop_pct": "drop ≤ {:g}%",
    }
    parts = [words[name].format(value) for name, value in rule.thresholds().items()]
    if rule.min is not None and rule.min_confidence == "lower":
        parts[0] += " (interval's lower bound)"
    if rule.significance is not None:
        parts.append(f"significant at {rule.significance:g}")
    if not rule.higher_is_better:
        parts.append("lower is better")
    return ", ".join(parts)


def _check(
    rule: MetricRule, name: str, limit: float, head_value: float, change: Change
) -> tuple[Outcome | None, str] | None:
    """(outcome, reason) for one threshold: outcome None for pass, else the rule's
    severity or, when a relative threshold has a base value that is not a number, a
    warning. None when the threshold does not apply (a relative one to a new metric)."""
    if name == "min" and rule.min_confidence == "lower" and change.head_low is not None:
        bound = change.head_low
        ok = bound >= limit - _slack(bound, limit)
        return _judged(ok, rule), (
            f"{fmt_number(head_value)}, its interval's lower bound {fmt_number(bound)} "
            f"{'≥' if ok else '<'} min {fmt_number(limit)}"
        )
    if name == "min":
        ok = head_value >= limit - _slack(head_value, limit)
        return _judged(
            ok, rule
        ), f"{fmt_number(head_value)} {'≥' if ok else '<'} min {fmt_number(limit)}"
    if name == "max":
        ok = head_value <= limit + _slack(head_value, limit)
        return _judged(
            ok, rule
        ), f"{fmt_number(head_value)} {'≤' if ok else '>'} max {fmt_number(limit)}"
    if change.status == "new":
        return None  # nothing to compare with; the absolute thresholds still judge it
    if change.status == "not compared":
        return "warn", f"not evaluated: {change.file or 'the metrics'} could not be read at base"
    base_value = finite_number(change.base)
    if base_value is None:
        # A base the pull request cannot have produced: warn, so a broken base does not
        # block the PR that repairs it, but never pass silently.
        return "warn", f"not compared: {not_a_number(change.base, 'base')}"
    drop = base_value - head_value if rule.higher_is_better else head_value - base_value
    if name == "max_drop":
        ok = drop <= limit + _slack(base_value, head_value, limit)
        return _judged(ok, rule), (
            f"dropped by {fmt_number(abs(drop))} "
            f"({fmt_number(base_value)} → {fmt_number(head_value)}), allowed {fmt_number(limit)}"
            if drop > 0
            else f"did not drop ({fmt_number(base_value)} → {fmt_number(head_value)})"
        )
    # max_drop_pct
    if base_value == 0:
        pct = 0.0 if drop <= 0 else math.inf
    else:
        pct = drop / abs(base_value) * 100
    ok = pct <= limit + _slack(pct, limit)
    if drop <= 0:
        return _judged(
            ok, rule
        ), f"did not drop ({fmt_number(base_value)} → {fmt_number(head_value)})"
    return _judged(ok, rule), (
        f"dropped {_fmt_pct(pct)} ({fmt_number(base_value)} → {fmt_number(head_value)}), "
        f"allowed {limit:g}%"
    )


def _judged(ok: bool, rule: MetricRule) -> Outcome | None:
    return None if ok else under_severity("fail", rule.severity)


def _fmt_pct(pct: float) -> str:
    return f"{pct:.2f}%" if abs(pct) < 1e6 else f"{pct:.3g}%"


def _apply(rule: MetricRule, change: Change, source: str) -> Iterable[GateResult]:
    def result(check: str, outcome: Outcome | None, reason: str) -> GateResult:
        return GateResult(
            key=change.key,
            file=change.file,
            rule=f"{rule.key}: {describe(rule)}",
            check=check,
            outcome=outcome or "pass",
            reason=reason,
            severity=rule.severity,
            source=source,
            line=rule.line,
        )

    if change.status == "removed":
        yield result(
            "present", rule.severity, f"present at base ({shown(change.base)}) but missing at head"
        )
        return
    head_value = finite_number(change.head)
    if head_value is None:
        # Whatever a rule covers must be a finite number at head: a string, a boolean, a
        # list, NaN or an overflowing int fails it rather than slipping past every threshold.
        yield result("number", rule.severity, not_a_number(change.head, "head"))
        return
    for name, limit in rule.thresholds().items():
        checked = _check(rule, name, limit, head_value, change)
        if checked is not None and name in ("max_drop", "max_drop_pct"):
            checked = _significant(rule, change, *checked)
        if checked is not None:
            yield result(name, *checked)


def _significant(
    rule: MetricRule, change: Change, outcome: Outcome | None, reason: str
) -> tuple[Outcome | None, str]:
    """A drop beyond the threshold fails only when significant at the rule's level;
    one that is not is a warning that says so. Without a test (a metric read from a
    file, not computed from predictions) the threshold alone decides."""
    if rule.significance is None or change.p_value is None or outcome is None:
        return outcome, reason
    p = f"p = {fmt_number(change.p_value, 2)}"
    if change.p_value < rule.significance:
        return outcome, f"{reason}; significant ({p} < {rule.significance:g})"
    return "warn", f"{reason}; not significant ({p} ≥ {rule.significance:g}): may be noise"


def _unmatched(rule: MetricRule, source: str) -> GateResult:
    where = f" in {rule.file}" if rule.file else ""
    return GateResult(
        key=rule.key,
        file=rule.file or "",
        rule=f"{rule.key}: {describe(rule)}",
        check="matched",
        outcome="warn",
        reason=f"no metric matches '{rule.key}'{where} at base or head; check the key",
        severity=rule.severity,
        source=source,
        line=rule.line,
    )


def evaluate(
    metrics: Sequence[Change],
    rules: Sequence[tuple[MetricRule, str]],
    errors: Sequence[LoadError] = (),
) -> tuple[GateResult, ...]:
    """Apply ``rules`` (each with whose mlci.yaml it came from, as
    :meth:`mlci.judge.policy.Policy.metric_rules` lists them); where several gate a metric,
    all must pass. Files that could not be read fail at head and warn at base.
    """
    gates: list[GateResult] = []
    index = RuleIndex([rule for rule, _source in rules])
    matched_by_rule: list[list[Change]] = [[] for _ in rules]
    for change in metrics:
        for i in index.matching(change.file, change.key):
            matched_by_rule[i].append(change)
    for (rule, source), matched in zip(rules, matched_by_rule, strict=True):
        if not matched:
            gates.append(_unmatched(rule, source))
        for change in matched:
            if change.gated:  # a slice below its minimum support is shown, never judged
                gates.extend(_apply(rule, change, source))

    for error in errors:
        # A file the head cannot read fails the gate; a broken base only warns, so
        # the pull request that repairs it can still pass.
        gates.append(
            GateResult(
                key="*",
                file=error.file,
                rule="metrics files must be readable",
                check="readable",
                outcome="fail" if error.rev == "head" else "warn",
                reason=f"cannot read {error.file} at {error.rev}: {error.message}",
                severity="fail",
                source="mlci",
            )
        )
    return tuple(gates)
