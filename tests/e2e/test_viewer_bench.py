"""The DICOM viewer benchmark (scripts/bench/viewer), run only when that script prepared a
vault (AIRLOCK_BENCH_VIEWER_VAULT): a 512 × 512 × 200 synthetic CT series, de-identified,
validated and signed off through the CLI. In the real app the lead creates a box schema
and assigns the series; the annotator opens it. Measured in the page with
performance.now(): time from opening "My work" to the first slice painted, and frames per
second while stepping through every slice with ↓ (first pass: frames fetched ahead of the
cursor as it moves; second pass: every frame in memory).

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

SCROLL_JS = """
const [n, done] = [arguments[0], arguments[arguments.length - 1]];
const c = document.querySelector('[data-testid="work-image"]');
const times = [];
let i = 0;
const start = performance.now();
let last = start;
function step() {
  if (i >= n) { done({ total_ms: performance.now() - start, times }); return; }
  const want = String(Number(c.getAttribute('data-frame')) + 1);
  window.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', code: 'ArrowDown', bubbles: true }));
  (function wait() {
    if (c.getAttribute('data-frame') === want) {
      const now = performance.now();
      times.push(now - last);
      last = now;
      i += 1;
      requestAnimationFrame(step);
    } else requestAnimationFrame(wait);
  })();
}
step();
"""

TO_FIRST_JS = """
const done = arguments[arguments.length - 1];
window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Home', code: 'Home', bubbles: true }));
const c = document.querySelector('[data-testid="work-image"]');
(function wait() { if (c.getAttribute('data-frame') === '0') done(true); else requestAnimationFrame(wait); })();
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
    ui.driver.set_script_timeout(300)
    first_ms = ui.driver.execute_async_script(FIRST_SLICE_JS)
    ui.screenshot("viewer-bench-first-slice")
    cold = ui.driver.execute_async_script(SCROLL_JS, FRAMES - 1)
    ui.driver.execute_async_script(TO_FIRST_JS)
    warm = ui.driver.execute_async_script(SCROLL_JS, FRAMES - 1)
    ui.screenshot("viewer-bench-last-slice")
    result = {
        "series": f"512x512x{FRAMES} int16 CT (synthetic)",
        "first_slice_ms": round(first_ms, 1),
        "scroll_first_pass_fps": round((FRAMES - 1) / (cold["total_ms"] / 1000), 1),
        "scroll_first_pass_p95_ms": round(p95(cold["times"]), 1),
        "scroll_cached_fps": round((FRAMES - 1) / (warm["total_ms"] / 1000), 1),
        "scroll_cached_p95_ms": round(p95(warm["times"]), 1),
    }
    print(json.dumps(result, indent=2))
    if OUT:
        Path(OUT).write_text(json.dumps(result, indent=2) + "\n")
