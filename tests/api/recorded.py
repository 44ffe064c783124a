"""The real Mixcloud response bodies in ``shared/spec/recorded`` and a "shape" helper to compare
mixcast's responses with them by key sets and JSON value types, never by values.

CI runs on a clean clone with ``shared/`` beside it, so the folder is found relative to this
file (``<repo>/../shared/spec/recorded``). A missing folder fails the tests: golden tests that
silently skip would prove nothing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

RECORDED = Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "recorded"

# The API's one time format (wire-format.md §2.6), as every recorded body has it.
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def recorded_path(relative: str) -> Path:
    path = RECORDED / relative
    if not path.is_file():
        pytest.fail(
            f"recorded response {relative!r} not found at {path}: the shared/ folder must sit "
            "beside the repository (<repo>/../shared/spec/recorded)"
        )
    return path


def load_json(relative: str) -> Any:
    return json.loads(recorded_path(relative).read_text(encoding="utf-8"))


class _CassetteLoader(yaml.SafeLoader):
    """VCR writes ``! '*/*'`` (the non-specific tag), which SafeLoader cannot construct."""


_CassetteLoader.add_constructor(
    "tag:yaml.org,2002:yaml", lambda loader, node: loader.construct_scalar(node)
)


def load_cassette(relative: str) -> list[dict[str, Any]]:
    """The interactions of a VCR cassette: ``request``/``response`` dicts as recorded."""
    text = recorded_path(relative).read_text(encoding="utf-8")
    data = yaml.load(text, Loader=_CassetteLoader)
    interactions: list[dict[str, Any]] = data["http_interactions"]
    return interactions


def cassette_body(relative: str, status: int = 200) -> Any:
    """The JSON body of the first response with ``status`` in a cassette."""
    for interaction in load_cassette(relative):
        response = interaction["response"]
        if response["status"]["code"] == status:
            return json.loads(response["body"]["string"])
    pytest.fail(f"no {status} response in {relative}")


def cassette_request_uri(relative: str, status: int = 200) -> str:
    for interaction in load_cassette(relative):
        if interaction["response"]["status"]["code"] == status:
            uri: str = interaction["request"]["uri"]
            return uri
    pytest.fail(f"no {status} response in {relative}")


# ------------------------------------------------------------------ shapes


def json_type(value: Any) -> str:
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
    raise TypeError(f"not a JSON value: {value!r}")


def shape(value: Any) -> Any:
    """Key sets and JSON types, recursively. A list's shape is its first item's (or [])."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return json_type(value)


def shape_diff(ours: Any, theirs: Any, path: str = "$") -> list[str]:
    """Where ``ours`` differs in shape from ``theirs``: missing or extra keys, other types."""
    a, b = shape(ours), shape(theirs)
    return _diff(a, b, path)


def _diff(a: Any, b: Any, path: str) -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}: extra key {k!r}" for k in sorted(a.keys() - b.keys())]
        out += [f"{path}: missing key {k!r}" for k in sorted(b.keys() - a.keys())]
        for key in sorted(a.keys() & b.keys()):
            out += _diff(a[key], b[key], f"{path}.{key}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if a and b:
            return _diff(a[0], b[0], f"{path}[0]")
        return [] if not a and not b else [f"{path}: one list is empty, cannot compare items"]
    kind_a = "object" if isinstance(a, dict) else "array" if isinstance(a, list) else a
    kind_b = "object" if isinstance(b, dict) else "array" if isinstance(b, list) else b
    return [] if kind_a == kind_b else [f"{path}: {kind_a}, recorded {kind_b}"]


def without(obj: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in keys}


def strip_types(value: Any) -> Any:
    """The same JSON without any ``type`` key (a metadata=1 body as it is without metadata)."""
    if isinstance(value, dict):
        return {k: strip_types(v) for k, v in value.items() if k != "type"}
    if isinstance(value, list):
        return [strip_types(v) for v in value]
    return value


def walk(value: Any, path: str = "$") -> Any:
    """Yield ``(path, dict)`` for every object in a JSON tree."""
    if isinstance(value, dict):
        yield path, value
        for key, item in value.items():
            yield from walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from walk(item, f"{path}[{i}]")
