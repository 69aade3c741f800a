"""Human names (canvas.boards.naming): what a region is of, result layer names, review
group titles, and the layer names a share-link guest sees with and without metadata."""

from __future__ import annotations

import pytest

from canvas.boards import iterations, naming
from canvas.models import Item, ItemKind
from tests import factories
from tests.review.conftest import make_candidate, make_variations

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

REGION = {"x": 100, "y": 100, "width": 200, "height": 150}


def image(board, user, name="", filename="photo.png", **box):
    from assets.services import ingest_bytes

    asset = ingest_bytes(board, user, factories.png_bytes((20, 20), (9, 9, 9)), filename)
    geometry = {"x": 0, "y": 0, "width": 600, "height": 400, **box}
    return Item.objects.create(board=board, kind=ItemKind.IMAGE, asset=asset, name=name, **geometry)


def frame(board, name, **box):
    geometry = {"x": 0, "y": 0, "width": 600, "height": 400, **box}
    return Item.objects.create(board=board, kind=ItemKind.FRAME, name=name, **geometry)


def items_of(board):
    return naming.board_items(board.pk)


def test_shorten_cuts_at_a_word_and_flattens_whitespace():
    assert naming.shorten("  misty\n cliffs  ") == "misty cliffs"
    long = "a lighthouse on a cliff at dusk with waves crashing below and gulls in the wind"
    short = naming.shorten(long, 40)
    assert len(short) <= 40 and short.endswith("…") and " " not in short[-2:]
    assert long.startswith(short[:-1])


def test_subject_prefers_the_frame_then_the_anchor_then_any_image_then_the_prompt(people):
    board, owner = people["board"], people["owner"]
    assert naming.subject(items_of(board), REGION, prompt="misty cliffs") == "misty cliffs"
    image(board, owner, name="Background plate")
    assert naming.subject(items_of(board), REGION, prompt="misty cliffs") == "Background plate"
    anchor = image(board, owner, name="Sunset mood", width=150, height=150)
    anchor.anchor_role = "style"
    anchor.save()
    # The anchor covers less of the region than the plate, but anchors name what they guide.
    assert naming.subject(items_of(board), REGION) == "Sunset mood"
    frame(board, "Hero shot", x=50, y=50)
    frame(board, "Elsewhere", x=5000, y=5000)
    assert naming.subject(items_of(board), REGION) == "Hero shot"


def test_results_and_unnamed_frames_never_name_a_region(people):
    board, owner = people["board"], people["owner"]
    frame(board, "")
    result = image(board, owner, name="Result 1 of old")
    result.props = {"iteration": "x"}
    result.save()
    assert naming.subject(items_of(board), REGION, prompt="") == ""
    assert naming.result_name(2, "") == "Result 2"


def test_applied_results_are_named_after_their_number_and_subject(people):
    board, owner = people["board"], people["owner"]
    frame(board, "Hero shot")
    four = make_variations(board, owner, 4, region=REGION)
    applied = iterations.apply(four[1], owner)
    item = Item.objects.get(pk=applied.applied_item_id)
    assert item.name == "Result 2 of Hero shot"
    # Applying several at once names each by its own number.
    iterations.apply_many([four[2], four[3]], owner)
    names = set(
        Item.objects.filter(props__iteration__in=[str(four[2].pk), str(four[3].pk)]).values_list(
            "name", flat=True
        )
    )
    assert names == {"Result 3 of Hero shot", "Result 4 of Hero shot"}


def test_a_result_with_nothing_around_it_is_named_by_the_prompt(people):
    board, owner = people["board"], people["owner"]
    made = make_candidate(board, owner, region=REGION, prompt="a red door in fog")
    applied = iterations.apply(made, owner)
    assert Item.objects.get(pk=applied.applied_item_id).name == "Result 1 of a red door in fog"


def test_group_title_falls_back_to_words_not_coordinates(people):
    board, owner = people["board"], people["owner"]
    made = make_candidate(board, owner, region=REGION, prompt="")
    assert naming.group_title(items_of(board), made) == "Untitled region"


# --- What guests see --------------------------------------------------------------------------


def test_guest_names_hide_file_names_but_keep_names_the_team_typed(people):
    board, owner = people["board"], people["owner"]
    typed = image(board, owner, name="Hero plate", filename="IMG_2034.jpg")
    from_file = image(board, owner, name="IMG_2035", filename="IMG_2035.jpg")
    unnamed = image(board, owner, name="", filename="client-secret-brief.png")
    looks_like_file = image(board, owner, name="DSC0001.JPG", filename="other.png")
    items = items_of(board)
    hidden = naming.GuestNamer(items, [], reveal=False)
    names = {i.pk: hidden.name(i) for i in items}
    assert names[typed.pk] == "Hero plate"
    # Neutral names are numbered in upload order and never repeat.
    assert [names[from_file.pk], names[unnamed.pk], names[looks_like_file.pk]] == [
        "Image 1",
        "Image 2",
        "Image 3",
    ]
    shown = naming.GuestNamer(items, [], reveal=True)
    assert shown.name(unnamed) == "client-secret-brief"
    assert shown.name(from_file) == "IMG_2035"


def test_guest_result_names_are_recomputed_from_what_the_guest_may_see(people):
    board, owner = people["board"], people["owner"]
    image(board, owner, name="", filename="acme_confidential.png")
    made = make_variations(board, owner, 2, region=REGION, prompt="secret campaign")
    applied = iterations.apply(made[1], owner)
    item = Item.objects.get(pk=applied.applied_item_id)
    # The team's name mentions the file; the guest's never does, nor the prompt.
    assert item.name == "Result 2 of acme_confidential"
    items = items_of(board)
    guest = naming.GuestNamer(items, [applied], reveal=False)
    assert guest.name(item) == "Result 2 of Image 1"
    assert naming.GuestNamer(items, [applied], reveal=True).name(item) == (
        "Result 2 of acme_confidential"
    )
    # A name the team typed is theirs to show.
    item.name = "Chosen look"
    assert guest.name(item) == "Chosen look"
