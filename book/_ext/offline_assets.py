"""Serve the widget and maths JavaScript from the site itself instead of public CDNs.

myst-nb loads require.js and the ipywidgets HTML manager from CDNs, and Sphinx loads MathJax
from one. Offline, or behind a school firewall, that leaves pages without sliders or maths.
When `npm ci` has installed the pinned packages, this extension copies what the pages need
into a git-ignored folder that Sphinx serves through ``html_extra_path``, and points myst-nb
and MathJax at it. Without node_modules it leaves the CDN defaults in place and says so.
"""

import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

logger = logging.getLogger(__name__)

# The served folder: <site>/vendor/ ; pages reach it relative to their _static folder.
SERVED = "vendor"
STAGING = Path("_build") / "vendor_js"
FROM_STATIC = f"../{SERVED}"

WIDGET_FILES = ("embed-amd.js",)
WIDGET_FONTS = ("*.woff", "*.woff2", "*.ttf", "*.eot", "*.svg")
MATHJAX_PARTS = ("tex-chtml.js", "output", "input", "ui", "a11y")

# The bundle defines AMD modules such as "@jupyter-widgets/base" and derives the URL of its
# font files from the module's URL. Mapping the names onto the served folder makes those
# URLs land there; the folder is found from this script's own URL, so the site also works
# when it is published under a sub-path.
REQUIRE_CONFIG = """\
(function () {
  var here = document.currentScript.src.replace(/[^/]*$/, "");
  var names = ["base", "controls", "base7", "controls7", "output", "html-manager"];
  var paths = {};
  names.forEach(function (name) { paths["@jupyter-widgets/" + name] = here + name; });
  paths["@jupyter-widgets/html-manager/dist/libembed-amd"] = here + "libembed-amd";
  require.config({ paths: paths });
})();
"""


def _stage(root: Path) -> bool:
    """Copy the pinned JavaScript from node_modules into the staging folder."""
    modules = root / "node_modules"
    manager = modules / "@jupyter-widgets" / "html-manager" / "dist"
    requirejs = modules / "requirejs" / "require.js"
    mathjax = modules / "mathjax" / "es5"
    if not (manager.is_dir() and requirejs.is_file() and mathjax.is_dir()):
        return False
    out = root / STAGING / SERVED
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copy2(requirejs, out / "require.js")
    for name in WIDGET_FILES:
        shutil.copy2(manager / name, out / name)
    for pattern in WIDGET_FONTS:
        for font in manager.glob(pattern):
            shutil.copy2(font, out / font.name)
    (out / "require-config.js").write_text(REQUIRE_CONFIG)
    for part in MATHJAX_PARTS:
        src = mathjax / part
        dst = out / "mathjax" / part
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    return True


def _configure(app: Sphinx, config: Config) -> None:
    root = Path(app.confdir)
    if not _stage(root):
        logger.info(
            "offline_assets: node_modules not found (run `npm ci`); "
            "widgets and maths load from public CDNs"
        )
        return
    config.html_extra_path = [*config.html_extra_path, str(STAGING)]
    config.nb_ipywidgets_js = {
        f"{FROM_STATIC}/require.js": {},
        f"{FROM_STATIC}/require-config.js": {},
        f"{FROM_STATIC}/embed-amd.js": {},
    }
    config.mathjax_path = f"{FROM_STATIC}/mathjax/tex-chtml.js"


# ipywidgets typesets slider labels with MathJax 2's ``MathJax.Hub.Queue``; the book loads
# MathJax 3, which has no Hub, so every label on a page with maths raised an error. This maps
# the old call onto MathJax 3's typesetPromise. It runs after Sphinx's ``window.MathJax = {...}``
# configuration and again once MathJax has replaced that object with itself.
MATHJAX2_HUB_SHIM = """(function () {
  var hub = {
    Queue: function (job) {
      var element = job && job[2];
      if (element && window.MathJax && MathJax.typesetPromise) {
        MathJax.typesetPromise([element]).catch(function (err) { console.warn(err); });
      }
    }
  };
  window.MathJax = window.MathJax || {};
  MathJax.Hub = hub;
  MathJax.startup = MathJax.startup || {};
  var ready = MathJax.startup.ready;
  MathJax.startup.ready = function () {
    if (ready) { ready(); } else { MathJax.startup.defaultReady(); }
    MathJax.Hub = hub;
  };
})();
"""


def _page_scripts(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """Tidy the scripts of one page: no duplicates, and the MathJax shim where it is needed."""
    scripts = context.get("script_files")
    if scripts is None:
        return
    # In place: Sphinx restores this very list after the page is written.
    scripts[:] = _without_duplicates(scripts)
    mathjax = str(app.config.mathjax_path)
    if any(str(script.filename or "").endswith(mathjax) for script in scripts):
        # Priority 501 puts it after the MathJax configuration (500) on the page.
        app.add_js_file(None, body=MATHJAX2_HUB_SHIM, priority=501)


def _without_duplicates(scripts: list) -> list:
    """Keep one copy of each script.

    sphinx-thebe adds its inline configuration every time ``env-before-read-docs`` fires, and
    under Jupyter Book that happens more than once, so pages declared ``THEBE_JS_URL`` twice
    and the browser stopped with a SyntaxError.
    """
    seen, kept = set(), []
    for script in scripts:
        # Copies may differ in priority alone, so compare what ends up on the page,
        # ... and in filename, None against "" for inline scripts.
        key = (str(script.filename or ""), tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    return kept


def setup(app: Sphinx) -> dict:
    # Run after myst-nb has registered its options, so our values replace its defaults.
    app.connect("config-inited", _configure, priority=900)
    app.connect("html-page-context", _page_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
