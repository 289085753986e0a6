"""Check in a headless browser that the maths on built documentation pages rendered.

Sphinx only writes TeX into the HTML; MathJax turns it into maths in the browser. A typo in the
TeX, a macro MathJax does not know, or MathJax failing to load all leave a page with raw TeX or
red error boxes, and ``sphinx -W`` cannot see any of it. This script opens pages in headless
Chromium, lets MathJax finish, and fails if any page

* has a maths element that MathJax did not replace (raw ``\\(...\\)`` or ``\\[...\\]`` left),
* shows TeX delimiters in its visible text (``$...$``, ``$$``, ``\\(``, ``\\[``, ``\\begin{``),
  which means the source's maths was never recognised as maths,
* contains a MathJax error (``mjx-merror``) or an undefined macro (shown in red),
* loads a script or stylesheet from the network (the docs must work offline).

Usage (Debian: ``apt-get install chromium``)::

    python -m sphinx -W -b html docs docs/_build/html
    python docs/check_render.py docs/_build/html
    python docs/check_render.py docs/_build/html algorithms/sac.html spinningup/rl_intro3.html
    python docs/check_render.py --all docs/_build/html   # every page that has maths
    python docs/check_render.py --build          # build into a temporary folder first

Exit status: 0 if every page passed, 1 if a check failed, 2 if it could not run (no Chromium,
no such page). ``tests/test_docs.py`` runs it when Chromium is installed and skips otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

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


def dump_dom(browser: str, page: Path, timeout: float = 90.0) -> str:
    """The page's DOM after its scripts ran, as HTML, from headless Chromium."""
    with tempfile.TemporaryDirectory(prefix="check_render_profile_") as profile:
        cmd = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0 or "<html" not in proc.stdout:
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        raise RuntimeError(f"Chromium could not render {page} (exit status {proc.returncode}):\n{tail}")
    return proc.stdout


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


def check_dom(dom: str, static_html: str) -> list[str]:
    """Problems found on one page (an empty list if it rendered well)."""
    problems = []
    scan = _DomScan()
    scan.feed(dom)
    scan.close()
    static = _DomScan()
    static.feed(static_html)
    static.close()

    if static.math_elements == 0:
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
    return problems


def build_docs(out: Path) -> None:
    cmd = [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(DOCS), str(out)]
    subprocess.run(cmd, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html_dir", nargs="?", default=str(DOCS / "_build" / "html"),
                        help="the built site (default: docs/_build/html)")
    parser.add_argument("pages", nargs="*", help=f"pages to check, relative to html_dir (default: {' '.join(DEFAULT_PAGES)})")
    parser.add_argument("--all", action="store_true", help="check every page that has maths")
    parser.add_argument("--build", action="store_true", help="build the docs into a temporary folder first")
    args = parser.parse_args(argv)

    browser = find_browser()
    if browser is None:
        print("check_render: no Chromium found. Install it (Debian: apt-get install chromium) or set "
              "CHROMIUM to the browser's path.", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="check_render_html_") as tmp:
        html_dir = Path(tmp) if args.build else Path(args.html_dir)
        if args.build:
            build_docs(html_dir)
        pages = args.pages or DEFAULT_PAGES
        if args.all:
            pages = sorted(
                str(p.relative_to(html_dir)) for p in html_dir.rglob("*.html")
                if "_static" not in p.parts and 'class="math' in p.read_text(encoding="utf-8")
            )
        missing = [p for p in pages if not (html_dir / p).is_file()]
        if missing:
            print(f"check_render: no such page(s) in {html_dir}: {', '.join(missing)}. Build the docs first:\n"
                  "    python -m sphinx -W -b html docs docs/_build/html", file=sys.stderr)
            return 2

        failed = 0
        for page in pages:
            path = (html_dir / page).resolve()
            problems = check_dom(dump_dom(browser, path), path.read_text(encoding="utf-8"))
            if problems:
                failed += 1
                print(f"FAIL {page}")
                for p in problems:
                    print(f"     {p}")
            else:
                print(f"ok   {page}")
        print(f"{len(pages) - failed} of {len(pages)} pages rendered cleanly.")
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
