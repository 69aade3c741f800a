"""Human names for what people look at: result layers, review groups, and the layers a
share-link guest sees.

People recognise a region by what it is of ("Hero shot", the frame it sits in; "Sunset
mood", the anchor it covers; or the prompt they typed), not by its coordinates, and a
result by its number in its job ("Result 2 of Hero shot"). This module turns rows into
those words. It reads rows and never writes them; it must not decide what a guest may see
(canvas.permissions does) — it only names what it is given, hiding file names and prompts
from guests unless their link shows metadata (file names often carry client names).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from canvas.models import Item, ItemKind, Iteration

SUBJECT_MAX = 60  # characters of a title taken from a prompt or a long name
# Names the server gave result layers ("Result 2", "Result 2 of Hero shot"): recomputed for
# guests, since their subject may be a file name or a prompt. A name the team typed is kept.
AUTO_RESULT_NAME = re.compile(r"^Result \d+( of .+)?$")
# A name that is a file name ("IMG_2034.jpg") says where a file came from, not what it shows.
LOOKS_LIKE_FILE = re.compile(r"\.(png|jpe?g|webp|gif|tiff?|bmp|heic|heif|psd|avif)$", re.I)

NameOf = Callable[[Item], str]


# --- Small pieces ---------------------------------------------------------------------------


def shorten(text: str, limit: int = SUBJECT_MAX) -> str:
    """One line of at most ``limit`` characters, cut at a word boundary with an ellipsis."""
    flat = " ".join(str(text or "").split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,.;:-") + "…"


def file_stem(item: Item) -> str:
    """The uploaded file's name without its extension (how uploads name new layers)."""
    if not item.asset_id or item.asset is None:
        return ""
    return item.asset.filename.rsplit(".", 1)[0][:200]


def is_result_layer(item: Item) -> bool:
    """A result applied to the board: the server names the iteration in its props."""
    return isinstance(item.props, dict) and bool(item.props.get("iteration"))


def is_file_name(item: Item) -> bool:
    """True when the layer is named after a file: its upload's (how uploads name layers)
    or anything ending in an image extension."""
    if not item.name:
        return False
    own = item.asset.filename if item.asset_id and item.asset is not None else ""
    return item.name in (file_stem(item), own) or bool(LOOKS_LIKE_FILE.search(item.name))


def team_name(item: Item) -> str:
    """A layer's name as the team sees it: its name, else its file's name."""
    return item.name or file_stem(item)


def result_name(number: int, subject: str) -> str:
    return f"Result {number} of {subject}" if subject else f"Result {number}"


def _overlap(a: dict[str, Any], item: Item) -> float:
    """Area shared by a region and an item's (unrotated) box; 0 when they do not touch."""
    try:
        ax, ay = float(a["x"]), float(a["y"])
        aw, ah = float(a["width"]), float(a["height"])
    except (KeyError, TypeError, ValueError):
        return 0.0
    w = min(ax + aw, item.x + item.width) - max(ax, item.x)
    h = min(ay + ah, item.y + item.height) - max(ay, item.y)
    return w * h if w > 0 and h > 0 else 0.0


# --- Subjects and titles --------------------------------------------------------------------


def subject(
    items: Sequence[Item], region: dict[str, Any], *, prompt: str = "", name_of: NameOf = team_name
) -> str:
    """What a region is of: the named frame it overlaps most, else the anchor (then any
    image) it covers most, else the prompt; "" when none of them says anything.

    ``name_of`` names an image layer ("" to skip it): guests get one that hides file names.
    Result layers never name a region (they are what was made from it).
    """
    frames = [(i, _overlap(region, i)) for i in items if i.kind == ItemKind.FRAME and i.name]
    frames = [pair for pair in frames if pair[1] > 0]
    if frames:
        return shorten(max(frames, key=lambda pair: pair[1])[0].name)
    images = [
        (bool(i.anchor_role), area, i)
        for i in items
        if i.kind == ItemKind.IMAGE and not is_result_layer(i)
        for area in (_overlap(region, i),)
        if area > 0
    ]
    for _, _, item in sorted(images, key=lambda t: (t[0], t[1]), reverse=True):
        name = name_of(item)
        if name:
            return shorten(name)
    return shorten(prompt)


def job_prompt(iteration: Iteration) -> str:
    spec = iteration.job.spec if isinstance(iteration.job.spec, dict) else {}
    return str(spec.get("prompt") or "")


def board_items(board_id: Any) -> list[Item]:
    """The live layers a subject can come from (frames and images)."""
    return list(
        Item.objects.filter(
            board_id=board_id, deleted=False, kind__in=(ItemKind.FRAME, ItemKind.IMAGE)
        ).select_related("asset")
    )


def group_title(items: Sequence[Item], iteration: Iteration) -> str:
    """A review group's heading: the subject of its job's region, never coordinates."""
    return subject(items, iteration.region, prompt=job_prompt(iteration)) or "Untitled region"


def result_layer_names(iterations: Iterable[Iteration]) -> dict[Any, str]:
    """Names for results about to be applied: "Result 2 of Hero shot" (team's view)."""
    iterations = list(iterations)
    if not iterations:
        return {}
    items = board_items(iterations[0].board_id)
    return {
        it.pk: result_name(it.index + 1, subject(items, it.region, prompt=job_prompt(it)))
        for it in iterations
    }


# --- What a guest sees ----------------------------------------------------------------------


class GuestNamer:
    """Display names for the layers a share link shows, computed once per snapshot.

    With ``show_metadata`` guests see names as the team does (an empty name becomes the
    file's name). Without it: a name the team typed is kept, a layer named after its file
    becomes "Image 1", "Image 2" … (by upload order), and a result layer the server named
    is re-named from what the guest can see ("Result 2 of Hero shot", never a prompt).
    """

    def __init__(self, items: Sequence[Item], iterations: Iterable[Iteration], *, reveal: bool):
        self.items = list(items)
        self.reveal = reveal
        self.by_iteration = {str(it.pk): it for it in iterations}
        hidden = [
            i
            for i in sorted(self.items, key=lambda i: (i.created_at, str(i.pk)))
            if i.kind == ItemKind.IMAGE and not is_result_layer(i) and not self._kept(i)
        ]
        self.neutral = {i.pk: f"Image {n}" for n, i in enumerate(hidden, start=1)}

    def _kept(self, item: Item) -> str:
        """The layer's own name if the guest may see it, else ""."""
        if self.reveal:
            return team_name(item)
        return "" if is_file_name(item) else item.name

    def image_name(self, item: Item) -> str:
        return self._kept(item) or self.neutral.get(item.pk, "")

    def name(self, item: Item) -> str:
        if item.kind != ItemKind.IMAGE:
            return item.name
        if not is_result_layer(item):
            return self.image_name(item)
        if item.name and not AUTO_RESULT_NAME.match(item.name):
            return item.name  # the team renamed it
        iteration = self.by_iteration.get(str(item.props.get("iteration")))
        if iteration is None:
            return item.name or "Result"
        region = iteration.region or {
            "x": item.x,
            "y": item.y,
            "width": item.width,
            "height": item.height,
        }
        prompt = job_prompt(iteration) if self.reveal else ""
        about = subject(self.items, region, prompt=prompt, name_of=self.image_name)
        return result_name(iteration.index + 1, about)


def guest_namer(link: Any, items: Sequence[Item]) -> GuestNamer:
    """A namer for ``items`` (what ``link`` shows), with their results' iterations loaded."""
    ids = [str(i.props["iteration"]) for i in items if is_result_layer(i)]
    iterations = Iteration.objects.filter(board_id=link.board_id, pk__in=_uuids(ids))
    return GuestNamer(items, iterations.select_related("job"), reveal=bool(link.show_metadata))


def _uuids(values: Iterable[str]) -> list[uuid.UUID]:
    out = []
    for value in values:
        try:
            out.append(uuid.UUID(value))
        except ValueError:
            continue
    return out
