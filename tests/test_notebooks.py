"""Checks on the committed notebooks themselves (nbval runs them; this checks what they store)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tools import samples, stored_run

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MACHINE_PATH = re.compile(r"(/work/|/tmp/|/root/|/home/\w+/|/content/)")


def code_cells(path):
    return [
        c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"
    ]


def source(cell):
    return (
        "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    )


def text_of(output):
    if "text" in output:
        return "".join(output["text"])
    return "".join(output.get("data", {}).get("text/plain", ""))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 2


def test_table_of_contents_lists_every_notebook():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    assert sorted(f for f in files if f.startswith("notebooks/")) == [
        f"notebooks/{p.stem}" for p in NOTEBOOKS
    ]


def test_every_notebook_starts_with_the_same_setup_cell():
    first_cells = {p.name: source(code_cells(p)[0]) for p in NOTEBOOKS}
    assert len(set(first_cells.values())) == 1, "the setup cells differ"
    repo_url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert f'REPO_URL = "{repo_url}"' in next(iter(first_cells.values()))


def test_setup_cell_makes_utils_importable_from_a_fresh_clone(tmp_path):
    """What Colab does: run the setup cell where no course files exist; it clones the repository."""
    setup = source(code_cells(NOTEBOOKS[0])[0])
    repo_url = re.search(r'REPO_URL = "([^"]+)"', setup)[1]
    origin = (
        tmp_path / Path(repo_url).name
    )  # a local stand-in for the GitHub repository
    subprocess.run(
        ["git", "clone", "--quiet", "--depth", "1", f"file://{ROOT}", str(origin)],
        check=True,
    )
    workdir = tmp_path / "content"
    workdir.mkdir()
    script = (
        setup.replace(f'"{repo_url}"', repr(str(origin)))
        + "\nimport utils\nprint(utils.__file__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).is_relative_to(workdir / origin.name)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_outputs_come_from_one_clean_real_run(path):
    cells = code_cells(path)
    counts = [c["execution_count"] for c in cells]
    assert counts == list(range(1, len(cells) + 1)), (
        "run the notebook once, top to bottom"
    )
    outputs = [o for c in cells for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "no stored plots"
    for o in outputs:
        assert not MACHINE_PATH.search(text_of(o)), (
            f"machine path in output: {text_of(o)[:200]}"
        )
    report = "".join(text_of(o) for o in cells[1]["outputs"])
    # The folders of the real samples (COURSE_SAMPLES_DIR, default ../shared/data; see
    # tools/samples.py): the Pets and dogs-vs-cats samples, and the lecture's own
    # 5,000-photo dogs-vs-cats split. The report names the folder, not its location, so
    # outputs run on the samples wherever a maintainer keeps them pass.
    real_folders = ("-sample'", "dogs-vs-cats-lecture-200px'")
    assert "cpu" in report and "로컬 폴더" in report, "commit outputs of a cpu run"
    assert any(folder in report for folder in real_folders), (
        "commit outputs of a run on the real samples: python3 tools/course.py execute "
        f"(reads {samples.VARIABLE}, default {samples.DEFAULT})"
    )
    assert "synthetic" not in report
    precision = next(line for line in report.splitlines() if "정밀도" in line)
    assert precision.split(":", 1)[1].strip().startswith("float32 ("), (
        "stored runs are float32 (tools/course.py execute sets COURSE_PRECISION)"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_outputs_belong_to_the_code_beside_them(path):
    """A code cell edited after the stored run fails here until the notebook is run again
    (markdown may change freely)."""
    notebook = json.loads(path.read_text())
    run = stored_run.recorded(notebook)
    assert run.get("code_sha256") == stored_run.code_digest(notebook), (
        f"{path.name}: its code changed after the run that made its outputs "
        f"(or it was never recorded): python3 tools/course.py execute notebooks/{path.name}"
    )
    assert run.get("scale") == "cpu" and run.get("precision") == "float32", run


def _cells(path):
    return json.loads(path.read_text())["cells"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_chapter_ends_with_a_summary_then_self_checked_exercises(path):
    cells = _cells(path)
    texts = [source(c) for c in cells]
    summary = max(
        i
        for i, t in enumerate(texts)
        if cells[i]["cell_type"] == "markdown" and "측정 요약" in t
    )
    exercises = next(i for i, t in enumerate(texts) if t.startswith("## 연습 문제"))
    assert summary < exercises, "the measurement summary comes before the exercises"
    last_code_before = [c for c in cells[summary:exercises] if c["cell_type"] == "code"]
    assert last_code_before, (
        "the summary heading is followed by the code that prints it"
    )
    tasks = [t for t in texts[exercises:] if re.match(r"### 연습 문제 \d", t)]
    assert 3 <= len(tasks) <= 5
    code = [c for c in cells[exercises:] if c["cell_type"] == "code"]
    blanks = [c for c in code if "answer = None" in source(c)]
    # a worked solution folds away whole, code and output, behind one "풀이 보기" toggle
    solutions = [c for c in code if "hide-cell" in c["metadata"].get("tags", [])]
    assert len(blanks) == len(solutions) == len(tasks)
    assert all(c in blanks or c in solutions for c in code), (
        "every exercise cell is a blank or a solution folded whole by the tag hide-cell"
    )
    for cell in solutions:
        prompts = cell["metadata"].get("mystnb", {})
        assert "풀이" in prompts.get("code_prompt_show", ""), prompts
        assert "풀이" in prompts.get("code_prompt_hide", ""), prompts
    for cell in code:  # CI compares what the checks print
        assert "nbval-check-output" in cell["metadata"].get("tags", [])
    for cell in blanks:
        assert "아직 답하지 않았습니다" in "".join(text_of(o) for o in cell["outputs"])
    for cell in solutions:
        assert "정답입니다" in "".join(text_of(o) for o in cell["outputs"])


def test_no_notebook_hides_an_nbval_marker_in_its_source():
    for path in NOTEBOOKS:
        for cell in code_cells(path):
            assert "NBVAL" not in source(cell), (
                f"{path.name}: use the nbval-check-output tag"
            )


def test_no_notebook_carries_test_machinery():
    """The dry run's step cap lives in tests/dry_run and is installed by the harness;
    a student's page shows none of it."""
    for path in NOTEBOOKS:
        for cell in code_cells(path):
            text = source(cell)
            assert "step_cap" not in text and "COURSE_MAX_STEPS" not in text, path.name
