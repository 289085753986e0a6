"""Sphinx configuration for the spinup documentation.

Build (offline; the maths is rendered by a MathJax copy bundled with sphinx-mathjax-offline):

    python -m sphinx -W -b html docs docs/_build/html

Then check in a headless browser that every equation rendered:

    python docs/check_render.py docs/_build/html

The figures are committed; they are redrawn by scripts next to them (run these after changing a
drawing or after committing new benchmark results, and commit what they write):

    python docs/figures/make_figures.py     # the diagrams of the introduction (SVG)
    python docs/make_bench_pages.py         # docs/benchmarks/*.md and their plots
"""

import os
import sys

# autodoc imports spinup from this checkout, even when it is not installed.
sys.path.insert(0, os.path.abspath(".."))

from spinup.version import __version__  # noqa: E402

project = "Spinning Up (spinup)"
author = "the spinup contributors"
copyright = "2026, the spinup contributors"
version = release = __version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # copies MathJax into _static/ and points mathjax_path at it
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "README.md"]
templates_path = []

# -- MyST --------------------------------------------------------------------------------------
myst_enable_extensions = [
    "dollarmath",   # $...$ and $$...$$
    "amsmath",      # \begin{align} ... \end{align} blocks
    "colon_fence",  # ::: fences for admonitions
    "deflist",
    "attrs_inline",
]
myst_dmath_double_inline = True
# Headings up to level 3 get anchors, so pages can link to [text](page.md#a-heading).
myst_heading_anchors = 3

# -- autodoc -----------------------------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "undoc-members": False}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False

# -- HTML --------------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"Spinning Up (spinup) {release}"
html_static_path = ["_static"]
html_show_sourcelink = False
pygments_style = "friendly"
pygments_dark_style = "monokai"
