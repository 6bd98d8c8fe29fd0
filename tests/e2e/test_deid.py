"""De-identification review in the desktop app: the demo's second delivery has one note and
one ultrasound proposed; the lead opens the note beside its original (in the red, recorded
frame), steps through the findings, marks a missed identifier and validates it; opens the
ultrasound (header before and after, the burned-in banner blacked out), draws a region by
hand, validates it, and signs the batch off.

Screenshots: target/e2e-screenshots/NN-deid-*.png.
"""

from __future__ import annotations

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from conftest import Ui
from test_foundation import demo_users


def open_demo_as_lead(ui: Ui) -> None:
    ui.click("welcome-demo")
    ui.visible("demo-users", timeout=120)
    ui.wait(30).until(lambda d: len(demo_users(ui)) >= 4)
    lead = next(u for u in demo_users(ui) if u["role"] == "lead")
    if not any(e.is_displayed() for e in ui.present("login-user")):
        ui.click("demo-continue")
    ui.login(lead["name"], lead["passphrase"])
    ui.text_contains("role-badge", "lead", timeout=60)


def test_validate_and_sign_off_a_delivery(ui: Ui) -> None:
    open_demo_as_lead(ui)
    ui.click("nav-deid")
    ui.visible("deid-counts")
    ui.screenshot("deid-first-batch-signed")
    ui.text_contains("deid-signed", "released for annotation")

    # The second delivery (one released note) is still to check; the first and the CT series
    # are signed off.
    select = Select(ui.visible("deid-batch"))
    values = [o.get_attribute("value") for o in select.options]
    assert len(values) == 3, values
    current = ui.visible("deid-batch").get_attribute("value")

    def shows_work_to_check() -> bool:
        try:
            ui.text_contains("deid-counts", "2 to check", timeout=5)
            return True
        except AssertionError:
            return False

    assert any(ui.select("deid-batch", v) or shows_work_to_check() for v in values if v != current)
    item = ui.driver.find_element(By.CSS_SELECTOR, '[data-testid="deid-queue"] button[data-status="proposed"]')
    item.click()
    original = ui.visible("deid-original")
    assert "each view is recorded" in original.text
    assert "Starkadder" in original.text  # the synthetic patient of note 5
    result = ui.visible("deid-result")
    assert "Starkadder" not in result.text, result.text
    assert "[NAME]" in result.text
    ui.screenshot("deid-side-by-side")

    body = ui.driver.find_element(By.TAG_NAME, "body")
    body.send_keys("n")
    ui.text_contains("deid-current", "Finding 2")

    # Mark a word the detector left alone (the diabetes "team") as a missed identifier.
    ui.driver.execute_script(
        """
        const pane = document.querySelector('[data-testid="deid-original"] .text');
        const span = [...pane.querySelectorAll('[data-at]')].find(s => !s.classList.contains('hit') && s.textContent.includes('team'));
        const node = span.firstChild; const at = node.textContent.indexOf('team');
        const r = document.createRange(); r.setStart(node, at); r.setEnd(node, at + 4);
        const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(r);
        """
    )
    before = len(ui.driver.find_elements(By.CSS_SELECTOR, '[data-testid="deid-result"] .hit'))
    ui.select("deid-mark-category", "other_id")
    ui.click("deid-mark")
    ui.wait(20).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, '[data-testid="deid-result"] .hit')) == before + 1
    )
    ui.screenshot("deid-missed-marked")

    body.send_keys("a")
    ui.wait(20).until(lambda d: "1 to check" in ui.visible("deid-counts").text)

    # The ultrasound: its header before and after, and the banner OCR found blacked out.
    image = ui.driver.find_element(By.CSS_SELECTOR, '[data-testid="deid-queue"] button[data-status="proposed"]')
    image.click()
    header = ui.visible("dicom-header")
    ui.wait(20).until(lambda d: "PatientName" in header.text)
    assert "VANDERSLOOT" in header.text, "the lead sees the original value beside the result"
    pixels = ui.visible("dicom-pixels").text
    assert "at risk of burned-in text" in pixels, pixels
    ui.screenshot("deid-dicom-review")
    # The lead draws one more region over the sector's corner and cleans again.
    stage = ui.driver.find_element(By.CSS_SELECTOR, '[data-testid="dicom-original"] .stage')
    ActionChains(ui.driver).move_to_element_with_offset(stage, 20, 30).click_and_hold().move_by_offset(60, 40).release().perform()
    ui.click("dicom-clean")
    ui.wait(30).until(lambda d: "revision 2" in ui.driver.find_element(By.CSS_SELECTOR, ".rev-head").text)
    ui.screenshot("deid-dicom-cleaned-by-hand")
    # The demo kept the scanner's banner as the device's template; the lead replaces it with
    # the regions drawn here.
    device = ui.visible("dicom-device").text
    assert "Synthetic Devices Sono Synth 5" in device and "template of 1 region" in device, device
    ui.click("dicom-keep-template")
    live = ui.present("live-region")[0]
    ui.wait(20).until(
        lambda d: "as the template of Synthetic Devices Sono Synth 5 (320 × 240)" in live.get_attribute("textContent")
    )
    assert "Device templates (1)" in ui.driver.find_element(By.CSS_SELECTOR, '[data-testid="deid-templates"] summary').text
    ui.screenshot("deid-dicom-device-template")
    body.send_keys("a")
    ui.wait(20).until(lambda d: not any(e.is_displayed() for e in ui.present("deid-blocker")))
    ui.click("deid-sign-off")
    ui.text_contains("deid-signed", "2 missed identifiers found")
    ui.screenshot("deid-signed-off")
