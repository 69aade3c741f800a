"""A stale drift mark arriving live on an open board: the lead unmarks the palette anchor in
the properties panel, and without a reload every result's mark in the staging strip turns
stale ("anchors or brand kit changed: re-checking", drawn dashed) and then shows the
re-score against the anchors left (canvas.governance.rescore; the server runs it as the
edit commits).

Seed: the drift board of ``test_drift_ui_e2e`` (lit-ball anchors, four consistent results,
two drifted), scored as they landed. Both states are checked where people see them (a
MutationObserver on the strip records every state each mark goes through, so a state shown
for a moment is not missed) and on the wire (the ``consistency`` frames, in order).
"""

from __future__ import annotations

import json

import pytest

from tests.browser.test_drift_ui_e2e import drift_seed, open_as_lead
from tests.frontend.browser_server import BrowserServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

WAIT_MS = 60_000

RECORD_MARKS = """
() => {
  window.__markStates = [];
  const strip = document.querySelector('[data-testid=staging-strip]');
  const seen = () => {
    for (const badge of strip.querySelectorAll('[data-testid=drift-badge]')) {
      const thumb = badge.closest('.ab-staging-thumb');
      window.__markStates.push([thumb.dataset.iteration, badge.dataset.stale === 'true']);
    }
  };
  new MutationObserver(seen).observe(strip, {subtree: true, childList: true, attributes: true});
}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = BrowserServer(tmp_path_factory.mktemp("drift-stale") / "data", seed_script=drift_seed(4))
    srv.start()
    yield srv
    srv.stop()


def test_an_anchor_edit_turns_the_marks_stale_then_re_scored_live(server, browser):
    context, page, errors = open_as_lead(browser, server, f"/boards/{server.seed['board']}/")
    frames: list[dict] = []

    def on_socket(ws) -> None:
        def received(payload) -> None:
            message = json.loads(payload) if isinstance(payload, str) else None
            if message and message.get("type") == "consistency":
                frames.append(message)

        ws.on("framereceived", received)

    page.on("websocket", on_socket)
    page.reload()  # the listener sees the board socket from its start
    page.wait_for_function(
        "document.querySelectorAll('.ab-staging-thumb [data-testid=drift-badge]').length === 6",
        timeout=WAIT_MS,
    )
    page.wait_for_function(
        "window.__anchorboard && window.__anchorboard.stats().status === 'online'",
        timeout=WAIT_MS,
    )
    lighting = server.seed["drifted"]["lighting"]
    badge = f".ab-staging-thumb[data-iteration='{lighting}'] [data-testid=drift-badge]"
    assert page.get_attribute(badge, "data-stale") is None
    assert page.get_attribute(badge, "aria-label") == "Drifted: lighting"
    page.evaluate(RECORD_MARKS)

    # The lead unmarks the palette anchor (select it, Properties → Anchor role).
    palette = page.evaluate(
        "window.__anchorboard.doc.ordered().find(i => i.anchor_role === 'palette').id"
    )
    page.evaluate(f"window.__anchorboard.editor.select([{palette!r}])")
    role = page.locator("select[data-prop=anchor_role]")
    role.wait_for(state="attached", timeout=WAIT_MS)
    role.evaluate("el => { el.value = ''; el.dispatchEvent(new Event('change')); }")

    # Stale first, then re-scored: every result, in that order, without a reload.
    page.wait_for_function(
        """() => {
            const states = window.__markStates;
            const ids = new Set(states.map(([id]) => id));
            if (ids.size < 6) return false;
            return [...ids].every(id => {
                const own = states.filter(([i]) => i === id).map(([, stale]) => stale);
                const first = own.indexOf(true);
                return first >= 0 && own.slice(first).includes(false) && own.at(-1) === false;
            });
        }""",
        timeout=WAIT_MS,
    )
    assert page.get_attribute(badge, "data-stale") is None
    assert page.locator("[data-testid=drift-badge][data-stale=true]").count() == 0
    # The lighting drift is still flagged against the anchors left.
    assert page.get_attribute(badge, "aria-label") == "Drifted: lighting"

    # On the wire: a stale announcement with the old (palette) scores, then the re-score.
    stale_at = next(
        n for n, m in enumerate(frames) if any(r["consistency"]["stale"] for r in m["results"])
    )
    stale = frames[stale_at]["results"]
    assert all(r["consistency"]["stale"] and "palette" in r["consistency"]["scores"] for r in stale)
    fresh = [r for m in frames[stale_at + 1 :] for r in m["results"]]
    assert {r["iteration"] for r in fresh} == {r["iteration"] for r in stale}
    assert not any(r["consistency"]["stale"] for r in fresh)
    assert not any("palette" in r["consistency"]["scores"] for r in fresh)
    context.close()
    assert errors == []
