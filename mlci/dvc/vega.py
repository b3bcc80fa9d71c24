"""DVC's Vega converter (``dvc.render.converter.vega``, DVC 3.x, Apache-2.0) written out.

The fallback :func:`mlci.dvc.internals.vega_datapoints` uses when the installed DVC has
no ``VegaConverter``: a plot's data files become one list of points, x and y inferred as
``dvc plots`` infers them (x: the given field, or the row index as ``step``; y: the given
fields, or the last field of the plot's own file), several files or y fields joined with
``filename``/``field`` columns. tests/test_dvc_internals.py checks it against DVC's own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any

INDEX = "step"
_INFERRED_X = "dvc_inferred_x_value"
_INFERRED_Y = "dvc_inferred_y_value"

Point = dict[str, Any]


class ConversionError(ValueError):
    """A plot whose fields or files do not fit together (DVC raises the same cases)."""


def _lists(blob: Any) -> Iterator[list[Any]]:
    if isinstance(blob, list):
        yield blob
        return
    if not isinstance(blob, dict):  # a file that holds one string or number
        raise ConversionError(f"expected rows of objects, found a {type(blob).__name__}")
    for value in blob.values():
        if isinstance(value, dict):
            yield from _lists(value)
        elif isinstance(value, list):
            yield value


def _file_fields(axis: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for file, value in axis.items():
        if isinstance(value, str):
            yield file, value
        elif isinstance(value, list):
            for field in value:
                yield file, field


# Where DVC's converter crashes (an AttributeError or TypeError whose words change from
# one DVC to the next), this fails too, and says why.
_NO_ROWS = "an empty list of rows: nothing to plot"
_NO_FIELDS = "no rows of objects in the file: no field to plot"


def _is_points(rows: list[Any]) -> bool:
    """Rows that are all objects with the same keys."""
    if not all(isinstance(row, dict) for row in rows):
        return False
    if not rows:
        raise ConversionError(_NO_ROWS)
    return set(rows[0]) == {key for row in rows for key in row}


def _points(content: Any) -> list[Point]:
    """The rows of a parsed data file, the lists of same-keyed objects merged by index."""
    result: list[Point] = []
    for rows in _lists(content):
        if _is_points(rows):
            for index, row in enumerate(rows):
                if len(result) <= index:
                    result.append({})
                result[index].update(row)
    return result


def _checked(axis: Any, points: Mapping[str, list[Point]]) -> list[tuple[str, str]]:
    found = list(_file_fields(axis)) if isinstance(axis, dict) else []
    for file, field in found:
        if file in points and not points[file]:
            raise ConversionError(_NO_FIELDS)
        if file in points and field not in points[file][0]:
            keys = ", ".join(points[file][0])
            raise ConversionError(
                f"Could not find provided field ('{field}') in data fields ('{keys}')."
            )
    return found


def _infer_x_y(plot_id: str, data: Mapping[str, Any], props: Mapping[str, Any]) -> Point:
    x, y = props.get("x"), props.get("y")
    inferred: Point = {}
    if isinstance(x, str):
        if isinstance(y, dict):
            inferred["x"] = {
                file: [x] * len(fields) if isinstance(fields, list) else x
                for file, fields in y.items()
            }
        else:
            inferred["x"] = {plot_id: x}
    if y is None:
        inferred["y"] = None
        for rows in _lists(data.get(plot_id, {})) if plot_id in data else ():
            if all(isinstance(row, dict) for row in rows):
                if not rows:
                    raise ConversionError(_NO_ROWS)
                inferred["y"] = {plot_id: list(rows[0])[-1]} if rows[0] else None
                break
    elif not isinstance(y, dict):
        inferred["y"] = {plot_id: y}
    return inferred


def _label(props: Mapping[str, Any], axis: str, default: str | None) -> Any:
    if props.get(f"{axis}_label") is not None:
        return props[f"{axis}_label"]
    value = props.get(axis)
    if axis == "y" and isinstance(value, str):
        return value
    if axis == "y" and isinstance(value, list):
        return "y"
    if not isinstance(value, dict):
        return default
    fields = {field for _, field in _file_fields(value)}
    return next(iter(fields)) if len(fields) == 1 else axis


def flat_datapoints(
    plot_id: str, data: Mapping[str, Any], props: Mapping[str, Any], rev: str
) -> tuple[list[Point], Point]:
    """The plot's points (each with ``rev``, ``filename`` and ``field``) and its
    properties with x and y resolved, as ``VegaConverter.flat_datapoints`` returns them."""
    properties: Point = {**props, **_infer_x_y(plot_id, data, props)}
    properties["y_label"] = _label(properties, "y", None)
    properties["x_label"] = _label(properties, "x", INDEX)
    points = {file: _points(content) for file, content in data.items()}

    xs = _checked(properties.get("x"), points)
    x_file, x_field = xs[0] if xs else (None, INDEX)
    several_x = len(xs) > 1 and len({field for _, field in xs}) > 1
    update: Point = {"x": _INFERRED_X if several_x else x_field}
    ys = _checked(properties.get("y"), points)
    if len(xs) > 1 and len(xs) != len(ys):
        raise ConversionError(
            "Cannot have different number of x and y data sources. Found "
            f"{len(xs)} x and {len(ys)} y data sources."
        )
    y_files = {file for file, _ in ys}
    y_fields = {field for _, field in ys}
    update["y"] = _INFERRED_Y if len(y_fields) > 1 else next(iter(y_fields), None)
    prefix = len(os.path.commonpath(list(y_files))) if len(y_files) > 1 else 0

    def short(file: str) -> str:
        return file[prefix:].strip("/\\")

    update["anchors_y_definitions"] = [{"filename": short(f), "field": y} for f, y in ys]
    flat: list[Point] = []
    for i, (y_file, y_field) in enumerate(ys):
        if len(xs) > 1:
            x_file, x_field = xs[i]
        rows = [dict(row) for row in points.get(y_file, [])]
        if update["y"] == _INFERRED_Y:
            for row in rows:
                if y_field in row:
                    row[_INFERRED_Y] = row[y_field]
        if x_field == INDEX and x_file is None:
            for index, row in enumerate(rows):
                row[INDEX] = index
        else:
            source = points.get(x_file or "", [])
            if len(source) != len(rows):
                raise ConversionError(
                    f"Cannot join '{x_field}' from '{x_file}' and "
                    f"'{y_field}' from '{y_file}'. They have to have same length."
                )
            target = _INFERRED_X if several_x else x_field
            for row, x_row in zip(rows, source, strict=True):
                if x_field in x_row:
                    row[target] = x_row[x_field]
        for row in rows:
            row.update({"rev": rev, "filename": short(y_file), "field": y_field})
        flat.extend(rows)
    if not flat:
        return [], {}
    return flat, {**properties, **update}
