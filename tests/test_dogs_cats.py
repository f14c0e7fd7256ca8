import os
import shutil

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
    assert sorted((p.label, p.number) for p in index.photos) == [(k, n) for k in (0, 1) for n in range(5)]


def test_bad_files_are_found_by_decoding(synthetic_dogs_cats, tmp_path):
    folder = shutil.copytree(synthetic_dogs_cats, tmp_path / "dc")
    train = folder / "train"
    good = (train / "cat.0.jpg").read_bytes()
    (train / "cat.1.jpg").write_bytes(b"")  # empty, as in Microsoft's zip
    (train / "cat.2.jpg").write_bytes(good[:200] + os.urandom(3000))  # real JPEG header, garbage after
    (train / "dog.3.jpg").write_bytes(good[: len(good) // 3])  # truncated
    with Image.open(train / "dog.4.jpg") as image:  # a PNG named .jpg decodes: kept
        image.save(train / "dog.4.jpg", format="PNG")
    (train / "Thumbs.db").write_bytes(b"\x00" * 10)
    index = dogs_cats.build_index(folder)
    assert set(index.skipped) == {"train/cat.1.jpg", "train/cat.2.jpg", "train/dog.3.jpg", "train/Thumbs.db"}
    assert len(index.photos) == 57
    assert "skipped 4" in index.report()
    x, y = next(iter(dogs_cats.make_dataset(index.photos, (32, 32), batch_size=64)))
    assert x.shape == (57, 32, 32, 3) and sorted(set(y.numpy())) == [0, 1]


def test_folder_in_no_known_layout(tmp_path):
    with pytest.raises(CourseDataError, match="PetImages"):
        dogs_cats.build_index(tmp_path)


def _photos(per_class):
    return [Photo(f"{k}.{n}.jpg", k, n) for k in (0, 1) for n in range(per_class)]


def test_lecture_split():
    splits = dogs_cats.split_photos(_photos(12500))
    assert {k: len(v) for k, v in splits.items()} == {"train": 2000, "validation": 1000, "test": 2000}
    assert {p.number for p in splits["validation"]} == set(range(1000, 1500))
    assert {p.number for p in splits["test"]} == set(range(1500, 2500))


def test_proportional_split_for_small_folders():
    splits = dogs_cats.split_photos(_photos(1001))
    assert {k: len(v) for k, v in splits.items()} == {"train": 800, "validation": 400, "test": 802}
    capped = dogs_cats.split_photos(_photos(1001), per_class=50)
    assert {k: len(v) for k, v in capped.items()} == {"train": 40, "validation": 20, "test": 40}
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
    images, labels = dogs_cats.load_arrays(photos, (24, 24), seed=3)
    again, again_labels = dogs_cats.load_arrays(photos, (24, 24), seed=3)
    assert images.shape == (60, 24, 24, 3) and sorted(labels.tolist()) == [0] * 30 + [1] * 30
    assert (labels == again_labels).all() and (images == again).all()
    assert labels[:30].tolist() != [0] * 30  # not left ordered by class
