"""Exports of a batch: its approved results (or all of them with ``"results": "all"``, or
one of them with ``"result"``) as the selection of a zip, a contact sheet, a PNG or a
16-bit TIFF; the package's manifest names the batch and each file's variable values. Read
back with zipfile and the manifest's JSON Schema, tifffile for the TIFF."""

from __future__ import annotations

import io
import json
import zipfile

import jsonschema
import numpy as np
import pytest
import tifffile
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from assets import storage
from assets.exports.manifest import MANIFEST_SCHEMA
from canvas.exports import runner, services
from canvas.exports.kinds import InvalidExport
from canvas.exports.models import Export, ExportState
from canvas.models import Batch, Decision, Iteration
from tests import factories
from tests.review.conftest import make_candidate

pytestmark = pytest.mark.django_db

CELLS = [
    {"product": "sneaker", "background": "sand"},
    {"product": "boot", "background": "sand"},
    {"product": "sandal", "background": "snow"},
]


@pytest.fixture
def batch(board, owner):
    """A batch of three jobs (one result each); the first and third results approved, the
    second rejected."""
    made = Batch.objects.create(board=board, created_by=owner, name="Hero shoes", seed=42)
    results = []
    for position, values in enumerate(CELLS):
        it = make_candidate(
            board,
            owner,
            data=factories.png_bytes((40, 30), (40 * position, 90, 160)),
            prompt=f"a {values['product']} on {values['background']}",
        )
        job = it.job
        job.batch = made
        job.position = position
        job.spec = {**job.spec, "variables": values}
        job.save(update_fields=["batch", "position", "spec"])
        results.append(it)
    for it, status in zip(results, ("approved", "rejected", "approved"), strict=True):
        Decision.objects.create(
            iteration=it, board=board, status=status, decided_by=owner, decided_at=timezone.now()
        )
    return made


def _run(board, owner, payload) -> Export:
    export = services.request_export(board, owner, payload)
    assert runner.run(export.pk, "host:1:w") == ExportState.READY
    return Export.objects.get(pk=export.pk)


def _read(export: Export) -> bytes:
    with storage.open_file(export.file_key) as handle:
        return handle.read()


def test_a_zip_of_a_batch_holds_its_approved_results_with_batch_and_variables(board, owner, batch):
    export = _run(board, owner, {"kind": "zip", "batch": str(batch.pk)})
    assert export.selection == {"batch": str(batch.pk)}
    assert "Hero-shoes" in export.file_name
    with zipfile.ZipFile(io.BytesIO(_read(export))) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        jsonschema.validate(manifest, MANIFEST_SCHEMA)
        images = [n for n in archive.namelist() if n.endswith(".png")]
        csv_text = archive.read("manifest.csv").decode("utf-8-sig")
    assert len(images) == 2  # the rejected boot is left out
    assert manifest["package"]["batch"] == "Hero shoes"
    files = manifest["files"]
    assert [f["variables"] for f in files] == [CELLS[0], CELLS[2]]
    assert {f["batch"] for f in files} == {"Hero shoes"}
    assert [f["decisions"][0]["decision"] for f in files] == ["approved", "approved"]
    assert images[0].startswith("Campaign_sneaker-sand_")  # {variant}: the values
    assert "product=sneaker | background=sand" in csv_text


def test_all_results_with_the_option(board, owner, batch):
    export = _run(
        board, owner, {"kind": "zip", "batch": str(batch.pk), "options": {"results": "all"}}
    )
    with zipfile.ZipFile(io.BytesIO(_read(export))) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert [f["variables"]["product"] for f in manifest["files"]] == ["sneaker", "boot", "sandal"]


def test_a_contact_sheet_of_a_batch(board, owner, batch):
    export = _run(board, owner, {"kind": "pdf", "batch": str(batch.pk)})
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(_read(export))).pages)
    assert "sneaker sand" in text and "sandal snow" in text
    assert "boot sand" not in text


def test_a_png_of_a_batch_needs_exactly_one_result(board, owner, batch):
    with pytest.raises(InvalidExport, match="this batch has 2 to export"):
        services.request_export(board, owner, {"kind": "png", "batch": str(batch.pk)})
    Decision.objects.filter(iteration__job__batch=batch, status="approved").first().delete()
    export = _run(board, owner, {"kind": "png", "batch": str(batch.pk)})
    assert export.mime_type == "image/png" and export.size


def test_batch_refusals(board, owner, batch, django_user_model):
    Decision.objects.filter(status="approved").update(status="rejected")
    with pytest.raises(InvalidExport, match="no approved results yet"):
        services.request_export(board, owner, {"kind": "zip", "batch": str(batch.pk)})
    with pytest.raises(InvalidExport, match='results must be "approved"'):
        services.request_export(
            board, owner, {"kind": "zip", "batch": str(batch.pk), "options": {"results": "x"}}
        )
    with pytest.raises(InvalidExport, match="A layered PSD is made of a frame"):
        services.request_export(board, owner, {"kind": "psd", "batch": str(batch.pk)})
    other = factories.make_board(board.team, "Other", owner=owner)
    with pytest.raises(InvalidExport, match="is not a batch of this board"):
        services.request_export(other, owner, {"kind": "zip", "batch": str(batch.pk)})
    assert not Export.objects.exists()


def _results(batch) -> list:
    return list(Iteration.objects.filter(job__batch=batch).order_by("job__position"))


def test_one_result_of_a_batch_as_a_16_bit_tiff(board, owner, batch):
    """``"result"`` narrows a batch to one result — here the rejected boot, so with
    ``"results": "all"`` — and the TIFF holds its pixels at 16 bits (v × 257)."""
    boot = _results(batch)[1]
    options = {"results": "all", "result": str(boot.pk)}
    export = _run(board, owner, {"kind": "tiff16", "batch": str(batch.pk), "options": options})
    assert export.options["result"] == str(boot.pk) and "boot-sand" in export.file_name
    with tifffile.TiffFile(io.BytesIO(_read(export))) as tif:
        pixels = tif.pages[0].asarray()
    assert pixels.dtype == np.uint16 and pixels.shape == (30, 40, 3)
    with storage.open_file(boot.asset.blob.storage_key) as handle:
        source = np.asarray(Image.open(handle).convert("RGB"), dtype=np.int32)
    assert np.abs(np.rint(pixels / 257).astype(np.int32) - source).max() <= 1
    # An approved result needs no "all"; a zip of one result holds just that file.
    sandal = _results(batch)[2]
    zipped = _run(
        board, owner, {"kind": "zip", "batch": str(batch.pk), "options": {"result": str(sandal.pk)}}
    )
    with zipfile.ZipFile(io.BytesIO(_read(zipped))) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert [f["variables"]["product"] for f in manifest["files"]] == ["sandal"]


def test_result_refusals(board, owner, batch):
    boot, sandal = _results(batch)[1], _results(batch)[2]
    cases = [
        ({"kind": "tiff16", "batch": str(batch.pk), "options": {"result": "nope"}},
         "result 'nope' is not a result's id."),
        ({"kind": "tiff16", "batch": str(batch.pk), "options": {"result": str(boot.pk)}},
         'not an approved result of batch “Hero shoes”: approve it in the review, or add '
         '"results": "all"'),
        ({"kind": "tiff16", "batch": str(batch.pk),
          "options": {"results": "all", "result": str(batch.pk)}},
         f"Result {batch.pk} is not a result of batch “Hero shoes”."),
        ({"kind": "psd", "job": str(sandal.job_id), "options": {"result": str(sandal.pk)}},
         '"result" picks one result of a batch: give "batch"'),
    ]  # fmt: skip
    for payload, sentence in cases:
        with pytest.raises(InvalidExport) as refused:
            services.request_export(board, owner, payload)
        assert sentence in refused.value.message, refused.value.message
    assert not Export.objects.exists()
