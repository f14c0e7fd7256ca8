"""utils.checks is a package split by chapter; the notebooks still see one module."""

import importlib

from utils import checks


def test_each_check_lives_in_its_chapters_module_and_is_exported_once():
    names = [n for n in checks.__all__ if n.startswith("check_")]
    assert len(names) == len(set(names)) == 26
    for name in names:
        chapter = name.split("_")[1]  # "ch4"
        module = importlib.import_module(f"utils.checks.{chapter}")
        assert getattr(checks, name) is getattr(module, name)
        assert name in module.__all__
    for n in range(1, 8):
        module = importlib.import_module(f"utils.checks.ch{n}")
        assert set(module.__all__) <= set(names)
        assert all(name.startswith(f"check_ch{n}_") for name in module.__all__)


def test_the_shared_names_are_still_the_packages():
    from utils.checks import core

    assert checks.Feedback is core.Feedback
    assert checks.BLANK == core.BLANK
    assert checks.check_ch4_inference_mode.__name__ == "check_ch4_inference_mode"
