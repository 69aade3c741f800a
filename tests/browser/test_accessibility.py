"""axe-core on every page of the product: no critical and no serious violation.

axe-core comes from the npm registry as a dev dependency of the frontend
(``frontend/node_modules/axe-core``, installed by ``npm ci``) and is injected from that file
with Playwright's ``add_script_tag(path=…)``; nothing is fetched from a CDN. Each page is
checked once it has finished drawing (the board and share pages once the socket is online
and the layers list is filled, the review page once its candidates are there), at the
1440 × 900 size the issue measured (the operations dashboard at 390 × 844 as well). A
failure lists every rule that failed, its impact and the first elements it names, so a new
rule breaking is obvious from the test output.

Needs Chromium (``chromium_path`` fails in CI and skips on laptops without it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import missing_service
from tests.frontend.browser_server import ROOT, BrowserServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

WAIT_MS = 30_000
AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
# Everything at or above this bar fails the test (WCAG 2.2 AA rules and best practices).
FAILING_IMPACTS = {"critical", "serious"}
# Rated "moderate" by axe, but the issue asks for them: one <h1> per page, one main and one
# banner landmark, landmarks told apart by name.
ALSO_FAILING = {
    "page-has-heading-one",
    "landmark-one-main",
    "landmark-no-duplicate-banner",
    "landmark-no-duplicate-main",
    "landmark-no-duplicate-contentinfo",
    "landmark-unique",
}

SEED = """
import json
from django.test import Client
from canvas.demo import seed_demo
from canvas.sharing import links
from tests.review.conftest import make_drift_job, make_variations, score_results
demo = seed_demo()
board = demo.board
lead = board.created_by
make_variations(board, lead, 4, region={"x": 100, "y": 100, "width": 400, "height": 300})
# Scored results, two of them drifted: drift marks on the strip, cards and share view.
ok, bad = make_drift_job(board, lead, consistent=3)
score_results(board, [*ok, *bad.values()])
_link, token = links.create_link(
    board,
    lead,
    permissions=["comment", "approve"],
    visibility="all_candidates",
    show_decisions=True,
    label="Client",
)
from datetime import timedelta
from django.utils import timezone
from canvas.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
hook = WebhookEndpoint.objects.create(
    team=board.team, url="https://hooks.example.com/anchorboard", events=["job.succeeded"]
)
event = WebhookEvent.objects.create(team=board.team, type="job.succeeded", payload={"job": {}})
WebhookDelivery.objects.create(
    event=event, endpoint=hook, state="failed", attempts=3, last_status_code=500,
    last_error="http_500", response_excerpt="Internal error",
    give_up_at=timezone.now() + timedelta(hours=24),
)
import io
from PIL import Image
from canvas.governance.kits import services as kits
kit = kits.create_kit(board.team, lead, "Spring 27", {
    "palette": [{"name": "Petal", "hex": "#E8A0B4", "tolerance": 4},
                {"name": "Sage", "hex": "#9DB89A"}],
    "prompt_template": "{product} on a pastel set, {season} light, {prompt}",
    "negative_prompt": "text, watermark",
    "style_presets": [{"name": "Soft", "prompt": "soft focus, airy"}],
    "engine": "local", "settings": {"strength": 0.5},
    "locks": ["engine", "prompt", "negative_prompt"],
})
png = io.BytesIO()
Image.new("RGB", (96, 64), (232, 160, 180)).save(png, "PNG")
kits.add_reference(kit, lead, io.BytesIO(png.getvalue()), "petal-swatch.png", "palette")
kits.set_board_kit(board, kit)
# The operations dashboard's numbers: the demo's jobs, rolled up as the chore would.
from canvas.ops import rollups
rollups.rebuild(timezone.now() - timedelta(hours=48), timezone.now() + timedelta(hours=1))
c = Client()
c.force_login(lead)
out = {"board": str(board.pk), "token": token, "lead": c.cookies["sessionid"].value,
       "kit": str(kit.pk), "team": str(board.team_id)}
print("SEED" + json.dumps(out))
"""

BOARD_READY = (
    "window.__anchorboard && window.__anchorboard.stats().status === 'online'"
    " && document.querySelectorAll('.ab-layer').length >= 3"
)

DASHBOARD_READY = (
    "document.querySelector('#dashboard[data-loaded]')"
    " && document.querySelectorAll('[data-chart] canvas').length >= 6"
)

# name → (path, signed in?, what to wait for before checking[, viewport other than 1440 × 900])
PAGES = {
    "login": ("/login/", False, "document.querySelector('form')"),
    "board list": ("/", True, "document.querySelector('.board-grid, .empty-state')"),
    "board": ("/boards/{board}/", True, BOARD_READY),
    "review": (
        "/boards/{board}/review/",
        True,
        "document.querySelectorAll('[data-testid=candidate]').length >= 4",
    ),
    "share": ("/s/{token}/", False, BOARD_READY),
    "providers": ("/providers/", True, "document.querySelector('main')"),
    "members": ("/boards/{board}/members/", True, "document.querySelector('main')"),
    "batches": ("/boards/{board}/batches/", True, "document.querySelector('main')"),
    # Beyond the list: the other pages a person reaches from these.
    "share guest name": ("/s/{token}/guest/", False, "document.querySelector('form')"),
    "inbox": ("/inbox/", True, "document.querySelector('main')"),
    "teams": ("/teams/", True, "document.querySelector('main')"),
    "webhooks": ("/teams/{team}/webhooks/", True, "document.querySelector('.delivery-log')"),
    "brand kits": ("/teams/{team}/brand-kits/", True, "document.querySelector('main')"),
    "brand kit editor": (
        "/brand-kits/{kit}/",
        True,
        "document.querySelector('[data-testid=kit-form]')",
    ),
    "password change": ("/password/", True, "document.querySelector('form')"),
    # The operations dashboard (issue 17), once its numbers and charts are drawn; on a phone
    # too, where its charts are redrawn to the width.
    "dashboard": ("/dashboard/", True, DASHBOARD_READY),
    "dashboard at 390 px": ("/dashboard/", True, DASHBOARD_READY, (390, 844)),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = BrowserServer(tmp_path_factory.mktemp("a11y") / "data", seed_script=SEED)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def axe_script() -> Path:
    if not AXE.exists():
        missing_service("axe-core", "Run `npm --prefix frontend ci` (a dev dependency).")
    return AXE


def describe(violations: list[dict]) -> str:
    """One line per failing rule: id, impact, help, and up to three offending elements."""
    lines = []
    for v in violations:
        targets = ", ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:3])
        more = f" (+{len(v['nodes']) - 3} more)" if len(v["nodes"]) > 3 else ""
        lines.append(f"{v['id']} [{v['impact']}] {v['help']}: {targets}{more}")
    return "\n".join(lines)


def run_axe(page, axe_script: Path) -> list[dict]:
    page.add_script_tag(path=str(axe_script))
    result = page.evaluate(
        """async () => {
          const r = await axe.run(document, {resultTypes: ['violations']});
          return r.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => ({target: n.target})),
          }));
        }"""
    )
    return result


@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_serious_axe_violations(server, browser, axe_script, name):
    path, signed_in, ready, *size = PAGES[name]
    width, height = size[0] if size else (1440, 900)
    context = browser.new_context(viewport={"width": width, "height": height})
    if signed_in:
        context.add_cookies(
            [{"name": "sessionid", "value": server.seed["lead"], "url": server.base_url}]
        )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server.base_url + path.format(**server.seed))
    page.wait_for_function(f"Boolean({ready})", timeout=WAIT_MS)
    violations = run_axe(page, axe_script)
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS or v["id"] in ALSO_FAILING]
    print(f"axe on the {name} page, every violation:\n{describe(violations)}")
    assert not failing, f"axe on the {name} page:\n{describe(failing)}"
    assert not errors
    context.close()


def test_skip_link_focus_ring_and_reduced_motion(server, browser):
    """The first Tab shows a skip link; it lands on the canvas, whose ring is drawn; asking
    for less motion turns the job progress bar's transition off."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.add_cookies(
        [{"name": "sessionid", "value": server.seed["lead"], "url": server.base_url}]
    )
    page = context.new_page()
    page.goto(f"{server.base_url}/boards/{server.seed['board']}/")
    page.wait_for_function(f"Boolean({BOARD_READY})", timeout=WAIT_MS)

    page.keyboard.press("Tab")
    link = page.evaluate(
        "(() => { const a = document.activeElement, r = a.getBoundingClientRect();"
        " return {text: a.textContent, top: r.top, bottom: r.bottom}; })()"
    )
    assert link["text"] == "Skip to the canvas"
    assert link["top"] >= 0 and link["bottom"] <= 900  # on screen while focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "ab-canvas"
    ring = page.evaluate("getComputedStyle(document.activeElement, '::after').boxShadow")
    assert "rgb(157, 187, 255)" in ring  # --focus, drawn above the stage

    duration = """(() => {
      const el = document.createElement('div');
      el.className = 'ab-job-fill';
      document.body.append(el);
      const d = getComputedStyle(el).transitionDuration;
      el.remove();
      return parseFloat(d);
    })()"""
    page.emulate_media(reduced_motion="no-preference")
    assert page.evaluate(duration) == pytest.approx(0.2)
    page.emulate_media(reduced_motion="reduce")
    assert page.evaluate(duration) < 0.001
    context.close()


@pytest.mark.parametrize(
    ("dialog", "opener", "shown"),
    [
        ("shortcuts", "?", ".ab-help-card"),
        ("share", "[data-testid=share-open]", "[data-testid=share-links]"),
        ("history", "[data-testid=history-open]", ".ab-history"),
    ],
)
def test_open_dialogs_have_no_serious_axe_violations(
    server, browser, axe_script, dialog, opener, shown
):
    """What floats over the board (a dialog, the history drawer) passes axe too."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.add_cookies(
        [{"name": "sessionid", "value": server.seed["lead"], "url": server.base_url}]
    )
    page = context.new_page()
    page.goto(f"{server.base_url}/boards/{server.seed['board']}/")
    page.wait_for_function(f"Boolean({BOARD_READY})", timeout=WAIT_MS)
    if opener.startswith("["):
        page.focus(opener)
        page.keyboard.press("Enter")
    else:
        page.focus("#ab-canvas")
        page.keyboard.press(opener)
    page.wait_for_selector(shown, state="visible", timeout=WAIT_MS)
    violations = run_axe(page, axe_script)
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    assert not failing, f"axe with the {dialog} open:\n{describe(failing)}"
    context.close()


def test_skip_links_and_g_open_folded_panels_on_a_tablet(server, browser):
    """At tablet width the panels are closed (inert) drawers: a skip link or G opens the
    drawer it points into, so the focus really lands there."""
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    context.add_cookies(
        [{"name": "sessionid", "value": server.seed["lead"], "url": server.base_url}]
    )
    page = context.new_page()
    page.goto(f"{server.base_url}/boards/{server.seed['board']}/")
    page.wait_for_function(f"Boolean({BOARD_READY})", timeout=WAIT_MS)
    assert page.evaluate("document.querySelector('.ab-side.left').inert") is True

    for _ in range(3):
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the layers"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "ab-layers-panel"
    assert page.evaluate("document.querySelector('.ab-side.left').inert") is False

    page.keyboard.press("Tab")  # into the tree, then G from there
    page.keyboard.press("g")
    assert page.evaluate("document.activeElement.dataset.testid") == "gen-prompt"
    assert page.evaluate("document.querySelector('.ab-side.right').inert") is False
    context.close()
