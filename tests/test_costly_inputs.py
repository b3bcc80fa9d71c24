"""Issue 10: inputs that would cost too much are refused quickly, naming the file.

A "billion laughs" YAML document is a few hundred bytes whose aliases of aliases expand
to billions of values: in mlci.yaml it made an error message expand it (94 s, then
MemoryError); in params.yaml it produced 113 MB of results.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import Repo

from mlci.config import parse_config
from mlci.errors import ConfigError
from mlci.flow import CheckOptions, run_check


def laughs(levels: int = 9, indent: str = "") -> str:
    """Anchors lol0..lol<levels>, each a list of nine aliases of the one before."""
    lines = [f'{indent}- &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*lol{level - 1}"] * 9)
        lines.append(f"{indent}- &lol{level} [{refs}]")
    return "\n".join(lines) + "\n"


def mapping_laughs(levels: int = 9, indent: str = "") -> str:
    """The same with mappings of nine keys: what DVC keeps of a metrics file."""
    keys = [f"k{i}" for i in range(9)]
    lines = [f"{indent}lol0: &lol0 {{{', '.join(f'{k}: 1' for k in keys)}}}"]
    for level in range(1, levels + 1):
        refs = ", ".join(f"{k}: *lol{level - 1}" for k in keys)
        lines.append(f"{indent}lol{level}: &lol{level} {{{refs}}}")
    return "\n".join(lines) + "\n"


BOMB_UNDER_ALLOWED = (
    "x-anchors:\n"
    + laughs(indent="  ")
    + "data:\n  - path: data.csv\n    columns:\n      label:\n        allowed: *lol9\n"
)


def config_error(text: str) -> str:
    started = time.perf_counter()
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    assert time.perf_counter() - started < 1.0
    assert info.value.exit_code == 2
    return str(info.value)


def test_billion_laughs_in_mlci_yaml_is_refused_in_well_under_a_second() -> None:
    # Line 7 holds &lol5, the first anchor that alone expands beyond the budget.
    assert config_error(BOMB_UNDER_ALLOWED).startswith(
        "mlci.yaml:7: refused: its aliases expand it to more than 100,000 values"
    )


def test_billion_laughs_as_a_top_level_list_is_refused() -> None:
    assert config_error(laughs()).startswith(
        "mlci.yaml:6: refused: its aliases expand it to more than 100,000 values"
    )


def test_a_recursive_alias_is_refused() -> None:
    assert config_error("metrics: &m\n  - *m\n").startswith(
        "mlci.yaml:1: refused: an alias refers to itself (a recursive document)"
    )


def test_a_few_aliases_still_work() -> None:
    shared = parse_config("metrics:\n  - &r {key: a, min: 0.5}\n  - *r\n")
    assert len(shared.metrics) == 2


@pytest.mark.parametrize(
    "text",
    [
        "metrics:\n  - key: acc\n    min: '" + "9" * 100_000 + "'\n",
        "data:\n  - path: d.csv\n    columns:\n      c:\n        allowed: '"
        + "x" * 100_000
        + "'\n",
        "data:\n  - path: d.csv\n    rows: '" + "x" * 100_000 + "'\n",
        "report: '" + "x" * 100_000 + "'\n",
        "metrics:\n  - key: acc\n    " + "k" * 100_000 + ": 1\n",
    ],
)
def test_error_messages_quote_at_most_200_characters_of_a_value(text: str) -> None:
    message = config_error(text)
    assert len(message.splitlines()[0]) < 400, message[:500]


def test_the_flattening_of_an_alias_bomb_is_a_load_error_naming_the_file() -> None:
    """Not 113 MB of results: at most 1,000,000 values are walked per file.

    The data is what a YAML loader makes of a billion-laughs document: shared lists and
    mappings, each referenced nine times by the level above.
    """
    from mlci.dvc.snapshot import snapshot_of

    level: object = {f"k{i}": 1 for i in range(9)}
    for _ in range(9):
        level = {f"k{i}": level for i in range(9)}
    listed: object = ["lol"] * 9
    for _ in range(9):
        listed = [listed] * 9
    raw = {
        "workspace": {
            "data": {
                "eval.yaml": {"data": {"f1": 0.5, "bomb": level}},
                "lists.yaml": {"data": {"bomb": listed}},
                "ok.yaml": {"data": {"f1": 0.5, "list": list(range(1000))}},
            }
        }
    }
    started = time.perf_counter()
    snapshot = snapshot_of(raw, "head")
    assert time.perf_counter() - started < 5
    assert [(e.rev, e.file, e.message) for e in snapshot.errors] == [
        ("head", name, "refused: more than 1,000,000 values (a YAML alias bomb?)")
        for name in ("eval.yaml", "lists.yaml")
    ]
    ok = snapshot.values["ok.yaml"]
    assert ok["f1"] == 0.5
    assert isinstance(ok["list"], str) and len(ok["list"]) == 1000 and ok["list"].endswith("…")


def test_a_recursive_structure_is_refused_too() -> None:
    from mlci.dvc.snapshot import snapshot_of

    loop: dict[str, object] = {}
    loop["self"] = loop
    snapshot = snapshot_of({"workspace": {"data": {"m.yaml": {"data": loop}}}}, "base")
    assert [e.file for e in snapshot.errors] == ["m.yaml"]


@pytest.mark.parametrize(
    ("file", "content"),
    [
        ("params.yaml", "train:\n  lr: 0.1\n" + mapping_laughs(12)),
        ("metrics.yaml", mapping_laughs(12)),
        ("vars.yaml", mapping_laughs(12)),
        ("dvc.yaml", "metrics:\n  - metrics.json\n" + mapping_laughs(12)),
    ],
    ids=["params", "metrics", "vars", "dvc.yaml"],
)
def test_an_alias_bomb_dvc_would_parse_is_refused_before_dvc_sees_it(
    repo: Repo, file: str, content: str
) -> None:
    """DVC expands every alias in the YAML it reads (params.yaml for interpolation, the
    `vars:` files, YAML metrics, dvc.yaml itself): the pull request's bomb is refused,
    quickly, naming the file."""
    files = {file: content}
    if file == "vars.yaml":
        files["dvc.yaml"] = "vars:\n  - vars.yaml\nmetrics:\n  - metrics.json\n"
    if file == "metrics.yaml":
        files["dvc.yaml"] = "metrics:\n  - metrics.yaml\n"
    repo.commit("a bomb", files)
    start = time.monotonic()
    result = repo.mlci("check", "--no-tests")
    assert time.monotonic() - start < 10
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"mlci: error: {file}:")
    assert "refused: its aliases expand it to more than 2,000,000 values" in result.output


def test_the_yaml_pre_check_works_through_a_symlinked_checkout(repo: Repo, tmp_path: Path) -> None:
    """A checkout reached through a symlink (/tmp -> /private/tmp on macOS): the files
    git lists are still checked, and nothing crashes on the two spellings of one path."""
    repo.commit("a bomb", {"params.yaml": "train:\n  lr: 0.1\n" + mapping_laughs(12)})
    link = tmp_path / "link"
    link.symlink_to(repo.root, target_is_directory=True)
    # Given as a path (as the demo gives its workspace), git's root keeps the link's
    # spelling while the DVC root is resolved.
    with pytest.raises(ConfigError, match=r"^params\.yaml:\d+: refused: its aliases expand"):
        run_check(CheckOptions(path=link, tests=False, emit=lambda line: None))


def deep(style: str, levels: int) -> str:
    """A document of ``levels`` nested collections (the root mapping included), in one
    of YAML's ways of nesting."""
    inner = levels - 1  # under the root mapping
    if style == "flow":
        return "deep: " + "[" * inner + "]" * inner + "\n"
    if style == "block mappings":
        return "".join(" " * i + "k:\n" for i in range(levels)) + " " * levels + "v\n"
    if style == "compact sequences":  # no indentation at all: `- - - - v`
        return "deep:\n" + "- " * inner + "v\n"
    if style == "flow pairs":  # `[k: [k: v]]`: a list of one-pair mappings, two levels a bracket
        pairs, odd = divmod(inner, 2)
        return "deep: " + "[k: " * pairs + ("[v]" if odd else "v") + "]" * pairs + "\n"
    assert style == "sequences of mappings"  # `- k:` under `- k:`: two levels a line
    steps, odd = divmod(inner, 2)
    last = "[v]" if odd else "v"
    return (
        "deep:\n"
        + "".join("  " * i + "- k:\n" for i in range(steps))
        + "  " * (steps + 1)
        + last
        + "\n"
    )


def depth_of(text: str) -> int:
    """The nesting depth as PyYAML's composer sees it (fine below Python's recursion
    limit): what the tests' documents are checked against."""
    import yaml

    def walk(node: yaml.Node) -> int:
        if isinstance(node, yaml.SequenceNode):
            return 1 + max((walk(child) for child in node.value), default=0)
        if isinstance(node, yaml.MappingNode):
            return 1 + max((walk(part) for pair in node.value for part in pair), default=0)
        return 0

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    assert root is not None
    return walk(root)


STYLES = ["flow", "flow pairs", "block mappings", "compact sequences", "sequences of mappings"]


@pytest.mark.parametrize("file", ["params.yaml", "dvc.yaml", "vars.yaml", "data.csv.dvc"])
@pytest.mark.parametrize("style", ["flow", "compact sequences"])
def test_yaml_nested_past_dvcs_parser_is_refused_before_dvc_sees_it(
    repo: Repo, file: str, style: str
) -> None:
    """DVC's YAML parser recurses once per level and dies past ~490 (a RecursionError,
    which mlci reported as its own bug): the pull request's file is refused, naming it."""
    files = {file: ("deep:\n" if file == "data.csv.dvc" else "") + deep(style, 5000)}
    if file == "data.csv.dvc":
        files[file] = "outs:\n- path: data.csv\n" + deep(style, 5000).replace("deep:", "meta:")
    if file == "vars.yaml":
        files["dvc.yaml"] = "vars:\n  - vars.yaml\nmetrics:\n  - metrics.json\n"
    repo.commit("deep", files)
    result = repo.mlci("check", "--no-tests")
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"mlci: error: {file}: refused: nested more than 100 levels")
    assert "internal error" not in result.output


@pytest.mark.parametrize(
    "newline",
    ["\n", "\r\n", "\r", "\x85", "\u2028", "\u2029"],
    ids=["lf", "crlf", "cr", "nel", "ls", "ps"],
)
@pytest.mark.parametrize("style", STYLES)
def test_the_depth_limit_is_exact_in_every_style(style: str, newline: str) -> None:
    """The cheap bound that skips parsing must never let a deeper document through:
    100 levels pass, 101 are refused, whatever the style and the line ends (and far
    deeper ones too, past libyaml's own limit of 1,000)."""
    from mlci.config import check_dvc_yaml

    def text(levels: int) -> str:
        return deep(style, levels).replace("\n", newline)

    assert depth_of(text(100)) == 100
    assert depth_of(text(101)) == 101
    check_dvc_yaml(text(100), "a.yaml")
    for levels in (101, 5000):
        with pytest.raises(ConfigError, match=r"^a\.yaml: refused: nested more than 100"):
            check_dvc_yaml(text(levels), "a.yaml")


@pytest.mark.parametrize(
    "prefix",
    ["\ufeff", "%FOO bar\n---\n", "- &a.b 1\n", "- &a.b 1\n- &c 2\n", "- &\u00e4 1\n"],
    ids=["byte order mark", "reserved directive", "anchor a.b", "two anchors", "anchor ä"],
)
def test_the_depth_is_measured_as_dvcs_parser_reads_the_file(prefix: str) -> None:
    """What DVC's parser reads and PyYAML's does not (a byte order mark the bound did
    not see as a line start, a reserved directive, an anchor named `a.b`): the depth
    is still measured, and measured as DVC's parser sees it. Before, such a document
    nested 5,000 levels went through (or crashed the check itself with a
    RecursionError when it also held an anchor)."""
    from ruamel.yaml import YAML

    from mlci.config import check_dvc_yaml

    def text(levels: int) -> str:  # a list of lists..., on the prefix's line or after it
        return prefix + "- " * levels + "v\n"

    with pytest.raises(RecursionError):  # what DVC's parser does with the deep one
        YAML(typ="safe", pure=True).load(text(5000))
    check_dvc_yaml(text(100), "a.yaml")
    for levels in (101, 5000):
        with pytest.raises(ConfigError, match=r"^a\.yaml: refused: nested more than 100"):
            check_dvc_yaml(text(levels), "a.yaml")


def test_real_files_are_not_parsed_for_their_depth(monkeypatch: pytest.MonkeyPatch) -> None:
    """A dvc.lock of a thousand stages is checked by the bound alone: the common case
    costs a regex, not a parse."""
    import yaml

    from mlci.config import check_dvc_yaml

    def no_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed")

    stage = (
        "  train{i}:\n    cmd: python train.py --seed {i} --grid [1, 2, 3]\n    deps:\n"
        "    - path: data/{i}.csv\n      md5: 0123456789abcdef0123456789abcdef\n"
        "      size: 1024\n    outs:\n    - path: model{i}.pkl\n      hash: md5\n"
    )
    lock = "schema: '2.0'\nstages:\n" + "".join(stage.format(i=i) for i in range(1000))
    monkeypatch.setattr(yaml, "parse", no_parse)
    check_dvc_yaml(lock.replace("[1, 2, 3]", "1,2,3"), "dvc.lock")


def test_json_dvc_parses_nested_past_its_parser_is_a_clear_error(repo: Repo) -> None:
    """A `vars:` file in JSON, nested 100,000 levels: DVC's json.loads raises a
    RecursionError while building its index. mlci names what failed and what to do
    rather than calling it a bug of its own."""
    levels = 100_000
    repo.commit(
        "deep vars",
        {
            "vars.json": '{"deep": ' + "[" * levels + "]" * levels + "}",
            "dvc.yaml": "vars:\n  - vars.json\nmetrics:\n  - metrics.json\n",
        },
    )
    result = repo.mlci("check", "--no-tests")
    assert result.exit_code == 3, result.output
    assert "`dvc status` failed" in result.output
    assert "nested too deeply for DVC's parser" in result.output
    assert "internal error" not in result.output


def test_aliases_that_nest_past_dvcs_walk_are_refused(repo: Repo) -> None:
    """`x1: &x1 [*x0]`, `x2: &x2 [*x1]`...: 1,500 short lines, 1.1 million values (under
    the expansion limit), but nested 1,500 levels once DVC expands the aliases, which it
    then walks recursively. Refused before DVC reads it, naming the file."""
    from mlci.config import check_dvc_yaml

    def chain(levels: int) -> str:
        lines = ["x1: &x1 [1]"]
        lines += [f"x{i}: &x{i} [*x{i - 1}]" for i in range(2, levels + 1)]
        return "\n".join(lines) + "\n"

    assert depth_of(chain(99)) == 100  # the root mapping, then 99 lists
    check_dvc_yaml(chain(99), "params.yaml")
    with pytest.raises(ConfigError, match=r"^params\.yaml: refused: its aliases nest it more"):
        check_dvc_yaml(chain(100), "params.yaml")

    repo.commit("aliases", {"params.yaml": "train:\n  lr: 0.1\n" + chain(1500)})
    result = repo.mlci("check", "--no-tests")
    assert result.exit_code == 2, result.output
    assert result.output.startswith("mlci: error: params.yaml: refused: its aliases nest it")


@pytest.mark.parametrize("dot", [".", "/"])
def test_aliases_are_measured_whatever_their_anchors_are_named(dot: str) -> None:
    """DVC's parser takes an anchor named `x.1` (PyYAML's does not): a chain of such
    aliases nesting 1,500 levels, or a bomb of them, is refused as the plain names are,
    rather than passed because PyYAML could not compose the file."""
    from mlci.config import check_dvc_yaml

    lines = [f"x1: &x{dot}1 [1]"]
    lines += [f"x{i}: &x{dot}{i} [*x{dot}{i - 1}]" for i in range(2, 1501)]
    with pytest.raises(ConfigError, match=r"^params\.yaml: refused: its aliases nest it more"):
        check_dvc_yaml("\n".join(lines) + "\n", "params.yaml")
    bomb = mapping_laughs(12).replace("&lol", f"&lol{dot}").replace("*lol", f"*lol{dot}")
    with pytest.raises(ConfigError, match=r"^params\.yaml:\d+: refused: its aliases expand"):
        check_dvc_yaml(bomb, "params.yaml")


@pytest.mark.parametrize("newline", ["\x85", "\u2028", "\u2029"], ids=["nel", "ls", "ps"])
def test_keys_after_nel_ls_or_ps_nest_as_dvcs_parser_reads_them(newline: str) -> None:
    """DVC's parser ends a line at NEL, LS or PS but keeps counting the column, so
    `k:<NEL>k:<NEL>k: v` nests a mapping per key with no indentation, where libyaml
    reads siblings. Such a file is measured by DVC's parser: 100 levels pass, 101 and
    5,000 are refused (5,000 went through before, to DVC's RecursionError)."""
    from ruamel.yaml import YAML

    from mlci.config import check_dvc_yaml

    def text(levels: int) -> str:
        return ("k:" + newline) * (levels - 1) + "k: v\n"

    assert YAML(typ="safe", pure=True).load(text(3)) == {"k": {"k": {"k": "v"}}}
    check_dvc_yaml(text(100), "a.yaml")
    for levels in (101, 5000):
        with pytest.raises(ConfigError, match=r"^a\.yaml: refused: nested more than 100"):
            check_dvc_yaml(text(levels), "a.yaml")


def test_a_byte_order_mark_past_the_first_character_is_read_as_dvcs_parser_reads_it() -> None:
    """libyaml skips a second byte order mark and so reads `#c: [[...]]` after it as a
    comment; DVC's parser reads the mark as the key's first character and the brackets
    as a list 5,000 deep (its RecursionError). Measured by DVC's parser: refused."""
    from ruamel.yaml import YAML

    from mlci.config import check_dvc_yaml

    def text(levels: int) -> str:
        return "\ufeff\ufeff#c: " + "[" * (levels - 1) + "]" * (levels - 1) + "\n"

    assert YAML(typ="safe", pure=True).load(text(3)) == {"\ufeff#c": [[]]}
    check_dvc_yaml(text(100), "a.yaml")
    for levels in (101, 5000):
        with pytest.raises(ConfigError, match=r"^a\.yaml: refused: nested more than 100"):
            check_dvc_yaml(text(levels), "a.yaml")
