"""Every COURSE_* setting is checked where it is read: a bad value stops with a message
that names the variable, the value and the allowed values; book/running.md lists every
variable in one table."""

import re
from pathlib import Path

import pytest

from utils import config, dogs_cats, pets, precision, sources
from utils.errors import CourseDataError

ROOT = Path(__file__).resolve().parents[1]


def _scale():
    return config.get_scale()


def _max_steps():
    """How utils reads COURSE_MAX_STEPS: the length of a loop written by hand."""
    return config.get_scale("full").steps(10**6)


def _seeds():
    return config.get_scale("cpu").seeds()


def _pets_url():
    return pets.pets_urls()


def _dogs_cats_url():
    return dogs_cats.download_dogs_cats()


# variable, bad value, how the course reads it, a word of the allowed values
CASES = [
    ("COURSE_SCALE", "gpu", _scale, "smoke"),
    ("COURSE_SCALE", "ful", _scale, "full"),
    ("COURSE_SEEDS", "two", _seeds, "1"),
    ("COURSE_SEEDS", "0", _seeds, "1"),
    ("COURSE_SEEDS", "1.5", _seeds, "1"),
    ("COURSE_MAX_STEPS", "-3", _max_steps, "1"),
    ("COURSE_MAX_STEPS", "many", _max_steps, "1"),
    ("COURSE_PRECISION", "fp16", precision.requested_policy, "mixed_float16"),
    ("COURSE_DATA", "synth", sources.wants_synthetic, "synthetic"),
    ("COURSE_DATA", "download", sources.wants_synthetic, "synthetic"),
    ("COURSE_DATA", "synth", pets.locate_pets, "synthetic"),
    ("COURSE_DATA", "synth", dogs_cats.locate_dogs_cats, "synthetic"),
    ("COURSE_DOWNLOAD_TIMEOUT", "inf", sources.download_timeout, "86400"),
    ("COURSE_DOWNLOAD_TIMEOUT", "nan", sources.download_timeout, "86400"),
    ("COURSE_DOWNLOAD_TIMEOUT", "1e12", sources.download_timeout, "86400"),
    ("COURSE_DOWNLOAD_TIMEOUT", "0", sources.download_timeout, "86400"),
    ("COURSE_DOWNLOAD_TIMEOUT", "-5", sources.download_timeout, "86400"),
    ("COURSE_DOWNLOAD_TIMEOUT", "soon", sources.download_timeout, "86400"),
    ("COURSE_PETS_URL", "mirror.example/pets", _pets_url, "https://"),
    ("COURSE_PETS_URL", "htp://mirror.example/", _pets_url, "https://"),
    ("COURSE_DOGS_CATS_URL", "C:/data/dogs.zip", _dogs_cats_url, "https://"),
]


@pytest.mark.parametrize(("variable", "value", "read", "allowed"), CASES)
def test_a_bad_value_names_variable_value_and_allowed_values(
    monkeypatch, variable, value, read, allowed
):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError) as caught:
        read()
    message = str(caught.value)
    korean, english = message.split("\n", 1)
    for text in (korean, english):
        assert variable in text and value in text and allowed in text, text


def test_a_typo_in_course_data_is_caught_even_with_a_data_folder(
    monkeypatch, synthetic_pets
):
    monkeypatch.setenv("COURSE_DATA_DIR", str(synthetic_pets))
    monkeypatch.setenv("COURSE_DATA", "synth")
    with pytest.raises(CourseDataError, match="Did you mean 'synthetic'"):
        pets.locate_pets()


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("COURSE_SCALE", " Smoke ", "smoke"),
        ("COURSE_DATA", " Synthetic ", True),
        ("COURSE_DATA", "", False),
        ("COURSE_DOWNLOAD_TIMEOUT", " 90 ", 90.0),
        ("COURSE_DOWNLOAD_TIMEOUT", "", 60.0),
        ("COURSE_MAX_STEPS", "", 10**6),
        ("COURSE_MAX_STEPS", "3", 3),
    ],
)
def test_good_values_and_blanks_are_read(monkeypatch, variable, value, expected):
    monkeypatch.setenv(variable, value)
    read = {
        "COURSE_SCALE": lambda: config.get_scale().name,
        "COURSE_DATA": sources.wants_synthetic,
        "COURSE_DOWNLOAD_TIMEOUT": sources.download_timeout,
        "COURSE_MAX_STEPS": _max_steps,
    }[variable]
    assert read() == expected


def test_a_bad_timeout_argument_names_the_argument():
    with pytest.raises(ValueError, match="timeout"):
        sources.download_timeout(float("inf"))


def test_the_mirror_is_first_and_not_repeated(monkeypatch):
    monkeypatch.setenv("COURSE_PETS_URL", pets.OFFICIAL_URLS[1])
    assert pets.pets_urls() == [pets.OFFICIAL_URLS[1], pets.OFFICIAL_URLS[0]]


def test_a_cache_dir_that_is_a_file_names_course_cache_dir(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("COURSE_CACHE_DIR", str(blocker))
    with pytest.raises(CourseDataError) as caught:
        sources.cache_dir()
    assert "COURSE_CACHE_DIR" in caught.value.english and str(blocker) in str(
        caught.value
    )


def _variables_read() -> set[str]:
    """Every COURSE_* environment variable the course reads."""
    names = set()
    for path in [*ROOT.glob("utils/**/*.py"), *ROOT.glob("tools/*.py")]:
        names |= set(re.findall(r"\bCOURSE_[A-Z_]+\b", path.read_text()))
    return names - {"COURSE_ROOT"}  # a notebook's Python variable, not a setting


def test_every_setting_is_in_the_one_table_of_the_running_page():
    page = (ROOT / "book" / "running.md").read_text()
    rows = re.findall(r"^\| `(COURSE_[A-Z_]+)` \|", page, flags=re.MULTILINE)
    assert len(rows) == len(set(rows))
    assert _variables_read() <= set(rows), _variables_read() - set(rows)
    assert set(rows) <= _variables_read()  # and nothing the course does not read


def test_cache_dir_is_the_folder_and_cache_the_tf_data_mode():
    import inspect

    from utils import download, images

    folder_takers = [
        pets.download_pets,
        pets.locate_pets,
        pets.build_index,
        pets.load_pets_index,
        dogs_cats.download_dogs_cats,
        dogs_cats.locate_dogs_cats,
        dogs_cats.build_index,
        dogs_cats.load_dogs_cats_index,
        images.checked,
        download.fetch_archive,
    ]
    for function in folder_takers:
        parameters = inspect.signature(function).parameters
        assert "cache_dir" in parameters and "cache" not in parameters, function
    for function in (pets.make_dataset, dogs_cats.make_dataset):
        parameters = inspect.signature(function).parameters
        assert parameters["cache"].default is True and "cache_dir" not in parameters
    assert "cache" in inspect.signature(images.finish_pipeline).parameters
