"""`{% signup_open as name %}`: whether open sign-up is on (the login page links to it)."""

from __future__ import annotations

from django import template

from canvas.members import signup

register = template.Library()


@register.simple_tag
def signup_open() -> bool:
    return signup.is_open()
