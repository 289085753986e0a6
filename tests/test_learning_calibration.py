"""The calibration table matches the learning cases: every case was run for seeds 0-9 at 1 and 2
threads with its current training settings, passes its current bar in every run, and every
mutation of it fails. Change a case without re-running ``tests/calibrate_learning.py`` and this
fails, naming the case."""

import csv
import json
from pathlib import Path

import pytest
from learning_cases import CASES

TABLE = Path(__file__).resolve().parent / "calibration" / "learning.csv"


def rows_of(case_name: str, mutation: str = "") -> list[dict]:
    with open(TABLE, newline="") as f:
        return [r for r in csv.DictReader(f) if r["case"] == case_name and r["mutation"] == mutation]


@pytest.mark.parametrize("name", list(CASES))
def test_every_seed_and_thread_count_passes(name):
    case = CASES[name]
    rows = rows_of(name)
    assert rows, f"{name} has no calibration: run python tests/calibrate_learning.py --case {name}"
    stale = [r for r in rows if r["settings"] != case.settings]
    assert not stale, f"{name}'s settings changed since its calibration: re-run it with --case {name}"
    runs = {(int(r["seed"]), int(r["threads"])) for r in rows}
    assert runs >= {(seed, threads) for seed in range(10) for threads in (1, 2)}
    for r in rows:
        score = case.score(json.loads(r["curve"]))
        assert score > case.bar, f"{name} seed {r['seed']} at {r['threads']} threads: {score:.1f} <= {case.bar}"


@pytest.mark.parametrize("name", list(CASES))
def test_every_mutation_fails(name):
    case = CASES[name]
    assert case.mutations, f"{name} names no mutation that it catches"
    for mutation in case.mutations:
        rows = rows_of(name, mutation)
        assert rows, f"{name}: the mutation {mutation!r} was never run (calibrate_learning.py --mutations)"
        for r in rows:
            score = case.score(json.loads(r["curve"]))
            assert score <= case.bar, f"{name} with {mutation!r} passes: {score:.1f} > {case.bar}"


def test_every_case_names_its_test():
    root = Path(__file__).resolve().parents[1]
    for case in CASES.values():
        path, _, function = case.test.partition("::")
        function = function.split("[")[0]
        assert f"def {function}(" in (root / path).read_text(), case.test
