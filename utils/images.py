"""Finding out what an image file really is, by decoding it, once per file version."""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image

# The formats tf.io.decode_image reads, whatever the file's extension says.
DECODABLE_FORMATS = {"JPEG", "PNG", "GIF", "BMP"}


def image_problem(path: Path) -> str | None:
    """Decodes the whole file; returns None if the tf.data pipeline can read it, else why not."""
    try:
        with Image.open(path) as image:
            image.load()  # a full decode: truncated or damaged data fails here
            fmt = image.format
    except (OSError, SyntaxError, ValueError) as error:
        return f"not a decodable image ({type(error).__name__})"
    if fmt not in DECODABLE_FORMATS:
        return f"unsupported format {fmt}"
    return None


def _stamp(*paths: Path) -> list:
    """Size and modification time of each file (None where missing): a changed file is checked again."""
    stamps = []
    for path in paths:
        try:
            st = path.stat()
            stamps.append([st.st_size, st.st_mtime_ns])
        except OSError:
            stamps.append(None)
    return stamps


def checked_once(paths, check, companion_dir: Path | None = None, workers: int = 8) -> list:
    """``check(path)`` for every path, remembering results in the course cache.

    Decoding every photo of the full Pets set takes seconds; the results are kept in
    ``COURSE_CACHE_DIR/checks`` keyed by each file's size and modification time (and
    those of its trimap in ``companion_dir``), so later runs only check what changed.
    The cache is a convenience: where it cannot be read or written, everything is checked.
    """
    paths = list(paths)
    if not paths:
        return []
    from .sources import cache_dir

    def key(path: Path):
        companion = [companion_dir / f"{path.stem}.png"] if companion_dir else []
        return _stamp(path, *companion)

    folder = str(Path(paths[0]).parent.resolve())
    store = None
    try:
        store = cache_dir() / "checks" / f"{hashlib.sha1(folder.encode()).hexdigest()[:16]}.json"
        known = json.loads(store.read_text()) if store.exists() else {}
    except (OSError, ValueError, RuntimeError):
        known = {}
    stamps = {p.name: key(p) for p in paths}
    todo = [p for p in paths if p.name not in known or known[p.name][0] != stamps[p.name]]
    with ThreadPoolExecutor(workers) as pool:
        for path, problem in zip(todo, pool.map(check, todo)):
            known[path.name] = [stamps[path.name], problem]
    if store is not None and todo:
        try:
            store.parent.mkdir(parents=True, exist_ok=True)
            tmp = store.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({p.name: known[p.name] for p in paths}))
            os.replace(tmp, store)
        except OSError:
            pass
    return [known[p.name][1] for p in paths]
