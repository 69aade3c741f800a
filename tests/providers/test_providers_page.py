"""The provider settings page: configured providers with their capabilities and health for
everyone signed in, configuration for team admins and staff, and "check now" pings against
the fake ComfyUI, A1111, Gemini and OpenAI servers."""

from __future__ import annotations

import pytest
from django.urls import reverse

from canvas.engines.providers import load_provider_engines, resilience
from tests import factories
from tests.providers.fakes.a1111 import running_fake_a1111
from tests.providers.fakes.comfyui import running_fake_comfy

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(60)]

URL = "/providers/"
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def servers(settings, tmp_path):
    """Fake ComfyUI and A1111 configured; a broken custom ComfyUI workflow in the folder."""
    (tmp_path / "broken.json").write_text("{oops")
    with running_fake_comfy() as comfy, running_fake_a1111() as a1111:
        settings.ANCHORBOARD_COMFYUI_URL = comfy.url
        settings.ANCHORBOARD_COMFYUI_MODELS = "sd15.safetensors"
        settings.ANCHORBOARD_COMFYUI_WORKFLOWS_DIR = str(tmp_path)
        settings.ANCHORBOARD_A1111_URL = a1111.url
        load_provider_engines()
        yield comfy, a1111


@pytest.fixture
def member(client):
    user = factories.make_user()
    factories.make_team(members=[user])
    client.force_login(user)
    return user


@pytest.fixture
def team_admin(client):
    user = factories.make_user()
    factories.make_team(admin=user)
    client.force_login(user)
    return user


def test_route_name():
    assert reverse("providers") == URL


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_members_see_providers_capabilities_and_workflows_but_no_configuration(
    client, servers, member
):
    comfy, _ = servers
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="provider-comfyui"' in page and 'id="provider-a1111"' in page
    assert "AUTOMATIC1111 / Forge" in page
    assert "img2img, inpaint, upscale" in page  # ComfyUI modes from its templates
    assert "img2img, inpaint, upscale, variations" in page  # A1111
    assert "<code>inpaint</code>" in page  # the workflow table
    assert "Models: sd15.safetensors" in page  # ComfyUI checkpoints, for everyone
    assert "the checkpoint loaded on the server" in page  # A1111 without configured models
    assert comfy.url not in page  # configuration is for admins
    assert "Workflow not loaded" not in page


def test_team_admins_see_configuration_and_workflow_problems(client, servers, team_admin):
    comfy, a1111 = servers
    page = client.get(URL).content.decode()
    assert comfy.url in page and a1111.url in page
    assert "Workflow not loaded" in page and "broken.json" in page and "not valid JSON" in page
    assert "Basic auth</th><td>not set" in page


def test_staff_see_configuration(client, servers):
    comfy, _ = servers
    user = factories.make_user()
    user.is_staff = True
    user.save()
    client.force_login(user)
    assert comfy.url in client.get(URL).content.decode()


def test_health_shows_the_last_error_and_success_rate(client, servers, member):
    resilience.record_failure("comfyui", "The ComfyUI server ran out of GPU memory.")
    page = client.get(URL).content.decode()
    assert "Last error" in page and "ran out of GPU memory" in page
    assert "1 failure in a row" in page


def test_check_now_pings_comfyui_and_a1111(client, servers, member):
    response = client.post(URL, {"provider": "comfyui"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Check of comfyui: answering" in page and "0.3.99-fake" in page

    response = client.post(URL, {"provider": "a1111"}, **JSON)
    body = response.json()
    assert body["provider"] == "a1111" and body["ok"] is True
    assert "sd15.safetensors" in body["message"]


def test_check_now_lists_the_models_of_gemini_and_openai(
    client, member, gemini_server, openai_server, monkeypatch
):
    for provider in ("gemini", "openai"):
        body = client.post(URL, {"provider": provider}, **JSON).json()
        assert body["ok"] is True and "the API key works" in body["message"], provider
    # The checks are model listings, not image calls: nothing was generated or counted.
    assert gemini_server.count == 0 and openai_server.count == 0

    monkeypatch.setenv("ANCHORBOARD_GEMINI_API_KEY", "wrong")
    monkeypatch.setenv("ANCHORBOARD_OPENAI_API_KEY", "wrong")
    gemini = client.post(URL, {"provider": "gemini"}, **JSON).json()
    # Google answers a wrong key with 400 INVALID_ARGUMENT, not 401/403.
    assert gemini["ok"] is False and "API key was refused" in gemini["message"]
    openai = client.post(URL, {"provider": "openai"}, **JSON).json()
    assert openai["ok"] is False and "API key was refused" in openai["message"]


def test_check_now_reports_a_server_that_is_down(client, settings, member):
    with running_fake_comfy() as comfy:
        url = comfy.url
    settings.ANCHORBOARD_COMFYUI_URL = url
    body = client.post(URL, {"provider": "comfyui"}, **JSON).json()
    assert body["ok"] is False and "Cannot reach" in body["message"]


def test_check_now_refuses_unknown_and_unconfigured_providers(client, settings, member):
    response = client.post(URL, {"provider": "midjourney"}, **JSON)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_provider"

    settings.ANCHORBOARD_A1111_URL = ""
    response = client.post(URL, {"provider": "a1111"}, **JSON)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (
        error["code"] == "provider_not_configured" and "ANCHORBOARD_A1111_URL" in error["message"]
    )

    response = client.post(URL, {"provider": "a1111"})
    assert response.status_code == 400 and b"ANCHORBOARD_A1111_URL" in response.content
