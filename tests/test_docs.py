"""The documentation builds offline with no warnings, and its maths renders.

``test_docs_build`` runs the same build as ``python -m sphinx -W -b html docs docs/_build/html``
(into a temporary folder), with any HTTP(S) access pointed at a closed port, and checks that the
site is self-contained. ``test_docs_maths_render`` opens pages with equations in headless Chromium
(``docs/check_render.py``); it is skipped where Chromium is not installed.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("sphinx") is None,
    reason="Sphinx is not installed; install the docs tools with: pip install -e '.[docs]'",
)


@pytest.fixture(scope="module")
def built_site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("docs_html")
    env = dict(os.environ)
    # No network: anything that tried to fetch over HTTP(S) would fail (nothing should try).
    dead = "http://127.0.0.1:9"
    env.update(http_proxy=dead, https_proxy=dead, HTTP_PROXY=dead, HTTPS_PROXY=dead, no_proxy="", NO_PROXY="")
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(DOCS), str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        pytest.fail(f"The docs build failed or warned (exit {proc.returncode}):\n{proc.stderr[-6000:]}")
    return out


def test_docs_build(built_site):
    assert (built_site / "index.html").is_file()
    for page in ["user/running.html", "user/saving_and_loading.html", "utils/logger.html",
                 "algorithms/ppo.html", "spinningup/rl_intro.html"]:
        assert (built_site / page).is_file(), page
    # MathJax is served from the site itself, never from a CDN.
    assert (built_site / "_static" / "mathjax" / "tex-chtml.js").is_file()
    for html in built_site.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        for remote in ('src="http', "src='http", 'src="//'):
            assert remote not in text, f"{html.relative_to(built_site)} loads something from the network"


def _browser():
    sys.path.insert(0, str(DOCS))
    try:
        import check_render
    finally:
        sys.path.remove(str(DOCS))
    return check_render, check_render.find_browser()


def test_docs_maths_render(built_site):
    check_render, browser = _browser()
    if browser is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium); maths rendering not checked")
    assert check_render.main([str(built_site)]) == 0, "MathJax left raw TeX or errors; see the output above"
