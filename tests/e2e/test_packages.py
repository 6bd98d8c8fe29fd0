"""Work packages in the desktop app: the lead (demo project) imports an annotator's contact
card and issues a package; the annotator opens it in their own workspace vault, labels an
item in "My work" and returns the result (after pinning the lead's card); the lead merges it, and a replay changes nothing.
The annotator's workspace and contact card are made with the CLI beforehand (their laptop).

Screenshots: target/e2e-screenshots/NN-packages-*.png.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.file_detector import UselessFileDetector

from conftest import BINARY, Ui
from test_annotate import demo, select_word

CLI = BINARY.parent / "airlock"


def cli(*args: str, cwd: Path) -> None:
    subprocess.run([str(CLI), *args], cwd=cwd, check=True, capture_output=True, timeout=120)


def open_vault(ui: Ui, path: Path) -> None:
    ui.click("login-close-vault")
    ui.click("welcome-open")
    ui.fill("open-path", str(path))
    ui.click("open-submit")
    ui.visible("login-user")


def test_issue_open_label_return_and_merge(ui: Ui, work_dir: Path) -> None:
    # Paths typed into the app name existing files: never let Selenium "upload" them.
    ui.driver.file_detector = UselessFileDetector()
    laptop = work_dir / "avery-laptop"
    laptop.mkdir(parents=True, exist_ok=True)
    users = demo(ui)
    avery = users["avery.annotator"]["passphrase"]
    (laptop / "pw").write_text(avery + "\n")
    workspace = laptop / "avery.airlock"
    card = laptop / "avery.card.json"
    cli("package", "workspace", str(workspace), "--user", "avery.annotator", "--passphrase-file", "pw", cwd=laptop)
    cli("--vault", str(workspace), "--user", "avery.annotator", "--passphrase-file", "pw", "package", "card", "--out", str(card), cwd=laptop)
    lead_card = laptop / "dana.card.json"
    (laptop / "dana.pw").write_text(users["dana.lead"]["passphrase"] + "\n")
    demo_vault = max(Path(os.environ["AIRLOCK_DEFAULT_DIR"]).glob("demo-*.airlock"), key=lambda p: p.stat().st_mtime)

    cli("--vault", str(demo_vault), "--user", "dana.lead", "--passphrase-file", "dana.pw", "package", "card", "--out", str(lead_card), cwd=laptop)

    # The lead: import the card, read the fingerprint back, issue the package.
    ui.login("dana.lead", users["dana.lead"]["passphrase"])
    ui.click("nav-packages")
    ui.fill("card-path", str(card))
    ui.click("card-import")
    ui.text_contains("card-fingerprint", "avery.annotator: fingerprint")
    pkg = laptop / "to-avery.airlock-package"
    ui.fill("pkg-to", "avery.annotator")
    ui.fill("pkg-out", str(pkg))
    ui.click("pkg-issue")
    ui.text_contains("pkg-status", "issued", timeout=30)
    ui.screenshot("packages-issued")
    assert pkg.is_file()
    ui.logout()

    # The annotator, in their workspace: open the package, label, submit, return.
    open_vault(ui, workspace)
    ui.login("avery.annotator", avery)
    ui.click("nav-packages")
    ui.fill("lead-card", str(lead_card))
    ui.click("lead-trust")
    ui.text_contains("lead-fingerprint", "Trusting dana.lead")
    ui.fill("pkg-in", str(pkg))
    ui.click("pkg-open")
    ui.text_contains("pkg-status", "opened", timeout=30)
    ui.screenshot("packages-opened-in-workspace")
    ui.click("nav-work")
    queue = ui.visible("work-queue")
    todo = next(b for b in queue.find_elements(By.CSS_SELECTOR, "button") if b.get_attribute("data-status") in ("in_progress", "assigned"))
    todo.click()
    text = ui.visible("work-text").text
    word = next(w for w in ("pneumonia", "fever", "aspirin", "CT head", "cough") if w in text)
    select_word(ui, word)
    label = ui.driver.find_elements(By.CSS_SELECTOR, '[data-testid^="work-label-"]')[0]
    label.click()
    ui.text_contains("work-saved", "Saved", timeout=20)
    ui.click("work-submit")
    ui.screenshot("packages-labelled-offline")
    ui.click("nav-packages")
    result = laptop / "from-avery.airlock-package"
    ui.fill("pkg-out", str(result))
    ui.click("pkg-return")
    ui.text_contains("pkg-status", "returned", timeout=30)
    ui.screenshot("packages-returned")
    assert result.is_file()
    ui.logout()

    # The lead merges the result; a second merge changes nothing.
    open_vault(ui, demo_vault)
    ui.login("dana.lead", users["dana.lead"]["passphrase"])
    ui.click("nav-packages")
    ui.fill("pkg-in", str(result))
    ui.click("pkg-merge")
    ui.text_contains("pkg-merged", "audit events linked", timeout=30)
    ui.text_contains("pkg-status", "merged")
    ui.screenshot("packages-merged")
    ui.click("pkg-merge")
    ui.text_contains("pkg-merged", "nothing changed", timeout=30)
    ui.logout()


def test_the_demo_shows_each_package_state_and_the_annotators_offline_events(ui: Ui) -> None:
    users = demo(ui)
    ui.login("dana.lead", users["dana.lead"]["passphrase"])
    ui.click("nav-packages")
    ui.wait(30).until(lambda d: len(ui.present("pkg-status")) >= 3)
    states = sorted(e.text for e in ui.present("pkg-status"))
    assert states == ["issued", "merged", "revoked"], states
    ui.screenshot("packages-demo-states")

    # The merge event in the audit viewer lists what jordan did on the laptop.
    ui.click("nav-audit")
    ui.wait(30).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, f'{ui.css("audit-row")}[data-action="package_merged"]')
    )
    row = ui.driver.find_element(By.CSS_SELECTOR, f'{ui.css("audit-row")}[data-action="package_merged"]')
    assert "from workspace" in row.text
    row.find_element(By.CSS_SELECTOR, "td:nth-child(4)").click()
    ui.visible("audit-segment", timeout=30)
    ui.wait(30).until(lambda d: len(ui.present("segment-row")) > 0)
    actions = {e.get_attribute("data-action") for e in ui.present("segment-row")}
    assert {"package_opened", "item_viewed"} <= actions, actions
    assert "jordan.annotator" in ui.visible("audit-segment").text
    ui.screenshot("packages-demo-offline-events")
