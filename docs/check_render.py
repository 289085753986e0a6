"""Check the built documentation: its links and images resolve, and in a headless browser its
maths rendered and its figures are visible.

Sphinx only writes TeX into the HTML; MathJax turns it into maths in the browser. A typo in the
TeX, a macro MathJax does not know, or MathJax failing to load all leave a page with raw TeX or
red error boxes, and ``sphinx -W`` cannot see any of it. This script opens pages in headless
Chromium, lets MathJax finish, and fails if any page

* has a maths element that MathJax did not replace (raw ``\\(...\\)`` or ``\\[...\\]`` left),
* shows TeX delimiters in its visible text (``$...$``, ``$$``, ``\\(``, ``\\[``, ``\\begin{``),
  which means the source's maths was never recognised as maths,
* contains a MathJax error (``mjx-merror``) or an undefined macro (shown in red),
* loads a script or stylesheet from the network (the docs must work offline),
* has an image that did not load or takes no room on the page (zero width or height, hidden).

Before any of that, and without a browser, it walks every built page (the ``_modules`` source
pages included) and fails on any internal link or image that does not resolve: a missing file, or
a ``#fragment`` that no element of the target page has as its ``id``; a figure without alt text
fails too. External links are not fetched; they are only checked for being well formed
(``https://`` or ``http://`` with a host, no spaces, and an arXiv or DOI link in its canonical
form). ``--links`` runs this part alone.

Usage (Debian: ``apt-get install chromium``)::

    python -m sphinx -W -b html docs docs/_build/html
    python docs/check_render.py docs/_build/html
    python docs/check_render.py docs/_build/html algorithms/sac.html spinningup/rl_intro3.html
    python docs/check_render.py --all docs/_build/html   # every page that has maths
    python docs/check_render.py --build          # build into a temporary folder first
    python docs/check_render.py --links docs/_build/html   # links and images only, no browser

Exit status: 0 if every page passed, 1 if a check failed, 2 if it could not run (no Chromium,
no such page). The pages checked in the browser are the default pages (or those named, or with
``--all`` every page with maths) and every page that shows an image. ``tests/test_docs.py`` runs it when Chromium is installed and skips otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

DOCS = Path(__file__).resolve().parent

# Pages with plenty of maths: an algorithm page and the introduction to RL.
DEFAULT_PAGES = [
    "algorithms/ppo.html",
    "algorithms/sac.html",
    "spinningup/rl_intro.html",
    "spinningup/rl_intro3.html",
]

BROWSERS = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"]

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # MathJax typesets asynchronously; let the page's clock run until it is done.
    "--virtual-time-budget=10000",
]

# Text inside these elements is code or machinery, where '$' and '\(' are legitimate.
SKIP_TEXT_IN = {"script", "style", "pre", "code", "textarea", "kbd", "samp", "mjx-assistive-mml"}

RAW_TEX = [
    (re.compile(r"\$\$"), "$$"),
    (re.compile(r"(?<![\w$])\$[^\s$](?:[^$\n]{0,300}?[^\s$])?\$(?![\w$])"), "$...$"),
    (re.compile(r"\\\(|\\\)"), r"\( or \)"),
    (re.compile(r"\\\[|\\\]"), r"\[ or \]"),
    (re.compile(r"\\begin\{"), r"\begin{"),
]


def find_browser() -> str | None:
    """The Chromium (or Chrome) executable: $CHROMIUM if set, else the first one on PATH."""
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return shutil.which(explicit) or (explicit if os.path.isfile(explicit) else None)
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


# Added to a copy of a page before Chromium opens it: once the page has loaded, record for every
# image whether it loaded (complete, with a natural width) and how much room it takes, as JSON in
# a <script> element, which --dump-dom then carries out.
IMAGE_PROBE = """<script>
window.addEventListener("load", function () {
  var found = [];
  document.querySelectorAll("img, object").forEach(function (el) {
    var box = el.getBoundingClientRect(), style = getComputedStyle(el);
    var loaded = el.tagName === "IMG" ? (el.complete && el.naturalWidth > 0) : true;
    found.push({src: el.getAttribute("src") || el.getAttribute("data"), loaded: loaded,
                width: box.width, height: box.height,
                shown: style.display !== "none" && style.visibility !== "hidden" && Number(style.opacity) > 0});
  });
  var out = document.createElement("script");
  out.type = "application/json";
  out.id = "check-render-images";
  out.textContent = JSON.stringify(found);
  document.body.appendChild(out);
});
</script>"""


def dump_dom(browser: str, page: Path, timeout: float = 90.0) -> str:
    """The page's DOM after its scripts ran, as HTML, from headless Chromium.

    Chromium opens a copy of the page, written next to it (so that its relative links resolve)
    with :data:`IMAGE_PROBE` added, and removed afterwards.
    """
    html = page.read_text(encoding="utf-8")
    html = html.replace("</body>", IMAGE_PROBE + "</body>", 1) if "</body>" in html else html + IMAGE_PROBE
    fd, probe = tempfile.mkstemp(prefix=".check_render_", suffix=".html", dir=page.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(html)
        with tempfile.TemporaryDirectory(prefix="check_render_profile_") as profile:
            cmd = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", Path(probe).as_uri()]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    finally:
        os.unlink(probe)
    if proc.returncode != 0 or "<html" not in proc.stdout:
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        raise RuntimeError(f"Chromium could not render {page} (exit status {proc.returncode}):\n{tail}")
    return proc.stdout


def image_problems(dom: str) -> list[str]:
    """Images on the rendered page that did not load or take no visible room."""
    m = re.search(r'<script type="application/json" id="check-render-images">(.*?)</script>', dom, re.S)
    if m is None:
        return ["the image probe did not report (the page's load event never came?)"]
    problems = []
    for img in json.loads(m.group(1)):
        if not img["loaded"]:
            problems.append(f"image did not load: {img['src']}")
        elif not img["shown"] or img["width"] < 1 or img["height"] < 1:
            problems.append(f"image is not visible ({img['width']:.0f} x {img['height']:.0f} px): {img['src']}")
    return problems


class _DomScan(HTMLParser):
    """Collects what the checks need from one HTML document in a single pass."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.skip_depth = 0
        self.visible_text: list[str] = []
        self.math_elements = 0          # Sphinx's <span/div class="math">
        self.math_rendered = 0          # ... of which hold an <mjx-container>
        self.math_raw: list[str] = []   # TeX left in math elements that MathJax skipped
        self._math_depth: int | None = None
        self._math_has_container = False
        self._math_text: list[str] = []
        self.containers = 0
        self.errors = 0
        self.red = 0
        self.remote_assets: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        void = tag in {"meta", "link", "img", "br", "hr", "input", "source", "wbr", "col", "area", "base"}
        if tag in ("script", "img") and _is_remote(attrs.get("src")):
            self.remote_assets.append(f"<{tag} src={attrs['src']}>")
        if tag == "link" and _is_remote(attrs.get("href")) and "stylesheet" in (attrs.get("rel") or ""):
            self.remote_assets.append(f"<link href={attrs['href']}>")
        if tag == "mjx-container":
            self.containers += 1
            if self._math_depth is not None:
                self._math_has_container = True
        if tag == "mjx-merror" or "data-mjx-error" in attrs:
            self.errors += 1
        if tag == "mtext" and (attrs.get("mathcolor") or "").lower() == "red":
            self.red += 1
        if void:
            return
        self.stack.append(tag)
        if tag in SKIP_TEXT_IN:
            self.skip_depth += 1
        if "math" in classes and tag in ("span", "div") and self._math_depth is None:
            self.math_elements += 1
            self._math_depth = len(self.stack)
            self._math_has_container = False
            self._math_text = []

    def handle_endtag(self, tag):
        if tag not in self.stack:
            return
        while self.stack:
            top = self.stack.pop()
            if top in SKIP_TEXT_IN:
                self.skip_depth -= 1
            if self._math_depth is not None and len(self.stack) < self._math_depth:
                if self._math_has_container:
                    self.math_rendered += 1
                else:
                    self.math_raw.append("".join(self._math_text).strip()[:80])
                self._math_depth = None
            if top == tag:
                break

    def handle_data(self, data):
        if self._math_depth is not None and not self.skip_depth:
            self._math_text.append(data)
        elif not self.skip_depth:
            self.visible_text.append(data)


def _is_remote(url: str | None) -> bool:
    return bool(url) and url.strip().lower().startswith(("http://", "https://", "//"))


# ---------------------------------------------------------------------------------------------
# Links and images, offline: every built page, no browser


# An arXiv abstract page (new-style ids like 1707.06347, with an optional version, or old-style
# ones like cs/9905014) and a DOI resolver link, in the forms the docs use.
ARXIV = re.compile(r"^https://arxiv\.org/abs/(\d{4}\.\d{4,5}|[a-z-]+(\.[A-Z]{2})?/\d{7})(v\d+)?$")
DOI = re.compile(r"^https://doi\.org/10\.\d{4,9}/[^\s]+$")


class _PageLinks(HTMLParser):
    """The ids of one built page and the links and images on it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str]] = []  # (kind, url): kind is "link" or "image"
        self.no_alt: list[str] = []            # images without alt text

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(key):
                self.ids.add(attrs[key])
        if tag == "a" and attrs.get("href") is not None:
            self.refs.append(("link", attrs["href"]))
        elif tag == "img" and attrs.get("src"):
            self.refs.append(("image", attrs["src"]))
            if not (attrs.get("alt") or "").strip():
                self.no_alt.append(attrs["src"])
        elif tag in ("object", "embed") and (attrs.get("data") or attrs.get("src")):
            self.refs.append(("image", attrs.get("data") or attrs.get("src")))


@dataclass
class SiteLinks:
    """What :func:`scan_links` found in a built site."""

    pages: int = 0
    internal: int = 0                                         # internal links checked
    images: dict[str, list[str]] = field(default_factory=dict)    # page -> image sources on it
    external: dict[str, list[str]] = field(default_factory=dict)  # page -> external links on it
    broken: list[str] = field(default_factory=list)           # "page: url (why)"
    malformed: list[str] = field(default_factory=list)        # "page: url (why)"
    no_alt: list[str] = field(default_factory=list)           # "page: src" of figures without alt text


def external_link_problem(url: str) -> str | None:
    """Why an external link is malformed, or None if it looks right. Nothing is fetched."""
    if url.startswith("mailto:"):
        return None if re.fullmatch(r"mailto:[^@\s]+@[^@\s]+\.[^@\s]+", url) else "not an e-mail address"
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        return f"unexpected scheme {parts.scheme!r}"
    if not parts.netloc or "." not in parts.netloc:
        return "no host"
    if re.search(r"\s", url):
        return "contains whitespace"
    if parts.netloc in ("arxiv.org", "www.arxiv.org") and not ARXIV.match(url):
        return "an arXiv link that is not https://arxiv.org/abs/<id>"
    if parts.netloc in ("doi.org", "dx.doi.org") and not DOI.match(url):
        return "a DOI link that is not https://doi.org/10.<registrant>/<suffix>"
    return None


def scan_links(html_dir: Path) -> SiteLinks:
    """Walk every page of the built site and resolve its internal links and images."""
    html_dir = Path(html_dir).resolve()
    parsed: dict[Path, _PageLinks] = {}
    for page in sorted(html_dir.rglob("*.html")):
        scan = _PageLinks()
        scan.feed(page.read_text(encoding="utf-8"))
        scan.close()
        parsed[page.resolve()] = scan
    found = SiteLinks(pages=len(parsed))
    for page, scan in parsed.items():
        name = str(page.relative_to(html_dir))
        found.no_alt += [f"{name}: {src}" for src in scan.no_alt if "_images/" in src]
        for kind, url in scan.refs:
            parts = urlsplit(url)
            if parts.scheme or url.startswith("//"):
                if kind == "link":
                    found.external.setdefault(name, []).append(url)
                    why = external_link_problem(url)
                    if why:
                        found.malformed.append(f"{name}: {url} ({why})")
                else:
                    found.broken.append(f"{name}: image {url} (not part of the site)")
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if kind == "image":
                found.images.setdefault(name, []).append(url)
            else:
                found.internal += 1
            if not target.exists():
                found.broken.append(f"{name}: {url} (no such file)")
            elif target.is_dir() and not (target / "index.html").is_file():
                found.broken.append(f"{name}: {url} (a folder without index.html)")
            elif parts.fragment and target in parsed and unquote(parts.fragment) not in parsed[target].ids:
                found.broken.append(f"{name}: {url} (no element with id {unquote(parts.fragment)!r} there)")
    return found


def check_links(html_dir: Path) -> int:
    """Print the offline link check's findings; return how many problems it found."""
    found = scan_links(html_dir)
    n_images = sum(len(v) for v in found.images.values())
    n_external = sum(len(v) for v in found.external.values())
    for problem in found.broken:
        print(f"BROKEN    {problem}")
    for problem in found.malformed:
        print(f"MALFORMED {problem}")
    for problem in found.no_alt:
        print(f"NO ALT    {problem}")
    print(f"{found.pages} pages: {found.internal} internal links, {n_images} images, {n_external} external "
          f"links; {len(found.broken)} broken, {len(found.malformed)} malformed, {len(found.no_alt)} figures "
          "without alt text.")
    return len(found.broken) + len(found.malformed) + len(found.no_alt)


def check_dom(dom: str, static_html: str, expect_maths: bool = True) -> list[str]:
    """Problems found on one page (an empty list if it rendered well). ``expect_maths``: the
    page was chosen for its equations, so a page without any is a problem."""
    problems = []
    scan = _DomScan()
    scan.feed(dom)
    scan.close()
    static = _DomScan()
    static.feed(static_html)
    static.close()

    if expect_maths and static.math_elements == 0:
        problems.append("the built page has no maths at all (expected equations on this page)")
    if static.math_elements and scan.containers == 0:
        problems.append("MathJax rendered nothing (did _static/mathjax/tex-chtml.js load?)")
    for tex in scan.math_raw[:5]:
        problems.append(f"maths left as raw TeX: {tex!r}")
    if len(scan.math_raw) > 5:
        problems.append(f"... and {len(scan.math_raw) - 5} more maths elements left as raw TeX")
    if scan.errors:
        problems.append(f"{scan.errors} MathJax error(s) (mjx-merror) on the page")
    if scan.red:
        problems.append(f"{scan.red} TeX error(s) shown in red (an undefined macro or bad syntax)")
    text = " ".join(scan.visible_text)
    for pattern, label in RAW_TEX:
        for m in list(pattern.finditer(text))[:3]:
            start = max(0, m.start() - 40)
            context = " ".join(text[start : m.end() + 40].split())
            problems.append(f"raw TeX delimiter {label} in the page text: ...{context}...")
    for asset in sorted(set(static.remote_assets)):
        problems.append(f"loads an asset from the network: {asset}")
    return problems + image_problems(dom)


def build_docs(out: Path) -> None:
    cmd = [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(DOCS), str(out)]
    subprocess.run(cmd, check=True)


def figure_pages(html_dir: Path) -> list[str]:
    """The built pages that show a figure (an image Sphinx copied into ``_images/``)."""
    return sorted(page for page, srcs in scan_links(html_dir).images.items()
                  if any("_images/" in src for src in srcs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html_dir", nargs="?", default=str(DOCS / "_build" / "html"),
                        help="the built site (default: docs/_build/html)")
    parser.add_argument("pages", nargs="*", help=f"pages to check, relative to html_dir (default: {' '.join(DEFAULT_PAGES)})")
    parser.add_argument("--all", action="store_true", help="check every page that has maths")
    parser.add_argument("--build", action="store_true", help="build the docs into a temporary folder first")
    parser.add_argument("--links", action="store_true", help="only check links and images, offline, without a browser")
    args = parser.parse_args(argv)

    browser = find_browser()
    if browser is None and not args.links:
        print("check_render: no Chromium found. Install it (Debian: apt-get install chromium) or set "
              "CHROMIUM to the browser's path. (--links checks the links without a browser.)", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="check_render_html_") as tmp:
        html_dir = Path(tmp) if args.build else Path(args.html_dir)
        if args.build:
            build_docs(html_dir)
        if not (html_dir / "index.html").is_file():
            print(f"check_render: no built site in {html_dir}. Build the docs first:\n"
                  "    python -m sphinx -W -b html docs docs/_build/html", file=sys.stderr)
            return 2
        bad_links = check_links(html_dir)
        if args.links:
            return 1 if bad_links else 0

        maths_pages = args.pages or DEFAULT_PAGES
        if args.all:
            maths_pages = sorted(
                str(p.relative_to(html_dir)) for p in html_dir.rglob("*.html")
                if "_static" not in p.parts and 'class="math' in p.read_text(encoding="utf-8")
            )
        missing = [p for p in maths_pages if not (html_dir / p).is_file()]
        if missing:
            print(f"check_render: no such page(s) in {html_dir}: {', '.join(missing)}. Build the docs first:\n"
                  "    python -m sphinx -W -b html docs docs/_build/html", file=sys.stderr)
            return 2
        pages = list(dict.fromkeys([*maths_pages, *figure_pages(html_dir)]))

        failed = 0
        for page in pages:
            path = (html_dir / page).resolve()
            problems = check_dom(dump_dom(browser, path), path.read_text(encoding="utf-8"),
                                 expect_maths=page in maths_pages)
            if problems:
                failed += 1
                print(f"FAIL {page}")
                for p in problems:
                    print(f"     {p}")
            else:
                print(f"ok   {page}")
        print(f"{len(pages) - failed} of {len(pages)} pages rendered cleanly.")
        return 1 if failed or bad_links else 0


if __name__ == "__main__":
    sys.exit(main())
