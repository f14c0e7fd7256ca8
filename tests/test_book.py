"""The book: it builds with warnings as errors, and its pages work in a real (headless) browser."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "_build" / "screenshots"  # kept after the run so a person can look
CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("book")
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    done = subprocess.run(
        [
            str(jupyter_book),
            "build",
            str(ROOT),
            "--path-output",
            str(out),
            "--warningiserror",
            "--keep-going",
        ],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-4000:]
    assert not re.search(r"\bWARNING\b", log), log[-4000:]
    return out / "_build" / "html"


def test_every_page_in_the_table_of_contents_is_built(site):
    assert (site / "book" / "intro.html").exists() and (
        site / "book" / "running.html"
    ).exists()
    for chapter in CHAPTERS:
        assert (site / "notebooks" / f"{chapter}.html").exists(), chapter


def test_each_chapter_launches_its_own_notebook_on_colab(site):
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"][
        "url"
    ].removeprefix("https://github.com/")
    for chapter in CHAPTERS:
        html = (site / "notebooks" / f"{chapter}.html").read_text()
        colab_links = set(
            re.findall(r'href="(https://colab\.research\.google\.com/[^"]+)"', html)
        )
        assert colab_links == {
            f"https://colab.research.google.com/github/{repo}/blob/main/notebooks/{chapter}.ipynb"
        }


def test_search_index_holds_korean_words(site):
    text = (site / "searchindex.js").read_text()
    terms = json.loads(text[text.index("(") + 1 : text.rindex(")")])["terms"]
    for word in ("트라이맵", "분할", "잔차"):
        assert any(term.startswith(word) for term in terms), word


def _has_korean_font() -> bool:
    if not shutil.which("fc-list"):
        return False
    return bool(
        subprocess.run(
            ["fc-list", ":lang=ko"], capture_output=True, text=True
        ).stdout.strip()
    )


def _chromium() -> str:
    """Finds Chromium (and a Korean font for its screenshots), installing Debian's packages if need be."""
    found = next(
        (
            shutil.which(n)
            for n in ("chromium", "chromium-browser", "google-chrome")
            if shutil.which(n)
        ),
        None,
    )
    missing = ([] if found else ["chromium"]) + (
        [] if _has_korean_font() else ["fonts-nanum"]
    )
    if missing and shutil.which("apt-get") and os.geteuid() == 0:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(
            ["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=600
        )
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", *missing],
            env=env,
            capture_output=True,
            timeout=900,
        )
        found = found or shutil.which("chromium")
    if not found:
        pytest.skip(
            "headless Chromium is not installed and could not be installed here "
            "(install Debian's 'chromium' package to run the browser checks)"
        )
    return found


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    binary = _chromium()
    profile = tmp_path_factory.mktemp("chromium-profile")
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=5000",
        "--window-size=1280,1600",
    ]

    def run(*args):
        done = subprocess.run(
            [binary, *flags, *args], capture_output=True, text=True, timeout=180
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    return run


def test_pages_render_korean_text_and_stored_plots(site, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pages = {"intro": site / "book" / "intro.html"}
    pages.update({c: site / "notebooks" / f"{c}.html" for c in CHAPTERS})
    for name, page in pages.items():
        dom = browser("--dump-dom", page.as_uri())
        assert len(HANGUL.findall(dom)) > 300, f"{name}: little Korean text rendered"
        images = re.findall(r'<img[^>]+src="([^"]+\.png)"', dom)
        assert images, f"{name}: no images"
        for src in images:
            assert (page.parent / src).resolve().exists(), f"{name}: broken image {src}"
        if name != "intro":  # a chapter shows the plots stored in its notebook
            assert any("_images/" in src for src in images), f"{name}: no stored plot"
    for name in ("intro", CHAPTERS[min(1, len(CHAPTERS) - 1)]):
        shot = ARTIFACTS / f"{name}.png"
        browser(f"--screenshot={shot}", pages[name].as_uri())
        assert shot.stat().st_size > 20_000, f"{name}: empty screenshot"


def test_worked_solutions_are_collapsed_behind_a_korean_toggle(site):
    for chapter in CHAPTERS:
        html = (site / "notebooks" / f"{chapter}.html").read_text()
        solutions = re.findall(r'<div class="cell tag_hide-input[^"]*"', html)
        # the setup cell plus one worked solution per exercise, each behind a closed <details>
        assert len(solutions) >= 1 + 3, f"{chapter}: solutions are not collapsed"
        assert "코드 보기" in html and "Show code cell" not in html, chapter
