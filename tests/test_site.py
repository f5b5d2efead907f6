"""The built site in a real browser: headless Chromium from Debian, driven by Playwright.

Every page must load with no page error, no console error or warning and no request leaving
127.0.0.1; axe-core must find no serious or critical accessibility violation once the
sliders have rendered; every handle of every slider must change its picture from the
keyboard (arrows, Home, End) and by dragging, with a visible focus ring; no code block of a
chapter may scroll sideways at 1280 px, and a phone-sized window must not scroll sideways
at all; no text in a figure or slider frame of a chapter may be smaller than the page's
small print. The tests read ``_build/html``, which ``make test`` builds first. Where the
site or the browser is missing they skip with the reason; with CNN_BOOK_REQUIRE_SITE=1
(set by CI) a skip is a failure.
"""

from __future__ import annotations

import collections
import functools
import http.server
import json
import os
import re
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import pytest

from cnn_helpers.widgets import COLUMN_PX, MIN_TEXT_PX

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("CNN_BOOK_SITE", ROOT / "_build" / "html"))
CHROMIUM = Path(os.environ.get("CNN_BOOK_CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
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
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# The page weight budget: the HTML of a chapter, and each slider frame embedded in it.
MAX_PAGE_BYTES = 2_000_000
MAX_FRAME_BYTES = 40_000
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Console notices that are not the site's doing: the pinned widget manager
# (@jupyter-widgets/html-manager 1.0.15) compiles its own widget-state schema with ajv in
# strict mode, and ajv remarks on that schema's union types on every page with a widget.
VENDOR_NOTICES = ("strict mode: use allowUnionTypes to allow union type keyword",)


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


def _chapter_pages() -> list[str]:
    return [p for p in _pages() if p.startswith("notebooks/")]


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
    """One page load with its errors, console messages and requests recorded."""

    def __init__(self, browser, url: str, viewport: dict = DESKTOP):
        self.page = browser.new_page(viewport=viewport)
        self.errors: list[str] = []
        self.console: list[str] = []
        self.offsite: list[str] = []
        self.failed: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console", self._on_console)
        self.page.on("request", self._on_request)
        self.page.on("requestfailed", lambda req: self.failed.append(req.url))
        self.page.on("response", self._on_response)
        self.page.goto(url, wait_until="load")
        self.page.wait_for_load_state("networkidle")
        self.sliders_rendered()

    def _on_console(self, message) -> None:
        if message.type in ("error", "warning") and not message.text.startswith(VENDOR_NOTICES):
            self.console.append(f"{message.type}: {message.text}")

    def _on_request(self, request) -> None:
        host = urlparse(request.url).hostname
        if request.url.startswith(("data:", "blob:", "about:")):
            return
        if host != "127.0.0.1":
            self.offsite.append(request.url)

    def _on_response(self, response) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.status} {response.url}")

    def sliders_rendered(self) -> None:
        """Wait until every widget view on the page has been drawn."""
        views = self.page.locator("script[type='application/vnd.jupyter.widget-view+json']")
        if views.count() == 0:
            return
        self.page.wait_for_function(
            "n => document.querySelectorAll('.jupyter-widgets.widget-vbox').length >= n",
            arg=views.count(), timeout=30000)
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:  # the book's script names the sliders once they are drawn
            self.page.wait_for_function(
                "() => [...document.querySelectorAll('.noUi-handle[role=slider]')]"
                ".every(h => h.hasAttribute('aria-label'))", timeout=5000)
        except PlaywrightTimeout:
            pass  # an unnamed slider is reported by axe and the slider test, with its page

    def close(self) -> None:
        self.page.close()


@pytest.mark.parametrize("page_path", _pages() or ["index.html"])
def test_page_loads_cleanly_and_offline(browser, server, page_path):
    visit = PageVisit(browser, f"{server}/{page_path}")
    try:
        assert visit.errors == [], f"{page_path}: page errors {visit.errors}"
        assert visit.console == [], f"{page_path}: console errors or warnings {visit.console}"
        assert visit.offsite == [], f"{page_path}: requests leaving 127.0.0.1: {visit.offsite}"
        assert visit.failed == [], f"{page_path}: failed requests {visit.failed}"
    finally:
        visit.close()


def _axe_violations(visit: PageVisit) -> list[dict]:
    visit.page.add_script_tag(path=str(AXE))
    return visit.page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact,"
        " nodes: v.nodes.length, target: v.nodes[0].target.join(' ')})))",
        AXE_TAGS)


@pytest.mark.parametrize("page_path", _pages() or ["index.html"])
def test_axe_finds_no_serious_violation(browser, server, page_path):
    if not AXE.is_file():
        _skip_or_fail("axe-core is not installed: run `npm ci`")
    visit = PageVisit(browser, f"{server}/{page_path}")
    try:
        violations = _axe_violations(visit)
    finally:
        visit.close()
    counts = collections.Counter()
    for v in violations:
        counts[f"{v['id']} ({v['impact']})"] += v["nodes"]
    print(f"\naxe {page_path}: {dict(counts) or 'no violations'}")
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], f"{page_path}: serious or critical axe violations {serious}"


def _slider_pages() -> list[str]:
    return [p for p in _pages() if "application/vnd.jupyter.widget-view+json" in
            (SITE / p).read_text(encoding="utf-8")]


def test_some_page_has_a_slider():
    if _missing():
        _skip_or_fail(_missing())
    assert _slider_pages(), "no page of the built site carries a widget"


SHOWN_FRAME = """box => {
  const shown = [...box.querySelectorAll('.cnn-frame')].filter(f => f.offsetParent !== null);
  if (shown.length !== 1) return null;
  const picture = shown[0].querySelector('svg, img');
  return picture ? (picture.getAttribute('aria-label') || picture.getAttribute('alt')) +
    ' | ' + picture.outerHTML.length + ' ' + picture.outerHTML.slice(-2000) : null;
}"""


def _focus_ring(handle) -> str:
    return handle.evaluate(
        "h => { const s = getComputedStyle(h); return s.outlineStyle !== 'none' &&"
        " parseFloat(s.outlineWidth) >= 2 ? s.outlineStyle + ' ' + s.outlineWidth : '' }")


@pytest.mark.parametrize("page_path", _slider_pages() or ["index.html"])
def test_every_slider_handle_works_from_keyboard_and_mouse(browser, server, page_path):
    if page_path not in _slider_pages():
        pytest.skip("no slider pages")
    visit = PageVisit(browser, f"{server}/{page_path}")
    page = visit.page
    try:
        boxes = page.locator(".jupyter-widgets.widget-vbox")
        assert boxes.count() >= 1
        for index in range(boxes.count()):
            box = boxes.nth(index)
            handles = box.locator(".noUi-handle[role='slider']")
            assert handles.count() >= 1, f"{page_path}: widget {index} has no slider"
            for k in range(handles.count()):
                where = f"{page_path}: widget {index}, slider {k}"
                handle = handles.nth(k)
                handle.scroll_into_view_if_needed()
                assert handle.get_attribute("aria-label"), f"{where} has no accessible name"
                shown = [box.evaluate(SHOWN_FRAME)]
                assert shown[0], f"{where}: no single picture with a text alternative shown"
                handle.focus()
                assert _focus_ring(handle), f"{where}: no visible focus ring"
                page.keyboard.press("Home")  # a slider may start at either end
                shown = [box.evaluate(SHOWN_FRAME)]
                for key in ["End", "Home", "ArrowRight"]:
                    page.keyboard.press(key)
                    shown.append(box.evaluate(SHOWN_FRAME))
                    assert shown[-1] != shown[-2], f"{where} ignored the key {key}"
                readout = handles.nth(k).locator(
                    "xpath=ancestor::div[contains(@class,'widget-slider')][1]"
                    "//div[contains(@class,'widget-readout')]").inner_text().strip()
                assert handle.get_attribute("aria-valuetext") == readout, (
                    f"{where} announces {handle.get_attribute('aria-valuetext')!r}, "
                    f"shows {readout!r}")
                # Drag to the far end: after ArrowRight the handle sits near the left end.
                page.keyboard.press("Home")
                before = box.evaluate(SHOWN_FRAME)
                grip, track = handle.bounding_box(), handle.locator(
                    "xpath=ancestor::div[contains(@class,'noUi-target')][1]").bounding_box()
                x, y = grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2
                page.mouse.move(x, y)
                page.mouse.down()
                page.mouse.move(track["x"] + track["width"] - 2, y, steps=8)
                page.mouse.up()
                assert box.evaluate(SHOWN_FRAME) != before, f"{where} ignored a drag"
        assert visit.errors == [], f"{page_path}: page errors {visit.errors}"
    finally:
        visit.close()


SCROLLING_BLOCKS = """() => {
  const blocks = [...document.querySelectorAll(
    '.cell_input pre, .cell_output pre, .cell_output .output, .cell_output .jupyter-widgets')];
  return blocks.filter(b => b.scrollWidth > b.clientWidth + 1).map(b =>
    (b.closest('.cell') || b).id + ' ' + b.className + ' ' + b.scrollWidth + '>' +
    b.clientWidth + ': ' + b.textContent.trim().split('\\n')[0].slice(0, 60));
}"""


@pytest.mark.parametrize("page_path", _chapter_pages() or ["index.html"])
def test_no_code_block_scrolls_sideways(browser, server, page_path):
    visit = PageVisit(browser, f"{server}/{page_path}")
    try:
        total = visit.page.locator(".cell_input pre, .cell_output pre").count()
        scrolling = visit.page.evaluate(SCROLLING_BLOCKS)
    finally:
        visit.close()
    print(f"\nwide blocks {page_path}: {len(scrolling)} of {total} code blocks scroll sideways")
    assert scrolling == [], f"{page_path}: blocks that scroll sideways at 1280 px {scrolling}"


PHONE_OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll(
    'article .jupyter-widgets.widget-vbox, article .cnn-frame svg, article .cnn-frame img,'
    + ' article .cell_output img, article .noUi-target')]
    .filter(e => e.getBoundingClientRect().right > width + 1)
    .map(e => e.tagName + '.' + e.className + ' right ' + e.getBoundingClientRect().right);
  return {page: document.scrollingElement.scrollWidth, width: width, wide: wide};
}"""


def test_a_chapter_fits_a_phone(browser, server):
    page_path = "notebooks/05_pooling.html"
    if not (SITE / page_path).is_file():
        _skip_or_fail(f"no {page_path} in the built site")
    visit = PageVisit(browser, f"{server}/{page_path}", viewport=PHONE)
    try:
        result = visit.page.evaluate(PHONE_OVERFLOW)
    finally:
        visit.close()
    assert result["page"] <= result["width"], f"the page scrolls sideways on a phone: {result}"
    assert result["wide"] == [], f"sliders or figures wider than a phone: {result['wide']}"


def _widget_frames(html: str) -> list[int]:
    """Bytes of every slider frame in a page's widget state, as the page carries them."""
    match = re.search(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)'
                      r"</script>", html, re.S)
    if not match:
        return []
    state = json.loads(match[1])["state"]
    sizes = []
    for model in state.values():
        name, value = model.get("model_name"), model.get("state", {}).get("value")
        if name == "HTMLModel" and "cnn-frame" in str(value):
            sizes.append(len(json.dumps(value)))
        elif name == "ImageModel":  # a bitmap frame travels base64-encoded among the buffers
            sizes += [len(b["data"]) for b in model.get("buffers", []) if b["path"] == ["value"]]
    return sizes


@pytest.mark.parametrize("page_path", _chapter_pages() or ["index.html"])
def test_pages_stay_light(page_path):
    if not (SITE / "index.html").is_file():
        _skip_or_fail(f"no built site at {SITE}: run `make book` first")
    html = (SITE / page_path).read_text(encoding="utf-8")
    size = len(html.encode("utf-8"))
    frames = _widget_frames(html)
    print(f"\nweight {page_path}: {size / 1e6:.2f} MB, {len(frames)} frames, "
          f"largest {max(frames, default=0) / 1e3:.1f} KB")
    assert size <= MAX_PAGE_BYTES, f"{page_path} weighs {size} bytes"
    assert max(frames, default=0) <= MAX_FRAME_BYTES, f"{page_path}: a frame of {max(frames)}"


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))


def _figures(page_path: str) -> list[dict]:
    """The attributes of every figure (an image under _images/) of a built page, in order."""
    if not (SITE / "index.html").is_file():
        _skip_or_fail(f"no built site at {SITE}: run `make book` first")
    parser = _Images()
    parser.feed((SITE / page_path).read_text(encoding="utf-8"))
    return [i for i in parser.images if "_images/" in i.get("src", "")]


@pytest.mark.parametrize("page_path", _chapter_pages() or ["index.html"])
def test_every_figure_says_what_it_shows(page_path):
    """A figure's alt text describes it; myst-nb's fallback, the file's path, does not."""
    figures = _figures(page_path)
    unnamed = [i["src"] for i in figures
               if len((i.get("alt") or "").split()) < 4 or "_images/" in i.get("alt", "")]
    assert unnamed == [], f"{page_path}: figures without a meaningful alt text {unnamed}"


@pytest.mark.parametrize("page_path", _chapter_pages() or ["index.html"])
def test_no_figure_is_shown_twice(page_path):
    """A cell that ends with a bare call returning its figure shows it twice; a `;` stops it."""
    # Images are named by a hash of their content: the same name twice in a row is one figure.
    srcs = [i["src"] for i in _figures(page_path)]
    twice = [a for a, b in zip(srcs, srcs[1:], strict=False) if a == b]
    assert twice == [], f"{page_path}: figures shown twice in a row {twice}"


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


# The page's small print: the theme's <small> text, as the browser sizes it in the article.
SMALL_PRINT = """() => {
  const probe = document.createElement('small');
  probe.textContent = 'small print';
  document.querySelector('article').appendChild(probe);
  const px = parseFloat(getComputedStyle(probe).fontSize);
  probe.remove();
  return px;
}"""

# The rendered size, in CSS px, of every piece of text in every figure and slider frame of
# the page at its current width. SVG text is measured where it is drawn: its font size times
# the scale from the drawing's units to the screen. A figure shown by <img> is drawn again
# off-screen at the width the page gives it; every slider frame, shown or not, is drawn
# off-screen at the width its slider's frames get. A bitmap frame carries the size its
# smallest text has at its own width (data-text-px, written when it was rendered).
FIGURE_TEXT = """async () => {
  const found = [];
  const textsOf = (svg, where) => {
    for (const t of svg.querySelectorAll('text, tspan')) {
      const own = [...t.childNodes].filter(n => n.nodeType === Node.TEXT_NODE)
        .map(n => n.textContent).join('').trim();
      if (!own) continue;
      const m = t.getScreenCTM();
      const scale = m ? Math.sqrt(Math.abs(m.a * m.d - m.b * m.c)) : NaN;
      found.push({px: parseFloat(getComputedStyle(t).fontSize) * scale,
                  text: own.slice(0, 40), where: where});
    }
  };
  const bitmap = (img, where) => {
    const px = parseFloat(img.dataset.textPx);
    const scale = img.getBoundingClientRect().width / parseFloat(img.getAttribute('width'));
    found.push({px: img.dataset.textPx === 'none' ? Infinity : px * scale,
                text: 'text in a bitmap', where: where});
  };
  const offscreen = (html, width) => {
    const box = document.createElement('div');
    box.style.cssText = 'position:absolute;left:-30000px;top:0;visibility:hidden;width:' +
      width + 'px';
    box.innerHTML = html;
    document.querySelector('article').appendChild(box);
    return box;
  };
  const article = document.querySelector('article');
  for (const img of article.querySelectorAll('img')) {
    if (img.closest('.cnn-frame')) continue;
    const where = 'figure "' + (img.getAttribute('alt') || img.getAttribute('src')) + '"';
    if (!new URL(img.src).pathname.endsWith('.svg')) { bitmap(img, where); continue; }
    const source = await (await fetch(img.src)).text();
    // A figure in a closed drop-down is shown, once opened, at its size or the column's.
    const width = img.getBoundingClientRect().width ||
      Math.min(img.naturalWidth, article.querySelector('p').getBoundingClientRect().width);
    const box = offscreen(source.slice(source.indexOf('<svg')), width);
    const svg = box.querySelector('svg');
    svg.setAttribute('width', width);
    svg.removeAttribute('height');
    svg.style.height = 'auto';
    textsOf(svg, where);
    box.remove();
  }
  for (const svg of article.querySelectorAll('svg')) {
    if (!svg.closest('.cnn-frame') && svg.querySelector('text')) {
      textsOf(svg, 'figure "' + (svg.getAttribute('aria-label') || 'inline drawing') + '"');
    }
  }
  const state = document.querySelector(
    'script[type="application/vnd.jupyter.widget-state+json"]');
  let width = null;
  if (state) {
    const shown = [...article.querySelectorAll('.cnn-frame')].filter(
      f => f.offsetParent !== null);
    // A frame may be as wide as its slider's area, less the margins of the widget holding it
    // (the shown frame itself is only as wide as its picture).
    width = Math.min(...shown.map(f => {
      const holder = getComputedStyle(f.parentElement.parentElement);
      return f.closest('.widget-subarea, .cell_output').getBoundingClientRect().width -
        parseFloat(holder.marginLeft) - parseFloat(holder.marginRight);
    }));
    for (const model of Object.values(JSON.parse(state.textContent).state)) {
      const html = model.state && model.state.value;
      if (model.model_name !== 'HTMLModel' || !String(html).includes('cnn-frame')) continue;
      const box = offscreen(html, width);
      const picture = box.querySelector('svg, img');
      const where = 'frame "' + (picture.getAttribute('aria-label') ||
                                 picture.getAttribute('alt')) + '"';
      if (picture.tagName === 'IMG') bitmap(picture, where); else textsOf(picture, where);
      box.remove();
    }
  }
  return {texts: found, frame_width: width};
}"""


@pytest.mark.parametrize("page_path", _chapter_pages() or ["index.html"])
def test_figure_text_reads_at_book_width(browser, server, page_path):
    """No text in a figure or slider frame is smaller than the page's small print."""
    visit = PageVisit(browser, f"{server}/{page_path}")
    try:
        small_print = visit.page.evaluate(SMALL_PRINT)
        measured = visit.page.evaluate(FIGURE_TEXT)
    finally:
        visit.close()
    texts = measured["texts"]
    # Frames are checked when they are drawn (cnn_helpers.widgets), against the same bar.
    assert MIN_TEXT_PX >= small_print - 0.01, f"widgets.MIN_TEXT_PX is below {small_print} px"
    if measured["frame_width"] is not None:
        assert COLUMN_PX <= measured["frame_width"] + 0.5, (
            f"frames get {measured['frame_width']} px, less than widgets.COLUMN_PX")
    unmeasured = [t for t in texts if not t["px"] == t["px"]]  # NaN: not drawn, no size
    assert unmeasured == [], f"{page_path}: figure text the browser could not size {unmeasured}"
    smallest = min(texts, key=lambda t: t["px"], default=None)
    print(f"\nfigure text {page_path}: small print {small_print:.2f} px, {len(texts)} texts, "
          f"smallest {smallest['px']:.2f} px ({smallest['text']!r}, {smallest['where']})"
          if smallest else f"\nfigure text {page_path}: no figure text")
    small = sorted((round(t["px"], 2), t["text"], t["where"]) for t in texts
                   if t["px"] < small_print - 0.01)
    assert small == [], (f"{page_path}: {len(small)} figure texts below the page's small print "
                         f"({small_print:.2f} px): {small[:20]}")
