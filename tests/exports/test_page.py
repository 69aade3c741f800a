"""The exports page's "New export" form: a frame in a kind becomes an export like the
API's request, and a refused request shows its sentence on the page."""

from __future__ import annotations

import pytest

from canvas.exports.models import Export

from .conftest import client_for

pytestmark = pytest.mark.django_db


def test_the_page_offers_the_boards_frames_and_exports_one(board, owner, frame):
    client = client_for(owner)
    page = client.get(f"/boards/{board.pk}/exports/")
    assert page.status_code == 200
    assert "Hero shot" in page.content.decode()
    answer = client.post(
        f"/boards/{board.pk}/exports/new/", {"frame": str(frame.pk), "kind": "png"}, follow=True
    )
    export = Export.objects.get(board=board)
    assert export.kind == "png" and export.selection == {"frame": str(frame.pk)}
    assert "Exporting" in answer.content.decode()


def test_a_refused_request_is_explained_on_the_page(board, owner, frame):
    answer = client_for(owner).post(
        f"/boards/{board.pk}/exports/new/", {"frame": str(frame.pk), "kind": "gif"}, follow=True
    )
    assert not Export.objects.exists()
    assert "Unknown export kind" in answer.content.decode()


def test_a_stranger_cannot_export_the_board(board, frame, django_user_model):
    stranger = django_user_model.objects.create_user("stranger", password="x")
    answer = client_for(stranger).post(
        f"/boards/{board.pk}/exports/new/", {"frame": str(frame.pk), "kind": "png"}
    )
    assert answer.status_code == 404
    assert not Export.objects.exists()


def test_the_page_shows_100_exports_a_page_and_pages_to_older_ones(board, owner):
    Export.objects.bulk_create(
        Export(board=board, requested_by=owner, kind="png", file_name=f"n{n:03d}.png")
        for n in range(101)
    )
    client = client_for(owner)
    first = client.get(f"/boards/{board.pk}/exports/").content.decode()
    assert first.count("data-export=") == 100
    assert "Exports (101)" in first and 'rel="next"' in first and "Page 1 of 2" in first
    second = client.get(f"/boards/{board.pk}/exports/?page=2").content.decode()
    assert second.count("data-export=") == 1 and 'rel="prev"' in second
