"""Tests for utils/download.py and the download paths of utils/pets.py and utils/dogs_cats.py.

No network: every archive is built here from generated data and served by a small HTTP
server on 127.0.0.1 that runs in a background thread for the duration of one test.
"""

import hashlib
import http.server
import io
import socket
import tarfile
import threading
import time
import zipfile
from pathlib import Path

import pytest

from utils import dogs_cats, pets, sources
from utils.errors import CourseDataError
from utils.synthetic import make_synthetic_dogs_cats, make_synthetic_pets

PETS_FILES = ("images.tar.gz", "annotations.tar.gz")
DOGS_CATS_ZIP = "kagglecatsanddogs_5340.zip"
PER_BREED = 3  # 4 breeds -> 12 photos
PER_CLASS = 3


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


# --- the local server ------------------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.routes[path] = (body, content_length, stall)``; records every request.

    With ``stall`` the handler sends the body and then nothing more, holding the
    connection open until the test ends (a transfer that stalls mid-way).
    """

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.server.requests.append(self.path)
        route = self.server.routes.get(self.path)
        if route is None:
            self.send_error(404)
            return
        body, length, stall = route
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.write(body)  # fewer bytes than announced when a test asks for it
        self.wfile.flush()
        if stall:
            self.server.released.wait(30)
        self.close_connection = True

    def log_message(self, *args):  # the request list replaces the access log on stderr
        pass


class LocalServer:
    def __init__(self, httpd):
        self._httpd = httpd
        self.url = f"http://127.0.0.1:{httpd.server_address[1]}"

    def serve(
        self,
        name: str,
        body: bytes,
        content_length: int | None = None,
        stall: bool = False,
    ):
        """Serves ``body`` at ``/name``, announcing ``content_length`` (default: the true size)."""
        length = len(body) if content_length is None else content_length
        self._httpd.routes["/" + name] = (body, length, stall)

    def hits(self, name: str) -> int:
        return self._httpd.requests.count("/" + name)

    @property
    def requests(self) -> list[str]:
        return list(self._httpd.requests)


@pytest.fixture
def server():
    previous_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(
        20
    )  # urlretrieve has no timeout of its own: never hang the suite
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.routes, httpd.requests, httpd.released = {}, [], threading.Event()
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield LocalServer(httpd)
    finally:
        httpd.released.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
        socket.setdefaulttimeout(previous_timeout)


@pytest.fixture
def cache(tmp_path) -> Path:
    return tmp_path / "cache"


# --- archives built from generated data ------------------------------------------------


@pytest.fixture(scope="module")
def pets_archives(tmp_path_factory) -> dict[str, bytes]:
    """{"images.tar.gz": bytes, "annotations.tar.gz": bytes} in the official layout."""
    root = tmp_path_factory.mktemp("pets-src")
    folder = make_synthetic_pets(root / "oxford-iiit-pet", per_breed=PER_BREED)
    archives = {}
    for fname in PETS_FILES:
        member = fname.split(".")[0]
        path = root / fname
        with tarfile.open(path, "w:gz") as tar:
            tar.add(folder / member, arcname=member)
        archives[fname] = path.read_bytes()
    return archives


@pytest.fixture
def serve_pets(server, pets_archives, monkeypatch):
    """Serves both good archives and makes their md5 the expected one."""
    for fname, body in pets_archives.items():
        server.serve(fname, body)
    monkeypatch.setattr(
        pets, "ARCHIVE_MD5", {f: md5(b) for f, b in pets_archives.items()}
    )
    return server


@pytest.fixture(scope="module")
def dogs_cats_zip(tmp_path_factory) -> bytes:
    """Microsoft's layout, PetImages/Cat/N.jpg and PetImages/Dog/N.jpg, plus a Thumbs.db as theirs has."""
    folder = make_synthetic_dogs_cats(
        tmp_path_factory.mktemp("dc-src") / "dogs-vs-cats",
        per_class=PER_CLASS,
        layout="microsoft",
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted((folder / "PetImages").rglob("*.jpg")):
            zipped.write(path, path.relative_to(folder).as_posix())
        zipped.writestr("PetImages/Cat/Thumbs.db", b"not a photo")
    return buffer.getvalue()


def datasets(cache: Path) -> Path:
    return cache / "datasets"


def dead_url() -> str:
    """An address on 127.0.0.1 where nothing listens (connections are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def silent_url():
    """A server that accepts connections (the kernel does, from the backlog) and never answers."""
    previous_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(
        20
    )  # should the course's own timeout ever break: fail, never hang
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()
        socket.setdefaulttimeout(previous_timeout)


def assert_bilingual(error: CourseDataError, *needles: str):
    assert error.korean.strip() and error.english.strip()
    assert error.korean != error.english
    for needle in needles:
        assert needle in error.korean, (needle, error.korean)
        assert needle in error.english, (needle, error.english)


# --- 1. good archives ------------------------------------------------------------------


def test_download_pets_unpacks_once_and_reuses_the_cache(serve_pets, cache):
    layout = pets.download_pets(base_url=serve_pets.url, cache_dir=cache)

    assert layout.images_dir.is_dir() and layout.annotations_dir.is_dir()
    assert layout.images_dir.is_relative_to(
        cache
    ) and layout.annotations_dir.is_relative_to(cache)
    index = pets.build_index(layout)
    assert len(index.records) == 4 * PER_BREED
    assert index.skipped == {}
    assert {r.species for r in index.records} == {"cat", "dog"}
    assert {f: serve_pets.hits(f) for f in PETS_FILES} == dict.fromkeys(PETS_FILES, 1)
    assert not list(datasets(cache).glob("*.corrupt"))

    again = pets.download_pets(base_url=serve_pets.url, cache_dir=cache)

    assert again == layout
    assert {f: serve_pets.hits(f) for f in PETS_FILES} == dict.fromkeys(PETS_FILES, 1)
    assert len(serve_pets.requests) == 2


# --- 2. wrong checksum ----------------------------------------------------------------


def test_wrong_md5_quarantines_the_file_and_the_next_run_downloads_again(
    serve_pets, cache, pets_archives, monkeypatch
):
    right = dict(pets.ARCHIVE_MD5)
    monkeypatch.setattr(pets, "ARCHIVE_MD5", {**right, "images.tar.gz": "0" * 32})

    with pytest.raises(CourseDataError) as caught:
        pets.download_pets(base_url=serve_pets.url, cache_dir=cache)

    assert_bilingual(caught.value, "images.tar.gz", "images.tar.gz.corrupt")
    assert not (datasets(cache) / "images.tar.gz").exists()
    corrupt = datasets(cache) / "images.tar.gz.corrupt"
    assert corrupt.read_bytes() == pets_archives["images.tar.gz"]
    assert not (datasets(cache) / "images_extracted").exists()
    assert serve_pets.hits("images.tar.gz") == 1

    monkeypatch.setattr(pets, "ARCHIVE_MD5", right)
    layout = pets.download_pets(base_url=serve_pets.url, cache_dir=cache)

    assert (
        serve_pets.hits("images.tar.gz") == 2
    )  # fetched afresh, the quarantined copy unused
    assert len(pets.build_index(layout).records) == 4 * PER_BREED


# --- 3. connection cut short (Content-Length larger than the body) -----------------------


def test_body_shorter_than_content_length_leaves_no_archive(
    serve_pets, cache, pets_archives
):
    body = pets_archives["images.tar.gz"]
    serve_pets.serve("images.tar.gz", body[: len(body) // 2], content_length=len(body))

    with pytest.raises(CourseDataError) as caught:
        pets.download_pets(base_url=serve_pets.url, cache_dir=cache)

    assert_bilingual(caught.value, "images.tar.gz")
    assert serve_pets.hits("images.tar.gz") == 1
    assert not (datasets(cache) / "images.tar.gz").exists()
    assert not list(cache.rglob("images.tar.gz"))
    assert not (datasets(cache) / "images_extracted").exists()


# --- 4. a complete response of a cut archive ---------------------------------------------


def test_cut_archive_fails_the_checksum_and_is_quarantined(
    serve_pets, cache, pets_archives
):
    body = pets_archives["images.tar.gz"]
    serve_pets.serve("images.tar.gz", body[: len(body) // 2])  # honest Content-Length

    with pytest.raises(CourseDataError) as caught:
        pets.download_pets(base_url=serve_pets.url, cache_dir=cache)

    assert_bilingual(caught.value, "images.tar.gz", pets.ARCHIVE_MD5["images.tar.gz"])
    assert not (datasets(cache) / "images.tar.gz").exists()
    assert (datasets(cache) / "images.tar.gz.corrupt").read_bytes() == body[
        : len(body) // 2
    ]
    assert not (datasets(cache) / "images_extracted").exists()


# --- 5. nothing listening -------------------------------------------------------------


def test_unreachable_server_says_to_use_course_data_dir(cache):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"

    with pytest.raises(CourseDataError) as caught:
        pets.download_pets(base_url=url, cache_dir=cache)

    assert_bilingual(caught.value, "COURSE_DATA_DIR", f"{url}/images.tar.gz")
    assert not list(datasets(cache).iterdir())


# --- 6. dogs vs cats zip ---------------------------------------------------------------


def test_download_dogs_cats_unpacks_the_microsoft_zip(server, cache, dogs_cats_zip):
    server.serve(DOGS_CATS_ZIP, dogs_cats_zip)
    url = f"{server.url}/{DOGS_CATS_ZIP}"

    folder = dogs_cats.download_dogs_cats(url=url, cache_dir=cache)

    assert folder.is_relative_to(cache) and (folder / "PetImages").is_dir()
    index = dogs_cats.build_index(folder)
    assert sum(p.label == 0 for p in index.photos) == PER_CLASS
    assert sum(p.label == 1 for p in index.photos) == PER_CLASS
    assert sorted(p.number for p in index.photos) == sorted(2 * list(range(PER_CLASS)))
    assert index.skipped == {"Cat/Thumbs.db": "번호가 이름인 .jpg가 아님"}

    assert dogs_cats.download_dogs_cats(url=url, cache_dir=cache) == folder
    assert server.hits(DOGS_CATS_ZIP) == 1


def test_cut_dogs_cats_zip_is_quarantined(server, cache, dogs_cats_zip, recwarn):
    cut = dogs_cats_zip[: len(dogs_cats_zip) // 2]
    server.serve(DOGS_CATS_ZIP, cut)

    with pytest.raises(CourseDataError) as caught:
        dogs_cats.download_dogs_cats(
            url=f"{server.url}/{DOGS_CATS_ZIP}", cache_dir=cache
        )

    assert_bilingual(caught.value, DOGS_CATS_ZIP)
    assert not (datasets(cache) / DOGS_CATS_ZIP).exists()
    assert (datasets(cache) / f"{DOGS_CATS_ZIP}.corrupt").read_bytes() == cut
    assert not (datasets(cache) / "kagglecatsanddogs_5340_extracted").exists()
    # keras says it could not recognise the archive; anything else would be news.
    unexpected = [
        w for w in recwarn if "Could not extract archive" not in str(w.message)
    ]
    assert not unexpected, [str(w.message) for w in unexpected]

    server.serve(DOGS_CATS_ZIP, dogs_cats_zip)
    folder = dogs_cats.download_dogs_cats(
        url=f"{server.url}/{DOGS_CATS_ZIP}", cache_dir=cache
    )
    assert server.hits(DOGS_CATS_ZIP) == 2
    assert len(dogs_cats.build_index(folder).photos) == 2 * PER_CLASS


def _damage_first_member(zip_bytes: bytes) -> bytes:
    """Keeps every header and the central directory intact; makes the first member's
    deflate stream start with an invalid block type (0b11), as a bad sector would."""
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zipped:
        first = zipped.infolist()[0]
    data = bytearray(zip_bytes)
    name_len = int.from_bytes(
        data[first.header_offset + 26 : first.header_offset + 28], "little"
    )
    extra_len = int.from_bytes(
        data[first.header_offset + 28 : first.header_offset + 30], "little"
    )
    data[first.header_offset + 30 + name_len + extra_len] = 0xFF
    return bytes(data)


def test_damaged_zip_member_is_quarantined(server, cache, dogs_cats_zip):
    damaged = _damage_first_member(dogs_cats_zip)
    assert zipfile.is_zipfile(io.BytesIO(damaged))
    server.serve(DOGS_CATS_ZIP, damaged)

    with pytest.raises(CourseDataError):
        dogs_cats.download_dogs_cats(
            url=f"{server.url}/{DOGS_CATS_ZIP}", cache_dir=cache
        )

    assert (datasets(cache) / f"{DOGS_CATS_ZIP}.corrupt").exists()


# --- 7. a cache that cannot be written --------------------------------------------------


def test_unwritable_cache_names_course_cache_dir(tmp_path, server):
    blocker = tmp_path / "a-file"
    blocker.write_text("a regular file where a folder should be")
    bad_cache = blocker / "cache"

    with pytest.raises(CourseDataError) as caught:
        sources.cache_dir(bad_cache)
    assert_bilingual(caught.value, "COURSE_CACHE_DIR", str(bad_cache))

    with pytest.raises(CourseDataError) as caught:
        pets.download_pets(base_url=server.url, cache_dir=bad_cache)
    assert "COURSE_CACHE_DIR" in caught.value.english
    assert server.requests == []  # stopped before anything was fetched
    assert blocker.read_text() == "a regular file where a folder should be"


def test_unwritable_cache_from_the_environment(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")
    monkeypatch.setenv("COURSE_CACHE_DIR", str(blocker / "cache"))

    with pytest.raises(CourseDataError) as caught:
        sources.cache_dir()
    assert_bilingual(caught.value, "COURSE_CACHE_DIR")


# --- 8. locate_pets picks the download from the environment -------------------------------


def test_locate_pets_downloads_from_course_pets_url(serve_pets, cache, monkeypatch):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.delenv("COURSE_DATA", raising=False)
    monkeypatch.setattr(pets, "OFFICIAL_URLS", (dead_url(),))  # never reached
    monkeypatch.setenv("COURSE_PETS_URL", serve_pets.url)
    monkeypatch.setenv("COURSE_CACHE_DIR", str(cache))

    layout, source = pets.locate_pets()

    assert source.kind == "download"
    assert source.dataset == "Oxford-IIIT Pet"
    assert source.folder == layout.images_dir.parent
    assert layout.images_dir.is_relative_to(cache)
    assert {f: serve_pets.hits(f) for f in PETS_FILES} == dict.fromkeys(PETS_FILES, 1)
    assert str(cache) not in str(source)  # the report line shows no machine path


# --- 9. servers that never answer or stall: a clear error within the timeout ----------------


def assert_local_data_hint(error: CourseDataError):
    assert_bilingual(error, "COURSE_DATA_DIR")
    assert any("\uac00" <= ch <= "\ud7a3" for ch in error.korean)  # Korean first
    assert error.english.isascii()
    assert str(error).index(error.korean) < str(error).index(error.english)


def test_a_server_that_never_answers_times_out(silent_url, cache):
    start = time.perf_counter()
    with pytest.raises(CourseDataError) as caught:
        pets.download_pets(base_url=silent_url, cache_dir=cache, timeout=0.5)
    assert time.perf_counter() - start < 10
    assert_local_data_hint(caught.value)
    assert_bilingual(
        caught.value, f"{silent_url}/images.tar.gz", "0.5", "COURSE_DOWNLOAD_TIMEOUT"
    )
    assert not list(datasets(cache).glob("images.tar.gz*"))


def test_a_transfer_that_stalls_midway_times_out(
    server, cache, pets_archives, monkeypatch
):
    body = pets_archives["images.tar.gz"]
    server.serve(
        "images.tar.gz", body[: len(body) // 2], content_length=len(body), stall=True
    )
    monkeypatch.setenv(
        "COURSE_DOWNLOAD_TIMEOUT", "0.5"
    )  # the setting, from the environment
    start = time.perf_counter()
    with pytest.raises(CourseDataError) as caught:
        pets.download_pets(base_url=server.url, cache_dir=cache)
    assert time.perf_counter() - start < 10
    assert_local_data_hint(caught.value)
    assert "0.5" in caught.value.english
    assert server.hits("images.tar.gz") == 1
    assert (
        not list(cache.rglob("images.tar.gz"))
        and not (datasets(cache) / "images_extracted").exists()
    )


def test_a_bad_timeout_setting_is_a_clear_error(cache, monkeypatch):
    monkeypatch.setenv("COURSE_DOWNLOAD_TIMEOUT", "soon")
    with pytest.raises(CourseDataError) as caught:
        pets.download_pets(base_url=dead_url(), cache_dir=cache)
    assert_bilingual(caught.value, "COURSE_DOWNLOAD_TIMEOUT", "soon")


# --- 10. addresses tried in order, each copy held to the same md5 ----------------------------


def test_pets_addresses_the_mirror_first_then_thor_then_the_old_one(monkeypatch):
    assert pets.pets_urls() == [
        "https://thor.robots.ox.ac.uk/datasets/pets/",
        "https://www.robots.ox.ac.uk/~vgg/data/pets/data/",
    ]
    # A student sets a mirror because the official host fails them: it goes first.
    monkeypatch.setenv("COURSE_PETS_URL", "http://mirror.example/pets/")
    assert pets.pets_urls() == [
        "http://mirror.example/pets/",
        "https://thor.robots.ox.ac.uk/datasets/pets/",
        "https://www.robots.ox.ac.uk/~vgg/data/pets/data/",
    ]
    assert pets.pets_urls("http://only.example/") == ["http://only.example/"]


def _second_server(pets_archives):
    """Another local server that serves wrong copies (a stale mirror) of both archives."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.routes, httpd.requests, httpd.released = {}, [], threading.Event()
    for fname, body in pets_archives.items():
        httpd.routes["/" + fname] = (body[::-1], len(body), False)
    threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    return httpd


def test_each_address_in_turn_until_a_copy_has_the_md5(
    serve_pets, cache, pets_archives, monkeypatch, silent_url
):
    stale = _second_server(pets_archives)
    try:
        stale_url = f"http://127.0.0.1:{stale.server_address[1]}"
        monkeypatch.setattr(
            pets, "OFFICIAL_URLS", (dead_url(), silent_url, stale_url, serve_pets.url)
        )
        layout = pets.download_pets(cache_dir=cache, timeout=0.5)
    finally:
        stale.shutdown()
        stale.server_close()
    assert len(pets.build_index(layout).records) == 4 * PER_BREED
    assert stale.requests == [
        "/images.tar.gz",
        "/annotations.tar.gz",
    ]  # tried, refused by md5
    assert {f: serve_pets.hits(f) for f in PETS_FILES} == dict.fromkeys(PETS_FILES, 1)
    assert {p.name for p in datasets(cache).glob("*.corrupt")} == {
        f + ".corrupt" for f in PETS_FILES
    }


def test_every_address_failing_names_each_and_the_local_folder(
    cache, monkeypatch, silent_url
):
    first = dead_url()
    monkeypatch.setattr(pets, "OFFICIAL_URLS", (first, silent_url))
    with pytest.raises(CourseDataError) as caught:
        pets.download_pets(cache_dir=cache, timeout=0.5)
    assert_local_data_hint(caught.value)
    assert_bilingual(
        caught.value, f"{first}/images.tar.gz", f"{silent_url}/images.tar.gz"
    )


def test_dogs_cats_mirror_before_microsoft(server, cache, dogs_cats_zip, monkeypatch):
    server.serve(DOGS_CATS_ZIP, dogs_cats_zip)
    monkeypatch.setattr(dogs_cats, "OFFICIAL_URL", f"{dead_url()}/{DOGS_CATS_ZIP}")
    monkeypatch.setenv("COURSE_DOGS_CATS_URL", f"{server.url}/{DOGS_CATS_ZIP}")
    folder = dogs_cats.download_dogs_cats(cache_dir=cache, timeout=0.5)
    assert (folder / "PetImages" / "Cat").is_dir() and server.hits(DOGS_CATS_ZIP) == 1


# --- 11. an archive counts as unpacked only when the unpacking finished ----------------------


def test_a_half_unpacked_archive_is_unpacked_again(serve_pets, cache):
    layout = pets.download_pets(base_url=serve_pets.url, cache_dir=cache)
    extracted = datasets(cache) / "images_extracted"
    names = sorted(p.name for p in layout.images_dir.iterdir())
    (
        extracted / ".course-extracted"
    ).unlink()  # as if the unpacking had been interrupted
    for path in sorted(layout.images_dir.iterdir())[len(names) // 2 :]:
        path.unlink()
    (layout.images_dir / "partial.jpg.tmp").write_bytes(b"half")

    again = pets.download_pets(base_url=serve_pets.url, cache_dir=cache)

    assert sorted(p.name for p in again.images_dir.iterdir()) == names
    assert (extracted / ".course-extracted").exists()
    assert (
        serve_pets.hits("images.tar.gz") == 1
    )  # unpacked from the checked archive, not fetched again


# --- 10. the md5 a download matched makes the fast cold start (utils.manifest) ----------


def test_a_download_records_the_md5_it_matched(serve_pets, cache, monkeypatch):
    from dataclasses import replace

    from utils import download, images, manifest

    monkeypatch.setenv("COURSE_CACHE_DIR", str(cache))
    layout, source = pets.locate_pets(base_url=serve_pets.url)
    for fname, folder in (
        ("images.tar.gz", layout.images_dir.parent),
        ("annotations.tar.gz", layout.annotations_dir.parent),
    ):
        assert download.verified_md5(folder) == pets.ARCHIVE_MD5[fname]
    # These archives are not the official ones: their folders are checked file by file.
    assert not source.verified
    assert all(r.decode_checked for r in pets.build_index(layout, source).records)

    # Were their sums the manifest's, the same download would be trusted.
    monkeypatch.setattr(
        manifest, "PETS", replace(manifest.PETS, archives=dict(pets.ARCHIVE_MD5))
    )
    layout, source = pets.locate_pets(base_url=serve_pets.url)
    assert source.verified
    monkeypatch.setattr(images, "check_photo", None)  # the index must not decode
    index = pets.build_index(layout, source)
    assert len(index.records) == 4 * PER_BREED
    assert not any(r.decode_checked for r in index.records)
    assert {f: serve_pets.hits(f) for f in PETS_FILES} == dict.fromkeys(PETS_FILES, 1)


def test_an_archive_without_a_known_md5_is_never_verified(server, cache, dogs_cats_zip):
    from utils import download

    server.serve(DOGS_CATS_ZIP, dogs_cats_zip)
    folder = dogs_cats.download_dogs_cats(
        url=f"{server.url}/{DOGS_CATS_ZIP}", cache_dir=cache
    )
    assert (folder / ".course-extracted").exists()
    assert download.verified_md5(folder) is None
