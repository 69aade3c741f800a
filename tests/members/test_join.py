"""Joining: the invitation page (new account, signed-in person, dead links) and open
sign-up (the switch, the page, the throttle)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from canvas.members import invitations, signup
from canvas.members.models import Invitation
from canvas.models import Role, Team, TeamMembership, TeamRole
from canvas.permissions import role_for

pytestmark = pytest.mark.django_db

GOOD = "violet kestrel 42 lamp"


def account(username: str, email: str = "", password: str = GOOD) -> dict[str, str]:
    return {"username": username, "email": email, "password1": password, "password2": password}


def invite(studio, role: str = "editor", **kw) -> str:
    made = invitations.create_board_invitation(studio.board, studio.olga, role, **kw)
    return reverse("invitation", args=[made.token])


def test_the_page_says_who_invited_whom_to_what(studio):
    url = invite(studio, "reviewer", email="kim@example.test")
    response = Client().get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<strong>olga</strong> invited you" in body
    assert "board <strong>“Poster”</strong>" in body and "<strong>reviewer</strong>" in body
    assert 'value="kim@example.test"' in body  # the e-mail is suggested
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-cache" in response["Cache-Control"]
    assert f"/login/?next={url}" in body


def test_a_new_account_joins_and_lands_on_the_board(studio):
    url = invite(studio, "editor")
    client = Client()
    response = client.post(url, account("kim", "kim@example.test"))
    assert response.status_code == 302
    assert response["Location"] == reverse("board", args=[studio.board.pk])
    kim = get_user_model().objects.get(username="kim")
    assert kim.check_password(GOOD) and kim.email == "kim@example.test"
    assert role_for(kim, studio.board) == Role.EDITOR
    assert not TeamMembership.objects.filter(user=kim).exists()  # a board guest, not the team
    assert client.get(response["Location"]).status_code == 200  # signed in
    # The link is used up.
    again = Client().post(url, account("lee"))
    assert again.status_code == 410 and "already been used" in again.content.decode()
    assert not get_user_model().objects.filter(username="lee").exists()


def test_a_team_invitation_lands_on_the_team_page(studio):
    made = invitations.create_team_invitation(studio.team, studio.ada, "member")
    response = Client().post(reverse("invitation", args=[made.token]), account("kim"))
    assert response["Location"] == reverse("team-page", args=[studio.team.pk])
    kim = get_user_model().objects.get(username="kim")
    assert TeamMembership.objects.get(team=studio.team, user=kim).role == TeamRole.MEMBER


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (account("kim", password="123"), "This password is too short"),
        (account("kim", password="password"), "This password is too common"),
        ({**account("kim"), "password2": "something else 99"}, "The two password fields"),
        (account("eve"), "A user with that username already exists"),
        (account("EVE"), "A user with that username already exists"),
        (account("kim", "eve@example.test"), "An account with this e-mail address exists"),
        (account("bad name!"), "Enter a valid username"),
    ],
)
def test_new_account_errors_keep_the_link_unused(studio, data, message):
    url = invite(studio)
    response = Client().post(url, data)
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert Invitation.objects.get().accepted_at is None
    assert not get_user_model().objects.filter(username="kim").exists()


def test_signed_in_people_join_as_themselves(studio, login):
    url = invite(studio, "editor", email="someone-else@example.test")
    client = login(studio.sam)
    body = client.get(url).content.decode()
    assert "You are logged in as <strong>sam</strong>" in body
    assert "addressed to someone-else@example.test" in body
    assert "Join as sam" in body and "Log out" in body
    assert 'name="password1"' not in body
    response = client.post(url)
    assert response["Location"] == reverse("board", args=[studio.board.pk])
    assert role_for(studio.sam, studio.board) == Role.EDITOR


def test_someone_who_already_has_more_access_keeps_it(studio, login):
    url = invite(studio, "viewer")
    login(studio.eve).post(url)
    assert role_for(studio.eve, studio.board) == Role.EDITOR
    assert Invitation.objects.get().accepted_by == studio.eve


def test_log_out_and_back_to_the_link(studio, login):
    url = invite(studio)
    client = login(studio.sam)
    response = client.post(reverse("logout"), {"next": url})
    assert response["Location"] == url
    assert 'name="password1"' in client.get(url).content.decode()


@pytest.mark.parametrize("state", ["expired", "revoked", "used", "unknown"])
def test_dead_links_get_a_clear_page(studio, state):
    made = invitations.create_board_invitation(studio.board, studio.olga, "viewer")
    token = made.token
    if state == "expired":
        Invitation.objects.update(expires_at=timezone.now() - timedelta(days=1))
    elif state == "revoked":
        invitations.revoke(made.invitation)
    elif state == "used":
        invitations.accept(made.invitation, studio.sam)
    else:
        token = "inv_nothing-like-this"
    url = reverse("invitation", args=[token])
    for response in (Client().get(url), Client().post(url, account("kim"))):
        body = response.content.decode()
        assert response.status_code == (404 if state == "unknown" else 410)
        assert {
            "expired": "This invitation has expired",
            "revoked": "This invitation was withdrawn",
            "used": "This invitation was already used",
            "unknown": "This invitation link does not work",
        }[state] in body
        assert 'name="password1"' not in body
    assert not get_user_model().objects.filter(username="kim").exists()


# --- Open sign-up -----------------------------------------------------------------------------


def test_sign_up_is_closed_by_default(db):
    response = Client().get(reverse("signup"))
    assert response.status_code == 403 and "Sign-up is closed" in response.content.decode()
    response = Client().post(reverse("signup"), account("kim", "kim@example.test"))
    assert response.status_code == 403
    assert not get_user_model().objects.filter(username="kim").exists()
    assert "Create one" not in Client().get(reverse("login")).content.decode()


def test_open_sign_up_makes_an_account_and_a_personal_team(studio):
    signup.set_open(studio.ada, True)
    assert reverse("signup") in Client().get(reverse("login")).content.decode()
    client = Client()
    response = client.post(reverse("signup"), account("kim", "kim@example.test"))
    assert response["Location"] == reverse("board-list")
    kim = get_user_model().objects.get(username="kim")
    team = Team.objects.get(memberships__user=kim)
    assert team.name == "kim’s studio"
    assert TeamMembership.objects.get(team=team, user=kim).role == TeamRole.ADMIN
    assert client.get(reverse("board-list")).status_code == 200
    # e-mail is required on the sign-up page (teammates add people by it)
    response = Client().post(reverse("signup"), account("lee"))
    assert response.status_code == 400 and "This field is required" in response.content.decode()


def test_only_superusers_switch_sign_up(studio, login, django_user_model):
    # A team admin is not enough: anyone can become the admin of a team of their own.
    response = login(studio.ada).post(reverse("signup-settings"), {"open": "on"})
    assert response.status_code == 403 and not signup.is_open()
    assert "Open sign-up" not in login(studio.ada).get(reverse("team-list")).content.decode()
    root = django_user_model.objects.create_superuser("root", "root@example.test", GOOD)
    client = login(root)
    assert "Open sign-up (whole site)" in client.get(reverse("team-list")).content.decode()
    client.post(reverse("signup-settings"), {"open": "on"})
    assert signup.is_open()
    client.post(reverse("signup-settings"), {})
    assert not signup.is_open()


def test_sign_up_is_throttled_per_address(studio, settings):
    settings.ANCHORBOARD_SIGNUP_FREE_FAILURES = 2
    settings.ANCHORBOARD_SIGNUP_BASE_DELAY_SECONDS = 60
    signup.set_open(studio.ada, True)

    def sign_up(name: str, address: str = "203.0.113.5"):
        return Client(REMOTE_ADDR=address).post(
            reverse("signup"), account(name, f"{name}@example.test")
        )

    assert sign_up("one").status_code == 302
    assert sign_up("two").status_code == 302
    third = sign_up("three")  # the third account from that address must wait
    assert third.status_code == 302
    refused = sign_up("four")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many new accounts" in refused.content.decode()
    assert not get_user_model().objects.filter(username="four").exists()
    # While refused, nothing is validated: a taken name gets the same answer.
    taken = sign_up("eve")
    assert taken.status_code == 429 and "already exists" not in taken.content.decode()
    # Another address is not affected.
    assert sign_up("five", "198.51.100.7").status_code == 302


def test_invitation_accounts_count_in_the_same_throttle(studio, settings):
    settings.ANCHORBOARD_SIGNUP_FREE_FAILURES = 0
    first = Client(REMOTE_ADDR="203.0.113.9").post(invite(studio), account("kim"))
    assert first.status_code == 302
    url = invite(studio)
    refused = Client(REMOTE_ADDR="203.0.113.9").post(url, account("lee"))
    assert refused.status_code == 429
    assert not get_user_model().objects.filter(username="lee").exists()
    assert invitations.find(url.rstrip("/").rsplit("/", 1)[1]).accepted_at is None


def test_taken_names_count_too(studio, settings):
    """Testing which usernames exist costs attempts like making accounts does."""
    settings.ANCHORBOARD_SIGNUP_FREE_FAILURES = 1
    signup.set_open(studio.ada, True)
    client = Client(REMOTE_ADDR="203.0.113.20")
    assert client.post(reverse("signup"), account("eve", "x@example.test")).status_code == 400
    assert client.post(reverse("signup"), account("olga", "y@example.test")).status_code == 400
    assert client.post(reverse("signup"), account("kim", "k@example.test")).status_code == 429
