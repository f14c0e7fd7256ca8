"""The book: it builds with warnings as errors, and its pages work in a real (headless) browser.

The browser reads every page as a reader does, at a phone's width (390 px) and at a desktop's
(1280 px): nothing is wider than the screen, worked solutions stay folded until opened, the
interface speaks Korean, the footer says whose book it is, and a training log is one block.
"""

import ast
import base64
import json
import os
import re
import select
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
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
WIDTHS = (390, 1280)  # a phone (iPhone 12-15) and a desktop
PAGES = ["book/intro", "book/running", "search", *(f"notebooks/{c}" for c in CHAPTERS)]
SCREENSHOTS = [f"notebooks/{c}" for c in CHAPTERS if c[:2] in ("02", "07")]

# Interface strings the themes and extensions show in English unless the book translates
# them (book/_ext/korean_interface.py). A text node or a tooltip/label attribute that
# equals one of these, or starts with one of the prefixes, fails the test.
ENGLISH_INTERFACE = {
    "Back to top",
    "Skip to main content",
    "Launch interactive content",
    "Source repositories",
    "Source repository",
    "Repository",
    "Open issue",
    "Open an issue",
    "Color mode",
    "Light",
    "Dark",
    "System Settings",
    "Toggle primary sidebar",
    "Toggle secondary sidebar",
    "Toggle hidden content",
    "Search this book...",
    "Search",
    "Contents",
    "On this page",
    "previous page",
    "next page",
    "previous",
    "next",
    "Print to PDF",
    "Download this page",
    "Download notebook file",
    "Fullscreen mode",
    "Copy",
    "Copy to clipboard",
    "Copied!",
    "Link to this heading",
    "Site navigation",
    "Section Navigation",
}
ENGLISH_PREFIXES = (
    "Launch on ",
    "© Copyright",
    "By ",
    "Show code cell",
    "Hide code cell",
)


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


def _image_sizes(notebook: Path) -> tuple[dict[str, set[str]], set[str]]:
    """The image sizes (as "H×W") a chapter's code gives its models: per scale, every pair
    assigned from ``scale.pick(...)`` or ``scale.pets_image_size``; and apart, the literal
    pairs assigned to ``image_size`` or ``img_size``, which may hold at any scale (chapter
    7's 299×299 is for ImageNet Xception, which only the full scale loads)."""
    from utils.config import SCALES, Scale

    def pair(size) -> str | None:
        if (
            isinstance(size, tuple)
            and len(size) == 2
            and all(isinstance(n, int) and n >= 16 for n in size)
        ):
            return f"{size[0]}×{size[1]}"
        return None

    picked, literal = {name: set() for name in SCALES}, set()
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        try:
            tree = ast.parse("".join(cell["source"]))
        except SyntaxError:  # a cell with IPython syntax holds no sizes
            continue
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
            ):
                continue
            value = node.value
            if isinstance(value, ast.Call) and ast.unparse(value.func) == "scale.pick":
                chosen = {k.arg: k.value for k in value.keywords}
                chosen.update(zip(SCALES, value.args))
                for name in SCALES:
                    picked[name].add(pair(ast.literal_eval(chosen[name])))
            elif ast.unparse(value) == "scale.pets_image_size":
                for name in SCALES:
                    picked[name].add(pair(Scale(name).pets_image_size))
            elif node.targets[0].id in ("image_size", "img_size"):
                literal.add(pair(ast.literal_eval(value)))
    return {name: found - {None} for name, found in picked.items()}, literal - {None}


def test_running_page_states_each_chapters_image_sizes():
    page = (ROOT / "book" / "running.md").read_text()
    rows = {
        int(m[1]): dict(
            zip(
                ("full", "cpu", "smoke"),
                (set(re.findall(r"\d+×\d+", c)) for c in m.groups()[1:]),
            )
        )
        for m in re.finditer(
            r"^\| (\d+)장[^|]*\|([^|]*)\|([^|]*)\|([^|]*)\|$", page, flags=re.MULTILINE
        )
    }
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        chapter = int(notebook.name[:2])
        picked, literal = _image_sizes(notebook)
        assert chapter in rows, f"running page: no image sizes for chapter {chapter}"
        for scale, stated in rows[chapter].items():
            assert stated and picked[scale] <= stated <= picked[scale] | literal, (
                f"running page, chapter {chapter}, {scale}: {sorted(stated)}; "
                f"the notebook picks {sorted(picked[scale])}, and also sets {sorted(literal)}"
            )


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


class Chromium:
    """Headless Chromium driven over the DevTools protocol on a pipe (its fds 3 and 4),
    so the test needs no browser-automation package."""

    FLAGS = (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        "--hide-scrollbars",
        "--remote-debugging-pipe",
    )

    def __init__(self, binary: str, profile: Path):
        to_browser, self._commands = os.pipe()
        self._replies, from_browser = os.pipe()

        def on_fds_3_and_4():  # runs in the child before exec
            read_end, write_end = os.dup(to_browser), os.dup(from_browser)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self.process = subprocess.Popen(
            [binary, *self.FLAGS, f"--user-data-dir={profile}", "about:blank"],
            preexec_fn=on_fds_3_and_4,
            close_fds=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser)
        os.close(from_browser)
        self._buffer, self._next_id, self._events = b"", 0, []
        target = self.call("Target.createTarget", url="about:blank", session=False)
        self.session = self.call(
            "Target.attachToTarget",
            targetId=target["targetId"],
            flatten=True,
            session=False,
        )["sessionId"]
        self.call("Page.enable")

    def _message(self, timeout: float) -> dict:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._replies], [], [], timeout)
            chunk = os.read(self._replies, 1 << 20) if ready else b""
            if not chunk:
                raise RuntimeError("Chromium stopped answering")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, session: bool = True, **params) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._message(timeout=120)
            if reply.get("id") == self._next_id:
                assert "error" not in reply, f"{method}: {reply['error']}"
                return reply["result"]
            self._events.append(reply.get("method"))

    def js(self, expression: str):
        result = self.call(
            "Runtime.evaluate",
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
        )
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def open(self, page: Path, width: int) -> None:
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=844 if width < 600 else 900,
            deviceScaleFactor=1,
            mobile=width < 600,
        )
        self._events.clear()
        self.call("Page.navigate", url=page.as_uri())
        while "Page.loadEventFired" not in self._events:
            self._events.append(self._message(timeout=60).get("method"))
        self.js("document.fonts.ready.then(() => true)")

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.call("Browser.close", session=False)
        except (RuntimeError, OSError):
            pass
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium = Chromium(_chromium(), tmp_path_factory.mktemp("chromium-profile"))
    yield chromium
    chromium.close()


# What the reader meets on one page, measured in the browser. Solutions are opened last.
READ_PAGE = r"""
(() => {
  const shown = el => el.checkVisibility();
  const root = document.documentElement;
  const scrolls = el => ["auto", "scroll", "hidden"].includes(getComputedStyle(el).overflowX);
  const tooWide = [];
  if (root.scrollWidth > root.clientWidth) {
    for (const el of document.querySelectorAll("body *")) {
      if (el.getBoundingClientRect().right <= root.clientWidth + 1 || !shown(el)) continue;
      let up = el.parentElement;
      while (up && up !== document.body && !scrolls(up)) up = up.parentElement;
      if (up && up !== document.body) continue;  // it scrolls inside its own box
      if (el.children.length && [...el.children].some(c => c.getBoundingClientRect().right > root.clientWidth + 1)) continue;
      tooWide.push(`<${el.tagName.toLowerCase()} class="${el.className}"> ${el.textContent.trim().slice(0, 80)}`);
    }
  }
  const words = new Set();
  const outsideContent = el => !el.closest("pre, code, .cell_output, .highlight, script, style");
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.textContent.trim();
    if (/[A-Za-z]/.test(text) && text.length <= 80 && outsideContent(node.parentElement)) words.add(text);
  }
  const labels = ["title", "aria-label", "placeholder", "data-bs-title", "data-bs-original-title", "data-tooltip", "alt"];
  for (const el of document.querySelectorAll("*")) {
    for (const name of labels) {
      const value = el.getAttribute(name);
      if (value && value.trim()) words.add(value.trim());
    }
  }
  const footer = document.querySelector(".bd-footer-content");
  let longestStreamRun = 0;
  for (const output of document.querySelectorAll(".cell_output")) {
    let run = 0;
    for (const child of output.children) {
      run = child.matches(".output.stream") ? run + 1 : 0;
      longestStreamRun = Math.max(longestStreamRun, run);
    }
  }
  const solutions = [...document.querySelectorAll("details.hide")]
    .filter(d => d.querySelector("summary").innerText.includes("풀이"));
  const before = {
    answerShown: document.body.innerText.includes("정답입니다"),
    open: solutions.filter(d => d.open).length,
    outputShown: solutions.filter(d => [...d.querySelectorAll(".cell_output")].some(shown)).length,
  };
  for (const d of solutions) d.querySelector("summary").click();
  const after = solutions.map(d => {
    const outputs = [...d.querySelectorAll(".cell_output")];
    return outputs.some(shown) && outputs.map(o => o.innerText).join("").includes("정답입니다");
  });
  return {
    width: root.clientWidth, pageWidth: root.scrollWidth, tooWide: tooWide.slice(0, 8),
    words: [...words], footer: footer ? footer.innerText.trim() : null,
    footerItems: footer ? [...footer.querySelectorAll(".footer-item")].map(i => i.innerText.trim()) : [],
    longestStreamRun, exercises: [...document.querySelectorAll("h3")].filter(h => /연습 문제 \d/.test(h.textContent)).length,
    solutions: solutions.length, before, after,
  };
})()
"""


@pytest.fixture(scope="module")
def readings(site, browser) -> dict:
    """Every page read at both widths; chapters 2 and 7 also photographed (top, exercises)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    found = {}
    for width in WIDTHS:
        for page in PAGES:
            browser.open(site / f"{page}.html", width)
            if page in SCREENSHOTS:
                name = f"{Path(page).name[:2]}-{width}px"
                browser.screenshot(ARTIFACTS / f"{name}-top.png")
                browser.js(
                    "[...document.querySelectorAll('h2')].find(h => "
                    "h.textContent.includes('연습 문제'))?.scrollIntoView()"
                )
                browser.screenshot(ARTIFACTS / f"{name}-exercises.png")
                for shot in ARTIFACTS.glob(f"{name}-*.png"):
                    assert shot.stat().st_size > 20_000, (
                        f"{shot.name}: empty screenshot"
                    )
            found[page, width] = browser.js(READ_PAGE)
    return found


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_is_wider_than_the_screen(readings, width):
    for page in PAGES:
        seen = readings[page, width]
        assert seen["width"] == width, (page, seen["width"])
        assert seen["pageWidth"] <= width, (
            f"{page} is {seen['pageWidth']} px wide at {width} px: {seen['tooWide']}"
        )


@pytest.mark.parametrize("width", WIDTHS)
def test_solutions_stay_folded_until_opened(readings, width):
    for page in PAGES:
        seen = readings[page, width]
        if not page.startswith("notebooks/"):
            continue
        assert seen["solutions"] == seen["exercises"] >= 3, (
            f"{page}: {seen['exercises']} exercises but {seen['solutions']} solutions "
            "folded whole behind a '풀이 보기' toggle (tag hide-cell)"
        )
        assert seen["before"] == {"answerShown": False, "open": 0, "outputShown": 0}, (
            f"{page}: a solution's output shows before its toggle is opened: {seen['before']}"
        )
        assert all(seen["after"]), f"{page}: an opened solution shows no checked answer"


@pytest.mark.parametrize("width", WIDTHS)
def test_the_interface_speaks_korean(readings, width):
    for page in PAGES:
        english = sorted(
            word
            for word in readings[page, width]["words"]
            if word in ENGLISH_INTERFACE or word.startswith(ENGLISH_PREFIXES)
        )
        assert not english, f"{page} at {width} px: English interface {english}"


@pytest.mark.parametrize("width", WIDTHS)
def test_every_footer_says_whose_book_it_is(readings, width):
    author, year = CONFIG["author"], str(CONFIG["copyright"]).split()[0]
    for page in PAGES:
        seen = readings[page, width]
        assert seen["footer"] and author in seen["footer"] and year in seen["footer"], (
            f"{page}: footer {seen['footer']!r}"
        )
        for item in seen["footerItems"]:  # the theme's "By {author}" began "으로 ..."
            assert not re.match(r"(으로|로|에 의해)\s", item), (
                f"{page}: footer {item!r}"
            )


@pytest.mark.parametrize("width", WIDTHS)
def test_every_training_log_is_one_block(readings, width):
    for page in PAGES:
        run = readings[page, width]["longestStreamRun"]
        assert run <= 1, (
            f"{page}: {run} printed outputs in a row, each in its own box "
            "(nb_merge_streams in _config.yml joins them)"
        )


def test_pages_render_korean_text_and_stored_plots(site, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pages = {"intro": site / "book" / "intro.html"}
    pages.update({c: site / "notebooks" / f"{c}.html" for c in CHAPTERS})
    for name, page in pages.items():
        browser.open(page, 1280)
        dom = browser.js("document.documentElement.outerHTML")
        assert len(HANGUL.findall(dom)) > 300, f"{name}: little Korean text rendered"
        images = re.findall(r'<img[^>]+src="([^"]+\.png)"', dom)
        assert images, f"{name}: no images"
        for src in images:
            assert (page.parent / src).resolve().exists(), f"{name}: broken image {src}"
        if name != "intro":  # a chapter shows the plots stored in its notebook
            assert any("_images/" in src for src in images), f"{name}: no stored plot"
    shot = ARTIFACTS / "intro.png"
    browser.open(pages["intro"], 1280)
    browser.screenshot(shot)
    assert shot.stat().st_size > 20_000, "intro: empty screenshot"


def test_worked_solutions_are_folded_whole_behind_a_korean_toggle(site):
    for chapter in CHAPTERS:
        html = (site / "notebooks" / f"{chapter}.html").read_text()
        setup = re.findall(r'<div class="cell tag_hide-input[^"]*"', html)
        solutions = re.findall(r'<div class="cell tag_hide-cell[^"]*"', html)
        assert len(setup) >= 1 and "코드 보기" in html, f"{chapter}: setup cell"
        assert len(solutions) >= 3 and html.count("풀이 보기") == len(solutions), (
            f"{chapter}: worked solutions are not folded whole (tag hide-cell)"
        )
        assert "Show code cell" not in html, chapter
