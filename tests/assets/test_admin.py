"""Admin pages for blobs and assets render and keep the recorded facts read-only."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.assets import samples

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    admin = get_user_model().objects.create_superuser("root", "root@example.test", "pw")
    client.force_login(admin)
    return client


def test_blob_and_asset_admin_pages(superuser_client, upload):
    asset = upload(samples.encode(samples.noise(), "PNG"), "admin.png")
    pages = [
        reverse("admin:assets_blob_changelist"),
        reverse("admin:assets_blob_change", args=[asset.blob_id]),
        reverse("admin:assets_asset_changelist"),
        reverse("admin:assets_asset_change", args=[asset.pk]),
    ]
    for url in pages:
        assert superuser_client.get(url).status_code == 200
    blob_page = superuser_client.get(pages[1]).content.decode()
    assert asset.blob_id in blob_page
    assert 'name="sha256"' not in blob_page  # facts are shown, not editable
    assert superuser_client.get(reverse("admin:assets_blob_add")).status_code == 403
