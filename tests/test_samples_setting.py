"""COURSE_SAMPLES_DIR: one setting, read in tools/samples.py, for the course tool, the
tests and the benchmarks alike."""

import importlib.util
import re
from pathlib import Path

import pytest

from tools import samples

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def course():
    spec = importlib.util.spec_from_file_location(
        "course_for_samples", ROOT / "tools" / "course.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_default_is_the_shared_data_folder_beside_the_repository():
    assert samples.DEFAULT == ROOT.parent / "shared" / "data"


def test_unset_gives_the_default_where_it_exists(tmp_path, monkeypatch):
    monkeypatch.delenv(samples.VARIABLE, raising=False)
    monkeypatch.setattr(samples, "DEFAULT", tmp_path)
    assert samples.samples_dir() == tmp_path
    monkeypatch.setattr(samples, "DEFAULT", tmp_path / "missing")
    assert samples.samples_dir() is None
    assert samples.samples_dir({samples.VARIABLE: "  "}) is None  # blank is unset


def test_a_set_folder_wins_and_a_wrong_one_stops(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "photos").mkdir()
    assert samples.samples_dir({samples.VARIABLE: "~/photos"}) == tmp_path / "photos"
    monkeypatch.setenv(samples.VARIABLE, str(tmp_path / "photos"))
    assert samples.samples_dir() == tmp_path / "photos"
    with pytest.raises(ValueError, match=samples.VARIABLE):
        samples.samples_dir({samples.VARIABLE: str(tmp_path / "typo")})


def test_the_course_tool_runs_notebooks_on_the_set_samples(
    course, tmp_path, monkeypatch
):
    for name in ("COURSE_DATA_DIR", "COURSE_DATA"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(samples.VARIABLE, str(tmp_path))
    env = course.notebook_env("cpu")
    assert env["COURSE_DATA_DIR"] == str(tmp_path) and "COURSE_DATA" not in env
    monkeypatch.setenv("COURSE_DATA_DIR", "/elsewhere")  # an explicit folder wins
    assert course.notebook_env("cpu")["COURSE_DATA_DIR"] == "/elsewhere"


def test_no_other_file_hard_codes_the_location():
    pattern = re.compile(r"""["']shared["']\s*/\s*["']data["']""")
    found = [
        path.relative_to(ROOT).as_posix()
        for folder in ("tools", "tests", "benchmarks", "utils")
        for path in (ROOT / folder).rglob("*.py")
        if pattern.search(path.read_text())
    ]
    # the reader, and the test above that pins its default
    assert sorted(found) == ["tests/test_samples_setting.py", "tools/samples.py"]
