"""Brand kits, the domain operations: create, edit (a new version), references, delete, and
which kit version a board uses.

Callers (API, pages) check the caller's rights first (canvas.permissions: ``TeamPerm.KITS``
to change a kit, ``may_choose_board_kit`` to attach one); these functions only check that
what is asked is valid. Versions are written, never updated: ``edit_kit`` stores version
n + 1 (numbered under a row lock on the kit), and a job records the version it used.
A change of what a board's kit gives drift scoring (colours, reference images) asks for a
re-score of the board's results (canvas.governance.rescore), like an anchor edit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import IO, Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from pydantic import ValidationError

from assets.services import ingest_blob
from canvas.engines.registry import UnknownEngine, get_engine
from canvas.governance import rescore_requests
from canvas.governance.kits import live
from canvas.governance.kits.content import ROLES, KitContent
from canvas.governance.kits.models import BrandKit, BrandKitReference, BrandKitVersion
from canvas.models import Board, Team
from foundation.errors import AppError, BrandKitNotFound

MAX_NAME = 120


KitNotFound = BrandKitNotFound


class InvalidKit(AppError):
    code = "invalid_brand_kit"
    default_message = "The brand kit is not valid."


def _readable(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    message = str(first.get("msg", "is not valid")).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def parse_content(data: Mapping[str, Any]) -> KitContent:
    try:
        return KitContent.model_validate(dict(data))
    except ValidationError as exc:
        raise InvalidKit(_readable(exc)) from None


def content_of(version: BrandKitVersion) -> KitContent:
    """A stored version's content (validated when it was written)."""
    return KitContent.model_validate(version.content)


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidKit(f"Give the brand kit a name of 1 to {MAX_NAME} characters.")
    return name


def _check(kit: BrandKit | None, content: KitContent) -> None:
    if content.engine:
        try:
            get_engine(content.engine)
        except UnknownEngine as exc:
            raise InvalidKit(exc.message) from None
    ids = {ref.id for ref in content.references}
    if ids:
        known = (
            set(
                str(pk)
                for pk in BrandKitReference.objects.filter(kit=kit).values_list("pk", flat=True)
            )
            if kit is not None
            else set()
        )
        if not ids <= known:
            raise InvalidKit(
                "A reference is not an image uploaded to this kit; upload it with "
                "POST /api/v1/brand-kits/{id}/references."
            )


def team_kits(team: Team) -> QuerySet[BrandKit]:
    return BrandKit.objects.filter(team=team, deleted_at__isnull=True)


def get_kit(kit_id: Any) -> BrandKit:
    """A live kit by id (callers then check the caller's team role)."""
    try:
        key = kit_id if isinstance(kit_id, uuid.UUID) else uuid.UUID(str(kit_id))
        return BrandKit.objects.select_related("team").get(pk=key, deleted_at__isnull=True)
    except (ValueError, BrandKit.DoesNotExist):
        raise KitNotFound() from None


def scoring_part(version: BrandKitVersion | None) -> Any:
    """What drift scoring reads of a kit version (its named colours and its reference images
    by role, canvas.governance.kits.references); None when it gives scoring nothing. Two
    versions with equal parts score the same: editing a prompt template re-scores nothing."""
    if version is None:
        return None
    content = content_of(version)
    colours = [c.model_dump(mode="json") for c in content.palette]
    references = [[r.id, r.role] for r in content.references]
    return [colours, references] if colours or references else None


def _request_rescores(before: Mapping[Any, Any], boards: Iterable[Any]) -> None:
    """Ask for a re-score of the boards (``before``: each one's ``scoring_part`` before the
    change) whose kit now scores differently (canvas.governance.rescore)."""
    changed = [
        board.pk
        for board in Board.objects.filter(pk__in=list(boards))
        if scoring_part(board_kit(board)) != before.get(board.pk)
    ]
    rescore_requests.references_changed(changed)


def _scoring_parts(boards: Iterable[Any]) -> dict[Any, Any]:
    found = Board.objects.filter(pk__in=list(boards))
    return {board.pk: scoring_part(board_kit(board)) for board in found}


def latest_version(kit: BrandKit) -> BrandKitVersion:
    return BrandKitVersion.objects.get(kit=kit, number=kit.latest_number)


def get_version(kit: BrandKit, number: int) -> BrandKitVersion:
    version = BrandKitVersion.objects.filter(kit=kit, number=number).first()
    if version is None:
        raise KitNotFound(f"The brand kit “{kit.name}” has no version {number}.")
    return version


def _write_version(kit: BrandKit, user: Any, name: str, content: KitContent) -> BrandKitVersion:
    """Version n + 1 of a kit whose row the caller holds locked."""
    kit.latest_number += 1
    kit.name = name
    kit.save(update_fields=["latest_number", "name"])
    return BrandKitVersion.objects.create(
        kit=kit,
        number=kit.latest_number,
        name=name,
        content=content.model_dump(mode="json"),
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )


def create_kit(
    team: Team, user: Any, name: str, content: Mapping[str, Any] | None = None
) -> BrandKit:
    """A new kit with its version 1 (references are uploaded afterwards)."""
    parsed = parse_content(content or {})
    _check(None, parsed)
    with transaction.atomic():
        kit = BrandKit.objects.create(
            team=team,
            name=_clean_name(name),
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        _write_version(kit, user, kit.name, parsed)
    return kit


def edit_kit(
    kit: BrandKit,
    user: Any,
    *,
    name: str | None = None,
    changes: Mapping[str, Any] | None = None,
) -> BrandKitVersion:
    """Store a new version: the latest content with ``changes`` (whole fields) applied.

    Nothing changed: no new version, the latest is returned. Boards that follow the kit
    use the new version from their next job; pinned boards and past jobs keep theirs.
    """
    with transaction.atomic():
        locked = BrandKit.objects.select_for_update().get(pk=kit.pk)
        current = latest_version(locked)
        merged = {**current.content, **(changes or {})}
        parsed = parse_content(merged)
        _check(locked, parsed)
        new_name = _clean_name(name) if name is not None else locked.name
        if parsed.model_dump(mode="json") == current.content and new_name == current.name:
            return current
        following = live.following(locked.pk)
        before = dict.fromkeys(following, scoring_part(current))
        version = _write_version(locked, user, new_name, parsed)
        live.announce_after_commit(following, board_kit)
        _request_rescores(before, following)
    kit.latest_number, kit.name = locked.latest_number, locked.name
    return version


def add_reference(
    kit: BrandKit, user: Any, fileobj: IO[bytes], filename: str | None, role: str
) -> tuple[BrandKitReference, BrandKitVersion]:
    """Validate and store an image (the assets pipeline and its limits) and add it to the
    kit as a ``role`` reference: a new version."""
    if role not in ROLES:
        raise InvalidKit(f"role must be one of {', '.join(ROLES)}.")
    blob, clean_name = ingest_blob(fileobj, filename)
    with transaction.atomic():
        reference = BrandKitReference.objects.create(
            kit=kit,
            blob=blob,
            filename=clean_name,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        current = latest_version(kit)
        references = [
            *current.content.get("references", []),
            {"id": str(reference.pk), "role": role, "filename": clean_name},
        ]
        version = edit_kit(kit, user, changes={"references": references})
    return reference, version


def delete_kit(kit: BrandKit) -> None:
    """Mark the kit deleted and detach it from its boards; versions stay (provenance)."""
    with transaction.atomic():
        boards = list(Board.objects.filter(brand_kit=kit).values_list("pk", flat=True))
        before = _scoring_parts(boards)
        BrandKit.objects.filter(pk=kit.pk).update(deleted_at=timezone.now())
        Board.objects.filter(pk__in=boards).update(brand_kit=None, brand_kit_version=None)
        live.announce_after_commit(boards, board_kit)
        _request_rescores(before, boards)


def board_kit(board: Board) -> BrandKitVersion | None:
    """The kit version a board's jobs use now: its pinned version, else the kit's latest."""
    if board.brand_kit_id is None:
        return None
    kit = BrandKit.objects.filter(pk=board.brand_kit_id, deleted_at__isnull=True).first()
    if kit is None:
        return None
    if board.brand_kit_version_id is not None:
        pinned = BrandKitVersion.objects.filter(pk=board.brand_kit_version_id, kit=kit).first()
        if pinned is not None:
            return pinned
    return BrandKitVersion.objects.select_related("kit").get(kit=kit, number=kit.latest_number)


def set_board_kit(board: Board, kit: BrandKit | None, pin: int | None = None) -> Board:
    """Attach ``kit`` to ``board`` (following its latest version, or pinned to ``pin``), or
    detach with None. The kit must belong to the board's team."""
    version = None
    if kit is not None:
        if kit.team_id != board.team_id or kit.deleted_at is not None:
            raise KitNotFound("This brand kit is not one of this board's team's kits.")
        if pin is not None:
            version = get_version(kit, pin)
    elif pin is not None:
        raise InvalidKit("Pin a version of a kit, not of no kit.")
    with transaction.atomic():
        before = _scoring_parts([board.pk])
        Board.objects.filter(pk=board.pk).update(brand_kit=kit, brand_kit_version=version)
        live.announce_after_commit([board.pk], board_kit)
        _request_rescores(before, [board.pk])
    board.brand_kit, board.brand_kit_version = kit, version
    return board
