"""tools/course.py: the installer (uv where it works, pip where it does not), the nbval
legs, and the pytest-xdist plugin that groups the work and sets each leg's precision."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tools import stored_run

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


def test_the_pinned_uv_comes_from_requirements(course):
    pin = course.pinned_uv()
    assert pin is not None and pin.startswith("uv==") and pin.count(".") == 2


def test_install_uses_uv_and_falls_back_to_pip(course, tmp_path, monkeypatch, capsys):
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

    course.install(Path("/env/bin/python"), ["-r", "requirements.txt"])
    assert tried[-1][:5] == [
        str(fake_uv),
        "pip",
        "install",
        "--quiet",
        "--compile-bytecode",
    ]
    assert tried[-1][-2:] == ["-r", "requirements.txt"] and not pip_calls

    exit_code["uv"] = 2  # uv cannot reach its index: pip installs the same
    course.install(Path("/env/bin/python"), ["-r", "requirements.txt"])
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
    assert "uv failed; pip installs" in capsys.readouterr().out

    fake_uv.unlink()  # no uv at all: straight to pip
    tried.clear()
    course.install(Path("/env/bin/python"), ["six"])
    assert not tried and pip_calls[-1][-1] == "six"


def test_every_leg_runs_a_fresh_copy_of_every_notebook(course, tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for name in ("01_a", "02_b"):
        (notebooks / f"{name}.ipynb").write_text("{}")
    stale = tmp_path / ".cache" / "nbval" / "colab" / "01_a" / "checkpoint.keras"
    stale.parent.mkdir(parents=True)
    stale.write_text("from an earlier run")
    for leg in (*course.PINNED_LEGS, course.COLAB_LEG):
        copies = course.notebook_copies(leg)
        assert [c.relative_to(tmp_path / ".cache" / "nbval") for c in copies] == [
            Path(leg, "01_a", "01_a.ipynb"),
            Path(leg, "02_b", "02_b.ipynb"),
        ]
    assert not stale.exists()  # a leg never reads an earlier run's checkpoint


def test_each_leg_states_its_policy():
    sys.path.insert(0, str(ROOT))
    from tests.nbval_legs import leg_policy

    copy = Path(".cache/nbval/{}/01_a/01_a.ipynb")
    assert leg_policy(Path(str(copy).format("pinned"))) == "float32"
    assert leg_policy(Path(str(copy).format("colab"))) == "float32"
    for policy in ("mixed_float16", "mixed_bfloat16"):
        assert leg_policy(Path(str(copy).format(policy))) == policy


def notebook(cells):
    """A minimal notebook whose cells are checked by nbval (stored output ``expected``)."""

    def cell(number, source, expected):
        stream = {"name": "stdout", "output_type": "stream", "text": expected}
        return {
            "cell_type": "code",
            "execution_count": number,
            "id": f"cell{number}",
            "metadata": {"tags": ["nbval-check-output"]},
            "outputs": [stream] if expected else [],
            "source": source,
        }

    return {
        "cells": [cell(i, s, e) for i, (s, e) in enumerate(cells, start=1)],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


@pytest.mark.parametrize("leg", ["pinned", "mixed_bfloat16"])
def test_a_leg_runs_under_its_policy_with_a_notebooks_cells_together(tmp_path, leg):
    """The plugin in a real xdist session: a notebook's kernel sees its leg's
    COURSE_PRECISION (whatever the caller set), and its cells share one kernel, as they
    must: the second cell reads the first one's variable."""
    expected = "float32" if leg == "pinned" else leg
    paths = []
    for name in ("a", "b", "c"):
        path = tmp_path / leg / name / f"{name}.ipynb"
        path.parent.mkdir(parents=True)
        cells = [
            ("import os\nvalue = os.environ['COURSE_PRECISION']", ""),
            ("print(value)", expected + "\n"),
        ]
        path.write_text(json.dumps(notebook(cells)))
        paths.append(path)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup"]
        + ["-p", "tests.nbval_legs", "--nbval-lax", "--nbval-current-env", "-q"]
        + ["-p", "no:cacheprovider", "--rootdir", str(tmp_path)]
        + [str(p) for p in paths],
        cwd=ROOT,
        env={**__import__("os").environ, "COURSE_PRECISION": "auto"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "6 passed" in done.stdout


def test_colab_python_comes_from_the_setting_then_pyenv_then_uv(
    course, tmp_path, monkeypatch
):
    monkeypatch.setenv("COURSE_COLAB_PYTHON", "/opt/python3.13/bin/python3.13")
    assert course.colab_python_requests() == ["/opt/python3.13/bin/python3.13"]
    monkeypatch.delenv("COURSE_COLAB_PYTHON")
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    for version in ("3.13.0", "3.12.1"):
        found = tmp_path / "versions" / version / "bin" / f"python{version[:4]}"
        found.parent.mkdir(parents=True)
        found.write_text("")
    # pyenv's 3.13 (uv does not see versions pyenv has not activated), then uv's own
    # search for 3.13; never another version
    assert course.colab_python_requests() == [
        str(tmp_path / "versions" / "3.13.0" / "bin" / "python3.13"),
        "3.13",
    ]


def test_stored_run_digest_follows_code_not_prose(tmp_path):
    def notebook(code, prose):
        return {
            "cells": [
                {"cell_type": "markdown", "metadata": {}, "source": [prose]},
                {"cell_type": "code", "metadata": {}, "source": code, "outputs": []},
            ],
            "metadata": {},
        }

    base = stored_run.code_digest(notebook(["x = 1\n", "print(x)"], "글"))
    assert base == stored_run.code_digest(notebook(["x = 1\nprint(x)"], "다른 글"))
    assert base != stored_run.code_digest(notebook(["x = 2\nprint(x)"], "글"))
    # moving text across a cell boundary is a different program
    split = {"cells": [{"cell_type": "code", "source": "x = 1\n"}] * 2}
    joined = {"cells": [{"cell_type": "code", "source": "x = 1\nx = 1\n"}]}
    assert stored_run.code_digest(split) != stored_run.code_digest(joined)

    path = tmp_path / "장 1.ipynb"
    path.write_text(json.dumps(notebook(["x = 1"], "글")), encoding="utf-8")
    entry = stored_run.record(path, scale="cpu", precision="float32")
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert stored_run.recorded(stored) == entry
    assert entry["code_sha256"] == stored_run.code_digest(stored)
    assert entry["scale"] == "cpu" and entry["precision"] == "float32"
