"""A real HTTP server for the test's app, and Debian's Chromium driven through Playwright.

The server (tests/live_server.py) runs in a thread of the test process and serves the test's
own `app`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response, sync_playwright

from tests.live_server import serve

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEFAULT_CONTEXT = {"viewport": {"width": 1280, "height": 800}, "locale": "en-US"}


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The test's app on a real port, because a browser cannot call the Flask test client."""
    with serve(app) as url:
        yield url


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """One Chromium per test process: launching it costs more than most tests."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian: apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(request: pytest.FixtureRequest, chromium: Browser) -> Iterator[Page]:
    """A fresh context per test, so `@pytest.mark.browser(**options)` can set its options."""
    options: dict[str, Any] = dict(DEFAULT_CONTEXT)
    for marker in reversed(list(request.node.iter_markers("browser"))):
        options.update(marker.kwargs)
    context = chromium.new_context(**options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def console_errors(browser_page: Page) -> list[str]:
    """What a developer would see in red: console errors, exceptions, failed or 4xx/5xx loads."""
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        """CSP violations and failed loads arrive here as console errors."""
        if message.type == "error":
            problems.append(f"console: {message.text} at {message.location.get('url')}")

    def on_response(response: Response) -> None:
        """An HTTP error is a broken page even when the browser logs nothing."""
        if response.status >= 400:
            problems.append(f"HTTP {response.status}: {response.url}")

    def on_page_error(error: Exception) -> None:
        """An uncaught exception in our script."""
        problems.append(f"uncaught: {error}")

    def on_request_failed(request: Request) -> None:
        """A load that never got an answer (refused, aborted)."""
        problems.append(f"failed: {request.url} ({request.failure})")

    browser_page.on("console", on_console)
    browser_page.on("pageerror", on_page_error)
    browser_page.on("requestfailed", on_request_failed)
    browser_page.on("response", on_response)
    return problems
