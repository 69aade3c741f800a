"""ComfyUI workflow templates: the built-ins load, slots fill with the right types, and a
broken user template is refused with a message that says what to fix."""

from __future__ import annotations

import json

import pytest

from canvas.engines.base import Mode
from canvas.engines.providers.comfy_workflows import (
    WorkflowError,
    load_workflows,
    parse_workflow,
)

SAVE = {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "x"}}


def graph_text(graph: dict, mode: str | None = None) -> str:
    if mode is None:
        return json.dumps(graph)
    return json.dumps({"anchorboard": {"mode": mode}, "graph": graph})


def load(**nodes) -> dict:
    return {"1": {"class_type": "LoadImage", "inputs": {"image": "{{source_image}}"}}, **nodes}


def test_builtin_templates_load_and_declare_their_modes():
    workflows, problems = load_workflows()
    assert problems == []
    assert {n: w.mode for n, w in workflows.items()} == {
        "img2img": Mode.IMG2IMG,
        "inpaint": Mode.INPAINT,
        "upscale": Mode.UPSCALE,
    }
    assert "mask_image" in workflows["inpaint"].slots
    assert workflows["img2img"].anchor_slots == 0
    assert all(w.builtin for w in workflows.values())


def test_fill_replaces_whole_value_slots_with_typed_values():
    workflow = parse_workflow(graph_text(load(**{"2": SAVE})), "upscale")
    filled = workflow.fill({"source_image": "in.png"})
    assert filled["1"]["inputs"]["image"] == "in.png"
    assert workflow.graph["1"]["inputs"]["image"] == "{{source_image}}"  # template untouched

    workflows, _ = load_workflows()
    graph = workflows["img2img"].fill(
        {
            "source_image": "a.png",
            "model": "m.safetensors",
            "prompt": "p",
            "negative_prompt": "",
            "seed": "12",
            "steps": 20.0,
            "cfg": 7,
            "sampler": "euler",
            "scheduler": "normal",
            "denoise": 1,
            "width": 64,
            "height": 64,
            "filename_prefix": "x",
        }
    )
    sampler = graph["7"]["inputs"]
    assert sampler["seed"] == 12 and isinstance(sampler["seed"], int)
    assert sampler["steps"] == 20 and isinstance(sampler["steps"], int)
    assert isinstance(sampler["cfg"], float) and isinstance(sampler["denoise"], float)


def test_fill_refuses_values_of_the_wrong_type():
    workflow = parse_workflow(
        graph_text(load(**{"2": SAVE, "3": {"class_type": "X", "inputs": {"s": "{{seed}}"}}})),
        "img2img",
    )
    with pytest.raises(WorkflowError, match=r"\{\{seed\}\} needs a whole number, not 'abc'"):
        workflow.fill({"source_image": "a.png", "seed": "abc"})


def test_fill_refuses_missing_values():
    workflows, _ = load_workflows()
    with pytest.raises(WorkflowError, match="model"):
        workflows["img2img"].fill({"source_image": "a.png"})


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("{not json", "img2img", "not valid JSON (line 1"),
        (graph_text(load(**{"2": SAVE})), "sketchy", "mode 'sketchy' is unknown"),
        (graph_text({"1": {"inputs": {}}, "2": SAVE}), "img2img", 'node 1 has no "class_type"'),
        (
            graph_text(load(**{"2": {**SAVE, "inputs": {"images": ["9", 0]}}})),
            "img2img",
            "links to node 9, which does not exist",
        ),
        (
            graph_text(
                load(**{"2": SAVE, "3": {"class_type": "X", "inputs": {"v": "{{colour}}"}}})
            ),
            "img2img",
            "unknown slot {{colour}}",
        ),
        (
            graph_text(
                load(**{"2": SAVE, "3": {"class_type": "X", "inputs": {"t": "a {{prompt}}"}}})
            ),
            "img2img",
            "a slot must be the whole value",
        ),
        (graph_text(load(**{"2": SAVE})), "inpaint", "needs the slot(s) {{mask_image}}"),
        (graph_text(load()), "img2img", "no SaveImage node"),
        (
            graph_text(
                load(**{"2": SAVE, "3": {"class_type": "L", "inputs": {"i": "{{anchor_2}}"}}})
            ),
            "img2img",
            "numbered from anchor_1",
        ),
        (
            json.dumps(
                {
                    "anchorboard": {"mode": "img2img", "defaults": {"seed": 1}},
                    "graph": load(**{"2": SAVE}),
                }
            ),
            "x",
            '"defaults" may only set',
        ),
    ],
)
def test_broken_templates_are_refused_with_what_to_fix(text, name, expected):
    with pytest.raises(WorkflowError) as info:
        parse_workflow(text, name, path=f"/cfg/{name}.json")
    assert expected in str(info.value)
    assert f"/cfg/{name}.json" in str(info.value)


def test_user_folder_overrides_extends_and_reports_broken_files(tmp_path):
    (tmp_path / "upscale.json").write_text(graph_text(load(**{"2": SAVE})))  # bare graph
    (tmp_path / "sketch-pass.json").write_text(graph_text(load(**{"2": SAVE}), mode="img2img"))
    (tmp_path / "inpaint.json").write_text("{broken")
    workflows, problems = load_workflows(tmp_path)

    assert not workflows["upscale"].builtin and workflows["upscale"].path.endswith("upscale.json")
    assert workflows["sketch-pass"].mode == Mode.IMG2IMG
    assert workflows["inpaint"].builtin  # the broken override is skipped, the built-in stays
    assert len(problems) == 1 and "inpaint.json" in problems[0] and "not valid JSON" in problems[0]


def test_a_missing_user_folder_is_reported(tmp_path):
    workflows, problems = load_workflows(tmp_path / "nope")
    assert set(workflows) == {"img2img", "inpaint", "upscale"}
    assert problems and "does not exist" in problems[0]
