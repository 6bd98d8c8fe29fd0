"""The DICOM viewer benchmark (scripts/bench/viewer), run only when that script prepared a
vault (AIRLOCK_BENCH_VIEWER_VAULT): a 512 × 512 × 200 synthetic CT series, de-identified,
validated and signed off through the CLI. In the real app the lead creates a box schema
and assigns the series; the annotator opens it. Measured in the page with
performance.now(): time from opening "My work" to the first slice painted; frames per
second while stepping through every slice with ↓, one step per displayed frame (first pass:
frames fetched ahead of the cursor as it moves; second pass: every frame in memory); and
our work per cached frame (key press to frame painted, and the paint alone).

Writes AIRLOCK_BENCH_VIEWER_OUT (JSON) and a screenshot.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import Ui

VAULT = os.environ.get("AIRLOCK_BENCH_VIEWER_VAULT")
OUT = os.environ.get("AIRLOCK_BENCH_VIEWER_OUT")
FRAMES = int(os.environ.get("AIRLOCK_BENCH_VIEWER_FRAMES", "200"))

pytestmark = pytest.mark.skipif(not VAULT, reason="run by scripts/bench/viewer only")

LEAD = ("bench.lead", "bench lead passphrase 01")
ANNOTATOR = ("bench.annotator", "bench annotator pass 02")

FIRST_SLICE_JS = """
const done = arguments[arguments.length - 1];
const t0 = performance.now();
document.querySelector('[data-testid="nav-work"]').click();
(function poll() {
  const c = document.querySelector('[data-testid="work-image"]');
  if (c && c.getAttribute('data-frame') === '0') done(performance.now() - t0);
  else requestAnimationFrame(poll);
})();
"""

WORK_JS = """
const [n, done] = [arguments[0], arguments[arguments.length - 1]];
const c = document.querySelector('[data-testid="work-image"]');
const work = [], paint = [];
(async () => {
  for (let i = 0; i < n; i++) {
    const want = String(Number(c.getAttribute('data-frame')) + 1);
    const t0 = performance.now();
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', code: 'ArrowDown', bubbles: true }));
    while (c.getAttribute('data-frame') !== want) await new Promise((r) => setTimeout(r, 0));
    work.push(performance.now() - t0);
    paint.push(Number(c.getAttribute('data-paint-ms')));
    await new Promise((r) => requestAnimationFrame(r));
  }
  done({ work, paint });
})();
"""

SCROLL_JS = """
const [n, done] = [arguments[0], arguments[arguments.length - 1]];
const c = document.querySelector('[data-testid="work-image"]');
const times = [];
(async () => {
  const start = performance.now();
  let last = start;
  for (let i = 0; i < n; i++) {
    const want = String(Number(c.getAttribute('data-frame')) + 1);
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', code: 'ArrowDown', bubbles: true }));
    while (c.getAttribute('data-frame') !== want) await new Promise((r) => setTimeout(r, 0));
    // One step per displayed frame, as a held key or a wheel would scroll.
    await new Promise((r) => requestAnimationFrame(r));
    const now = performance.now();
    times.push(now - last);
    last = now;
  }
  done({ total_ms: performance.now() - start, times });
})();
"""

TO_FIRST_JS = """
const done = arguments[arguments.length - 1];
window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Home', code: 'Home', bubbles: true }));
const c = document.querySelector('[data-testid="work-image"]');
(function wait() { if (c.getAttribute('data-frame') === '0') done(true); else requestAnimationFrame(wait); })();
"""


API_JS = """
const done = arguments[arguments.length - 1];
const invoke = window.__TAURI_INTERNALS__.invoke;
(async () => {
  const q = await invoke('my_queue');
  const id = q[0].assignment_id;
  let t = performance.now();
  await invoke('open_assignment', { assignmentId: id });
  const open_ms = performance.now() - t;
  const frames = [];
  for (let f = 0; f < 10; f++) {
    t = performance.now();
    const buf = await invoke('assignment_frame', { assignmentId: id, frame: f });
    frames.push(performance.now() - t);
    if (!(buf instanceof ArrayBuffer)) { done({ error: 'not an ArrayBuffer: ' + typeof buf }); return; }
  }
  // How fast this webview runs plain JavaScript (a JIT does this in a few ms).
  t = performance.now();
  let x = 0;
  for (let i = 0; i < 10000000; i++) x = (x + i) | 0;
  const js_loop_ms = performance.now() - t;
  // The display's pace in this webview: animation frames in one second with no work.
  let rafs = 0;
  t = performance.now();
  while (performance.now() - t < 1000) { await new Promise((r) => requestAnimationFrame(r)); rafs += 1; }
  const raf_fps = rafs / ((performance.now() - t) / 1000);
  // The viewer's two steps on their own: the lookup over 512 × 512 samples, and putImageData.
  const samples = new Uint16Array(512 * 512).map((_, i) => i & 0xffff);
  const lut = new Uint8Array(65536).map((_, i) => i >> 8);
  const cv = document.createElement('canvas');
  cv.width = 512; cv.height = 512;
  const ctx = cv.getContext('2d');
  const img = ctx.createImageData(512, 512);
  const out = img.data;
  const lut_ms = [], put_ms = [];
  for (let k = 0; k < 20; k++) {
    t = performance.now();
    for (let i = 0, j = 0; i < samples.length; i++, j += 4) {
      const g = lut[samples[i]];
      out[j] = g; out[j + 1] = g; out[j + 2] = g; out[j + 3] = 255;
    }
    lut_ms.push(performance.now() - t);
    t = performance.now();
    ctx.putImageData(img, 0, 0);
    put_ms.push(performance.now() - t);
  }
  // The same lookup over a frame as it arrives over IPC, and over a copy of it.
  const real = new Uint16Array(await invoke('assignment_frame', { assignmentId: id, frame: 0 }));
  const copy = new Uint16Array(real);
  const real_ms = [], copy_ms = [];
  for (const [arr, into] of [[real, real_ms], [copy, copy_ms]]) {
    for (let k = 0; k < 10; k++) {
      t = performance.now();
      for (let i = 0, j = 0; i < arr.length; i++, j += 4) {
        const g = lut[arr[i]];
        out[j] = g; out[j + 1] = g; out[j + 2] = g; out[j + 3] = 255;
      }
      into.push(performance.now() - t);
    }
  }
  // As the viewer does it: put into an offscreen canvas, then draw that scaled on screen.
  const vis = document.createElement('canvas');
  vis.width = 1100; vis.height = 600;
  document.body.appendChild(vis);
  const vctx = vis.getContext('2d');
  const put2_ms = [], draw_ms = [], bitmap_ms = [];
  for (let k = 0; k < 20; k++) {
    t = performance.now();
    ctx.putImageData(img, 0, 0);
    put2_ms.push(performance.now() - t);
    t = performance.now();
    vctx.drawImage(cv, 0, 0, 600, 600);
    vctx.getImageData(0, 0, 1, 1);
    draw_ms.push(performance.now() - t);
    await new Promise((r) => requestAnimationFrame(r));
  }
  for (let k = 0; k < 20; k++) {
    t = performance.now();
    const bm = await createImageBitmap(img);
    vctx.drawImage(bm, 0, 0, 600, 600);
    vctx.getImageData(0, 0, 1, 1);
    bitmap_ms.push(performance.now() - t);
    await new Promise((r) => requestAnimationFrame(r));
  }
  vis.remove();
  // How fast the page shows a changing 512 × 512 image, three ways, each for 40 animation
  // frames with new pixels every frame: a canvas at 1:1, the same canvas enlarged by a CSS
  // transform (as the viewer does), and drawImage into a viewport-sized canvas.
  const stage = document.createElement('div');
  stage.style.cssText = 'position:fixed;left:0;top:0;width:900px;height:700px;overflow:hidden;z-index:99999;background:#000;contain:strict';
  document.body.appendChild(stage);
  const shown = document.createElement('canvas');
  shown.width = 512; shown.height = 512;
  stage.appendChild(shown);
  const sctx = shown.getContext('2d', { willReadFrequently: true });
  async function show_fps(step) {
    const t0 = performance.now();
    for (let k = 0; k < 40; k++) {
      for (let i = 0; i < out.length; i += 4) out[i] = (out[i] + 1) & 255;
      step();
      await new Promise((r) => requestAnimationFrame(r));
    }
    return 40 / ((performance.now() - t0) / 1000);
  }
  const fps_1to1 = await show_fps(() => sctx.putImageData(img, 0, 0));
  // The same with a default canvas (the browser may keep it on its GPU path).
  const plain = document.createElement('canvas');
  plain.width = 512; plain.height = 512;
  stage.appendChild(plain);
  const plainCtx = plain.getContext('2d');
  const fps_default_canvas_1to1 = await show_fps(() => plainCtx.putImageData(img, 0, 0));
  plain.remove();
  shown.style.transformOrigin = '0 0';
  shown.style.transform = 'translate(10px, 5px) scale(1.33)';
  const fps_css_scaled = await show_fps(() => sctx.putImageData(img, 0, 0));
  shown.style.imageRendering = 'pixelated';
  const fps_css_pixelated = await show_fps(() => sctx.putImageData(img, 0, 0));
  shown.remove();
  const port = document.createElement('canvas');
  port.width = 900; port.height = 700;
  stage.appendChild(port);
  const pctx = port.getContext('2d');
  const fps_draw_into_viewport = await show_fps(() => { ctx.putImageData(img, 0, 0); pctx.drawImage(cv, 10, 5, 681, 681); });
  stage.remove();
  done({ open_ms, frames, js_loop_ms, raf_fps, x, lut_ms, put_ms, put2_ms, draw_ms, bitmap_ms, real_ms, copy_ms,
         fps_1to1, fps_default_canvas_1to1, fps_css_scaled, fps_css_pixelated, fps_draw_into_viewport });
})();
"""


def p95(xs: list[float]) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(0.95 * len(s)))]


def test_viewer_bench(ui: Ui) -> None:
    ui.click("welcome-open")
    ui.fill("open-path", VAULT)
    ui.click("open-submit")
    ui.login(*LEAD)
    ui.click("nav-schemas")
    ui.fill("schema-name", "Bench lesions")
    ui.select("schema-task", "image_boxes")
    ui.fill("schema-labels", "Lesion")
    ui.click("schema-create")
    ui.click("schema-publish-1")
    ui.click("nav-assign")
    box = ui.visible(f"assign-annotator-{ANNOTATOR[0]}")
    if not box.is_selected():
        box.click()
    ui.click("assign-preview")
    ui.visible("assign-plan")
    ui.click("assign-submit")
    ui.visible("assign-done")
    ui.logout()

    ui.login(*ANNOTATOR)
    ui.visible("nav-work")
    ui.driver.set_script_timeout(300)
    first_ms = ui.driver.execute_async_script(FIRST_SLICE_JS)
    ui.screenshot("viewer-bench-first-slice")
    cold = ui.driver.execute_async_script(SCROLL_JS, FRAMES - 1)
    ui.driver.execute_async_script(TO_FIRST_JS)
    warm = ui.driver.execute_async_script(SCROLL_JS, FRAMES - 1)
    ui.screenshot("viewer-bench-last-slice")
    ui.driver.execute_async_script(TO_FIRST_JS)
    ours = ui.driver.execute_async_script(WORK_JS, FRAMES - 1)
    api = ui.driver.execute_async_script(API_JS)
    assert "error" not in api, api
    result = {
        "series": f"512x512x{FRAMES} int16 CT (synthetic)",
        "first_slice_ms": round(first_ms, 1),
        "scroll_first_pass_fps": round((FRAMES - 1) / (cold["total_ms"] / 1000), 1),
        "scroll_first_pass_p95_ms": round(p95(cold["times"]), 1),
        "scroll_cached_fps": round((FRAMES - 1) / (warm["total_ms"] / 1000), 1),
        "scroll_cached_p95_ms": round(p95(warm["times"]), 1),
        # Key press to the new frame painted (state change, LUT paint, canvas draw), without
        # waiting for the display: the budget is 10 ms of our work per frame.
        "cached_frame_work_p95_ms": round(p95(ours["work"]), 1),
        "cached_frame_paint_p95_ms": round(p95(ours["paint"]), 1),
        # Backend and IPC alone, the series already decoded in the session.
        "api_open_assignment_warm_ms": round(api["open_ms"], 1),
        "api_frame_fetch_p95_ms": round(p95(api["frames"]), 1),
        "webview_js_loop_10M_ms": round(api["js_loop_ms"], 1),
        "webview_idle_animation_fps": round(api["raf_fps"], 1),
        "webview_lut_512x512_median_ms": round(sorted(api["lut_ms"])[10], 1),
        "webview_put_image_data_512x512_median_ms": round(sorted(api["put_ms"])[10], 1),
        "webview_lut_ipc_frame_median_ms": round(sorted(api["real_ms"])[5], 1),
        "webview_lut_copied_frame_median_ms": round(sorted(api["copy_ms"])[5], 1),
        "webview_put_after_draw_median_ms": round(sorted(api["put2_ms"])[10], 1),
        "webview_draw_scaled_median_ms": round(sorted(api["draw_ms"])[10], 1),
        "webview_bitmap_draw_median_ms": round(sorted(api["bitmap_ms"])[10], 1),
        # A changing 512 × 512 image shown three ways (frames per second, 40 frames each).
        "webview_show_1to1_fps": round(api["fps_1to1"], 1),
        "webview_show_default_canvas_1to1_fps": round(api["fps_default_canvas_1to1"], 1),
        "webview_show_css_scaled_fps": round(api["fps_css_scaled"], 1),
        "webview_show_css_pixelated_fps": round(api["fps_css_pixelated"], 1),
        "webview_show_draw_into_viewport_fps": round(api["fps_draw_into_viewport"], 1),
    }
    print(json.dumps(result, indent=2))
    if OUT:
        Path(OUT).write_text(json.dumps(result, indent=2) + "\n")
