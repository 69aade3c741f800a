"""The review page by mouse only, and what a client sees, in a real browser.

A lead opens the review page of a board whose "Hero shot" frame has a job of four
variations: the job is one group titled "Hero shot" saying "4 variations", the tier counts
add up, and every decision is a click on a visible button (approve, needs changes, reject,
a rating, the star) whose key is shown; the decision history reads as sentences.

A client opens share links with no account: layers carry names in words ("Result 2 of
Hero shot", "Image 1" for a layer named after its file), there are no hide/lock/edit
controls anywhere, the result the team applied is drawn under "final results only", and
the team's internal verdicts show only on the link that shares them.

Candidates are real Iterations with stored images (``make_variations``, the helper the
review API tests use); one is applied through ``canvas.boards.iterations.apply``.
"""

from __future__ import annotations

import pytest

from tests.frontend.browser_server import BrowserServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

WAIT_MS = 30_000

SEED = """
import json
from django.test import Client
from assets.services import ingest_bytes
from canvas.models import Item, ItemKind
from canvas.permissions import Principal
from canvas.boards import iterations
from canvas.sharing import links
from canvas.review import decisions
from tests import factories
from tests.review.conftest import make_candidate, make_variations
lead = factories.make_user("lead")
dana = factories.make_user("dana")
board = factories.make_board(name="Spring campaign", owner=lead, editor=dana)
Item.objects.create(board=board, kind=ItemKind.FRAME, name="Hero shot", width=900, height=600)
photo = ingest_bytes(board, lead, factories.png_bytes((300, 200), (40, 90, 160)), "IMG_0042.jpg")
Item.objects.create(
    board=board, kind=ItemKind.IMAGE, asset=photo, name="IMG_0042", width=900, height=600, z=1
)
region = {"x": 100, "y": 100, "width": 400, "height": 300}
four = make_variations(board, dana, 4, region=region, prompt="a lighthouse at dusk")
square = make_candidate(
    board, dana, region={"x": 2000, "y": 0, "width": 300, "height": 300}, prompt="on marble"
)
iterations.apply(four[1], dana)
decisions.set_decision(four[1], Principal(user=lead), status="needs_changes")
decisions.set_decision(square, Principal(user=lead), tier="final", status="needs_changes")
_l, internal = links.create_link(
    board, lead, permissions=["approve"], visibility="all_candidates", label="Round 1"
)
_l, final_only = links.create_link(board, lead, show_decisions=True, label="Final")
out = {
    "board": str(board.pk),
    "four": [str(it.pk) for it in four],
    "square": str(square.pk),
    "internal": internal,
    "final_only": final_only,
}
c = Client()
c.force_login(lead)
out["lead"] = c.cookies["sessionid"].value
print("SEED" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = BrowserServer(tmp_path_factory.mktemp("review-ui") / "data", seed_script=SEED)
    srv.start()
    yield srv
    srv.stop()


def card(page, iteration: str):
    return page.locator(f"[data-testid=candidate][data-id='{iteration}']")


def test_lead_reviews_by_mouse_only(server, browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.add_cookies(
        [{"name": "sessionid", "value": server.seed["lead"], "url": server.base_url}]
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server.base_url}/boards/{server.seed['board']}/review/")
    page.wait_for_selector("[data-testid=review-live][data-state=online]", timeout=WAIT_MS)
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=candidate]').length === 5", timeout=WAIT_MS
    )

    # The job's four variations are one group, titled by the frame, not by coordinates.
    hero = page.locator("[data-testid=review-group]").filter(has_text="Hero shot")
    assert hero.locator("[data-testid=group-title]").inner_text() == "Hero shot"
    assert hero.locator("[data-testid=group-count]").inner_text() == "4 variations"
    assert hero.locator("[data-testid=candidate]").count() == 4
    names = hero.locator("[data-testid=candidate-name]").all_inner_texts()
    assert names == ["Result 1", "Result 2", "Result 3", "Result 4"]
    assert "Region" not in page.locator("[data-testid=review-grid]").inner_text()

    # Tier counts add up to the candidates shown (the final one included).
    counts = {
        el.get_attribute("data-tier"): int(el.get_attribute("data-count"))
        for el in page.locator("[data-testid=tier-count]").all()
    }
    assert counts == {"generation": 4, "refinement": 0, "upres": 0, "final": 1}
    assert page.locator("[data-testid=candidate-total]").inner_text() == "5 candidates"

    first, second, third, fourth = (card(page, i) for i in server.seed["four"])
    # Every control is a real button with its key shown beside the words.
    approve = first.locator("[data-testid=decide-approved]")
    assert approve.evaluate("b => b.tagName") == "BUTTON"
    assert approve.inner_text().split() == ["Approve", "A"]
    assert first.locator("[data-testid=decide-needs_changes]").inner_text().split() == [
        "Needs",
        "changes",
        "N",
    ]
    assert first.locator("[data-testid=toggle-star]").inner_text().split()[-1] == "S"
    # Hovering a control names it and its key in a tooltip (the page installs them too).
    first.locator("[data-testid=decide-rejected]").hover()
    tip = page.locator(".ab-tooltip")
    tip.wait_for(state="visible", timeout=WAIT_MS)
    assert tip.inner_text().split() == ["Reject", "X"]
    assert tip.locator("kbd").inner_text() == "X"

    approve.click()
    page.wait_for_selector(f"{selector(server, 0)}[data-status=approved]", timeout=WAIT_MS)
    first.locator("[data-testid=rate-4]").click()
    page.wait_for_selector(f"{selector(server, 0)}[data-rating='4']", timeout=WAIT_MS)
    first.locator("[data-testid=toggle-star]").click()
    page.wait_for_selector(f"{selector(server, 0)}[data-starred=true]", timeout=WAIT_MS)
    assert first.locator("[data-testid=decide-approved]").get_attribute("aria-pressed") == "true"
    assert first.locator("[data-testid=rate-4]").get_attribute("aria-pressed") == "true"
    assert first.locator("[data-testid=decided-by]").inner_text().startswith("Approved by lead")

    third.locator("[data-testid=decide-needs_changes]").click()
    page.wait_for_selector(f"{selector(server, 2)}[data-status=needs_changes]", timeout=WAIT_MS)
    fourth.locator("[data-testid=decide-rejected]").click()
    page.wait_for_selector(f"{selector(server, 3)}[data-status=rejected]", timeout=WAIT_MS)
    # Pressing the pressed verdict again clears it.
    second.locator("[data-testid=decide-needs_changes]").click()
    page.wait_for_selector(f"{selector(server, 1)}[data-status=undecided]", timeout=WAIT_MS)

    # The picture opens the compare, with the history in sentences.
    third.locator("[data-testid=candidate-open]").click()
    assert page.locator(".ab-compare").is_visible()
    assert "Result 3 of Hero shot" in page.locator(".ab-compare h3").inner_text()
    page.wait_for_selector("[data-testid=decision-history] li")
    history = page.locator("[data-testid=decision-history] li").all_inner_texts()
    assert history == ["lead marked it Needs changes · just now"]
    # The compare has the same buttons: decide while looking, the history follows.
    decide = page.locator("[data-testid=compare-decide]")
    assert decide.locator("[data-testid=decide-needs_changes]").get_attribute("aria-pressed") == (
        "true"
    )
    decide.locator("[data-testid=decide-approved]").click()
    page.wait_for_selector(f"{selector(server, 2)}[data-status=approved]", timeout=WAIT_MS)
    page.wait_for_selector("[data-testid=decision-history] li >> nth=1")
    assert page.locator("[data-testid=decision-history] li").all_inner_texts()[1] == (
        "lead approved it · just now"
    )
    page.click("[data-testid=compare-close]")
    assert not page.locator(".ab-compare").is_visible()

    # Decisions move nothing between tiers here; the counts still add up.
    total = sum(
        int(el.get_attribute("data-count")) for el in page.locator("[data-testid=tier-count]").all()
    )
    assert total == page.locator("[data-testid=candidate]").count() == 5
    context.close()
    assert errors == []


def selector(server, n: int) -> str:
    return f"[data-testid=candidate][data-id='{server.seed['four'][n]}']"


def open_guest(browser, server, token: str):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    refused: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "response",
        lambda r: (
            refused.append(f"{r.status} {r.url}")
            if "/files/" in r.url and r.status >= 400
            else None
        ),
    )
    page.goto(f"{server.base_url}/s/{token}/")
    page.wait_for_function(
        "window.__anchorboard && window.__anchorboard.stats().status === 'online'"
        " && window.__anchorboard.stats().documentItems >= 3",
        timeout=WAIT_MS,
    )
    return context, page, errors, refused


def test_client_sees_named_layers_no_controls_and_only_shared_verdicts(server, browser):
    applied = server.seed["four"][1]
    context, page, errors, refused = open_guest(browser, server, server.seed["internal"])
    layers = page.locator(".ab-layer .ab-name").all_inner_texts()
    assert "Result 2 of Hero shot" in layers and "Image 1" in layers and "Hero shot" in layers
    assert not any(name in ("Image", "IMG_0042") for name in layers)

    # No editing affordance at all: no hide/lock buttons, no inputs, no presence toggle, no
    # anchors panel.
    assert page.locator(".ab-layers button").count() == 0
    page.locator(".ab-layer", has_text="Result 2 of Hero shot").click()
    page.wait_for_selector("[data-testid=item-details]")
    assert "Result 2 of Hero shot" in page.locator("[data-testid=item-details]").inner_text()
    assert page.locator(".ab-props input, .ab-props select, .ab-props textarea").count() == 0
    assert page.locator("[data-testid=presence-toggle]").count() == 0  # guests send none
    assert page.locator(".ab-anchors").count() == 0
    assert page.locator(".ab-layer[draggable=true]").count() == 0

    # The team's "Needs changes" stays internal: no badge on the canvas or the filmstrip.
    page.click("[data-testid=filmstrip-toggle]")
    page.wait_for_selector(f"[data-testid=filmstrip-item][data-id='{applied}']")
    assert page.locator("[data-testid=decision-badge]").count() == 0
    assert page.locator("[data-testid=filmstrip-item][data-status=needs_changes]").count() == 0
    # The client's own verdict shows, on the canvas and in the strip.
    page.click(f"[data-testid=guest-approved][data-id='{applied}']")
    page.wait_for_selector(
        f"[data-testid=decision-badge][data-iteration='{applied}'][data-status=approved]",
        timeout=WAIT_MS,
    )
    context.close()

    # A final-only link that shares decisions: the applied result is drawn (its pixels load,
    # nothing is refused), only the final candidate is offered, with the team's verdict.
    context, page, errors2, refused2 = open_guest(browser, server, server.seed["final_only"])
    items = page.evaluate(
        "[...window.__anchorboard.doc.ordered()].map(i => [i.name, i.props.iteration || null])"
    )
    assert ["Result 2 of Hero shot", applied] in items
    page.wait_for_function(
        "window.__anchorboard.stats().cacheEntries >= 2"
        " && window.__anchorboard.stats().loading === 0",
        timeout=WAIT_MS,
    )
    page.click("[data-testid=filmstrip-toggle]")
    strip = page.locator("[data-testid=filmstrip-item]")
    assert strip.count() == 1
    assert strip.first.get_attribute("data-id") == server.seed["square"]
    assert strip.first.get_attribute("data-status") == "needs_changes"
    context.close()
    assert errors == [] and errors2 == []
    assert refused == [] and refused2 == []
