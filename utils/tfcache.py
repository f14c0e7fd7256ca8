"""The loaders' disk cache (``cache="disk"`` or a folder): ``tf.data``'s file cache, made
safe for two kernels at once, runs cut short and full disks.

A file cache is a TensorFlow tensor bundle: ``NAME.index`` and ``NAME.data-*``, written
under temporary names (``NAME_0*``, with a ``NAME_0.lockfile``) during the first full
pass and renamed when it ends. Around it:

* one kernel writes a cache at a time: it holds a lock (``NAME.lock``, see
  :mod:`utils.locks`) from building the dataset until the process ends or the cache is
  complete. Another kernel that finds the lock taken reads without caching, and says so:
  it never deletes the writer's temporary files (TensorFlow's own lockfile would
  otherwise stop it with ``AlreadyExistsError``);
* what a stopped run left (TensorFlow's lockfile, temporary shards) is removed only by
  the lock's holder, when no other kernel can be writing;
* a complete cache is checked before it is read: the index must open and the data file
  must hold every byte the index lists. A damaged one is named and rebuilt;
* a cache that would not fit on the disk is not started: the dataset reads without
  caching, and the message names the folder, the size needed and the setting.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from . import locks
from .errors import disk_full_error, free_bytes

# Room kept free beyond the cache's own size (the index, other writers).
_MARGIN = 32 * 2**20


def _say(korean: str, english: str) -> None:
    print(f"{korean}\n{english}", file=sys.stderr, flush=True)


def _files(name: Path) -> list[Path]:
    return [name.with_name(name.name + ".index"), *_data_files(name)]


def _data_files(name: Path) -> list[Path]:
    return sorted(name.parent.glob(f"{name.name}.data-*"))


def damage(name: Path) -> str | None:
    """Why the complete cache ``name`` cannot be read (None: it can, or there is none).

    Reads only the index: each entry's shape and dtype give the bytes the data file must
    hold, so a file cut short is found without reading it."""
    import tensorflow as tf

    if not name.with_name(name.name + ".index").exists():
        return None
    try:
        reader = tf.train.load_checkpoint(str(name))
        shapes = reader.get_variable_to_shape_map()
        dtypes = reader.get_variable_to_dtype_map()
    except Exception as error:  # DataLossError, NotFoundError, ...: any is damage
        reason = str(error).strip().splitlines()[0][:120] if str(error) else ""
        return f"index unreadable: {type(error).__name__} {reason}".strip()
    data = _data_files(name)
    if not data:
        return "data file missing"
    if any(dtypes[key] == tf.string for key in shapes):
        return None  # variable-length entries: sizes cannot be added up
    expected = sum(
        int(np.prod(shape)) * dtypes[key].size for key, shape in shapes.items()
    )
    actual = sum(path.stat().st_size for path in data)
    if actual < expected:
        return f"{data[0].name} holds {actual} of {expected} bytes (cut short)"
    return None


def _remove(paths) -> None:
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def element_bytes(element_spec) -> int | None:
    """Bytes one element takes in the cache; None when a size is not known statically."""
    import tensorflow as tf

    total = 0
    for spec in tf.nest.flatten(element_spec):
        if spec.shape.rank is None or None in spec.shape.as_list():
            return None
        total += int(np.prod(spec.shape.as_list())) * spec.dtype.size
    return total


def file_cache(ds, name: Path, variable: str, count: int | None = None):
    """(``ds`` cached in the file ``name``, or ``ds`` itself; whether the cache is complete).

    ``variable``: the setting that moves the folder (``COURSE_CACHE_DIR`` or ``cache=``);
    ``count``: elements expected, to check that the cache fits on the disk."""
    lock = name.with_name(name.name + ".lock")
    held_before = locks.held(lock)
    mine = locks.try_hold(lock)
    index = name.with_name(name.name + ".index")
    problem = damage(name)
    if index.exists() and problem is None:
        locks.release(lock)  # complete: readers never conflict, nothing left to write
        return ds.cache(str(name)), True
    if problem:
        _say(
            f"디스크 캐시 '{index}' 이(가) 손상되었습니다 ({problem}).",
            f"The disk cache '{index}' is damaged ({problem}).",
        )
    if not mine:
        _say(
            f"다른 커널이 같은 디스크 캐시 '{name.name}' 을(를) 쓰고 있습니다. 그 작업을 "
            "지우지 않도록 이 데이터셋은 캐시 없이 읽습니다 (에포크마다 디코딩). 그 커널이 "
            "첫 에포크를 마친 뒤 데이터셋을 다시 만들면 그 캐시를 씁니다.",
            f"Another kernel is writing the same disk cache '{name.name}'. So as not to "
            "destroy its work, this dataset reads without caching (decoding every "
            "epoch). Build the dataset again after that kernel's first epoch to use "
            "its cache.",
        )
        return ds, False
    if problem:
        _remove(_files(name))
        _say(
            "지웠고, 이번 첫 에포크에 다시 만듭니다.",
            "It was removed and is rebuilt during this first epoch.",
        )
    # This process alone may write here. What a stopped run left would make TensorFlow
    # refuse to start (its lockfile) or waste room (its shards). An earlier dataset of
    # this same kernel may still be reading: then only the lockfile goes, as before.
    leftovers = name.parent.glob(f"{name.name}_*")
    _remove(p for p in leftovers if not held_before or p.name.endswith(".lockfile"))
    per_element = element_bytes(ds.element_spec)
    if count and per_element:
        needed, free = count * per_element, free_bytes(name.parent)
        if free is not None and free < needed + _MARGIN:
            locks.release(lock)
            error = disk_full_error(
                name.parent,
                needed,
                variable,
                ("디스크 캐시를 만들지", "make the disk cache"),
                (
                    "이 데이터셋은 캐시 없이 읽습니다 (cache=True 는 메모리에 캐시합니다).",
                    "This dataset reads without caching (cache=True caches in memory).",
                ),
            )
            _say(error.korean, error.english)
            return ds, False
    return ds.cache(str(name)), False
