#!/usr/bin/env python3
"""The course's two commands (and a few for maintainers), each setting itself up first.

    python3 tools/course.py book    # create .venv, install requirements.txt, build the book
    python3 tools/course.py test    # create .venv, install requirements.txt, run every test

Maintainers:
    python3 tools/course.py execute [NOTEBOOK ...]   # run notebooks in place, storing outputs
    python3 tools/course.py figures                  # redraw the book's figures
    python3 tools/course.py dry-run                  # the full-scale dry run alone; its
                                                     # figures go to benchmarks/full_scale_dry_run.json

Only the standard library is used here, so a fresh Python 3.11 can run it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
REQUIREMENTS = ROOT / "requirements.txt"
REAL_SAMPLES = ROOT.parent / "shared" / "data"
# The Colab leg: Colab's Python, TensorFlow and Keras (.ci/colab-constraints.txt), everything
# else at the newest versions those allow.
COLAB_PYTHON = "3.13"
COLAB_VENV = ROOT / ".venv-colab"
COLAB_CONSTRAINTS = ROOT / ".ci" / "colab-constraints.txt"
COLAB_PACKAGES = [
    "tensorflow",
    "keras",
    "matplotlib",
    "numpy",
    "pandas",
    "pillow",
    "koreanize-matplotlib",
    "ipykernel",
    "pytest",
    "nbval",
    "pyyaml",
]


def venv_python() -> Path:
    return VENV / "bin" / "python"


def ensure_environment() -> None:
    """Creates .venv and installs the pinned requirements, again only when they change."""
    if sys.version_info[:2] != (3, 11):
        print(
            f"경고/warning: Python 3.11 을 권장합니다 (지금 {sys.version.split()[0]}). "
            "The pinned packages are tested on Python 3.11."
        )
    if not venv_python().exists():
        print(f"가상 환경 생성 / creating {VENV.name}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / ".requirements.sha256"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    print("패키지 설치 / installing requirements.txt")
    run([venv_python(), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    run([venv_python(), "-m", "pip", "install", "--quiet", "-r", REQUIREMENTS])
    stamp.write_text(wanted)


def find_colab_python() -> Path:
    """Python 3.13 for the Colab leg: COURSE_COLAB_PYTHON, then PATH, then pyenv. Never another version."""
    candidates = [
        os.environ.get("COURSE_COLAB_PYTHON"),
        shutil.which(f"python{COLAB_PYTHON}"),
    ]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(
        str(p)
        for p in pyenv_root.glob(f"versions/{COLAB_PYTHON}.*/bin/python{COLAB_PYTHON}")
    )
    for candidate in filter(None, candidates):
        version = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
        )
        if version.stdout.strip() == COLAB_PYTHON:
            return Path(candidate)
    print(
        f"오류/error: Colab 버전 검사에 필요한 Python {COLAB_PYTHON}을 찾지 못했습니다. "
        f"pyenv install {COLAB_PYTHON} 또는 COURSE_COLAB_PYTHON=/경로/python{COLAB_PYTHON} 로 지정하세요.\n"
        f"The Colab leg needs Python {COLAB_PYTHON} and will not run on another version; "
        f"install it (pyenv install {COLAB_PYTHON}) or set COURSE_COLAB_PYTHON."
    )
    sys.exit(1)


def ensure_colab_environment() -> Path:
    """.venv-colab: Colab's Python, TensorFlow and Keras; reinstalled only when the constraints change."""
    python = COLAB_VENV / "bin" / "python"
    if not python.exists():
        print(f"Colab 버전 가상 환경 생성 / creating {COLAB_VENV.name}")
        run([find_colab_python(), "-m", "venv", COLAB_VENV])
    stamp = COLAB_VENV / ".constraints.sha256"
    wanted = hashlib.sha256(
        COLAB_CONSTRAINTS.read_bytes() + " ".join(COLAB_PACKAGES).encode()
    ).hexdigest()
    if not (stamp.exists() and stamp.read_text() == wanted):
        run([python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
        run(
            [
                python,
                "-m",
                "pip",
                "install",
                "--quiet",
                "-c",
                COLAB_CONSTRAINTS,
                *COLAB_PACKAGES,
            ]
        )
        stamp.write_text(wanted)
    return python


def run(command, env=None, stdout=None) -> None:
    """Runs a command in the repository; a failure ends this script with its exit status.
    ``stdout``: an open file that takes the command's output (both streams) instead."""
    print("$", " ".join(str(c) for c in command), flush=True)
    result = subprocess.run(
        [str(c) for c in command],
        cwd=ROOT,
        env=env,
        stdout=stdout,
        stderr=subprocess.STDOUT if stdout else None,
    )
    if result.returncode:
        sys.exit(result.returncode)


def tool(name: str) -> Path:
    return VENV / "bin" / name


def notebook_env(scale: str) -> dict:
    """Environment for running notebooks: the real samples where they exist, else generated data."""
    env = dict(os.environ, COURSE_SCALE=os.environ.get("COURSE_SCALE", scale))
    env.setdefault("COURSE_CACHE_DIR", str(ROOT / ".cache"))
    if "COURSE_DATA_DIR" not in env and "COURSE_DATA" not in env:
        if REAL_SAMPLES.is_dir():
            env["COURSE_DATA_DIR"] = str(REAL_SAMPLES)
        else:
            env["COURSE_DATA"] = "synthetic"
    env.pop(
        "MPLBACKEND", None
    )  # the kernel's inline backend must store the figures in the notebook
    return env


def build_book() -> None:
    run([tool("jupyter-book"), "build", ".", "--warningiserror", "--keep-going"])
    print(f"책 / book: {ROOT / '_build' / 'html' / 'index.html'}")


def lint() -> None:
    """One formatter and linter for modules and notebooks (settings in ruff.toml)."""
    run([tool("ruff"), "format", "--check", "."])
    run([tool("ruff"), "check", "."])


def test() -> None:
    """Lint, unit tests and the book's checks (tests/test_book.py builds it with warnings as errors), then nbval.

    The full-scale dry run is not part of it yet (it needs about 40 CPU minutes): run it
    with ``python3 tools/course.py dry-run``.
    """
    lint()
    run([venv_python(), "-m", "pytest", "tests"])
    env = notebook_env("smoke")
    source = env.get("COURSE_DATA_DIR") or env.get("COURSE_DATA")
    print(f"노트북 검사 / notebooks at scale {env['COURSE_SCALE']}, data: {source}")
    nbval(venv_python(), env)
    colab_python = ensure_colab_environment()
    print(
        f"Colab 버전으로 노트북 검사 / notebooks on Colab's versions (Python {COLAB_PYTHON})"
    )
    run(
        [
            colab_python,
            "-c",
            "import sys, tensorflow, keras; "
            "print('Python', sys.version.split()[0], '| TensorFlow', tensorflow.__version__, '| Keras', keras.__version__)",
        ]
    )
    nbval(colab_python, env)


def full_scale_dry_run(report: Path | None = None, log: Path | None = None) -> None:
    """Every notebook at COURSE_SCALE=full with COURSE_MAX_STEPS, on generated data, offline
    (tests/test_full_scale.py): a table of run time and peak memory per notebook."""
    print("전체 규모 시험 실행 / full-scale dry run (COURSE_MAX_STEPS)", flush=True)
    command = [venv_python(), "-m", "pytest", "-p", "no:cacheprovider", "-q"]
    command += ["tests/test_full_scale.py", "--full-scale"]
    if report is not None:
        command += ["--full-scale-report", report]
    if log is None:
        run(command)
        return
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as output:
        run(command, stdout=output)


def nbval(python, env) -> None:
    run(
        [
            python,
            "-m",
            "pytest",
            "--nbval-lax",
            "--nbval-current-env",
            "--nbval-cell-timeout=900",
            "-p",
            "no:cacheprovider",
            "notebooks",
        ],
        env=env,
    )


def execute(notebooks) -> None:
    """Runs notebooks top to bottom in place (at COURSE_SCALE, default cpu) so they keep real outputs."""
    env = notebook_env("cpu")
    paths = notebooks or sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("*.ipynb")
    )
    for path in paths:
        # capture_fd_output=False: TensorFlow's C++ start-up log lines go to this terminal,
        # not into the stored outputs (TF_CPP_MIN_LOG_LEVEL cannot silence the earliest ones).
        run(
            [
                tool("jupyter"),
                "nbconvert",
                "--to",
                "notebook",
                "--execute",
                "--inplace",
                "--ExecutePreprocessor.timeout=3600",
                '--ExecutePreprocessor.extra_arguments=["--IPKernelApp.capture_fd_output=False"]',
                path,
            ],
            env=env,
        )


def main(argv) -> None:
    if not argv or argv[0] not in {"book", "test", "execute", "figures", "dry-run"}:
        print(__doc__)
        sys.exit(2)
    ensure_environment()
    if argv[0] == "book":
        build_book()
    elif argv[0] == "test":
        test()
    elif argv[0] == "execute":
        execute(argv[1:])
    elif argv[0] == "dry-run":
        full_scale_dry_run(ROOT / "benchmarks" / "full_scale_dry_run.json")
    else:
        run([venv_python(), "book/figures/make_figures.py"])


if __name__ == "__main__":
    main(sys.argv[1:])
