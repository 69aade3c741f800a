"""Brand kit endpoints of the JSON API (docs/api.md "Brand kits", docs/governance.md).

- ``GET/POST /teams/{id}/brand-kits``: a team's kits (members) / a new kit (kit managers
  and admins).
- ``GET/PATCH/DELETE /brand-kits/{id}``: one kit with a version (``?version=n``, default the
  latest) / a new version with the fields sent changed / delete (versions are kept).
- ``POST /brand-kits/{id}/references``: multipart ``file`` and ``role``: an approved image
  (the asset upload checks and limits), added in a new version.
- ``GET /brand-kits/{id}/references/{ref}/file``: the image (team members).
- ``GET/PUT /boards/{id}/brand-kit``: the kit a board uses / ``{"kit": id|null,
  "version": n|null}`` (board owners, team admins and kit managers: editors may not).

Roles come from canvas.permissions (``TeamPerm.KITS``, ``get_kit_for``,
``may_choose_board_kit``); the work is canvas.governance.kits.services'.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from assets import storage
from canvas.governance.kits import services
from canvas.governance.kits.content import (
    Colour,
    Lock,
    Reference,
    Role,
    Settings,
    StylePreset,
    VideoDrift,
)
from canvas.governance.kits.models import BrandKitReference
from canvas.governance.kits.payloads import board_kit_payload, kit_payload
from canvas.library.api import NoFiles, file_response, open_file_or_404
from canvas.members.api_auth import api_user
from canvas.permissions import (
    Perm,
    TeamPerm,
    get_board_for,
    get_kit_for,
    get_team_for,
    may_choose_board_kit,
)
from foundation.api_errors import ErrorOut
from foundation.api_pagination import Page, PageParams, paginate
from foundation.errors import Forbidden, NotFound

router = Router(tags=["brand kits"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class KitFields(Schema):
    """A kit's content; in PATCH every field is optional and replaces the stored one whole."""

    palette: list[Colour] | None = None
    references: list[Reference] | None = Field(
        None, description="Uploaded references by id with their role; leave one out to drop it."
    )
    prompt_template: str | None = Field(None, description="e.g. “{product} on a {season} set”")
    negative_prompt: str | None = None
    style_presets: list[StylePreset] | None = None
    engine: str | None = None
    settings: Settings | None = None
    required_roles: list[Role] | None = None
    locks: list[Lock] | None = Field(
        None, description="engine, prompt, negative_prompt, strength, scale, params"
    )
    video_drift: VideoDrift | None = Field(
        None,
        description="Clips' temporal-drift tolerance on the kit's boards: palette and anchor "
        "(ΔE00), flicker (L*), structure (1 − SSIM), warp (L*); left-out measures default.",
    )


class KitCreate(KitFields):
    name: str = Field(..., min_length=1, max_length=services.MAX_NAME)


class KitPatch(KitFields):
    name: str | None = Field(None, min_length=1, max_length=services.MAX_NAME)


class VersionOut(Schema):
    number: int
    name: str
    created_by: int | None
    created_at: str | None
    content: dict[str, Any]


class KitOut(Schema):
    id: str
    team: str
    name: str
    latest_version: int
    created_at: str | None
    version: VersionOut


class ReferenceOut(Schema):
    id: str
    role: str
    filename: str
    width: int
    height: int


class ReferenceAdded(Schema):
    reference: ReferenceOut
    kit: KitOut


class VersionParams(Schema):
    version: int | None = Field(None, ge=1, description="A version number; default the latest.")


class BoardKitIn(Schema):
    kit: str | None = Field(..., description="A kit of the board's team, or null for none.")
    version: int | None = Field(
        None, ge=1, description="Pin this version; null follows the kit's latest."
    )


class BoardKitOut(Schema):
    brand_kit: dict[str, Any] | None = Field(
        ...,
        description="{id, name, version, pinned, locks, engine, strength, variables, url} or null.",
    )


def _content(payload: KitFields) -> dict[str, Any]:
    return payload.model_dump(mode="json", exclude_unset=True, exclude={"name"})


@router.get(
    "/teams/{team_id}/brand-kits",
    response={200: Page[KitOut], **ERRORS},
    summary="A team's brand kits, by name, each with its latest version",
)
def list_kits(request: HttpRequest, team_id: str, paging: Query[PageParams]) -> dict[str, Any]:
    team, _ = get_team_for(api_user(request), team_id, TeamPerm.VIEW)
    return paginate(
        request,
        services.team_kits(team).order_by("name", "pk"),
        paging,
        lambda kits: [kit_payload(k, services.latest_version(k)) for k in kits],
    )


@router.post(
    "/teams/{team_id}/brand-kits",
    response={201: KitOut, **ERRORS},
    summary="Create a brand kit (version 1)",
)
def create_kit(request: HttpRequest, team_id: str, payload: KitCreate) -> Status[dict[str, Any]]:
    user = api_user(request)
    team, _ = get_team_for(user, team_id, TeamPerm.KITS)
    kit = services.create_kit(team, user, payload.name, _content(payload))
    return Status(201, kit_payload(kit, services.latest_version(kit)))


@router.get(
    "/brand-kits/{kit_id}",
    response={200: KitOut, **ERRORS},
    summary="One brand kit with its latest (or a given) version",
)
def get_kit(request: HttpRequest, kit_id: str, params: Query[VersionParams]) -> dict[str, Any]:
    kit, _ = get_kit_for(api_user(request), kit_id, TeamPerm.VIEW)
    number = params.version if params.version is not None else kit.latest_number
    return kit_payload(kit, services.get_version(kit, number))


@router.patch(
    "/brand-kits/{kit_id}",
    response={200: KitOut, **ERRORS},
    summary="Edit a brand kit: a new version (the fields sent replace the latest's)",
)
def edit_kit(request: HttpRequest, kit_id: str, payload: KitPatch) -> dict[str, Any]:
    user = api_user(request)
    kit, _ = get_kit_for(user, kit_id, TeamPerm.KITS)
    version = services.edit_kit(kit, user, name=payload.name, changes=_content(payload))
    return kit_payload(kit, version)


@router.delete(
    "/brand-kits/{kit_id}",
    response={204: None, **ERRORS},
    summary="Delete a brand kit (boards lose it; past results keep their version)",
)
def delete_kit(request: HttpRequest, kit_id: str) -> Status[None]:
    kit, _ = get_kit_for(api_user(request), kit_id, TeamPerm.KITS)
    services.delete_kit(kit)
    return Status(204, None)


@router.post(
    "/brand-kits/{kit_id}/references",
    response={201: ReferenceAdded, 413: ErrorOut, 415: ErrorOut, **ERRORS},
    summary="Upload an approved reference image with its role (a new version)",
)
def add_reference(
    request: HttpRequest,
    kit_id: str,
    role: Form[Role],
    file: File[UploadedFile] = None,  # type: ignore[assignment]
) -> Status[dict[str, Any]]:
    user = api_user(request)
    kit, _ = get_kit_for(user, kit_id, TeamPerm.KITS)
    if file is None:
        raise NoFiles()
    reference, version = services.add_reference(kit, user, file, file.name, role)
    blob = reference.blob
    return Status(
        201,
        {
            "reference": {
                "id": str(reference.pk),
                "role": role,
                "filename": reference.filename,
                "width": blob.width,
                "height": blob.height,
            },
            "kit": kit_payload(kit, version),
        },
    )


@router.get(
    "/brand-kits/{kit_id}/references/{reference_id}/file",
    response={200: None, **ERRORS},
    summary="A reference image's bytes (a 256 px WebP preview with ?level=256)",
    openapi_extra={
        "responses": {
            200: {
                "description": "The image bytes",
                "content": {"image/*": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def reference_file(
    request: HttpRequest, kit_id: str, reference_id: str, level: int | None = None
) -> FileResponse:
    kit, _ = get_kit_for(api_user(request), kit_id, TeamPerm.VIEW)
    reference = (
        BrandKitReference.objects.select_related("blob")
        .filter(kit=kit, pk=_uuid_or_none(reference_id))
        .first()
    )
    if reference is None:
        raise NotFound("This kit has no such reference image.", code="reference_not_found")
    blob = reference.blob
    if level is not None and level in (blob.derivative_levels or []):
        key = storage.derivative_key(blob.sha256, level)
        handle = open_file_or_404(lambda: storage.open_file(key), key)
        return file_response(handle, "image/webp", f"reference-{level}.webp")
    handle = open_file_or_404(lambda: storage.open_file(blob.storage_key), blob.storage_key)
    return file_response(handle, blob.mime_type, reference.filename)


def _uuid_or_none(value: str) -> Any:
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _board_kit(board: Any) -> dict[str, Any]:
    version = services.board_kit(board)
    return {"brand_kit": board_kit_payload(version, board.brand_kit_version_id is not None)}


@router.get(
    "/boards/{board_id}/brand-kit",
    response={200: BoardKitOut, **ERRORS},
    summary="The brand kit a board uses (null: none)",
)
def board_kit(request: HttpRequest, board_id: str) -> dict[str, Any]:
    board, _ = get_board_for(api_user(request), board_id, Perm.VIEW)
    return _board_kit(board)


@router.put(
    "/boards/{board_id}/brand-kit",
    response={200: BoardKitOut, **ERRORS},
    summary="Give a board one of its team's brand kits, pin a version, or remove it",
)
def set_board_kit(request: HttpRequest, board_id: str, payload: BoardKitIn) -> dict[str, Any]:
    user = api_user(request)
    board, _ = get_board_for(user, board_id, Perm.VIEW)
    if not may_choose_board_kit(user, board):
        raise Forbidden(
            "Only the board's owners, team admins and kit managers choose a board's brand kit: "
            "its locks bind everyone who runs jobs here."
        )
    kit = None
    if payload.kit is not None:
        kit = services.get_kit(payload.kit)
        if kit.team_id != board.team_id:
            raise services.KitNotFound("This brand kit is not one of this board's team's kits.")
    services.set_board_kit(board, kit, payload.version)
    return _board_kit(board)
