#!/usr/bin/env python3
"""The course's two commands (and a few for maintainers), each setting itself up first.

    python3 tools/course.py book    # create .venv, install requirements.txt, build the book
    python3 tools/course.py test    # create .venv, install requirements.txt, run every test

Maintainers:
    python3 tools/course.py execute [NOTEBOOK ...]   # run notebooks in place, storing outputs
    python3 tools/course.py figures                  # redraw the book's figures
    python3 tools/course.py dry-run [POLICY]         # the full-scale dry run alone (every
                                                     # notebook under POLICY if given); its
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
# The real photo samples: COURSE_SAMPLES_DIR, else ../shared/data beside the repository,
# read by tools/samples.py for this file, the tests and the benchmarks alike.
sys.path.insert(0, str(ROOT / "tools"))
from samples import samples_dir  # noqa: E402 - standard library only, like this file
from stored_run import record  # noqa: E402 - standard library only, like this file

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
    "pytest-xdist",
    "nbval",
    "pyyaml",
]


# nbval legs: each runs a copy of every notebook (.cache/nbval/LEG/NAME/) under one
# COURSE_PRECISION (tests/nbval_legs.py reads it from the folder name). The pinned and
# Colab legs compare the checked cells with the float32 outputs committed in the
# notebooks; the two mixed legs must print the same verdicts under a student's 16-bit
# policy.
PINNED_LEGS = ("pinned", "mixed_float16", "mixed_bfloat16")
COLAB_LEG = "colab"
NBVAL_OPTIONS = ["--nbval-lax", "--nbval-current-env", "--nbval-cell-timeout=900"]
WORKERS = 2  # the CI machine's cores


def venv_python() -> Path:
    return VENV / "bin" / "python"


def pinned_uv() -> str | None:
    """The ``uv==X`` line of requirements.txt: the installer the environments are made with."""
    for line in REQUIREMENTS.read_text().splitlines():
        if line.strip().lower().startswith("uv=="):
            return line.strip()
    return None


def install(python: Path, args: list) -> None:
    """``pip install ARGS`` into the environment of ``python``, with uv where .venv has it
    (about 15 s for the whole of requirements.txt, against about 110 s with pip). Should
    uv fail (it reads its own index settings, not pip's), pip installs the same."""
    uv = VENV / "bin" / "uv"
    if uv.exists():
        # pip compiles the modules as it installs them; uv only when asked. Without that,
        # where PYTHONDONTWRITEBYTECODE is set (as on CI) every new kernel compiles
        # TensorFlow's modules again: about 10 s more per notebook.
        command = [uv, "pip", "install", "--quiet", "--compile-bytecode"]
        command += ["--python", python, *args]
        if run(command, check=False) == 0:
            return
        print(
            "경고/warning: uv 설치가 실패해 pip 으로 다시 설치합니다. "
            "uv failed; pip installs the same packages instead.",
            flush=True,
        )
    run([python, "-m", "pip", "install", "--quiet", *args])


def ensure_environment() -> None:
    """Creates .venv and installs the pinned requirements, again only when they change.
    pip installs only uv (pinned in requirements.txt); uv installs the rest. Where uv
    cannot be installed, pip installs everything: slower, the same packages."""
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
    uv = pinned_uv()
    if uv and not (VENV / "bin" / "uv").exists():
        if run([venv_python(), "-m", "pip", "install", "--quiet", uv], check=False):
            print(
                f"경고/warning: {uv} 를 설치하지 못해 pip 으로 설치합니다 (느림). "
                f"Could not install {uv}; pip installs the requirements instead (slower)."
            )
    install(venv_python(), ["-r", REQUIREMENTS])
    stamp.write_text(wanted)


def colab_python_requests() -> list[str]:
    """What to ask uv for, in order: ``COURSE_COLAB_PYTHON`` when set (a path); else
    any Python 3.13 that pyenv installed (its shims answer only for the active version,
    so uv does not see the others), then "3.13" for uv to find or fetch itself."""
    explicit = os.environ.get("COURSE_COLAB_PYTHON", "").strip()
    if explicit:
        return [explicit]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    pattern = f"versions/{COLAB_PYTHON}.*/bin/python{COLAB_PYTHON}"
    return [*sorted(str(p) for p in pyenv_root.glob(pattern)), COLAB_PYTHON]


def ensure_colab_environment() -> Path:
    """.venv-colab: Colab's Python, TensorFlow and Keras; reinstalled only when the
    constraints change. uv makes it with Python 3.13 (:func:`colab_python_requests`)
    and never with another version: without one the Colab leg fails."""
    python = COLAB_VENV / "bin" / "python"
    if not python.exists():
        print(f"Colab 버전 가상 환경 생성 / creating {COLAB_VENV.name}")
        uv = VENV / "bin" / "uv"
        made = uv.exists() and any(
            not run(
                [uv, "venv", "--quiet", "--seed", "--python", wanted, COLAB_VENV],
                check=False,
            )
            for wanted in colab_python_requests()
        )
        if not made:
            print(
                f"오류/error: Colab 버전 검사에 필요한 Python {COLAB_PYTHON}을 찾지 못했습니다. "
                f"설치하거나(uv python install {COLAB_PYTHON}, pyenv install {COLAB_PYTHON}) "
                f"COURSE_COLAB_PYTHON=/경로/python{COLAB_PYTHON} 로 지정하세요.\n"
                f"The Colab leg needs Python {COLAB_PYTHON} and will not run on another "
                f"version; install it or set COURSE_COLAB_PYTHON."
            )
            sys.exit(1)
    stamp = COLAB_VENV / ".constraints.sha256"
    wanted = hashlib.sha256(
        COLAB_CONSTRAINTS.read_bytes() + " ".join(COLAB_PACKAGES).encode()
    ).hexdigest()
    if not (stamp.exists() and stamp.read_text() == wanted):
        install(python, ["-c", COLAB_CONSTRAINTS, *COLAB_PACKAGES])
        stamp.write_text(wanted)
    return python


def run(command, env=None, check=True) -> int:
    """Runs a command in the repository; a failure ends this script with its exit status.
    ``check=False``: a failure only returns its exit status, for the caller to handle."""
    print("$ " + " ".join(str(c) for c in command), flush=True)
    result = subprocess.run([str(c) for c in command], cwd=ROOT, env=env)
    if result.returncode and check:
        sys.exit(result.returncode)
    return result.returncode


def tool(name: str) -> Path:
    return VENV / "bin" / name


def notebook_env(scale: str) -> dict:
    """Environment for running notebooks: the real samples (``COURSE_SAMPLES_DIR``, see
    tools/samples.py) where they exist, else generated data."""
    env = dict(os.environ, COURSE_SCALE=os.environ.get("COURSE_SCALE", scale))
    env.setdefault("COURSE_CACHE_DIR", str(ROOT / ".cache"))
    if "COURSE_DATA_DIR" not in env and "COURSE_DATA" not in env:
        samples = samples_dir(env)
        if samples is not None:
            env["COURSE_DATA_DIR"] = str(samples)
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
    """Lint, then two pytest sessions, each spread over the machine's cores by
    pytest-xdist (one compute thread per worker, so two workers do not fight over two
    cores):

    1. the pinned environment: the unit tests (with the book's checks:
       tests/test_book.py builds it with warnings as errors), the full-scale dry run
       (tests/test_full_scale.py) and nbval on every notebook in three legs: float32,
       mixed_float16 and mixed_bfloat16;
    2. Colab's environment (Python 3.13, .ci/colab-constraints.txt): nbval on every
       notebook in float32.

    A notebook's cells stay on one worker (they share a kernel); every other test file
    is a unit of its own, except the dry run's notebooks, which spread one by one.
    The command fails if any test fails.
    """
    lint()
    os.environ.update(
        TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS="1", OMP_NUM_THREADS="1"
    )
    env = notebook_env("smoke")
    source = env.get("COURSE_DATA_DIR") or env.get("COURSE_DATA")
    print(f"노트북 검사 / notebooks at scale {env['COURSE_SCALE']}, data: {source}")
    # Before the workers start: they then find the data (generated, when there are no
    # real samples) and its checks ready, and never write them at once.
    index_both = (
        "from utils import dogs_cats, pets; "
        "pets.load_pets_index(verbose=False); dogs_cats.load_dogs_cats_index(verbose=False)"
    )
    run([venv_python(), "-c", index_both], env=env)
    copies = [copy for leg in PINNED_LEGS for copy in notebook_copies(leg)]
    # The dry run first: its notebooks are the longest items, and xdist hands out work
    # in collection order. (Files, not the folder: given a folder and one of its own
    # files, pytest collects only the file.)
    dry_run = ROOT / "tests" / "test_full_scale.py"
    unit_tests = sorted(set((ROOT / "tests").glob("test_*.py")) - {dry_run})
    parallel_pytest(venv_python(), [dry_run, *unit_tests, *copies], env, "--full-scale")
    colab_python = ensure_colab_environment()
    versions = (
        "import sys, tensorflow, keras; print('Python', sys.version.split()[0], "
        "'| TensorFlow', tensorflow.__version__, '| Keras', keras.__version__)"
    )
    run([colab_python, "-c", versions])
    parallel_pytest(colab_python, notebook_copies(COLAB_LEG), env)


def notebook_copies(leg: str) -> list[Path]:
    """A fresh copy of every notebook in .cache/nbval/LEG/NAME/: notebooks write
    checkpoints beside themselves, and notebooks running side by side must not read
    each other's."""
    copies = []
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        folder = ROOT / ".cache" / "nbval" / leg / notebook.stem
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        copies.append(Path(shutil.copy2(notebook, folder / notebook.name)))
    return copies


def parallel_pytest(python, paths, env, *options) -> None:
    """One pytest session over ``paths`` on :data:`WORKERS` xdist workers."""
    command = [python, "-m", "pytest", "-n", WORKERS, "--dist", "loadgroup"]
    command += ["-p", "tests.nbval_legs", *NBVAL_OPTIONS, *options]
    command += ["--durations=20", "-p", "no:cacheprovider", *paths]
    run(command, env=env)


def full_scale_dry_run(report: Path, policy: str | None = None) -> None:
    """Every notebook at COURSE_SCALE=full with COURSE_MAX_STEPS, on generated data, offline
    (tests/test_full_scale.py): a table of run time and peak memory per notebook, on
    this machine's cores. ``policy``: one COURSE_PRECISION for every notebook (default:
    the dry run's own choice per chapter)."""
    options = ["--full-scale", "--full-scale-report", report]
    if policy:
        options += ["--full-scale-precision", policy]
    parallel_pytest(venv_python(), ["tests/test_full_scale.py"], None, *options)


def execute(notebooks) -> None:
    """Runs notebooks top to bottom in place (at COURSE_SCALE, default cpu) so they keep real outputs.

    Stored runs are float32 unless COURSE_PRECISION says otherwise: the book's numbers
    then do not depend on whether the machine that made them has bfloat16 instructions.
    Each notebook records the digest of the code that made its outputs (tools/stored_run.py)."""
    env = notebook_env("cpu")
    env.setdefault("COURSE_PRECISION", "float32")
    paths = notebooks or sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("*.ipynb")
    )
    for path in paths:
        # Formatted first, so that formatting later never changes the recorded code digest.
        run([tool("ruff"), "format", "--quiet", path])
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
        # The digest of the code that made these outputs (tests/test_notebooks.py checks it).
        record(Path(path), scale=env["COURSE_SCALE"], precision=env["COURSE_PRECISION"])


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
        policy = argv[1] if len(argv) > 1 else None
        full_scale_dry_run(ROOT / "benchmarks" / "full_scale_dry_run.json", policy)
    else:
        run([venv_python(), "book/figures/make_figures.py"])


if __name__ == "__main__":
    main(sys.argv[1:])
