"""The README's two set-up commands, and CI running the test command verbatim."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands():
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```bash\n(.+?)\n```", text)


def test_readme_starts_with_the_main_job_then_the_tests():
    first, second = readme_commands()[:2]
    assert first == "pip install -e . && python -m spinup.run ppo --env CartPole-v1 --exp_name hello_world"
    assert second.startswith('pip install -e ".[dev]" && python -m pytest')


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert readme_commands()[1] in ci
