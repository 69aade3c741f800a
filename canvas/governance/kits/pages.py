"""Brand kit pages: a team's kits (``/teams/<id>/brand-kits/``) and the kit editor
(``/brand-kits/<id>/``), plain HTML forms that work without JavaScript.

Every team member sees the kits; kit managers and team admins change them (the form is
read-only for others, and the POST routes check again). Saving the editor is one call to
``services.edit_kit``: a new version when anything changed. Uploads go through
``services.add_reference`` (the assets pipeline and its limits); giving a board the kit,
pinning it to a version or following the latest again through ``services.set_board_kit``
(board owners, team admins, kit managers). Deleting a kit asks first on a page of its own
that names the boards it is taken from (``services.delete_kit`` detaches them: their next
jobs run without its locks; past results keep their version).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from canvas.engines import available_engines
from canvas.governance.kits import services
from canvas.governance.kits.content import LOCK_LABELS, ROLES, VideoDrift
from canvas.governance.kits.models import BrandKit
from canvas.models import Board
from canvas.permissions import (
    TeamPerm,
    get_kit_for,
    get_team_for,
    may_choose_board_kit,
    team_role_allows,
    visible_boards,
)
from canvas.views.errors import app_error_response
from foundation.errors import AppError, Forbidden

API_BASE = "/api/v1"
SPARE_ROWS = 3  # empty palette / style rows offered below the filled ones
ROLE_LABELS = {
    "composition": "Composition",
    "palette": "Palette",
    "lighting": "Lighting",
    "style": "Style",
}


@login_required
def kit_list(request: HttpRequest, team_id: Any) -> HttpResponse:
    try:
        team, role = get_team_for(request.user, team_id, TeamPerm.VIEW)
        if request.method == "POST":
            get_team_for(request.user, team_id, TeamPerm.KITS)
            kit = services.create_kit(team, request.user, request.POST.get("name", ""))
            messages.success(request, f"Created the brand kit “{kit.name}” (version 1).")
            return redirect("brand-kit", kit.pk)
    except AppError as exc:
        if request.method == "POST" and exc.status == 400:
            messages.error(request, exc.message)
            return redirect("brand-kits", team_id)
        return app_error_response(request, exc)
    kits = []
    for kit in services.team_kits(team):
        version = services.latest_version(kit)
        locks = ", ".join(LOCK_LABELS[lock] for lock in version.content.get("locks", []))
        kits.append((kit, version, locks))
    return render(
        request,
        "governance/kit_list.html",
        {"team": team, "kits": kits, "can_change": team_role_allows(role, TeamPerm.KITS)},
    )


def _rows(request: HttpRequest, prefix: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
    rows = []
    index = 0
    while f"{prefix}-{index}-{fields[0]}" in request.POST:
        row = {f: request.POST.get(f"{prefix}-{index}-{f}", "").strip() for f in fields}
        if any(row.values()):
            rows.append(row)
        index += 1
    return rows


def _number(text: str, kind: type) -> Any:
    text = text.strip()
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        raise services.InvalidKit(f"“{text}” is not a number.") from None


# The video drift tolerance's inputs: (measure, label, unit, step).
DRIFT_FIELDS = (
    ("palette", "Palette", "ΔE00 against the first frame", "0.5"),
    ("anchor", "Palette anchor", "ΔE00 against the board's palette anchor", "0.5"),
    ("flicker", "Flicker", "L*", "0.1"),
    ("structure", "Structure", "1 − SSIM", "0.01"),
    ("warp", "Warp", "L* after optical flow", "0.5"),
)
DRIFT_MEASURES = tuple(name for name, *_ in DRIFT_FIELDS)


def _drift_fields(content: dict[str, Any]) -> list[dict[str, Any]]:
    """The editor's drift inputs with the version's values (a version saved before the
    tolerance existed shows the defaults it is judged by)."""
    values = VideoDrift.model_validate(content.get("video_drift") or {}).model_dump()
    return [
        {"name": name, "label": label, "unit": unit, "step": step, "value": values[name]}
        for name, label, unit, step in DRIFT_FIELDS
    ]


def changes_from_form(request: HttpRequest, current: dict[str, Any]) -> dict[str, Any]:
    """The editor form as KitContent fields (validated by services.edit_kit)."""
    post = request.POST
    palette = []
    for row in _rows(request, "palette", ("name", "hex", "tolerance")):
        colour: dict[str, Any] = {"name": row["name"], "hex": row["hex"]}
        if row["tolerance"]:
            colour["tolerance"] = _number(row["tolerance"], float)
        palette.append(colour)
    references = [
        {
            "id": ref["id"],
            "role": post.get(f"ref-{ref['id']}-role", ref["role"]),
            "filename": ref.get("filename", ""),
        }
        for ref in current.get("references", [])
        if post.get(f"ref-{ref['id']}-keep")
    ]
    return {
        "palette": palette,
        "references": references,
        "prompt_template": post.get("prompt_template", ""),
        "negative_prompt": post.get("negative_prompt", ""),
        "style_presets": _rows(request, "style", ("name", "prompt")),
        "engine": post.get("engine", ""),
        "settings": {
            **current.get("settings", {}),
            "strength": _number(post.get("strength", ""), float),
            "scale": _number(post.get("scale", ""), int),
        },
        "required_roles": post.getlist("required_roles"),
        "locks": post.getlist("locks"),
        # Left blank, a measure takes the global default.
        "video_drift": {
            name: value
            for name in DRIFT_MEASURES
            if (value := _number(post.get(f"drift_{name}", ""), float)) is not None
        },
    }


def _boards(request: HttpRequest, kit: BrandKit) -> tuple[list[dict[str, Any]], list[Board]]:
    """(boards using the kit — each ``{board, pinned: version number or None, can_choose}`` —,
    team boards the caller may give it), both ones they can see."""
    boards = list(
        visible_boards(request.user)
        .filter(team=kit.team, archived_at__isnull=True)
        .select_related("brand_kit_version")
        .order_by("name", "pk")
    )
    using = [
        {
            "board": b,
            "pinned": b.brand_kit_version.number if b.brand_kit_version else None,
            "can_choose": may_choose_board_kit(request.user, b),
        }
        for b in boards
        if b.brand_kit_id == kit.pk
    ]
    offer = [
        b for b in boards if b.brand_kit_id != kit.pk and may_choose_board_kit(request.user, b)
    ]
    return using, offer


@login_required
def kit_editor(request: HttpRequest, kit_id: Any) -> HttpResponse:
    try:
        kit, role = get_kit_for(request.user, kit_id, TeamPerm.VIEW)
        can_change = team_role_allows(role, TeamPerm.KITS)
        number = request.GET.get("version")
        version = (
            services.get_version(kit, int(number))
            if number and number.isdigit()
            else services.latest_version(kit)
        )
    except AppError as exc:
        return app_error_response(request, exc)
    if request.method == "POST":
        if not can_change:
            return app_error_response(
                request, Forbidden("Only kit managers and team admins edit kits.")
            )
        current = services.latest_version(kit)
        try:
            saved = services.edit_kit(
                kit,
                request.user,
                name=request.POST.get("name"),
                changes=changes_from_form(request, current.content),
            )
        except AppError as exc:
            messages.error(request, exc.message)
            return redirect("brand-kit", kit.pk)
        if saved.number == current.number:
            messages.info(request, f"Nothing changed: still version {saved.number}.")
        else:
            messages.success(
                request,
                f"Saved as version {saved.number}. "
                "Boards that follow the kit use it from their next job.",
            )
        return redirect("brand-kit", kit.pk)
    content = version.content
    using, offer = _boards(request, kit)
    spare = [""] * SPARE_ROWS
    return render(
        request,
        "governance/kit_editor.html",
        {
            "kit": kit,
            "version": version,
            "is_latest": version.number == kit.latest_number,
            "versions": kit.versions.select_related("created_by").order_by("-number")[:20],
            "content": content,
            "palette_rows": [*content.get("palette", []), *({} for _ in spare)],
            "style_rows": [*content.get("style_presets", []), *({} for _ in spare)],
            "roles": [(r, ROLE_LABELS[r]) for r in ROLES],
            "locks": list(LOCK_LABELS.items()),
            "drift_fields": _drift_fields(content),
            "engines": [(name, caps.label) for name, caps in available_engines().items()],
            "can_change": can_change and version.number == kit.latest_number,
            "can_delete": can_change,
            "version_numbers": list(range(kit.latest_number, 0, -1)),
            "using": using,
            "offer": offer,
            "api_references": f"{API_BASE}/brand-kits/{kit.pk}/references",
        },
    )


@login_required
@require_POST
def kit_reference(request: HttpRequest, kit_id: Any) -> HttpResponse:
    try:
        kit, _ = get_kit_for(request.user, kit_id, TeamPerm.KITS)
        upload = request.FILES.get("file")
        if upload is None:
            raise services.InvalidKit("Choose an image to upload.")
        _, version = services.add_reference(
            kit, request.user, upload, upload.name, request.POST.get("role", "")
        )
        messages.success(request, f"Added {upload.name}: version {version.number}.")
    except AppError as exc:
        if exc.status in (401, 403, 404):
            return app_error_response(request, exc)
        messages.error(request, exc.message)
    return redirect("brand-kit", kit_id)


def _pin(request: HttpRequest) -> int | None:
    """The version chosen in a board's pin form: a number, or None for "follow the latest"."""
    text = request.POST.get("version", "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise services.InvalidKit("Choose a version of the kit, or “Latest”.")
    return int(text)


@login_required
@require_POST
def kit_board(request: HttpRequest, kit_id: Any) -> HttpResponse:
    """Give a board this kit (``use``), pin it to a version or follow the latest again
    (``pin`` with ``version``, empty for the latest), or take it away (``remove``)."""
    try:
        kit, _ = get_kit_for(request.user, kit_id, TeamPerm.VIEW)
        board_id = uuid.UUID(request.POST.get("board", ""))
        board = visible_boards(request.user).filter(pk=board_id, team=kit.team).first()
        if board is None or not may_choose_board_kit(request.user, board):
            raise Forbidden(
                "Only the board's owners, team admins and kit managers choose a board's brand kit."
            )
        action = request.POST.get("action")
        if action == "pin":
            pin = _pin(request)
            services.set_board_kit(board, kit, pin)
            said = (
                f"“{board.name}” is pinned to version {pin} of “{kit.name}”: its jobs use that "
                "version until you let it follow the latest again."
                if pin is not None
                else f"“{board.name}” follows the latest version of “{kit.name}” again."
            )
        elif action == "use":
            services.set_board_kit(board, kit)
            said = f"“{board.name}” now follows “{kit.name}”."
        else:
            services.set_board_kit(board, None)
            said = f"“{board.name}” has no brand kit now."
        messages.success(request, said)
    except (AppError, ValueError) as exc:
        if isinstance(exc, AppError) and exc.status in (401, 403, 404):
            return app_error_response(request, exc)
        messages.error(request, getattr(exc, "message", "That board cannot be changed."))
    return redirect("brand-kit", kit_id)


@login_required
def kit_delete(request: HttpRequest, kit_id: Any) -> HttpResponse:
    """GET: what deleting the kit does, and a button to confirm; POST: delete it."""
    try:
        kit, _ = get_kit_for(request.user, kit_id, TeamPerm.KITS)
    except AppError as exc:
        return app_error_response(request, exc)
    boards = list(Board.objects.filter(brand_kit=kit).order_by("name", "pk"))
    if request.method == "POST":
        services.delete_kit(kit)
        detached = (
            f" {len(boards)} board{'s' if len(boards) != 1 else ''} no longer "
            f"{'have' if len(boards) != 1 else 'has'} a brand kit."
            if boards
            else ""
        )
        messages.success(request, f"Deleted the brand kit “{kit.name}”.{detached}")
        return redirect("brand-kits", kit.team_id)
    return render(
        request,
        "governance/kit_confirm_delete.html",
        {"kit": kit, "boards": boards, "cancel_url": editor_url(kit.pk)},
    )


def editor_url(kit_id: Any) -> str:
    return reverse("brand-kit", args=[kit_id])
