"""The demo page's layout in a real browser (Playwright driving Debian's chromium) against a
real `python app.py` process: nothing on a trace page -- a long one-line input or output, a
long span name -- makes the page wider than the window (no sideways scrolling)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import requests

from conftest import LiveServer

CHROMIUM = "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", exc_type=ImportError,
                               reason="playwright is not installed (pip install -r requirements-dev.txt)")
pytestmark = pytest.mark.browser
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
HEADERS = {"X-API-Key": "layout", "X-Project-Name": "demo"}
LONG_WORD = "x" * 3000
LONG_JSON = {"query": " ".join(f"word{i}" for i in range(600)), "blob": LONG_WORD}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ui-layout")
    fake = LiveServer(tmp / "server.log", "--db", str(tmp / "ui.db"), "--quiet").start()
    yield fake
    fake.stop()


@pytest.mark.parametrize("width", [1360, 800, 420])
def test_a_trace_with_long_one_line_input_and_output_fits_the_window(server, width):
    trace_id = str(uuid.uuid4())
    body = {"trace_id": trace_id, "name": "n" * 300, "input": LONG_JSON, "output": LONG_WORD,
            "started_at": "2026-03-01T10:00:00Z", "ended_at": "2026-03-01T10:00:05Z",
            "spans": [{"name": "s" * 400, "kind": "LLM", "started_at": "2026-03-01T10:00:00Z",
                       "ended_at": "2026-03-01T10:00:04Z", "input": LONG_JSON}]}
    assert requests.post(f"{server.url}/traces", json=body, headers=HEADERS, timeout=5).status_code == 202
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.goto(f"{server.url}/ui/traces/{trace_id}")
            page.locator("details.io summary").click()  # open "Input and output"
            assert page.locator("details.io pre").first.is_visible()
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            inner_width = page.evaluate("window.innerWidth")
            assert scroll_width <= inner_width, (scroll_width, inner_width)
            box = page.locator("#trace").bounding_box()
            assert box["x"] + box["width"] <= inner_width
        finally:
            browser.close()
