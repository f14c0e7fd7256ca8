"""The one decoder (utils/images.py): what the checks accept is exactly what training decodes."""

import io
import os
import struct
import zlib

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from utils import images

PHOTO = np.random.default_rng(0).integers(0, 256, (18, 25, 3)).astype(np.uint8)
TRIMAP = np.random.default_rng(1).integers(1, 4, (18, 25)).astype(np.uint8)


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def write(folder, name, data: bytes):
    path = folder / name
    path.write_bytes(data)
    return path


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body))
        + kind
        + body
        + struct.pack(">I", zlib.crc32(kind + body))
    )


def png_header_only(width, height) -> bytes:
    """A valid PNG signature and IHDR announcing width x height, with almost no pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + png_chunk(b"IEND", b"")
    )


def coloured_palette(values: np.ndarray) -> Image.Image:
    """A palette image whose indices are ``values`` but whose colours are not grey levels."""
    image = Image.fromarray(values, mode="P")
    image.putpalette([c for i in range(256) for c in (i * 7 % 256, 90, 200 - i % 100)])
    return image


# --- photos --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fmt, mode",
    [
        ("JPEG", "RGB"),
        ("JPEG", "L"),
        ("PNG", "RGB"),
        ("PNG", "RGBA"),
        ("PNG", "P"),
        ("GIF", "P"),
        ("BMP", "RGB"),
    ],
)
def test_photo_accepted_and_pixels_are_the_training_decode(tmp_path, fmt, mode):
    path = write(tmp_path, "x.jpg", encode(Image.fromarray(PHOTO).convert(mode), fmt))
    verdict = images.check_photo(path, keep_pixels=True)
    assert verdict["problem"] is None and verdict["shape"] == [18, 25]
    trained = images.decode_photo(tf.io.read_file(str(path))).numpy()
    np.testing.assert_array_equal(verdict["pixels"], trained)
    if fmt != "JPEG":  # lossless: the true colours, as PIL sees them
        expected = np.asarray(Image.open(path).convert("RGB"))
        np.testing.assert_array_equal(trained, expected)


def test_photos_training_cannot_use_are_rejected_by_name_of_the_cause(tmp_path):
    good_png = encode(Image.fromarray(PHOTO), "PNG")
    idat = good_png.index(b"IDAT")
    crc_at = idat + 4 + int.from_bytes(good_png[idat - 4 : idat], "big")
    cases = {
        "empty.jpg": (b"", "빈 파일"),
        "cut.jpg": (
            encode(Image.fromarray(PHOTO), "JPEG")[:-300],
            "TensorFlow가 디코딩하지 못함",
        ),
        "crc.jpg": (
            good_png[:crc_at]
            + bytes([good_png[crc_at] ^ 0xFF])
            + good_png[crc_at + 1 :],
            "TensorFlow가 디코딩하지 못함",
        ),
        "no_iend.jpg": (
            good_png[: good_png.index(b"IEND") - 4],
            "TensorFlow가 디코딩하지 못함",
        ),
        "one_bit.jpg": (
            encode(Image.fromarray(PHOTO).convert("1"), "BMP"),
            "TensorFlow가 디코딩하지 못함",
        ),
        "palette.jpg": (encode(Image.fromarray(PHOTO).convert("P"), "BMP"), "색"),
        "tiff.jpg": (
            encode(Image.fromarray(PHOTO), "TIFF"),
            "JPEG, PNG, GIF, BMP 파일이 아님",
        ),
        "text.jpg": (b"hello, I am not a photo", "JPEG, PNG, GIF, BMP 파일이 아님"),
        "bomb.jpg": (
            png_header_only(8_000, 8_000),
            "압축 해제 폭탄",
        ),  # over our limit only
        "huge_bomb.jpg": (png_header_only(60_000, 60_000), "압축 해제 폭탄"),
    }
    for name, (data, _) in cases.items():
        write(tmp_path, name, data)
    for name, (_, why) in cases.items():
        problem = images.check_photo(tmp_path / name)["problem"]
        assert problem and why in problem, (name, problem)
        # ...and the training decoder really would fail or mislead on every such file
    with pytest.raises(tf.errors.InvalidArgumentError):
        images.decode_photo(tf.io.read_file(str(tmp_path / "crc.jpg")))
    wrong = images.decode_photo(tf.io.read_file(str(tmp_path / "palette.jpg"))).numpy()
    assert (
        np.abs(wrong.astype(int) - PHOTO).mean() > 10
    )  # TensorFlow ignores a BMP's palette


def test_unusual_files_are_problems_not_exceptions(tmp_path, monkeypatch):
    (tmp_path / "folder.jpg").mkdir()
    os.mkfifo(tmp_path / "pipe.jpg")  # reading it would block forever
    (tmp_path / "dangling.jpg").symlink_to(tmp_path / "nowhere.jpg")
    write(tmp_path, "big.jpg", encode(Image.fromarray(PHOTO), "JPEG"))
    monkeypatch.setattr(images, "MAX_FILE_BYTES", 100)
    for name in ("folder.jpg", "pipe.jpg", "dangling.jpg", "big.jpg"):
        assert images.check_photo(tmp_path / name)["problem"], name
    assert images.image_problem(tmp_path / "big.jpg").startswith("파일이 너무 큼")


# --- trimaps ---------------------------------------------------------------------------


def check_trimap_bytes(tmp_path, data, shape=(18, 25)):
    return images.check_trimap(
        write(tmp_path, "t.png", data), list(shape), keep_pixels=True
    )


def test_eight_and_sixteen_bit_trimaps_give_the_same_values(tmp_path):
    eight = check_trimap_bytes(tmp_path, encode(Image.fromarray(TRIMAP), "PNG"))
    assert eight["problem"] is None and eight["note"] is None
    np.testing.assert_array_equal(eight["values"][..., 0], TRIMAP)
    sixteen = check_trimap_bytes(
        tmp_path, encode(Image.fromarray(TRIMAP.astype(np.uint16)), "PNG")
    )
    assert sixteen["problem"] is None and sixteen["note"] == "16비트 트라이맵"
    np.testing.assert_array_equal(sixteen["values"][..., 0], TRIMAP)
    # the training decoder, in a graph as tf.data runs it, agrees
    graph = tf.function(images.decode_trimap)(
        tf.io.read_file(str(tmp_path / "t.png"))
    ).numpy()
    np.testing.assert_array_equal(graph[..., 0], TRIMAP)


def test_sixteen_bit_values_never_wrap_into_classes(tmp_path):
    wide = (
        TRIMAP.astype(np.uint16) + 256
    )  # 257, 258, 259: as uint8 they would wrap to 1, 2, 3
    verdict = check_trimap_bytes(tmp_path, encode(Image.fromarray(wide), "PNG"))
    assert "1/2/3이 아님" in verdict["problem"]


def test_palette_trimaps(tmp_path):
    grey = check_trimap_bytes(
        tmp_path, encode(Image.fromarray(TRIMAP).convert("P"), "PNG")
    )
    assert grey["problem"] is None and grey["note"] == "팔레트 트라이맵"
    np.testing.assert_array_equal(grey["values"][..., 0], TRIMAP)
    coloured = check_trimap_bytes(tmp_path, encode(coloured_palette(TRIMAP), "PNG"))
    assert "팔레트" in coloured["problem"]


@pytest.mark.parametrize(
    "data, shape, why",
    [
        (
            encode(Image.fromarray(TRIMAP - 1), "PNG"),
            (18, 25),
            "1/2/3이 아님",
        ),  # 0, 1, 2 stored
        (encode(Image.fromarray(TRIMAP + 1), "PNG"), (18, 25), "1/2/3이 아님"),
        (encode(Image.fromarray(TRIMAP), "PNG"), (18, 26), "사진 크기"),
        (
            encode(Image.fromarray(np.full((18, 25), 2, np.uint8)), "PNG"),
            (18, 25),
            "반려동물 픽셀이 없음",
        ),
        (encode(Image.fromarray(TRIMAP), "GIF"), (18, 25), "PNG 파일이 아님"),
        (encode(Image.fromarray(TRIMAP), "PNG")[:-20], (18, 25), "디코딩하지 못함"),
        (b"", (18, 25), "빈 파일"),
    ],
)
def test_bad_trimaps_are_rejected(tmp_path, data, shape, why):
    problem = check_trimap_bytes(tmp_path, data, shape)["problem"]
    assert problem and why in problem, problem


# --- a file changed after the check -------------------------------------------------------


def test_training_names_a_file_changed_after_the_check(tmp_path):
    path = write(tmp_path, "x.jpg", encode(Image.fromarray(PHOTO), "JPEG"))
    expected = images.check_photo(path)["fingerprint"]
    assert images.read_unchanged(str(path), expected).numpy() == path.read_bytes()
    path.write_bytes(b"")  # emptied after indexing
    with pytest.raises(tf.errors.InvalidArgumentError, match="x.jpg"):
        images.read_unchanged(str(path), expected)


# --- verdicts kept per path ---------------------------------------------------------------


def make_files(root, names):
    paths = {}
    for k, name in enumerate(names):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (8, 8), (k * 40, 0, 0)).save(path, format="JPEG")
        paths[name] = path
    return paths


def test_verdicts_are_kept_per_path_and_per_checker_version(tmp_path, monkeypatch):
    root = tmp_path / "data"
    paths = make_files(
        root, ["Cat/5.jpg", "Dog/5.jpg", "Dog/6.jpg"]
    )  # same name, different files
    calls = []

    def check(key):
        calls.append(key)
        return {"problem": "bad" if key == "Dog/5.jpg" else None}

    jobs = {k: (p,) for k, p in paths.items()}
    expected = {"Cat/5.jpg": None, "Dog/5.jpg": "bad", "Dog/6.jpg": None}
    assert {
        k: v["problem"] for k, v in images.checked(root, jobs, check).items()
    } == expected
    assert {
        k: v["problem"] for k, v in images.checked(root, jobs, check).items()
    } == expected
    assert len(calls) == 3  # remembered, each under its own path

    Image.new("RGB", (9, 9)).save(
        paths["Cat/5.jpg"], format="JPEG"
    )  # changed: checked again
    images.checked(root, jobs, check)
    assert calls[3:] == ["Cat/5.jpg"]

    monkeypatch.setattr(
        images, "CHECKER_VERSION", images.CHECKER_VERSION + 1
    )  # a fixed checker
    images.checked(root, jobs, check)
    assert sorted(calls[4:]) == sorted(jobs)


def test_a_rewrite_that_keeps_size_and_time_is_checked_again(tmp_path):
    root = tmp_path / "data"
    path = make_files(root, ["a.jpg"])["a.jpg"]
    calls = []
    images.checked(
        root, {"a.jpg": (path,)}, lambda k: calls.append(k) or {"problem": None}
    )
    st = path.stat()
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    os.utime(
        path, ns=(st.st_atime_ns, st.st_mtime_ns)
    )  # same size, same modification time
    images.checked(
        root, {"a.jpg": (path,)}, lambda k: calls.append(k) or {"problem": None}
    )
    assert calls == ["a.jpg", "a.jpg"]


def test_the_cache_argument_is_where_verdicts_go(tmp_path, test_cache):
    root = tmp_path / "data"
    path = make_files(root, ["a.jpg"])["a.jpg"]
    mine = tmp_path / "my-cache"
    before = (
        set((test_cache / "checks").glob("*"))
        if (test_cache / "checks").exists()
        else set()
    )
    images.checked(
        root, {"a.jpg": (path,)}, lambda k: {"problem": None}, cache_dir=mine
    )
    assert len(list((mine / "checks").glob("*.json"))) == 1
    after = (
        set((test_cache / "checks").glob("*"))
        if (test_cache / "checks").exists()
        else set()
    )
    assert after == before


def test_no_writable_cache_and_a_crashing_check_still_give_verdicts(tmp_path):
    root = tmp_path / "data"
    path = make_files(root, ["a.jpg"])["a.jpg"]
    blocker = tmp_path / "a-file"
    blocker.write_text("")

    def crash(key):
        raise MemoryError("boom")

    verdicts = images.checked(
        root, {"a.jpg": (path,)}, crash, cache_dir=blocker / "cache"
    )
    assert "MemoryError" in verdicts["a.jpg"]["problem"]
