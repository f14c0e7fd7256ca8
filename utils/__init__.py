"""Data and plotting helpers for the course notebooks."""

import os

# TensorFlow's start-up chatter (CUDA probing, CPU flags) would bury each notebook's first output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import logging  # noqa: E402
import warnings  # noqa: E402

# A chapter builds many small models (seeds, arms, exercises); TensorFlow then warns that
# tf.function "retraced". The warning is about speed, not correctness, and it lands in
# the stored outputs that CI compares, so only errors from TensorFlow's logger are shown.
# A filter, not a level: TensorFlow resets the level to INFO in Jupyter when it first logs.
logging.getLogger("tensorflow").addFilter(
    lambda record: record.levelno >= logging.ERROR
)

# Keras 3 warns that fit()'s default shuffle=True does not apply to a tf.data.Dataset;
# the course's datasets are shuffled by tf.data itself, so the warning only adds noise.
warnings.filterwarnings("ignore", message="`shuffle=True` was passed")

from .config import Scale, describe_run, get_scale
from .errors import CourseDataError

__all__ = ["CourseDataError", "Scale", "describe_run", "get_scale"]
