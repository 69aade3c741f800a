"""A job's results stored: encoded and written as files, then recorded as staged results.

What stays on the path to ``succeeded`` is only what makes the result durable: its PNG
encoded (assets.generated: once, zlib level 1, alpha only when needed), its file written,
its rows. The composited source (kept for compare and provenance) is encoded and written
on an encoder thread while the engine runs (``SourceFile``); previews of both (the
derivative pyramid) are scheduled when the rows commit — with the final state, when the
runner records them in the transaction that ends the job — and built afterwards, off the
critical path; a preview whose task was lost with its process is rebuilt by the upkeep
(assets.services.requeue_stale_derivatives).

Results are keyed (job, index): running a job twice stores each once. Only the runner
calls this; it never changes a job's state.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from PIL import Image

from assets import generated
from assets.services import ingest_encoded_files, schedule_previews
from canvas.governance.hooks import results_landed
from canvas.jobs import adapters, announce
from canvas.models.jobs import Iteration, Job, JobMode

PASTE_FEATHER = 4  # pixels of soft edge where an inpainted result meets the original
ENCODER_THREADS = 2

_executor: ThreadPoolExecutor | None = None
_executor_pid = 0
_executor_lock = threading.Lock()


def _encoder() -> ThreadPoolExecutor:
    """This process's encoder threads (made again after a fork: threads do not survive it)."""
    global _executor, _executor_pid
    with _executor_lock:
        if _executor is None or _executor_pid != os.getpid():
            _executor = ThreadPoolExecutor(ENCODER_THREADS, thread_name_prefix="anchorboard-encode")
            _executor_pid = os.getpid()
        return _executor


def _encode_and_write(image: Image.Image) -> generated.EncodedImage:
    encoded = generated.encode_png(image)
    generated.write_file(encoded)
    return encoded


class SourceFile:
    """The job's composited source, encoded and written on an encoder thread from the
    moment it exists; ``encoded()`` waits for it (and raises what it raised)."""

    def __init__(self, source: Image.Image) -> None:
        self._future: Future[generated.EncodedImage] = _encoder().submit(_encode_and_write, source)

    def encoded(self) -> generated.EncodedImage:
        return self._future.result()


def provenance(job: Job, result: Any, source_asset_id: Any) -> dict[str, Any]:
    spec = job.spec
    return {
        "job": str(job.id),
        "mode": job.mode,
        "engine": getattr(result, "engine", job.engine) or job.engine,
        "model": getattr(result, "model", ""),
        "prompt": spec.get("prompt", ""),
        "negative_prompt": spec.get("negative_prompt", ""),
        "params": {
            "strength": spec.get("strength"),
            "count": spec.get("count"),
            "scale": spec.get("scale"),
            "output_size": spec.get("output_size"),
            **(spec.get("params") or {}),
        },
        "seed": getattr(result, "seed", None),
        "region": spec.get("region"),
        "mask": spec.get("mask"),
        "anchors": [
            {"item_id": a["item_id"], "asset_id": a["asset_id"], "role": a["role"]}
            if not a.get("kit_reference")
            else {"kit_reference": a["kit_reference"], "blob": a["blob"], "role": a["role"]}
            for a in spec.get("anchors", [])
        ],
        "variables": spec.get("variables") or {},
        # Which brand kit version shaped this job (id, version, name), or None.
        "brand_kit": spec.get("brand_kit"),
        "source_assets": sorted({layer["asset_id"] for layer in spec.get("layers", [])}),
        "source_asset": str(source_asset_id) if source_asset_id else None,
        "timings": dict(getattr(result, "timings", {}) or {}),
    }


@dataclass(frozen=True)
class StoredFiles:
    """Results whose files are stored, waiting for their rows (``record``)."""

    source: generated.EncodedImage
    results: list[tuple[int, Any, generated.EncodedImage]]


def store_files(
    job: Job,
    source: Image.Image,
    mask: Image.Image | None,
    results,
    *,
    source_file: SourceFile | None = None,
) -> StoredFiles | None:
    """Encode and store the files of the results not stored yet (None if there are none).
    Outside any transaction: a slow write must not hold the database's write lock.
    ``source_file``: the source already on its way to storage (``SourceFile``).

    A first attempt has stored nothing yet (its rows commit with its final state), so only
    a later attempt asks which results an earlier one stored. Several results are encoded
    on the encoder threads side by side (PNG encoding runs outside the GIL); the last one
    here."""
    existing: set[int] = set()
    if job.attempts > 1:
        existing = set(Iteration.objects.filter(job=job).values_list("index", flat=True))
        if len(existing) >= len(results):
            return None
    todo = []
    for index, result in enumerate(results):
        if index in existing:
            continue
        image = result.image
        if job.mode == JobMode.INPAINT and mask is not None:
            image = adapters.paste_back(source, image, mask, PASTE_FEATHER)
        todo.append((index, result, image))
    if not todo:
        return None
    # Durable before the rows (and the state) that name them.
    others = [_encoder().submit(_encode_and_write, image) for _, _, image in todo[:-1]]
    last = _encode_and_write(todo[-1][2])
    encoded = [future.result() for future in others] + [last]
    pending = [
        (index, result, file) for (index, result, _), file in zip(todo, encoded, strict=True)
    ]
    return StoredFiles(source=(source_file or SourceFile(source)).encoded(), results=pending)


def record(job: Job, files: StoredFiles | None, previews: list[Any] | None = None) -> int:
    """The rows of stored files: assets and staged Iterations, once per (job, index), each
    announced after commit. Inside the caller's transaction when it has one (the runner
    ends the job in the same one). Returns how many results are new.

    ``previews``: a list to which the new assets' blobs are added for the caller to
    ``schedule_previews`` later in its transaction (after its final state); without it,
    they are scheduled here."""
    if files is None:
        return 0
    created = 0
    names = [(files.source, f"job-{job.id}-source.png")] + [
        (encoded, f"job-{job.id}-{index + 1}.png") for index, _, encoded in files.results
    ]
    with transaction.atomic(savepoint=False):  # errors end the caller's transaction too
        source_asset, *assets = ingest_encoded_files(job.board, job.created_by, names)
        for (index, result, _), asset in zip(files.results, assets, strict=True):
            try:
                with transaction.atomic():
                    record_iteration(
                        job, index, asset, source_asset, getattr(result, "seed", None),
                        provenance(job, result, source_asset.pk),
                    )  # fmt: skip
                created += 1
            except IntegrityError:  # another run of this job stored it first
                continue
        if created:
            results_landed(job.pk)  # consistency scores, in the background, after commit
        blobs = [source_asset.blob, *(asset.blob for asset in assets)]
        if previews is None:
            schedule_previews(blobs)
        else:
            previews.extend(blobs)
    return created


def record_iteration(
    job: Job, index: int, asset: Any, source_asset: Any, seed: int | None, record: dict
) -> Iteration:
    """One result row of ``job`` (image or clip), announced after commit. Unique per
    (job, index): a second run of the same job raises IntegrityError, which callers take as
    "stored already".

    The message is the row as written here, built before commit like a job's: a new result
    has no consistency scores (its asset is new; scoring is scheduled after this commits),
    so nothing is read again to announce it."""
    stored = Iteration.objects.create(
        board_id=job.board_id,
        job=job,
        index=index,
        asset=asset,
        source_asset=source_asset,
        parent_id=job.parent_iteration_id,
        region=job.spec.get("region", {}),
        seed=seed,
        provenance=record,
    )
    announce.new_result_after_commit(stored, job.pk)
    return stored


def store_results(job: Job, source: Image.Image, mask: Image.Image | None, results) -> int:
    """``store_files`` then ``record``: the results stored without ending the job."""
    return record(job, store_files(job, source, mask, results))
