"""Locks between kernels that share ``COURSE_CACHE_DIR`` (two notebooks open at once).

A lock is an advisory lock (``flock``; ``msvcrt.locking`` on Windows) on a small file
that is never deleted, so there is no race between creating and removing it. The
system releases it when its process ends, so a kernel that was killed never leaves a
stale lock behind.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt

# Locks this process holds: path -> open file. A second open of the same file in the
# same process would not see the first one's lock, so each is opened once.
_HELD: dict[str, object] = {}
_GUARD = threading.Lock()


def lock_file(cache, name: str):
    """The lock file for ``name`` in the course cache (``.locks/``, out of the way of the
    data folders, whose contents tests and students look at)."""
    folder = Path(cache) / ".locks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.lock"


def _acquire(handle, blocking: bool) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        else:
            mode = msvcrt.LK_LOCK if blocking else msvcrt.LK_NBLCK
            msvcrt.locking(handle.fileno(), mode, 1)
    except BlockingIOError:
        return False
    except OSError as error:
        if getattr(error, "errno", None) in (11, 13, 35):  # EAGAIN/EACCES/EWOULDBLOCK
            return False
        # A file system without locks (some network drives): nothing to coordinate
        # with, so this kernel proceeds as the only one.
        return True
    return True


def try_hold(path) -> bool:
    """True when this process now holds (or already held) the lock on ``path``.

    Never waits; the lock stays held until :func:`release` or the end of the process.
    """
    key = os.path.abspath(path)
    with _GUARD:
        if key in _HELD:
            return True
        handle = open(key, "a+b")  # noqa: SIM115 - kept open while the lock is held
        if not _acquire(handle, blocking=False):
            handle.close()
            return False
        _HELD[key] = handle
        return True


def held(path) -> bool:
    return os.path.abspath(path) in _HELD


def release(path) -> None:
    handle = _HELD.pop(os.path.abspath(path), None)
    if handle is not None:
        handle.close()  # closing the file releases the lock


@contextlib.contextmanager
def waiting(path, what_ko: str, what_en: str):
    """Holds the lock on ``path`` for the block, waiting for another kernel if it has it.

    When it had to wait, one line says so, before and after (``what``: what the other
    kernel is doing, in each language).
    """
    if held(path):  # this process already holds it (a nested call)
        yield
        return
    if try_hold(path):
        try:
            yield
        finally:
            release(path)
        return
    print(
        f"다른 커널이 {what_ko} 중이라 끝날 때까지 기다립니다. / "
        f"Another kernel is {what_en}; waiting for it to finish.",
        file=sys.stderr,
        flush=True,
    )
    start = time.monotonic()
    key = os.path.abspath(path)
    with open(key, "a+b") as handle:
        _acquire(handle, blocking=True)
        with _GUARD:
            _HELD[key] = handle
        try:
            print(
                f"{time.monotonic() - start:.0f}초 기다렸습니다. 그 커널이 끝낸 것은 다시 하지 "
                f"않고 씁니다. / Waited {time.monotonic() - start:.0f} s; what it finished "
                "is used, not done again.",
                file=sys.stderr,
                flush=True,
            )
            yield
        finally:
            with _GUARD:
                _HELD.pop(key, None)
