"""canvas.members.invitations: tokens stored hashed, single use, expiry, revocation."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from canvas.members import invitations
from canvas.members.models import Invitation, InvitationStatus, hash_invitation_token
from canvas.models import Role, TeamMembership, TeamRole
from canvas.permissions import role_for
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_token_is_random_and_only_its_hash_is_stored(studio):
    a = invitations.create_board_invitation(studio.board, studio.olga, "editor")
    b = invitations.create_board_invitation(studio.board, studio.olga, "editor")
    assert a.token != b.token and a.token.startswith("inv_") and len(a.token) > 40
    row = Invitation.objects.get(pk=a.invitation.pk)
    assert row.token_hash == hash_invitation_token(a.token)
    assert a.token not in {
        str(v) for v in Invitation.objects.values_list(flat=False).get(pk=row.pk)
    }
    assert invitations.find(a.token) == row
    assert invitations.find(a.token + "x") is None


def test_default_expiry_is_seven_days_and_follows_the_setting(studio, settings):
    made = invitations.create_team_invitation(studio.team, studio.ada, "member")
    left = made.invitation.expires_at - timezone.now()
    assert timedelta(days=6, hours=23) < left <= timedelta(days=7)
    settings.ANCHORBOARD_INVITATION_DAYS = 2
    made = invitations.create_team_invitation(studio.team, studio.ada, "member")
    assert made.invitation.expires_at - timezone.now() <= timedelta(days=2)
    with pytest.raises(invitations.InvalidInvitation, match="1 to 30"):
        invitations.create_team_invitation(studio.team, studio.ada, "member", days=0)
    with pytest.raises(invitations.InvalidInvitation, match="not an e-mail"):
        invitations.create_team_invitation(studio.team, studio.ada, "member", email="nope")


def test_accepting_makes_a_member_once(studio):
    made = invitations.create_board_invitation(studio.board, studio.olga, "reviewer")
    accepted = invitations.accept(invitations.live(made.token), studio.sam)
    assert accepted.changed and accepted.role_label == "Reviewer"
    assert role_for(studio.sam, studio.board) == Role.REVIEWER
    row = Invitation.objects.get(pk=made.invitation.pk)
    assert row.status == InvitationStatus.ACCEPTED and row.accepted_by == studio.sam
    with pytest.raises(invitations.InvitationUnavailable) as exc:
        invitations.live(made.token)
    assert exc.value.code == "invitation_used" and exc.value.status == 410
    # A stale object (opened before it was used) cannot be used again either.
    other = factories.make_user("late")
    with pytest.raises(invitations.InvitationUnavailable):
        invitations.accept(made.invitation, other)
    assert role_for(other, studio.board) is None


def test_team_invitation_joins_the_team(studio):
    made = invitations.create_team_invitation(studio.team, studio.ada, "admin")
    invitations.accept(invitations.live(made.token), studio.sam)
    assert TeamMembership.objects.get(team=studio.team, user=studio.sam).role == TeamRole.ADMIN


def test_expired_and_revoked_links_say_so(studio):
    made = invitations.create_board_invitation(studio.board, studio.olga, "viewer")
    Invitation.objects.filter(pk=made.invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    with pytest.raises(invitations.InvitationUnavailable, match="expired") as exc:
        invitations.live(made.token)
    assert exc.value.code == "invitation_expired"
    with pytest.raises(invitations.InvitationUnavailable):
        invitations.accept(made.invitation, studio.sam)  # the update checks expiry too

    made = invitations.create_board_invitation(studio.board, studio.olga, "viewer")
    invitations.revoke(made.invitation)
    with pytest.raises(invitations.InvitationUnavailable, match="withdrew") as exc:
        invitations.live(made.token)
    assert exc.value.code == "invitation_revoked" and "olga" in exc.value.message
    with pytest.raises(invitations.InvitationUnavailable) as exc:
        invitations.live("inv_made-up")
    assert exc.value.code == "invitation_not_found" and exc.value.status == 404
    assert role_for(studio.sam, studio.board) is None


def test_revoking_a_used_link_changes_nothing(studio):
    made = invitations.create_board_invitation(studio.board, studio.olga, "viewer")
    invitations.accept(made.invitation, studio.sam)
    invitations.revoke(Invitation.objects.get(pk=made.invitation.pk))
    row = Invitation.objects.get(pk=made.invitation.pk)
    assert row.revoked_at is None and row.status == InvitationStatus.ACCEPTED


def test_pending_links_are_capped(studio, monkeypatch):
    monkeypatch.setattr(invitations, "MAX_PENDING", 2)
    invitations.create_board_invitation(studio.board, studio.olga, "viewer")
    invitations.create_board_invitation(studio.board, studio.olga, "viewer")
    with pytest.raises(invitations.InvalidInvitation, match="Revoke"):
        invitations.create_board_invitation(studio.board, studio.olga, "viewer")


@pytest.mark.django_db(transaction=True)
def test_two_people_racing_with_one_link_cannot_both_get_in(studio):
    made = invitations.create_board_invitation(studio.board, studio.olga, "editor")
    racers = [factories.make_user(f"racer{i}") for i in range(4)]
    start = threading.Barrier(len(racers))
    outcomes: list[str] = []

    def run(user) -> None:
        try:
            start.wait()
            invitations.accept(Invitation.objects.get(pk=made.invitation.pk), user)
            outcomes.append("in")
        except invitations.InvitationUnavailable:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(u,)) for u in racers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["in", "refused", "refused", "refused"]
    assert sum(role_for(u, studio.board) is not None for u in racers) == 1
