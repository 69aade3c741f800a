"""Brand kit pages: the team's kit list and the editor (forms, versions, who may change)."""

from __future__ import annotations

import pytest
from django.test import Client

from canvas.governance.kits import services
from canvas.models import Board
from tests.governance.kits.conftest import SPRING

pytestmark = pytest.mark.django_db


def as_(kit_team, name) -> Client:
    client = Client()
    client.force_login(kit_team.people[name])
    return client


def editor_form(**overrides) -> dict:
    form = {
        "name": "Spring",
        "palette-0-name": "Petal",
        "palette-0-hex": "#E8A0B4",
        "palette-0-tolerance": "4",
        "palette-1-name": "",
        "palette-1-hex": "",
        "palette-1-tolerance": "",
        "prompt_template": "{product} in {season}",
        "negative_prompt": "text",
        "style-0-name": "Soft",
        "style-0-prompt": "soft light",
        "engine": "local",
        "strength": "0.5",
        "scale": "",
        "required_roles": ["composition"],
        "locks": ["engine", "strength"],
    }
    form.update(overrides)
    return form


def test_the_teams_page_links_to_the_kits(kit_team):
    page = as_(kit_team, "editor").get("/teams/")
    assert f'href="/teams/{kit_team.team.pk}/brand-kits/"'.encode() in page.content


def test_a_kit_manager_creates_a_kit_and_saves_a_new_version(kit_team):
    client = as_(kit_team, "kit_manager")
    created = client.post(f"/teams/{kit_team.team.pk}/brand-kits/", {"name": "Spring"})
    kit = services.team_kits(kit_team.team).get()
    assert created.status_code == 302 and created["Location"] == f"/brand-kits/{kit.pk}/"
    saved = client.post(f"/brand-kits/{kit.pk}/", editor_form())
    assert saved.status_code == 302
    kit.refresh_from_db()
    version = services.latest_version(kit)
    assert version.number == 2
    content = version.content
    assert content["palette"] == [{"name": "Petal", "hex": "#E8A0B4", "tolerance": 4.0}]
    assert content["style_presets"] == [{"name": "Soft", "prompt": "soft light"}]
    assert (content["engine"], content["settings"]["strength"]) == ("local", 0.5)
    assert content["required_roles"] == ["composition"]
    assert content["locks"] == ["engine", "strength"]
    page = client.get(f"/brand-kits/{kit.pk}/")
    assert b"Version 2 (latest)" in page.content and b"Saved as version 2" in page.content
    assert b"Save as version 3" in page.content


def test_an_invalid_form_says_why_and_saves_nothing(kit_team):
    kit = services.create_kit(kit_team.team, None, "Spring", SPRING)
    client = as_(kit_team, "admin")
    client.post(f"/brand-kits/{kit.pk}/", editor_form(**{"palette-0-hex": "pink"}))
    kit.refresh_from_db()
    assert kit.latest_number == 1
    page = client.get(f"/brand-kits/{kit.pk}/")
    assert b"palette.0.hex" in page.content


def test_members_read_a_kit_but_cannot_change_it(kit_team):
    kit = services.create_kit(kit_team.team, None, "Spring", SPRING)
    client = as_(kit_team, "editor")
    page = client.get(f"/brand-kits/{kit.pk}/")
    assert page.status_code == 200
    assert (
        b"Read only" in page.content and b'<fieldset class="kit-fields" disabled>' in page.content
    )
    assert client.post(f"/brand-kits/{kit.pk}/", editor_form()).status_code == 403
    kit.refresh_from_db()
    assert kit.latest_number == 1
    stranger = as_(kit_team, "stranger").get(f"/brand-kits/{kit.pk}/")
    assert stranger.status_code == 404


def test_an_old_version_is_shown_read_only(kit_team):
    kit = services.create_kit(kit_team.team, None, "Spring", SPRING)
    services.edit_kit(kit, None, changes={"negative_prompt": "blur"})
    page = as_(kit_team, "admin").get(f"/brand-kits/{kit.pk}/", {"version": 1})
    assert b"You are looking at version 1" in page.content
    assert b"text, watermark" in page.content


def test_a_kit_manager_gives_a_board_the_kit_and_an_editor_cannot(kit_team):
    kit = services.create_kit(kit_team.team, None, "Spring", SPRING)
    board = kit_team.board
    url = f"/brand-kits/{kit.pk}/boards/"
    refused = as_(kit_team, "editor").post(url, {"board": str(board.pk), "action": "use"})
    assert refused.status_code == 403
    assert Board.objects.get(pk=board.pk).brand_kit_id is None
    as_(kit_team, "kit_manager").post(url, {"board": str(board.pk), "action": "use"})
    assert Board.objects.get(pk=board.pk).brand_kit_id == kit.pk
    page = as_(kit_team, "kit_manager").get(f"/brand-kits/{kit.pk}/")
    assert board.name.encode() in page.content


def test_the_board_page_bootstraps_the_kit_for_its_badge(kit_team):
    kit = services.create_kit(kit_team.team, None, "Spring", SPRING)
    services.set_board_kit(kit_team.board, kit)
    page = as_(kit_team, "viewer").get(f"/boards/{kit_team.board.pk}/")
    boot = page.context["bootstrap"]["brand_kit"]
    assert (boot["name"], boot["version"], boot["url"]) == ("Spring", 1, f"/brand-kits/{kit.pk}/")
    assert boot["variables"] == ["product", "season"]


def test_the_kit_list_names_each_kit_its_version_and_locks(kit_team):
    kit = services.create_kit(kit_team.team, None, "Spring", SPRING)
    page = as_(kit_team, "viewer").get(f"/teams/{kit_team.team.pk}/brand-kits/")
    assert f'href="/brand-kits/{kit.pk}/"'.encode() in page.content
    assert "Locks the engine, the prompt template" in page.content.decode()
    assert b"Kit managers and team admins create and change kits" in page.content
