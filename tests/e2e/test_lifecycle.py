"""A whole project in the desktop app, from a delivery received to the vault destroyed:
the lead receives three synthetic letters, de-identifies and validates them, signs the
batch off and assigns it; the annotator labels one letter and submits; the reviewer saves
a gold label; the lead exports the gold labels to an age key; compliance sets the
retention date, destroys the vault with a second person confirming in place, and verifies
the certificate. The bag opens with the stock `age` CLI and validates with the Library of
Congress `bagit` library; the certificate PDF is rendered with pdftoppm.

Screenshots: target/e2e-screenshots/NN-lifecycle-*.png (the certificate page among them).
"""

from __future__ import annotations

import datetime
import hashlib
import shutil
import subprocess
import tarfile
from pathlib import Path

import bagit
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import SHOTS, Ui
from test_annotate import demo, select_word

def make_letters(root: Path) -> None:
    """Three synthetic letters with a SHA256SUMS manifest (every file verifies)."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    lines = []
    for i in range(1, 4):
        body = (
            f"Follow-up letter {i}. Patient Wendeline Crabtree-Oyelaran was seen on 09/0{i}/2025 "
            f"for pneumonia and improved on antibiotics.\n"
        ).encode()
        (root / f"letter-{i}.txt").write_bytes(body)
        lines.append(f"{hashlib.sha256(body).hexdigest()}  letter-{i}.txt\n")
    (root / "SHA256SUMS").write_text("".join(lines))


def newest_delivery(ui: Ui, testid: str, index: int = 0) -> None:
    """Chooses the newest delivery of a list (deliveries are listed newest first; `index`
    skips leading options such as "every released item")."""
    value = Select(ui.visible(testid)).options[index].get_attribute("value")
    ui.select(testid, value)


def test_ingest_to_certificate_of_destruction(ui: Ui, work_dir: Path) -> None:
    source = work_dir / "site-d-followups"
    make_letters(source)
    users = demo(ui)
    lead, annotator = users["dana.lead"], users["avery.annotator"]
    reviewer, compliance = users["riley.reviewer"], users["casey.compliance"]

    # ---- the lead: home, receive, de-identify, assign ----
    ui.login("dana.lead", lead["passphrase"])
    rail = ui.visible("stage-rail")
    assert len(rail.find_elements(By.CSS_SELECTOR, "li[data-state]")) == 7
    alerts = ui.visible("home-alerts").text
    assert "quarantined" in alerts and "Retention ends" in alerts, alerts
    ui.screenshot("lifecycle-home")

    ui.click("nav-receive")
    ui.fill("ingest-source", str(source))
    ui.click("ingest-check")
    ui.text_contains("ingest-preflight", "Folder with a manifest")
    ui.click("ingest-start")
    ui.text_contains("ingest-result", "verified", timeout=60)
    ui.screenshot("lifecycle-received")

    ui.click("nav-deid")
    ui.visible("deid-counts")
    newest_delivery(ui, "deid-batch")
    ui.text_contains("deid-counts", "3 not run")
    ui.click("deid-run")
    ui.text_contains("deid-counts", "3 to check", timeout=60)
    for _ in range(3):
        item = ui.driver.find_element(By.CSS_SELECTOR, '[data-testid="deid-queue"] button[data-status="proposed"]')
        item.click()
        ui.text_contains("deid-original", "Crabtree")
        assert "Crabtree" not in ui.visible("deid-result").text
        ui.click("deid-validate")
        ui.wait(20).until(
            lambda d: item.get_attribute("data-status") != "proposed"
            if item.is_displayed() else True
        )
    ui.text_contains("deid-counts", "3 validated", timeout=20)
    ui.click("deid-sign-off")
    ui.text_contains("deid-signed", "released for annotation")
    ui.screenshot("lifecycle-deid-signed")

    ui.click("nav-assign")
    newest_delivery(ui, "assign-batch", index=1)
    for name in ("avery.annotator", "jordan.annotator"):
        box = ui.visible(f"assign-annotator-{name}")
        if box.is_selected() != (name == "avery.annotator"):
            box.click()
    ui.fill("assign-overlap", "1")
    ui.click("assign-preview")
    ui.visible("assign-plan")
    ui.click("assign-submit")
    ui.text_contains("assign-done", "Assigned 3 items")
    ui.screenshot("lifecycle-assigned")
    ui.logout()

    # ---- an annotator labels one new letter and submits it ----
    ui.login("avery.annotator", annotator["passphrase"])
    ui.click("nav-work")
    queue = ui.visible("work-queue")
    newest = max(
        queue.find_elements(By.CSS_SELECTOR, "button[data-status='assigned']"),
        key=lambda b: int(b.get_attribute("data-testid").rsplit("-", 1)[1]),
    )
    item_number = newest.get_attribute("data-testid").rsplit("-", 1)[1]
    newest.click()
    ui.text_contains("work-text", "Follow-up letter")
    assert "Crabtree" not in ui.visible("work-text").text, "annotators see de-identified text only"
    select_word(ui, "pneumonia")
    ui.click("work-label-Diagnosis")
    ui.text_contains("work-saved", "Saved", timeout=20)
    ui.click("work-submit")
    ui.wait(20).until(
        lambda d: ui.driver.find_element(By.CSS_SELECTOR, f'[data-testid="work-item-{item_number}"]').get_attribute("data-status")
        == "submitted"
    )
    ui.logout()

    # ---- the reviewer saves it as gold ----
    ui.login("riley.reviewer", reviewer["passphrase"])
    ui.click("nav-review")
    row = next(
        b for b in ui.visible("review-queue").find_elements(By.CSS_SELECTOR, "button")
        if b.find_element(By.CSS_SELECTOR, ".num").text == f"Item {item_number}"
    )
    row.click()
    ui.text_contains("review-gold", "pneumonia")  # the gold pane starts from what all agree on
    ui.click("review-save-gold")
    ui.text_contains("review-msg", "Gold label saved")
    ui.logout()

    # ---- the lead delivers the gold labels to the client's age key ----
    key = work_dir / "client.key"
    key.unlink(missing_ok=True)
    subprocess.run(["age-keygen", "-o", str(key)], check=True, capture_output=True)
    recipient = subprocess.run(["age-keygen", "-y", str(key)], check=True, capture_output=True, text=True).stdout.strip()
    bag_file = work_dir / "deliverable.tar.age"
    bag_file.unlink(missing_ok=True)
    ui.login("dana.lead", lead["passphrase"])
    ui.click("nav-deliver")
    gold_only = ui.visible("export-gold-only")
    if not gold_only.is_selected():
        gold_only.click()
    ui.fill("export-recipients", recipient)
    ui.text_contains("export-fingerprint", recipient[-8:])
    ui.fill("export-out", str(bag_file))
    ui.fill("export-reason", "Contract deliverable: gold labels for the synthetic study")
    ui.click("export-submit")
    result = ui.text_contains("export-result", "age", timeout=120)
    assert str(bag_file) in result, result
    ui.screenshot("lifecycle-exported")
    ui.logout()

    opened = work_dir / "client-opened"
    shutil.rmtree(opened, ignore_errors=True)
    opened.mkdir()
    subprocess.run(["age", "-d", "-i", str(key), "-o", str(opened / "bag.tar"), str(bag_file)], check=True)
    with tarfile.open(opened / "bag.tar") as t:
        t.extractall(opened, filter="data")
    root = next(p for p in opened.iterdir() if p.is_dir())
    bag = bagit.Bag(str(root))
    bag.validate()
    assert "Crabtree" not in "".join(p.read_text(errors="ignore") for p in root.rglob("*") if p.is_file())

    # ---- compliance: retention due, destruction with a second person, certificate ----
    ui.login("casey.compliance", compliance["passphrase"])
    ui.click("nav-retention")
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    ui.fill("retention-date", today)
    ui.click("retention-save")
    ui.text_contains("retention-state", "destruction is due")
    cert = work_dir / "certificate-of-destruction.json"
    for stale in work_dir.glob("certificate-of-destruction*"):
        stale.unlink()
    project = ui.driver.find_element(By.CSS_SELECTOR, 'label[for="destroy-confirm"] .mono').text
    ui.fill("destroy-confirm", project)
    ui.fill("destroy-org", "Synthetic Research Organization")
    ui.fill("destroy-cert", str(cert))
    ui.fill("destroy-witness", "dana.lead")
    ui.fill("destroy-witness-pass", lead["passphrase"])
    ui.fill("destroy-pass", compliance["passphrase"])
    ui.driver.execute_script("arguments[0].scrollIntoView()", ui.visible("destroy-start"))
    ui.screenshot("lifecycle-destroy-ready")
    ui.click("destroy-start")
    done = ui.text_contains("destroy-done", "Verification passed", timeout=180)
    assert "files removed" in done
    ui.click("destroy-verify")
    ui.text_contains("destroy-verified", "✓")
    ui.screenshot("lifecycle-destroyed")

    assert cert.is_file() and cert.with_suffix(".pdf").is_file()
    text = subprocess.run(["pdftotext", "-layout", str(cert.with_suffix(".pdf")), "-"], check=True, capture_output=True, text=True).stdout
    assert "Synthetic Research Organization" in text and "dana.lead" in text, text[:2000]
    assert "Crabtree" not in text and "Vandersloot" not in text
    page = SHOTS / "lifecycle-certificate"
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(cert.with_suffix(".pdf")), str(page)], check=True)
    assert page.with_suffix(".png").is_file()
