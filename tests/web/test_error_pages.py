"""HTML pages answer with HTML error pages; the API and JSON callers get JSON errors."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import path

from tests import factories

pytestmark = pytest.mark.django_db


def boom(request):
    raise RuntimeError("kaboom")


# A URLconf with a crashing view and the project's real error handlers.
from anchorboard.urls import handler500  # noqa: E402, F401

urlpatterns = [path("boom/", boom)]


def test_unknown_page_is_html_404(client):
    client.force_login(factories.make_user())
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert "Not found" in body and "Back to your boards" in body


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/no-such-endpoint-here")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] and error["message"]


def test_json_caller_gets_json_404(client):
    response = client.get("/no/such/page/", HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "not_found",
            "message": "This page does not exist, or you have not been given access to it.",
        }
    }


def test_crash_renders_friendly_500(settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    assert "kaboom" not in body


def test_crash_on_api_path_is_json_500(settings):
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)
    response = client.get("/boom/", HTTP_ACCEPT="application/json")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"


def test_expired_form_gets_a_page_saying_what_to_do():
    client = Client(enforce_csrf_checks=True)
    client.force_login(factories.make_user())
    response = client.post("/boards/new/", {"name": "x"})
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
    assert "Reload the page and try again" in response.content.decode()
