#!/usr/bin/env python3
"""The course's two commands (and a few for maintainers), each setting itself up first.

    python3 tools/course.py book    # create .venv, install requirements.txt, build the book
    python3 tools/course.py test    # create .venv, install requirements.txt, run every test

Maintainers:
    python3 tools/course.py execute [NOTEBOOK ...]   # run notebooks in place, storing outputs
    python3 tools/course.py figures                  # redraw the book's figures
    python3 tools/course.py dry-run [POLICY]         # the full-scale dry run alone (float32
                                                     # unless POLICY is given); its
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


# The full-scale dry run in parts of about equal time, each under a stated policy. The
# chapters whose full-scale branches differ most (200x200 inputs in 02, ImageNet Xception,
# its offline fallback and the nested base in 05 and 07) run under mixed_float16, what
# Colab's T4 gets; the rest in float32. On a CPU float16 has no fast kernels, so running
# every chapter under it would cost several times as much.
DRY_RUN_PARTS = (
    ("04,06", "float32"),
    ("01,03", "float32"),
    ("02", "mixed_float16"),
    ("05,07", "mixed_float16"),
)
# The 16-bit policies a student's machine may use: each notebook runs once under each at
# smoke scale, and nbval compares its checked cells (the tolerance verdicts among them)
# with the float32 outputs committed in the notebook.
MIXED_POLICIES = ("mixed_float16", "mixed_bfloat16")
# nbval runs each notebook as a job of its own, the slowest first (smoke scale, same run);
# a notebook not named here runs after these.
NBVAL_ORDER = ("06", "02", "04", "05", "03", "07", "01")


def nbval_notebooks() -> list[Path]:
    """Every notebook, in the order its nbval jobs start (NBVAL_ORDER first)."""

    def rank(path: Path) -> tuple:
        number = path.name[:2]
        return (
            (NBVAL_ORDER.index(number), "")
            if number in NBVAL_ORDER
            else (99, path.name)
        )

    return sorted((ROOT / "notebooks").glob("*.ipynb"), key=rank)


def venv_python() -> Path:
    return VENV / "bin" / "python"


def pinned_uv() -> str | None:
    """The ``uv==X`` line of requirements.txt: the installer the environments are made with."""
    for line in REQUIREMENTS.read_text().splitlines():
        if line.strip().lower().startswith("uv=="):
            return line.strip()
    return None


def install(python: Path, args: list, log=None) -> None:
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
        if run(command, stdout=log, check=False) == 0:
            return
        print(
            "경고/warning: uv 설치가 실패해 pip 으로 다시 설치합니다. "
            "uv failed; pip installs the same packages instead.",
            file=log or sys.stdout,
            flush=True,
        )
    run([python, "-m", "pip", "install", "--quiet", *args], stdout=log)


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


def ensure_colab_environment(log=None) -> Path:
    """.venv-colab: Colab's Python, TensorFlow and Keras; reinstalled only when the constraints change.
    ``log``: an open file for the commands' output (as in :func:`run`)."""
    python = COLAB_VENV / "bin" / "python"
    if not python.exists():
        print(f"Colab 버전 가상 환경 생성 / creating {COLAB_VENV.name}", file=log)
        run([find_colab_python(), "-m", "venv", COLAB_VENV], stdout=log)
    stamp = COLAB_VENV / ".constraints.sha256"
    wanted = hashlib.sha256(
        COLAB_CONSTRAINTS.read_bytes() + " ".join(COLAB_PACKAGES).encode()
    ).hexdigest()
    if not (stamp.exists() and stamp.read_text() == wanted):
        install(python, ["-c", COLAB_CONSTRAINTS, *COLAB_PACKAGES], log)
        stamp.write_text(wanted)
    return python


class CommandFailed(Exception):
    """A command of a parallel job failed (its exit status is ``returncode``)."""

    def __init__(self, returncode: int):
        super().__init__(returncode)
        self.returncode = returncode


def run(command, env=None, stdout=None, check=True) -> int:
    """Runs a command in the repository; a failure ends this script with its exit status.
    ``stdout``: an open file that takes the command's output (both streams) instead, and
    then a failure raises :class:`CommandFailed` for the job that owns the file.
    ``check=False``: a failure only returns its exit status, for the caller to handle."""
    line = "$ " + " ".join(str(c) for c in command)
    print(line, file=stdout or sys.stdout, flush=True)
    result = subprocess.run(
        [str(c) for c in command],
        cwd=ROOT,
        env=env,
        stdout=stdout,
        stderr=subprocess.STDOUT if stdout else None,
    )
    if result.returncode and check:
        if stdout is not None:
            raise CommandFailed(result.returncode)
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
    """Lint, then jobs on two workers (the machine's two cores), one compute thread each:
    the full-scale dry run in three parts, the unit tests (with the book's checks:
    tests/test_book.py builds it with warnings as errors), and nbval on each notebook,
    once on Colab's versions and once on the pinned versions. The longest jobs go first
    and the short notebook jobs fill in, so the two workers end close together.

    Each job writes its own log under .cache/ci-logs/ and the log is printed when the job
    ends; the command fails if any job fails.
    """
    lint()
    # One compute thread per job: two jobs on two cores then do not fight over them (on
    # this 2-core machine the CI used 49 CPU minutes with TensorFlow's default threads,
    # much of it in switching between them).
    os.environ.update(
        TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS="1", OMP_NUM_THREADS="1"
    )
    env = notebook_env("smoke")
    source = env.get("COURSE_DATA_DIR") or env.get("COURSE_DATA")
    print(f"노트북 검사 / notebooks at scale {env['COURSE_SCALE']}, data: {source}")
    # Before the parallel jobs: the notebook jobs then find the data (generated, when
    # there are no real samples) and its checks ready, and never write them at once.
    index_both = (
        "from utils import dogs_cats, pets; "
        "pets.load_pets_index(verbose=False); dogs_cats.load_dogs_cats_index(verbose=False)"
    )
    run([venv_python(), "-c", index_both], env=env)

    def unit_tests(log):
        run([venv_python(), "-m", "pytest", "--durations=8", "tests"], stdout=log)

    @once
    def colab_python(log):
        python = ensure_colab_environment(log)
        versions = (
            "import sys, tensorflow, keras; print('Python', sys.version.split()[0], "
            "'| TensorFlow', tensorflow.__version__, '| Keras', keras.__version__)"
        )
        run([python, "-c", versions], stdout=log)
        return python

    def notebook_job(notebook, leg):
        if leg == "colab":
            return lambda log: nbval(colab_python(log), env, notebook, log, leg)
        if leg in MIXED_POLICIES:
            return lambda log: nbval(venv_python(), env, notebook, log, leg, leg)
        return lambda log: nbval(venv_python(), env, notebook, log, leg)

    def dry_run(only, policy):
        name = f"dry-run-{only.replace(',', '-')}-{policy}.json"
        report = ROOT / ".cache" / "full-scale" / name
        return lambda log: full_scale_dry_run(report, log, only, policy)

    jobs = {
        f"전체 규모 시험 실행 / full-scale dry run ({part}, {policy})": dry_run(
            part, policy
        )
        for part, policy in DRY_RUN_PARTS
    }
    jobs["단위 테스트 / unit tests"] = unit_tests
    legs = {
        "colab": "Colab 버전 / Colab's versions",
        "pinned": "고정 버전 / pinned",
        **{policy: f"고정 버전, {policy}" for policy in MIXED_POLICIES},
    }
    for notebook in nbval_notebooks():
        for leg, words in legs.items():
            jobs[f"노트북 / notebook {notebook.stem}, {words}"] = notebook_job(
                notebook, leg
            )
    run_jobs(jobs)


def once(function):
    """``function(log)`` run by the first job that asks; the jobs that ask meanwhile wait,
    and every later one gets the same result, or the same failure (Colab's environment,
    made once for its seven notebook jobs)."""
    import threading

    lock, outcome = threading.Lock(), {}

    def first_time(log):
        with lock:
            if not outcome:
                try:
                    outcome["result"] = function(log)
                except BaseException as failure:  # SystemExit: no Python 3.13
                    outcome["failure"] = failure
                    raise
        if "failure" in outcome:
            print("(앞의 작업에서 실패 / failed in an earlier job)", file=log)
            raise outcome["failure"]
        return outcome["result"]

    return first_time


def run_jobs(jobs: dict, workers: int = 2) -> None:
    """Runs ``name -> job(log)`` functions on ``workers`` threads; each job's commands write
    to its own log, printed whole when the job ends. Exits with an error if any failed."""
    import time
    from concurrent.futures import ThreadPoolExecutor, as_completed

    logs = ROOT / ".cache" / "ci-logs"
    logs.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    def timed(index: int, name: str, job) -> tuple[str, float, int, Path]:
        path = logs / f"{index}.log"
        begin = time.perf_counter()
        with path.open("w") as log:
            try:
                job(log)
                status = 0
            except CommandFailed as failure:
                status = failure.returncode
            # A helper that reports and exits itself (no Python 3.13 for the Colab leg).
            except SystemExit as stop:
                status = stop.code if isinstance(stop.code, int) and stop.code else 1
            except Exception:  # anything else still ends as this job's failure, logged
                import traceback

                traceback.print_exc(file=log)
                status = 1
        return name, time.perf_counter() - begin, status, path

    failed = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [
            pool.submit(timed, i, name, job)
            for i, (name, job) in enumerate(jobs.items())
        ]
        for future in as_completed(futures):
            name, seconds, status, path = future.result()
            verdict = "통과 / passed" if status == 0 else f"실패 / FAILED ({status})"
            print(
                f"\n===== {name}: {verdict}, {seconds / 60:.1f} min =====", flush=True
            )
            print(path.read_text(), flush=True)
            if status:
                failed.append(name)
    minutes = (time.perf_counter() - started) / 60
    print(
        f"\n작업 {len(jobs)}개, {minutes:.1f}분 / {len(jobs)} jobs in {minutes:.1f} min"
    )
    if failed:
        print("실패한 작업 / failed: " + ", ".join(failed))
        sys.exit(1)


def full_scale_dry_run(
    report: Path | None = None, log=None, only: str = "", policy: str = "float32"
) -> None:
    """Every notebook at COURSE_SCALE=full with COURSE_MAX_STEPS, on generated data, offline
    (tests/test_full_scale.py): a table of run time and peak memory per notebook.
    ``log``: an open file for the output (as in :func:`run`); ``only``: name prefixes
    (for example "01,02") to run only those notebooks; ``policy``: their COURSE_PRECISION."""
    title = "전체 규모 시험 실행 / full-scale dry run (COURSE_MAX_STEPS)"
    print(title, only, file=log or sys.stdout, flush=True)
    command = [venv_python(), "-m", "pytest", "-p", "no:cacheprovider", "-q"]
    command += ["tests/test_full_scale.py", "--full-scale"]
    command += ["--full-scale-precision", policy]
    if only:
        command += ["--full-scale-only", only]
    if report is not None:
        command += ["--full-scale-report", report]
    run(command, stdout=log)


def nbval(
    python, env, notebook: Path, log=None, leg: str = "pinned", policy="float32"
) -> None:
    """nbval on a copy of one notebook in .cache/nbval/LEG/NAME/: notebooks write
    checkpoints beside themselves, and jobs running side by side must not read each
    other's. ``policy`` is the COURSE_PRECISION the notebook runs under: float32 unless
    a mixed run is asked for, so that the verdicts compared are the same on every CPU."""
    env = dict(env, COURSE_PRECISION=policy)
    folder = ROOT / ".cache" / "nbval" / leg / notebook.stem
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    copy = folder / notebook.name
    shutil.copy2(notebook, copy)
    command = [python, "-m", "pytest", "--nbval-lax", "--nbval-current-env"]
    command += ["--nbval-cell-timeout=900", "--durations=3", "-p", "no:cacheprovider"]
    run([*command, copy], env=env, stdout=log)


def execute(notebooks) -> None:
    """Runs notebooks top to bottom in place (at COURSE_SCALE, default cpu) so they keep real outputs.

    Stored runs are float32 unless COURSE_PRECISION says otherwise: the book's numbers
    then do not depend on whether the machine that made them has bfloat16 instructions."""
    env = notebook_env("cpu")
    env.setdefault("COURSE_PRECISION", "float32")
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
        policy = argv[1] if len(argv) > 1 else "float32"
        full_scale_dry_run(
            ROOT / "benchmarks" / "full_scale_dry_run.json", policy=policy
        )
    else:
        run([venv_python(), "book/figures/make_figures.py"])


if __name__ == "__main__":
    main(sys.argv[1:])
