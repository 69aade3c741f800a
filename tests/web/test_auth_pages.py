"""Sign-in, sign-out and password change pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def test_board_list_requires_login(client):
    response = client.get(reverse("board-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_renders_form_with_csrf(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="username"' in body and 'name="password"' in body
    assert "csrfmiddlewaretoken" in body


def test_login_with_right_password_lands_on_board_list(client, password):
    factories.make_user("ana")
    response = client.post(reverse("login"), {"username": "ana", "password": password})
    assert response.status_code == 302
    assert response["Location"] == reverse("board-list")
    assert client.get(reverse("board-list")).status_code == 200


def test_login_with_wrong_password_says_so(client):
    factories.make_user("ana")
    response = client.post(reverse("login"), {"username": "ana", "password": "nope"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_is_post_only_and_ends_session(client):
    user = factories.make_user()
    client.force_login(user)
    assert client.get(reverse("logout")).status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("board-list")).status_code == 302


def test_password_change(client, password):
    user = factories.make_user()
    client.force_login(user)
    new = "a much longer new secret 42"
    response = client.post(
        reverse("password_change"),
        {"old_password": password, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)
