"""Receiving data in the desktop app: a lead receives a synthetic delivery with a checksum
manifest in which one file changed in transit, reads the verification report, imports the
verified files only, exports and verifies the signed receipt, and browses the items.

Screenshots: target/e2e-screenshots/NN-ingest-*.png (the final report among them).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from selenium.webdriver.common.by import By

from conftest import Ui
from test_foundation import demo_users


def make_delivery(root: Path) -> None:
    """Six synthetic notes, a SHA256SUMS manifest, then one note altered and one extra file."""
    shutil.rmtree(root, ignore_errors=True)
    (root / "notes").mkdir(parents=True)
    lines = []
    for i in range(1, 7):
        body = f"Synthetic clinic letter {i}. Nothing here refers to a real person.\n".encode()
        (root / "notes" / f"letter-{i:03d}.txt").write_bytes(body)
        lines.append(f"{hashlib.sha256(body).hexdigest()}  notes/letter-{i:03d}.txt\n")
    (root / "SHA256SUMS").write_text("".join(lines))
    (root / "notes" / "letter-004.txt").write_bytes(b"Synthetic clinic letter 4, changed in transit.\n")
    (root / "notes" / "stray.txt").write_bytes(b"A file the site did not list.\n")


def rows(ui: Ui, testid: str) -> list:
    return ui.driver.find_elements(By.CSS_SELECTOR, f'{ui.css(testid)} tbody tr')


def test_receive_a_delivery_with_a_changed_file(ui: Ui, work_dir: Path) -> None:
    source = work_dir / "incoming-site-b"
    make_delivery(source)

    ui.click("welcome-demo")
    ui.visible("demo-users", timeout=120)
    ui.wait(30).until(lambda d: len(demo_users(ui)) >= 4)
    lead = next(u for u in demo_users(ui) if u["role"] == "lead")
    if not any(e.is_displayed() for e in ui.present("login-user")):
        ui.click("demo-continue")
    ui.login(lead["name"], lead["passphrase"])
    ui.text_contains("role-badge", "lead", timeout=60)

    ui.click("nav-receive")
    ui.visible("batches-table")  # the demo's own three deliveries (notes, a changed note, CT)
    assert len(rows(ui, "batches-table")) == 3
    ui.screenshot("ingest-start")

    ui.fill("ingest-source", str(source))
    ui.click("ingest-check")
    pre = ui.visible("ingest-preflight")
    assert "Folder with a manifest" in pre.text, pre.text
    ui.text_contains("ingest-preflight-warn", "1 extra")
    ui.screenshot("ingest-preflight")

    ui.click("ingest-start")
    result = ui.text_contains("ingest-result", "quarantined", timeout=60)
    assert "2 files have problems" in result, result
    problems = rows(ui, "ingest-files")
    verdicts = sorted(r.get_attribute("data-verdict") for r in problems)
    assert verdicts == ["extra", "mismatched"], verdicts
    changed = next(r for r in problems if r.get_attribute("data-verdict") == "mismatched")
    assert "notes/letter-004.txt" in changed.text, changed.text
    ui.screenshot("ingest-report-problems")

    ui.click("ingest-filter-all")
    ui.wait(10).until(lambda d: len(rows(ui, "ingest-files")) == 7)
    ui.screenshot("ingest-report-all-files")

    ui.click("ingest-release")
    ui.text_contains("ingest-decided", "released")
    receipt = work_dir / "receipt-site-b.json"
    ui.fill("ingest-receipt-path", str(receipt))
    ui.click("ingest-receipt-export")
    ui.text_contains("ingest-receipt-result", "intact", timeout=30)
    assert receipt.is_file() and Path(f"{receipt}.txt").is_file()
    assert "mismatched" in receipt.read_text()
    ui.driver.execute_script("arguments[0].scrollIntoView()", ui.visible("ingest-report"))
    ui.screenshot("ingest-final-report")

    ui.click("nav-items")
    ui.visible("items-table")
    ui.wait(10).until(lambda d: any("letter-004.txt" in r.text for r in rows(ui, "items-table")))
    statuses = [r.get_attribute("data-status") for r in rows(ui, "items-table")]
    assert statuses.count("quarantined") == 3, statuses  # the demo's one, plus two here
    ui.screenshot("ingest-items")
