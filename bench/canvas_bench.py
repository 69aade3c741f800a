"""Canvas benchmark: how a 2,000-image board feels in a real browser.

Builds a board of ``--items`` image items (default 2,000, a 50-column grid centred on the
board origin) in a throwaway data folder, every image a distinct generated 320 × 240 PNG
uploaded through ``assets.services.ingest_bytes`` so its preview pyramid exists, and places
them with ``apply_batch`` as the editor would. Items are 64 × 48 board units, so at 100 %
the view shows about 200 of them, each drawn from the 256 px WebP level. Then it starts
``manage.py serve`` (Daphne, embedded workers), opens the board in headless Chromium with
Playwright and measures, inside the page:

- first paint, twice, each in a fresh browser context (cold caches): from navigation start
  to the first animation frame in which an image is drawn, and to the frame in which
  every image node of the opening view has its bitmap. Once as the page opens by itself
  (it zooms to fit the whole board: all 2,000 items in view), once at 100 % with ~200 in
  view (the bench swaps the page's first zoom-to-fit for a 100 % camera);
- on the 100 % page, panning: ``--seconds`` s of wheel events (one per frame, 600 CSS
  px/s, rightwards then downwards, so new items keep entering the view and loading);
- and zooming: ``--seconds`` s of ctrl+wheel zoom, 100 % → 25 % (the whole board in view)
  → 200 %, one event per frame;
- for each gesture, frame times from requestAnimationFrame (median, p95, max), the number
  of frames longer than 50 ms, and the JS heap (CDP ``Runtime.getHeapUsage``) plus the
  renderer's decoded-bitmap cache size (bitmaps live outside the JS heap), and the page's
  main-thread busy time per second (CDP Performance ``TaskDuration``/``ScriptDuration``).

Usage: .venv/bin/python bench/canvas_bench.py [--items 2000] [--seconds 5] [--chromium PATH]
       [--ws-limit-mib 1] [--keep | --data DIR | --reuse DIR] [--seed-only]
(seeding, the data folder and the server: bench/seeding.py)

Websocket message cap: Daphne (and ``manage.py serve``) refuse to send any websocket
message above 1 MiB. The snapshot of this 2,000-image board is ~1.33 MB, so the server
sends it in parts (docs/protocol.md); the bench runs ``serve`` with the shipped cap by
default, and prints the snapshot size.

DATABASE_URL, REDIS_URL and S3 settings from the environment are ignored on purpose; the
data folder is deleted at the end unless --keep is given. This script must not be
imported by the application or the tests.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os

import seeding  # bench/ is on sys.path when this file runs as a script

COLUMNS = 50
ITEM_SIZE = (64, 48)  # board units
PITCH = (80, 60)  # grid spacing, board units
IMAGE_SIZE = (320, 240)  # pixels of each original: one 256 px preview level
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--enable-precise-memory-info",
]
VIEWPORT = {"width": 1440, "height": 900}
OPENING_TIMEOUT_MS = 180_000
# Centred on the origin, where the page's opening camera looks.
GRID = seeding.Grid(COLUMNS, ITEM_SIZE, PITCH, centred=True, label="tile")


def generated_png(index: int) -> bytes:
    """A distinct image per item: a gradient tinted by the index plus a sharp bar."""
    return seeding.picture(index, IMAGE_SIZE, encoding="PNG")


# --- the measurement (runs in the parent) ---------------------------------------------------

# Installed before any page script: records, per animation frame from navigation on, how
# many image nodes exist and how many already draw a bitmap.
FRAME_PROBE = """
(() => {
  const log = [];
  window.__benchPaint = log;
  // The default buffer keeps 250 entries; a board this size fetches thousands of images.
  performance.setResourceTimingBufferSize(100000);
  const tick = (t) => {
    const ab = window.__anchorboard;
    if (ab && ab.renderer && ab.renderer.entries) {
      let nodes = 0, drawn = 0;
      for (const e of ab.renderer.entries.values()) {
        if (e.item.kind !== 'image') continue;
        nodes += 1;
        if (e.image && e.image.image()) drawn += 1;
      }
      log.push([t, nodes, drawn]);
      if (nodes > 0 && drawn === nodes) return;  // opening view complete: stop probing
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
"""

# Drives one gesture for `seconds`: a synthetic wheel event per frame on the stage, sized
# from the time since the previous frame so the path does not depend on the frame rate,
# and the frame times between consecutive animation frames.
GESTURE = """
async ([kind, seconds]) => {
  const ab = window.__anchorboard;
  const stage = document.querySelector('.ab-stage');
  const target = stage.querySelector('canvas') || stage;
  const box = stage.getBoundingClientRect();
  const cx = box.left + box.width / 2, cy = box.top + box.height / 2;
  const times = [];
  const start = performance.now();
  let last = start;
  await new Promise((resolve) => {
    const frame = (t) => {
      const dt = t - last;
      times.push(dt);
      last = t;
      const elapsed = (t - start) / 1000;
      if (elapsed >= seconds) return resolve();
      const half = seconds / 2, firstHalf = elapsed < half;
      let init;
      if (kind === 'pan') {
        // 600 CSS px/s, right for the first half, then down: new items keep arriving.
        const step = 0.6 * dt;
        init = firstHalf ? {deltaX: step, deltaY: 0} : {deltaX: 0, deltaY: step};
      } else {
        // Log-linear: 100 % → 25 % (the whole board in view) → 200 %. The editor turns a
        // ctrl+wheel deltaY below 40 into a zoom factor of exp(-deltaY / 100).
        const p = firstHalf ? elapsed / half : (elapsed - half) / half;
        const want = firstHalf ? Math.pow(0.25, p) : 0.25 * Math.pow(8, p);
        const dy = Math.max(-39, Math.min(39, -100 * Math.log(want / ab.editor.camera.zoom)));
        init = {deltaY: dy, ctrlKey: true};
      }
      target.dispatchEvent(new WheelEvent('wheel', {
        ...init, deltaMode: 0, clientX: cx, clientY: cy, bubbles: true, cancelable: true}));
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
  return {times: times.slice(1), stats: ab.stats()};
}
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summarise(times: list[float]) -> dict[str, float]:
    return {
        "frames": len(times),
        "median_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
        "max_ms": max(times) if times else float("nan"),
        "long_frames": sum(1 for t in times if t > 50),
    }


def main_thread_seconds(cdp) -> tuple[float, float]:
    """(TaskDuration, ScriptDuration) of the page's renderer so far, from CDP metrics."""
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return metrics.get("TaskDuration", 0.0), metrics.get("ScriptDuration", 0.0)


def heap_mb(cdp) -> float:
    cdp.send("HeapProfiler.collectGarbage")
    return cdp.send("Runtime.getHeapUsage")["usedSize"] / 1e6


OPENING_DONE = (
    "(() => { const l = window.__benchPaint || []; const f = l[l.length - 1];"
    " return f && f[1] > 0 && f[2] === f[1]; })()"
)

# What the page looks like once its opening view is drawn (or the wait gave up).
OPENING_STATE = """() => {
  const ab = window.__anchorboard, vp = ab.editor.viewport, cam = ab.editor.camera;
  const left = -cam.panX / cam.zoom, top = -cam.panY / cam.zoom;
  const right = left + vp.width / cam.zoom, bottom = top + vp.height / cam.zoom;
  const inView = ab.doc.ordered().filter((i) => i.x < right && i.x + i.width > left
    && i.y < bottom && i.y + i.height > top).length;
  const fetches = performance.getEntriesByType('resource')
    .filter((r) => r.name.includes('/files/'));
  const statuses = {};
  for (const r of fetches) statuses[r.responseStatus] = (statuses[r.responseStatus] || 0) + 1;
  const undrawn = [...ab.renderer.entries.values()]
    .filter((e) => e.item.kind === 'image' && !(e.image && e.image.image()))
    .slice(0, 5).map((e) => ({want: e.wantUrl || null, shown: e.shownUrl || null}));
  const snapshotBytes = new TextEncoder().encode(JSON.stringify(
    {type: 'snapshot', revision: ab.sync.revision, items: ab.doc.ordered()})).length;
  return {inView, viewport: vp, stats: ab.stats(), statuses, undrawn, snapshotBytes,
          fetchMs: fetches.map((r) => r.responseEnd - r.startTime)};
}"""

# The page zooms to fit the whole board on its first sync. For the "~200 in view" opening
# the bench replaces that one call (before the page's script runs) with a 100 % camera
# centred on the board origin; everything else is the page's own code.
OPEN_AT_100 = """
(() => {
  let handle;
  Object.defineProperty(window, '__anchorboard', {
    configurable: true,
    get: () => handle,
    set: (value) => {
      handle = value;
      const editor = value.editor;
      editor.zoomToFit = () => editor.setCamera(
        {panX: editor.viewport.width / 2, panY: editor.viewport.height / 2, zoom: 1});
    },
  });
})();
"""


def open_board(browser, base_url: str, seed: dict, at_100: bool):
    """A fresh context (cold HTTP and bitmap caches); returns (page, cdp, first paint)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    context.add_cookies([{"name": "sessionid", "value": seed["session"], "url": base_url}])
    context.add_init_script(FRAME_PROBE)
    if at_100:
        context.add_init_script(OPEN_AT_100)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    cdp = context.new_cdp_session(page)
    cdp.send("Runtime.enable")
    cdp.send("Performance.enable")
    page.goto(f"{base_url}/boards/{seed['board']}/")
    # A timeout is reported as an incomplete opening view, with diagnostics.
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(OPENING_DONE, timeout=OPENING_TIMEOUT_MS)
    log = page.evaluate("window.__benchPaint")
    first = next((t for t, nodes, drawn in log if drawn > 0), float("nan"))
    complete = next((t for t, nodes, drawn in log if nodes and drawn == nodes), float("nan"))
    last = log[-1] if log else [0, 0, 0]
    state = page.evaluate(OPENING_STATE)
    paint = {
        "first_image_ms": first,
        "opening_view_ms": complete,
        "drawn_at_end": f"{last[2]}/{last[1]}",
        "status": state["stats"]["status"],
        "zoom": state["stats"]["zoom"],
        "snapshot_mb": state["snapshotBytes"] / 1e6,
        "in_view": state["inView"],
        "image_nodes": state["stats"]["nodes"],
        "documentItems": state["stats"]["documentItems"],
        "viewport": state["viewport"],
        "heap_mb": heap_mb(cdp),
        "bitmap_cache_mb": state["stats"]["cacheBytes"] / 1e6,
        "image_requests": len(state["fetchMs"]),
        "image_statuses": state["statuses"],
        "image_fetch_median_ms": percentile(state["fetchMs"], 50),
        "image_fetch_p95_ms": percentile(state["fetchMs"], 95),
        "undrawn_sample": state["undrawn"],
        "page_errors": errors,
    }
    return page, cdp, paint


def measure(chromium: str, base_url: str, seed: dict, seconds: float) -> dict:
    from playwright.sync_api import sync_playwright

    results: dict = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=LAUNCH_ARGS)
        try:
            # 1. What a designer gets: the page fits the whole board, every item in view.
            page, _, results["open_fit"] = open_board(browser, base_url, seed, at_100=False)
            page.context.close()
            # 2. The ~200-in-view case at 100 %, cold caches; the gestures run on this page.
            page, cdp, results["open_100"] = open_board(browser, base_url, seed, at_100=True)
            for kind in ("pan", "zoom"):
                # Pan starts over the board's top-left part so its path stays on the grid;
                # zoom starts from the opening camera.
                centre = (-1200, -600) if kind == "pan" else (0, 0)
                page.evaluate(
                    "([x, y]) => { const ab = window.__anchorboard, vp = ab.editor.viewport;"
                    " ab.editor.setCamera({panX: vp.width / 2 - x, panY: vp.height / 2 - y,"
                    " zoom: 1}); }",
                    list(centre),
                )
                page.wait_for_timeout(1000)
                before = main_thread_seconds(cdp)
                run = page.evaluate(GESTURE, [kind, seconds])
                after = main_thread_seconds(cdp)
                results[kind] = {
                    **summarise(run["times"]),
                    # Renderer main-thread time spent in tasks / in script, per second of
                    # gesture: near 1.0 means the page itself is the bottleneck, well below
                    # 1.0 with long frames means the process was waiting (CPU contention,
                    # raster, decoding in other threads).
                    "busy_per_s": (after[0] - before[0]) / seconds,
                    "script_per_s": (after[1] - before[1]) / seconds,
                    "heap_mb": heap_mb(cdp),
                    "bitmap_cache_mb": run["stats"]["cacheBytes"] / 1e6,
                    "nodes_at_end": run["stats"]["nodes"],
                    "zoom_at_end": run["stats"]["zoom"],
                }
        finally:
            browser.close()
    return results


def print_table(results: dict, seed: dict, items: int) -> None:
    fit, at100 = results["open_fit"], results["open_100"]
    print()
    print(
        f"Canvas bench: {items} image items ({IMAGE_SIZE[0]}×{IMAGE_SIZE[1]} originals, "
        f"256 px WebP level), viewport {at100['viewport']['width']}×"
        f"{at100['viewport']['height']} CSS px"
    )
    print(f"  seeding: {seed['seed_seconds']:.1f} s ({seed['ingest_seconds']:.1f} s uploads)")
    print(
        f"  load average (1/5/15 min) before/after: {results['load_before']} / "
        f"{results['load_after']}  on {os.cpu_count()} CPUs"
    )
    print(
        f"  snapshot ≈ {at100['snapshot_mb']:.2f} MB (re-serialised by the page); "
        f"server websocket cap {results['ws_limit_mib']} MiB"
    )
    print(
        f"  {'opening (cold caches)':<26}{'zoom':>6}{'in view':>9}{'first image':>13}"
        f"{'all drawn':>11}{'requests':>10}{'fetch p50/p95':>15}{'heap MB':>9}{'bitmaps MB':>12}"
    )
    for label, r in (("fit board (page default)", fit), ("100 %, origin centred", at100)):
        print(
            f"  {label:<26}{r['zoom']:>6.2f}{r['in_view']:>9}{r['first_image_ms']:>10.0f} ms"
            f"{r['opening_view_ms']:>8.0f} ms{r['image_requests']:>10}"
            f"{r['image_fetch_median_ms']:>7.0f}/{r['image_fetch_p95_ms']:<4.0f}ms"
            f"{r['heap_mb']:>9.1f}{r['bitmap_cache_mb']:>12.1f}"
        )
        if r["drawn_at_end"].split("/")[0] != r["drawn_at_end"].split("/")[1]:
            print(f"    incomplete: {r['drawn_at_end']} drawn, socket {r['status']}")
        if r["page_errors"]:
            print(f"    page errors: {r['page_errors']}")
    header = (
        f"  {'gesture (100 %)':<16}{'frames':>8}{'median ms':>11}{'p95 ms':>9}{'max ms':>9}"
        f"{'>50 ms':>8}{'busy':>6}{'script':>7}{'heap MB':>9}{'bitmaps MB':>12}{'nodes':>7}"
        f"{'zoom':>7}"
    )
    print(header)
    for kind in ("pan", "zoom"):
        r = results[kind]
        print(
            f"  {kind:<16}{r['frames']:>8}{r['median_ms']:>11.1f}{r['p95_ms']:>9.1f}"
            f"{r['max_ms']:>9.1f}{r['long_frames']:>8}{r['busy_per_s']:>6.2f}"
            f"{r['script_per_s']:>7.2f}{r['heap_mb']:>9.1f}"
            f"{r['bitmap_cache_mb']:>12.1f}{r['nodes_at_end']:>7}{r['zoom_at_end']:>7.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    seeding.add_data_arguments(parser)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument(
        "--chromium", default=os.environ.get("ANCHORBOARD_CHROMIUM", "/usr/bin/chromium")
    )
    parser.add_argument(
        "--ws-limit-mib",
        type=int,
        default=1,
        help="websocket message cap for the server (shipped: 1 MiB)",
    )
    parser.add_argument("--json", action="store_true", help="also print the raw results")
    args = parser.parse_args()
    if args.seed_child is not None:
        seeding.seed_board(args.seed_child, GRID, generated_png, "Canvas bench")
        return
    if not args.seed_only and not os.path.exists(args.chromium):
        raise SystemExit(f"Chromium not found at {args.chromium}; pass --chromium PATH.")
    with seeding.data_folder(args, "canvas-bench") as data_dir:
        seed = seeding.seeded(__file__, "canvas", data_dir, args)
        if args.seed_only:
            return
        with seeding.serving(data_dir, args.ws_limit_mib) as base_url:
            load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
            results = measure(args.chromium, base_url, seed, args.seconds)
        results["load_before"] = load_before
        results["load_after"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
        results["ws_limit_mib"] = args.ws_limit_mib
        print_table(results, seed, seed["items"])
        if args.json:
            print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
