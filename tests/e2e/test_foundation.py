"""Foundation journeys of the Airlock desktop app, driven through tauri-driver.

test_foundation_journey: create a vault, recovery code, users and roles, permission checks,
failed login, the audit trail (filter, verify) and "the app holds no internet sockets".
test_demo_project: open the demo project and log in as its lead.

Screenshots after every step: target/e2e-screenshots/NN-name.png.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException

from conftest import Ui
from netcheck import descendants, find_app_pids, inet_sockets

PROJECT = "E2E Study"
LEAD = "lee.lead"
ANNOTATOR = "ann.avery"
COMPLIANCE = "cas.comp"
PASSPHRASES = {
    LEAD: "lead-passphrase-for-e2e-0001",
    ANNOTATOR: "annotator-passphrase-e2e-0002",
    COMPLIANCE: "compliance-passphrase-e2e-03",
}
ROLES = ("lead", "annotator", "reviewer", "compliance")


def audit_actions(ui: Ui) -> list[str]:
    """data-action of every audit row currently shown (retries if the table re-renders)."""
    for _ in range(5):
        try:
            return [
                e.get_attribute("data-action")
                for e in ui.driver.find_elements(By.CSS_SELECTOR, ui.css("audit-row"))
            ]
        except StaleElementReferenceException:
            continue
    return []


def wait_actions(ui: Ui, predicate, what: str, timeout: float = 15) -> list[str]:
    try:
        ui.wait(timeout).until(lambda d: predicate(audit_actions(ui)))
    except TimeoutException:
        ui.screenshot("audit-" + what.replace(" ", "-"))
        raise AssertionError(f"audit rows never showed {what}; saw {audit_actions(ui)}") from None
    return audit_actions(ui)


def add_user(ui: Ui, name: str, role: str, passphrase: str) -> None:
    ui.fill("user-add-name", name)
    ui.select("user-add-role", role)
    ui.fill("user-add-passphrase", passphrase)
    ui.fill("user-add-passphrase2", passphrase)
    ui.click("user-add-submit")
    ui.visible(f"user-row-{name}")


def test_foundation_journey(ui: Ui, work_dir: Path, app_binary: Path) -> None:
    vault_dir = work_dir / "journey"
    shutil.rmtree(vault_dir, ignore_errors=True)
    vault_dir.mkdir(parents=True)
    vault = vault_dir / "e2e.airlock"

    # a. Welcome -> create a vault -> recovery code.
    ui.visible("welcome-create")
    ui.screenshot("welcome")
    ui.click("welcome-create")
    ui.fill("create-path", str(vault))
    ui.fill("create-project", PROJECT)
    ui.fill("create-lead", LEAD)
    ui.fill("create-passphrase", PASSPHRASES[LEAD])
    ui.fill("create-passphrase2", PASSPHRASES[LEAD])
    ui.screenshot("create-form")
    ui.click("create-submit")
    code = ui.visible("recovery-code", timeout=60)  # argon2 in a debug build takes a while
    ui.wait().until(lambda d: code.text.strip() != "")
    assert len(code.text.strip()) >= 16, f"recovery code looks too short: {code.text!r}"
    ui.screenshot("recovery-code")
    ui.click("recovery-ack")
    ui.click("recovery-continue")
    ui.screenshot("after-recovery")
    assert (vault / "vault.json").is_file(), f"no vault.json in {vault}"

    # b. Log in as the lead.
    ui.login(LEAD, PASSPHRASES[LEAD])
    ui.text_contains("role-badge", "lead", timeout=60)
    ui.screenshot("lead-logged-in")

    # c. Add an annotator and a compliance officer.
    ui.click("nav-users")
    ui.visible(f"user-row-{LEAD}")
    add_user(ui, ANNOTATOR, "annotator", PASSPHRASES[ANNOTATOR])
    add_user(ui, COMPLIANCE, "compliance", PASSPHRASES[COMPLIANCE])
    ui.visible(f"user-row-{ANNOTATOR}")
    ui.visible(f"user-row-{COMPLIANCE}")
    ui.screenshot("users-added")

    # d. The annotator cannot see or reach user management.
    ui.logout()
    ui.login(ANNOTATOR, PASSPHRASES[ANNOTATOR])
    ui.text_contains("role-badge", "annotator", timeout=60)
    ui.absent("nav-users")
    ui.screenshot("annotator-logged-in")
    ui.driver.execute_script("location.hash='#/users'")
    ui.visible("forbidden")
    assert not any(e.is_displayed() for e in ui.present(f"user-row-{LEAD}")), "annotator sees the user list"
    ui.screenshot("annotator-forbidden")

    # e. A wrong passphrase is refused with a clear message.
    ui.logout()
    ui.login(ANNOTATOR, "this-is-not-the-right-passphrase")
    ui.text_contains("login-error", "not recognised", timeout=60)
    ui.screenshot("login-wrong-passphrase")

    # f. Compliance reads, filters and verifies the audit trail.
    ui.login(COMPLIANCE, PASSPHRASES[COMPLIANCE])
    ui.text_contains("role-badge", "compliance", timeout=60)
    ui.click("nav-audit")
    needed = {"login_failed", "user_added", "login", "logout"}
    actions = wait_actions(ui, lambda a: needed <= set(a), "login_failed, user_added, login, logout")
    ui.screenshot("audit-all")
    ui.select("audit-filter-action", "login_failed")
    actions = wait_actions(
        ui, lambda a: a and all(x == "login_failed" for x in a), "only login_failed rows"
    )
    assert len(actions) >= 1
    ui.screenshot("audit-filter-login-failed")
    ui.select("audit-filter-action", "")
    wait_actions(ui, lambda a: needed <= set(a), "all actions again after clearing the filter")
    ui.click("audit-verify")
    ui.wait(60).until(
        lambda d: any(
            e.is_displayed() and e.get_attribute("data-ok") == "true"
            for e in d.find_elements(By.CSS_SELECTOR, ui.css("audit-verify-result"))
        )
    )
    ui.screenshot("audit-verified")

    # g. While running, the app (and its WebKit helper processes) holds no internet sockets.
    pids = find_app_pids(app_binary, os.environ.get("AIRLOCK_E2E_APP_MARK"))
    assert pids, f"could not find the running {app_binary.name} process"
    all_pids = sorted({p for pid in pids for p in descendants(pid)})
    sockets = [s for p in all_pids for s in inet_sockets(p)]
    print(f"app pids {pids}, with helpers {all_pids}; inet sockets: {[str(s) for s in sockets] or 'none'}")
    outside = [str(s) for s in sockets if not s.remote_is_local]
    assert not outside, f"the app holds non-loopback sockets: {outside}"


def demo_users(ui: Ui) -> list[dict[str, str]]:
    """Read the demo table: one dict (name, role, passphrase) per row.

    Uses data-name / data-role / data-passphrase attributes when the rows have them, otherwise the
    cell texts (name first, the role cell, passphrase last)."""
    table = ui.visible("demo-users")
    rows = table.find_elements(By.CSS_SELECTOR, "[data-role]") or table.find_elements(By.CSS_SELECTOR, "tr")
    users = []
    for row in rows:
        cells = [c.text.strip() for c in row.find_elements(By.CSS_SELECTOR, "td, th")]
        role = (row.get_attribute("data-role") or "").strip()
        if not role:
            role = next((c.lower() for c in cells if c.lower() in ROLES), "")
        if not role:
            continue  # header row
        name = (row.get_attribute("data-name") or (cells[0] if cells else "")).strip()
        pw = (row.get_attribute("data-passphrase") or (cells[-1] if cells else "")).strip()
        users.append({"name": name, "role": role, "passphrase": pw})
    return users


def test_demo_project(ui: Ui) -> None:
    ui.visible("welcome-demo")
    ui.screenshot("demo-welcome")
    ui.click("welcome-demo")
    ui.visible("demo-users", timeout=120)  # four argon2 hashes in a debug build
    ui.wait(30).until(lambda d: len(demo_users(ui)) >= 4)
    users = demo_users(ui)
    ui.screenshot("demo-users")
    roles = {u["role"] for u in users}
    assert roles == set(ROLES), f"demo users should cover the 4 roles, got {users}"
    lead = next(u for u in users if u["role"] == "lead")
    assert lead["name"] and lead["passphrase"], f"demo lead row incomplete: {lead}"

    if not any(e.is_displayed() for e in ui.present("login-user")):
        ui.click("demo-continue")
    ui.login(lead["name"], lead["passphrase"])
    ui.text_contains("role-badge", "lead", timeout=60)
    ui.screenshot("demo-lead-logged-in")
