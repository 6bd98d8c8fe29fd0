"""Image labelling in the desktop app, on the demo project's CT series: both annotators
draw a box on the same de-identified DICOM item (a change after submission needs a
reason), with W/L presets and frame keys; the reviewer sees both overlaid with their
agreement marks, takes one box into the gold pane and saves it. And the demo's clinical
photograph: the lead sees it beside its original with the metadata its JPEG carried, the
annotator sees the released PNG in colour (banner blacked out, no W/L).

Screenshots: target/e2e-screenshots/NN-images-*.png.
"""

from __future__ import annotations

import re

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from conftest import Ui
from test_annotate import demo


def click_row(ui: Ui, queue_testid: str, needle: str, item: str | None = None) -> str:
    """Clicks the first queue row whose text holds ``needle`` (and ``item``, e.g. "Item 12",
    when given), scrolled into the queue's view; returns the row's "Item N"."""
    queue = ui.visible(queue_testid)
    row = next(
        b
        for b in queue.find_elements(By.CSS_SELECTOR, "button")
        if needle in b.get_attribute("textContent") and (item is None or f"{item} " in b.get_attribute("textContent") + " ")
    )
    ui.driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", row)
    found = re.search(r"Item \d+", row.get_attribute("textContent"))
    return found.group(0) if found else ""


def open_ct_item(ui: Ui) -> None:
    """Opens the CT item from the annotator's queue and waits for its frame to show."""
    ui.click("nav-work")
    click_row(ui, "work-queue", "Lesions on CT")
    canvas = ui.visible("work-image", timeout=30)
    ui.wait(30).until(lambda d: canvas.get_attribute("data-frame") not in (None, "-1"))


def draw_box(ui: Ui, testid: str, start: tuple[int, int], end: tuple[int, int]) -> None:
    canvas = ui.visible(testid)
    chain = ActionChains(ui.driver)
    chain.move_to_element_with_offset(canvas, *start).click_and_hold()
    chain.move_to_element_with_offset(canvas, (start[0] + end[0]) // 2, (start[1] + end[1]) // 2)
    chain.move_to_element_with_offset(canvas, *end).release().perform()


def press(ui: Ui, *keys: str) -> None:
    ui.driver.find_element(By.TAG_NAME, "body").send_keys(*keys)


def test_two_annotators_box_a_ct_series_and_a_reviewer_adjudicates(ui: Ui) -> None:
    users = demo(ui)

    for who, start, end in (
        ("avery.annotator", (-60, -60), (10, 10)),
        ("jordan.annotator", (-50, -55), (20, 15)),
    ):
        ui.login(who, users[who]["passphrase"])
        open_ct_item(ui)
        overlay = ui.visible("work-image-frame").text
        assert overlay.endswith("/ 32"), overlay
        assert "annotator" not in ui.driver.find_element(By.CSS_SELECTOR, ".viewer").text
        ui.click("wl-2")  # lung window
        ui.text_contains("work-image-wl", "W 1500 L -600")
        press(ui, Keys.ARROW_DOWN)
        ui.wait(10).until(lambda d: ui.visible("work-image-frame").text.startswith("18 /"))
        ui.text_contains("work-image-wl", "W 1500 L -600")  # W/L is kept across frames
        ui.click("wl-1")  # soft tissue
        press(ui, Keys.ARROW_UP)
        ui.wait(10).until(lambda d: ui.visible("work-image-frame").text.startswith("17 /"))
        ui.click("tool-box")
        draw_box(ui, "work-image", start, end)
        ui.visible("work-reason")  # the demo's labels were submitted: a change needs a reason
        ui.fill("work-reason", "Redrawn tighter to the lesion edge")
        ui.click("work-reason-ok")
        ui.text_contains("work-saved", "Saved", timeout=20)
        regions = ui.visible("work-regions").text
        assert regions.count("frame 17") >= 2, regions
        ui.screenshot(f"images-{who.split('.')[0]}-boxed")
        ui.click("work-submit")
        ui.wait(20).until(lambda d: "Saved" in ui.visible("work-saved").text or ui.present("work-empty"))
        ui.logout()

    ui.login("riley.reviewer", users["riley.reviewer"]["passphrase"])
    ui.click("nav-review")
    ct = click_row(ui, "review-queue", "Lesions on CT")
    canvas = ui.visible("review-image", timeout=30)
    ui.wait(30).until(lambda d: canvas.get_attribute("data-frame") not in (None, "-1"))
    ui.visible("review-col-A1")
    ui.visible("review-col-A2")
    summary = ui.visible("review-summary").text
    assert "agree" in summary and "missing" in summary, summary
    assert "IoU A1–A2" in ui.visible("review-iou").text
    assert "annotator" not in ui.driver.find_element(By.CSS_SELECTOR, "main").text, "aliases only"
    ui.screenshot("images-review-overlay")
    before = ui.visible("review-gold-regions").text.count("frame")
    ui.click("review-take-A2-1")
    ui.wait(10).until(lambda d: ui.visible("review-gold-regions").text.count("frame") == before + 1)
    ui.click("review-save-gold")
    ui.text_contains("review-msg", "Gold label saved")
    click_row(ui, "review-queue", "Lesions on CT", ct)
    ui.text_contains("review-gold", "Gold (saved)")
    assert ui.visible("review-gold-regions").text.count("frame") == before + 1
    ui.screenshot("images-review-gold")


def test_a_photograph_is_checked_without_its_metadata_and_shown_in_colour(ui: Ui) -> None:
    users = demo(ui)
    lead = next(name for name, u in users.items() if u["role"] == "lead")
    ui.login(lead, users[lead]["passphrase"])
    ui.click("nav-deid")
    ui.visible("deid-counts")

    def photo_row():
        rows = ui.driver.find_elements(By.CSS_SELECTOR, '[data-testid="deid-queue"] button')
        return next((r for r in rows if "wound-0001.jpg" in r.get_attribute("textContent")), None)

    for value in [o.get_attribute("value") for o in Select(ui.visible("deid-batch")).options]:
        ui.select("deid-batch", value)
        try:
            ui.wait(5).until(lambda d: photo_row() is not None)
            break
        except TimeoutException:
            continue
    row = photo_row()
    assert row is not None, "the photograph is in one of the deliveries"
    assert "JPEG" in row.text
    number = row.get_attribute("data-testid").removeprefix("deid-item-")
    row.click()
    pane = ui.visible("dicom-review", timeout=30)
    ui.wait(20).until(lambda d: "File and metadata" in pane.text)
    table = ui.visible("dicom-header").text
    assert "JPEG APP1" in table and "exif" in table, table
    assert "VANDERSLOOT" in table, "the lead sees what the metadata held"
    assert "PS3.15" not in pane.text
    ui.text_contains("dicom-pixels", "320 × 240")
    ui.screenshot("images-photo-deid")
    ui.logout()

    ui.login("avery.annotator", users["avery.annotator"]["passphrase"])
    ui.click("nav-work")
    ui.click(f"work-item-{number}")
    canvas = ui.visible("work-image", timeout=30)
    ui.wait(30).until(lambda d: canvas.get_attribute("data-frame") == "0")
    assert ui.visible("work-image-frame").text == "1 / 1"
    assert not ui.present("work-image-wl"), "no window/level on a colour photograph"
    # The banner (top rows) is black, the skin beneath is not.
    top, middle = ui.driver.execute_script(
        """
        const c = document.querySelector('.viewer canvas.image');
        const ctx = c.getContext('2d');
        return [Array.from(ctx.getImageData(40, 10, 1, 1).data), Array.from(ctx.getImageData(160, 200, 1, 1).data)];
        """
    )
    assert top[:3] == [0, 0, 0], top
    assert middle[:3] != [0, 0, 0] and middle[0] != middle[2], middle
    ui.screenshot("images-photo-work")
    # The schema's guideline PDF, rendered page by page in Rust.
    details = ui.visible("work-guideline-pdf")
    ui.driver.execute_script("arguments[0].open = true; arguments[0].scrollIntoView({block: 'start'});", details)
    page = ui.visible("guideline-pdf-image", timeout=30)
    ui.wait(10).until(lambda d: d.execute_script("return arguments[0].naturalWidth", page) == 1240)
    assert ui.visible("guideline-pdf-page").text.startswith("Page 1 /")
    ui.driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", page)
    ui.screenshot("images-guideline-pdf")
