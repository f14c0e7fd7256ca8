import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from utils import pets
from utils.errors import CourseDataError


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# --- list files, trimaps, boxes ---------------------------------------------------------

def test_list_file_with_and_without_header(tmp_path):
    body = "Abyssinian_1 1 1 1\namerican_bulldog_10 2 2 1\n"
    plain = pets.parse_list_file(_write(tmp_path / "a.txt", body))
    headed = pets.parse_list_file(_write(tmp_path / "b.txt", "#Image CLASS-ID SPECIES BREED ID\n#x\n" + body))
    assert plain == headed == {"Abyssinian_1": (1, 1), "american_bulldog_10": (2, 2)}


@pytest.mark.parametrize("line", ["Abyssinian_1 1 1", "Abyssinian_1 x 1 1", "Abyssinian_1 1 3 1", "Abyssinian_1 40 1 1"])
def test_bad_list_line_is_a_clear_error(tmp_path, line):
    with pytest.raises(CourseDataError) as error:
        pets.parse_list_file(_write(tmp_path / "list.txt", line + "\n"))
    assert "1번째 줄" in error.value.korean and "line 1" in error.value.english.lower()


def test_breed_name_from_file_name():
    assert pets.breed_of("american_pit_bull_terrier_105") == "american_pit_bull_terrier"
    assert pets.breed_of("Abyssinian_1") == "Abyssinian"


def test_trimap_values_become_classes():
    trimap = np.array([[1, 2], [3, 1]], np.uint8)
    np.testing.assert_array_equal(pets.trimap_to_classes(trimap), [[0, 1], [2, 0]])
    with pytest.raises(ValueError, match=r"\[0, 4\]"):
        pets.trimap_to_classes(np.array([[0, 4]]))


def test_head_box_is_normalized(tmp_path):
    xml = ("<annotation><size><width>400</width><height>200</height></size><object><bndbox>"
           "<xmin>100</xmin><ymin>50</ymin><xmax>300</xmax><ymax>150</ymax></bndbox></object></annotation>")
    assert pets.parse_head_box(_write(tmp_path / "x.xml", xml)) == (0.25, 0.25, 0.75, 0.75)


# --- the index ------------------------------------------------------------------------

def test_index_of_generated_set(synthetic_pets):
    index = pets.build_index(pets.find_layout(synthetic_pets))
    assert len(index.records) == 48 and not index.skipped
    assert index.breeds == ["Abyssinian", "american_bulldog", "beagle", "Bengal"]
    assert {r.species for r in index.records if r.breed == "beagle"} == {"dog"}
    trainval = [r for r in index.records if r.split == "trainval"]
    assert len(trainval) == 24 and all(r.head_box for r in trainval)
    assert all(r.head_box is None for r in index.records if r.split == "test")
    for r in trainval:
        xmin, ymin, xmax, ymax = r.head_box
        assert 0 <= xmin < xmax <= 1 and 0 <= ymin < ymax <= 1


def test_layout_errors_name_the_missing_file(pets_copy, tmp_path):
    (pets_copy / "annotations" / "list.txt").unlink()
    with pytest.raises(CourseDataError, match="annotations/list.txt"):
        pets.find_layout(pets_copy)
    with pytest.raises(CourseDataError, match="images/, annotations/"):
        pets.find_layout(tmp_path / "empty")


def _save_as(src: Path, dst: Path, mode: str, fmt: str):
    with Image.open(src) as image:
        image.convert(mode).save(dst, format=fmt)


def test_each_known_quirk_loads_or_is_reported(pets_copy):
    images, trimaps = pets_copy / "images", pets_copy / "annotations" / "trimaps"
    _save_as(images / "Abyssinian_1.jpg", images / "Abyssinian_1.jpg", "RGBA", "PNG")  # PNG named .jpg
    _save_as(images / "Abyssinian_3.jpg", images / "Abyssinian_3.jpg", "P", "GIF")  # GIF named .jpg
    _save_as(images / "Bengal_1.jpg", images / "Bengal_1.jpg", "P", "PNG")  # palette PNG
    _save_as(images / "beagle_1.jpg", images / "beagle_1.jpg", "L", "JPEG")  # grayscale
    data = (images / "beagle_3.jpg").read_bytes()
    (images / "beagle_3.jpg").write_bytes(data[: len(data) // 2])  # corrupt (truncated) JPEG
    (images / "Bengal_3.jpg").write_bytes(data[:20] + os.urandom(2000))  # JPEG header, garbage body
    (images / "Abyssinian_100.mat").write_bytes(b"MATLAB 5.0 MAT-file")
    shutil.copy(images / "Abyssinian_5.jpg", images / "Abyssinian_999.jpg")  # in no list
    with Image.open(trimaps / "american_bulldog_1.png") as t:
        Image.fromarray(np.full(np.asarray(t).shape, 2, np.uint8)).save(trimaps / "american_bulldog_1.png")

    index = pets.build_index(pets.find_layout(pets_copy))
    assert set(index.skipped) == {"beagle_3.jpg", "Bengal_3.jpg", "Abyssinian_100.mat",
                                  "Abyssinian_999.jpg", "american_bulldog_1.jpg"}
    assert index.skipped["Abyssinian_999.jpg"] == "in no list"
    assert index.skipped["american_bulldog_1.jpg"] == "trimap has no pet pixels"
    report = index.report()
    assert "\n" not in report and "skipped 5" in report and "beagle_3.jpg" in report
    assert len(index.records) == 48 - 3  # three listed photos could not be used

    by_name = {r.name: r for r in index.records}
    for name in ("Abyssinian_1", "Abyssinian_3", "Bengal_1", "beagle_1"):
        assert name in by_name
    # Every record streams without an error; the quirky files give the right RGB pixels.
    ds = pets.make_dataset(index.records, image_size=(32, 32), batch_size=16)
    seen = 0
    for x, y in ds:
        assert x.shape[1:] == (32, 32, 3) and set(np.unique(y)) <= {0, 1, 2}
        seen += len(x)
    assert seen == len(index.records)
    for name in ("Abyssinian_1", "Abyssinian_3", "Bengal_1", "beagle_1"):
        rec = by_name[name]
        decoded = pets.load_image(rec.image_path, Image.open(rec.image_path).size[::-1]).numpy()
        expected = np.asarray(Image.open(rec.image_path).convert("RGB"), np.float32)
        assert np.abs(decoded - expected).mean() < 1.0, name


def test_local_folder_is_only_read(pets_copy):
    def snapshot():
        return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in pets_copy.rglob("*")}

    before = snapshot()
    for path in pets_copy.rglob("*"):
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        index = pets.load_pets_index(pets_copy, verbose=False)
        list(pets.make_dataset(index.records[:8], (32, 32), 4))
        assert index.source.kind == "local"
    finally:
        for path in pets_copy.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
    assert snapshot() == before


def test_synthetic_source_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA", "synthetic")
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    index = pets.load_pets_index(verbose=False)
    assert index.source.kind == "synthetic" and len(index.records) == 160
    assert str(tmp_path) not in str(index.source)  # the report names the folder, not the path


def test_missing_data_dir_is_a_clear_error(tmp_path):
    with pytest.raises(CourseDataError, match="COURSE_DATA_DIR"):
        pets.load_pets_index(tmp_path / "nowhere")


# --- splits and the pipeline ----------------------------------------------------------

def test_split_is_reproducible_and_sized(synthetic_pets):
    records = pets.build_index(pets.find_layout(synthetic_pets)).records
    train, val = pets.split_records(records, val_count=10, seed=1)
    again_train, again_val = pets.split_records(list(reversed(records)), val_count=10, seed=1)
    assert [r.name for r in val] == [r.name for r in again_val] and len(train) == 38
    assert {r.name for r in train}.isdisjoint(r.name for r in val)
    other = pets.split_records(records, val_count=10, seed=2)[1]
    assert [r.name for r in other] != [r.name for r in val]
    small_train, small_val = pets.split_records(records, val_count=4, max_images=20)
    assert len(small_train) == 16 and len(small_val) == 4
    with pytest.raises(ValueError):
        pets.split_records(records, val_count=48)


def test_dataset_shapes_and_targets(synthetic_pets):
    records = pets.build_index(pets.find_layout(synthetic_pets)).records
    x, y = next(iter(pets.make_dataset(records, (40, 48), 8)))
    assert x.shape == (8, 40, 48, 3) and x.dtype.name == "float32"
    assert y.shape == (8, 40, 48, 1) and y.dtype.name == "uint8"
    assert 0 <= float(x.numpy().min()) and float(x.numpy().max()) <= 255
    assert set(np.unique(y)) == {0, 1, 2}

    ds = pets.make_dataset(records, (32, 32), 64, targets=("species", "breed", "box"))
    x, y = next(iter(ds))
    assert len(x) == 24  # only the photos with a head box
    assert set(y["species"].numpy()) == {0, 1} and y["box"].shape == (24, 4)
    assert set(y["breed"].numpy()) == {0, 1, 2, 5}  # official class ids 1, 2, 3, 6 minus one
    with pytest.raises(ValueError, match="unknown targets"):
        pets.make_dataset(records, targets=("colour",))


def test_mask_resize_keeps_class_values(synthetic_pets):
    record = pets.build_index(pets.find_layout(synthetic_pets)).records[0]
    mask = pets.load_mask(record.trimap_path, (57, 61)).numpy()
    assert mask.shape == (57, 61, 1) and set(np.unique(mask)) == {0, 1, 2}


def test_shuffled_dataset_is_deterministic_for_a_seed(synthetic_pets):
    records = pets.build_index(pets.find_layout(synthetic_pets)).records

    def first_labels(seed):
        ds = pets.make_dataset(records, (16, 16), 48, targets=("breed",), shuffle=True, seed=seed)
        return next(iter(ds))[1].numpy().tolist()

    assert first_labels(3) == first_labels(3)
    assert first_labels(3) != first_labels(4)


def test_load_arrays(synthetic_pets):
    records = pets.build_index(pets.find_layout(synthetic_pets)).records[:10]
    images, masks = pets.load_arrays(records, (24, 24))
    assert images.shape == (10, 24, 24, 3) and masks.shape == (10, 24, 24, 1)


def test_cached_dataset_is_reshuffled_each_epoch(synthetic_pets):
    records = pets.build_index(pets.find_layout(synthetic_pets)).records
    ds = pets.make_dataset(records, (16, 16), 48, targets=("breed",), shuffle=True, cache=True, seed=7)
    first, second = (next(iter(ds))[1].numpy().tolist() for _ in range(2))
    assert sorted(first) == sorted(second) and first != second
