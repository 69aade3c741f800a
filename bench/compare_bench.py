"""Side by side: Anchorboard's board against tldraw with the same 2,000 images (issue 18).

The scene: ``--items`` (2,000) distinct 256 × 256 JPEGs in a 50-column grid (50 × 40),
each placed as a 256 × 256 item with a 272-unit pitch, centred on the origin. Anchorboard
gets them through the app (``ingest_bytes`` builds each preview pyramid, ``apply_batch``
places the items) and is served by ``manage.py serve``; tldraw gets the same JPEG files,
served as they are, on its own page (``bench/compare/``: the npm ``tldraw`` package built
with Vite, built on demand here; its default UI, an in-memory store).

Both pages are measured by the same code in headless Chromium (software raster, device
scale 1), in runs that alternate between the two apps, at two windows: 1280 × 800 for
both, and one where Anchorboard's canvas (the window less its toolbar and side panels) is
as large as tldraw's 1280 × 800 canvas. For each run, in fresh browser contexts (cold
caches):

- **open, fit**: the page opens zoomed to fit the whole board; the time from navigation
  until every image on show has its pixels (Anchorboard: every image node has a bitmap;
  tldraw: every image shape on show has a loaded ``<img>``);
- **pan**: at zoom 0.25 over the left part of the board, once the view is drawn, a
  warm-up pass then 4 s of settled pan (a wheel event per animation frame, 600 CSS px/s,
  2 s right then 2 s back over the warmed path): frame times from requestAnimationFrame
  (median, p95, frames > 50 ms) and the renderer's main-thread busy time per second
  (CDP ``Performance.getMetrics`` TaskDuration);
- **zoom out**: 0.25 → 0.05 in 2 s, one camera step per frame (log-linear, same centre):
  p95 frame time and how many images on show are still placeholders at the end;
- **heap**: the JS heap after a GC (CDP ``Runtime.getHeapUsage``; Anchorboard's decoded
  bitmaps live outside it, as tldraw's decoded ``<img>`` pixels do).

Usage: .venv/bin/python bench/compare_bench.py [--rounds 2] [--items 2000]
       [--keep | --data DIR | --reuse DIR] [--seed-only]
       [--only anchorboard|tldraw] [--windows both|1280|matched] [--json]
(seeding, the data folder and the server: bench/seeding.py)

The machine is shared: the script prints the load average before each run. Compare runs
of one invocation, not across invocations. It must not be imported by the application or
the tests.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import json
import os
import statistics
import subprocess
import threading
from pathlib import Path

import canvas_bench as cb  # bench/ is on sys.path when this file runs as a script
import seeding  # the scene, its data folder, the server (bench/seeding.py)

COMPARE = Path(__file__).resolve().parent / "compare"
COLUMNS = 50
SIZE = 256
PITCH = 272
PAN_ZOOM = 0.25
ZOOM_OUT_TO = 0.05
PAN_SECONDS = 4.0
ZOOM_SECONDS = 2.0
OPEN_TIMEOUT_MS = 120_000
WINDOW = {"width": 1280, "height": 800}
# --uncapped: frames are produced as fast as the page can, so a frame time is the time to
# make the frame rather than the 16.7 ms vsync interval (check that fps exceeds 60).
UNCAPPED = ["--disable-frame-rate-limit", "--disable-gpu-vsync"]


def pan_centre(items: int, canvas_width: int) -> tuple[float, float]:
    """Start of the pan: the view's left edge just inside the grid's left edge (both
    pages centre the grid on the origin)."""
    left, _ = GRID.origin(items)
    return (left + canvas_width / 2 / PAN_ZOOM + 100, 0.0)


# --- seeding (a child interpreter with Django set up) ---------------------------------------


GRID = seeding.Grid(COLUMNS, (SIZE, SIZE), (PITCH, PITCH), centred=True, label="tile")


def jpeg(index: int) -> bytes:
    """A distinct 256 × 256 JPEG per index: a tinted gradient and a sharp bar."""
    return seeding.picture(index, (SIZE, SIZE))


# --- the tldraw page ------------------------------------------------------------------------


def build_compare_page() -> Path:
    """bench/compare/dist, built (after an npm install) if it is not there yet."""
    dist = COMPARE / "dist"
    if (dist / "index.html").exists():
        return dist
    if not (COMPARE / "node_modules").exists():
        subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=COMPARE, check=True)
    subprocess.run(["npx", "vite", "build"], cwd=COMPARE, check=True)
    return dist


class StaticHandler(http.server.SimpleHTTPRequestHandler):
    """The built tldraw page at /, the bench's JPEGs at /img/."""

    def __init__(self, *args, dist: Path, images: Path, **kwargs):
        self.dist, self.images = dist, images
        super().__init__(*args, directory=str(dist), **kwargs)

    def translate_path(self, path: str) -> str:
        clean = path.split("?", 1)[0]
        if clean.startswith("/img/"):
            return str(self.images / Path(clean).name)
        return super().translate_path(path)

    def log_message(self, *args) -> None:  # quiet
        pass


def start_static(dist: Path, images: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(StaticHandler, dist=dist, images=images)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


# --- in-page scripts ------------------------------------------------------------------------

# How many images are on show and how many have pixels, for either page.
IMAGES = """() => {
  if (window.__tlImages) return window.__tlImages();
  const ab = window.__anchorboard;
  if (!ab || !ab.renderer || !ab.renderer.entries) return {shown: 0, drawn: 0};
  let shown = 0, drawn = 0;
  for (const e of ab.renderer.entries.values()) {
    if (e.item.kind !== 'image') continue;
    shown += 1;
    if (e.image && e.image.image()) drawn += 1;
  }
  return {shown, drawn};
}"""

# Per animation frame from navigation on: [t, shown, drawn]; stops once all are drawn.
OPEN_PROBE = (
    """
(() => {
  const log = [];
  window.__openLog = log;
  const images = """
    + IMAGES
    + """;
  const tick = (t) => {
    const s = images();
    log.push([t, s.shown, s.drawn]);
    if (s.shown > 0 && s.drawn === s.shown && log.length > 2) return;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
"""
)

OPEN_DONE = (
    "(() => { const l = window.__openLog || []; const f = l[l.length - 1];"
    " return !!f && f[1] > 0 && f[2] === f[1]; })()"
)

# Anchorboard opens with a zoom to fit; for the pan page the bench swaps that one call for
# the pan camera (before the page's script runs). Everything else is the page's own code.
AB_CAMERA = """
(([cx, cy, zoom]) => {
  let handle;
  Object.defineProperty(window, '__anchorboard', {
    configurable: true,
    get: () => handle,
    set: (value) => {
      handle = value;
      const editor = value.editor;
      editor.zoomToFit = () => editor.setCamera({panX: editor.viewport.width / 2 - cx * zoom,
        panY: editor.viewport.height / 2 - cy * zoom, zoom});
    },
  });
})
"""

# Camera helpers shared by the gestures: read the zoom, centre the camera on a board point.
CAMERA = """
const cam = {
  zoom: () => window.__tl ? window.__tl.getZoomLevel() : window.__anchorboard.editor.camera.zoom,
  set: (cx, cy, z) => {
    if (window.__tl) {
      const b = window.__tl.getViewportScreenBounds();
      window.__tl.setCamera({x: b.w / 2 / z - cx, y: b.h / 2 / z - cy, z});
    } else {
      const ed = window.__anchorboard.editor;
      ed.setCamera({panX: ed.viewport.width / 2 - cx * z, panY: ed.viewport.height / 2 - cy * z,
        zoom: z});
    }
  },
  centre: () => {
    if (window.__tl) {
      const c = window.__tl.getCamera(), b = window.__tl.getViewportScreenBounds();
      return [b.w / 2 / c.z - c.x, b.h / 2 / c.z - c.y];
    }
    const ed = window.__anchorboard.editor, c = ed.camera;
    return [(ed.viewport.width / 2 - c.panX) / c.zoom, (ed.viewport.height / 2 - c.panY) / c.zoom];
  },
  // Anchorboard's wheel handler takes events aimed at its stage (the canvases in it).
  target: () => document.querySelector('.tl-canvas') || document.querySelector('.ab-stage canvas'),
};
"""

# Pan: a wheel event per animation frame (600 CSS px/s), half the time right, then back.
PAN = (
    """
async (seconds) => {
"""
    + CAMERA
    + """
  const target = cam.target();
  const box = target.getBoundingClientRect();
  const cx = box.left + box.width / 2, cy = box.top + box.height / 2;
  const times = [];
  // Long animation frames (Chrome's LoAF: frames whose work took > 50 ms), as a cross-check.
  const loaf = [];
  const observer = new PerformanceObserver((list) => loaf.push(...list.getEntries()));
  try { observer.observe({type: 'long-animation-frame'}); } catch (e) { /* not supported */ }
  const from = cam.centre();
  let mid = null;
  const start = performance.now();
  let last = start;
  await new Promise((resolve) => {
    const frame = (t) => {
      const dt = t - last;
      times.push(dt);
      last = t;
      const elapsed = (t - start) / 1000;
      if (elapsed >= seconds) return resolve();
      if (mid === null && elapsed >= seconds / 2) mid = cam.centre();
      const step = 0.6 * dt * (elapsed < seconds / 2 ? 1 : -1);
      target.dispatchEvent(new WheelEvent('wheel', {deltaX: step, deltaY: 0, deltaMode: 0,
        clientX: cx, clientY: cy, bubbles: true, cancelable: true}));
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
  // How far the view travelled (board units): a pan that did not move measures nothing.
  observer.disconnect();
  return {times: times.slice(1), travel: mid ? Math.hypot(mid[0] - from[0], mid[1] - from[1]) : 0,
          loaf: loaf.length, loafMs: loaf.reduce((a, e) => a + e.duration, 0)};
}
"""
)

# Zoom out: one camera step per frame, log-linear from the current zoom to `to`, same centre.
ZOOM = (
    """
async ([to, seconds]) => {
"""
    + CAMERA
    + """
  const [x, y] = cam.centre();
  const from = cam.zoom();
  const times = [];
  const start = performance.now();
  let last = start;
  await new Promise((resolve) => {
    const frame = (t) => {
      times.push(t - last);
      last = t;
      const p = Math.min(1, (t - start) / 1000 / seconds);
      cam.set(x, y, from * Math.pow(to / from, p));
      if (p >= 1) return resolve();
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
  // One more frame so the last step is drawn before counting placeholders.
  await new Promise((r) => requestAnimationFrame(() => r()));
  return {times: times.slice(1), zoom: cam.zoom()};
}
"""
)


# --- measuring one app ----------------------------------------------------------------------


class App:
    """How to open each of the two pages; everything after opening is shared."""

    def __init__(self, name: str, base_url: str, seed: dict, items: int):
        self.name, self.base_url, self.seed, self.items = name, base_url, seed, items

    def context(self, browser, viewport: dict):
        context = browser.new_context(viewport=viewport, device_scale_factor=1)
        if self.name == "anchorboard":
            context.add_cookies(
                [{"name": "sessionid", "value": self.seed["session"], "url": self.base_url}]
            )
        context.add_init_script(OPEN_PROBE)
        return context

    def url(self, fit: bool, centre: tuple[float, float]) -> str:
        if self.name == "anchorboard":
            return f"{self.base_url}/boards/{self.seed['board']}/"
        query = f"n={self.items}&cols={COLUMNS}&size={SIZE}&pitch={PITCH}&zoom={PAN_ZOOM}"
        query += "&fit=1" if fit else f"&cx={centre[0]}&cy={centre[1]}"
        return f"{self.base_url}/index.html?{query}"


def canvas_size(page) -> dict:
    return page.evaluate(
        "(() => { const el = document.querySelector('.tl-canvas') || document.querySelector("
        "'.ab-surface'); const r = el.getBoundingClientRect();"
        " return {width: Math.round(r.width), height: Math.round(r.height)}; })()"
    )


def open_page(app: App, browser, viewport: dict, fit: bool, centre=(0.0, 0.0)):
    """A fresh context; returns (page, cdp, ms until every image on show is drawn or None)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    context = app.context(browser, viewport)
    if app.name == "anchorboard" and not fit:
        context.add_init_script(f"{AB_CAMERA}({json.dumps([centre[0], centre[1], PAN_ZOOM])});")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    page.goto(app.url(fit, centre))
    done = True
    try:
        page.wait_for_function(OPEN_DONE, timeout=OPEN_TIMEOUT_MS, polling=100)
    except PlaywrightTimeout:
        done = False
    log = page.evaluate("window.__openLog")
    last = log[-1] if log else [0, 0, 0]
    opened = {
        "all_drawn_ms": last[0] if done else None,
        "shown": last[1],
        "drawn": last[2],
        "errors": errors,
    }
    return page, cdp, opened


def chromium_cpu_seconds(browser_cdp) -> dict[str, float]:
    """CPU seconds used so far by the browser's processes, by type (renderer, gpu, browser…).

    CPU time, unlike the main thread's wall time (`busy s/s`), does not grow while a
    process waits for a core, so on a loaded machine it is what compares two builds.
    """
    totals: dict[str, float] = {}
    for proc in browser_cdp.send("SystemInfo.getProcessInfo")["processInfo"]:
        totals[proc["type"]] = totals.get(proc["type"], 0.0) + proc["cpuTime"]
    return totals


AB_DRAWS = (
    "(() => { const r = window.__anchorboard && window.__anchorboard.renderer;"
    " return r ? r.stats().draws : null; })()"
)


def run_app(app: App, browser, viewport: dict, open_fit: bool = True) -> dict:
    """One run: cold fit-open, then (fresh context) the pan and zoom-out at zoom 0.25."""
    result: dict = {"load": " ".join(f"{x:.1f}" for x in os.getloadavg())}
    if open_fit:
        page, _, result["open_fit"] = open_page(app, browser, viewport, fit=True)
        page.context.close()
    else:
        result["open_fit"] = {"all_drawn_ms": None, "shown": 0, "drawn": 0, "errors": []}

    # The same board point for both apps (tldraw's canvas is the whole 1280 px window).
    centre = pan_centre(app.items, WINDOW["width"])
    page, cdp, result["open_pan"] = open_page(app, browser, viewport, fit=False, centre=centre)
    result["canvas"] = canvas_size(page)
    page.evaluate(f"(() => {{ {CAMERA} cam.set({centre[0]}, {centre[1]}, {PAN_ZOOM}); }})()")
    page.evaluate(PAN, PAN_SECONDS)  # warm-up: the same path, so the measured pan is settled
    page.wait_for_timeout(1500)
    browser_cdp = browser.new_browser_cdp_session()
    before = cb.main_thread_seconds(cdp)
    cpu_before = chromium_cpu_seconds(browser_cdp)
    draws_before = page.evaluate(AB_DRAWS)
    pan = page.evaluate(PAN, PAN_SECONDS)
    draws_after = page.evaluate(AB_DRAWS)
    cpu_after = chromium_cpu_seconds(browser_cdp)
    after = cb.main_thread_seconds(cdp)
    browser_cdp.detach()
    frames = max(1, len(pan["times"]))
    cpu = {k: cpu_after[k] - cpu_before.get(k, 0.0) for k in cpu_after}
    result["pan"] = {
        **cb.summarise(pan["times"]),
        "busy_per_s": (after[0] - before[0]) / PAN_SECONDS,
        "script_per_s": (after[1] - before[1]) / PAN_SECONDS,
        # Per frame: main-thread task time (wall), and CPU time of the renderer processes
        # and of every Chromium process (raster and compositing included).
        "busy_ms_per_frame": (after[0] - before[0]) * 1000 / frames,
        "renderer_cpu_ms_per_frame": cpu.get("renderer", 0.0) * 1000 / frames,
        "cpu_ms_per_frame": sum(cpu.values()) * 1000 / frames,
        # Anchorboard's content-layer draws during the pan (None for tldraw).
        "content_draws": None if draws_before is None else draws_after - draws_before,
        "travel": pan["travel"],
        "loaf": pan["loaf"],
        "loaf_ms": pan["loafMs"],
    }
    page.wait_for_timeout(1000)
    zoom = page.evaluate(ZOOM, [ZOOM_OUT_TO, ZOOM_SECONDS])
    images = page.evaluate(IMAGES)
    result["zoom_out"] = {
        **cb.summarise(zoom["times"]),
        "zoom_at_end": zoom["zoom"],
        "shown": images["shown"],
        "placeholders": images["shown"] - images["drawn"],
    }
    result["heap_mb"] = cb.heap_mb(cdp)
    page.context.close()
    return result


# --- report ---------------------------------------------------------------------------------


def spread(values: list[float], fmt: str = "{:.1f}") -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "—"
    if len(values) == 1:
        return fmt.format(values[0])
    return f"{fmt.format(min(values))}–{fmt.format(max(values))}"


def print_table(runs: list[dict]) -> None:
    print()
    print("Side by side (ranges over the runs; every run in a fresh browser context)")
    header = (
        f"  {'window':<12}{'app':<13}{'canvas':>11}{'pan p50':>9}{'pan p95':>13}"
        f"{'>50 ms':>8}{'LoAF':>6}{'fps':>9}{'busy s/s':>11}"
        f"{'zoom-out p95':>14}{'placeholders':>14}"
        f"{'fit, all drawn':>16}{'heap MB':>12}{'load (1 min)':>14}"
    )
    print(header)
    keys = sorted({(r["window"], r["app"]) for r in runs})
    for window, app in keys:
        rs = [r for r in runs if r["window"] == window and r["app"] == app]
        canvas = rs[0]["canvas"]
        fit = [r["open_fit"]["all_drawn_ms"] for r in rs]
        fit_s = spread([f / 1000 if f is not None else None for f in fit], "{:.1f}") + " s"
        if any(f is None for f in fit):
            fit_s += " (timeout)"
        print(
            f"  {window:<12}{app:<13}{canvas['width']:>5}×{canvas['height']:<5}"
            f"{spread([r['pan']['median_ms'] for r in rs]):>9}"
            f"{spread([r['pan']['p95_ms'] for r in rs]):>13}"
            f"{spread([r['pan']['long_frames'] for r in rs], '{:.0f}'):>8}"
            f"{spread([r['pan']['loaf'] for r in rs], '{:.0f}'):>6}"
            f"{spread([r['pan']['frames'] / PAN_SECONDS for r in rs], '{:.0f}'):>9}"
            f"{spread([r['pan']['busy_per_s'] for r in rs], '{:.2f}'):>11}"
            f"{spread([r['zoom_out']['p95_ms'] for r in rs], '{:.0f}'):>14}"
            f"{spread([r['zoom_out']['placeholders'] for r in rs], '{:.0f}'):>14}"
            f"{fit_s:>16}{spread([r['heap_mb'] for r in rs], '{:.0f}'):>12}"
            f"{spread([float(r['load'].split()[0]) for r in rs]):>14}"
        )
    for window in sorted({r["window"] for r in runs}):
        ab = [
            r["pan"]["p95_ms"] for r in runs if r["window"] == window and r["app"] == "anchorboard"
        ]
        tl = [r["pan"]["p95_ms"] for r in runs if r["window"] == window and r["app"] == "tldraw"]
        if ab and tl:
            ratios = [a / t for a, t in zip(ab, tl, strict=False)]
            print(
                f"  {window}: pan p95 Anchorboard / tldraw per round "
                + ", ".join(f"{x:.2f}" for x in ratios)
                + f" (medians {statistics.median(ab):.1f} / {statistics.median(tl):.1f} ms)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    seeding.add_data_arguments(parser)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", choices=["anchorboard", "tldraw"])
    parser.add_argument("--windows", choices=["both", "1280", "matched"], default="both")
    parser.add_argument(
        "--chromium", default=os.environ.get("ANCHORBOARD_CHROMIUM", "/usr/bin/chromium")
    )
    parser.add_argument("--json", action="store_true", help="also print the raw results")
    parser.add_argument(
        "--uncapped", action="store_true", help="no 60 Hz frame cap (frame time = work time)"
    )
    parser.add_argument(
        "--no-open-fit", action="store_true", help="skip the (slow) cold zoomed-to-fit opening"
    )
    parser.add_argument("--image-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_child is not None:
        seeding.seed_board(args.seed_child, GRID, jpeg, "Compare bench", args.image_dir)
        return
    if not args.seed_only and not os.path.exists(args.chromium):
        raise SystemExit(f"Chromium not found at {args.chromium}; pass --chromium PATH.")

    with seeding.data_folder(args, "compare-bench") as data_dir:
        images = data_dir / "img"  # the same files, for tldraw's page
        seed = seeding.seeded(__file__, "compare", data_dir, args, "--image-dir", str(images))
        if args.seed_only:
            return
        dist = build_compare_page()
        items = seed["items"]
        static = None
        with seeding.serving(data_dir) as ab_url:
            try:
                static, tl_url = start_static(dist, images)
                apps = [App("anchorboard", ab_url, seed, items), App("tldraw", tl_url, seed, items)]
                if args.only:
                    apps = [a for a in apps if a.name == args.only]
                runs = measure(apps, args)
            finally:
                if static is not None:
                    static.shutdown()
        print_table(runs)
        if args.json:
            print(json.dumps(runs, indent=2))


def measure(apps: list[App], args) -> list[dict]:
    from playwright.sync_api import sync_playwright

    runs: list[dict] = []
    with sync_playwright() as p:
        flags = [*cb.LAUNCH_ARGS, *(UNCAPPED if args.uncapped else [])]
        browser = p.chromium.launch(executable_path=args.chromium, headless=True, args=flags)
        try:
            windows = {"1280": dict(WINDOW)}
            if args.windows != "1280":
                windows["matched"] = matched_window(apps, browser)
            if args.windows == "matched":
                del windows["1280"]
            for round_no in range(args.rounds):
                # Alternate which app goes first, so neither always runs on a warmer machine.
                order = apps if round_no % 2 == 0 else list(reversed(apps))
                for window, viewport in windows.items():
                    for app in order:
                        # tldraw's canvas is its whole window: the matched window is Anchorboard's.
                        vp = viewport if app.name == "anchorboard" else dict(WINDOW)
                        print(f"round {round_no + 1}: {app.name} @ {window} {vp} …", flush=True)
                        run = run_app(app, browser, vp, open_fit=not args.no_open_fit)
                        run.update({"app": app.name, "window": window, "round": round_no + 1})
                        print(f"  {json.dumps(brief(run))}", flush=True)
                        runs.append(run)
        finally:
            browser.close()
    return runs


def brief(run: dict) -> dict:
    return {
        "load": run["load"],
        "canvas": run["canvas"],
        "pan_p50": round(run["pan"]["median_ms"], 1),
        "pan_p95": round(run["pan"]["p95_ms"], 1),
        "travel": round(run["pan"]["travel"]),
        "long": run["pan"]["long_frames"],
        "loaf": run["pan"]["loaf"],
        "busy": round(run["pan"]["busy_per_s"], 2),
        "frames": run["pan"]["frames"],
        "busy_ms_frame": round(run["pan"]["busy_ms_per_frame"], 1),
        "renderer_cpu_ms_frame": round(run["pan"]["renderer_cpu_ms_per_frame"], 1),
        "cpu_ms_frame": round(run["pan"]["cpu_ms_per_frame"], 1),
        "draws": run["pan"]["content_draws"],
        "zoom_p95": round(run["zoom_out"]["p95_ms"], 1),
        "placeholders": f"{run['zoom_out']['placeholders']}/{run['zoom_out']['shown']}",
        "fit_ms": run["open_fit"]["all_drawn_ms"],
        "fit_drawn": f"{run['open_fit']['drawn']}/{run['open_fit']['shown']}",
        "heap": round(run["heap_mb"], 1),
        "errors": run["open_fit"]["errors"] + run["open_pan"]["errors"],
    }


def matched_window(apps: list[App], browser) -> dict:
    """The window in which Anchorboard's canvas is as large as tldraw's 1280 × 800 canvas."""
    ab = next((a for a in apps if a.name == "anchorboard"), None)
    if ab is None:
        return dict(WINDOW)
    context = ab.context(browser, WINDOW)
    page = context.new_page()
    page.goto(ab.url(True, (0, 0)))
    page.wait_for_selector(".ab-surface")
    page.wait_for_timeout(500)
    size = canvas_size(page)
    context.close()
    return {
        "width": WINDOW["width"] + (WINDOW["width"] - size["width"]),
        "height": WINDOW["height"] + (WINDOW["height"] - size["height"]),
    }


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
