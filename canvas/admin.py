"""Django admin for the canvas app: teams, boards, members, items and API tokens.

For operators fixing data by hand, not for everyday use: no domain rules live here. Token
hashes are never shown (a token is shown once, when issued). Canvas models without a
dedicated admin below (the operation log, jobs, …) get a plain read-mostly one so every
model of the app is reachable.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin

from canvas.members import admin as members_admin  # noqa: F401  (invitations, sign-up)
from canvas.models import ApiToken, Board, BoardMember, Item, Team, TeamMembership


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 0
    raw_id_fields = ["user"]
    readonly_fields = ["joined_at"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "default_board_role", "created_at"]
    search_fields = ["name"]
    inlines = [TeamMembershipInline]


class BoardMemberInline(admin.TabularInline):
    model = BoardMember
    extra = 0
    raw_id_fields = ["user"]
    readonly_fields = ["added_at"]


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "created_by", "last_activity_at", "archived_at", "revision"]
    list_filter = ["team", ("archived_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "id"]
    raw_id_fields = ["created_by", "cover"]
    # The revision belongs to the realtime protocol; editing it here would desync clients.
    readonly_fields = ["id", "created_at", "revision"]
    inlines = [BoardMemberInline]


@admin.register(BoardMember)
class BoardMemberAdmin(admin.ModelAdmin):
    list_display = ["board", "user", "role", "added_at"]
    list_filter = ["role"]
    search_fields = ["board__name", "user__username"]
    raw_id_fields = ["board", "user"]


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["id", "board", "kind", "name", "anchor_role", "z", "hidden", "deleted"]
    list_filter = ["kind", "anchor_role", "deleted"]
    search_fields = ["name", "id", "board__name"]
    raw_id_fields = ["board", "asset", "created_by"]
    readonly_fields = ["created_at", "updated_at", "revision"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "created_at", "last_used_at"]
    search_fields = ["name", "user__username"]
    # key_hash is left out entirely: it is never shown, not even read-only.
    fields = ["user", "name", "created_at", "last_used_at"]
    readonly_fields = ["user", "created_at", "last_used_at"]

    def has_add_permission(self, request) -> bool:
        # A token made here could never be shown to anyone; tokens are issued by the API.
        return False


def _register_remaining_models() -> None:
    for model in apps.get_app_config("canvas").get_models():
        if not admin.site.is_registered(model):
            admin.site.register(model)


_register_remaining_models()
