"""The top-down meta-architecture and its inference helpers."""

from .flip import flip_back_heatmaps
from .merge import merge_instances_by_image
from .topdown import TopDownPoseEstimator
