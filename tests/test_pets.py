import os
import shutil
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from utils import images, pets
from utils.errors import CourseDataError
from utils.synthetic import make_synthetic_pets


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# --- list files, trimaps, boxes ---------------------------------------------------------


def test_list_file_with_and_without_header(tmp_path):
    body = "Abyssinian_1 1 1 1\namerican_bulldog_10 2 2 1\n"
    plain = pets.parse_list_file(_write(tmp_path / "a.txt", body))
    headed = pets.parse_list_file(
        _write(tmp_path / "b.txt", "#Image CLASS-ID SPECIES BREED ID\n#x\n" + body)
    )
    assert plain == headed == {"Abyssinian_1": (1, 1), "american_bulldog_10": (2, 2)}


@pytest.mark.parametrize(
    "line",
    [
        "Abyssinian_1 1 1",
        "Abyssinian_1 x 1 1",
        "Abyssinian_1 1 3 1",
        "Abyssinian_1 40 1 1",
    ],
)
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


def _voc(width, height, box) -> str:
    xmin, ymin, xmax, ymax = box
    return (
        f"<annotation><size><width>{width}</width><height>{height}</height></size><object><bndbox>"
        f"<xmin>{xmin}</xmin><ymin>{ymin}</ymin><xmax>{xmax}</xmax><ymax>{ymax}</ymax></bndbox>"
        "</object></annotation>"
    )


def test_head_box_is_normalized_x_by_width_and_y_by_height(tmp_path):
    xml = _write(tmp_path / "x.xml", _voc(400, 200, (40, 20, 100, 180)))
    assert pets.parse_head_box(xml) == pytest.approx((0.1, 0.1, 0.25, 0.9))
    assert pets.parse_head_box(xml, image_size=(400, 200)) == pytest.approx(
        (0.1, 0.1, 0.25, 0.9)
    )


@pytest.mark.parametrize(
    "text, why",
    [
        ("", "머리 상자 XML이 아님"),
        ("<annotation><size><width>40", "머리 상자 XML이 아님"),
        (
            "<annotation><size><width>40</width><height>20</height></size></annotation>",
            "머리 상자 XML이 아님",
        ),
        (_voc(0, 200, (1, 2, 3, 4)), "0x200"),
        (_voc(400, 200, (100, 20, 50, 180)), "밖에 있음"),
        (_voc(400, 200, (40, 20, 100, 201)), "밖에 있음"),
        (_voc(200, 400, (40, 20, 100, 180)), r"사진 크기\(400x200\)"),
    ],
)
def test_bad_head_box_xml_is_a_value_error_naming_the_file(tmp_path, text, why):
    with pytest.raises(ValueError, match=why) as error:
        pets.parse_head_box(
            _write(tmp_path / "Abyssinian_1.xml", text), image_size=(400, 200)
        )
    assert "Abyssinian_1.xml" in str(error.value)


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


def test_each_record_carries_its_own_labels(synthetic_pets):
    index = pets.build_index(pets.find_layout(synthetic_pets))
    lines = {}
    for line in (synthetic_pets / "annotations" / "list.txt").read_text().splitlines():
        if not line.startswith("#"):
            name, class_id, species, _ = line.split()
            lines[name] = (int(class_id), int(species))
    for r in index.records:
        assert (r.class_id, ("cat", "dog").index(r.species) + 1) == lines[r.name], (
            r.name
        )
        assert Path(r.image_path).stem == Path(r.trimap_path).stem == r.name
        assert r.split == ("trainval" if int(r.name.rsplit("_", 1)[1]) % 2 else "test")


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
    _save_as(
        images / "Abyssinian_1.jpg", images / "Abyssinian_1.jpg", "RGBA", "PNG"
    )  # PNG named .jpg
    _save_as(
        images / "Abyssinian_3.jpg", images / "Abyssinian_3.jpg", "P", "GIF"
    )  # GIF named .jpg
    _save_as(
        images / "Bengal_1.jpg", images / "Bengal_1.jpg", "P", "PNG"
    )  # palette PNG
    _save_as(images / "beagle_1.jpg", images / "beagle_1.jpg", "L", "JPEG")  # grayscale
    data = (images / "beagle_3.jpg").read_bytes()
    (images / "beagle_3.jpg").write_bytes(
        data[: len(data) // 2]
    )  # corrupt (truncated) JPEG
    (images / "Bengal_3.jpg").write_bytes(
        data[:20] + os.urandom(2000)
    )  # JPEG header, garbage body
    (images / "Abyssinian_100.mat").write_bytes(b"MATLAB 5.0 MAT-file")
    shutil.copy(
        images / "Abyssinian_5.jpg", images / "Abyssinian_999.jpg"
    )  # in no list
    with Image.open(trimaps / "american_bulldog_1.png") as t:
        Image.fromarray(np.full(np.asarray(t).shape, 2, np.uint8)).save(
            trimaps / "american_bulldog_1.png"
        )

    index = pets.build_index(pets.find_layout(pets_copy))
    assert set(index.skipped) == {
        "beagle_3.jpg",
        "Bengal_3.jpg",
        "Abyssinian_100.mat",
        "Abyssinian_999.jpg",
        "american_bulldog_1.jpg",
    }
    assert index.skipped["Abyssinian_999.jpg"] == "어느 목록에도 없음"
    assert index.skipped["american_bulldog_1.jpg"] == "트라이맵에 반려동물 픽셀이 없음"
    report = index.report()
    assert "\n" not in report and "건너뜀 5개" in report
    for name, why in index.skipped.items():
        assert f"{name} ({why})" in report
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
        decoded = pets.load_image(
            rec.image_path, Image.open(rec.image_path).size[::-1]
        ).numpy()
        expected = np.asarray(Image.open(rec.image_path).convert("RGB"), np.float32)
        assert np.abs(decoded - expected).mean() < 1.0, name


def _snapshot(folder: Path) -> dict:
    """Every path below ``folder`` with its size, modification time and bytes."""
    return {
        p.relative_to(folder).as_posix(): (
            p.is_dir(),
            p.stat().st_mtime_ns,
            None if p.is_dir() else p.read_bytes(),
        )
        for p in sorted(folder.rglob("*"))
    }


def test_local_folder_is_only_read(tmp_path, monkeypatch):
    """A fresh folder and cache of its own; root could write to a read-only folder, so the
    test looks for anything written, not for permission errors."""
    folder = make_synthetic_pets(tmp_path / "data" / "oxford-iiit-pet", per_breed=2)
    cache = tmp_path / "cache"
    monkeypatch.setenv("COURSE_CACHE_DIR", str(cache))
    before = _snapshot(tmp_path / "data")
    for path in (tmp_path / "data").rglob("*"):
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        index = pets.load_pets_index(folder, verbose=False)
        list(pets.make_dataset(index.records, (32, 32), 4, targets=("mask", "box")))
        pets.load_pets_index(folder, verbose=False)  # again, from the remembered checks
    finally:
        for path in (tmp_path / "data").rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
    assert index.source.kind == "local" and len(index.records) == 8
    assert _snapshot(tmp_path / "data") == before
    assert list(
        (cache / "checks").glob("*.json")
    )  # the checks went to the cache instead


def test_synthetic_source_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA", "synthetic")
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    index = pets.load_pets_index(verbose=False)
    assert index.source.kind == "synthetic" and len(index.records) == 160
    assert str(tmp_path) not in str(
        index.source
    )  # the report names the folder, not the path


def test_missing_data_dir_is_a_clear_error(tmp_path):
    with pytest.raises(CourseDataError, match="COURSE_DATA_DIR"):
        pets.load_pets_index(tmp_path / "nowhere")


# --- splits and the pipeline ----------------------------------------------------------


def test_split_is_reproducible_and_sized(synthetic_pets):
    records = pets.build_index(pets.find_layout(synthetic_pets)).records
    train, val = pets.split_records(records, val_count=10, seed=1)
    again_train, again_val = pets.split_records(
        list(reversed(records)), val_count=10, seed=1
    )
    assert [r.name for r in val] == [r.name for r in again_val] and len(train) == 38
    assert {r.name for r in train}.isdisjoint(r.name for r in val)
    other = pets.split_records(records, val_count=10, seed=2)[1]
    assert [r.name for r in other] != [r.name for r in val]
    small_train, small_val = pets.split_records(records, val_count=4, max_images=20)
    assert len(small_train) == 16 and len(small_val) == 4
    with pytest.raises(ValueError):
        pets.split_records(records, val_count=48)


def test_dataset_shapes_and_dtypes(synthetic_pets):
    records = pets.build_index(pets.find_layout(synthetic_pets)).records
    x, y = next(iter(pets.make_dataset(records, (40, 48), 8)))
    assert x.shape == (8, 40, 48, 3) and x.dtype.name == "float32"
    assert y.shape == (8, 40, 48, 1) and y.dtype.name == "uint8"
    assert 0 <= float(x.numpy().min()) and float(x.numpy().max()) <= 255
    with pytest.raises(ValueError, match="unknown targets"):
        pets.make_dataset(records, targets=("colour",))


def test_decoded_mask_is_the_trimap_minus_one_pixel_for_pixel(synthetic_pets):
    records = pets.build_index(pets.find_layout(synthetic_pets)).records[:3]
    for r in records:
        trimap = np.asarray(Image.open(r.trimap_path)).astype(np.int16)
        size = trimap.shape
        np.testing.assert_array_equal(
            pets.load_mask(r.trimap_path, size).numpy()[..., 0], trimap - 1
        )
        x, y = next(iter(pets.make_dataset([r], size, 1)))
        np.testing.assert_array_equal(y.numpy()[0, ..., 0], trimap - 1)
        photo = np.asarray(Image.open(r.image_path).convert("RGB"), np.float32)
        assert (
            np.abs(x.numpy()[0] - photo).mean() < 2.0
        )  # its own pixels in RGB order (JPEG decoders differ by ~1)


def test_each_target_belongs_to_its_own_record(synthetic_pets):
    records = pets.build_index(pets.find_layout(synthetic_pets)).records
    boxed = [r for r in records if r.head_box is not None]
    ds = pets.make_dataset(records, (16, 16), 64, targets=("species", "breed", "box"))
    x, y = next(iter(ds))
    assert len(x) == len(boxed) == 24  # only the photos with a head box, in their order
    assert y["species"].numpy().tolist() == [int(r.species == "dog") for r in boxed]
    assert y["breed"].numpy().tolist() == [r.class_id - 1 for r in boxed]
    np.testing.assert_allclose(y["box"].numpy(), [r.head_box for r in boxed], rtol=1e-6)
    _, species = next(iter(pets.make_dataset(records, (16, 16), 64, targets="species")))
    assert species.numpy().tolist() == [int(r.species == "dog") for r in records]
    assert {
        r.species for r in records if r.breed in ("beagle", "american_bulldog")
    } == {"dog"}


def test_head_boxes_are_the_ones_in_the_xml_files(synthetic_pets):
    index = pets.build_index(pets.find_layout(synthetic_pets))
    for r in index.records:
        xml = synthetic_pets / "annotations" / "xmls" / f"{r.name}.xml"
        if not xml.exists():
            assert r.head_box is None
            continue
        text = xml.read_text()
        value = {
            k: float(text.split(f"<{k}>")[1].split("<")[0])
            for k in ("width", "height", "xmin", "ymin", "xmax", "ymax")
        }
        assert r.head_box == pytest.approx(
            (
                value["xmin"] / value["width"],
                value["ymin"] / value["height"],
                value["xmax"] / value["width"],
                value["ymax"] / value["height"],
            )
        )


def test_resized_mask_gains_no_class_its_source_lacks(pets_copy):
    """Pet on the left, border on the right, no background: smooth resizing would blend
    pet (0) and border (2) into background (1) along the edge."""
    name = "Abyssinian_1"
    trimap_path = pets_copy / "annotations" / "trimaps" / f"{name}.png"
    height, width = np.asarray(Image.open(trimap_path)).shape
    trimap = np.full((height, width), 3, np.uint8)
    trimap[:, : width // 2] = 1
    Image.fromarray(trimap).save(trimap_path)
    record = next(
        r
        for r in pets.build_index(pets.find_layout(pets_copy)).records
        if r.name == name
    )
    for size in [(7, 9), (57, 61), (height * 2 + 1, width * 3 - 1)]:
        mask = pets.load_mask(record.trimap_path, size).numpy()[..., 0]
        assert set(np.unique(mask)) == {0, 2}, size
        assert (mask[:, 0] == 0).all() and (mask[:, -1] == 2).all()
        _, y = next(iter(pets.make_dataset([record], size, 1)))
        np.testing.assert_array_equal(y.numpy()[0, ..., 0], mask)


def test_shuffled_dataset_is_deterministic_for_a_seed(synthetic_pets):
    records = pets.build_index(pets.find_layout(synthetic_pets)).records

    def first_labels(seed):
        ds = pets.make_dataset(
            records, (16, 16), 48, targets=("breed",), shuffle=True, seed=seed
        )
        return next(iter(ds))[1].numpy().tolist()

    assert first_labels(3) == first_labels(3)
    assert first_labels(3) != first_labels(4)


def test_load_arrays(synthetic_pets):
    records = pets.build_index(pets.find_layout(synthetic_pets)).records[:10]
    photos, masks = pets.load_arrays(records, (24, 24))
    assert photos.shape == (10, 24, 24, 3) and masks.shape == (10, 24, 24, 1)
    for r, mask in zip(records, masks):
        np.testing.assert_array_equal(
            mask, pets.load_mask(r.trimap_path, (24, 24)).numpy()
        )


def test_cached_dataset_is_reshuffled_each_epoch(synthetic_pets):
    records = pets.build_index(pets.find_layout(synthetic_pets)).records
    ds = pets.make_dataset(
        records, (16, 16), 48, targets=("breed",), shuffle=True, cache=True, seed=7
    )
    first, second = (next(iter(ds))[1].numpy().tolist() for _ in range(2))
    assert sorted(first) == sorted(second) and first != second


# --- broken files: reported by name, never an error or a crash mid-epoch --------------------


def _pngs_16_bit_and_palette(trimaps: Path):
    """Abyssinian_7 as a 16-bit trimap, Bengal_7 as a grey palette, beagle_7 as a coloured palette."""
    values = {
        n: np.asarray(Image.open(trimaps / f"{n}.png"))
        for n in ("Abyssinian_7", "Bengal_7", "beagle_7")
    }
    Image.fromarray(values["Abyssinian_7"].astype(np.uint16)).save(
        trimaps / "Abyssinian_7.png"
    )
    Image.fromarray(values["Bengal_7"]).convert("P").save(trimaps / "Bengal_7.png")
    coloured = Image.fromarray(values["beagle_7"], mode="P")
    coloured.putpalette([c for i in range(256) for c in (i * 9 % 256, 40, 255 - i)])
    coloured.save(trimaps / "beagle_7.png")
    return values


def test_sixteen_bit_and_palette_trimaps(pets_copy):
    values = _pngs_16_bit_and_palette(pets_copy / "annotations" / "trimaps")
    index = pets.build_index(pets.find_layout(pets_copy))
    assert "팔레트" in index.skipped["beagle_7.jpg"]
    assert index.notes == {
        "Abyssinian_7.png": "16비트 트라이맵",
        "Bengal_7.png": "팔레트 트라이맵",
    }
    assert "변환해 읽음 2개: Abyssinian_7.png (16비트 트라이맵)" in index.report()
    by_name = {r.name: r for r in index.records}
    for name in ("Abyssinian_7", "Bengal_7"):
        size = values[name].shape
        _, y = next(iter(pets.make_dataset([by_name[name]], size, 1)))
        np.testing.assert_array_equal(
            y.numpy()[0, ..., 0], values[name].astype(np.int16) - 1
        )


def test_nothing_stops_the_index(pets_copy):
    images_dir, ann = pets_copy / "images", pets_copy / "annotations"
    (ann / "xmls" / "Abyssinian_1.xml").write_text("")  # empty
    (ann / "xmls" / "Bengal_1.xml").write_text("<annotation><size>")  # malformed
    (ann / "xmls" / "beagle_1.xml").write_text(
        _voc(10, 10, (1, 1, 5, 5))
    )  # not the photo's size

    def chunk(kind, body):
        return (
            len(body).to_bytes(4, "big")
            + kind
            + body
            + zlib.crc32(kind + body).to_bytes(4, "big")
        )

    header = (30000).to_bytes(4, "big") * 2 + bytes(
        [8, 2, 0, 0, 0]
    )  # 30000 x 30000 pixels, RGB
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 99))
        + chunk(b"IEND", b"")
    )
    (images_dir / "Abyssinian_3.jpg").write_bytes(bomb)
    (images_dir / "Bengal_3.jpg").unlink()
    (images_dir / "Bengal_3.jpg").mkdir()  # a folder where a photo should be
    (images_dir / "beagle_3.jpg").unlink()
    (images_dir / "beagle_3.jpg").symlink_to(images_dir / "gone.jpg")  # dangling link
    (ann / "trimaps" / "beagle_5.png").write_bytes(b"")
    with open(ann / "list.txt", "a") as listing:
        listing.write("american_bulldog_9 two 2 1\n")  # one bad line

    index = pets.build_index(pets.find_layout(pets_copy))

    assert set(index.skipped) == {
        "Abyssinian_1.xml",
        "Bengal_1.xml",
        "beagle_1.xml",
        "Abyssinian_3.jpg",
        "Bengal_3.jpg",
        "beagle_3.jpg",
        "beagle_5.jpg",
        "list.txt:55",
    }
    assert "압축 해제 폭탄" in index.skipped["Abyssinian_3.jpg"]
    by_name = {r.name: r for r in index.records}
    assert (
        by_name["Abyssinian_1"].head_box is None
        and by_name["Bengal_1"].head_box is None
    )
    assert "american_bulldog_9" in by_name  # its label still comes from trainval.txt
    report = index.report()
    for name in index.skipped:
        assert name in report
    assert sum(
        1 for _ in pets.make_dataset(index.records, (16, 16), 7).unbatch()
    ) == len(index.records)


def test_check_cache_notices_a_changed_trimap(pets_copy, tmp_path):
    cache = tmp_path / "cache"
    layout = pets.find_layout(pets_copy)
    assert not pets.build_index(layout, cache_dir=cache).skipped
    trimap = pets_copy / "annotations" / "trimaps" / "Bengal_2.png"
    values = np.asarray(Image.open(trimap))
    Image.fromarray(np.where(values == 1, 4, values).astype(np.uint8)).save(trimap)
    assert (
        "1/2/3이 아님"
        in pets.build_index(layout, cache_dir=cache).skipped["Bengal_2.jpg"]
    )

    other = pets_copy / "annotations" / "trimaps" / "beagle_2.png"
    st = other.stat()
    data = bytearray(other.read_bytes())
    data[-20] ^= (
        0x55  # damage the end of the trimap, keep its size and modification time
    )
    other.write_bytes(bytes(data))
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert "beagle_2.jpg" in pets.build_index(layout, cache_dir=cache).skipped


def test_cache_argument_is_honoured(pets_copy, tmp_path, test_cache):
    layout = pets.find_layout(pets_copy)
    default_store = images._store_path(layout.images_dir.parent, None)
    pets.load_pets_index(pets_copy, cache_dir=tmp_path / "mine", verbose=False)
    assert len(list((tmp_path / "mine" / "checks").glob("*.json"))) == 1
    assert not default_store.exists()


def test_a_file_changed_after_indexing_is_named_mid_epoch(pets_copy):
    import tensorflow as tf

    index = pets.build_index(pets.find_layout(pets_copy))
    victim = pets_copy / "images" / "beagle_4.jpg"
    victim.write_bytes(victim.read_bytes()[:500])
    with pytest.raises(tf.errors.InvalidArgumentError, match="beagle_4.jpg"):
        list(pets.make_dataset(index.records, (16, 16), 8))
    trimap = pets_copy / "annotations" / "trimaps" / "Bengal_4.png"
    Image.fromarray(np.full((20, 20), 9, np.uint8)).save(trimap)
    record = next(r for r in index.records if r.name == "Bengal_4")
    with pytest.raises(tf.errors.InvalidArgumentError, match="Bengal_4.png"):
        pets.load_mask(
            record.trimap_path, (8, 8)
        )  # values outside 1..3 never become a mask


def test_records_made_by_hand_are_checked_as_training_reads_them(
    synthetic_pets, tmp_path, capfd, monkeypatch
):
    # Two decode paths only: a record without the index's fingerprints is guarded.
    from dataclasses import replace

    monkeypatch.setattr(images, "TRAINING_SKIPS", {})
    folder = Path(shutil.copytree(synthetic_pets, tmp_path / "pets"))
    index = pets.build_index(pets.find_layout(folder))
    assert all(r.decode_checked for r in index.records)
    by_hand = [
        replace(r, image_fingerprint=None, trimap_fingerprint=None)
        for r in index.records[:8]
    ]
    assert not any(r.decode_checked for r in by_hand)
    Path(by_hand[2].image_path).write_bytes(b"\xff\xd8\xff\xe0 cut")
    x, y = next(iter(pets.make_dataset(by_hand, (16, 16), 64)))
    assert x.shape[0] == y.shape[0] == 7
    assert "skipped in training: images/" in capfd.readouterr().err
