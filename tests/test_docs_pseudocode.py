"""Every line of each algorithm page's pseudocode has one visible home in the code (issue 15).

Each page ``docs/algorithms/<algo>.md`` follows its "### Pseudocode" with "### Where each step
lives", a table with one row per numbered step. These tests check that table against the
pseudocode and against the code, without training anything:

* its rows name each pseudocode step exactly once, and no step that is not there;
* every dotted ``spinup.`` name it gives, in backticks or in a ``{py:func}``, ``{py:class}`` or
  ``{py:meth}`` role, imports and resolves; a role's target is also one that autodoc documents on
  some page, so that it becomes a link;
* a short ``core.<name>`` resolves in ``spinup.algos.<algo>.core``; a file name such as
  ``offpolicy.py`` exists in the package;
* anything else in backticks (a closure such as ``compute_loss_q``, an argument, or a statement
  quoted from the algorithm) occurs in ``spinup/algos/<algo>/<algo>.py``: a name as a whole word,
  a statement verbatim (up to spacing).
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
ALGOS = ["vpg", "trpo", "ppo", "ddpg", "td3", "sac", "dqn"]

ROLE = re.compile(r"\{py:(\w+)\}`([^`]+)`")
CODE = re.compile(r"`([^`]+)`")
DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
STEP_ROW = re.compile(r"^\|\s*(\d+(?:\.\d+)*)\s*\|(.*)\|\s*$")
LIST_ITEM = re.compile(r"^( *)(\d+)\. ")


def _page(algo: str) -> str:
    return (DOCS / "algorithms" / f"{algo}.md").read_text(encoding="utf-8")


def _section(markdown: str, heading: str) -> str:
    """The text under ``### heading``, up to the next heading of level 1 to 3."""
    match = re.search(rf"^### {re.escape(heading)}\n", markdown, re.M)
    assert match, f"no '### {heading}' section"
    rest = markdown[match.end():]
    nxt = re.search(r"^#{1,3} ", rest, re.M)
    return rest[: nxt.start()] if nxt else rest


def pseudocode_steps(markdown: str) -> list[str]:
    """The numbers of the pseudocode's steps, nested ones dotted: ``['1', '2', '3', '3.1', ...]``.
    The pages indent each level of the numbered list by three spaces."""
    steps, stack = [], []
    for line in _section(markdown, "Pseudocode").splitlines():
        match = LIST_ITEM.match(line)
        if not match:
            continue
        depth = len(match.group(1)) // 3
        stack = stack[:depth] + [match.group(2)]
        assert len(stack) == depth + 1, f"a step nested too deep for its parent: {line!r}"
        steps.append(".".join(stack))
    return steps


def where_rows(markdown: str) -> list[tuple[str, str]]:
    """``(step, text)`` for each row of the "Where each step lives" table."""
    return [(m.group(1), m.group(2)) for line in _section(markdown, "Where each step lives").splitlines()
            if (m := STEP_ROW.match(line))]


def resolve(dotted: str):
    """The object that a dotted name such as ``spinup.algos.onpolicy.GAEBuffer.get`` names: the
    longest prefix that imports as a module, then attributes."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)  # AttributeError: the name does not exist
        return obj
    raise ModuleNotFoundError(dotted)


def _autodoc_targets() -> dict[str, set[str]]:
    """What the docs' ``.. autofunction::``, ``.. autoclass::`` and ``.. automodule::`` directives
    document, by directive."""
    found: dict[str, set[str]] = {"function": set(), "class": set(), "module": set()}
    for md in DOCS.rglob("*.md"):
        directives = re.findall(r"^\.\. auto(function|class|module)::\s*(\S+)",
                                md.read_text(encoding="utf-8"), re.M)
        for kind, target in directives:
            found[kind].add(target)
    return found


def is_documented(target: str, autodoc: dict[str, set[str]]) -> bool:
    """Whether Sphinx has a target for ``target``: it is named by an autodoc directive, or it is
    a member with a docstring of a class or module that one documents (the docs build with
    ``members`` on and ``undoc-members`` off)."""
    if target in autodoc["function"] | autodoc["class"] | autodoc["module"]:
        return True
    parent = target.rpartition(".")[0]
    containers = autodoc["class"] | autodoc["module"]
    return (parent in containers or any(parent.startswith(m + ".") for m in autodoc["module"])) \
        and bool(getattr(resolve(target), "__doc__", None))


def _role_target(text: str) -> str:
    """The target of a role's text: ``~a.b.c``, ``a.b.c`` or ``title <a.b.c>``."""
    match = re.search(r"<([^>]+)>\s*$", text)
    return (match.group(1) if match else text).strip().lstrip("~")


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _in_source(code: str, source: str) -> bool:
    """Whether ``code`` occurs in ``source``: a (dotted) name as a whole word, anything else
    verbatim up to spacing."""
    if DOTTED.match(code):
        return re.search(rf"(?<![\w.]){re.escape(code)}(?!\w)", source) is not None
    return _squash(code) in _squash(source)


def _package_files() -> set[str]:
    return {p.name for p in (ROOT / "spinup").rglob("*.py")}


@pytest.mark.parametrize("algo", ALGOS)
def test_every_pseudocode_step_has_one_row(algo):
    text = _page(algo)
    steps = pseudocode_steps(text)
    rows = [step for step, _ in where_rows(text)]
    assert len(steps) >= 5, f"{algo}: only {steps} in the pseudocode; is its list indented by 3 spaces?"
    duplicated = sorted({s for s in rows if rows.count(s) > 1})
    assert not duplicated, f"{algo}: steps with more than one row: {duplicated}"
    assert rows == steps, (f"{algo}: the table's rows {rows} do not follow the pseudocode's steps {steps} "
                           f"(missing {sorted(set(steps) - set(rows))}, extra {sorted(set(rows) - set(steps))})")
    assert all(where.strip() for _, where in where_rows(text)), f"{algo}: a step with an empty row"


@pytest.mark.parametrize("algo", ALGOS)
def test_every_name_in_the_table_exists(algo):
    section = _section(_page(algo), "Where each step lives")
    source = (ROOT / "spinup" / "algos" / algo / f"{algo}.py").read_text(encoding="utf-8")
    autodoc = _autodoc_targets()
    files = _package_files()
    problems = []

    # Roles: a spinup name that resolves and that autodoc documents, so that it is a link
    for kind, text in ROLE.findall(section):
        target = _role_target(text)
        if not target.startswith("spinup."):
            problems.append(f"{{py:{kind}}}`{text}`: a role's target must be a full spinup.* name")
            continue
        try:
            resolve(target)
        except (ImportError, AttributeError) as e:
            problems.append(f"{{py:{kind}}}`{text}`: {target} does not resolve ({e})")
            continue
        if not is_documented(target, autodoc):
            problems.append(f"{{py:{kind}}}`{text}`: no page documents {target} (use plain backticks)")

    # Everything else in backticks
    for code in CODE.findall(ROLE.sub("", section)):
        code = code.strip()
        if code.endswith(".py") and DOTTED.match(code[:-3]):
            if code not in files:
                problems.append(f"`{code}`: no such file in spinup/")
        elif DOTTED.match(code) and code.startswith("spinup."):
            try:
                resolve(code)
            except (ImportError, AttributeError) as e:
                problems.append(f"`{code}` does not resolve ({e})")
        elif DOTTED.match(code) and code.startswith("core."):
            try:
                resolve(f"spinup.algos.{algo}.{code}")
            except AttributeError as e:
                problems.append(f"`{code}` is not in spinup.algos.{algo}.core ({e})")
        elif not _in_source(code, source):
            problems.append(f"`{code}` does not occur in spinup/algos/{algo}/{algo}.py")
    assert not problems, f"{algo}'s 'Where each step lives':\n" + "\n".join(problems)


def test_the_checks_catch_what_is_wrong():
    """The helpers themselves: nested steps are numbered, a missing attribute does not resolve,
    an undocumented member is not a link target, and a statement not in the source is caught."""
    text = ("### Pseudocode\n\n1. a\n2. b\n   1. c\n      1. d\n   2. e\n3. f\n\n## Next\n")
    assert pseudocode_steps(text) == ["1", "2", "2.1", "2.1.1", "2.2", "3"]
    assert resolve("spinup.algos.offpolicy.ReplayBuffer.sample_batch")
    with pytest.raises(AttributeError):
        resolve("spinup.algos.offpolicy.no_such_function")
    autodoc = _autodoc_targets()
    assert is_documented("spinup.algos.offpolicy.ReplayBuffer.sample_batch", autodoc)
    assert not is_documented("spinup.algos.offpolicy.ReplayBuffer.state_dict", autodoc)  # no docstring
    assert not is_documented("spinup.algos.offpolicy.frozen", autodoc)
    titled = "core.td3_target <spinup.algos.td3.core.td3_target>"
    assert _role_target(titled) == "spinup.algos.td3.core.td3_target"
    assert _role_target("~spinup.algos.offpolicy.polyak_update") == "spinup.algos.offpolicy.polyak_update"
    source = "def update(data, timer):\n    polyak_update(ac,  ac_targ, polyak)\n"
    assert _in_source("polyak_update(ac, ac_targ, polyak)", source)
    assert _in_source("update", source)
    assert not _in_source("upd", source)
    assert not _in_source("polyak_update(ac_targ, ac, polyak)", source)
