"""The Sphinx extension that makes the site serve its own widget and maths JavaScript."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("offline_assets", ROOT / "book/_ext/offline_assets.py")
offline_assets = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(offline_assets)


def test_without_node_modules_nothing_is_staged(tmp_path):
    assert offline_assets._stage(tmp_path) is False
    assert not (tmp_path / offline_assets.STAGING).exists()


def test_with_node_modules_the_pages_get_everything_they_load(tmp_path):
    modules = ROOT / "node_modules"
    if not (modules / "@jupyter-widgets" / "html-manager").is_dir():
        pytest.skip("node_modules is not installed (make runs `npm ci`)")
    (tmp_path / "node_modules").symlink_to(modules)
    assert offline_assets._stage(tmp_path) is True
    served = tmp_path / offline_assets.STAGING / offline_assets.SERVED
    for name in ["require.js", "require-config.js", "embed-amd.js", "mathjax/tex-chtml.js"]:
        assert (served / name).is_file(), name
    assert list(served.glob("*.woff2")), "the widget fonts are missing"
    assert list((served / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))


def test_inline_scripts_are_kept_once():
    from sphinx.builders.html._assets import _JavaScript

    body = "const THEBE_JS_URL = 'x'"
    scripts = [_JavaScript(None, body=body), _JavaScript("", body=body, priority=400),
               _JavaScript("a.js"), _JavaScript("a.js")]
    kept = offline_assets._without_duplicates(scripts)
    assert [str(s.filename or "") for s in kept] == ["", "a.js"]
