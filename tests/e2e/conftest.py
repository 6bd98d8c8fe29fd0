"""Fixtures and helpers for the Airlock desktop end-to-end tests.

Run through ``scripts/e2e``, which starts Xvfb and ``tauri-driver`` on 127.0.0.1:4444 and sets:

- ``AIRLOCK_E2E_BINARY``       absolute path of the desktop binary under test
- ``AIRLOCK_E2E_SCREENSHOTS``  where PNG screenshots go (target/e2e-screenshots)
- ``AIRLOCK_E2E_TMP``          a throw-away directory for vaults
- ``AIRLOCK_E2E_APP_MARK``     ``NAME=VALUE`` present in the environment of the processes the
                               run started (tauri-driver passes its environment to the app)
- ``AIRLOCK_DEFAULT_DIR``      the app's default vault directory (a temp dir)

Each test gets a fresh WebDriver session, i.e. a freshly launched app.
"""

from __future__ import annotations

import itertools
import os
import re
import tempfile
import time
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.common.proxy import Proxy, ProxyType
from selenium.webdriver.remote.client_config import ClientConfig
from selenium.webdriver.remote.remote_connection import RemoteConnection
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
DRIVER_URL = os.environ.get("AIRLOCK_E2E_DRIVER_URL", "http://127.0.0.1:4444")
BINARY = Path(os.environ.get("AIRLOCK_E2E_BINARY", ROOT / "target" / "debug" / "airlock-desktop")).resolve()
SHOTS = Path(os.environ.get("AIRLOCK_E2E_SCREENSHOTS", ROOT / "target" / "e2e-screenshots"))
WAIT_SECS = float(os.environ.get("AIRLOCK_E2E_WAIT", "30"))

# One counter for the whole run, so screenshots sort in the order they were taken.
_shot_counter = itertools.count(1)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")


class Ui:
    """Small wrapper around the driver: waits on ``data-testid``s, types, clicks, screenshots."""

    def __init__(self, driver: webdriver.Remote, wait: float = WAIT_SECS) -> None:
        self.driver = driver
        self.wait_secs = wait
        self.shots: list[Path] = []

    # -- locating ------------------------------------------------------------------------
    @staticmethod
    def css(testid: str) -> str:
        return f'[data-testid="{testid}"]'

    def wait(self, timeout: float | None = None) -> WebDriverWait:
        return WebDriverWait(
            self.driver,
            timeout if timeout is not None else self.wait_secs,
            poll_frequency=0.1,
            ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
        )

    def visible(self, testid: str, timeout: float | None = None) -> WebElement:
        """Wait until the element with this data-testid is visible and return it."""
        try:
            return self.wait(timeout).until(
                EC.visibility_of_element_located((By.CSS_SELECTOR, self.css(testid)))
            )
        except TimeoutException:
            self.screenshot(f"timeout-{testid}")
            raise AssertionError(
                f'[data-testid="{testid}"] did not become visible within '
                f"{timeout if timeout is not None else self.wait_secs:.0f} s"
            ) from None

    def present(self, testid: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, self.css(testid))

    def absent(self, testid: str, timeout: float = 5) -> None:
        """Wait until no element with this data-testid exists (or none is displayed)."""

        def gone(d):
            els = d.find_elements(By.CSS_SELECTOR, self.css(testid))
            return all(not e.is_displayed() for e in els)

        try:
            self.wait(timeout).until(gone)
        except TimeoutException:
            raise AssertionError(f'[data-testid="{testid}"] is still shown') from None

    def text_contains(self, testid: str, needle: str, timeout: float | None = None) -> str:
        """Wait until the element's text contains ``needle`` (case-insensitive); return the text."""
        el = self.visible(testid, timeout)
        seen: list[str] = []

        def has(d) -> bool:
            # The text is kept as read: the element may be replaced (or gone) just after.
            for e in d.find_elements(By.CSS_SELECTOR, self.css(testid)):
                text = e.text
                if needle.lower() in text.lower():
                    seen.append(text)
                    return True
            return False

        try:
            self.wait(timeout).until(has)
        except TimeoutException:
            raise AssertionError(
                f'[data-testid="{testid}"] text {el.text!r} does not contain {needle!r}'
            ) from None
        return seen[-1]

    # -- acting --------------------------------------------------------------------------
    def click(self, testid: str, timeout: float | None = None) -> None:
        try:
            el = self.wait(timeout).until(EC.element_to_be_clickable((By.CSS_SELECTOR, self.css(testid))))
        except TimeoutException:
            self.screenshot(f"timeout-{testid}")
            raise AssertionError(f'[data-testid="{testid}"] was not clickable') from None
        try:
            el.click()
        except WebDriverException:
            # e.g. "element click intercepted" by a transient overlay: retry once via JS.
            self.driver.execute_script("arguments[0].click();", el)

    def fill(self, testid: str, value: str, clear: bool = True) -> None:
        el = self.visible(testid)
        # Off-screen or under the status bar, WebKitWebDriver refuses to type into it.
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
        if clear:
            el.clear()
            if el.get_attribute("value"):
                # Some inputs ignore WebDriver clear(): select everything and delete.
                self.driver.execute_script(
                    "arguments[0].value='';"
                    "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
                    el,
                )
        el.send_keys(value)
        actual = el.get_attribute("value")
        assert actual == value, f'[data-testid="{testid}"] holds {actual!r}, expected {value!r}'

    def select(self, testid: str, value: str) -> None:
        el = self.visible(testid)
        Select(el).select_by_value(value)
        if el.get_attribute("value") != value:
            self.driver.execute_script(
                "arguments[0].value = arguments[1];"
                "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
                "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
                el,
                value,
            )
        assert el.get_attribute("value") == value, f"could not select {value!r} in {testid}"

    def screenshot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{next(_shot_counter):02d}-{_slug(name)}.png"
        try:
            self.driver.save_screenshot(str(path))
        except WebDriverException as exc:  # never let a screenshot hide the real failure
            print(f"screenshot {path.name} failed: {exc}")
            return path
        self.shots.append(path)
        return path

    # -- journeys ------------------------------------------------------------------------
    def login(self, user: str, passphrase: str) -> None:
        self.fill("login-user", user)
        self.fill("login-passphrase", passphrase)
        self.click("login-submit")

    def logout(self) -> None:
        self.click("logout")
        self.visible("login-user")


@pytest.fixture(scope="session")
def app_binary() -> Path:
    if not BINARY.is_file():
        pytest.fail(f"{BINARY} does not exist: build it (scripts/e2e builds it when missing)")
    return BINARY


@pytest.fixture(scope="session")
def work_dir() -> Path:
    """A directory for vaults, removed by scripts/e2e at the end of the run."""
    base = os.environ.get("AIRLOCK_E2E_TMP")
    if base:
        d = Path(base) / "work"
        d.mkdir(parents=True, exist_ok=True)
        return d
    return Path(tempfile.mkdtemp(prefix="airlock-e2e-work."))


def new_session(application: Path, browser_name: str = "wry", args: list[str] | None = None) -> webdriver.Remote:
    """A WebDriver session through tauri-driver; this launches a fresh instance of the app."""
    opts = ArgOptions()
    opts.set_capability("browserName", browser_name)
    tauri_options: dict = {"application": str(application)}
    if args:
        tauri_options["args"] = args
    opts.set_capability("tauri:options", tauri_options)
    # Talk to tauri-driver directly, never through an HTTP proxy from the environment.
    config = ClientConfig(remote_server_addr=DRIVER_URL, proxy=Proxy({"proxyType": ProxyType.DIRECT["string"]}))
    return webdriver.Remote(command_executor=RemoteConnection(client_config=config), options=opts)


@pytest.fixture
def driver(app_binary: Path):
    try:
        drv = new_session(app_binary)
    except WebDriverException as exc:
        pytest.fail(f"could not start a WebDriver session at {DRIVER_URL} (is tauri-driver running?): {exc}")
    drv.implicitly_wait(0)
    yield drv
    try:
        drv.quit()
    except WebDriverException:
        pass
    time.sleep(0.3)  # let the app process exit before the next session starts


@pytest.fixture
def ui(driver, request) -> Ui:
    u = Ui(driver)
    yield u
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        path = u.screenshot(f"FAILED-{request.node.name}")
        print(f"failure screenshot: {path}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    rep = yield
    setattr(item, f"rep_{rep.when}", rep)
    return rep
