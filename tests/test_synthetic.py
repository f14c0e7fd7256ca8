import hashlib

import keras
import numpy as np
from PIL import Image

from utils import dogs_cats, pets
from utils.synthetic import make_synthetic_dogs_cats, make_synthetic_pets


def _digest(folder):
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(path.relative_to(folder).as_posix().encode() + path.read_bytes())
    return h.hexdigest()


def test_same_seed_same_files(tmp_path):
    a = make_synthetic_pets(tmp_path / "a", per_breed=3, seed=5)
    b = make_synthetic_pets(tmp_path / "b", per_breed=3, seed=5)
    c = make_synthetic_pets(tmp_path / "c", per_breed=3, seed=6)
    assert _digest(a) == _digest(b) != _digest(c)
    d = make_synthetic_dogs_cats(tmp_path / "d", per_class=3, seed=5)
    e = make_synthetic_dogs_cats(tmp_path / "e", per_class=3, seed=5)
    assert _digest(d) == _digest(e)


def test_generated_pets_look_like_the_official_set(synthetic_pets):
    list_txt = (synthetic_pets / "annotations" / "list.txt").read_text().splitlines()
    assert list_txt[0].startswith("#")  # the official list.txt has header lines
    sizes = set()
    for path in sorted((synthetic_pets / "images").glob("*.jpg"))[:12]:
        with Image.open(path) as image:
            assert image.format == "JPEG"
            sizes.add(image.size)
        trimap = np.asarray(
            Image.open(synthetic_pets / "annotations" / "trimaps" / f"{path.stem}.png")
        )
        assert trimap.shape == image.size[::-1] and set(np.unique(trimap)) == {1, 2, 3}
        pet, border = (trimap == 1).mean(), (trimap == 3).mean()
        assert (
            0.05 < pet < 0.6 and 0 < border < pet
        )  # a pet, with a thin band around it
    assert len(sizes) > 6  # varied photo sizes


def test_generated_photos_are_learnable(tmp_path):
    """A tiny convnet trained briefly must clearly beat the majority-class baseline."""
    keras.utils.set_random_seed(0)
    folder = make_synthetic_dogs_cats(tmp_path / "dc", per_class=80)
    splits = dogs_cats.split_photos(dogs_cats.build_index(folder).photos)
    train = dogs_cats.make_dataset(splits["train"], (64, 64), 16, shuffle=True)
    val = dogs_cats.make_dataset(splits["validation"], (64, 64), 32)
    model = keras.Sequential(
        [
            keras.Input((64, 64, 3)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.GlobalMaxPooling2D(),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        keras.optimizers.Adam(3e-3), "binary_crossentropy", metrics=["accuracy"]
    )
    model.fit(train, epochs=12, verbose=0)
    labels = np.concatenate([y for _, y in val])
    majority = max(labels.mean(), 1 - labels.mean())
    accuracy = model.evaluate(val, verbose=0)[1]
    assert accuracy >= majority + 0.25, (accuracy, majority)


def test_generated_masks_are_learnable(tmp_path):
    """Per-pixel: a small segmentation net beats predicting 'background' everywhere."""
    keras.utils.set_random_seed(0)
    records = pets.build_index(
        pets.find_layout(make_synthetic_pets(tmp_path / "p", per_breed=16))
    ).records
    train, val = pets.split_records(records, val_count=16)
    size = (48, 48)
    inputs = keras.Input(size + (3,))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    for filters in (16, 32):
        x = keras.layers.Conv2D(
            filters, 3, strides=2, padding="same", activation="relu"
        )(x)
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    for filters in (32, 16):
        x = keras.layers.Conv2DTranspose(
            filters, 3, strides=2, padding="same", activation="relu"
        )(x)
    model = keras.Model(inputs, keras.layers.Conv2D(3, 1, activation="softmax")(x))
    model.compile(
        keras.optimizers.Adam(3e-3),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(pets.make_dataset(train, size, 8, shuffle=True), epochs=25, verbose=0)
    val_ds = pets.make_dataset(val, size, 16)
    masks = np.concatenate([y for _, y in val_ds])
    background_only = (masks == 1).mean()
    accuracy = model.evaluate(val_ds, verbose=0)[1]
    print("pixel accuracy", accuracy, "background only", background_only)
    assert accuracy >= background_only + 0.1, (accuracy, background_only)
