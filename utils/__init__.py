"""Data and plotting helpers for the course notebooks."""

import os

# TensorFlow's start-up chatter (CUDA probing, CPU flags) would bury each notebook's first output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from .config import Scale, describe_run, get_scale
from .errors import CourseDataError

__all__ = ["CourseDataError", "Scale", "describe_run", "get_scale"]
