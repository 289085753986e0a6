"""The documentation builds offline with no warnings, its links and figures resolve, and its maths
and figures render.

``test_docs_build`` runs the same build as ``python -m sphinx -W -b html docs docs/_build/html``
(into a temporary folder), with any HTTP(S) access pointed at a closed port, and checks that the
site is self-contained. ``test_docs_links_*`` walk every built page for internal links, anchors and
images that do not resolve, and count the external links (never fetched) where pages promise
them. ``test_docs_render`` opens the pages with equations or figures in headless Chromium
(``docs/check_render.py``); it is skipped where Chromium is not installed.
"""

from __future__ import annotations

import importlib.util
import os
import re
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


def _check_render():
    sys.path.insert(0, str(DOCS))
    try:
        import check_render
    finally:
        sys.path.remove(str(DOCS))
    return check_render


def test_docs_links_and_anchors_resolve(built_site):
    """No internal link, #anchor or image of the built site (source pages included) is broken,
    no external link is malformed, and every figure has alt text."""
    found = _check_render().scan_links(built_site)
    assert found.internal > 1000, f"only {found.internal} internal links found; is the walk broken?"
    assert found.broken == [], "broken links:\n" + "\n".join(found.broken)
    assert found.malformed == [], "malformed external links:\n" + "\n".join(found.malformed)
    assert found.no_alt == [], "figures without alt text:\n" + "\n".join(found.no_alt)


# Pages that show figures, and how many each shows at least.
FIGURES = {
    "spinningup/rl_intro.html": 1,          # the agent-environment loop
    "spinningup/rl_intro2.html": 1,         # the map of RL algorithms
    "spinningup/bench.html": 7,             # the suites' committed plots
    "spinningup/exercise2_1_soln.html": 1,  # the exercises' learning curves
    "spinningup/exercise2_2_soln.html": 1,
    **{f"benchmarks/{a}.html": 1 for a in ("vpg", "trpo", "ppo", "ddpg", "td3", "sac", "dqn")},
}


def test_docs_figures_are_on_their_pages(built_site):
    images = _check_render().scan_links(built_site).images
    for page, least in FIGURES.items():
        figures = [src for src in images.get(page, []) if "_images/" in src]
        assert len(figures) >= least, f"{page} shows {len(figures)} figure(s), expected at least {least}"


def _external_links(built_site: Path, page: str) -> list[str]:
    return _check_render().scan_links(built_site).external.get(page, [])


def test_docs_links_key_papers(built_site):
    """Most key papers link to their arXiv page, DOI or proceedings (the rest are books or papers
    without a reliable address, and stay plain)."""
    papers = [u for u in _external_links(built_site, "spinningup/keypapers.html")
              if re.match(r"https?://(arxiv\.org|doi\.org|proceedings\.mlr\.press|incompleteideas\.net)/", u)]
    entries = re.findall(r"^\d+\. ", (DOCS / "spinningup" / "keypapers.md").read_text(encoding="utf-8"), re.M)
    assert len(entries) >= 130 and len(papers) >= 120, (len(entries), len(papers))


def _section(markdown: str, heading: str) -> str:
    start = markdown.index(f"### {heading}\n")
    nxt = re.search(r"^#{1,3} ", markdown[start + 4:], re.M)
    return markdown[start: start + 4 + nxt.start()] if nxt else markdown[start:]


@pytest.mark.parametrize("algo", ["vpg", "trpo", "ppo", "ddpg", "td3", "sac", "dqn"])
def test_docs_algorithm_pages_link_papers_and_implementations(algo):
    text = (DOCS / "algorithms" / f"{algo}.md").read_text(encoding="utf-8")
    papers = re.findall(r"\]\((https?://[^)\s]+)\)", _section(text, "Relevant papers"))
    others = re.findall(r"\]\((https?://[^)\s]+)\)", _section(text, "Other public implementations"))
    assert len(papers) >= 2, f"{algo}: {len(papers)} linked papers"
    assert len(others) >= 3, f"{algo}: {len(others)} linked implementations"
    assert all(u.startswith("https://github.com/") for u in others), others


def test_link_check_finds_what_is_broken(tmp_path):
    """The checker itself: a missing page, a missing anchor, a missing image, a figure without alt
    text and a malformed arXiv link are all reported; good links are not."""
    (tmp_path / "_images").mkdir()
    (tmp_path / "_images" / "fig.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "a.html").write_text(
        '<html><body><h1 id="top">A</h1>'
        '<a href="b.html#there">ok</a> <a href="#top">ok</a> <a href="https://arxiv.org/abs/1707.06347">ok</a>'
        '<a href="c.html">no page</a> <a href="b.html#nowhere">no anchor</a>'
        '<a href="https://arxiv.org/pdf/1707.06347">pdf</a> <a href="https://doi.org/nature14236">doi</a>'
        '<img src="_images/fig.svg" alt="a figure"><img src="_images/fig.svg"><img src="_images/gone.png" alt="x">'
        "</body></html>")
    (tmp_path / "b.html").write_text('<html><body><p id="there">B</p></body></html>')
    found = _check_render().scan_links(tmp_path)
    assert sorted(b.split(" (")[0] for b in found.broken) == [
        "a.html: _images/gone.png", "a.html: b.html#nowhere", "a.html: c.html"]
    assert [m.split(" (")[0] for m in found.malformed] == [
        "a.html: https://arxiv.org/pdf/1707.06347", "a.html: https://doi.org/nature14236"]
    assert found.no_alt == ["a.html: _images/fig.svg"]


def test_benchmark_pages_are_current():
    """docs/benchmarks/*.md say what benchmarks/results/ holds (python docs/make_bench_pages.py
    rewrites them)."""
    sys.path.insert(0, str(DOCS))
    try:
        import make_bench_pages
    finally:
        sys.path.remove(str(DOCS))
    assert make_bench_pages.main(["--check"]) == 0, "run python docs/make_bench_pages.py and commit the pages"


def _browser():
    check_render = _check_render()
    return check_render, check_render.find_browser()


def test_docs_render(built_site):
    """In Chromium: the maths of the default pages renders, and every figure loads and is visible."""
    check_render, browser = _browser()
    if browser is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium); rendering not checked")
    assert check_render.main([str(built_site)]) == 0, "raw TeX, a MathJax error or a missing figure; see above"
