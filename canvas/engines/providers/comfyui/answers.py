"""Reading ComfyUI's answers: HTTP statuses, ``/prompt`` rejections, execution errors in
websocket events or history entries, saved outputs, queue listings and preview frames.

ComfyUI answers a graph it refuses with 400 and ``node_errors`` (node, class, input); a node
that raises sends ``execution_error`` (``exception_type``, ``exception_message``); the
history entry lists the saved images per output node. No network, no database.
"""

from __future__ import annotations

import struct
from typing import Any

import httpx
from PIL import Image

from canvas.engines.base import EngineError, PermanentEngineError, TransientEngineError
from canvas.engines.providers import imaging, resilience
from canvas.engines.providers.comfy_workflows import Workflow

PREVIEW_IMAGE = 1
PREVIEW_IMAGE_WITH_METADATA = 4
OUT_OF_MEMORY_RETRY_SECONDS = 30.0


def raise_for_status(response: httpx.Response, doing: str) -> None:
    if response.status_code < 400:
        return
    if response.status_code >= 500 or response.status_code == 429:
        raise resilience.transient(
            f"ComfyUI had a server error ({response.status_code}) while {doing}; the job "
            "will be retried.",
            code="provider_unavailable",
            http_status=response.status_code,
        )
    raise resilience.permanent(
        f"ComfyUI refused a request ({response.status_code}) while {doing}: {response.text[:200]}",
        code="provider_rejected",
        http_status=response.status_code,
    )


def rejected(workflow: str, body: Any) -> PermanentEngineError:
    """400 from /prompt: say which node and input ComfyUI complained about."""
    details: list[str] = []
    if isinstance(body, dict):
        node_errors = body.get("node_errors")
        if isinstance(node_errors, dict):
            for node_id, info in node_errors.items():
                if not isinstance(info, dict):
                    continue
                for error in info.get("errors") or []:
                    if isinstance(error, dict):
                        text = error.get("details") or error.get("message") or "invalid"
                        details.append(f"node {node_id} ({info.get('class_type', '?')}): {text}")
        error = body.get("error")
        if not details:
            if isinstance(error, dict):
                details.append(str(error.get("message") or error.get("type") or "invalid"))
            elif error:
                details.append(str(error))
    summary = "; ".join(details[:3]) or "no reason given"
    return resilience.permanent(
        f"ComfyUI rejected the {workflow!r} workflow: {summary}. Check the workflow and the "
        "models installed on the ComfyUI server.",
        code="workflow_rejected",
        http_status=400,
    )


def execution_error(data: dict[str, Any]) -> EngineError:
    """An ``execution_error`` event (or history message) as the contract's error.

    Out of GPU memory is transient: memory is freed when other prompts finish, and the
    queue's attempt limit stops a job that can never fit. Anything else a node raises is
    permanent (a missing model, a bad input, a bug in a custom node).
    """
    node = f"node {data.get('node_id', '?')} ({data.get('node_type', '?')})"
    kind = str(data.get("exception_type") or "")
    text = str(data.get("exception_message") or "").strip()
    if "OutOfMemory" in kind or "out of memory" in text.lower():
        return resilience.out_of_memory("ComfyUI", OUT_OF_MEMORY_RETRY_SECONDS, f" in {node}")
    first_line = text.splitlines()[0] if text else kind or "an unknown error"
    return PermanentEngineError(
        f"ComfyUI failed in {node}: {first_line}. Check the workflow and its models on the "
        "ComfyUI server.",
        code="provider_failed",
    )


def interrupted_elsewhere() -> TransientEngineError:
    return TransientEngineError(
        "The run was stopped on the ComfyUI server (not from Anchorboard); the job will be "
        "retried.",
        code="provider_interrupted",
    )


def finished_entry(entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise PermanentEngineError(
            "ComfyUI returned an unreadable history entry.", code="provider_bad_response"
        )
    status: dict[str, Any] = entry["status"] if isinstance(entry.get("status"), dict) else {}
    messages: list[Any] = status["messages"] if isinstance(status.get("messages"), list) else []
    for item in messages:
        if isinstance(item, list | tuple) and len(item) == 2 and isinstance(item[1], dict):
            if item[0] == "execution_error":
                raise execution_error(item[1])
            if item[0] == "execution_interrupted":
                raise interrupted_elsewhere()
    if status.get("status_str") == "error":
        raise PermanentEngineError("ComfyUI reported the run as failed.", code="provider_failed")
    return entry


def first_output_image(entry: dict[str, Any], workflow: Workflow) -> dict[str, Any]:
    outputs = entry.get("outputs")
    save_nodes = [k for k, n in workflow.graph.items() if n.get("class_type") == "SaveImage"]
    if isinstance(outputs, dict):
        for node_id in [*save_nodes, *outputs]:
            node_output = outputs.get(node_id)
            images = node_output.get("images") if isinstance(node_output, dict) else None
            for image in images if isinstance(images, list) else []:
                if (
                    isinstance(image, dict)
                    and isinstance(image.get("filename"), str)
                    and image.get("type", "output") == "output"
                ):
                    return image
    raise PermanentEngineError(
        f"ComfyUI finished the {workflow.name!r} workflow but listed no saved image. The "
        "workflow must end in a SaveImage node.",
        code="provider_bad_response",
    )


def queue_ids(body: Any, key: str) -> set[str]:
    if not isinstance(body, dict) or not isinstance(body.get(key), list):
        return set()
    return {item[1] for item in body[key] if isinstance(item, list) and len(item) > 1}


def preview_frame(frame: bytes) -> Image.Image | None:
    """A binary websocket frame: 4-byte event type, then (type 1) 4-byte format + image."""
    if len(frame) < 8:
        return None
    (event,) = struct.unpack(">I", frame[:4])
    if event == PREVIEW_IMAGE:
        data = frame[8:]
    elif event == PREVIEW_IMAGE_WITH_METADATA:
        (length,) = struct.unpack(">I", frame[4:8])
        data = frame[8 + length :]
    else:
        return None
    try:
        return imaging.open_image(data)
    except imaging.UnreadableImage:
        return None
