"""`mlci.yaml` -> frozen dataclasses, validated in one place.

Every error names the file, the line, the key path and what is accepted, e.g.
``mlci.yaml:7: metrics[0].max_drop: expected a number, got 'a lot'``.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import yaml

from mlci.errors import ConfigError, clip
from mlci.results import SHARD_NAME

if TYPE_CHECKING:
    from mlci.specs import (
        ColumnSpec,
        ColumnType,
        DatasetSpec,
        DriftSpec,
        Format,
        PredictionsSpec,
        SliceSpec,
        Task,
    )

CONFIG_FILE = "mlci.yaml"

Severity = Literal["fail", "warn"]
C = TypeVar("C", bound=str)


@dataclass(frozen=True)
class MetricRule:
    """One gate over the metrics whose flattened key matches ``key``."""

    key: str
    file: str | None = None
    higher_is_better: bool = True
    min: float | None = None
    max: float | None = None
    max_drop: float | None = None
    max_drop_pct: float | None = None
    severity: Severity = "fail"
    # A drop beyond max_drop/max_drop_pct fails only when it is significant at this
    # level; otherwise it is a warning that says so (metrics from predictions only).
    significance: float | None = None
    # "lower": min (and max, for lower-is-better) judged on the bound of the head
    # value's interval rather than on the value itself.
    min_confidence: Literal["point", "lower"] = "point"
    line: int | None = field(default=None, compare=False)

    def thresholds(self) -> dict[str, float]:
        named = {
            "min": self.min,
            "max": self.max,
            "max_drop": self.max_drop,
            "max_drop_pct": self.max_drop_pct,
        }
        return {name: value for name, value in named.items() if value is not None}


@dataclass(frozen=True)
class PipelineConfig:
    pull: bool = True
    repro: bool = True
    # `dvc pull --run-cache`: also fetch the remote's log of stage runs, so `dvc repro`
    # restores a stage someone pushed a run of (`dvc push --run-cache`) instead of
    # re-running it. Off by default: it downloads every stage run the remote holds.
    run_cache: bool = False


@dataclass(frozen=True)
class ReportConfig:
    title: str = "Model report"
    fold_unchanged: bool = True


@dataclass(frozen=True)
class TestsConfig:
    """The project's own test suite: its failures fail the gate."""

    command: str
    junit: str | None = None  # JUnit XML it writes; pytest's is added automatically
    severity: Severity = "fail"


@dataclass(frozen=True)
class DataRule:
    """One dataset: its checks, and drift against the base revision's version of it."""

    spec: DatasetSpec
    drift: DriftSpec | None = None
    severity: Severity = "fail"
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class LimitsConfig:
    """How large a metrics, params, plot or JUnit file mlci reads may be, in MB."""

    max_file_mb: float = 50.0


@dataclass(frozen=True)
class ShardConfig:
    """One job of a matrix (`mlci ci --shard NAME`): a DVC project in a folder of the
    repository, and the runner that job asks for (``mlci init --matrix``)."""

    name: str
    path: str  # the project's folder from the repository root; "." is the root
    runs_on: tuple[str, ...] = ("ubuntu-latest",)
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Config:
    base: str | None = None  # the branch to compare against; see mlci.judge.policy
    pipeline: PipelineConfig = PipelineConfig()
    metrics: tuple[MetricRule, ...] = ()
    report: ReportConfig = ReportConfig()
    tests: TestsConfig | None = None
    data: tuple[DataRule, ...] = ()
    limits: LimitsConfig = LimitsConfig()
    predictions: PredictionsSpec | None = None
    shards: tuple[ShardConfig, ...] = ()


_Path = tuple[str | int, ...]
# Unambiguous (no two quantifiers compete for the same digits), so a long string of digits
# is matched in linear time, not quadratic.
_YAML11_FLOAT = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)[eE][-+]?\d+")


def _fmt_path(path: _Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(top level)"


class _Validator:
    """Walks the parsed YAML with its node tree beside it, for line numbers."""

    def __init__(self, source: str, root: yaml.Node | None) -> None:
        self.source = source
        self.root = root

    def line_of(self, path: _Path, *, key: bool = False) -> int | None:
        """Line of the value at ``path`` (of its key, with ``key=True``)."""
        node = self.root
        for index, part in enumerate(path):
            if isinstance(node, yaml.MappingNode):
                pair = next(((k, v) for k, v in node.value if k.value == part), None)
                last = index == len(path) - 1
                node = None if pair is None else pair[0] if key and last else pair[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                node = node.value[part] if part < len(node.value) else None
            else:
                node = None
            if node is None:
                return None
        return None if node is None else node.start_mark.line + 1

    def error(
        self, path: _Path, message: str, hint: str | None = None, *, key: bool = False
    ) -> ConfigError:
        line = self.line_of(path, key=key)
        where = f"{self.source}:{line}" if line else self.source
        return ConfigError(f"{where}: {_fmt_path(path)}: {message}", hint=hint)

    def mapping(self, value: Any, path: _Path, allowed: Collection[str]) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.error(path, f"expected a mapping, got {_describe(value)}")
        for key in value:
            if not isinstance(key, str) or key not in allowed:
                name = clip(str(key))
                close = difflib.get_close_matches(name, list(allowed), n=1)
                hint = (
                    f"did you mean '{close[0]}'?"
                    if close
                    else "allowed keys: " + ", ".join(allowed)
                )
                raise self.error((*path, name), f"unknown key '{name}'", hint=hint, key=True)
        return value

    def number(self, value: Any, path: _Path) -> float | None:
        if value is None:
            return None
        if isinstance(value, str) and _YAML11_FLOAT.fullmatch(value.strip()):
            # YAML 1.1 reads 1e-3 (no dot) as a string; it is meant as a number.
            value = float(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(path, f"expected a number, got {_describe(value)}")
        try:
            number = float(value)
        except OverflowError:  # an int too large for a float
            number = math.inf
        if not math.isfinite(number):
            raise self.error(path, f"expected a finite number, got {_describe(value, 40)}")
        return number

    def boolean(self, value: Any, path: _Path, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(path, f"expected true or false, got {_describe(value)}")
        return value

    def string(self, value: Any, path: _Path, default: str | None = None) -> str | None:
        if value is None:
            return default
        if not isinstance(value, str) or not value.strip():
            raise self.error(path, f"expected a non-empty string, got {_describe(value)}")
        return value

    def choice(self, value: Any, path: _Path, choices: tuple[C, ...], default: C) -> C:
        """``value`` as the one of ``choices`` it equals (so a Literal stays a Literal)."""
        return default if value is None else self.one_of(value, path, choices)

    def one_of(self, value: Any, path: _Path, choices: tuple[C, ...]) -> C:
        for choice in choices:
            if value == choice and isinstance(value, str):
                return choice
        raise self.error(path, f"expected one of {', '.join(choices)}, got {_describe(value)}")


def _describe(value: Any, limit: int = 200) -> str:
    """A value quoted in an error, at most ``limit`` characters: it may be huge."""
    if isinstance(value, (dict, list)):
        return type(value).__name__
    return clip(repr(value), limit)


# Nodes an mlci.yaml may hold once its aliases are expanded. A real one has hundreds; a
# "billion laughs" document (aliases of aliases) is refused before anything expands it.
_MAX_NODES = 100_000


_FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose(
    text: str,
    source: str,
    max_nodes: int = _MAX_NODES,
    hint: str | None = None,
    *,
    as_dvc: bool = False,
) -> yaml.Node | None:
    """The document's node tree, refused when its aliases would expand it beyond
    ``max_nodes`` nodes or make it recursive. PyYAML shares an aliased node rather than
    copying it, so composing is cheap; what costs is walking or constructing the result.

    Composed by libyaml's parser when PyYAML has it (~10x faster: a check composes up
    to three mlci.yaml files); a document it refuses is composed again by PyYAML's own
    parser, so what is accepted, and every error's wording, stays PyYAML's.

    ``as_dvc``: a file DVC reads, composed by DVC's own parser (ruamel's, whose nodes
    are alike) when PyYAML's refuses it, since DVC's reads more (an anchor named
    ``a.b``), or reads it otherwise (NEL, LS, PS: see :data:`_ODD_BREAKS`); None when
    that one fails too, as DVC will, before expanding anything.
    Only for text whose nesting is already bounded: that composer recurses."""
    try:
        if as_dvc and _reads_differently(text):
            raise yaml.YAMLError("read as DVC reads it")
        try:
            root = yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            if _FAST_LOADER is yaml.SafeLoader:
                raise
            root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        if not as_dvc:
            raise
        from ruamel.yaml import YAML

        try:
            root = YAML(typ="safe", pure=True).compose(text)
        except Exception:  # ruamel raises more kinds than its YAMLError on odd input
            return None
    sizes: dict[int, int] = {}

    def size(node: yaml.Node, open_nodes: set[int]) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        if id(node) in open_nodes:
            raise _alias_error(
                source, node, "an alias refers to itself (a recursive document)", hint
            )
        open_nodes.add(id(node))
        total = 1
        children: list[yaml.Node] = []
        if _kind(node) == "sequence":
            children = list(node.value)
        elif _kind(node) == "mapping":
            children = [part for pair in node.value for part in pair]
        for child in children:
            total += size(child, open_nodes)
            if total > max_nodes:
                raise _alias_error(
                    source, node, f"its aliases expand it to more than {max_nodes:,} values", hint
                )
        open_nodes.discard(id(node))
        sizes[id(node)] = total
        return total

    if root is not None:
        size(root, set())
    return root


def _kind(node: object) -> str:
    """ "sequence", "mapping" or "scalar": PyYAML's nodes and ruamel's (see
    :func:`_compose`) name their kind alike, in an attribute PyYAML's stubs omit."""
    return str(getattr(node, "id", ""))


def _alias_error(
    source: str, node: yaml.Node, problem: str, hint: str | None = None
) -> ConfigError:
    return ConfigError(
        f"{source}:{node.start_mark.line + 1}: refused: {problem}",
        hint=hint or "write the values out (or use fewer aliases); mlci.yaml needs no more",
    )


# DVC parses dvc.yaml, dvc.lock, .dvc files, params.yaml and `vars:` files itself: a
# document whose aliases expand past this would keep DVC busy far past any job's time.
DVC_YAML_MAX_NODES = 2_000_000


# DVC parses YAML with ruamel's pure-Python parser, which recurses once per level of
# nesting: past about 490 levels it dies with a RecursionError inside DVC. No real
# dvc.yaml, dvc.lock or params.yaml comes near this.
DVC_YAML_MAX_DEPTH = 100

# What begins a line before its first value: indentation and the block indicators
# (tabs too, which DVC's parser refuses there). DVC's parser starts its column again
# after \n, \r\n or a lone \r (``^`` only after \n), and skips a byte order mark,
# which ``^`` would take for the line's first value.
_LINE_START = re.compile(r"(?:^|[\r\ufeff])[ \t\-?:]*", re.MULTILINE)

# Line breaks to DVC's parser (YAML 1.2's ruamel) that do not start its column again:
# after them a key is one level deeper with no indentation (`k:<NEL>k:<NEL>k: v`),
# where libyaml reads siblings. A file holding one is measured by DVC's own parser.
_ODD_BREAKS = ("\x85", "\u2028", "\u2029")


def _reads_differently(text: str) -> bool:
    """Whether DVC's parser may nest ``text`` where neither the bound nor libyaml sees
    it: a line break of :data:`_ODD_BREAKS`, or a byte order mark past the first
    character (libyaml skips it, and reads what follows as a comment in
    ``<BOM><BOM>#c: [[...]]``; DVC's parser reads it as a key's first character)."""
    return any(brk in text for brk in _ODD_BREAKS) or text.find("\ufeff", 1) != -1


def check_dvc_yaml(text: str, source: str) -> None:
    """Refuse (exit 2) a YAML file DVC would parse that is nested more than
    :data:`DVC_YAML_MAX_DEPTH` levels deep (as written, or once its aliases are
    expanded), whose aliases expand it past :data:`DVC_YAML_MAX_NODES` values, or that
    is recursive; a file that is not valid YAML is left to DVC, which reports it."""
    _refuse_deep(text, source)
    if "&" not in text:  # no anchor, no alias to expand: the common case costs nothing
        return
    root = _compose(
        text,
        source,
        DVC_YAML_MAX_NODES,
        hint="write the values out (or use fewer aliases): DVC expands every alias",
        as_dvc=True,
    )
    # A list holding an alias of a list holding an alias...: each line nests the values
    # one level deeper than the last, and DVC walks them recursively.
    if _expanded_depth(root) > DVC_YAML_MAX_DEPTH:
        raise ConfigError(
            f"{source}: refused: its aliases nest it more than {DVC_YAML_MAX_DEPTH} levels deep",
            hint="write the values out (or use fewer aliases): DVC expands every alias",
        )


def _expanded_depth(root: yaml.Node | None) -> int:
    """How deep the values nest once every alias is expanded.

    Each node's depth is kept, so an aliased node is measured once. An anchor comes
    before its aliases in the text, and so in this walk: the recursion goes no deeper
    than the text nests (checked to be at most :data:`DVC_YAML_MAX_DEPTH` first), and
    :func:`_compose` has refused a recursive document already.
    """
    depths: dict[int, int] = {}

    def depth(node: yaml.Node) -> int:
        if id(node) not in depths:
            if _kind(node) == "sequence":
                depths[id(node)] = 1 + max((depth(child) for child in node.value), default=0)
            elif _kind(node) == "mapping":
                parts = (part for pair in node.value for part in pair)
                depths[id(node)] = 1 + max((depth(part) for part in parts), default=0)
            else:
                depths[id(node)] = 0
        return depths[id(node)]

    return 0 if root is None else depth(root)


def _refuse_deep(text: str, source: str, limit: int = DVC_YAML_MAX_DEPTH) -> None:
    """Refuse a document nested more than ``limit`` levels deep.

    A bound first, which costs two counts and one regex over the text. A block
    collection starts right of its parent, or after one more indicator (``- ``,
    ``? ``, ``: ``) on the same line, and a flow collection opens a bracket: ``{``
    one level, ``[`` two (``[k: [k: v]]`` is a list of one-pair mappings). So the
    depth is at most the longest run of indentation and indicators that starts a line,
    plus the brackets so weighed, plus the root. Only a document past that bound is
    parsed, into events (iteratively: the parser keeps its own stack), and its
    collections counted: by libyaml, or, where libyaml refuses the text, by DVC's own
    parser, which reads more (an anchor named ``a.b``, a ``%FOO`` directive). Where
    that one fails too, DVC fails at the same event, no deeper than counted.
    """
    odd = _reads_differently(text)
    widest = max(map(len, _LINE_START.findall(text)), default=0)
    if not odd and widest + 2 * text.count("[") + text.count("{") + 1 <= limit:
        return
    error = ConfigError(
        f"{source}: refused: nested more than {limit} levels deep",
        hint="flatten it: DVC's YAML parser fails on deeply nested files",
    )
    if not odd:
        try:
            events = yaml.parse(text, Loader=_FAST_LOADER)
            starts_ends = (yaml.CollectionStartEvent, yaml.CollectionEndEvent)
            _count_depth(events, starts_ends, limit, error)
            return
        except yaml.YAMLError as exc:
            if "nesting depth" in str(exc):  # libyaml's own limit (1,000 levels)
                raise error from None
    from ruamel.yaml import YAML
    from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent

    try:
        events = YAML(typ="safe", pure=True).parse(text)
        _count_depth(events, (CollectionStartEvent, CollectionEndEvent), limit, error)
    except ConfigError:
        raise
    except Exception:  # ruamel raises more kinds than its YAMLError on odd input
        pass  # Not valid YAML: left to DVC, which names the file and the line.


def _count_depth(
    events: Iterable[object], kinds: tuple[type, type], limit: int, error: ConfigError
) -> None:
    """Raise ``error`` once the collections nest more than ``limit`` deep; ``kinds``:
    the parser's classes of the events that open and close a collection."""
    opens, closes = kinds
    depth = 0
    for event in events:
        if isinstance(event, opens):
            depth += 1
            if depth > limit:
                raise error
        elif isinstance(event, closes):
            depth -= 1


def _construct(root: yaml.Node | None) -> Any:
    """Python values from the (already bounded) node tree, as ``yaml.safe_load`` makes them."""
    if root is None:
        return None
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(root)
    finally:
        loader.dispose()


_RULE_KEYS = {
    "key": "flattened metric key; globs: * one segment, ** any",
    "file": "metrics file the key is read from",
    "higher_is_better": "direction of improvement",
    "min": "absolute floor",
    "max": "absolute ceiling",
    "max_drop": "largest allowed drop vs base, absolute",
    "max_drop_pct": "largest allowed drop vs base, in percent",
    "severity": "fail or warn",
    "significance": "a drop fails only when significant at this level (e.g. 0.05)",
    "min_confidence": "lower: judge min on the lower bound of the head's interval",
}
_TOP_KEYS = (
    "base",
    "pipeline",
    "metrics",
    "report",
    "tests",
    "data",
    "limits",
    "predictions",
    "shards",
)
_PREDICTIONS_KEYS = (
    "path",
    "format",
    "id",
    "label",
    "prediction",
    "score",
    "scores",
    "task",
    "positive",
    "slices",
    "min_join",
    "resamples",
    "confidence",
    "seed",
    "min_rows",
)
_TASKS: tuple[Task, ...] = ("binary", "multiclass", "regression")
_COLUMN_KEYS = ("type", "nulls", "null_fraction", "min", "max", "allowed", "regex", "unique")
_FORMATS: tuple[Format, ...] = ("csv", "tsv", "parquet", "jsonl")
_COLUMN_TYPES: tuple[ColumnType, ...] = ("int", "float", "number", "string", "bool", "datetime")
_DATA_KEYS = ("path", "format", "rows", "unique", "columns", "drift", "severity")
_DRIFT_KEYS = (
    "columns",
    "numeric_method",
    "categorical_method",
    "psi_warn",
    "psi_fail",
    "ks_pvalue",
    "wasserstein",
    "chi2_pvalue",
    "share",
    "bins",
    "sample",
)


def _integer(check: _Validator, value: Any, path: _Path, minimum: int = 0) -> int | None:
    number = check.number(value, path)
    if number is None:
        return None
    if not number.is_integer() or number < minimum:
        raise check.error(path, f"expected a whole number ≥ {minimum}, got {_describe(value)}")
    return int(number)


def _names(check: _Validator, value: Any, path: _Path) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise check.error(path, f"expected a list of column names, got {_describe(value)}")
    return tuple(check.string(item, (*path, i)) or "" for i, item in enumerate(value))


def _column_spec(check: _Validator, raw: Any, path: _Path) -> ColumnSpec:
    from mlci.specs import ColumnSpec

    item = check.mapping(raw, path, _COLUMN_KEYS)
    allowed = item.get("allowed")
    if allowed is not None and (not isinstance(allowed, list) or not allowed):
        raise check.error(
            (*path, "allowed"), f"expected a list of values, got {_describe(allowed)}"
        )
    if allowed is not None and any(v is None or isinstance(v, (dict, list)) for v in allowed):
        raise check.error((*path, "allowed"), "values must be strings, numbers or booleans")
    regex = check.string(item.get("regex"), (*path, "regex"))
    if regex is not None:
        try:
            re.compile(regex)
        except re.error as exc:
            raise check.error((*path, "regex"), f"not a valid regular expression: {exc}") from None
    fraction = check.number(item.get("null_fraction"), (*path, "null_fraction"))
    if fraction is not None and not 0 <= fraction <= 1:
        raise check.error((*path, "null_fraction"), f"expected 0 to 1, got {fraction:g}")
    kind = item.get("type")
    return ColumnSpec(
        type=None if kind is None else check.one_of(kind, (*path, "type"), _COLUMN_TYPES),
        nulls=_integer(check, item.get("nulls"), (*path, "nulls")),
        null_fraction=fraction,
        min=check.number(item.get("min"), (*path, "min")),
        max=check.number(item.get("max"), (*path, "max")),
        allowed=None if allowed is None else tuple(allowed),
        regex=regex,
        unique=check.boolean(item.get("unique"), (*path, "unique"), False),
    )


def _drift_spec(check: _Validator, raw: Any, path: _Path) -> DriftSpec:
    from mlci.specs import DriftSpec

    item = check.mapping({} if raw is True else raw, path, _DRIFT_KEYS)
    defaults = DriftSpec()
    numbers: dict[str, Any] = {}
    for name in ("psi_warn", "psi_fail", "ks_pvalue", "wasserstein", "chi2_pvalue", "share"):
        value = check.number(item.get(name), (*path, name))
        if value is not None:
            if value < 0 or (name in ("ks_pvalue", "chi2_pvalue", "share") and value > 1):
                raise check.error((*path, name), f"out of range: {value:g}")
            numbers[name] = value
    for name, minimum in (("bins", 2), ("sample", 10)):
        value = _integer(check, item.get(name), (*path, name), minimum)
        if value is not None:
            numbers[name] = value
    columns = item.get("columns")
    return DriftSpec(
        columns=None if columns is None else _names(check, columns, (*path, "columns")),
        numeric_method=check.choice(
            item.get("numeric_method"),
            (*path, "numeric_method"),
            ("psi", "ks", "wasserstein"),
            defaults.numeric_method,
        ),
        categorical_method=check.choice(
            item.get("categorical_method"),
            (*path, "categorical_method"),
            ("psi", "chi2"),
            defaults.categorical_method,
        ),
        **numbers,
    )


def _data_rule(check: _Validator, raw: Any, path: _Path) -> DataRule:
    from mlci.specs import DatasetSpec

    item = check.mapping(raw, path, _DATA_KEYS)
    data_path = check.string(item.get("path"), (*path, "path"))
    if data_path is None:
        raise check.error(path, "missing required key 'path'", hint="e.g. path: data/train.csv")
    rows = check.mapping(item.get("rows"), (*path, "rows"), ("min", "max"))
    columns_raw = check.mapping(item.get("columns"), (*path, "columns"), _AnyKey())
    unique_raw = item.get("unique")
    unique: list[tuple[str, ...]] = []
    if unique_raw is not None:
        if not isinstance(unique_raw, list):
            unique_raw = [unique_raw]
        for i, key in enumerate(unique_raw):
            unique.append(_names(check, key, (*path, "unique", i)))
    fmt = item.get("format")
    spec = DatasetSpec(
        path=data_path,
        format=None if fmt is None else check.one_of(fmt, (*path, "format"), _FORMATS),
        columns=tuple(
            (str(name), _column_spec(check, rules, (*path, "columns", str(name))))
            for name, rules in columns_raw.items()
        ),
        unique=tuple(unique),
        rows_min=_integer(check, rows.get("min"), (*path, "rows", "min")),
        rows_max=_integer(check, rows.get("max"), (*path, "rows", "max")),
    )
    drift_raw = item.get("drift")
    return DataRule(
        spec=spec,
        drift=None
        if drift_raw in (None, False)
        else _drift_spec(check, drift_raw, (*path, "drift")),
        severity="warn"
        if check.choice(item.get("severity"), (*path, "severity"), ("fail", "warn"), "fail")
        == "warn"
        else "fail",
        line=check.line_of(path),
    )


class _AnyKey(tuple[str, ...]):
    """Allowed keys for a mapping whose keys are the user's own (column names)."""

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)


def _tests(check: _Validator, raw: Any) -> TestsConfig | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = {"command": raw}
    item = check.mapping(raw, ("tests",), ("command", "junit", "severity"))
    command = check.string(item.get("command"), ("tests", "command"))
    if command is None:
        raise check.error(("tests",), "missing required key 'command'", hint="e.g. pytest tests")
    return TestsConfig(
        command=command,
        junit=check.string(item.get("junit"), ("tests", "junit")),
        severity="warn"
        if check.choice(item.get("severity"), ("tests", "severity"), ("fail", "warn"), "fail")
        == "warn"
        else "fail",
    )


def _rule(check: _Validator, raw: Any, path: _Path) -> MetricRule:
    item = check.mapping(raw, path, _RULE_KEYS)
    key = check.string(item.get("key"), (*path, "key"))
    if key is None:
        raise check.error(path, "missing required key 'key'", hint="e.g. key: accuracy")
    rule = MetricRule(
        key=key,
        file=check.string(item.get("file"), (*path, "file")),
        higher_is_better=check.boolean(
            item.get("higher_is_better"), (*path, "higher_is_better"), True
        ),
        min=check.number(item.get("min"), (*path, "min")),
        max=check.number(item.get("max"), (*path, "max")),
        max_drop=check.number(item.get("max_drop"), (*path, "max_drop")),
        max_drop_pct=check.number(item.get("max_drop_pct"), (*path, "max_drop_pct")),
        severity="warn"
        if check.choice(item.get("severity"), (*path, "severity"), ("fail", "warn"), "fail")
        == "warn"
        else "fail",
        significance=_share(check, item.get("significance"), (*path, "significance")),
        min_confidence=check.choice(
            item.get("min_confidence"), (*path, "min_confidence"), ("point", "lower"), "point"
        ),
        line=check.line_of(path),
    )
    if not rule.thresholds():
        raise check.error(
            path,
            f"rule for '{key}' sets no threshold",
            hint="add at least one of min, max, max_drop, max_drop_pct",
        )
    if rule.min is not None and rule.max is not None and rule.min > rule.max:
        raise check.error(
            path, f"min {rule.min:g} is greater than max {rule.max:g}: no value can pass"
        )
    for name in ("max_drop", "max_drop_pct"):
        value = rule.thresholds().get(name)
        if value is not None and value < 0:
            raise check.error((*path, name), f"must be 0 or more, got {value:g}")
    return rule


def parse_config(text: str, source: str = CONFIG_FILE) -> Config:
    """Parse and validate the text of an mlci.yaml; ``source`` names it in errors."""
    try:
        root = _compose(text, source)
        raw = _construct(root)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            f"{where}: not valid YAML: {problem}", hint="fix the syntax and run again"
        ) from None
    except RecursionError:
        raise ConfigError(
            f"{source}: refused: nested too deeply", hint="mlci.yaml needs a few levels at most"
        ) from None
    check = _Validator(source, root)
    top = check.mapping(raw, (), _TOP_KEYS)

    pipeline_raw = check.mapping(top.get("pipeline"), ("pipeline",), ("pull", "repro", "run_cache"))
    report_raw = check.mapping(top.get("report"), ("report",), ("title", "fold_unchanged"))
    data_raw = top.get("data") or []
    if not isinstance(data_raw, list):
        raise check.error(("data",), f"expected a list of datasets, got {_describe(data_raw)}")
    rules_raw = top.get("metrics")
    if rules_raw is None:
        rules_raw = []
    if not isinstance(rules_raw, list):
        raise check.error(("metrics",), f"expected a list of rules, got {_describe(rules_raw)}")

    return Config(
        base=check.string(top.get("base"), ("base",)),
        pipeline=PipelineConfig(
            pull=check.boolean(pipeline_raw.get("pull"), ("pipeline", "pull"), True),
            repro=check.boolean(pipeline_raw.get("repro"), ("pipeline", "repro"), True),
            run_cache=check.boolean(
                pipeline_raw.get("run_cache"), ("pipeline", "run_cache"), False
            ),
        ),
        metrics=tuple(_rule(check, item, ("metrics", i)) for i, item in enumerate(rules_raw)),
        report=ReportConfig(
            title=check.string(report_raw.get("title"), ("report", "title"), "Model report")
            or "Model report",
            fold_unchanged=check.boolean(
                report_raw.get("fold_unchanged"), ("report", "fold_unchanged"), True
            ),
        ),
        tests=_tests(check, top.get("tests")),
        data=tuple(_data_rule(check, item, ("data", i)) for i, item in enumerate(data_raw)),
        limits=_limits(check, top.get("limits")),
        predictions=_predictions(check, top.get("predictions")),
        shards=_shards(check, top.get("shards")),
    )


def _share(check: _Validator, value: Any, path: _Path, *, one: bool = False) -> float | None:
    """A number between 0 and 1, both excluded (``one``: 1 allowed): a significance
    level, a confidence, a share."""
    number = check.number(value, path)
    if number is not None and not (0 < number < 1 or (one and number == 1)):
        upper = "1 (included)" if one else "1"
        raise check.error(path, f"expected a number above 0 and below {upper}, got {number:g}")
    return number


def _scalar_name(check: _Validator, value: Any, path: _Path) -> str:
    """A class as predictions files show it: 1 and 1.0 are "1", true is "true"."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float, str)) and str(value).strip():
        return str(value)
    raise check.error(path, f"expected a class name or number, got {_describe(value)}")


def _slices(check: _Validator, raw: Any, path: _Path) -> tuple[SliceSpec, ...]:
    from mlci.specs import SliceSpec

    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise check.error(path, f"expected a list of columns, got {_describe(raw)}")
    slices = []
    for i, item in enumerate(raw):
        named = {"column": item} if isinstance(item, str) else item
        entry = check.mapping(named, (*path, i), ("column", "bins"))
        column = check.string(entry.get("column"), (*path, i, "column"))
        if column is None:
            raise check.error((*path, i), "missing required key 'column'")
        bins_raw = entry.get("bins")
        bins: tuple[float, ...] | int | None = None
        if isinstance(bins_raw, list):
            edges = [check.number(edge, (*path, i, "bins", j)) for j, edge in enumerate(bins_raw)]
            bins = tuple(sorted({edge for edge in edges if edge is not None}))
            if not bins:
                raise check.error((*path, i, "bins"), "expected at least one edge")
        elif bins_raw is not None:
            bins = _integer(check, bins_raw, (*path, i, "bins"), 2)
        slices.append(SliceSpec(column=column, bins=bins))
    return tuple(slices)


def _predictions(check: _Validator, raw: Any) -> PredictionsSpec | None:
    from mlci.specs import PredictionsSpec

    if raw is None:
        return None
    path: _Path = ("predictions",)
    item = check.mapping(raw, path, _PREDICTIONS_KEYS)
    where = check.string(item.get("path"), (*path, "path"))
    if where is None:
        raise check.error(
            path, "missing required key 'path'", hint="e.g. path: eval/predictions.csv"
        )
    scores = item.get("scores") or {}
    if not isinstance(scores, dict):  # keys are classes: numbers as well as names
        raise check.error((*path, "scores"), f"expected a mapping, got {_describe(scores)}")
    fmt, task, positive = item.get("format"), item.get("task"), item.get("positive")
    defaults = PredictionsSpec(path=where)
    settings: dict[str, Any] = {}
    for name, minimum in (("resamples", 100), ("seed", 0), ("min_rows", 1)):
        value = _integer(check, item.get(name), (*path, name), minimum)
        if value is not None:
            settings[name] = value
    for name in ("min_join", "confidence"):
        share = _share(check, item.get(name), (*path, name), one=name == "min_join")
        if share is not None:
            settings[name] = share
    return PredictionsSpec(
        path=where,
        format=None if fmt is None else check.one_of(fmt, (*path, "format"), _FORMATS),
        id=check.string(item.get("id"), (*path, "id"), defaults.id) or defaults.id,
        label=check.string(item.get("label"), (*path, "label"), defaults.label) or defaults.label,
        prediction=check.string(item.get("prediction"), (*path, "prediction"))
        or defaults.prediction,
        score=check.string(item.get("score"), (*path, "score")),
        scores=tuple(
            (
                _scalar_name(check, name, (*path, "scores")),
                check.string(column, (*path, "scores", str(name))) or "",
            )
            for name, column in scores.items()
        ),
        task=None if task is None else check.one_of(task, (*path, "task"), _TASKS),
        positive=None if positive is None else _scalar_name(check, positive, (*path, "positive")),
        slices=_slices(check, item.get("slices"), (*path, "slices")),
        **settings,
    )


def _limits(check: _Validator, raw: Any) -> LimitsConfig:
    item = check.mapping(raw, ("limits",), ("max_file_mb",))
    size = check.number(item.get("max_file_mb"), ("limits", "max_file_mb"))
    if size is None:
        return LimitsConfig()
    if size <= 0:
        raise check.error(("limits", "max_file_mb"), f"must be more than 0, got {size:g}")
    return LimitsConfig(max_file_mb=size)


_SHARD_NAME = re.compile(SHARD_NAME)
# A runner label: what GitHub accepts, and nothing that could break out of YAML.
_RUNNER_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,99}$")


def _shards(check: _Validator, raw: Any) -> tuple[ShardConfig, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise check.error(("shards",), f"expected a list of shards, got {_describe(raw)}")
    shards: list[ShardConfig] = []
    for i, entry in enumerate(raw):
        path: _Path = ("shards", i)
        item = check.mapping(entry, path, ("name", "path", "runs-on"))
        name = check.string(item.get("name"), (*path, "name"))
        if name is None:
            raise check.error(path, "missing required key 'name'", hint="e.g. name: vision")
        if not _SHARD_NAME.match(name):
            raise check.error(
                (*path, "name"),
                f"{_describe(name)} is not a shard name",
                hint="letters, digits, '.', '_' and '-' (at most 64), starting with a "
                "letter or digit: it names a job and an artifact",
            )
        if any(shard.name == name for shard in shards):
            raise check.error((*path, "name"), f"shard {name} is listed twice")
        folder = check.string(item.get("path"), (*path, "path"), ".") or "."
        parts = folder.split("/")
        if folder.startswith("/") or "\\" in folder or ".." in parts:
            raise check.error(
                (*path, "path"),
                f"{folder!r} must be a folder inside the repository",
                hint="a path from the repository root, such as models/vision, without '..'",
            )
        folder = "/".join(part for part in parts if part not in ("", ".")) or "."
        runs_on = item.get("runs-on", "ubuntu-latest")
        labels = [runs_on] if isinstance(runs_on, str) else runs_on
        if (
            not isinstance(labels, list)
            or not labels
            or not all(isinstance(label, str) and _RUNNER_LABEL.match(label) for label in labels)
        ):
            raise check.error(
                (*path, "runs-on"),
                f"expected a runner label or a list of them, got {_describe(runs_on)}",
                hint="e.g. runs-on: ubuntu-latest, or runs-on: [self-hosted, gpu]",
            )
        shards.append(ShardConfig(name, folder, tuple(labels), check.line_of(path)))
    return tuple(shards)
