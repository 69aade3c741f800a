"""The same new image uploaded at the same moment: stored once, all recorded."""

from __future__ import annotations

import hashlib
import io
import threading

import pytest
from django.db import close_old_connections

from assets.models import Asset, Blob, DerivativeState
from assets.services import ingest_upload
from tests import factories
from tests.assets import samples
from tests.assets.conftest import stored_files

pytestmark = pytest.mark.django_db(transaction=True)


def test_racing_uploads_of_the_same_bytes(media):
    owner = factories.make_user("racer")
    board = factories.make_board(name="Race", owner=owner)
    data = samples.encode(samples.noise((400, 300), seed=7), "PNG")
    barrier = threading.Barrier(4)
    assets: list = []
    failures: list[BaseException] = []

    def uploader(n: int) -> None:
        try:
            barrier.wait()
            assets.append(ingest_upload(board, owner, io.BytesIO(data), f"same-{n}.png"))
        except BaseException as exc:  # reported below
            failures.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=uploader, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    sha = hashlib.sha256(data).hexdigest()
    assert Blob.objects.count() == 1
    assert Asset.objects.filter(blob_id=sha).count() == 4
    blob = Blob.objects.get()
    assert (media / blob.storage_key).read_bytes() == data
    assert blob.derivative_state == DerivativeState.READY
    assert [p for p in stored_files(media) if p.startswith("originals/")] == [blob.storage_key]
    assert not any(".partial-" in p for p in stored_files(media))
    board.refresh_from_db()
    assert board.cover_id in {asset.pk for asset in assets}
