"""Landing a video job's clips: files, poster, facts, a result, and a video item.

For each ``EngineResult`` of a video job (its ``video`` a ``VideoClip``):

1. the engine's file (on disk: ``VideoClip.path``) is linked into a temporary folder and
   probed (assets.video.probe); a file that cannot be read fails the job
   (``provider_bad_clip``);
2. the **original** is kept as an asset as delivered (the provider's file, untouched);
3. the **browser copy**: the original itself when it already is H.264 yuv420p MP4 with
   its index first (faststart); otherwise re-encoded frame by frame (assets.video.encode)
   at the clip's own frame rate;
4. the **poster**: the first frame, an ordinary PNG image asset;
5. the **drift scores** of the browser copy (assets.video.drift: per second palette drift
   against the first frame and the job's palette anchor, flicker, structure, warp; the
   worst second, the onset, the flag against the board kit's tolerance, else the default)
   — a clip that cannot be scored lands unscored;
6. an ``Iteration`` (asset = the poster, provenance like an image result's plus
   ``video``: files, duration, fps, size, codec, the source still, the drift scores) —
   stored once per (job, index), so a re-run stores nothing twice;
7. ``clip_landed`` is sent: canvas.boards places the clip on the board as a video item
   and broadcasts it like any edit (this room may not import the boards room).

Temporary files are removed whatever happens. Nothing here runs an engine.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction
from PIL import Image

from assets.clips import ingest_clip
from assets.video.decode import poster_frame, read_frames
from assets.video.drift import anchor_colours, score_file
from assets.video.encode import write_mp4
from assets.video.errors import VideoUnreadable
from assets.video.probe import VideoInfo, probe
from assets.video.tolerance import DriftTolerance
from canvas.engines import PermanentEngineError
from canvas.jobs import adapters
from canvas.jobs.inputs import load_anchors
from canvas.jobs.results import record_iteration
from canvas.jobs.signals import clip_landed
from canvas.models.jobs import Iteration, Job

logger = logging.getLogger(__name__)


def browser_ready(info: VideoInfo) -> bool:
    """Plays in every browser as is: H.264, 4:2:0, index before the media data."""
    return info.codec == "h264" and info.pixel_format == "yuv420p" and bool(info.faststart)


def clip_facts(info: VideoInfo) -> dict[str, Any]:
    return {
        "duration": round(info.duration, 3),
        "fps": round(float(info.frame_rate), 3),
        "frame_rate": f"{info.frame_rate.numerator}/{info.frame_rate.denominator}",
        "frame_count": info.frame_count,
        "width": info.width,
        "height": info.height,
        "codec": info.codec,
        "pixel_format": info.pixel_format,
    }


def _file_ref(asset: Any) -> dict[str, Any]:
    return {"asset": str(asset.pk), "sha256": asset.blob_id, "mime": asset.blob.mime_type}


def palette_anchor(job: Job) -> np.ndarray | None:
    """The job's first palette anchor as CIELAB colours for the drift score, or None."""
    for anchor in load_anchors(job):
        if anchor.role == "palette":
            return anchor_colours(np.asarray(anchor.image.convert("RGB")))
    return None


def drift_tolerance(job: Job) -> DriftTolerance:
    """The tolerance the clip is flagged against: the board's brand kit's (recorded in the
    spec by canvas.governance.kits.enforcement when the job was made), else the default."""
    kit = (job.spec or {}).get("brand_kit") or {}
    return DriftTolerance.from_dict(kit.get("video_drift"))


def drift_of(job: Job, path: Path) -> dict[str, Any] | None:
    """The clip's drift report (JSON-ready), or None when it cannot be scored."""
    try:
        return score_file(
            path, anchor=palette_anchor(job), tolerance=drift_tolerance(job)
        ).as_dict()
    except (VideoUnreadable, ValueError) as exc:
        logger.warning("job %s: clip not scored for drift: %s", job.pk, exc)
        return None


def _place(source: Path, target: Path) -> None:
    """``target`` names ``source``'s bytes: a hard link when both are on one file system
    (no copy of a clip that may be hundreds of MB), else a streamed copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _land_files(
    job: Job, clip: Any, index: int, folder: Path
) -> tuple[Any, Any, Any, VideoInfo, dict[str, Any] | None]:
    """(browser MP4 asset, original asset, poster asset, the MP4's probe, its drift)."""
    suffix = ".mov" if clip.mime == "video/quicktime" else ".mp4"
    # The engine's file, on disk already: linked (or copied) under the container's suffix.
    original_path = folder / f"original{suffix}"
    _place(clip.path, original_path)
    try:
        info = probe(original_path)
    except VideoUnreadable as exc:
        raise PermanentEngineError(
            f"The clip the engine delivered cannot be read ({exc.message}). Run the job again.",
            code="provider_bad_clip",
        ) from None
    stem = f"job-{job.id}-{index + 1}"
    original = ingest_clip(
        job.board,
        job.created_by,
        original_path,
        f"{stem}-original{suffix}",
        width=info.width,
        height=info.height,
        frame_count=info.frame_count,
        has_alpha=info.has_alpha,
    )
    if browser_ready(info) and suffix == ".mp4":
        playable, played, played_path = original, info, original_path
    else:
        path = played_path = folder / "browser.mp4"
        write_mp4(read_frames(original_path), path, info.frame_rate)
        played = probe(path)
        playable = ingest_clip(
            job.board,
            job.created_by,
            path,
            f"{stem}.mp4",
            width=played.width,
            height=played.height,
            frame_count=played.frame_count,
        )
    poster = Image.fromarray(poster_frame(original_path))
    poster_asset = adapters.store_image(job, poster, f"{stem}-poster.png")
    return playable, original, poster_asset, played, drift_of(job, played_path)


def store_video_results(job: Job, source: Image.Image, results: list[Any], provenance: Any) -> int:
    """Land each clip once per (job, index); returns how many were new.

    ``provenance(job, result, source_asset_id)`` is the runner's provenance of an image
    result; the clip's facts are added under ``video``."""
    existing = set(Iteration.objects.filter(job=job).values_list("index", flat=True))
    if len(existing) >= len(results):
        return 0
    source_asset = adapters.store_image(job, source, f"job-{job.id}-source.png")
    created = 0
    for index, result in enumerate(results):
        if index in existing or result.video is None:
            continue
        with tempfile.TemporaryDirectory(prefix="anchorboard-clip-") as folder:
            playable, original, poster, info, drift = _land_files(
                job, result.video, index, Path(folder)
            )
        record = provenance(job, result, source_asset.pk)
        record["video"] = {
            **clip_facts(info),
            "mp4": _file_ref(playable),
            "original": _file_ref(original),
            "poster": str(poster.pk),
            "options": job.spec.get("video") or {},
            "provider": dict(result.metadata or {}),
            "drift": drift,
        }
        try:
            with transaction.atomic():
                stored = record_iteration(
                    job, index, poster, source_asset, getattr(result, "seed", None), record
                )
                clip_landed.send(sender=Iteration, iteration=stored, user=job.created_by)
            created += 1
        except IntegrityError:  # another run of this job stored it first
            continue
    return created
