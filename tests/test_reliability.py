"""Issue 25's classes of failure: two kernels sharing COURSE_CACHE_DIR, damaged caches,
full disks (simulated, and a real small tmpfs where the machine allows mounting one),
paths as students type them, a student's mirror tried first."""

import errno
import http.server
import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
import unicodedata
import zipfile
from pathlib import Path

import pytest

from utils import download, images, locks, pets, sources, synthetic, tfcache
from utils.errors import CourseDataError, DiskFullError

REPO = Path(__file__).resolve().parents[1]


def bilingual(error, *phrases):
    assert isinstance(error, CourseDataError)
    for phrase in phrases:
        assert phrase in error.korean, (phrase, error.korean)
        assert phrase in error.english, (phrase, error.english)


# --- a tiny web server and subprocesses ------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        files, hits, delay = self.server.files, self.server.hits, self.server.delay
        name = self.path.lstrip("/")
        hits[name] = hits.get(name, 0) + 1
        if name not in files:
            self.send_error(404)
            return
        body = files[name]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        step = max(1, len(body) // 10)
        for start in range(
            0, len(body), step
        ):  # slow enough for two clients to overlap
            self.wfile.write(body[start : start + step])
            time.sleep(delay)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.files, httpd.hits, httpd.delay = {}, {}, 0.0
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}).start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def zip_of(files: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, data in files.items():
            zipped.writestr(name, data)
    return buffer.getvalue()


def run_python(code: str, *args, env=None):
    """Starts ``code`` in a fresh Python process (a second kernel), from the repository."""
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
        cwd=REPO,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process, timeout=240):
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-3000:]
    return out, err


# --- two kernels at once --------------------------------------------------------------


def test_two_processes_probe_the_cache_folder_at_once(tmp_path):
    code = """
        import sys
        from utils import sources
        for _ in range(300):
            sources.cache_dir(sys.argv[1])
        print("ok")
    """
    both = [run_python(code, tmp_path / "cache") for _ in range(2)]
    for process in both:
        assert finish(process, 120)[0].strip() == "ok"
    assert not list((tmp_path / "cache").iterdir())  # each probe removed only its own


_PIPELINE = """
    import sys, time, pathlib
    import tensorflow as tf
    from utils import images

    role, folder, sync = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])

    def wait(name):
        for _ in range(2400):
            if (sync / name).exists():
                return
            time.sleep(0.05)
        raise SystemExit("timed out waiting for " + name)

    source = tf.data.Dataset.range(40).map(
        lambda i: (tf.fill([8, 8, 3], tf.cast(i, tf.uint8)), i, True)
    )
    def build():
        return images.finish_pipeline(
            source, 40, cache=folder, key_parts=["two kernels"], shuffle=False,
            seed=0, batch_size=4,
        )

    if role == "first":
        it = iter(build())
        got = [next(it)[1].numpy().tolist() for _ in range(3)]
        (sync / "first-mid-pass").touch()
        wait("second-done")
        got += [b[1].numpy().tolist() for b in it]
    else:
        wait("first-mid-pass")
        ds = build()
        got = [b[1].numpy().tolist() for b in ds]
        got += [b[1].numpy().tolist() for b in ds]  # a second epoch as well
        (sync / "second-done").touch()
    print(sorted(x for b in got for x in b))
"""


def test_a_second_kernel_mid_pass_never_breaks_the_first_and_says_what_it_did(
    tmp_path,
):
    folder, sync = tmp_path / "tfcache", tmp_path / "sync"
    sync.mkdir()
    first = run_python(_PIPELINE, "first", folder, sync)
    second = run_python(_PIPELINE, "second", folder, sync)
    out2, err2 = finish(second)
    out1, err1 = finish(first)
    assert json.loads(out1) == list(range(40))
    assert json.loads(out2) == sorted(list(range(40)) * 2)
    assert "Another kernel is writing the same disk cache" in err2
    assert "reads without caching" in err2 and "캐시 없이" in err2
    # The first kernel's cache is whole and is what a third run reads.
    (name,) = {p.name.split(".")[0] for p in folder.glob("examples-*.index")}
    assert tfcache.damage(folder / name) is None
    assert not list(folder.glob("*lockfile")) and not list(folder.glob("*tempstate*"))


def test_a_stopped_run_leaves_nothing_that_stops_the_next(tmp_path):
    import tensorflow as tf

    folder = tmp_path / "tfcache"
    source = tf.data.Dataset.range(12).map(
        lambda i: (tf.fill([4, 4, 3], tf.cast(i, tf.uint8)), i, True)
    )

    def build():
        return images.finish_pipeline(
            source,
            12,
            cache=folder,
            key_parts=["stopped"],
            shuffle=False,
            seed=0,
            batch_size=4,
        )

    build()
    # What a killed kernel leaves: TensorFlow's lockfile and a temporary shard.
    (name,) = {p.name[: -len(".lock")] for p in folder.glob("examples-*.lock")}
    locks.release(folder / f"{name}.lock")  # as if that kernel had ended
    (folder / f"{name}_0.lockfile").write_text("Created at: 0")
    (folder / f"{name}_0.data-00000-of-00001.tempstate1").write_bytes(b"x" * 10)
    labels = [x for batch in build() for x in batch[1].numpy().tolist()]
    assert labels == list(range(12))
    assert not list(folder.glob("*_0*"))


def test_a_live_writer_lockfile_is_never_deleted(tmp_path):
    """A lock held by another process: its files stay, this kernel reads uncached."""
    import tensorflow as tf

    folder = tmp_path / "tfcache"
    source = tf.data.Dataset.range(8).map(
        lambda i: (tf.fill([4, 4, 3], tf.cast(i, tf.uint8)), i, True)
    )
    key = ["held elsewhere"]
    images.finish_pipeline(
        source, 8, cache=folder, key_parts=key, shuffle=False, seed=0, batch_size=4
    )
    (lock,) = folder.glob("examples-*.lock")
    locks.release(lock)
    name = lock.name[: -len(".lock")]
    holder = run_python(
        """
        import sys, time
        from utils import locks
        assert locks.try_hold(sys.argv[1])
        print("held", flush=True)
        time.sleep(60)
        """,
        lock,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        live = folder / f"{name}_0.lockfile"
        live.write_text("Created at: now")
        ds = images.finish_pipeline(
            source, 8, cache=folder, key_parts=key, shuffle=False, seed=0, batch_size=4
        )
        assert [x for b in ds for x in b[1].numpy().tolist()] == list(range(8))
        assert live.exists()  # the other kernel's work is untouched
        assert not list(folder.glob("*.index"))
    finally:
        holder.kill()
        holder.wait()


def test_two_kernels_generating_the_same_data_share_one_result(tmp_path):
    code = """
        import sys
        from utils.synthetic import make_synthetic_dogs_cats
        make_synthetic_dogs_cats(sys.argv[1], per_class=15)
        print("ok")
    """
    folder = tmp_path / "synthetic" / "dogs-vs-cats"
    both = [run_python(code, folder) for _ in range(2)]
    for process in both:
        assert finish(process, 120)[0].strip() == "ok"
    assert len(list((folder / "train").glob("*.jpg"))) == 30
    assert json.loads((folder / ".synthetic.json").read_text())["per_class"] == 15


def test_two_kernels_downloading_one_archive_fetch_it_once(tmp_path, server):
    server.files["data.zip"] = zip_of({"PetImages/Cat/0.jpg": b"x" * 20000})
    server.delay = 0.2  # about 2 s: the two downloads overlap
    code = """
        import sys
        from pathlib import Path
        from utils.download import fetch_archive
        folder = fetch_archive("data.zip", sys.argv[1], Path(sys.argv[2]), timeout=30)
        print(folder)
    """
    cache = tmp_path / "cache"
    both = [run_python(code, f"{server.url}/data.zip", cache) for _ in range(2)]
    results = [finish(process) for process in both]
    assert server.hits["data.zip"] == 1
    assert {out.strip().splitlines()[-1] for out, _ in results} == {
        str(cache / "datasets" / "data_extracted")
    }
    waited = [err for _, err in results if "Another kernel is downloading" in err]
    assert all("Waited" in err for err in waited)


# --- damaged caches ---------------------------------------------------------------------


def _numbers_dataset(n=16, side=8):
    import tensorflow as tf

    return tf.data.Dataset.range(n).map(
        lambda i: (tf.fill([side, side, 3], tf.cast(i, tf.uint8)), i, True)
    )


def _labels(ds):
    return sorted(x for batch in ds for x in batch[1].numpy().tolist())


@pytest.mark.parametrize("damage", ["cut data", "cut index", "no data", "junk index"])
def test_a_damaged_disk_cache_is_named_and_rebuilt(tmp_path, capsys, damage):
    folder = tmp_path / "tfcache"

    def build():
        return images.finish_pipeline(
            _numbers_dataset(),
            16,
            cache=folder,
            key_parts=["damaged"],
            shuffle=True,
            seed=0,
            batch_size=4,
        )

    assert _labels(build()) == list(range(16))
    (index,) = folder.glob("*.index")
    (data,) = folder.glob("*.data-*")
    if damage == "cut data":
        data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])
    elif damage == "cut index":
        index.write_bytes(index.read_bytes()[:20])
    elif damage == "no data":
        data.unlink()
    else:
        index.write_bytes(b"\0" * 64)
    capsys.readouterr()
    ds = build()
    err = capsys.readouterr().err
    assert f"'{index}'" in err and "damaged" in err and "손상" in err
    assert "rebuilt" in err
    assert _labels(ds) == list(range(16)) and _labels(ds) == list(range(16))
    assert tfcache.damage(folder / index.name[: -len(".index")]) is None
    capsys.readouterr()
    assert _labels(build()) == list(range(16))  # the rebuilt cache reads cleanly
    assert "damaged" not in capsys.readouterr().err


@pytest.mark.parametrize("cut", [0, 1, 7])
def test_a_truncated_generated_data_record_is_named_and_made_again(
    tmp_path, capsys, cut
):
    folder = synthetic.make_synthetic_dogs_cats(tmp_path / "dc", per_class=3)
    marker = folder / ".synthetic.json"
    marker.write_text(marker.read_text()[:cut])
    (folder / "train" / "cat.0.jpg").unlink()  # left out by the interrupted run
    synthetic.make_synthetic_dogs_cats(folder, per_class=3)
    assert str(marker) in capsys.readouterr().err
    assert json.loads(marker.read_text())["per_class"] == 3
    assert (folder / "train" / "cat.0.jpg").exists()


def test_a_truncated_pets_record_through_course_data(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA", "synthetic")
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    pets.locate_pets()
    marker = tmp_path / "synthetic" / "oxford-iiit-pet" / ".synthetic.json"
    marker.write_text('{"kind": "pe')
    layout, source = pets.locate_pets()
    assert source.kind == "synthetic" and json.loads(marker.read_text())


def test_a_truncated_check_store_is_ignored(tmp_path, synthetic_dogs_cats):
    from utils import dogs_cats

    first = dogs_cats.build_index(synthetic_dogs_cats, cache_dir=tmp_path)
    for store in (tmp_path / "checks").glob("*.json"):
        store.write_text(store.read_text()[:10])
    again = dogs_cats.build_index(synthetic_dogs_cats, cache_dir=tmp_path)
    assert len(again.photos) == len(first.photos) == 60


# --- full disks ---------------------------------------------------------------------------


def _enospc(*_, **__):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_while_unpacking_keeps_the_good_archive(
    tmp_path, server, monkeypatch
):
    import keras

    server.files["data.zip"] = zip_of({"PetImages/Cat/0.jpg": b"x" * 5000})
    real_get_file = keras.utils.get_file

    def full_when_unpacking(*args, **kwargs):
        if kwargs.get("extract"):
            extracted = tmp_path / "cache" / "datasets" / "data_extracted"
            extracted.mkdir()
            (extracted / "half").write_bytes(b"x")  # a partial unpack, then no room
            _enospc()
        return real_get_file(*args, **kwargs)

    monkeypatch.setattr(keras.utils, "get_file", full_when_unpacking)
    with pytest.raises(DiskFullError) as caught:
        download.fetch_archive("data.zip", f"{server.url}/data.zip", tmp_path / "cache")
    datasets = tmp_path / "cache" / "datasets"
    bilingual(caught.value, str(datasets), "COURSE_CACHE_DIR", "data.zip")
    assert "full" in caught.value.english and "5.0 kB" in caught.value.english
    assert (datasets / "data.zip").exists()
    assert not list(datasets.glob("*.corrupt"))
    assert not (datasets / "data_extracted").exists()

    monkeypatch.setattr(keras.utils, "get_file", real_get_file)  # space freed
    folder = download.fetch_archive(
        "data.zip", f"{server.url}/data.zip", tmp_path / "cache"
    )
    assert (folder / "PetImages" / "Cat" / "0.jpg").exists()
    assert server.hits["data.zip"] == 1  # never downloaded twice


def test_too_little_room_to_unpack_is_said_before_unpacking(
    tmp_path, server, monkeypatch
):
    server.files["data.zip"] = zip_of({"a.bin": b"\0" * 300_000})
    monkeypatch.setattr(download, "free_bytes", lambda folder: 1000)
    with pytest.raises(DiskFullError) as caught:
        download.fetch_archive("data.zip", f"{server.url}/data.zip", tmp_path / "c")
    bilingual(caught.value, "COURSE_CACHE_DIR", "300.0 kB")
    assert (tmp_path / "c" / "datasets" / "data.zip").exists()
    assert not list((tmp_path / "c" / "datasets").glob("*.corrupt"))


def test_a_download_that_does_not_fit_is_not_called_a_network_problem(
    tmp_path, server, monkeypatch
):
    import keras

    server.files["data.zip"] = b"zip"
    monkeypatch.setattr(keras.utils, "get_file", _enospc)
    with pytest.raises(DiskFullError) as caught:
        download.fetch_archive(
            "data.zip",
            ["http://127.0.0.1:9/data.zip", f"{server.url}/data.zip"],
            tmp_path / "c",
        )
    bilingual(caught.value, "COURSE_CACHE_DIR", str(tmp_path / "c" / "datasets"))
    assert "network" not in caught.value.english.lower()


def test_a_full_disk_while_generating_data(tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.setattr(Image.Image, "save", _enospc)
    with pytest.raises(DiskFullError) as caught:
        synthetic.make_synthetic_dogs_cats(tmp_path / "dc", per_class=2)
    bilingual(caught.value, str(tmp_path / "dc"), "COURSE_CACHE_DIR")
    assert not (tmp_path / "dc" / ".synthetic.json").exists()


def test_a_full_cache_folder_probe(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", _enospc)
    with pytest.raises(DiskFullError) as caught:
        sources.cache_dir(tmp_path / "c")
    bilingual(caught.value, str(tmp_path / "c"), "COURSE_CACHE_DIR")


def test_a_disk_cache_that_would_not_fit_reads_without_caching(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(tfcache, "free_bytes", lambda folder: 10_000)
    ds = images.finish_pipeline(
        _numbers_dataset(100, 32),
        100,
        cache=tmp_path / "t",
        key_parts=["full"],
        shuffle=False,
        seed=0,
        batch_size=10,
    )
    err = capsys.readouterr().err
    assert str(tmp_path / "t") in err and "cache=" in err and "308.0 kB" in err
    assert "reads without caching" in err
    assert _labels(ds) == list(range(100))
    assert not list((tmp_path / "t").glob("*.index"))


@pytest.fixture
def small_tmpfs(tmp_path):
    """A real 1 MB file system, where this machine lets the tests mount one."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    if not shutil.which("mount") or sys.platform != "linux":
        pytest.skip("no mount command")
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
        capture_output=True,
    )
    if made.returncode != 0:
        pytest.skip("this machine does not allow mounting a tmpfs")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_a_real_full_disk_while_unpacking(small_tmpfs, server, monkeypatch):
    server.files["data.zip"] = zip_of({"big.bin": b"\0" * 3_000_000})
    monkeypatch.setattr(download, "free_bytes", lambda folder: None)  # unknown room
    with pytest.raises(DiskFullError) as caught:
        download.fetch_archive("data.zip", f"{server.url}/data.zip", small_tmpfs)
    bilingual(caught.value, "COURSE_CACHE_DIR", str(small_tmpfs / "datasets"))
    archive = small_tmpfs / "datasets" / "data.zip"
    assert archive.exists() and not list(archive.parent.glob("*.corrupt"))
    assert not (archive.parent / "data_extracted").exists()


def test_a_real_full_disk_while_generating_data(small_tmpfs, monkeypatch):
    monkeypatch.setenv("COURSE_DATA", "synthetic")
    monkeypatch.setenv("COURSE_CACHE_DIR", str(small_tmpfs))
    with pytest.raises(DiskFullError) as caught:
        pets.locate_pets()
    bilingual(caught.value, "COURSE_CACHE_DIR", str(small_tmpfs))


def test_a_real_full_disk_for_the_tfdata_cache(small_tmpfs, capsys):
    ds = images.finish_pipeline(
        _numbers_dataset(200, 32),
        200,
        cache=small_tmpfs,
        key_parts=["tmpfs"],
        shuffle=True,
        seed=0,
        batch_size=20,
    )
    assert "disk is full" in capsys.readouterr().err
    assert _labels(ds) == list(range(200))


# --- paths as students type them ----------------------------------------------------------


def test_a_relative_data_dir_survives_a_change_of_directory(
    synthetic_pets, tmp_path, monkeypatch
):
    shutil.copytree(synthetic_pets, tmp_path / "course-data" / "oxford-iiit-pet")
    monkeypatch.setattr(sources, "_FIRST_RESOLVED", {})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COURSE_DATA_DIR", "course-data/")
    index = pets.load_pets_index(verbose=False)
    assert all(Path(r.image_path).is_absolute() for r in index.records)
    monkeypatch.chdir(tmp_path.parent)  # a notebook that changes directory
    again = pets.load_pets_index(verbose=False)  # a later cell reads the setting again
    assert again.records[0].image_path == index.records[0].image_path
    ds = pets.make_dataset(index.records[:4], image_size=(32, 32), batch_size=2)
    assert sum(int(x.shape[0]) for x, _ in ds) == 4


def test_a_relative_cache_dir_is_made_absolute_once(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "_FIRST_RESOLVED", {})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COURSE_CACHE_DIR", "./my cache/")
    assert sources.cache_dir() == tmp_path / "my cache"
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # %cd in a later cell
    assert sources.cache_dir() == tmp_path / "my cache"


@pytest.mark.parametrize("stored,typed", [("NFD", "NFC"), ("NFC", "NFD")])
def test_a_korean_folder_in_the_other_unicode_form_is_found(
    synthetic_pets, tmp_path, monkeypatch, stored, typed
):
    name = "강좌 데이터"
    on_disk = tmp_path / unicodedata.normalize(stored, name)
    shutil.copytree(synthetic_pets, on_disk / "oxford-iiit-pet")
    monkeypatch.setenv(
        "COURSE_DATA_DIR", str(tmp_path / unicodedata.normalize(typed, name))
    )
    index = pets.load_pets_index(verbose=False)
    assert len(index.records) == 48
    assert Path(index.records[0].image_path).is_file()


def test_a_missing_folder_says_which_part_is_missing(tmp_path, monkeypatch):
    (tmp_path / "MyDrive").mkdir()
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "MyDrive" / "cours-data"))
    (tmp_path / "MyDrive" / "course-data").mkdir()
    with pytest.raises(CourseDataError) as caught:
        pets.locate_pets()
    bilingual(caught.value, "COURSE_DATA_DIR", "'cours-data'", "'course-data'")
    assert str(tmp_path / "MyDrive") in caught.value.english


def test_the_disk_cache_folder_argument_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "_FIRST_RESOLVED", {})
    monkeypatch.chdir(tmp_path)
    images.finish_pipeline(
        _numbers_dataset(4),
        4,
        cache="rel-cache",
        key_parts=["rel"],
        shuffle=False,
        seed=0,
        batch_size=2,
    )
    monkeypatch.chdir(tmp_path.parent)
    assert list((tmp_path / "rel-cache").glob("*.lock"))


# --- a mirror the student chose comes first -------------------------------------------------


def test_the_mirror_is_tried_before_a_silent_official_host(
    server, monkeypatch, tmp_path
):
    from utils import dogs_cats

    silent = socket_that_never_answers()
    try:
        server.files["kagglecatsanddogs_5340.zip"] = zip_of(
            {"PetImages/Cat/0.jpg": b"x"}
        )
        monkeypatch.setattr(
            dogs_cats,
            "OFFICIAL_URL",
            f"http://127.0.0.1:{silent.getsockname()[1]}/z.zip",
        )
        monkeypatch.setenv(
            "COURSE_DOGS_CATS_URL", f"{server.url}/kagglecatsanddogs_5340.zip"
        )
        start = time.monotonic()
        dogs_cats.download_dogs_cats(cache_dir=tmp_path, timeout=5)
        assert time.monotonic() - start < 4  # no timeout was waited out
    finally:
        silent.close()


def socket_that_never_answers():
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(5)
    return sock
