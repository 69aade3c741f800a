"""Screenshots of the app for the README: ``python bench/screens.py`` (from the repo root,
with the project's venv: ``.venv/bin/python bench/screens.py``).

Starts a throwaway server on the demo board (the browser-test server helper: a temporary
data folder, ``manage.py serve`` with its embedded job worker and the local engine), opens
it in headless Chromium (``ANCHORBOARD_CHROMIUM`` or /usr/bin/chromium, never a downloaded
browser) and writes ``docs/screens/*.png``:

- ``board.png``     the demo board (anchors, frame, layers, properties)
- ``generate.png``  the generation panel with a job running over its region
- ``results.png``   a result applied as a layer, the others waiting in the staging strip
- ``compare.png``   before/after of a result
- ``review.png``    the review page
- ``client.png``    the client's view of a share link
- ``members.png``   the board's members screen (when the members pages are installed)
- ``phone-share.png``     the client's share link on an iPhone 13 (candidates strip open)
- ``phone-candidate.png`` a candidate full screen on that phone, with the verdict buttons
- ``tablet-board.png``    the board on an iPad (portrait), the Layers drawer open

``--size 1280x720`` and ``--out DIR`` take other sizes elsewhere (the README uses 1440×900);
the phone and tablet scenes use Playwright's device descriptors at device pixel ratio 1.
Prints the files written and how long each scene took; nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.frontend.browser_server import BrowserServer  # noqa: E402

WAIT_MS = 60_000
JOB_WAIT_MS = 240_000

SEED = """
import json
from django.contrib.auth import get_user_model
from django.test import Client
from canvas.demo import seed_demo
from canvas.models import BoardMember, Role, TeamMembership, TeamRole
from canvas.sharing import links
demo = seed_demo()
board = demo.board
owner = board.created_by
User = get_user_model()
alex = User.objects.create_user("alex", "alex@example.com", "unused-password-123",
                                first_name="Alex", last_name="Rivera")
sam = User.objects.create_user("sam", "sam@example.com", "unused-password-123",
                               first_name="Sam", last_name="Okafor")
BoardMember.objects.create(board=board, user=alex, role=Role.EDITOR)
BoardMember.objects.create(board=board, user=sam, role=Role.REVIEWER)
link, token = links.create_link(
    board, owner, label="Client round 1", permissions=["view", "comment", "approve"],
    expires_in_days=14, visibility="all_candidates",
)
out = {"board": str(board.pk), "share": f"/s/{token}/"}
for name, user in (("owner", owner), ("alex", alex)):
    c = Client()
    c.force_login(user)
    out[name] = c.cookies["sessionid"].value
print("SEED" + json.dumps(out))
"""

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def chromium() -> str:
    path = os.environ.get("ANCHORBOARD_CHROMIUM") or "/usr/bin/chromium"
    if not os.path.exists(path):
        sys.exit(f"Chromium not found at {path}; set ANCHORBOARD_CHROMIUM.")
    return path


def wait_board(page, items: int = 5) -> None:
    page.wait_for_function(
        "window.__anchorboard && window.__anchorboard.stats().status === 'online'"
        f" && window.__anchorboard.stats().documentItems >= {items}",
        timeout=WAIT_MS,
    )
    # Every visible image drawn from a decoded bitmap, not a placeholder.
    page.wait_for_function(
        "(() => { const s = window.__anchorboard.stats(); return s.loading === 0; })()",
        timeout=WAIT_MS,
    )
    page.evaluate("window.__anchorboard.renderer.flush && window.__anchorboard.renderer.flush()")


class Shooter:
    def __init__(
        self, browser, server: BrowserServer, size: tuple[int, int], out: Path, devices: dict
    ) -> None:
        self.browser = browser
        self.devices = devices
        self.server = server
        self.size = size
        self.out = out
        self.written: list[Path] = []

    def context(self, who: str | None):
        ctx = self.browser.new_context(
            viewport={"width": self.size[0], "height": self.size[1]}, device_scale_factor=1
        )
        if who:
            ctx.add_cookies(
                [{"name": "sessionid", "value": self.server.seed[who], "url": self.server.base_url}]
            )
        return ctx

    def device(self, name: str, who: str | None):
        """A context emulating a phone or tablet (touch, its size; pixel ratio 1)."""
        spec = {**self.devices[name], "device_scale_factor": 1}
        spec.pop("default_browser_type", None)
        ctx = self.browser.new_context(**spec)
        if who:
            ctx.add_cookies(
                [{"name": "sessionid", "value": self.server.seed[who], "url": self.server.base_url}]
            )
        return ctx

    def shot(self, page, name: str) -> None:
        height = (page.viewport_size or {"height": self.size[1]})["height"]
        page.mouse.move(2, height - 2)  # no hover effects or tooltips in the picture
        page.wait_for_timeout(150)
        path = self.out / f"{name}.png"
        page.screenshot(path=str(path))
        self.written.append(path)
        print(f"  wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")

    def run(self) -> None:
        board = self.server.seed["board"]
        ctx = self.context("owner")
        page = ctx.new_page()
        page.goto(f"{self.server.base_url}/boards/{board}/")
        wait_board(page)
        self.shot(page, "board")

        # A job on the composition sketch, photographed while it runs.
        page.evaluate(
            "window.__anchorboard.jobs.setRegion({x: 200, y: 150, width: 1000, height: 650})"
        )
        page.fill("[data-testid=gen-prompt]", "warm spring light, blossom palette, soft shadows")
        page.fill("[data-testid=gen-count]", "4")
        page.click("[data-testid=gen-submit]")
        page.wait_for_function(
            "[...window.__anchorboard.jobs.store.jobs.values()]"
            ".some(j => j.state === 'running' && j.progress > 0.1)",
            timeout=JOB_WAIT_MS,
        )
        # The panel as a designer sees it after pressing Generate: the prompt at the top (its
        # label whole), the status line and the queue below it.
        page.locator("[data-testid=gen-prompt]").evaluate(
            "el => (el.closest('label') || el).scrollIntoView({block: 'start'})"
        )
        page.wait_for_timeout(400)
        self.shot(page, "generate")

        page.wait_for_selector("[data-testid=staging-strip]", state="visible", timeout=JOB_WAIT_MS)
        page.wait_for_selector("[data-testid=job-card]", state="detached", timeout=WAIT_MS)
        page.wait_for_function(
            "[...document.querySelectorAll('.ab-staging-thumb img')].every(i => i.complete)",
            timeout=WAIT_MS,
        )
        page.click("[data-testid=staging-apply]")
        page.wait_for_function(
            "window.__anchorboard.doc.ordered().some(i => i.props.iteration)", timeout=WAIT_MS
        )
        page.wait_for_function("window.__anchorboard.stats().loading === 0", timeout=WAIT_MS)
        self.shot(page, "results")
        page.click("[data-testid=staging-compare]")
        page.wait_for_function(
            "(() => { const b = document.querySelector('[data-testid=compare-before]');"
            " const a = document.querySelector('[data-testid=compare-after]');"
            " return b.complete && a.complete && b.naturalWidth > 0 && a.naturalWidth > 0; })()",
            timeout=WAIT_MS,
        )
        page.locator("[data-testid=compare-slider]").fill("45")
        self.shot(page, "compare")
        page.keyboard.press("Escape")

        page.goto(f"{self.server.base_url}/boards/{board}/review/")
        page.wait_for_selector("[data-testid=candidate]", timeout=WAIT_MS)
        page.wait_for_function(
            "[...document.querySelectorAll('[data-testid=candidate] img')].every(i => i.complete)",
            timeout=WAIT_MS,
        )
        self.shot(page, "review")

        response = page.goto(f"{self.server.base_url}/boards/{board}/members/")
        if response is not None and response.status == 200:
            self.shot(page, "members")
        else:
            print("  members.png skipped: this build has no members page")
        ctx.close()

        guest = self.context(None)
        client = guest.new_page()
        client.goto(f"{self.server.base_url}{self.server.seed['share']}")
        name_field = client.locator("input[name=name]")
        if name_field.count():
            name_field.fill("Jordan (client)")
            client.locator("form button[type=submit]").first.click()
        wait_board(client, items=1)
        self.shot(client, "client")
        guest.close()
        self.phone_and_tablet()

    def phone_and_tablet(self) -> None:
        phone = self.device("iPhone 13", None)
        client = phone.new_page()
        client.goto(f"{self.server.base_url}{self.server.seed['share']}")
        wait_board(client, items=1)
        client.tap("[data-testid=filmstrip-toggle]")
        client.wait_for_function(
            "[...document.querySelectorAll('.ab-film-item img')].every(i => i.complete)",
            timeout=WAIT_MS,
        )
        self.shot(client, "phone-share")
        client.locator("[data-testid=filmstrip-item]").first.tap()
        client.wait_for_function(
            "(() => { const i = document.querySelector('[data-testid=viewer-image]');"
            " return i && i.complete && i.naturalWidth > 0; })()",
            timeout=WAIT_MS,
        )
        self.shot(client, "phone-candidate")
        phone.close()

        tablet = self.device("iPad (gen 7)", "owner")
        page = tablet.new_page()
        page.goto(f"{self.server.base_url}/boards/{self.server.seed['board']}/")
        wait_board(page)
        page.tap("[data-testid=panel-toggle-left]")
        self.shot(page, "tablet-board")
        tablet.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="1440x900", help="viewport, e.g. 1280x720")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screens"), help="folder for PNGs")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ab-screens-") as tmp:
        server = BrowserServer(Path(tmp) / "data", seed_script=SEED, with_workers=True)
        server.start()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=chromium(), headless=True, args=CHROMIUM_ARGS
                )
                try:
                    shooter = Shooter(browser, server, (width, height), out, dict(p.devices))
                    shooter.run()
                finally:
                    browser.close()
        finally:
            server.stop()
    print(
        json.dumps(
            {
                "size": f"{width}x{height}",
                "files": len(shooter.written),
                "seconds": round(time.monotonic() - started, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
