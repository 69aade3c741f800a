"""Batch specs from files: YAML (a superset of JSON) or JSON, checked only for shape.

The server validates the fields (canvas/batches/spec.py, docs/batches.md); here a file that
cannot be read, is not YAML/JSON, or is not a mapping is refused with a sentence naming the
file and, for syntax errors, the line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml


class SpecError(Exception):
    pass


def load_spec(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"Cannot read the spec {path}: {exc}") from exc
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise SpecError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError(f"{path} is not valid YAML{where}: {problem}") from exc
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise SpecError(
            f"{path} must hold a mapping of spec fields (name, prompt, …); it is {kind}."
        )
    return data
