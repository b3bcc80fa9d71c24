"""mlci.judge.diff.diff_values and mlci.commands.demo.set_params (pure: no git, no DVC)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from mlci.commands.demo import SCENARIOS, set_params
from mlci.errors import UsageError
from mlci.judge.diff import diff_values
from mlci.numbers import is_number
from mlci.results import Change

M = "metrics.json"

# --- is_number -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, True),
        (0, True),
        (0.5, True),
        (float("nan"), True),
        (True, False),
        (False, False),
        ("1", False),
        (None, False),
    ],
)
def test_is_number(value: object, expected: bool) -> None:
    assert is_number(value) is expected


# --- diff_values ---------------------------------------------------------------------------


def test_change_is_head_minus_base_and_pct_is_relative_to_abs_base() -> None:
    (up,) = diff_values({M: {"a": 0.5}}, {M: {"a": 0.75}})
    assert up == Change(
        file=M, key="a", base=0.5, head=0.75, change=0.25, change_pct=50.0, status="changed"
    )
    (down,) = diff_values({M: {"a": 4}}, {M: {"a": 3}})
    assert (down.change, down.change_pct, down.status) == (-1, -25.0, "changed")
    assert isinstance(down.change, int)


def test_pct_of_a_negative_base_uses_its_magnitude() -> None:
    (worse,) = diff_values({M: {"a": -2}}, {M: {"a": -3}})
    assert (worse.change, worse.change_pct) == (-1, -50.0)
    (better,) = diff_values({M: {"a": -2}}, {M: {"a": -1}})
    assert (better.change, better.change_pct) == (1, 50.0)


def test_pct_is_none_when_base_is_zero() -> None:
    (change,) = diff_values({M: {"a": 0}}, {M: {"a": 0.5}})
    assert (change.change, change.change_pct, change.status) == (0.5, None, "changed")
    (zero,) = diff_values({M: {"a": 0.0}}, {M: {"a": 0.0}})
    assert (zero.change, zero.change_pct, zero.status) == (0.0, None, "unchanged")


def test_unchanged_number() -> None:
    (same,) = diff_values({M: {"a": 0.9}}, {M: {"a": 0.9}})
    assert (same.change, same.change_pct, same.status) == (0.0, 0.0, "unchanged")
    (int_float,) = diff_values({M: {"a": 1}}, {M: {"a": 1.0}})
    assert (int_float.change, int_float.status) == (0.0, "unchanged")


class Boxed(float):
    """A float that is not exactly ``float``: diff_values takes its general path."""


@pytest.mark.parametrize(
    "value", [0.0, -0.0, 0.9, -2.25, 1e-300, 5e-324, 1.7976931348623157e308, 123456.789]
)
def test_unchanged_floats_take_a_short_cut_to_the_same_change(value: float) -> None:
    (short,) = diff_values({M: {"a": value}}, {M: {"a": value}}, better=lambda f, k: "higher")
    (general,) = diff_values(
        {M: {"a": Boxed(value)}}, {M: {"a": Boxed(value)}}, better=lambda f, k: "higher"
    )
    fields = ("change", "change_pct", "status", "better")
    assert [repr(getattr(short, f)) for f in fields] == [repr(getattr(general, f)) for f in fields]


def test_infinite_change_has_no_pct() -> None:
    (change,) = diff_values({M: {"a": 1.0}}, {M: {"a": math.inf}})
    assert change.change == math.inf
    assert change.change_pct is None


@pytest.mark.parametrize(("base", "head", "sign"), [(7, 10**400, 1), (10**400, -(10**400), -1)])
def test_a_difference_of_ints_too_large_for_a_float_is_infinite(
    base: int, head: int, sign: int
) -> None:
    (change,) = diff_values({M: {"a": base}}, {M: {"a": head}})
    assert change.change == sign * math.inf
    assert change.change_pct is None


@pytest.mark.parametrize(
    ("base", "head", "status"),
    [
        ("ok", "ok", "unchanged"),
        ("ok", "bad", "changed"),
        ("1", 1, "changed"),
        (1, "1", "changed"),
        (True, False, "changed"),
        (True, True, "unchanged"),
        (0.5, True, "changed"),
    ],
)
def test_non_numeric_values_have_no_change(base: object, head: object, status: str) -> None:
    (change,) = diff_values({M: {"a": base}}, {M: {"a": head}})  # type: ignore[dict-item]
    assert (change.change, change.change_pct, change.status) == (None, None, status)
    assert (change.base, change.head) == (base, head)


@pytest.mark.parametrize(("base", "head"), [(1, True), (0, False), (1.0, True)])
def test_a_number_becoming_a_bool_is_a_change(base: object, head: object) -> None:
    (change,) = diff_values({M: {"a": base}}, {M: {"a": head}})  # type: ignore[dict-item]
    assert change.status == "changed"


def test_new_and_removed() -> None:
    result = diff_values({M: {"gone": 0.5}}, {M: {"added": 0.7}})
    assert result == (
        Change(
            file=M, key="added", base=None, head=0.7, change=None, change_pct=None, status="new"
        ),
        Change(
            file=M, key="gone", base=0.5, head=None, change=None, change_pct=None, status="removed"
        ),
    )


def test_whole_files_new_and_removed() -> None:
    result = diff_values({"old.json": {"a": 1}}, {"new.json": {"a": 1}})
    assert [(c.file, c.key, c.status) for c in result] == [
        ("new.json", "a", "new"),
        ("old.json", "a", "removed"),
    ]


def test_a_key_present_with_null_value_is_not_new() -> None:
    (change,) = diff_values({M: {"a": None}}, {M: {"a": 1}})
    assert change.status == "changed"
    (removed,) = diff_values({M: {"a": 1}}, {M: {"a": None}})
    assert removed.status == "changed"


def test_sorted_by_file_then_key() -> None:
    base = {"b.json": {"z": 1, "a": 1}, "a.json": {"m": 1}}
    head = {"b.json": {"c": 1, "z": 1}, "a.json": {"b": 1}, "A.json": {"x": 1}}
    assert [(c.file, c.key) for c in diff_values(base, head)] == [
        ("A.json", "x"),
        ("a.json", "b"),
        ("a.json", "m"),
        ("b.json", "a"),
        ("b.json", "c"),
        ("b.json", "z"),
    ]


def test_empty() -> None:
    assert diff_values({}, {}) == ()
    assert diff_values({M: {}}, {M: {}}) == ()


# --- demo.set_params -----------------------------------------------------------------------

PARAMS = """\
# Parameters of the pipeline
prepare:
  C: 7             # not the one we change
  seed: 42         # split seed

train:
  # regularisation
  seed: 1
  max_iter: 1000   # lbfgs iteration cap

  C: 1.0           # inverse regularisation strength
evaluate:
  C: 3
  threshold: 0.5   # probability threshold
"""


@pytest.fixture
def params_file(tmp_path: Path) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(PARAMS, encoding="utf-8")
    return path


def test_set_params_replaces_the_value_and_keeps_comments(params_file: Path) -> None:
    set_params(params_file, {"train.C": 0.5})
    assert params_file.read_text(encoding="utf-8") == PARAMS.replace(
        "  C: 1.0           # inverse", "  C: 0.5           # inverse"
    )


def test_set_params_several_keys(params_file: Path) -> None:
    set_params(params_file, {"train.max_iter": 50, "evaluate.threshold": 0.75, "prepare.C": 8})
    expected = (
        PARAMS.replace("max_iter: 1000   #", "max_iter: 50   #")
        .replace("threshold: 0.5   #", "threshold: 0.75   #")
        .replace("  C: 7   ", "  C: 8   ")
    )
    assert params_file.read_text(encoding="utf-8") == expected


def test_set_params_does_not_match_a_longer_section_or_key(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("mytrain:\n  C: 1\ntrain:\n  CC: 1.0\n  xC: 2\n  C: 3\n", encoding="utf-8")
    set_params(path, {"train.C": 9})
    assert (
        path.read_text(encoding="utf-8") == "mytrain:\n  C: 1\ntrain:\n  CC: 1.0\n  xC: 2\n  C: 9\n"
    )


def test_set_params_value_is_written_literally(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("train:\n  name: a\n", encoding="utf-8")
    set_params(path, {"train.name": r"x\g<0>\1"})
    assert path.read_text(encoding="utf-8") == "train:\n  name: x\\g<0>\\1\n"


def test_set_params_without_trailing_newline(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("train:\n  C: 1.0", encoding="utf-8")
    set_params(path, {"train.C": 0.001})
    assert path.read_text(encoding="utf-8") == "train:\n  C: 0.001"


@pytest.mark.parametrize("dotted", ["train.D", "test.C", "train.c", "evaluate.seed"])
def test_set_params_unknown_key(params_file: Path, dotted: str) -> None:
    with pytest.raises(UsageError) as info:
        set_params(params_file, {dotted: 1})
    assert str(info.value) == f"{params_file}: no '{dotted}' to change"
    assert info.value.exit_code == 2
    assert params_file.read_text(encoding="utf-8") == PARAMS  # untouched


def test_set_params_does_not_cross_into_the_next_section(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("train:\n  lr: 1.0\nother:\n  C: 2\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"no 'train\.C' to change"):
        set_params(path, {"train.C": 1})


def test_set_params_writes_nothing_when_a_later_key_is_unknown(params_file: Path) -> None:
    with pytest.raises(UsageError):
        set_params(params_file, {"train.C": 0.5, "train.nope": 1})
    assert params_file.read_text(encoding="utf-8") == PARAMS


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_demo_scenarios_apply_to_the_example_params(tmp_path: Path, scenario: str) -> None:
    example = Path(__file__).parents[1] / "example-project" / "params.yaml"
    path = tmp_path / "params.yaml"
    path.write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
    set_params(path, SCENARIOS[scenario].params)
    after = yaml.safe_load(path.read_text(encoding="utf-8"))
    for dotted, value in SCENARIOS[scenario].params.items():
        section, key = dotted.split(".")
        assert after[section][key] == value
    changed = sum(
        a != b
        for a, b in zip(
            example.read_text().splitlines(), path.read_text().splitlines(), strict=True
        )
    )
    assert changed == len(SCENARIOS[scenario].params)  # comments and layout kept


@pytest.mark.parametrize(
    "text",
    ["train:   # training stage\n  C: 1.0\n", "train:\n# tuned by hand\n  C: 1.0\n"],
)
def test_set_params_with_comments_around_the_section(tmp_path: Path, text: str) -> None:
    path = tmp_path / "params.yaml"
    path.write_text(text, encoding="utf-8")
    set_params(path, {"train.C": 0.5})
    assert path.read_text(encoding="utf-8") == text.replace("C: 1.0", "C: 0.5")


def test_set_params_does_not_change_a_deeper_key(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("train:\n  model:\n    C: 1.0\n", encoding="utf-8")
    with pytest.raises(UsageError):
        set_params(path, {"train.C": 0.5})
