"""tools/course.py's job runner: every job runs, each log is kept, any failure fails."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def course(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location(
        "course", ROOT / "tools" / "course.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "ROOT", tmp_path)  # logs go to tmp_path/.cache/ci-logs
    return module


def test_every_job_runs_and_each_failure_is_named(course, tmp_path, capsys):
    ran = []

    def passes(log):
        ran.append("passes")
        course.run(["true"], stdout=log)

    def command_fails(log):
        ran.append("command_fails")
        course.run(["false"], stdout=log)

    def raises(log):
        ran.append("raises")
        raise OSError("no space left")

    def exits(log):
        ran.append("exits")
        raise SystemExit(3)

    jobs = {"a": passes, "b": command_fails, "c": raises, "d": exits}
    with pytest.raises(SystemExit) as stop:
        course.run_jobs(jobs)
    assert stop.value.code == 1
    assert sorted(ran) == sorted(["passes", "command_fails", "raises", "exits"])
    out = capsys.readouterr().out
    assert "a: 통과 / passed" in out
    assert "b: 실패 / FAILED (1)" in out and "d: 실패 / FAILED (3)" in out
    assert "OSError: no space left" in out  # the traceback is in the printed log
    for name in ("b", "c", "d"):
        assert name in out.split("실패한 작업 / failed:")[1]
    assert len(list((tmp_path / ".cache" / "ci-logs").glob("*.log"))) == 4


def test_all_passing_jobs_return_normally(course, capsys):
    course.run_jobs({"one": lambda log: course.run(["true"], stdout=log)})
    assert "1 jobs in" in capsys.readouterr().out
