"""Whole-board bench (issue 18): open a 2,000-image board zoomed to fit, cold, until every
image is drawn at the resolution the zoom needs; then zoom out 0.25 → 0.05.

Seeds ``--items`` (default 2,000) distinct 256 × 256 JPEGs in a 50-column grid (50 × 40)
through the app (``assets.services.ingest_bytes``, the upload endpoint's function, and
``apply_batch``, the board socket's write path) into a throwaway data folder, with tasks
inline, so previews and the board's atlas sheets are built as the items commit. Items are
256 × 256 board units, 288 apart. Then ``manage.py serve`` (Daphne, embedded workers) and
headless Chromium (``/usr/bin/chromium``, never a downloaded browser), at 1280 × 800:

- **open to fit, cold** (a fresh browser context each run): from navigation start to the
  first animation frame in which the renderer's own counters say every image node draws
  pixels (``imagesDrawn``) and every one draws what the zoom needs (``imagesSettled``:
  its atlas cell below 64 device px, else its preview level), plus the requests under
  ``/files/`` (resource timing) and the loader's fetches;
- **zoom out 0.25 → 0.05**: from the settled fit, the camera at 0.25 (centred) until
  settled, then ``--seconds`` of ctrl+wheel (one event per frame, log-linear): frame
  times (median, p95, max, > 50 ms) and the most image nodes without pixels in any frame
  (placeholders), and how many draw atlas cells at the end.

Each run is done twice, interleaved: with the atlas and without it (the page's atlas
index request is refused, so the renderer loads images one by one, as before the atlas).
Prints a table with the load average (the machine is shared); numbers are printed, never
asserted.

Usage: .venv/bin/python bench/board_open_bench.py [--items 2000] [--runs 3] [--seconds 3]
       [--keep | --data DIR | --reuse DIR] [--seed-only] [--only atlas|per-image]
(seeding, the data folder and the server: bench/seeding.py)
This script must not be imported by the application or the tests.
"""

from __future__ import annotations

import argparse
import contextlib
import os

import canvas_bench as cb  # the canvas bench's statistics (bench/ is on sys.path)
import seeding  # the scene, its data folder, the server (bench/seeding.py)

COLUMNS = 50
ITEM = 256  # board units, and pixels of each JPEG
PITCH = 288
VIEWPORT = {"width": 1280, "height": 800}
OPEN_TIMEOUT_MS = 120_000


GRID = seeding.Grid(COLUMNS, (ITEM, ITEM), (PITCH, PITCH), centred=False, label="photo")


def jpeg(index: int) -> bytes:
    """A distinct 256 × 256 photo-like JPEG: a tinted gradient, noise and a bar."""
    return seeding.picture(
        index, (ITEM, ITEM), tint=0.4, bar="rows", bar_width=20, bar_value=250, noise=12
    )


# Per animation frame from navigation on: [time, image nodes, drawing pixels, settled].
OPEN_PROBE = """
(() => {
  const log = [];
  window.__openLog = log;
  performance.setResourceTimingBufferSize(100000);
  const tick = (t) => {
    const ab = window.__anchorboard;
    if (ab && ab.renderer) {
      const s = ab.renderer.stats();
      if (!window.__onlineAt && ab.stats().status === 'online') window.__onlineAt = t;
      log.push([t, s.images, s.imagesDrawn, s.imagesSettled]);
      if (s.images >= %d && s.imagesSettled === s.images && s.loading === 0) return;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
"""

OPEN_DONE = (
    "(n) => { const l = window.__openLog || []; const f = l[l.length - 1];"
    " return f && f[1] >= n && f[3] === f[1]; }"
)

FILES = """() => performance.getEntriesByType('resource')
  .filter((r) => new URL(r.name).pathname.startsWith('/files/'))
  .map((r) => [new URL(r.name).pathname, r.startTime, r.responseEnd])"""

SETTLED = (
    "() => { const s = window.__anchorboard.renderer.stats();"
    " return s.images > 0 && s.imagesSettled === s.images && s.loading === 0; }"
)

# ctrl+wheel, one event per frame, log-linear from the camera's zoom to `to` in `seconds`;
# frame times, and the most image nodes without pixels in any frame.
ZOOM_OUT = """
async ([to, seconds]) => {
  const ab = window.__anchorboard;
  const stage = document.querySelector('.ab-stage');
  const target = stage.querySelector('canvas') || stage;
  const box = stage.getBoundingClientRect();
  const cx = box.left + box.width / 2, cy = box.top + box.height / 2;
  const from = ab.editor.camera.zoom;
  const times = [];
  let blank = 0;
  const start = performance.now();
  let last = start;
  await new Promise((resolve) => {
    const frame = (t) => {
      times.push(t - last);
      last = t;
      const s = ab.renderer.stats();
      blank = Math.max(blank, s.images - s.imagesDrawn);
      const p = Math.min(1, (t - start) / 1000 / seconds);
      if (p >= 1) return resolve();
      const want = from * Math.pow(to / from, p);
      const dy = Math.max(-39, Math.min(39, -100 * Math.log(want / ab.editor.camera.zoom)));
      target.dispatchEvent(new WheelEvent('wheel', {deltaY: dy, ctrlKey: true, deltaMode: 0,
        clientX: cx, clientY: cy, bubbles: true, cancelable: true}));
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
  return {times: times.slice(1), blank, stats: ab.renderer.stats(), zoom: ab.editor.camera.zoom};
}
"""


def one_run(browser, base_url: str, seed: dict, atlas: bool, seconds: float) -> dict:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    context.add_cookies([{"name": "sessionid", "value": seed["session"], "url": base_url}])
    context.add_init_script(OPEN_PROBE % seed["items"])
    if not atlas:
        context.route("**/atlas.json", lambda route: route.fulfill(status=404, body="{}"))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{base_url}/boards/{seed['board']}/")
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function(OPEN_DONE, arg=seed["items"], timeout=OPEN_TIMEOUT_MS)
        log = page.evaluate("window.__openLog")
        n = seed["items"]
        pixels = next((t for t, imgs, drawn, _ in log if imgs >= n and drawn == imgs), None)
        settled = next((t for t, imgs, _, done in log if imgs >= n and done == imgs), None)
        stats = page.evaluate("window.__anchorboard.renderer.stats()")
        files = page.evaluate(FILES)
        index_at = [end for path, _, end in files if path.endswith("atlas.json")]
        sheets_at = [end for path, _, end in files if "/atlas/" in path]
        result = {
            "online_ms": page.evaluate("window.__onlineAt || null"),
            "index_ms": min(index_at) if index_at else None,
            "sheets_ms": max(sheets_at) if sheets_at else None,
            "all_pixels_ms": pixels,
            "all_settled_ms": settled,
            "drawn_at_end": f"{log[-1][2] if log else 0}/{log[-1][1] if log else 0}",
            "requests": len(files),
            "fetches": stats["fetches"],
            "from_atlas": stats["fromAtlas"],
            "fit_zoom": page.evaluate("window.__anchorboard.editor.camera.zoom"),
        }
        # Zoom out from 0.25, centred, once that view has settled.
        page.evaluate(
            "() => { const ab = window.__anchorboard, vp = ab.editor.viewport;"
            f" const cx = {COLUMNS * PITCH / 2}, cy = {(-(-n // COLUMNS)) * PITCH / 2};"
            " ab.editor.setCamera({panX: vp.width / 2 - cx * 0.25,"
            " panY: vp.height / 2 - cy * 0.25, zoom: 0.25}); }"
        )
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_timeout(300)
            page.wait_for_function(SETTLED, timeout=OPEN_TIMEOUT_MS)
        run = page.evaluate(ZOOM_OUT, [0.05, seconds])
        summary = cb.summarise(run["times"])
        result.update(
            {
                "zoom_p50_ms": summary["median_ms"],
                "zoom_p95_ms": summary["p95_ms"],
                "zoom_max_ms": summary["max_ms"],
                "zoom_long_frames": summary["long_frames"],
                "zoom_frames": summary["frames"],
                "zoom_blank_max": run["blank"],
                "zoom_end_atlas": f"{run['stats']['fromAtlas']}/{run['stats']['images']}",
                "zoom_end": run["zoom"],
                "page_errors": errors,
            }
        )
        return result
    finally:
        context.close()


def fmt(value, unit: str = "", width: int = 9) -> str:
    if value is None:
        return f"{'—':>{width}}"
    return f"{value:>{width - len(unit)}.0f}{unit}"


def print_table(rows: list[tuple[str, dict]], seed: dict, loads: list[str]) -> None:
    print()
    print(
        f"Whole-board bench: {seed['items']} images (256 px JPEGs, 50 columns), "
        f"{VIEWPORT['width']}×{VIEWPORT['height']}, headless Chromium, software raster"
    )
    print(
        f"  seeding: uploads {seed['ingest_seconds']:.0f} s, placing (incl. inline atlas) "
        f"{seed['place_seconds']:.1f} s, {seed['sheets']} atlas sheets"
    )
    print(f"  load average (1/5/15 min) per run: {'; '.join(loads)} on {os.cpu_count()} CPUs")
    print(
        f"  {'run':<12}{'fit zoom':>9}{'pixels':>10}{'settled':>10}{'requests':>10}"
        f"{'atlas':>7}{'zoom p50':>10}{'p95':>8}{'max':>8}{'>50ms':>7}{'blank':>7}{'end atlas':>11}"
        f"{'online':>9}{'index':>9}{'sheets':>9}"
    )
    for label, r in rows:
        print(
            f"  {label:<12}{r['fit_zoom']:>9.3f}{fmt(r['all_pixels_ms'], ' ms', 10)}"
            f"{fmt(r['all_settled_ms'], ' ms', 10)}{r['requests']:>10}{r['from_atlas']:>7}"
            f"{r['zoom_p50_ms']:>7.1f} ms{r['zoom_p95_ms']:>5.1f} ms{r['zoom_max_ms']:>5.0f} ms"
            f"{r['zoom_long_frames']:>7}{r['zoom_blank_max']:>7}{r['zoom_end_atlas']:>11}"
            f"{fmt(r['online_ms'])}{fmt(r['index_ms'])}{fmt(r['sheets_ms'])}"
        )
        if r["page_errors"]:
            print(f"    page errors: {r['page_errors']}")
        if r["all_settled_ms"] is None:
            print(f"    incomplete after {OPEN_TIMEOUT_MS / 1000:.0f} s: {r['drawn_at_end']} drawn")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    seeding.add_data_arguments(parser)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--only", choices=["atlas", "per-image"])
    parser.add_argument(
        "--chromium", default=os.environ.get("ANCHORBOARD_CHROMIUM", "/usr/bin/chromium")
    )
    args = parser.parse_args()
    if args.seed_child is not None:
        seeding.seed_board(args.seed_child, GRID, jpeg, "Whole board bench")
        return
    with seeding.data_folder(args, "board-open") as data_dir:
        seed = seeding.seeded(__file__, "board_open", data_dir, args)
        if args.seed_only:
            return
        from playwright.sync_api import sync_playwright

        modes = [args.only == "atlas"] if args.only else [True, False]
        rows: list[tuple[str, dict]] = []
        loads: list[str] = []
        with seeding.serving(data_dir) as base_url, sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=args.chromium, headless=True, args=cb.LAUNCH_ARGS
            )
            try:
                for run in range(args.runs):
                    for atlas in modes:  # interleaved: atlas, per-image, atlas, …
                        loads.append(" ".join(f"{x:.1f}" for x in os.getloadavg()))
                        label = f"{'atlas' if atlas else 'per-image'} #{run + 1}"
                        print(f"  {label} …", flush=True)
                        rows.append((label, one_run(browser, base_url, seed, atlas, args.seconds)))
            finally:
                browser.close()
        print_table(rows, seed, loads)


if __name__ == "__main__":
    main()
