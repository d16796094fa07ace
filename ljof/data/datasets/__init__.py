"""Datasets: keypoint metadata, builtin COCO / OCHuman / CrowdPose splits, person-instance records."""

from . import builtin as _builtin  # registers the builtin splits (reads no file)
from .builtin_meta import KEYPOINT_SETS, get_keypoint_set_metadata
from .register import (
    add_register_argument,
    check_dataset_files,
    register_from_spec,
    register_from_specs,
    register_keypoint_dataset,
)
from .topdown import get_topdown_dataset, image_dicts_to_person_records, load_detection_records

__all__ = [
    "KEYPOINT_SETS",
    "get_keypoint_set_metadata",
    "register_keypoint_dataset",
    "register_from_spec",
    "register_from_specs",
    "add_register_argument",
    "check_dataset_files",
    "get_topdown_dataset",
    "image_dicts_to_person_records",
    "load_detection_records",
]
