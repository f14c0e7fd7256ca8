"""requirements.txt is the full pinned set; requirements-notebooks.txt lists what a
student's notebook needs, at the same pins, and holds the rest to requirements.txt."""

import ast
import json
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)$")


def _name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "-c ")):
            continue
        match = PIN.match(line)
        assert match, f"{path.name}: not an exact pin: {line!r}"
        assert _name(match[1]) not in pins, f"{path.name}: {match[1]} twice"
        pins[_name(match[1])] = match[2]
    return pins


def test_requirements_txt_pins_every_package_exactly():
    assert len(_pins(ROOT / "requirements.txt")) > 100


def test_the_notebooks_list_is_pinned_as_requirements_txt_pins_it():
    full = _pins(ROOT / "requirements.txt")
    notebooks = _pins(ROOT / "requirements-notebooks.txt")
    assert {"tensorflow", "keras", "numpy", "matplotlib"} <= set(notebooks)
    for name, version in notebooks.items():
        assert full.get(name) == version, (name, version, full.get(name))
    # everything those pull in is held to requirements.txt's pins as well
    lines = (ROOT / "requirements-notebooks.txt").read_text().splitlines()
    assert "-c requirements.txt" in lines


def _imports(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def _code_of_notebook(path: Path) -> str:
    cells = json.loads(path.read_text())["cells"]
    lines = [
        line
        for cell in cells
        if cell["cell_type"] == "code"
        for line in "".join(cell["source"]).splitlines()
        if not line.lstrip().startswith(("!", "%"))  # shell and magic lines
    ]
    return "\n".join(lines)


def test_every_package_the_notebooks_and_utils_import_is_listed():
    imported = set()
    for path in ROOT.glob("notebooks/*.ipynb"):
        imported |= _imports(_code_of_notebook(path))
    for path in ROOT.glob("utils/**/*.py"):
        imported |= _imports(path.read_text())
    # less the course's own package and Colab's (imported only there)
    third_party = imported - set(sys.stdlib_module_names) - {"utils", "google"}
    provided = packages_distributions()
    listed = set(_pins(ROOT / "requirements-notebooks.txt"))
    for module in sorted(third_party):
        distributions = {_name(d) for d in provided.get(module, [])}
        assert distributions & listed, (
            f"{module} (from {sorted(distributions)}) is not in requirements-notebooks.txt"
        )
