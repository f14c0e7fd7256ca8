"""The fast cold start for an md5-verified archive, and the uint8 example cache.

A verified download is indexed without decoding (its known quirks come from
``utils.manifest``); training then checks each file as it reaches it, so a broken file
planted in such a folder is skipped and named, never raised. Local folders are still
checked file by file. The cache keeps uint8 and changes no number training sees.
"""

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tools import samples
from utils import dogs_cats, images, manifest, pets, sources

# --- the manifest against the documented quirks ---------------------------------------


def _documented_quirks(text: str) -> set[str]:
    """Every photo the data README names as a known quirk of the full official set."""
    paragraph = text.split("Known quirks of the full set", 1)[1].split("md5", 1)[0]
    names = set()
    # "Egyptian_Mau_14/139/145" and "staffordshire_bull_terrier_2/22": a name, then numbers
    for stem, numbers in re.findall(r"([A-Za-z_]+?)_(\d+(?:/\d+)*)", paragraph):
        names |= {f"{stem}_{n}.jpg" for n in numbers.split("/")}
    return names


def test_the_parser_of_the_readme_reads_shared_numbers():
    text = "Known quirks of the full set: Egyptian_Mau_14/139 and a_b_2/22 are odd. md5"
    assert _documented_quirks(text) == {
        "Egyptian_Mau_14.jpg",
        "Egyptian_Mau_139.jpg",
        "a_b_2.jpg",
        "a_b_22.jpg",
    }


def test_manifest_lists_exactly_the_documented_quirks_of_the_official_pets():
    folder = samples.samples_dir()  # COURSE_SAMPLES_DIR, default ../shared/data
    readme = (folder or samples.DEFAULT) / "README.md"
    if not readme.exists():
        pytest.skip(f"data README not found at {readme}")
    text = readme.read_text()
    documented = _documented_quirks(text)
    assert len(documented) == 15  # 8 Egyptian Mau + 2 Abyssinian + 2 corrupt + 3 grey
    assert manifest.PETS.quirk_names() == documented
    assert not set(manifest.PETS.skip) & set(manifest.PETS.convert)
    # the corrupt JPEGs are left out; the GIF whose trimap is all background too
    assert {Path(p).name for p in manifest.PETS.skip} == {
        "beagle_116.jpg",
        "chihuahua_121.jpg",
        "Abyssinian_34.jpg",
    }
    for fname, md5 in manifest.PETS.archives.items():  # the README's sums
        assert f"{fname} {md5}" in " ".join(text.split())


def test_the_loader_downloads_against_the_manifests_md5_sums():
    # one source of the official sums: the loader's are the manifest's, not a copy
    assert pets.ARCHIVE_MD5 is manifest.PETS.archives
    assert set(pets.ARCHIVE_MD5) == {"images.tar.gz", "annotations.tar.gz"}
    assert all(
        p.startswith("images/") for p in (*manifest.PETS.skip, *manifest.PETS.convert)
    )


# --- a folder as a verified download leaves it -------------------------------------------


def _as_download(source: Path, cache: Path, md5s: dict | None = None) -> Path:
    """``source`` (official layout) unpacked into ``cache`` as ``fetch_archive`` leaves it,
    each marker naming the md5 it matched (official ones unless ``md5s`` says otherwise)."""
    md5s = manifest.PETS.archives if md5s is None else md5s
    for fname, member in (
        ("images.tar.gz", "images"),
        ("annotations.tar.gz", "annotations"),
    ):
        extracted = cache / "datasets" / f"{member}_extracted"
        shutil.copytree(source / member, extracted / member)
        marker = {"archive": fname, "md5": md5s[fname]} if md5s.get(fname) else None
        (extracted / ".course-extracted").write_text(
            json.dumps(marker) if marker else ""
        )
    return cache


def _plant_broken_files(images_dir: Path, trimaps: Path) -> dict[str, str]:
    """One file of each class of failure; name -> which file should be named."""
    (images_dir / "Abyssinian_2.jpg").write_bytes(
        (images_dir / "Abyssinian_2.jpg").read_bytes()[:300]
    )  # cut JPEG
    (images_dir / "Bengal_3.jpg").write_bytes(b"")  # empty
    (images_dir / "beagle_5.jpg").write_bytes(b"<html>not found</html>")  # not an image
    Image.new("1", (40, 30)).save(
        images_dir / "beagle_6.jpg", format="BMP"
    )  # 1-bit BMP
    with Image.open(trimaps / "Bengal_8.png") as t:
        Image.fromarray(np.full(t.size[::-1], 9, np.uint8)).save(
            trimaps / "Bengal_8.png"
        )
    Image.fromarray(np.ones((7, 9), np.uint8)).save(trimaps / "american_bulldog_4.png")
    return {
        "Abyssinian_2": "images/Abyssinian_2.jpg",
        "Bengal_3": "images/Bengal_3.jpg",
        "beagle_5": "images/beagle_5.jpg",
        "beagle_6": "images/beagle_6.jpg",
        "Bengal_8": "trimaps/Bengal_8.png",
        "american_bulldog_4": "trimaps/american_bulldog_4.png",
    }


@pytest.fixture
def verified(synthetic_pets, tmp_path, monkeypatch):
    """A verified download of the generated set, with broken files planted after unpacking."""
    cache = _as_download(synthetic_pets, tmp_path / "cache")
    images_dir = cache / "datasets" / "images_extracted" / "images"
    trimaps = cache / "datasets" / "annotations_extracted" / "annotations" / "trimaps"
    broken = _plant_broken_files(images_dir, trimaps)
    monkeypatch.setattr(images, "TRAINING_SKIPS", {})
    return cache, broken


def test_a_verified_download_is_indexed_without_decoding(verified, monkeypatch):
    cache, broken = verified

    def no_decoding(*args, **kwargs):
        raise AssertionError("the index decoded a file of a verified archive")

    monkeypatch.setattr(images, "check_photo", no_decoding)
    monkeypatch.setattr(images, "check_trimap", no_decoding)
    index = pets.load_pets_index(cache_dir=cache, verbose=False)

    assert index.source.kind == "download" and index.source.verified
    assert "md5 확인됨" in str(index.source)
    assert len(index.records) == 48  # nothing decoded, so nothing left out yet
    assert not any(r.decode_checked for r in index.records)
    assert "검증된 공식 배포본" in index.report()
    assert not (cache / "checks").exists()  # no verdicts were computed


def test_a_broken_file_in_a_verified_folder_is_skipped_and_named(verified, capfd):
    cache, broken = verified
    index = pets.load_pets_index(cache_dir=cache, verbose=False)

    ds = pets.make_dataset(index.records, (24, 24), 8, cache=False)
    streamed = sum(int(x.shape[0]) for x, _ in ds)  # one whole epoch: nothing raised

    assert streamed == 48 - len(broken)
    shown = capfd.readouterr().err
    for name, path in broken.items():
        assert f"skipped in training: {path} (" in shown, name
        assert "훈련 중 건너뜀" in shown
    assert {images._shown(p) for p in images.TRAINING_SKIPS} == set(broken.values())
    ds_again = pets.make_dataset(index.records, (24, 24), 8, shuffle=True)
    for _ in range(2):  # each named once, however many epochs
        assert sum(int(x.shape[0]) for x, _ in ds_again) == 48 - len(broken)
    assert capfd.readouterr().err.count("skipped in training") == 0


def test_the_guard_gives_what_the_checked_index_gives(verified, tmp_path):
    """Same records left out, same pixels and masks, for every target."""
    cache, broken = verified
    fast = pets.load_pets_index(cache_dir=cache, verbose=False)
    folder = cache / "datasets"
    layout = pets.PetsLayout(
        folder / "images_extracted" / "images",
        folder / "annotations_extracted" / "annotations",
    )
    checked = pets.build_index(layout, cache_dir=tmp_path / "checks")
    assert {r.name for r in checked.records} == {r.name for r in fast.records} - set(
        broken
    )
    assert {n.split(".")[0] for n in checked.skipped} == set(broken)
    for targets in (("mask",), ("species", "breed", "box")):
        want = list(pets.make_dataset(checked.records, (20, 28), 64, targets=targets))
        got = list(pets.make_dataset(fast.records, (20, 28), 64, targets=targets))
        (want_x, want_y), (got_x, got_y) = want[0], got[0]
        np.testing.assert_array_equal(got_x.numpy(), want_x.numpy())
        if isinstance(want_y, dict):
            for key in want_y:
                np.testing.assert_array_equal(got_y[key].numpy(), want_y[key].numpy())
        else:
            np.testing.assert_array_equal(got_y.numpy(), want_y.numpy())


def test_the_manifests_quirks_are_left_out_or_noted_by_name(synthetic_pets, tmp_path):
    source = Path(shutil.copytree(synthetic_pets, tmp_path / "src"))
    ann = source / "annotations"
    for quirk, original in (
        ("beagle_116", "beagle_1"),
        ("Abyssinian_5", "Abyssinian_1"),
    ):
        shutil.copy(
            source / "images" / f"{original}.jpg", source / "images" / f"{quirk}.jpg"
        )
        shutil.copy(
            ann / "trimaps" / f"{original}.png", ann / "trimaps" / f"{quirk}.png"
        )
        with (ann / "list.txt").open("a") as lines:
            lines.write(
                f"{quirk} {1 if quirk.startswith('Aby') else 3} "
                f"{1 if quirk.startswith('Aby') else 2} 1\n"
            )
    cache = _as_download(source, tmp_path / "cache")
    index = pets.load_pets_index(cache_dir=cache, verbose=False)
    assert "beagle_116" not in {r.name for r in index.records}
    assert (
        index.skipped["beagle_116.jpg"] == manifest.PETS.skip["images/beagle_116.jpg"]
    )
    assert "Abyssinian_5" in {r.name for r in index.records}
    assert "Abyssinian_5.jpg (이름은 .jpg인 RGBA PNG" in index.report()


# --- everything else is still checked file by file ----------------------------------------


def test_a_local_folder_is_still_checked(verified, monkeypatch):
    cache, broken = verified
    unpacked = cache / "datasets" / "images_extracted"
    shutil.copytree(
        cache / "datasets" / "annotations_extracted" / "annotations",
        unpacked / "annotations",
    )
    monkeypatch.setenv(
        "COURSE_DATA_DIR", str(unpacked)
    )  # even a verified copy's folder
    index = pets.load_pets_index(cache_dir=cache / "other", verbose=False)
    assert index.source.kind == "local" and not index.source.verified
    assert all(r.decode_checked for r in index.records)
    assert {n.split(".")[0] for n in index.skipped} == set(broken)
    assert "verified" not in index.report()


@pytest.mark.parametrize(
    "md5s",
    [
        {},  # a marker from an older course: empty
        {"images.tar.gz": "0" * 32, "annotations.tar.gz": "0" * 32},  # another archive
        {"images.tar.gz": manifest.PETS.archives["images.tar.gz"]},  # one of the two
    ],
)
def test_a_download_not_verified_against_the_manifest_is_checked(
    synthetic_pets, tmp_path, md5s
):
    cache = _as_download(synthetic_pets, tmp_path / "cache", md5s)
    index = pets.load_pets_index(cache_dir=cache, verbose=False)
    assert index.source.kind == "download" and not index.source.verified
    assert all(r.decode_checked for r in index.records)
    assert (cache / "checks").is_dir()


def test_unreadable_markers_are_not_verified(tmp_path):
    from utils import download

    assert download.verified_md5(tmp_path) is None  # no marker
    for text in ("{", "[1]", '{"md5": 5}', '{"md5": "abc"}'):
        (tmp_path / ".course-extracted").write_text(text)
        assert download.verified_md5(tmp_path) is None, text


def test_a_plain_datasource_is_not_verified(tmp_path):
    assert not sources.DataSource("Oxford-IIIT Pet", "local", tmp_path).verified


def test_dogs_cats_photos_no_index_decoded_are_guarded(
    synthetic_dogs_cats, tmp_path, capfd, monkeypatch
):
    monkeypatch.setattr(images, "TRAINING_SKIPS", {})
    folder = Path(shutil.copytree(synthetic_dogs_cats, tmp_path / "dc"))
    photos = [
        dogs_cats.Photo(
            p.path.replace(str(synthetic_dogs_cats), str(folder)),
            p.label,
            p.number,  # no fingerprint: no index decoded it
        )
        for p in dogs_cats.build_index(synthetic_dogs_cats).photos[:10]
    ]
    Path(photos[3].path).write_bytes(b"\xff\xd8\xff\xe0 cut")
    x, y = next(iter(dogs_cats.make_dataset(photos, (16, 16), 64)))
    assert x.shape[0] == 9
    assert "skipped in training: train/" in capfd.readouterr().err
    assert [p.label for i, p in enumerate(photos) if i != 3] == y.numpy().tolist()


# --- the uint8 cache ------------------------------------------------------------------------


def _epoch(ds):
    xs, ys = zip(*[(x.numpy(), y.numpy()) for x, y in ds])
    return np.concatenate(xs), np.concatenate(ys)


@pytest.mark.parametrize("size", [(24, 24), (40, 32)])
def test_every_cache_gives_the_same_numbers(synthetic_pets, tmp_path, size):
    records = pets.build_index(pets.find_layout(synthetic_pets)).records
    plain = _epoch(pets.make_dataset(records, size, 16, cache=False))
    memory = pets.make_dataset(records, size, 16, cache=True)
    disk = pets.make_dataset(records, size, 16, cache=tmp_path / "tfdata")
    for ds in (memory, disk):
        for _ in range(2):  # the pass that fills the cache and one that reads it
            x, y = _epoch(ds)
            np.testing.assert_array_equal(x, plain[0])
            np.testing.assert_array_equal(y, plain[1])
    x = plain[0]
    assert x.dtype == np.float32 and y.dtype == np.uint8
    assert np.array_equal(x, np.round(x)) and 0 <= x.min() and x.max() <= 255


def test_the_images_are_the_unrounded_resize_rounded(synthetic_pets):
    """Rounding is the only change from a float32 resize: at most 0.5, never more."""
    import tensorflow as tf

    records = pets.build_index(pets.find_layout(synthetic_pets)).records[:8]
    x, _ = _epoch(pets.make_dataset(records, (37, 53), 8))
    for record, streamed in zip(records, x):
        photo = images.decode_photo(tf.io.read_file(record.image_path))
        exact = images.resize_photo(photo, (37, 53)).numpy()
        assert np.abs(streamed - exact).max() <= 0.5
        np.testing.assert_array_equal(
            streamed, pets.load_image(record.image_path, (37, 53)).numpy()
        )


def test_dogs_cats_cache_gives_the_same_numbers(synthetic_dogs_cats, tmp_path):
    photos = dogs_cats.build_index(synthetic_dogs_cats).photos
    plain = _epoch(dogs_cats.make_dataset(photos, (20, 20), 32, cache=False))
    for cache in (True, tmp_path / "tfdata"):
        ds = dogs_cats.make_dataset(photos, (20, 20), 32, cache=cache)
        for _ in range(2):
            x, y = _epoch(ds)
            np.testing.assert_array_equal(x, plain[0])
            np.testing.assert_array_equal(y, plain[1])


def test_the_disk_cache_is_reused_and_keyed_on_the_settings(pets_copy, tmp_path):
    records = pets.build_index(pets.find_layout(pets_copy)).records[:6]
    folder = tmp_path / "tfdata"
    first = _epoch(pets.make_dataset(records, (16, 16), 8, cache=folder))
    for path in (pets_copy / "images").glob("*.jpg"):
        path.unlink()  # a second run needs no photo: it reads the cache file
    again = _epoch(pets.make_dataset(records, (16, 16), 8, cache=folder))
    np.testing.assert_array_equal(again[0], first[0])
    import tensorflow as tf

    with pytest.raises(tf.errors.NotFoundError):  # another size is another cache
        _epoch(pets.make_dataset(records, (18, 18), 8, cache=folder))


def test_disk_cache_defaults_to_the_course_cache(synthetic_pets, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "course-cache"))
    records = pets.build_index(pets.find_layout(synthetic_pets)).records[:4]
    _epoch(pets.make_dataset(records, (12, 12), 4, cache="disk"))
    assert list((tmp_path / "course-cache" / "tfdata").glob("examples-*.index"))


def test_a_shuffled_cache_gives_every_example_once_per_epoch_in_new_orders(
    synthetic_pets,
):
    records = pets.build_index(pets.find_layout(synthetic_pets)).records
    ds = pets.make_dataset(
        records, (16, 16), 8, targets=("breed",), shuffle=True, seed=3
    )
    assert int(ds.cardinality()) == 6  # Keras still knows the number of steps
    plain = _epoch(
        pets.make_dataset(records, (16, 16), 8, targets=("breed",), cache=False)
    )
    key = {bytes(x.tobytes()): int(y) for x, y in zip(*plain)}
    orders = []
    for _ in range(4):  # the pass that fills the cache, then three from the cache
        x, y = _epoch(ds)
        assert sorted(map(bytes, (i.tobytes() for i in x))) == sorted(key)
        assert all(key[i.tobytes()] == int(label) for i, label in zip(x, y))
        orders.append(tuple(i.tobytes() for i in x))
    assert len(set(orders)) == 4
    again = pets.make_dataset(
        records, (16, 16), 8, targets=("breed",), shuffle=True, seed=3
    )
    assert [_epoch(again)[1].tolist() for _ in range(3)] == [
        [key[o] for o in order] for order in orders[:3]
    ]  # the same seed gives the same orders


@pytest.mark.parametrize("global_seed", [0, 1337])
def test_a_shuffled_cache_under_a_global_seed(synthetic_pets, global_seed):
    import keras

    keras.utils.set_random_seed(global_seed)
    records = pets.build_index(pets.find_layout(synthetic_pets)).records
    ds = pets.make_dataset(records, (12, 12), 16, targets="species", shuffle=True)
    epochs = [_epoch(ds)[1].tolist() for _ in range(3)]
    assert all(sorted(e) == sorted(epochs[0]) for e in epochs)
    assert epochs[1] != epochs[2]


def test_passes_cut_short_never_wait_for_the_whole_set(synthetic_pets, tmp_path):
    """A loop that breaks early does not fill the cache; the next pass must not then
    shuffle the (unfilled) cache, which would decode every photo before its first batch."""
    records = pets.build_index(pets.find_layout(synthetic_pets)).records
    ds = pets.make_dataset(records, (12, 12), 4, targets="species", shuffle=True)
    for _ in range(3):
        next(iter(ds))
    x, _ = _epoch(ds)  # a whole pass fills the cache ...
    assert x.shape[0] == 48
    orders = {
        tuple(_epoch(ds)[1].tolist()) for _ in range(3)
    }  # ... then full reshuffles
    assert len(orders) == 3
