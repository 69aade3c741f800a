"""Pages for people joining: an invitation link (``/invite/<token>/``) and open sign-up.

The invitation page says who invited whom to what, then either creates an account (someone
signed out chooses a username and password) or adds the signed-in person, and lands them on
the board or team. Signing in with an existing account goes through the ordinary, throttled
``/login/`` page and comes back here, so this page never checks a password. A link that is
unknown, used, revoked or expired gets a page saying which, and what to do.

Creating an account (here and on ``/signup/``) is throttled per client address
(canvas.members.signup); a refused attempt is not validated at all, so a throttled client
learns nothing about which usernames exist. Responses carry ``X-Robots-Tag: noindex`` and
are never cached: the token is in the URL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from canvas.members import invitations, services, signup
from canvas.members.forms import NewAccountForm
from canvas.members.invitations import InvitationUnavailable
from canvas.members.models import Invitation
from foundation.password_throttle import Throttled, sign_up_message

logger = logging.getLogger(__name__)

HEADERS = {"X-Robots-Tag": "noindex, nofollow"}


class InvitedAccountForm(NewAccountForm):
    """The invitation's sign-up form: the e-mail is optional (the link is the proof)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].required = False

    def clean_email(self) -> str:
        if not (self.cleaned_data.get("email") or "").strip():
            return ""
        return super().clean_email()


def _with_headers(response: HttpResponse) -> HttpResponse:
    for name, value in HEADERS.items():
        response[name] = value
    return response


def _log_in(request: HttpRequest, user: Any) -> None:
    backend = settings.AUTHENTICATION_BACKENDS[0]
    login(request, user, backend=backend)


def _new_account(
    request: HttpRequest, form: NewAccountForm, then: Callable[[Any], Any]
) -> tuple[Any, str, NewAccountForm]:
    """Validate ``form`` and create the account as one throttled sign-up attempt.

    Returns (user or None, throttle message or "", the form to show again). ``then(user)``
    runs in the account's transaction (a personal team, or the invitation being used). A
    throttled attempt gets a fresh, unvalidated form: its errors would say which names exist.
    """
    try:
        with signup.throttled(request) as attempt:
            if not form.is_valid():
                if form.name_taken():
                    attempt.count()
                return None, "", form
            data = form.cleaned_data
            try:
                user, _ = signup.create_account(
                    data["username"], data.get("email") or "", data["password1"], then
                )
            except signup.UsernameTaken:
                attempt.count()
                form.add_error("username", "Someone just took this username; pick another.")
                return None, "", form
            attempt.count()
            return user, "", form
    except Throttled as exc:
        request.sign_up_throttled = exc  # type: ignore[attr-defined]
        typed = {name: form.data.get(name, "") for name in ("username", "email")}
        return None, sign_up_message(exc), type(form)(initial=typed)


def _throttled_status(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    exc = getattr(request, "sign_up_throttled", None)
    if isinstance(exc, Throttled):
        response.status_code = 429
        response["Retry-After"] = str(exc.retry_after)
    return response


# --- Invitations ------------------------------------------------------------------------------


def _unavailable(request: HttpRequest, exc: InvitationUnavailable) -> HttpResponse:
    logger.info("invitation page: %s", exc.code)
    return _with_headers(
        render(
            request,
            "members/invitation_unavailable.html",
            {"message": exc.message, "code": exc.code},
            status=exc.status,
        )
    )


def _landing(invitation: Invitation) -> str:
    if invitation.board_id is not None:
        return reverse("board", args=[invitation.board_id])
    return reverse("team-page", args=[invitation.team_id])


def _joined_message(accepted: invitations.Accepted) -> str:
    target = accepted.invitation.target_name
    if not accepted.changed:
        return f"You already had access to “{target}” ({accepted.role_label.lower()})."
    return f"Welcome to “{target}”. You joined as {accepted.role_label.lower()}."


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_page(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitations.find(token)
    reason = invitations.unavailable_reason(invitation)
    if reason is not None:
        return _unavailable(request, reason)
    assert invitation is not None
    here = reverse("invitation", args=[token])
    context: dict[str, Any] = {
        "invitation": invitation,
        "inviter": services.display_name(invitation.created_by) if invitation.created_by else "",
        "login_url": f"{reverse('login')}?next={here}",
        "here": here,
    }
    user = request.user
    if user.is_authenticated:
        context["other_address"] = bool(
            invitation.email and invitation.email.lower() != (user.email or "").lower()
        )
        if request.method == "POST":
            try:
                accepted = invitations.accept(invitation, user)
            except InvitationUnavailable as exc:
                return _unavailable(request, exc)
            messages.success(request, _joined_message(accepted))
            return redirect(_landing(invitation))
        return _with_headers(render(request, "members/invitation.html", context))

    if request.method == "POST":
        form: NewAccountForm = InvitedAccountForm(request.POST)
        try:
            user, throttled, form = _new_account(
                request, form, lambda new: invitations.accept(invitation, new)
            )
        except InvitationUnavailable as exc:
            return _unavailable(request, exc)
        if user is not None:
            _log_in(request, user)
            messages.success(request, f"Welcome to “{invitation.target_name}”.")
            return redirect(_landing(invitation))
        context.update(form=form, throttled=throttled)
        response = render(request, "members/invitation.html", context, status=400)
        return _with_headers(_throttled_status(request, response))
    context["form"] = InvitedAccountForm(initial={"email": invitation.email})
    return _with_headers(render(request, "members/invitation.html", context))


# --- Open sign-up -----------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def signup_page(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("board-list")
    if not signup.is_open():
        return render(request, "members/signup_closed.html", status=403)
    if request.method == "POST":
        form = NewAccountForm(request.POST)
        user, throttled, form = _new_account(request, form, services.personal_team)
        if user is not None:
            _log_in(request, user)
            messages.success(
                request,
                f"Welcome, {user.get_username()}. Your boards go in your own team; "
                "teammates can add you by your username or e-mail.",
            )
            return redirect("board-list")
        response = render(
            request, "members/signup.html", {"form": form, "throttled": throttled}, status=400
        )
        return _throttled_status(request, response)
    return render(request, "members/signup.html", {"form": NewAccountForm()})
