"""Labelling and review in the desktop app, on the demo project: the second annotator fixes
the item the reviewer sent back (a reason is required once submitted) and submits it; the
first annotator labels an unfinished note; the reviewer compares A1 and A2, takes one into
the gold pane and saves it; the agreement screen shows the figures with their n.

Screenshots: target/e2e-screenshots/NN-annotate-*.png.
"""

from __future__ import annotations

from selenium.webdriver.common.by import By

from conftest import Ui
from test_foundation import demo_users


def demo(ui: Ui) -> dict[str, dict[str, str]]:
    ui.click("welcome-demo")
    ui.visible("demo-users", timeout=120)
    ui.wait(30).until(lambda d: len(demo_users(ui)) >= 5)
    users = {u["name"]: u for u in demo_users(ui)}
    if not any(e.is_displayed() for e in ui.present("login-user")):
        ui.click("demo-continue")
    return users


def select_word(ui: Ui, word: str) -> None:
    ui.driver.execute_script(
        """
        const root = document.querySelector('[data-testid="work-text"]');
        const span = [...root.querySelectorAll('[data-at]')].find(s => s.textContent.includes(arguments[0]));
        const node = span.firstChild; const at = node.textContent.indexOf(arguments[0]);
        const r = document.createRange(); r.setStart(node, at); r.setEnd(node, at + arguments[0].length);
        const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(r);
        document.dispatchEvent(new Event('selectionchange'));
        """,
        word,
    )


def test_two_annotators_a_reviewer_and_agreement(ui: Ui) -> None:
    users = demo(ui)

    # The second annotator: the item sent back comes first, with the reviewer's comment.
    ui.login("jordan.annotator", users["jordan.annotator"]["passphrase"])
    ui.click("nav-work")
    queue = ui.visible("work-queue")
    first = queue.find_element(By.CSS_SELECTOR, "button")
    assert first.get_attribute("data-status") == "rejected", first.get_attribute("data-status")
    first.click()
    ui.text_contains("work-comment", "procedures")
    ui.screenshot("annotate-rejected-item")
    text = ui.visible("work-text").text
    word = next(w for w in ("CT head", "stress test", "steri-strips", "pneumonia", "fever") if w in text)
    select_word(ui, word)
    ui.click("work-label-Procedure")
    ui.visible("work-reason")  # submitted before: a change needs a reason
    ui.fill("work-reason", "Relabelled per the reviewer's comment")
    ui.click("work-reason-ok")
    ui.text_contains("work-saved", "Saved", timeout=20)
    assert word in ui.visible("work-regions").text
    ui.screenshot("annotate-fixed")
    ui.click("work-submit")
    ui.wait(20).until(lambda d: "Saved" in ui.visible("work-saved").text or ui.present("work-empty"))
    ui.logout()

    # The first annotator finishes an unsubmitted note.
    ui.login("avery.annotator", users["avery.annotator"]["passphrase"])
    ui.click("nav-work")
    ui.visible("work-text")
    ui.screenshot("annotate-annotator-editor")
    assert "[NAME]" in ui.visible("work-text").text  # de-identified text only
    ui.click("work-submit")
    ui.logout()

    # The reviewer compares A1 and A2 and saves a gold label.
    ui.login("riley.reviewer", users["riley.reviewer"]["passphrase"])
    ui.click("nav-review")
    ui.visible("review-col-A1")
    ui.visible("review-col-A2")
    assert "annotator" not in ui.driver.find_element(By.CSS_SELECTOR, "main").text, "reviewers see aliases only"
    summary = ui.visible("review-summary").text
    assert "agree" in summary and "conflict" in summary, summary
    ui.screenshot("annotate-review-compare")
    ui.driver.find_element(By.TAG_NAME, "body").send_keys("1")
    ui.click("review-save-gold")
    ui.text_contains("review-msg", "Gold label saved")
    ui.screenshot("annotate-review-gold")

    # Agreement, with n on every figure.
    ui.click("nav-agreement")
    metrics = ui.visible("agreement-metrics")
    ui.wait(20).until(lambda d: "span f1" in metrics.text.lower())
    assert "/" in metrics.text
    ui.screenshot("annotate-agreement")
