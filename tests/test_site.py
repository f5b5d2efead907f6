"""The built site in a real browser: headless Chromium from Debian, driven by Playwright.

Every page must load with no page error and no request leaving 127.0.0.1, and every slider
must change its picture when moved with the keyboard and by dragging. The tests read
``_build/html``, which ``make test`` builds first. Where the site or the browser is missing
they skip with the reason; with CNN_BOOK_REQUIRE_SITE=1 (set by CI) a skip is a failure.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("CNN_BOOK_SITE", ROOT / "_build" / "html"))
CHROMIUM = Path(os.environ.get("CNN_BOOK_CHROMIUM", "/usr/bin/chromium"))
REQUIRED = os.environ.get("CNN_BOOK_REQUIRE_SITE") == "1"
# Flags that keep Chromium from phoning home, so the only traffic is to the local server.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SKIPPED_DIRS = {"_static", "_sources", "_images", "vendor", "_sphinx_design_static"}


def _missing() -> str | None:
    if not (SITE / "index.html").is_file():
        return f"no built site at {SITE}: run `make book` first"
    if not CHROMIUM.is_file():
        return f"no browser at {CHROMIUM}: install Debian's chromium"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


def _skip_or_fail(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"browser tests are required here but cannot run: {reason}")
    pytest.skip(reason)


def _pages() -> list[str]:
    if not SITE.is_dir():
        return []
    pages = []
    for path in sorted(SITE.rglob("*.html")):
        rel = path.relative_to(SITE)
        if rel.parts[0] in SKIPPED_DIRS or rel.name in {"genindex.html", "search.html"}:
            continue
        pages.append(rel.as_posix())
    return pages


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    reason = _missing()
    if reason:
        _skip_or_fail(reason)
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageVisit:
    """One page load with its errors, off-site requests and failed requests recorded."""

    def __init__(self, browser, url: str):
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.errors: list[str] = []
        self.offsite: list[str] = []
        self.failed: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("request", self._on_request)
        self.page.on("requestfailed", lambda req: self.failed.append(req.url))
        self.page.on("response", self._on_response)
        self.page.goto(url, wait_until="load")
        self.page.wait_for_load_state("networkidle")

    def _on_request(self, request) -> None:
        host = urlparse(request.url).hostname
        if request.url.startswith(("data:", "blob:", "about:")):
            return
        if host != "127.0.0.1":
            self.offsite.append(request.url)

    def _on_response(self, response) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.status} {response.url}")

    def close(self) -> None:
        self.page.close()


@pytest.mark.parametrize("page_path", _pages() or ["index.html"])
def test_page_loads_cleanly_and_offline(browser, server, page_path):
    visit = PageVisit(browser, f"{server}/{page_path}")
    try:
        assert visit.errors == [], f"{page_path}: page errors {visit.errors}"
        assert visit.offsite == [], f"{page_path}: requests leaving 127.0.0.1: {visit.offsite}"
        assert visit.failed == [], f"{page_path}: failed requests {visit.failed}"
    finally:
        visit.close()


def _slider_pages() -> list[str]:
    return [p for p in _pages() if "application/vnd.jupyter.widget-view+json" in
            (SITE / p).read_text(encoding="utf-8")]


def _shown_image(visit: PageVisit, index: int) -> str:
    """The src of the picture currently shown by the index-th slider widget on the page."""
    box = visit.page.locator(".jupyter-widgets.widget-vbox").nth(index)
    images = box.locator("img")
    for k in range(images.count()):
        if images.nth(k).is_visible():
            return images.nth(k).get_attribute("src") or ""
    return ""


def test_some_page_has_a_slider():
    if _missing():
        _skip_or_fail(_missing())
    assert _slider_pages(), "no page of the built site carries a widget"


@pytest.mark.parametrize("page_path", _slider_pages() or ["index.html"])
def test_sliders_change_their_picture(browser, server, page_path):
    if page_path not in _slider_pages():
        pytest.skip("no slider pages")
    visit = PageVisit(browser, f"{server}/{page_path}")
    try:
        handles = visit.page.locator(".jupyter-widgets .noUi-handle")
        handles.first.wait_for(state="visible", timeout=15000)
        boxes = visit.page.locator(".jupyter-widgets.widget-vbox")
        assert boxes.count() >= 1
        for index in range(boxes.count()):
            handle = boxes.nth(index).locator(".noUi-handle").first
            handle.scroll_into_view_if_needed()
            before = _shown_image(visit, index)
            assert before, f"{page_path}: slider {index} shows no picture"
            handle.focus()
            visit.page.keyboard.press("ArrowRight")
            after_key = _shown_image(visit, index)
            assert after_key != before, f"{page_path}: slider {index} ignored the keyboard"
            box = handle.bounding_box()
            track = boxes.nth(index).locator(".noUi-target").first.bounding_box()
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            # Drag to the far end: a slider of two values is already at its right end here.
            right_half = x > track["x"] + track["width"] / 2
            target = track["x"] + 2 if right_half else track["x"] + track["width"] - 2
            visit.page.mouse.move(x, y)
            visit.page.mouse.down()
            visit.page.mouse.move(target, y, steps=8)
            visit.page.mouse.up()
            after_drag = _shown_image(visit, index)
            assert after_drag != after_key, f"{page_path}: slider {index} ignored a drag"
        assert visit.errors == [], f"{page_path}: page errors {visit.errors}"
    finally:
        visit.close()


@pytest.mark.parametrize("page_path", ["notebooks/02_conv1d.html", "notebooks/08_transfer_learning.html"])
def test_chapter_pages_offer_every_launch_button(page_path):
    """Binder, Colab, JupyterHub, live code and download, all from repository.url."""
    if not (SITE / "index.html").is_file():
        _skip_or_fail(f"no built site at {SITE}: run `make book` first")
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repo = urlparse(config["repository"]["url"]).path.strip("/")
    notebook = page_path.replace(".html", ".ipynb")
    html = (SITE / page_path).read_text(encoding="utf-8")
    assert f"https://mybinder.org/v2/gh/{repo}/main?urlpath=lab/tree/{notebook}" in html
    assert f"https://colab.research.google.com/github/{repo}/blob/main/{notebook}" in html
    assert config["launch_buttons"]["jupyterhub_url"] + "/hub/user-redirect/git-pull" in html
    assert "initThebeSBT()" in html, "the live-code (Thebe) button is missing"
    assert f"_sources/{notebook}" in html, "the .ipynb download link is missing"
