"""The meta-architectures: the top-down pose estimator (and its inference helpers), and a detector
followed by it."""

from .flip import flip_back_heatmaps
from .merge import merge_instances_by_image
from .topdown import TopDownPoseEstimator
from .detector_pose import DetectorPoseModel, add_detector_pose_config, build_detector_model
