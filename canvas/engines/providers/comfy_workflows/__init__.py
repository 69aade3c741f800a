"""ComfyUI workflow templates: API-format graphs with named parameter slots.

A template is a JSON file. Either a wrapped document::

    {"anchorboard": {"mode": "img2img", "description": "...", "defaults": {"steps": 20}},
     "graph": {"1": {"class_type": "LoadImage", "inputs": {"image": "{{source_image}}"}}, ...}}

or a bare graph exported from ComfyUI ("Save (API)") whose file name is a mode
(``img2img.json``, ``inpaint.json``, ``upscale.json``, ``variations.json``).

**Slot syntax.** An input value that is exactly ``"{{name}}"`` is replaced by the job's
value, keeping its JSON type (``"{{seed}}"`` becomes the integer seed). Slots are whole
values only; ``"a {{prompt}}"`` is refused so nothing is half-filled. Known slots are listed
in ``SLOTS``; images (``source_image``, ``mask_image``, ``anchor_1`` … ``anchor_8``) are
filled with the names ComfyUI gave the uploaded files. ``defaults`` gives values for
``steps``, ``cfg``, ``sampler``, ``scheduler`` (a job's ``params`` override them).

The built-in templates in this folder use only nodes that ship with ComfyUI. Operators add
their own in ``ANCHORBOARD_COMFYUI_WORKFLOWS_DIR``; a file there with the same name replaces
the built-in one, other names are chosen per job with ``params["workflow"]``. Every file is
validated when loaded and a broken one is reported (``WorkflowError``) instead of used.

This module reads files only: no network, no Django.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from canvas.engines.base import Mode

BUILTIN_DIR = Path(__file__).resolve().parent
MAX_ANCHOR_SLOTS = 8

# slot name → the Python type its value has in the graph
SLOTS: dict[str, type] = {
    "source_image": str,
    "mask_image": str,
    "prompt": str,
    "negative_prompt": str,
    "seed": int,
    "steps": int,
    "cfg": float,
    "denoise": float,
    "width": int,
    "height": int,
    "scale": float,
    "model": str,
    "sampler": str,
    "scheduler": str,
    "filename_prefix": str,
    **{f"anchor_{i}": str for i in range(1, MAX_ANCHOR_SLOTS + 1)},
}
DEFAULTABLE = ("steps", "cfg", "sampler", "scheduler", "denoise")
REQUIRED_SLOTS: dict[Mode, frozenset[str]] = {
    Mode.IMG2IMG: frozenset({"source_image"}),
    Mode.INPAINT: frozenset({"source_image", "mask_image"}),
    Mode.UPSCALE: frozenset({"source_image"}),
    Mode.VARIATIONS: frozenset({"source_image"}),
}
OUTPUT_NODE = "SaveImage"
_KIND_WORDS = {int: "a whole number", float: "a number", str: "text"}

_SLOT = re.compile(r"^\{\{\s*([A-Za-z0-9_]+)\s*\}\}$")
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class WorkflowError(ValueError):
    """A template that cannot be used; the message names the file and what to fix."""


@dataclass(frozen=True)
class Workflow:
    name: str
    mode: Mode
    graph: dict[str, Any]
    slots: frozenset[str]
    defaults: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    path: str = ""
    builtin: bool = False

    @property
    def anchor_slots(self) -> int:
        """How many anchor images the graph takes (``anchor_1`` … ``anchor_N``)."""
        return sum(1 for i in range(1, MAX_ANCHOR_SLOTS + 1) if f"anchor_{i}" in self.slots)

    def fill(self, values: dict[str, Any]) -> dict[str, Any]:
        """A copy of the graph with every slot replaced; a slot without a value raises."""
        missing = sorted(s for s in self.slots if values.get(s) is None)
        if missing:
            raise WorkflowError(
                f"Workflow {self.name!r} needs {', '.join(missing)}, which this job does not "
                "provide."
            )
        graph = copy.deepcopy(self.graph)
        for node in graph.values():
            inputs = node["inputs"]
            for key, value in inputs.items():
                slot = _slot_name(value)
                if slot is not None:
                    try:
                        inputs[key] = SLOTS[slot](values[slot])
                    except (TypeError, ValueError):
                        raise WorkflowError(
                            f"Workflow {self.name!r}: {{{{{slot}}}}} needs "
                            f"{_KIND_WORDS[SLOTS[slot]]}, not {values[slot]!r}."
                        ) from None
        return graph


def _slot_name(value: Any) -> str | None:
    if isinstance(value, str):
        match = _SLOT.match(value)
        if match:
            return match.group(1)
    return None


def parse_workflow(text: str, name: str, path: str = "", builtin: bool = False) -> Workflow:
    """Validate one template's JSON text; raise ``WorkflowError`` saying what is wrong."""
    where = f"Workflow {path or name!r}"
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WorkflowError(
            f"{where} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."
        ) from None
    if not isinstance(document, dict):
        raise WorkflowError(f"{where} must be a JSON object of nodes.")
    meta: dict[str, Any] = {}
    graph: Any = document
    if "graph" in document:
        meta = document.get("anchorboard") or {}
        graph = document["graph"]
        if not isinstance(meta, dict):
            raise WorkflowError(f'{where}: "anchorboard" must be an object.')
    mode_name = meta.get("mode", name)
    try:
        mode = Mode(mode_name)
    except ValueError:
        modes = ", ".join(m.value for m in Mode)
        raise WorkflowError(
            f"{where}: mode {mode_name!r} is unknown. Name the file after a mode ({modes}) or "
            'set "anchorboard": {"mode": ...} with a "graph".'
        ) from None
    if not isinstance(graph, dict) or not graph:
        raise WorkflowError(f"{where}: the graph must be a non-empty object of nodes.")

    slots: set[str] = set()
    problems: list[str] = []
    for node_id, node in graph.items():
        if not isinstance(node, dict):
            problems.append(f"node {node_id} is not an object")
            continue
        class_type = node.get("class_type")
        if not isinstance(class_type, str) or not class_type:
            problems.append(f'node {node_id} has no "class_type"')
        inputs = node.get("inputs")
        if not isinstance(inputs, dict):
            problems.append(f'node {node_id} has no "inputs" object')
            continue
        for key, value in inputs.items():
            if isinstance(value, list):
                if (
                    len(value) != 2
                    or not isinstance(value[0], str)
                    or not isinstance(value[1], int)
                    or value[1] < 0
                ):
                    problems.append(
                        f'node {node_id} input "{key}" is a list but not a link ["node", index]'
                    )
                elif value[0] not in graph:
                    problems.append(
                        f'node {node_id} input "{key}" links to node {value[0]}, which does '
                        "not exist"
                    )
                continue
            slot = _slot_name(value)
            if slot is not None:
                if slot not in SLOTS:
                    problems.append(
                        f'node {node_id} input "{key}" uses unknown slot {{{{{slot}}}}} '
                        f"(known: {', '.join(SLOTS)})"
                    )
                else:
                    slots.add(slot)
            elif isinstance(value, str) and "{{" in value:
                problems.append(
                    f'node {node_id} input "{key}": a slot must be the whole value, like '
                    '"{{prompt}}"'
                )
    if problems:
        raise WorkflowError(f"{where}: " + "; ".join(problems) + ".")

    missing = sorted(REQUIRED_SLOTS[mode] - slots)
    if missing:
        raise WorkflowError(
            f"{where}: a {mode.value} workflow needs the slot(s) "
            + ", ".join("{{" + s + "}}" for s in missing)
            + "."
        )
    anchors = [i for i in range(1, MAX_ANCHOR_SLOTS + 1) if f"anchor_{i}" in slots]
    if anchors and anchors != list(range(1, len(anchors) + 1)):
        raise WorkflowError(f"{where}: anchor slots must be numbered from anchor_1 without gaps.")
    if not any(n.get("class_type") == OUTPUT_NODE for n in graph.values()):
        raise WorkflowError(
            f"{where}: no {OUTPUT_NODE} node; the result is read from a {OUTPUT_NODE} output."
        )
    defaults = meta.get("defaults") or {}
    if not isinstance(defaults, dict) or any(k not in DEFAULTABLE for k in defaults):
        raise WorkflowError(f'{where}: "defaults" may only set {", ".join(DEFAULTABLE)}.')
    return Workflow(
        name=name,
        mode=mode,
        graph=graph,
        slots=frozenset(slots),
        defaults=dict(defaults),
        description=str(meta.get("description", "")),
        path=path,
        builtin=builtin,
    )


def load_workflow(path: Path, builtin: bool = False) -> Workflow:
    name = path.stem
    if not _NAME.match(name):
        raise WorkflowError(
            f"Workflow file {path.name!r}: use letters, digits, - and _ only in the name."
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkflowError(f"Workflow {str(path)!r} cannot be read: {exc}.") from None
    return parse_workflow(text, name, str(path), builtin=builtin)


def load_workflows(user_dir: str | Path | None = None) -> tuple[dict[str, Workflow], list[str]]:
    """Built-in templates, replaced or extended by the user folder's ``*.json`` files.

    Returns ``(workflows by name, problems)``. A broken user file is left out (the built-in
    of that name stays) and described in ``problems``, so one typo does not take ComfyUI
    off the board; the providers page shows the problems.
    """
    workflows = {p.stem: load_workflow(p, builtin=True) for p in sorted(BUILTIN_DIR.glob("*.json"))}
    problems: list[str] = []
    if user_dir:
        folder = Path(user_dir)
        if not folder.is_dir():
            problems.append(f"The ComfyUI workflow folder {str(folder)!r} does not exist.")
        else:
            for path in sorted(folder.glob("*.json")):
                try:
                    workflows[path.stem] = load_workflow(path)
                except WorkflowError as exc:
                    problems.append(str(exc))
    return workflows, problems
