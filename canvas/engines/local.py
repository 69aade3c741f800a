"""The "Local (non-generative)" engine: classical image operations on the server's CPU.

It never invents content. img2img transfers colour and light from anchors; inpaint fills
from the surroundings; upscale resamples and sharpens; variations jitter colour, light and
framing with a seed. Anything that needs to follow a prompt or a composition is refused in
``check`` so the designer can pick a generative engine instead of waiting for a job that
would quietly ignore them. Deterministic: the same request and seed give the same bytes.

Must not touch the database, storage or network: it gets pixels and returns pixels.
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from collections.abc import Callable
from typing import Any

from PIL import Image

from assets.imageops import colour, inpaint, lighting, masks, style, upscale, variations
from canvas.engines.base import (
    ANCHOR_ROLES,
    MAX_COUNT,
    Anchor,
    Engine,
    EngineCapabilities,
    EngineRequest,
    EngineResult,
    JobCancelled,
    Mode,
    PermanentEngineError,
    ProgressReporter,
    UnsupportedRequest,
    preview_of,
)
from canvas.engines.registry import register_engine
from canvas.protocol.limits import SEED_LIMIT

MODEL = "anchorboard-imageops-1"
LABEL = "Local (non-generative)"
ANALYSIS_EDGE = 512  # anchors are analysed at this size: statistics need no more
MAX_INPAINT_COVERAGE = 0.5
DEFAULT_FEATHER_PX = 8
PALETTE_SIZE = 6
# The palette depends on the anchors only (not the job seed), so re-running a job with a new
# seed changes the jitter of variations but never "which colours the brand palette has".
PALETTE_SEED = 0
TRANSFER_ROLES = {"palette", "lighting", "style"}


@register_engine("local")
class LocalEngine(Engine):
    def capabilities(self) -> EngineCapabilities:
        return EngineCapabilities(
            label=LABEL,
            generative=False,
            modes=frozenset(Mode),
            max_references=8,
            anchor_roles=frozenset(ANCHOR_ROLES),
            supports_mask=True,
            needs_source=True,
            max_count=MAX_COUNT,
            max_input_pixels=16_000_000,
            max_output_pixels=64_000_000,
            upscale_factors=upscale.FACTORS,
        )

    def check(self, request: EngineRequest) -> None:
        super().check(request)
        roles = {a.role for a in request.anchors}
        if request.mode == Mode.IMG2IMG and not roles & TRANSFER_ROLES:
            if request.prompt.strip():
                raise UnsupportedRequest(
                    "The local engine cannot follow a text prompt: it only transfers colour "
                    "and light from anchors. Add a palette, lighting or style anchor, or pick "
                    "a generative engine."
                )
            if "composition" in roles:
                raise UnsupportedRequest(
                    "The local engine cannot re-lay out an image from a composition anchor. "
                    "Add a palette, lighting or style anchor, or pick a generative engine."
                )
            raise UnsupportedRequest(
                "Nothing to transfer: add a palette, lighting or style anchor to the job, or "
                "pick a generative engine."
            )
        if request.mode == Mode.INPAINT:
            if request.mask is None or request.mask_coverage == 0:
                raise UnsupportedRequest(
                    "Paint a mask over the area to fill first; the mask is empty."
                )
            if request.mask_coverage > MAX_INPAINT_COVERAGE:
                raise UnsupportedRequest(
                    f"The mask covers {request.mask_coverage:.0%} of the region. The local "
                    f"engine fills small areas from their surroundings (up to "
                    f"{MAX_INPAINT_COVERAGE:.0%}); select a larger region around the area or "
                    "pick a generative engine."
                )
        if request.mode in (Mode.INPAINT, Mode.UPSCALE) and request.count > 1:
            raise UnsupportedRequest(
                f"The local engine's {request.mode.value} gives the same result every time; "
                "ask for 1 result."
            )
        if request.mode == Mode.UPSCALE:
            if request.mask is not None:
                raise UnsupportedRequest(
                    "Upscaling works on the whole region; clear the mask first."
                )
            assert request.source is not None  # super().check refused a missing source
            wanted = (request.source.width * request.scale, request.source.height * request.scale)
            if request.output_size is not None and tuple(request.output_size) != wanted:
                raise UnsupportedRequest(
                    f"A ×{request.scale} upscale of this region is {wanted[0]}×{wanted[1]}; "
                    "leave the output size empty or choose another factor."
                )

    def run(self, request: EngineRequest, progress: ProgressReporter) -> list[EngineResult]:
        try:
            self.check(request)
        except UnsupportedRequest as exc:
            # Checked before queueing too; reaching this means the request changed meaning
            # (e.g. limits were lowered). Retrying cannot help.
            raise PermanentEngineError(exc.message, code=exc.code) from exc
        seed = request.seed if request.seed is not None else secrets.randbelow(SEED_LIMIT)
        job = _Run(request, progress, seed)
        runner: dict[Mode, Callable[[], list[EngineResult]]] = {
            Mode.IMG2IMG: job.img2img,
            Mode.INPAINT: job.inpaint,
            Mode.UPSCALE: job.upscale,
            Mode.VARIATIONS: job.variations,
        }
        return runner[request.mode]()


class _Run:
    """One execution: the request, its progress reporting and its timings."""

    def __init__(self, request: EngineRequest, progress: ProgressReporter, seed: int) -> None:
        self.request = request
        self.progress = progress
        self.seed = seed
        self.done = 0
        self.total = 1
        self.timings: dict[str, float] = {}
        self._phase = "start"
        self.started = time.perf_counter()
        self._phase_started = self.started
        assert request.source is not None
        self.source = request.source
        self.ignored: list[str] = []
        if request.prompt.strip() or request.negative_prompt.strip():
            self.ignored.append("prompt")

    # -- progress --

    def plan(self, total: int) -> None:
        self.total = total
        self.done = 0

    def begin(self, phase: str, message: str) -> None:
        """Start a phase: honour cancellation, then report where we are."""
        if self.progress.cancelled():
            raise JobCancelled()
        self.progress.step(self.done, self.total, message)
        self._phase = phase
        self._phase_started = time.perf_counter()

    def end(self, image: Image.Image | None = None) -> None:
        elapsed = (time.perf_counter() - self._phase_started) * 1000
        self.timings[self._phase] = self.timings.get(self._phase, 0.0) + round(elapsed, 2)
        self.done += 1
        if image is not None:
            self.progress.preview(preview_of(image))

    def finish(self, outputs: list[tuple[Image.Image, int, dict]]) -> list[EngineResult]:
        """Last cancellation point, then wrap ``(image, seed, metadata)`` as results."""
        if self.progress.cancelled():
            raise JobCancelled()
        self.timings["total"] = round((time.perf_counter() - self.started) * 1000, 2)
        self.progress.step(self.total, self.total, "Done")
        results = []
        for image, seed, metadata in outputs:
            meta: dict[str, Any] = {
                "mode": self.request.mode.value,
                "strength": self.request.strength,
            }
            meta.update(metadata)
            if self.ignored:
                meta["ignored"] = sorted(set(self.ignored))
            results.append(
                EngineResult(
                    image=image,
                    seed=seed,
                    engine="local",
                    model=MODEL,
                    timings=dict(self.timings),
                    metadata=meta,
                )
            )
        return results

    # -- helpers --

    def anchors(self, role: str) -> list[Anchor]:
        return self.request.anchors_with(role)

    def analysis_copies(self, anchors: list[Anchor]) -> list[Image.Image]:
        copies = []
        for anchor in anchors:
            small = anchor.image.convert("RGBA")
            small.thumbnail((ANALYSIS_EDGE, ANALYSIS_EDGE), Image.Resampling.LANCZOS)
            copies.append(small)
        return copies

    def within_mask(self, changed: Image.Image) -> Image.Image:
        if self.request.mask is None:
            return changed
        feather_px = float(self.request.params.get("feather_px", DEFAULT_FEATHER_PX))
        return masks.paste_back(self.source, changed, self.request.mask, feather_px)

    def to_output_size(self, image: Image.Image) -> Image.Image:
        size = self.request.output_size
        if size is None or tuple(size) == image.size:
            return image
        return image.resize((int(size[0]), int(size[1])), Image.Resampling.LANCZOS)

    def note_ignored_anchors(self, used_roles: set[str]) -> None:
        for anchor in self.request.anchors:
            if anchor.role not in used_roles:
                self.ignored.append(f"{anchor.role} anchor")

    # -- modes --

    def img2img(self) -> list[EngineResult]:
        request = self.request
        strength = float(request.strength)
        palette_refs = self.analysis_copies(self.anchors("palette"))
        lighting_refs = self.analysis_copies(self.anchors("lighting"))
        style_refs = self.analysis_copies(self.anchors("style"))
        self.note_ignored_anchors(TRANSFER_ROLES)
        extra = request.count - 1
        self.plan(
            1 + bool(style_refs) * 2 + bool(palette_refs) * 2 + len(lighting_refs) + 1 + extra
        )
        work = self.source.copy()
        palette = None
        if style_refs:
            self.begin("style", "Grading colours toward the style anchor")
            work = style.grade_toward(work, style_refs, strength * 0.5)
            self.end(work)
            self.begin("style", "Matching the style anchor's level of detail")
            work = style.match_detail(work, style_refs[0], strength)
            self.end(work)
        if palette_refs:
            self.begin("palette", "Extracting the anchor palette")
            palette = colour.extract_palette(palette_refs, PALETTE_SIZE, PALETTE_SEED)
            # A palette anchor is often a swatch sheet whose spread says nothing about the
            # picture's contrast: stretch colour at most ×2 and lightness half as much.
            work = style.grade_toward(
                work, palette_refs, strength * 0.5, channel_weights=(0.5, 1.0, 1.0), max_stretch=2.0
            )
            self.end(work)
            self.begin("palette", "Mapping colours onto the anchor palette")
            work = colour.map_to_palette(work, palette, strength)
            self.end(work)
        for ref in lighting_refs:
            self.begin("lighting", "Transferring light from the lighting anchor")
            work = lighting.transfer_lighting(work, ref, strength / len(lighting_refs))
            self.end(work)
        self.begin("blend", "Blending the result into the region")
        work = self.to_output_size(self.within_mask(work))
        self.end(work)
        meta = {"palette": palette.hex() if palette is not None else []}
        outputs = [(work, self.seed, meta)]
        for index in range(1, request.count):
            seed = (self.seed + index) % SEED_LIMIT
            self.begin("variations", f"Variation {index + 1} of {request.count}")
            jitter = variations.jitter_for(seed, 0.35)
            if request.mask is not None:
                jitter = dataclasses.replace(jitter, crop_zoom=1.0)
            varied = self.within_mask(variations.apply_jitter(work, jitter))
            self.end(varied)
            outputs.append((varied, seed, {**meta, "jitter": jitter.as_dict()}))
        return self.finish(outputs)

    def inpaint(self) -> list[EngineResult]:
        request = self.request
        assert request.mask is not None
        method = str(request.params.get("inpaint_method", "telea"))
        if method not in inpaint.METHODS:
            raise PermanentEngineError(
                f"Unknown fill method {method!r}; use telea or ns.", code="invalid_params"
            )
        self.note_ignored_anchors(set())
        self.plan(3)
        self.begin("fill", "Filling the masked area from its surroundings")
        filled = inpaint.fill(self.source, request.mask, method=method, seed=self.seed)
        self.end(filled)
        self.begin("blend", "Blending the fill into the region")
        # The fill already covers the grown mask; feather from that grown edge outward.
        grown = Image.fromarray(inpaint.binary_mask(request.mask), "L")
        feather_px = float(request.params.get("feather_px", DEFAULT_FEATHER_PX))
        out = masks.paste_back(self.source, filled, grown, feather_px)
        self.end(out)
        self.begin("resize", "Finishing")
        out = self.to_output_size(out)
        self.end()
        return self.finish([(out, self.seed, {"method": method})])

    def upscale(self) -> list[EngineResult]:
        request = self.request
        sharpen = float(request.params.get("sharpen", 1.0))
        if not 0.0 <= sharpen <= 2.0:
            raise PermanentEngineError("Sharpening must be between 0 and 2.", code="invalid_params")
        self.note_ignored_anchors(set())
        self.plan(1)
        self.begin("upscale", f"Upscaling ×{request.scale}")
        out = upscale.upscale(self.source, request.scale, sharpen)
        self.end(out)
        return self.finish([(out, self.seed, {"scale": request.scale, "sharpen": sharpen})])

    def variations(self) -> list[EngineResult]:
        request = self.request
        palette_refs = self.analysis_copies(self.anchors("palette"))
        lighting_refs = self.analysis_copies(self.anchors("lighting"))
        self.note_ignored_anchors({"palette", "lighting"})
        self.plan(request.count + bool(palette_refs))
        palette = None
        if palette_refs:
            self.begin("palette", "Extracting the anchor palette")
            palette = colour.extract_palette(palette_refs, PALETTE_SIZE, PALETTE_SEED)
            self.end()
        light = lighting_refs[0] if lighting_refs else None
        if len(lighting_refs) > 1:
            self.ignored.append("extra lighting anchors")
        outputs = []
        for index in range(request.count):
            seed = (self.seed + index) % SEED_LIMIT
            self.begin("variations", f"Variation {index + 1} of {request.count}")
            jitter = variations.jitter_for(
                seed, request.strength, palette is not None, light is not None
            )
            if request.mask is not None:
                # A shifted crop would misalign the masked area with the untouched rest.
                jitter = dataclasses.replace(jitter, crop_zoom=1.0)
            varied = variations.apply_jitter(self.source, jitter, palette, light)
            varied = self.to_output_size(self.within_mask(varied))
            self.end(varied)
            outputs.append((varied, seed, {"jitter": jitter.as_dict()}))
        return self.finish(outputs)
