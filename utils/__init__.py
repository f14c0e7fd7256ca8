"""Data and plotting helpers for the course notebooks."""

import os

# TensorFlow's start-up chatter (CUDA probing, CPU flags) would bury each notebook's first output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import warnings  # noqa: E402

# Keras 3 warns that fit()'s default shuffle=True does not apply to a tf.data.Dataset;
# the course's datasets are shuffled by tf.data itself, so the warning only adds noise.
warnings.filterwarnings("ignore", message="`shuffle=True` was passed")

from .config import Scale, describe_run, get_scale
from .errors import CourseDataError

__all__ = ["CourseDataError", "Scale", "describe_run", "get_scale"]
