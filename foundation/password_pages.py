"""The account-password pages, throttled: sign-in and password change, site and admin.

Django's own forms check the password; the subclasses here wrap that check in
``foundation.password_throttle.accounts`` so a guess typed on ``/login/``,
``/admin/login/``, ``/password/`` or ``/admin/password_change/`` counts the same as one
sent to ``POST /api/v1/auth/token``. A throttled attempt is not checked at all: the page
says how long to wait, answers 429 and carries ``Retry-After``.

The admin uses ``AnchorboardAdminSite`` (installed by ``anchorboard.apps.AdminConfig``).
This module must not decide who may sign in (Django's auth backends do) nor count anything
itself (the throttle does).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.forms import AdminPasswordChangeForm as DjangoAdminPasswordChangeForm
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.views import LoginView, PasswordChangeView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse

from foundation.client_address import UNKNOWN, client_address
from foundation.password_throttle import Throttled, account_message, accounts

THROTTLED_ATTR = "password_throttled"
T = TypeVar("T")


def throttled_response(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Turn a page whose form was refused by the throttle into a 429 with Retry-After."""
    exc = getattr(request, THROTTLED_ATTR, None)
    if isinstance(exc, Throttled):
        response.status_code = 429
        response["Retry-After"] = str(exc.retry_after)
    return response


def _refuse(request: HttpRequest | None, exc: Throttled) -> ValidationError:
    if request is not None:
        setattr(request, THROTTLED_ATTR, exc)
    return ValidationError(account_message(exc), code="throttled")


def _address(request: HttpRequest | None) -> str:
    return client_address(request) if request is not None else UNKNOWN


def counted_check(
    request: HttpRequest | None,
    username: str,
    check: Callable[[], T],
    right_despite_error: Callable[[], bool] = lambda: False,
) -> T:
    """Run a form's password ``check`` as one throttled attempt for ``username``.

    The check raises ValidationError for a wrong password; ``right_despite_error`` says
    when such an error came after a right password (inactive account, not staff), which
    is not a guess. A throttled attempt becomes a form error and marks the request.
    """
    try:
        with accounts.attempt_from(_address(request), username) as attempt:
            try:
                result = check()
            except ValidationError:
                attempt.succeeded() if right_despite_error() else attempt.failed()
                raise
            attempt.succeeded()
            return result
    except Throttled as exc:
        raise _refuse(request, exc) from None


class ThrottledLoginMixin:
    """For AuthenticationForm subclasses: count the password check of ``clean``."""

    request: HttpRequest | None
    cleaned_data: dict[str, Any]
    user_cache: Any

    def clean(self) -> dict[str, Any]:
        parent = super().clean  # type: ignore[misc]
        username = self.cleaned_data.get("username")
        if username is None or not self.cleaned_data.get("password"):
            return parent()
        return counted_check(self.request, username, parent, lambda: self.user_cache is not None)


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass


class ThrottledPasswordChangeMixin:
    """For PasswordChangeForm subclasses: count the check of the old password."""

    user: Any
    request: HttpRequest | None = None

    def __init__(self, user: Any, *args: Any, request: HttpRequest | None = None, **kw: Any):
        super().__init__(user, *args, **kw)  # type: ignore[call-arg]
        self.request = request

    def clean_old_password(self) -> str:
        parent = super().clean_old_password  # type: ignore[misc]
        return str(counted_check(self.request, self.user.get_username(), parent))


class PasswordChangePageForm(ThrottledPasswordChangeMixin, PasswordChangeForm):
    pass


class AdminPasswordChangePageForm(ThrottledPasswordChangeMixin, DjangoAdminPasswordChangeForm):
    pass


class LoginPage(LoginView):
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form: Any) -> HttpResponse:
        return throttled_response(self.request, super().form_invalid(form))


class PasswordChangePage(PasswordChangeView):
    form_class = PasswordChangePageForm

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["request"] = self.request
        return kwargs

    def form_invalid(self, form: Any) -> HttpResponse:
        return throttled_response(self.request, super().form_invalid(form))


class AnchorboardAdminSite(admin.AdminSite):
    """Django's admin with the throttled sign-in and password-change forms."""

    site_header = "Anchorboard administration"
    site_title = "Anchorboard admin"
    index_title = "Data and accounts"
    login_form = AdminLoginForm

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        return throttled_response(request, super().login(request, extra_context))

    def password_change(  # type: ignore[override]
        self, request: HttpRequest, extra_context: Any = None
    ) -> HttpResponseBase:
        # Django's AdminSite.password_change with our form; it names its form class inline.
        defaults: dict[str, Any] = {
            "form_class": AdminPasswordChangePageForm,
            "success_url": reverse("admin:password_change_done", current_app=self.name),
            "extra_context": {**self.each_context(request), **(extra_context or {})},
        }
        if self.password_change_template is not None:
            defaults["template_name"] = self.password_change_template
        request.current_app = self.name
        return PasswordChangePage.as_view(**defaults)(request)
