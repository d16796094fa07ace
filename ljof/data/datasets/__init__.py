"""Datasets: keypoint metadata, builtin COCO / OCHuman / CrowdPose splits, person-instance records."""
from .builtin_meta import KEYPOINT_SETS, get_keypoint_set_metadata
