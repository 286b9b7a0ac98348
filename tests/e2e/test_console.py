"""The web console at /ui, driven in real headless Chromium against a real stack
(worker with the packaged model, router with auth on, bridge).

Each page is saved as a screenshot under test-artifacts/console/ (HELIXFLOW_TEST_ARTIFACTS).
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from browser import artifacts_dir, chromium
from prerequisites import unavailable

try:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.chrome.webdriver import WebDriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # a failure under CI=true, a skip elsewhere
    unavailable("selenium is not installed (pip install -e '.[dev]')", module_level=True)

from helixflow.router.access.admin.convert import template_from_proto
from helixflow.router.access.keys.service import KeyService
from helixflow.router.access.keys.store import SqliteKeyStore
from helixflow.stack.local import LocalStack
from helixflow.v1 import admin_pb2
from tests.e2e.conftest import running_stack

WAIT_S = 60


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with running_stack(tmp_path_factory, auth=True) as local:
        yield local


@pytest.fixture(scope="module")
def admin_key(secured: LocalStack) -> str:
    store = SqliteKeyStore(secured.options.certs_dir / "keys.sqlite3")
    scopes = admin_pb2.KeyScopes(permissions=[admin_pb2.PERMISSION_ADMIN, admin_pb2.PERMISSION_INFERENCE])
    _, secret = asyncio.run(KeyService(store).create(template_from_proto("console-admin", scopes)))
    return secret


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    with chromium(Path(tmp_path_factory.mktemp("chromium-profile"))) as driver:
        driver.set_page_load_timeout(WAIT_S)
        yield driver


def _wait(driver: WebDriver, timeout: float = WAIT_S) -> WebDriverWait[WebDriver]:
    # A page that re-renders (htmx-like swaps, live updates) can stale an element between
    # finding and reading it: look again instead of failing.
    return WebDriverWait(driver, timeout, poll_frequency=0.05, ignored_exceptions=[StaleElementReferenceException])


def _shot(driver: WebDriver, name: str) -> None:
    driver.save_screenshot(str(artifacts_dir() / f"{name}.png"))


def _sign_in(driver: WebDriver, base: str, key: str) -> None:
    driver.get(f"{base}/ui/login")
    driver.find_element(By.ID, "key").send_keys(key)
    driver.find_element(By.ID, "sign-in").click()


def _chat(stack: LocalStack, key: str, max_tokens: int = 8) -> httpx.Response:
    return httpx.post(
        f"{stack.bridge_url}/v1/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={
            "model": stack.options.model_id,
            "ignore_eos": True,
            "messages": [{"role": "user", "content": "Hi"}],
            "max_tokens": max_tokens,
        },
        timeout=120,
    )


def test_wrong_key_is_refused(secured: LocalStack, browser: WebDriver) -> None:
    _sign_in(browser, secured.bridge_url, "hf_this-key-does-not-exist")
    error = _wait(browser).until(lambda d: d.find_element(By.ID, "login-error"))
    assert "not accepted" in error.text
    assert browser.current_url.endswith("/ui/login")
    assert "hf_this-key-does-not-exist" not in browser.page_source
    _shot(browser, "login-refused")
    # Not signed in: an admin page sends the browser back to the sign-in form.
    browser.get(f"{secured.bridge_url}/ui/keys")
    assert browser.current_url.endswith("/ui/login")


def test_admin_key_signs_in(secured: LocalStack, browser: WebDriver, admin_key: str) -> None:
    _sign_in(browser, secured.bridge_url, admin_key)
    _wait(browser).until(lambda d: d.current_url.endswith("/ui/workers"))
    assert browser.find_element(By.ID, "role").text == "admin key"
    assert admin_key not in browser.page_source
    assert admin_key not in browser.current_url
    cookie = browser.get_cookie("hf_console")
    assert cookie is not None
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert admin_key not in cookie["value"]
    assert browser.find_elements(By.ID, "auth-off-banner") == []


def test_playground_streams_token_by_token(secured: LocalStack, browser: WebDriver) -> None:
    browser.get(f"{secured.bridge_url}/ui/playground")
    _wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#model option"))
    tokens = browser.find_element(By.ID, "max_tokens")
    tokens.clear()
    tokens.send_keys("24")
    browser.find_element(By.ID, "temperature").send_keys("0.8")
    browser.find_element(By.ID, "seed").send_keys("7")
    browser.find_element(By.ID, "prompt").send_keys("Write a long story about a lighthouse keeper.")
    browser.find_element(By.ID, "send").click()
    seen: list[str] = []

    def streamed(d: WebDriver) -> bool:
        text = d.execute_script("const t = document.querySelector('.msg.assistant .text'); return t && t.textContent;")
        if text and (not seen or text != seen[-1]):
            seen.append(text)
        return not d.find_elements(By.CSS_SELECTOR, ".msg.assistant.streaming")

    _wait(browser, 180).until(streamed)
    assert len(seen) >= 3, seen
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(seen)), seen
    stats = browser.find_element(By.ID, "stats")
    for part in ("TTFT", "tok/s", "completion tokens"):
        assert part in stats.text, stats.text
    assert int(stats.get_attribute("data-completion-tokens") or 0) > 0
    curl = browser.find_element(By.ID, "snippet-curl").text
    assert "$HELIXFLOW_API_KEY" in curl
    assert f"{secured.bridge_url}/v1/chat/completions" in curl
    assert "OpenAI(base_url=" in browser.find_element(By.ID, "snippet-python").text
    _shot(browser, "playground")


def test_workers_page_follows_a_long_stream(secured: LocalStack, browser: WebDriver, admin_key: str) -> None:
    browser.get(f"{secured.bridge_url}/ui/workers")

    def cell(d: WebDriver, css: str) -> str:
        # One read in the page: the table is re-rendered on every snapshot.
        text = d.execute_script("const c = document.querySelector(arguments[0]); return c && c.textContent;", css)
        return str(text or "")

    def running(d: WebDriver) -> int | None:
        text = cell(d, "#workers td.running")
        return int(text) if text.isdigit() else None

    _wait(browser).until(lambda d: running(d) == 0)
    done = threading.Event()
    result: list[httpx.Response] = []

    def long_stream() -> None:
        try:
            result.append(_chat(secured, admin_key, max_tokens=64))
        finally:
            done.set()

    thread = threading.Thread(target=long_stream)
    thread.start()
    try:
        _wait(browser, 120).until(lambda d: (running(d) or 0) >= 1 or done.is_set())
        assert not done.is_set() or (running(browser) or 0) >= 1, "the stream ended before the page saw it"
        _shot(browser, "workers")
        assert cell(browser, "#workers tbody tr td:nth-child(3)").startswith("gemma")
    finally:
        thread.join(300)
    assert result, "the long stream got no reply"
    assert result[0].status_code == 200, result[0].text
    _wait(browser).until(lambda d: running(d) == 0)


def test_keys_secret_once_then_revoked(secured: LocalStack, browser: WebDriver) -> None:
    base = secured.bridge_url
    browser.get(f"{base}/ui/keys")
    browser.find_element(By.ID, "key-name").send_keys("browser-key")
    browser.find_element(By.ID, "create").click()
    secret = _wait(browser).until(lambda d: d.find_element(By.ID, "new-secret")).text
    assert secret.startswith("hf_")
    browser.find_element(By.ID, "copy-secret").click()
    _shot(browser, "keys-created")
    assert _chat(secured, secret).status_code == 200
    browser.refresh()
    _wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, 'tr[data-name="browser-key"]'))
    assert browser.find_elements(By.ID, "new-secret") == []
    assert secret not in browser.page_source
    row = browser.find_element(By.CSS_SELECTOR, 'tr[data-name="browser-key"]')
    # The key's own usage chart has the call just made.
    assert row.find_elements(By.CSS_SELECTOR, "svg circle.pt")
    row.find_element(By.CSS_SELECTOR, "button.revoke").click()
    status = 'tr[data-name="browser-key"] td.status'
    assert _wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, status).text == "revoked")
    _shot(browser, "keys")
    assert _chat(secured, secret).status_code == 401


def test_usage_chart_has_the_calls_just_made(secured: LocalStack, browser: WebDriver, admin_key: str) -> None:
    assert _chat(secured, admin_key).status_code == 200
    browser.get(f"{secured.bridge_url}/ui/usage?range=15m")
    points = browser.find_elements(By.CSS_SELECTOR, "#usage-charts svg[aria-label='requests'] circle.pt")
    assert points, browser.page_source
    assert sum(float(p.get_attribute("data-v") or 0) for p in points) >= 1
    latest = max(int(p.get_attribute("data-t") or 0) for p in points)
    assert browser.execute_script("return Date.now() / 1000") - latest < 15 * 60
    assert browser.find_elements(By.CSS_SELECTOR, "#usage-charts svg[aria-label='mean TTFT (ms)'] circle.pt")
    # Whole replies count as OK even when the client closes the stream right after the last event.
    assert browser.find_element(By.ID, "errors").text.endswith("none")
    _shot(browser, "usage")


def test_live_requests_list_finished_calls(secured: LocalStack, browser: WebDriver, admin_key: str) -> None:
    browser.get(f"{secured.bridge_url}/ui/requests")
    _wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#requests tbody tr"))
    before = len(browser.find_elements(By.CSS_SELECTOR, "#requests tbody tr"))
    reply = _chat(secured, admin_key)
    assert reply.status_code == 200
    _wait(browser).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#requests tbody tr")) > before)
    newest = browser.find_element(By.CSS_SELECTOR, "#requests tbody tr")
    assert "console-admin" in newest.text
    assert "OK" in newest.text
    assert "lighthouse keeper" not in browser.page_source  # prompts are never shown
    _shot(browser, "requests")


def test_csrf_less_posts_are_refused(secured: LocalStack, browser: WebDriver) -> None:
    browser.get(f"{secured.bridge_url}/ui/keys")
    script = """
        const done = arguments[arguments.length - 1];
        const form = (extra) => fetch('/ui/keys', {method: 'POST', body: 'name=csrf-less' + extra,
            headers: {'content-type': 'application/x-www-form-urlencoded'}}).then((r) => r.status);
        const chat = fetch('/v1/models').then((r) => r.status);
        Promise.all([form(''), form('&csrf=wrong'), chat]).then(done);
    """
    assert browser.execute_async_script(script) == [403, 403, 401]
    browser.refresh()
    assert browser.find_elements(By.CSS_SELECTOR, 'tr[data-name="csrf-less"]') == []


def test_auth_off_banner(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> None:
    with chromium(Path(tmp_path_factory.mktemp("chromium-open"))) as driver:
        driver.get(f"{stack.bridge_url}/ui/workers")
        banner = driver.find_element(By.ID, "auth-off-banner")
        assert "Authentication is off" in banner.text
        _wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#workers tbody tr"))
        _shot(driver, "workers-auth-off")
