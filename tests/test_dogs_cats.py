import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from utils import dogs_cats
from utils.dogs_cats import Photo
from utils.errors import CourseDataError
from utils.synthetic import make_synthetic_dogs_cats


def test_kaggle_layout(synthetic_dogs_cats):
    index = dogs_cats.build_index(synthetic_dogs_cats)
    assert len(index.photos) == 60 and not index.skipped
    assert sorted({(p.label, p.number) for p in index.photos})[:2] == [(0, 0), (0, 1)]
    assert all(("cat." in p.path) == (p.label == 0) for p in index.photos)


def test_microsoft_layout(tmp_path):
    folder = make_synthetic_dogs_cats(tmp_path / "ms", per_class=5, layout="microsoft")
    assert (folder / "PetImages" / "Dog" / "4.jpg").exists()
    index = dogs_cats.build_index(folder)
    assert sorted((p.label, p.number) for p in index.photos) == [
        (k, n) for k in (0, 1) for n in range(5)
    ]


def _break_microsoft(folder):
    """Broken files whose numbers are also good files of the other class."""
    cat, dog = folder / "PetImages" / "Cat", folder / "PetImages" / "Dog"
    good = (cat / "0.jpg").read_bytes()
    (cat / "3.jpg").write_bytes(
        b""
    )  # empty, as Microsoft's Cat/666.jpg; Dog/3.jpg is good
    (dog / "5.jpg").write_bytes(good[: len(good) // 3])  # cut; Cat/5.jpg is good
    with Image.open(
        dog / "1.jpg"
    ) as image:  # a 1-bit BMP named .jpg; Cat/1.jpg is good
        image.convert("1").save(dog / "1.jpg", format="BMP")
    (cat / "4.jpg").write_bytes(
        good[:100] + os.urandom(len(good) - 100)
    )  # garbage; Dog/4.jpg is good


def test_microsoft_layout_verdicts_never_pass_between_cat_and_dog(tmp_path):
    folder = make_synthetic_dogs_cats(tmp_path / "ms", per_class=8, layout="microsoft")
    _break_microsoft(folder)
    cache = tmp_path / "cache"
    broken = {"Cat/3.jpg", "Dog/5.jpg", "Dog/1.jpg", "Cat/4.jpg"}
    for run in ("first", "remembered"):
        index = dogs_cats.build_index(folder, cache_dir=cache)
        assert set(index.skipped) == broken, run
        kept = {(p.label, p.number) for p in index.photos}
        assert kept == {(k, n) for k in (0, 1) for n in range(8)} - {
            (0, 3),
            (1, 5),
            (1, 1),
            (0, 4),
        }
        assert all(
            f"/{'Cat' if p.label == 0 else 'Dog'}/{p.number}.jpg" in p.path
            for p in index.photos
        )
        _, y = next(iter(dogs_cats.make_dataset(index.photos, (16, 16), batch_size=64)))
        assert y.numpy().tolist() == [p.label for p in index.photos]
    report = index.report()
    for name in broken:
        assert name in report


def test_bad_files_are_found_by_decoding(synthetic_dogs_cats, tmp_path):
    folder = shutil.copytree(synthetic_dogs_cats, tmp_path / "dc")
    train = folder / "train"
    good = (train / "cat.0.jpg").read_bytes()
    (train / "cat.1.jpg").write_bytes(b"")  # empty, as in Microsoft's zip
    (train / "cat.2.jpg").write_bytes(
        good[:200] + os.urandom(3000)
    )  # real JPEG header, garbage after
    (train / "dog.3.jpg").write_bytes(good[: len(good) // 3])  # truncated
    with Image.open(train / "dog.4.jpg") as image:  # a PNG named .jpg decodes: kept
        image.save(train / "dog.4.jpg", format="PNG")
    (train / "Thumbs.db").write_bytes(b"\x00" * 10)
    index = dogs_cats.build_index(folder)
    assert set(index.skipped) == {
        "train/cat.1.jpg",
        "train/cat.2.jpg",
        "train/dog.3.jpg",
        "train/Thumbs.db",
    }
    assert len(index.photos) == 57
    assert "건너뜀 4개" in index.report()
    x, y = next(iter(dogs_cats.make_dataset(index.photos, (32, 32), batch_size=64)))
    assert x.shape == (57, 32, 32, 3) and y.numpy().tolist() == [
        p.label for p in index.photos
    ]


def test_labels_follow_the_file_names(synthetic_dogs_cats):
    index = dogs_cats.build_index(synthetic_dogs_cats)
    for p in index.photos:
        assert Path(p.path).name == f"{('cat', 'dog')[p.label]}.{p.number}.jpg"


def test_one_photo_per_number(synthetic_dogs_cats, tmp_path):
    folder = shutil.copytree(synthetic_dogs_cats, tmp_path / "dc")
    shutil.copy(folder / "train" / "cat.7.jpg", folder / "train" / "cat.007.jpg")
    index = dogs_cats.build_index(folder)
    assert [p.number for p in index.photos if p.label == 0].count(7) == 1
    assert index.skipped == {"train/cat.007.jpg": "번호 7 중복"}


def test_photos_decode_to_their_own_pixels(synthetic_dogs_cats):
    photo = dogs_cats.build_index(synthetic_dogs_cats).photos[-1]
    with Image.open(photo.path) as image:
        expected = np.asarray(image.convert("RGB"), np.float32)
    x, _ = next(iter(dogs_cats.make_dataset([photo], expected.shape[:2], 1)))
    assert np.abs(x.numpy()[0] - expected).mean() < 2.0


def test_folder_in_no_known_layout(tmp_path):
    with pytest.raises(CourseDataError, match="PetImages"):
        dogs_cats.build_index(tmp_path)


def _photos(per_class, missing=()):
    return [
        Photo(f"{k}.{n}.jpg", k, n)
        for k in (0, 1)
        for n in range(per_class)
        if (k, n) not in missing
    ]


def _numbers(photos, label):
    return sorted(p.number for p in photos if p.label == label)


def test_lecture_split_holds_exactly_the_lecture_numbers_per_class(capsys):
    splits = dogs_cats.split_photos(_photos(12500))
    expected = {
        "train": range(0, 1000),
        "validation": range(1000, 1500),
        "test": range(1500, 2500),
    }
    for part, numbers in expected.items():
        for label in (0, 1):
            assert _numbers(splits[part], label) == list(numbers), (part, label)
    assert splits.note == "" and capsys.readouterr().out == ""  # nothing to announce
    assert dogs_cats.split_photos(_photos(12500), scheme="lecture") == splits


def test_a_missing_number_keeps_the_lecture_split_and_is_announced(capsys):
    photos = _photos(
        3000, missing={(0, 666), (1, 1200)}
    )  # an empty Cat/666.jpg, a broken Dog/1200.jpg
    splits = dogs_cats.split_photos(photos)
    assert {k: len(v) for k, v in splits.items()} == {
        "train": 2000,
        "validation": 1000,
        "test": 2000,
    }
    assert _numbers(splits["train"], 0) == [n for n in range(1001) if n != 666]
    assert _numbers(splits["validation"], 0) == list(range(1001, 1501))
    assert _numbers(splits["test"], 0) == list(range(1501, 2501))
    assert _numbers(splits["train"], 1) == list(range(1000))
    assert _numbers(splits["validation"], 1) == [
        n for n in range(1000, 1501) if n != 1200
    ]
    assert _numbers(splits["test"], 1) == list(range(1501, 2501))
    printed = capsys.readouterr().out
    assert "고양이 666 -> 2500" in splits.note and "개 1200 -> 2500" in splits.note
    assert splits.note in printed
    index = dogs_cats.DogsCatsIndex(photos)
    assert "고양이 666 -> 2500" in index.report()


def test_fallback_to_proportional_is_announced(capsys):
    splits = dogs_cats.split_photos(_photos(1001))
    assert {k: len(v) for k, v in splits.items()} == {
        "train": 800,
        "validation": 400,
        "test": 802,
    }
    assert "2:1:2" in splits.note and "2:1:2" in capsys.readouterr().out
    short = dogs_cats.split_photos(_photos(1200), scheme="lecture", verbose=False)
    assert len(short["test"]) == 0 and "사진이 모자람" in short.note


def test_proportional_split_for_small_folders():
    splits = dogs_cats.split_photos(_photos(1001), per_class=1001)
    assert {k: len(v) for k, v in splits.items()} == {
        "train": 800,
        "validation": 400,
        "test": 802,
    }
    assert splits.note == ""  # asked for, not a fallback
    assert _numbers(splits["train"], 0) == list(range(400))
    assert _numbers(splits["validation"], 1) == list(range(400, 600))
    capped = dogs_cats.split_photos(_photos(1001), per_class=50)
    assert {k: len(v) for k, v in capped.items()} == {
        "train": 40,
        "validation": 20,
        "test": 40,
    }
    assert _numbers(capped["test"], 1) == list(range(30, 50))
    names = [set(map(id, v)) for v in splits.values()]
    assert not (names[0] & names[1] or names[1] & names[2] or names[0] & names[2])
    with pytest.raises(ValueError):
        dogs_cats.split_photos(_photos(10), scheme="random")


def test_local_source_finds_the_layout_one_level_down(synthetic_dogs_cats, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(synthetic_dogs_cats.parent))
    index = dogs_cats.load_dogs_cats_index(verbose=False)
    assert index.source.kind == "local" and len(index.photos) == 60


def test_load_arrays_mixes_classes_reproducibly(synthetic_dogs_cats):
    photos = dogs_cats.build_index(synthetic_dogs_cats).photos
    pixels, labels = dogs_cats.load_arrays(photos, (24, 24), seed=3)
    again, again_labels = dogs_cats.load_arrays(photos, (24, 24), seed=3)
    assert (
        pixels.shape == (60, 24, 24, 3)
        and sorted(labels.tolist()) == [0] * 30 + [1] * 30
    )
    assert (labels == again_labels).all() and (pixels == again).all()
    by_pixels = {
        pixels[i].tobytes(): labels[i] for i in range(len(labels))
    }  # each photo keeps its label
    ordered, _ = next(iter(dogs_cats.make_dataset(photos, (24, 24), 64)))
    assert [by_pixels[x.tobytes()] for x in ordered.numpy()] == [
        p.label for p in photos
    ]
    assert labels[:30].tolist() != [0] * 30  # not left ordered by class
