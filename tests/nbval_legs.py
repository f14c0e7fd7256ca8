"""A pytest plugin for ``tools/course.py test`` (``-p tests.nbval_legs``): how pytest-xdist
groups the work, and the precision each nbval leg runs under.

* Work units for ``--dist loadgroup``: a notebook's cells share one kernel, so they stay
  together on one worker; so do the tests of one unit-test file (a module's fixtures,
  the book build among them, then run once). Tests marked ``spread`` (each dry-run
  notebook, a process of its own) are handed out one by one.
* Precision: a notebook copy in ``.cache/nbval/LEG/NAME/`` runs under
  ``COURSE_PRECISION=LEG`` when LEG names a policy (``mixed_float16``,
  ``mixed_bfloat16``) and under float32 otherwise. nbval starts a notebook's kernel when
  its first cell is set up, with the worker's environment, so the variable is set just
  before: every leg states its policy, whatever CPU the tests run on.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from utils.precision import POLICIES


def leg_policy(notebook: Path) -> str:
    """The COURSE_PRECISION of the leg a notebook copy belongs to."""
    leg = notebook.parent.parent.name
    return leg if leg in POLICIES else "float32"


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("spread") is None:
            item.add_marker(pytest.mark.xdist_group(str(item.path)))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if item.path.suffix == ".ipynb":
        os.environ["COURSE_PRECISION"] = leg_policy(item.path)
