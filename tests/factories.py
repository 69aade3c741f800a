"""Factories for the objects most tests need. Plain functions: no factory library needed."""

from __future__ import annotations

import io
import itertools

from django.contrib.auth import get_user_model
from PIL import Image

from canvas.models import Board, BoardMember, Role, Team, TeamMembership, TeamRole

_seq = itertools.count(1)
PASSWORD = "correct horse battery staple"


def make_user(username: str | None = None, password: str = PASSWORD):
    name = username or f"user{next(_seq)}"
    return get_user_model().objects.create_user(name, f"{name}@example.test", password)


def make_team(
    name: str = "Studio", *, admin=None, members=(), default_board_role: str = ""
) -> Team:
    team = Team.objects.create(name=name, default_board_role=default_board_role)
    if admin is not None:
        TeamMembership.objects.create(team=team, user=admin, role=TeamRole.ADMIN)
    for user in members:
        TeamMembership.objects.create(team=team, user=user, role=TeamRole.MEMBER)
    return team


def make_board(team: Team | None = None, name: str = "Board", *, owner=None, **roles) -> Board:
    """A board with explicit members: make_board(owner=u1, editor=u2, viewer=u3)."""
    team = team or make_team()
    board = Board.objects.create(team=team, name=name, created_by=owner)
    if owner is not None:
        BoardMember.objects.create(board=board, user=owner, role=Role.OWNER)
    for role, user in roles.items():
        BoardMember.objects.create(board=board, user=user, role=Role(role))
    return board


def png_bytes(size=(64, 48), color=(200, 40, 40), mode="RGB", **save_kwargs) -> bytes:
    image = Image.new(mode, size, color)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **save_kwargs)
    return buffer.getvalue()


def image_bytes(fmt: str, size=(64, 48), color=(30, 120, 200), mode="RGB", **save_kwargs) -> bytes:
    image = Image.new(mode, size, color)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save_kwargs)
    return buffer.getvalue()
