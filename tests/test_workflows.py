"""The GitHub workflows pass actionlint and run what tools/course.py test runs."""

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
TESTS = ROOT / ".github" / "workflows" / "tests.yml"


def _actionlint() -> str | None:
    """actionlint from .venv (requirements.txt pins a wheel that ships the binary)."""
    beside = Path(sys.executable).with_name("actionlint")
    return str(beside) if beside.exists() else shutil.which("actionlint")


def test_the_workflows_pass_actionlint():
    binary = _actionlint()
    if binary is None:
        pytest.skip("actionlint is not installed (requirements.txt pins it)")
    try:
        subprocess.run([binary, "-version"], capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.skip(f"the actionlint binary cannot run here: {error}")
    # shellcheck and pyflakes check the run: scripts too where they are on PATH
    result = subprocess.run(
        [binary, "-no-color", "-oneline", *map(str, WORKFLOWS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert not result.stdout.strip()


def _course_constants() -> dict:
    """The literal module-level constants of tools/course.py (read, not imported)."""
    tree = ast.parse((ROOT / "tools" / "course.py").read_text())
    values = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                try:
                    values[target.id] = ast.literal_eval(node.value)
                except ValueError:
                    pass
    return values


def _runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def _workflow() -> dict:
    return yaml.safe_load(TESTS.read_text())


def test_every_job_has_a_time_limit_and_the_legs_are_course_pys():
    jobs = _workflow()["jobs"]
    assert {"lint-unit", "nbval", "nbval-colab", "dry-run", "book"} <= set(jobs)
    for name, job in jobs.items():
        assert "timeout-minutes" in job, name
    course = _course_constants()
    legs = {leg["leg"] for leg in jobs["nbval"]["strategy"]["matrix"]["include"]}
    assert legs == set(course["PINNED_LEGS"])
    assert jobs["nbval-colab"]["env"]["LEG"] == course["COLAB_LEG"]
    colab = jobs["nbval-colab"]["steps"]
    versions = [
        s["with"]["python-version"]
        for s in colab
        if "python-version" in s.get("with", {})
    ]
    assert versions == [course["COLAB_PYTHON"]]


def test_the_jobs_use_course_pys_pytest_options():
    course = _course_constants()
    jobs = _workflow()["jobs"]
    workers = f"-n {course['WORKERS']} --dist loadgroup -p tests.nbval_legs"
    for name in ("lint-unit", "nbval", "nbval-colab"):
        assert workers in _runs(jobs[name]), name
    for name in ("nbval", "nbval-colab"):
        assert " ".join(course["NBVAL_OPTIONS"]) in _runs(jobs[name]), name
    assert "tools/course.py dry-run" in _runs(jobs["dry-run"])
    assert "tests/test_book.py" in _runs(jobs["book"])


def test_what_the_workflows_call_in_the_repository_exists():
    course = (ROOT / "tools" / "course.py").read_text()
    texts = [
        p.read_text() for p in [*WORKFLOWS, *ROOT.glob(".github/actions/*/action.yml")]
    ]
    for text in texts:
        for function in re.findall(r"\bcourse\.([a-z_]+)\(", text):
            assert f"def {function}(" in course, function
        for plugin in re.findall(r"-p (tests\.[a-z_]+)", text):
            assert (ROOT / (plugin.replace(".", "/") + ".py")).exists(), plugin
        for action in re.findall(r"uses: \./(\S+)", text):
            assert (ROOT / action / "action.yml").exists(), action
