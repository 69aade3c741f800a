"""Brand kit domain operations: versions, references, a board's kit (docs/governance.md)."""

from __future__ import annotations

import io

import pytest

from assets.errors import UploadRejected
from canvas.governance.kits import services
from canvas.models import Board, BrandKitVersion
from tests import factories
from tests.governance.kits.conftest import SPRING


def test_a_new_kit_has_version_one_with_its_content(kit_team):
    kit = services.create_kit(kit_team.team, kit_team.people["kit_manager"], "Spring", SPRING)
    version = services.latest_version(kit)
    assert (kit.latest_number, version.number, version.name) == (1, 1, "Spring")
    assert version.content["palette"] == [{"name": "Petal", "hex": "#E8A0B4", "tolerance": 4.0}]
    assert version.content["locks"] == ["engine", "prompt"]
    assert version.created_by == kit_team.people["kit_manager"]


def test_editing_makes_a_new_version_and_leaves_the_old_one_as_it_was(kit_team):
    kit = services.create_kit(kit_team.team, kit_team.people["admin"], "Spring", SPRING)
    second = services.edit_kit(
        kit, kit_team.people["kit_manager"], changes={"negative_prompt": "blur"}
    )
    assert second.number == 2 and kit.latest_number == 2
    first = services.get_version(kit, 1)
    assert first.content["negative_prompt"] == "text, watermark"
    assert second.content["negative_prompt"] == "blur"
    # Fields not named keep their value.
    assert second.content["prompt_template"] == SPRING["prompt_template"]


def test_an_edit_that_changes_nothing_makes_no_version(kit_team):
    kit = services.create_kit(kit_team.team, kit_team.people["admin"], "Spring", SPRING)
    same = services.edit_kit(kit, kit_team.people["admin"], changes={"engine": "local"})
    assert same.number == 1
    assert BrandKitVersion.objects.filter(kit=kit).count() == 1
    renamed = services.edit_kit(kit, kit_team.people["admin"], name="Spring 27")
    assert (renamed.number, renamed.name) == (2, "Spring 27")


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"palette": [{"name": "Bad", "hex": "pink"}]}, "palette.0.hex"),
        ({"prompt_template": "{Product} shot"}, "is not a variable name"),
        ({"prompt_template": "{product shot"}, "unmatched"),
        ({"engine": "no-such-engine"}, "There is no engine called 'no-such-engine'"),
        ({"locks": ["palette"]}, "locks.0"),
        ({"references": [{"id": "x", "role": "style"}]}, "not an image uploaded to this kit"),
    ],
)
def test_invalid_content_is_refused_with_a_sentence(kit_team, changes, says):
    kit = services.create_kit(kit_team.team, kit_team.people["admin"], "Spring", SPRING)
    with pytest.raises(services.InvalidKit) as refused:
        services.edit_kit(kit, kit_team.people["admin"], changes=changes)
    assert says in refused.value.message
    assert kit.latest_number == 1


def test_a_reference_is_stored_once_by_content_and_added_in_a_new_version(kit_team):
    kit = services.create_kit(kit_team.team, kit_team.people["admin"], "Spring", SPRING)
    data = factories.png_bytes((40, 30), (230, 160, 180))
    ref, version = services.add_reference(
        kit, kit_team.people["admin"], io.BytesIO(data), "../petal.png", "palette"
    )
    assert version.number == 2
    assert version.content["references"] == [
        {"id": str(ref.pk), "role": "palette", "filename": "petal.png"}
    ]
    again, _ = services.add_reference(
        kit, kit_team.people["admin"], io.BytesIO(data), "copy.png", "style"
    )
    assert again.blob_id == ref.blob_id  # the same bytes are one blob
    assert ref.blob.width == 40


def test_a_reference_that_is_not_an_image_is_refused_and_makes_no_version(kit_team):
    kit = services.create_kit(kit_team.team, kit_team.people["admin"], "Spring", SPRING)
    with pytest.raises(UploadRejected):
        services.add_reference(
            kit, kit_team.people["admin"], io.BytesIO(b"not an image"), "x.png", "style"
        )
    assert kit.latest_number == 1


def test_a_board_follows_the_latest_version_unless_pinned(kit_team):
    kit = services.create_kit(kit_team.team, kit_team.people["admin"], "Spring", SPRING)
    board = kit_team.board
    services.set_board_kit(board, kit)
    services.edit_kit(kit, kit_team.people["admin"], changes={"negative_prompt": "blur"})
    assert services.board_kit(Board.objects.get(pk=board.pk)).number == 2
    services.set_board_kit(board, kit, pin=1)
    services.edit_kit(kit, kit_team.people["admin"], changes={"negative_prompt": "grain"})
    assert services.board_kit(Board.objects.get(pk=board.pk)).number == 1


def test_a_kit_of_another_team_cannot_be_attached(kit_team):
    other = factories.make_team("Other")
    kit = services.create_kit(other, None, "Theirs")
    with pytest.raises(services.KitNotFound):
        services.set_board_kit(kit_team.board, kit)


def test_deleting_a_kit_detaches_its_boards_and_keeps_its_versions(kit_team):
    kit = services.create_kit(kit_team.team, kit_team.people["admin"], "Spring", SPRING)
    services.set_board_kit(kit_team.board, kit)
    services.delete_kit(kit)
    board = Board.objects.get(pk=kit_team.board.pk)
    assert board.brand_kit_id is None and services.board_kit(board) is None
    assert BrandKitVersion.objects.filter(kit=kit).count() == 1
    with pytest.raises(services.KitNotFound):
        services.get_kit(kit.pk)
