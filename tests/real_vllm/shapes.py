"""Compare the shape of two JSON documents: field names, JSON types and nesting, not values.

>>> shape_diff({"a": 1, "b": [{"c": "x"}]}, {"a": 2, "b": [{"c": "y"}]})
[]
>>> [str(d) for d in shape_diff({"a": 1, "b": [{"c": "x"}]}, {"a": 1.5, "b": [{"d": "y"}]})]
['$.a: real integer, reference number', '$.b[].c: real string, reference missing', \
'$.b[].d: real missing, reference string']

Objects whose keys are data (token -> logprob maps) are compared by their values only:

>>> shape_diff({"t": [{" Paris": -0.1}]}, {"t": [{"You": -2.0}]}, maps={"$.t[]"})
[]
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

MISSING = "missing"


@dataclass(frozen=True)
class Difference:
    """One place where the two documents' shapes disagree."""

    path: str
    real: str
    reference: str

    def __str__(self) -> str:
        return f"{self.path}: real {self.real}, reference {self.reference}"


def json_type(value: Any) -> str:
    """The JSON type name of a decoded value (``integer`` and ``number`` kept apart)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def shape_diff(
    real: Any, reference: Any, path: str = "$", maps: Collection[str] = frozenset()
) -> list[Difference]:
    """Every difference of shape between ``real`` and ``reference``, in document order.

    Objects must have the same keys with the same types, recursively. Arrays are compared
    by their element shapes: the first elements of both sides, and the last ones (lists
    differ in length with the values). An empty array matches any array. Objects at a path
    in ``maps`` have data for keys: only their values' shapes are compared.
    """
    real_type, reference_type = json_type(real), json_type(reference)
    if real_type != reference_type:
        return [Difference(path, real_type, reference_type)]
    if real_type == "object" and path in maps:
        return _pairs_diff(list(real.values()), list(reference.values()), f"{path}{{}}", maps)
    if real_type == "object":
        return _object_diff(real, reference, path, maps)
    if real_type == "array":
        return _pairs_diff(real, reference, f"{path}[]", maps)
    return []


def _pairs_diff(real: list[Any], reference: list[Any], path: str, maps: Collection[str]) -> list[Difference]:
    if not real or not reference:
        return []
    found = shape_diff(real[0], reference[0], path, maps)
    for extra in shape_diff(real[-1], reference[-1], path, maps):
        if extra not in found:
            found.append(extra)
    return found


def _object_diff(
    real: dict[str, Any], reference: dict[str, Any], path: str, maps: Collection[str]
) -> list[Difference]:
    found: list[Difference] = []
    for key in sorted(real.keys() | reference.keys(), key=_key_order(real, reference)):
        child = f"{path}.{key}"
        if key not in reference:
            found.append(Difference(child, json_type(real[key]), MISSING))
        elif key not in real:
            found.append(Difference(child, MISSING, json_type(reference[key])))
        else:
            found.extend(shape_diff(real[key], reference[key], child, maps))
    return found


def _key_order(real: dict[str, Any], reference: dict[str, Any]) -> Any:
    order = {key: i for i, key in enumerate([*real, *(k for k in reference if k not in real)])}
    return order.__getitem__


def format_report(route: str, differences: list[Difference]) -> str:
    """A readable block for one route: ``route`` then one indented line per difference."""
    lines = [f"{route}:"] + [f"  {difference}" for difference in differences]
    return "\n".join(lines)
