"""Checks on the real samples (COURSE_SAMPLES_DIR, default ../shared/data; skipped where
there are none)."""

import numpy as np
from PIL import Image

from utils import dogs_cats, pets


def test_pets_sample(real_data):
    index = pets.load_pets_index(real_data / "oxford-iiit-pet-sample", verbose=False)
    assert len(index.records) == 598
    assert index.skipped == {
        "Abyssinian_100.mat": "사진 파일이 아님",
        "Abyssinian_101.mat": "사진 파일이 아님",
        "Abyssinian_102.mat": "사진 파일이 아님",
        "Abyssinian_34.jpg": "어느 목록에도 없음",
        "Abyssinian_82.jpg": "어느 목록에도 없음",
    }
    counts = {b: sum(r.breed == b for r in index.records) for b in index.breeds}
    assert counts == {"Abyssinian": 198, "american_bulldog": 200, "Bengal": 200}
    assert index.class_ids == {"Abyssinian": 1, "american_bulldog": 2, "Bengal": 6}
    assert sum(r.head_box is not None for r in index.records) == 296


def test_pets_sample_quirks(real_data):
    images = real_data / "oxford-iiit-pet-sample" / "images"
    with (
        Image.open(images / "Abyssinian_34.jpg") as gif,
        Image.open(images / "Abyssinian_5.jpg") as png,
    ):
        assert (gif.format, png.format, png.mode) == ("GIF", "PNG", "RGBA")
    trimap = (
        real_data
        / "oxford-iiit-pet-sample"
        / "annotations"
        / "trimaps"
        / "Abyssinian_34.png"
    )
    assert set(np.unique(np.asarray(Image.open(trimap)))) == {2}  # all background
    # The RGBA PNG named .jpg is used, decoded to its RGB pixels.
    index = pets.load_pets_index(real_data / "oxford-iiit-pet-sample", verbose=False)
    record = next(r for r in index.records if r.name == "Abyssinian_5")
    size = Image.open(record.image_path).size[::-1]
    decoded = pets.load_image(record.image_path, size).numpy()
    expected = np.asarray(Image.open(record.image_path).convert("RGB"), np.float32)
    assert np.abs(decoded - expected).mean() < 1.0


def test_pets_sample_masks_and_split(real_data):
    index = pets.load_pets_index(real_data / "oxford-iiit-pet-sample", verbose=False)
    train, val = pets.split_records(index.records, val_count=120)
    assert (len(train), len(val)) == (478, 120)
    x, y = next(iter(pets.make_dataset(val, (128, 128), 32)))
    assert x.shape == (32, 128, 128, 3) and set(np.unique(y)) == {0, 1, 2}


def test_dogs_cats_sample(real_data):
    index = dogs_cats.load_dogs_cats_index(
        real_data / "dogs-vs-cats-sample", verbose=False
    )
    assert len(index.photos) == 2002 and not index.skipped
    splits = dogs_cats.split_photos(index.photos)
    assert {k: len(v) for k, v in splits.items()} == {
        "train": 800,
        "validation": 400,
        "test": 802,
    }
