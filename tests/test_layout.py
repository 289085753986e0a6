"""The layout rules of CONTRIBUTING.md ("Where things live"), checked on the source:

* no module outside ``spinup/utils/speed.py`` calls a private torch or Gymnasium API;
* no algorithm imports another algorithm (shared pieces live in modules named for what they are);
* there is one ``mlp`` (besides the one exercise 1.2 asks a student to write).
"""

import ast
import pathlib

import pytest

from spinup.algos import ALGOS

ROOT = pathlib.Path(__file__).resolve().parents[1] / "spinup"
SPEED = ROOT / "utils" / "speed.py"
SOURCES = sorted(ROOT.rglob("*.py"))

# Private names of torch and Gymnasium that spinup has used; any `torch._*` or `torch.ops` is
# caught whatever its name.
PRIVATE_ATTRIBUTES = {"_elapsed_steps", "_max_episode_steps", "_np_random", "_parameter_list", "hooked",
                      "_state_lists", "_foreach_add_", "_foreach_lerp_", "_foreach_copy_", "_fused_adam_"}


def _dotted(node) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def private_calls(path: pathlib.Path) -> list[str]:
    """``file:line name`` for every use of a private torch/Gymnasium name in ``path``'s code
    (string literals do not count)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute):
            name = _dotted(node)
            if (name.startswith("torch._") or name.startswith("torch.ops") or node.attr in PRIVATE_ATTRIBUTES):
                found.append(f"{path.relative_to(ROOT.parent)}:{node.lineno} {name}")
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "__dict__":
            found.append(f"{path.relative_to(ROOT.parent)}:{node.lineno} {_dotted(node.value)}[...]")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("torch._"):
            found.append(f"{path.relative_to(ROOT.parent)}:{node.lineno} from {node.module}")
    return found


def test_private_apis_only_in_the_speed_module():
    found = [hit for path in SOURCES if path != SPEED for hit in private_calls(path)]
    assert found == [], "private torch/Gymnasium calls outside spinup/utils/speed.py:\n" + "\n".join(found)


def test_the_check_sees_the_speed_module_private_calls():
    # the check itself works: speed.py is where these live
    hits = " ".join(private_calls(SPEED))
    assert "torch._foreach_lerp_" in hits and "torch.ops.aten.tanh_backward" in hits and "_elapsed_steps" in hits


@pytest.mark.parametrize("algo", sorted(ALGOS))
def test_no_algorithm_imports_another(algo):
    others = {f"spinup.algos.{b}" for b in ALGOS if b != algo}
    found = []
    for path in sorted((ROOT / "algos" / algo).glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            modules = []
            if isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            found += [f"{path.name}:{node.lineno} {m}" for m in modules
                      if any(m == o or m.startswith(o + ".") for o in others)]
    assert found == []


# Exercise 1.2 asks the student to write an MLP: the stub and its solution define their own.
EXERCISE_MLPS = {"spinup/exercises/problem_set_1/exercise1_2.py",
                 "spinup/exercises/problem_set_1_solutions/exercise1_2_soln.py"}


def test_one_mlp():
    defs = [str(p.relative_to(ROOT.parent)) for p in SOURCES for n in ast.walk(ast.parse(p.read_text()))
            if isinstance(n, ast.FunctionDef) and n.name == "mlp"]
    assert sorted(set(defs) - EXERCISE_MLPS) == ["spinup/algos/networks.py"] and len(defs) == 3, defs
