"""Admin pages for blobs and assets: facts are read-only, they describe stored bytes."""

from __future__ import annotations

from django.contrib import admin

from assets.models import Asset, Blob

BLOB_FACTS = (
    "sha256",
    "storage_key",
    "format",
    "mime_type",
    "size_bytes",
    "width",
    "height",
    "stored_width",
    "stored_height",
    "exif_orientation",
    "mode",
    "bit_depth",
    "has_alpha",
    "frame_count",
    "icc_description",
    "derivative_state",
    "derivative_levels",
    "derivative_error",
    "created_at",
)


class AssetInline(admin.TabularInline):
    model = Asset
    fields = ("filename", "board", "source", "created_by", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Blob)
class BlobAdmin(admin.ModelAdmin):
    list_display = ("short_sha", "format", "width", "height", "size_bytes", "derivative_state")
    list_filter = ("format", "derivative_state", "has_alpha")
    search_fields = ("sha256",)
    fields = BLOB_FACTS
    readonly_fields = BLOB_FACTS
    inlines = [AssetInline]

    @admin.display(description="SHA-256")
    def short_sha(self, obj: Blob) -> str:
        return obj.sha256[:12]

    def has_add_permission(self, request) -> bool:
        return False  # blobs come from uploads only, never typed in


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ("filename", "board", "source", "created_by", "created_at")
    list_filter = ("source",)
    search_fields = ("filename", "blob__sha256", "board__name")
    list_select_related = ("board", "created_by")
    readonly_fields = ("id", "board", "blob", "source", "created_by", "created_at")
    fields = ("id", "filename", "board", "blob", "source", "created_by", "created_at")

    def has_add_permission(self, request) -> bool:
        return False
