"""One decoder for checking and for training, and the check verdicts kept per file.

A photo or trimap is accepted only if the TensorFlow decode that training runs (the
functions below, with the same options) succeeds on it, so the index and the epoch can
never disagree about a file. Training also compares each file's bytes with the
fingerprint the check took, so a file changed after indexing stops with its name
instead of a bare ``DecodeImage`` error.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import re
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

# Bump whenever a check changes: verdicts cached by an older checker are then ignored.
CHECKER_VERSION = 3  # 3: reasons in Korean
MAX_PIXELS = (
    40_000_000  # far above any real photo; a header above it is a decompression bomb
)
MAX_FILE_BYTES = 64 * 2**20
# The magic bytes tf.io.decode_image dispatches on, whatever the file's extension says.
SIGNATURES = {
    b"\xff\xd8\xff": "JPEG",
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"GIF87a": "GIF",
    b"GIF89a": "GIF",
    b"BM": "BMP",
}
_FINGERPRINT_BUCKETS = 2**62
_COLOUR_TOLERANCE = (
    3.0  # mean |TensorFlow - PIL| per channel value; JPEG decoders differ by < 1
)


# --- the decoder (TensorFlow ops: run in the tf.data graph and, eagerly, by the checks) ---


def decode_photo(data):
    """Encoded JPEG/PNG/GIF/BMP bytes -> uint8 (H, W, 3), exactly as training decodes them."""
    import tensorflow as tf

    image = tf.io.decode_image(data, channels=3, expand_animations=False)
    image.set_shape([None, None, 3])
    return image


def resize_photo(image, image_size):
    """A decoded photo resized smoothly (antialiased bilinear) to ``image_size``; float32 0..255."""
    import tensorflow as tf

    return tf.image.resize(image, image_size, method="bilinear", antialias=True)


def resize_photo_uint8(image, image_size):
    """:func:`resize_photo` rounded to whole values, as uint8: what the cache keeps.

    Training casts it to float32 after the cache, so a cached and an uncached pipeline
    give the same numbers (each at most 0.5 from the unrounded resize, as a JPEG saved
    at that size would).
    """
    import tensorflow as tf

    resized = resize_photo(image, image_size)
    return tf.cast(tf.round(tf.clip_by_value(resized, 0.0, 255.0)), tf.uint8)


def decode_trimap(data):
    """A trimap PNG -> its values as uint8 (H, W, 1): 8-bit and 16-bit PNGs both give 1, 2, 3.

    ``decode_png`` to uint8 would scale a 16-bit trimap's 1/2/3 down to 0; reading it at
    16 bits keeps the true values. Values above 255 become 255 (never wrapped into 1..3).
    """
    import tensorflow as tf

    sixteen_bit = tf.equal(tf.strings.substr(data, 24, 1), b"\x10")  # IHDR bit depth

    def wide():
        return tf.cast(
            tf.minimum(tf.io.decode_png(data, channels=1, dtype=tf.uint16), 255),
            tf.uint8,
        )

    return tf.cond(sixteen_bit, wide, lambda: tf.io.decode_png(data, channels=1))


def fingerprint(data):
    """A 62-bit hash of a file's bytes (a scalar int64 tensor), the same in checks and training."""
    import tensorflow as tf

    return tf.strings.to_hash_bucket_fast(data, _FINGERPRINT_BUCKETS)


def read_unchanged(path, expected):
    """``tf.io.read_file(path)``, failing with the file's name if its bytes are not the ones checked.

    ``expected``: the fingerprint the index took. A file no index decoded has none and is
    read through :func:`guarded_decode` instead.
    """
    import tensorflow as tf

    data = tf.io.read_file(path)
    same = tf.equal(fingerprint(data), expected)
    check = tf.debugging.Assert(
        same,
        [
            "색인한 뒤에 바뀐 파일입니다. 색인을 다시 만드세요 (load_*_index). / "
            "This file changed after it was indexed; build the index again:",
            path,
        ],
        summarize=1,
    )
    with tf.control_dependencies([check]):
        return tf.identity(data)


# --- the checks --------------------------------------------------------------------------

_GRAPH_LOCK = threading.Lock()


def _graph_checks():
    with _GRAPH_LOCK:  # the checks run in threads: build (and trace) the functions once
        return _build_graph_checks()


@functools.cache
def _build_graph_checks():
    """The decoders above, each with its summary, as graph functions: one call per file
    instead of a dozen eager ops (the decode itself is the same op with the same options)."""
    import tensorflow as tf

    encoded = tf.TensorSpec([], tf.string)

    @tf.function(input_signature=[encoded])
    def photo(data):
        return decode_photo(data), fingerprint(data)

    @tf.function(input_signature=[encoded])
    def trimap(data):
        values = decode_trimap(data)
        valid = tf.reduce_all((values >= 1) & (values <= 3))
        return values, fingerprint(data), valid, tf.reduce_any(tf.equal(values, 1))

    return photo, trimap


def _read(path: Path) -> tuple[bytes | None, str | None]:
    """The file's bytes, or why they cannot be used (never raises)."""
    try:
        if not path.is_file():
            return None, "일반 파일이 아님"
        size = path.stat().st_size
        if size == 0:
            return None, "빈 파일"
        if size > MAX_FILE_BYTES:
            return None, f"파일이 너무 큼 ({size}바이트)"
        return path.read_bytes(), None
    except OSError as error:
        return None, f"읽을 수 없음 ({type(error).__name__}: {error.strerror or error})"


def _header(data: bytes) -> tuple[tuple[int, int] | None, str | None, str | None]:
    """(width, height), PIL mode and a problem, read from the header only (nothing decoded)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            size, mode = image.size, image.mode
    except Image.DecompressionBombError as error:
        return None, None, f"압축 해제 폭탄 ({str(error).split(',')[0]})"
    except Exception as error:  # PIL raises many types for a damaged header
        return None, None, f"헤더를 읽을 수 없음 ({type(error).__name__})"
    if size[0] * size[1] > MAX_PIXELS:
        return (
            None,
            None,
            f"압축 해제 폭탄 (헤더의 크기 {size[0]}x{size[1]}픽셀)",
        )
    return size, mode, None


def _tf_error(error: Exception) -> str:
    """TensorFlow's own reason, without the graph's traceback and node names."""
    message = getattr(error, "message", str(error)).split("\n\t [[")[0]
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    reason = lines[-1].split("}} ")[-1] if lines else type(error).__name__
    return re.sub(r"\s*\[Op:[^\]]*\]$", "", reason)[:120]


def _pil_rgb(data: bytes) -> np.ndarray | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            return np.asarray(image.convert("RGB"), np.int16)
    except Exception:  # a second opinion that fails is no opinion
        return None


def check_photo(path, keep_pixels: bool = False) -> dict:
    """Decodes a photo exactly as training does.

    Returns ``{"problem": None or why not, "shape": [H, W], "fingerprint": int}`` (plus the
    decoded ``pixels`` with ``keep_pixels``). Formats other than plain JPEG (palette BMP,
    GIF, PNG, CMYK JPEG) are also decoded by PIL: a file whose colours TensorFlow gets
    wrong, or that only TensorFlow can read, is rejected rather than trained on.
    """
    import tensorflow as tf

    data, problem = _read(Path(path))
    if problem:
        return {"problem": problem}
    fmt = next((f for sig, f in SIGNATURES.items() if data.startswith(sig)), None)
    if fmt is None:
        return {"problem": "JPEG, PNG, GIF, BMP 파일이 아님"}
    size, mode, problem = _header(data)
    if problem:
        return {"problem": problem}
    try:
        decoded, digest = _graph_checks()[0](tf.constant(data))
    except (tf.errors.OpError, ValueError) as error:
        return {"problem": f"TensorFlow가 디코딩하지 못함: {_tf_error(error)}"}
    height, width = decoded.shape[:2]
    if (width, height) != size:
        return {
            "problem": f"디코딩한 크기({width}x{height})가 헤더의 크기"
            f"({size[0]}x{size[1]})와 다름"
        }
    if fmt != "JPEG" or mode not in ("RGB", "L"):
        reference = _pil_rgb(data)
        if reference is None or reference.shape != tuple(decoded.shape):
            return {
                "problem": f"{fmt} {mode}: TensorFlow만 읽을 수 있어 색을 확인할 수 없음"
            }
        if np.abs(decoded.numpy() - reference).mean() > _COLOUR_TOLERANCE:
            return {"problem": f"{fmt} {mode}: TensorFlow가 색을 잘못 디코딩함"}
    verdict = {"problem": None, "shape": [height, width], "fingerprint": int(digest)}
    if keep_pixels:
        verdict["pixels"] = decoded.numpy()
    return verdict


def check_trimap(path, photo_shape, keep_pixels: bool = False) -> dict:
    """Decodes a trimap exactly as training does; accepted only with values 1/2/3 and the photo's size.

    Returns ``{"problem", "fingerprint", "note"}`` (plus ``values`` with ``keep_pixels``);
    ``note`` says when a 16-bit or palette trimap was read correctly.
    """
    import tensorflow as tf

    data, problem = _read(Path(path))
    if problem:
        return {"problem": f"트라이맵: {problem}"}
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return {"problem": "트라이맵이 PNG 파일이 아님"}
    size, mode, problem = _header(data)
    if problem:
        return {"problem": f"트라이맵: {problem}"}
    try:
        values, digest, valid, has_pet = _graph_checks()[1](tf.constant(data))
    except (tf.errors.OpError, ValueError) as error:
        return {
            "problem": f"트라이맵: TensorFlow가 디코딩하지 못함: {_tf_error(error)}"
        }
    if list(values.shape[:2]) != list(photo_shape):
        return {
            "problem": f"트라이맵 크기({values.shape[1]}x{values.shape[0]})가 사진 크기"
            f"({photo_shape[1]}x{photo_shape[0]})와 다름"
        }
    if not valid:
        present = np.unique(values.numpy()).tolist()
        kind = (
            " (팔레트 PNG: TensorFlow는 인덱스가 아니라 색을 읽음)"
            if mode == "P"
            else ""
        )
        return {"problem": f"트라이맵 값이 1/2/3이 아님: {present[:8]}{kind}"}
    note = None
    if mode == "P":  # TensorFlow sees the palette's colours: they must be the indices
        with Image.open(io.BytesIO(data)) as image:
            if not np.array_equal(np.asarray(image), values.numpy()[..., 0]):
                return {"problem": "색이 값과 다른 팔레트 트라이맵"}
        note = "팔레트 트라이맵"
    elif mode not in ("L", "I;16", "I;16B", "I"):
        note = f"{mode} 트라이맵"
    elif mode != "L":
        note = "16비트 트라이맵"
    if not has_pet:
        return {"problem": "트라이맵에 반려동물 픽셀이 없음"}
    verdict = {"problem": None, "fingerprint": int(digest), "note": note}
    if keep_pixels:
        verdict["values"] = values.numpy()
    return verdict


def image_problem(path) -> str | None:
    """None if training can decode the photo, else why not."""
    return check_photo(path)["problem"]


# --- verdicts kept per file --------------------------------------------------------------


def _stamp(paths) -> list:
    """Size, modification and change time of each file (None where missing).

    The change time (``st_ctime``) moves on every write and cannot be set back, so a file
    rewritten with its old size and modification time is still checked again.
    """
    stamps = []
    for path in paths:
        try:
            st = Path(path).stat()
            stamps.append([st.st_size, st.st_mtime_ns, st.st_ctime_ns])
        except OSError:
            stamps.append(None)
    return stamps


def _store_path(root: Path, cache_dir) -> Path | None:
    from . import sources

    try:
        folder = str(Path(root).resolve())
        return (
            sources.cache_dir(cache_dir)
            / "checks"
            / f"{hashlib.sha1(folder.encode()).hexdigest()[:16]}.json"
        )
    except (
        OSError,
        RuntimeError,
    ):  # no writable cache: check everything, remember nothing
        return None


def checked(root, jobs: dict, check, cache_dir=None, workers: int = 8) -> dict:
    """``check(key)`` for every key of ``jobs``, remembered in the course cache.

    ``jobs`` maps each file's path relative to the data folder ``root`` (the key: two
    files never share one, as ``Cat/5.jpg`` and ``Dog/5.jpg`` would share a name) to the
    files whose versions the verdict depends on (a photo and its trimap). A verdict is
    reused only while those files are unchanged and it was made by this
    ``CHECKER_VERSION``. The verdicts live in ``cache_dir`` (default ``COURSE_CACHE_DIR``),
    ``checks/`` below it; where it cannot be read or written, everything is checked.
    """
    if not jobs:
        return {}
    store = _store_path(root, cache_dir)
    known = {}
    if store is not None:
        try:
            known = json.loads(store.read_text()) if store.exists() else {}
        except (OSError, ValueError):
            known = {}
    prefix = f"v{CHECKER_VERSION}:"
    stamps = {key: _stamp(files) for key, files in jobs.items()}
    verdicts = {}
    for key in jobs:
        entry = known.get(prefix + key)
        if isinstance(entry, dict) and entry.get("stamp") == stamps[key]:
            verdicts[key] = entry["verdict"]
    todo = [key for key in jobs if key not in verdicts]

    def safe_check(key):
        try:
            return check(key)
        except Exception as error:  # one file never stops the index
            return {
                "problem": f"검사할 수 없음 ({type(error).__name__}: {error})"[:160]
            }

    with ThreadPoolExecutor(workers) as pool:
        verdicts.update(zip(todo, pool.map(safe_check, todo)))
    if store is not None and todo:
        try:
            store.parent.mkdir(parents=True, exist_ok=True)
            tmp = store.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(
                json.dumps(
                    {
                        prefix + key: {"stamp": stamps[key], "verdict": verdicts[key]}
                        for key in jobs
                    }
                )
            )
            os.replace(tmp, store)
        except (OSError, TypeError):
            pass
    return verdicts


# --- the training guard (files no index decoded up front) --------------------------------

# Files the guard left out during training, path -> reason (each is also printed once).
TRAINING_SKIPS: dict[str, str] = {}
_SKIPS_LOCK = threading.Lock()


def _shown(path: str) -> str:
    """A file's folder and name (``images/beagle_116.jpg``), without the machine's path."""
    parts = Path(path).parts
    return "/".join(parts[-2:])


def skip_in_training(path: str, reason: str) -> None:
    """Records a file the guard left out, and names it once (Korean + English)."""
    with _SKIPS_LOCK:
        if path in TRAINING_SKIPS:
            return
        TRAINING_SKIPS[path] = reason
    print(
        f"훈련 중 건너뜀 / skipped in training: {_shown(path)} ({reason})",
        file=sys.stderr,
        flush=True,
    )


def _guarded_check(photo_path, trimap_path, with_trimap):
    """The index's own checks, run on one element as training reaches it (never raises).

    Returns (photo uint8 HxWx3, trimap values uint8 HxWx1, ok). A file that fails is
    recorded by :func:`skip_in_training` and gives ``ok = False``.
    """
    empty = (np.zeros((1, 1, 3), np.uint8), np.ones((1, 1, 1), np.uint8), False)
    photo_path = photo_path.numpy().decode()
    trimap_path = trimap_path.numpy().decode()
    try:
        photo = check_photo(photo_path, keep_pixels=True)
        if photo["problem"]:
            skip_in_training(photo_path, photo["problem"])
            return empty
        values = np.ones((1, 1, 1), np.uint8)
        if with_trimap:
            trimap = check_trimap(trimap_path, photo["shape"], keep_pixels=True)
            if trimap["problem"]:
                skip_in_training(trimap_path, trimap["problem"])
                return empty
            values = trimap["values"]
        return photo["pixels"], values, True
    except Exception as error:  # the guard itself never stops an epoch
        reason = f"검사할 수 없음 ({type(error).__name__}: {error})"[:160]
        skip_in_training(photo_path, reason)
        return empty


def guarded_decode(photo_path, trimap_path=None):
    """For a tf.data map: (photo uint8, trimap values uint8, ok) from the index's checks.

    Used for files no index decoded up front (an md5-verified official archive, records
    made by hand). A file that fails the check is not raised on: it gives ``ok = False``
    (filter it out) and is named once, so no file can stop an epoch. ``trimap_path``
    None: photos only.
    """
    import tensorflow as tf

    with_trimap = trimap_path is not None
    if trimap_path is None:
        trimap_path = tf.constant("")
    photo, values, ok = tf.py_function(
        lambda p, t: _guarded_check(p, t, with_trimap),
        [photo_path, trimap_path],
        [tf.uint8, tf.uint8, tf.bool],
    )
    photo.set_shape([None, None, 3])
    values.set_shape([None, None, 1])
    ok.set_shape([])
    return photo, values, ok


# --- the uint8 cache ---------------------------------------------------------------------

CACHE_VERSION = 1  # bump when what a cached element holds changes


def cache_stage(ds, cache, key_parts):
    """``ds`` (uint8 elements) cached as the loaders' ``cache=`` argument asks.

    ``True`` or ``"memory"``: in memory, filled during the first full pass. ``"disk"``: a
    file under ``COURSE_CACHE_DIR/tfdata/``; a path: a file in that folder. The file's
    name is a hash of ``key_parts`` (the files, their fingerprints, the size, the
    targets), so a changed selection never reads another's cache. ``False``: no cache.
    A file cache is shared safely between kernels and checked before it is read
    (:mod:`utils.tfcache`).
    """
    return _cache(ds, cache, key_parts)[0]


def _cache(ds, cache, key_parts, count=None):
    """(cached ``ds``, whether it is a file cache already complete from an earlier run)."""
    if cache is False or cache is None:
        return ds, False
    if cache is True or cache == "memory":
        return ds.cache(), False
    from .errors import CourseDataError, disk_full_error, is_disk_full
    from .sources import absolute_folder, cache_dir
    from .tfcache import file_cache

    if cache == "disk":
        folder, variable = cache_dir() / "tfdata", "COURSE_CACHE_DIR"
    else:  # absolute now: a later os.chdir must not move the cache
        folder, variable = absolute_folder(cache, "cache=", must_exist=False), "cache="
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        if is_disk_full(error):
            raise disk_full_error(folder, None, variable) from error
        raise CourseDataError(
            f"캐시 폴더 '{folder}' 를 만들 수 없습니다 ({error.strerror}). "
            f"{variable} 를 확인하세요.",
            f"Cannot create the cache folder '{folder}' ({error.strerror}); "
            f"check {variable}.",
        ) from error
    digest = hashlib.sha1(
        json.dumps([CACHE_VERSION, *key_parts], default=str).encode()
    ).hexdigest()[:20]
    return file_cache(ds, folder / f"examples-{digest}", variable, count)


def finish_pipeline(
    ds, count, *, cache, key_parts, shuffle, seed, batch_size, guarded=True
):
    """The loaders' common tail: filter, cache as uint8, shuffle, cast, batch, prefetch.

    ``ds`` yields ``(image uint8, y, ok)`` for ``count`` files, already shuffled before
    decoding when ``shuffle`` (a cheap file list; a shuffle of decoded examples would
    hold up the first batch until every photo is decoded). Elements with ``ok`` False
    (files the guard left out) are dropped before the cache; without ``guarded`` every
    element is kept and the number of batches stays known to Keras. With a cache, the first
    pass keeps that order while it fills the cache; once all ``count`` files have been
    decoded, every later epoch shuffles the cached examples fully, in a new order each
    epoch (``seed`` plus the epoch's number). Images become float32 after the cache, a
    batch at a time.
    """
    import tensorflow as tf

    reshuffle = bool(shuffle and cache)
    if reshuffle:
        # Files decoded in the current pass; a pass that decoded all of them filled the
        # cache. A pass cut short (next(iter(ds)), a loop with break) leaves it unfilled,
        # and the next pass again shuffles only the file list, so it never waits.
        decoded = tf.Variable(0, dtype=tf.int64, trainable=False)
        filled = tf.Variable(False, trainable=False)
        epochs = tf.Variable(0, dtype=tf.int64, trainable=False)

        def counted(image, y, ok):
            with tf.control_dependencies([decoded.assign_add(1)]):
                return tf.identity(image), y, ok

        ds = ds.map(counted)
    if guarded:
        ds = ds.filter(lambda image, y, ok: ok)
    ds = ds.map(lambda image, y, ok: (image, y))
    ds, complete = _cache(ds, cache, key_parts, count)
    if reshuffle:
        if complete:  # a file cache from an earlier run: no pass needs to fill it
            filled.assign(True)
        cached = ds

        def one_epoch(_):
            # The order depends on ``seed`` and the epoch only: with a global seed set,
            # TensorFlow would also compare this tensor seed with 0 in Python and fail.
            tf.compat.v1.get_default_graph().seed = None
            number = epochs.assign_add(1)
            now = filled.assign(tf.logical_or(filled, decoded.read_value() >= count))
            with tf.control_dependencies([now]):
                restart = decoded.assign(0)
            with tf.control_dependencies([restart]):
                buffer = tf.where(now, tf.constant(count, tf.int64), 1)
            return cached.shuffle(
                buffer, seed=seed + number, reshuffle_each_iteration=False
            )

        ds = tf.data.Dataset.range(1).flat_map(one_epoch)
        if not guarded:
            ds = ds.apply(tf.data.experimental.assert_cardinality(count))
    # Cast whole batches, in one sequential step: a second parallel map here would take
    # threads from the decoding map (measured: a third fewer photos/s on 2 cores).
    ds = ds.batch(batch_size).map(lambda image, y: (tf.cast(image, tf.float32), y))
    return ds.prefetch(tf.data.AUTOTUNE)
