"""Which code made a notebook's stored outputs.

``tools/course.py execute`` records a digest of the notebook's code cells in its metadata
(``metadata.course.code_sha256``) after the run; ``tests/test_notebooks.py`` recomputes it,
so a code cell edited after the run that made the outputs fails the tests until the
notebook is run again. Markdown cells are left out: prose can change without a re-run.

Standard library only, like tools/course.py.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

KEY = "course"


def _source(cell) -> str:
    text = cell["source"]
    return "".join(text) if isinstance(text, list) else text


def code_digest(notebook: dict) -> str:
    """sha256 of the code cells' sources, in order (a cell boundary counts too)."""
    digest = hashlib.sha256()
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            digest.update(_source(cell).encode("utf-8"))
            digest.update(b"\0")
    return digest.hexdigest()


def recorded(notebook: dict) -> dict:
    """What the last ``execute`` recorded ({} if none)."""
    return notebook.get("metadata", {}).get(KEY, {})


def record(path: Path, **settings) -> dict:
    """Stores the code digest and the run's settings (scale, precision) in ``path``."""
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    entry = {"code_sha256": code_digest(notebook), **settings}
    notebook.setdefault("metadata", {})[KEY] = entry
    text = json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False)
    Path(path).write_text(text + "\n", encoding="utf-8")
    return entry
