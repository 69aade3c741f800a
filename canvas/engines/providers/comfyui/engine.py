"""The ComfyUI engine: fills a workflow template and runs it as calls of the provider
template, one prompt per result (seed ``seed + i``).

Wire format (docs/providers.md "ComfyUI"): ``session.ComfySession`` uploads the inputs,
submits the filled graph, follows the websocket (or polls ``/history``) and fetches the
result; ``answers`` reads what ComfyUI says; ``config`` holds the settings and templates.
Failures: unreachable server, 5xx, time limit, out of GPU memory and an interruption we did
not ask for are ``TransientEngineError``; a graph ComfyUI rejects, a node that raises, or an
answer without an image are ``PermanentEngineError``.

This module must not touch the database, storage or websocket groups.
"""

from __future__ import annotations

from typing import Any

from canvas.engines.base import (
    ANCHOR_ROLES,
    EngineRequest,
    Mode,
    PermanentEngineError,
    UnsupportedRequest,
)
from canvas.engines.providers import imaging, resilience
from canvas.engines.providers.comfy_workflows import Workflow
from canvas.engines.providers.comfyui.config import ComfyConfig, comfy_config, workflows
from canvas.engines.providers.comfyui.session import ComfySession, drive
from canvas.engines.providers.engine import Call, ProviderCapabilities, ServerEngine, pick_model

PROVIDER = "comfyui"
ENGINE_NAME = "comfyui"
LABEL = "ComfyUI"


class ComfyEngine(ServerEngine):
    """ComfyUI behind the engine contract. Capabilities follow the templates present."""

    name = ENGINE_NAME
    provider = PROVIDER
    label = LABEL
    server = "ComfyUI"

    def __init__(self, config: ComfyConfig | None = None) -> None:
        self.config = config or comfy_config()
        self.workflows: dict[str, Workflow] = {}
        self.problems: list[str] = []
        if self.config is not None:
            self.workflows, self.problems = workflows(self.config.workflows_dir)

    # What it can do ---------------------------------------------------------------------

    def capabilities(self) -> ProviderCapabilities:
        if self.config is None:
            return self.unconfigured_capabilities()
        modes = frozenset(w.mode for w in self.workflows.values())
        references = max((w.anchor_slots for w in self.workflows.values()), default=0)
        return ProviderCapabilities(
            label=LABEL,
            generative=True,
            modes=modes,
            max_references=references,
            anchor_roles=frozenset(ANCHOR_ROLES) if references else frozenset(),
            supports_mask=Mode.INPAINT in modes,
            max_count=self.config.max_count,
            max_input_pixels=self.config.max_input_pixels,
            max_output_pixels=self.config.max_output_pixels,
            upscale_factors=(2, 3, 4) if Mode.UPSCALE in modes else (),
            max_concurrency=self.config.concurrency,
        )

    def workflow_for(self, request: EngineRequest) -> Workflow:
        """The template a request runs: ``params["workflow"]``, else the one named for its mode."""
        name = str(request.params.get("workflow") or request.mode.value)
        workflow = self.workflows.get(name)
        if workflow is None:
            known = ", ".join(sorted(self.workflows)) or "none"
            raise UnsupportedRequest(
                f"ComfyUI has no workflow called {name!r}. Available: {known}."
            )
        if workflow.mode != request.mode:
            raise UnsupportedRequest(
                f"The ComfyUI workflow {name!r} does {workflow.mode.value}, not "
                f"{request.mode.value}; pick a {request.mode.value} workflow."
            )
        return workflow

    def model_for(self, request: EngineRequest, workflow: Workflow) -> str | None:
        if "model" not in workflow.slots:
            return None
        assert self.config is not None
        wanted = request.params.get("model")
        if not wanted and not self.config.models:
            raise UnsupportedRequest(
                f"The ComfyUI workflow {workflow.name!r} needs a checkpoint, and none is "
                "configured. Ask an administrator to set ANCHORBOARD_COMFYUI_MODELS."
            )
        return pick_model(wanted, self.config.models, "ComfyUI")

    def check(self, request: EngineRequest) -> None:
        super().check(request)
        workflow = self.workflow_for(request)
        for key, kind, words in (("steps", int, "a whole number"), ("cfg", float, "a number")):
            value = request.params.get(key)
            if value is None:
                continue
            try:
                kind(value)
            except (TypeError, ValueError):
                raise UnsupportedRequest(
                    f"The ComfyUI setting {key!r} must be {words}; it is {value!r}."
                ) from None
        if request.mode == Mode.UPSCALE and request.count > 1:
            raise UnsupportedRequest(
                "Upscaling gives the same image every time; ask for one result."
            )
        if "mask_image" in workflow.slots and (request.mask is None or request.mask_coverage == 0):
            raise UnsupportedRequest(
                f"The ComfyUI workflow {workflow.name!r} needs a mask: paint the area to change."
            )
        if len(request.anchors) > workflow.anchor_slots:
            if workflow.anchor_slots == 0:
                raise UnsupportedRequest(
                    f"The ComfyUI workflow {workflow.name!r} has no reference-image input, "
                    "so it cannot use anchors. Remove the anchors from the job, or pick a "
                    "workflow with anchor slots."
                )
            raise UnsupportedRequest(
                f"The ComfyUI workflow {workflow.name!r} takes at most "
                f"{workflow.anchor_slots} anchors; this job has {len(request.anchors)}."
            )
        self.model_for(request, workflow)

    # The provider template's hooks ------------------------------------------------------

    def prepare(self, request: EngineRequest) -> None:
        super().prepare(request)
        workflow = self.workflow_for(request)
        self.model = self.model_for(request, workflow) or workflow.name  # recorded with calls

    def call(self, call: Call) -> resilience.CallResult:
        assert self.config is not None and call.size is not None and call.seed is not None
        request = call.request
        workflow = self.workflow_for(request)
        model = self.model_for(request, workflow)
        session = ComfySession(
            self.config,
            workflow,
            slot_values(request, workflow, call.seed, model, call.size),
            inputs_of(request, workflow),
        )
        image, timings, prompt_id = drive(
            session.run, call.progress, self.config, call.index, request.count
        )
        ignored = []
        if request.mask is not None and "mask_image" not in workflow.slots:
            ignored.append("mask")
        if request.prompt and "prompt" not in workflow.slots:
            ignored.append("prompt")
        return resilience.CallResult(
            images=[image],
            timings=timings,
            metadata={
                "workflow": workflow.name,
                "prompt_id": prompt_id,
                "anchors": [a.role for a in request.anchors],
                "ignored": ignored,
            },
        )

    def progress_total(self, request: EngineRequest) -> int:
        return request.count * 100  # each prompt reports 0-100


def slot_values(
    request: EngineRequest,
    workflow: Workflow,
    seed: int,
    model: str | None,
    out_size: tuple[int, int],
) -> dict[str, Any]:
    params = request.params
    values: dict[str, Any] = {
        "steps": 20,
        "cfg": 7.0,
        "sampler": "euler",
        "scheduler": "normal",
        **workflow.defaults,
    }
    for key in ("steps", "cfg", "sampler", "scheduler"):
        if params.get(key) is not None:
            values[key] = params[key]
    values.update(
        prompt=request.prompt,
        negative_prompt=request.negative_prompt,
        seed=seed,
        denoise=float(request.strength),
        width=imaging.round8(out_size[0]),
        height=imaging.round8(out_size[1]),
        scale=float(request.scale),
        model=model,
        filename_prefix="anchorboard",
    )
    return values


def inputs_of(request: EngineRequest, workflow: Workflow) -> dict[str, bytes]:
    """Slot → PNG bytes of each image the workflow takes."""
    assert request.source is not None
    inputs = {"source_image": _png(imaging.on_white(request.source))}
    if "mask_image" in workflow.slots:
        if request.mask is None:
            raise PermanentEngineError(
                f"The ComfyUI workflow {workflow.name!r} needs a mask; draw one on the region.",
                code="unsupported_request",
            )
        inputs["mask_image"] = _png(request.mask)  # L: white = change, read as channel red
    for i, anchor in enumerate(request.anchors[: workflow.anchor_slots], start=1):
        inputs[f"anchor_{i}"] = _png(imaging.on_white(anchor.image))
    return inputs


def _png(image: Any) -> bytes:
    return imaging.png_bytes(image, compress_level=1)
