"""Django admin for invitations and the sign-up switch (imported by canvas.admin).

Invitation token hashes are never shown, and invitations cannot be made here: a link made
in the admin could never be shown to anyone (the token exists only when it is created).
Operators may revoke one by setting "revoked at".
"""

from __future__ import annotations

from django.contrib import admin

from canvas.members.models import Invitation, SignupPolicy


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["__str__", "board", "team", "role", "email", "created_by", "expires_at"]
    list_filter = ["role"]
    search_fields = ["email", "board__name", "team__name", "created_by__username"]
    fields = [
        "board",
        "team",
        "role",
        "email",
        "created_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "revoked_at",
    ]
    readonly_fields = [
        "board",
        "team",
        "role",
        "created_by",
        "created_at",
        "accepted_at",
        "accepted_by",
    ]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(SignupPolicy)
class SignupPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "changed_by", "changed_at"]
    readonly_fields = ["changed_by", "changed_at"]

    def has_add_permission(self, request) -> bool:
        # One row (pk 1), made by the first change on the Teams page or here.
        return not SignupPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
