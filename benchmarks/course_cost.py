"""What the course itself costs to check: each notebook at smoke scale, the tests, the book build.

    .venv/bin/python benchmarks/course_cost.py [--parts notebooks,tests,book]

notebooks - each ``notebooks/*.ipynb`` run top to bottom with ``jupyter nbconvert --execute``
            (kernel in ``notebooks/``, output written to a temporary folder, the committed
            notebook untouched), with the settings ``tools/course.py test`` uses:
            ``COURSE_SCALE=smoke`` and the real samples in ``../shared/data`` when present
            (else generated data). Kernel start-up and imports are included.
tests     - ``.venv/bin/python -m pytest tests -q`` (the unit tests; tests/test_book.py
            builds the book itself and checks it in a headless browser when one is installed).
book      - ``jupyter-book build . --path-output <temporary folder> --warningiserror --keep-going``.

Prints one JSON line with the seconds of each part and whether it passed.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from common import ROOT, Timer, emit

BIN = Path(sys.executable).parent


def course_notebook_env(scale: str = "smoke") -> dict:
    """The environment tools/course.py gives notebooks (imported from there, so they stay the same)."""
    spec = importlib.util.spec_from_file_location(
        "course_tool", ROOT / "tools" / "course.py"
    )
    course = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(course)
    env = course.notebook_env(scale)
    env["COURSE_SCALE"] = scale  # whatever the calling shell has set
    return env


def timed(command, env=None, timeout=1800) -> dict:
    timer = Timer()
    try:
        done = subprocess.run(
            [str(c) for c in command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {
            "seconds": round(timer(), 1),
            "ok": False,
            "detail": f"timed out after {timeout} s",
        }
    tail = (done.stdout + done.stderr).strip().splitlines()
    return {
        "seconds": round(timer(), 1),
        "ok": done.returncode == 0,
        "returncode": done.returncode,
        "detail": tail[-1][-300:] if tail else "",
    }


def run_notebooks(patterns, timeout) -> list[dict]:
    env = course_notebook_env("smoke")
    data = env.get("COURSE_DATA_DIR") and "real samples" or env.get("COURSE_DATA", "?")
    results = []
    with tempfile.TemporaryDirectory(prefix="course-cost-nb-") as out:
        for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
            if patterns and not any(p in path.name for p in patterns):
                continue
            command = [
                BIN / "jupyter",
                "nbconvert",
                "--to",
                "notebook",
                "--execute",
                f"--ExecutePreprocessor.timeout={timeout}",
                "--output-dir",
                out,
                path,
            ]
            result = timed(command, env=env, timeout=timeout + 120)
            results.append(
                {"name": path.stem, "scale": "smoke", "data": data, **result}
            )
            print(
                f"  notebook {path.stem}: {result['seconds']} s, ok={result['ok']}",
                file=sys.stderr,
                flush=True,
            )
    return results


def run_tests(extra) -> dict:
    result = timed(
        [
            sys.executable,
            "-m",
            "pytest",
            *(extra or ["tests"]),
            "-q",
            "-p",
            "no:cacheprovider",
        ]
    )
    summary = re.search(r"(\d+ \w+(?:, \d+ \w+)*) in [\d.]+s", result.get("detail", ""))
    result["summary"] = summary[1] if summary else result.get("detail", "")
    print(
        f"  tests: {result['seconds']} s, {result['summary']}",
        file=sys.stderr,
        flush=True,
    )
    return result


def build_book() -> dict:
    with tempfile.TemporaryDirectory(prefix="course-cost-book-") as out:
        result = timed(
            [
                BIN / "jupyter-book",
                "build",
                ".",
                "--path-output",
                out,
                "--warningiserror",
                "--keep-going",
            ]
        )
    print(
        f"  book: {result['seconds']} s, ok={result['ok']}", file=sys.stderr, flush=True
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="notebooks,tests,book")
    parser.add_argument(
        "--notebooks",
        nargs="*",
        default=None,
        help="only notebooks whose names contain these",
    )
    parser.add_argument(
        "--pytest-args",
        nargs="*",
        default=None,
        help="instead of 'tests' (for a quick check)",
    )
    parser.add_argument("--notebook-timeout", type=int, default=900)
    args = parser.parse_args()
    parts = set(args.parts.split(","))

    timer = Timer()
    result = {"kind": "course_cost"}
    if "notebooks" in parts:
        result["notebooks"] = run_notebooks(args.notebooks, args.notebook_timeout)
    if "tests" in parts:
        result["tests"] = run_tests(args.pytest_args)
    if "book" in parts:
        result["book"] = build_book()
    result["total_s"] = round(timer(), 1)
    # ru_maxrss of RUSAGE_CHILDREN: the largest single process among all the parts (kernels included)
    result["largest_process_rss_mb"] = round(
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
    )
    emit(result)


if __name__ == "__main__":
    main()
