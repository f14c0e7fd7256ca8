"""tools/course.py: the job runner (every job runs, each log is kept, any failure fails)
and the installer (uv where it works, pip where it does not)."""

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


def test_the_pinned_uv_comes_from_requirements(course):
    pin = course.pinned_uv()
    assert pin is not None and pin.startswith("uv==") and pin.count(".") == 2


def test_install_uses_uv_and_falls_back_to_pip(course, tmp_path, monkeypatch):
    fake_uv = tmp_path / "venv" / "bin" / "uv"
    fake_uv.parent.mkdir(parents=True)
    fake_uv.write_text("")
    monkeypatch.setattr(course, "VENV", tmp_path / "venv")
    tried, pip_calls = [], []
    exit_code = {"uv": 0}

    def fake_run(command, check=True, **kwargs):
        if command[0] == fake_uv:
            tried.append([str(c) for c in command])
            assert not check  # a uv failure falls back; it does not end the run
            return exit_code["uv"]
        pip_calls.append(command)
        return 0

    monkeypatch.setattr(course, "run", fake_run)
    log = (tmp_path / "install.log").open("w")

    course.install(Path("/env/bin/python"), ["-r", "requirements.txt"], log)
    assert tried[-1][:5] == [
        str(fake_uv),
        "pip",
        "install",
        "--quiet",
        "--compile-bytecode",
    ]
    assert tried[-1][-2:] == ["-r", "requirements.txt"] and not pip_calls

    exit_code["uv"] = 2  # uv cannot reach its index: pip installs the same
    course.install(Path("/env/bin/python"), ["-r", "requirements.txt"], log)
    assert pip_calls == [
        [
            Path("/env/bin/python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "-r",
            "requirements.txt",
        ]
    ]
    log.close()
    assert "uv failed; pip installs" in (tmp_path / "install.log").read_text()

    fake_uv.unlink()  # no uv at all: straight to pip
    tried.clear()
    course.install(Path("/env/bin/python"), ["six"], None)
    assert not tried and pip_calls[-1][-1] == "six"


def test_once_runs_for_the_first_job_and_shares_the_result(course, tmp_path, capsys):
    calls = []

    @course.once
    def make_environment(log):
        calls.append(log)
        return "python3.13"

    jobs = {f"job {i}": make_environment for i in range(4)}
    course.run_jobs(jobs)
    assert len(calls) == 1

    @course.once
    def no_python(log):
        calls.append("tried")
        raise SystemExit(1)  # as find_colab_python does without Python 3.13

    with pytest.raises(SystemExit):
        course.run_jobs({f"colab {i}": no_python for i in range(3)})
    assert calls.count("tried") == 1
    out = capsys.readouterr().out
    assert all(f"colab {i}: 실패 / FAILED" in out for i in range(3))
    assert out.count("failed in an earlier job") == 2


def test_every_notebook_has_its_jobs(course, monkeypatch):
    monkeypatch.setattr(course, "ROOT", ROOT)
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    # nbval: every notebook, the listed slow ones first
    ordered = [p.name for p in course.nbval_notebooks()]
    assert sorted(ordered) == notebooks
    assert [name[:2] for name in ordered[: len(course.NBVAL_ORDER)]] == list(
        course.NBVAL_ORDER
    )
    # the dry run: each notebook in exactly one part (a new chapter must join one)
    parts = [part.split(",") for part, _ in course.DRY_RUN_PARTS]
    for name in notebooks:
        assert sum(name[:2] in part for part in parts) == 1, name
    policies = {policy for _, policy in course.DRY_RUN_PARTS}
    assert policies == {"float32", "mixed_float16"}  # Colab's policy at full scale


@pytest.mark.parametrize(
    "policy", ["float32", "mixed_float16", "mixed_bfloat16"], ids=str
)
def test_nbval_states_the_policy_whatever_the_cpu(
    course, monkeypatch, tmp_path, policy
):
    """The legs that compare stored float32 outputs never run under ``auto``: a CPU
    with bfloat16 instructions then gets the same verdicts as any other."""
    monkeypatch.setattr(course, "ROOT", tmp_path)
    notebook = tmp_path / "notebooks" / "01_x.ipynb"
    notebook.parent.mkdir()
    notebook.write_text("{}")
    seen = {}
    monkeypatch.setattr(
        course, "run", lambda command, env=None, **kw: seen.update(env=env, cmd=command)
    )
    env = {"COURSE_PRECISION": "auto", "COURSE_SCALE": "smoke"}
    if policy == "float32":
        course.nbval("python", env, notebook)
    else:
        course.nbval("python", env, notebook, leg=policy, policy=policy)
    assert seen["env"]["COURSE_PRECISION"] == policy
    assert env["COURSE_PRECISION"] == "auto"  # the caller's environment is left alone
    assert "--nbval-lax" in seen["cmd"]
