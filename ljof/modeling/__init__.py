"""Modeling: backbones, heatmap heads, losses and the top-down meta-architecture."""

from .losses import *
from .backbone import *
from .heads import *
from .meta_arch import *
from .complexity import PoseNetwork, count_parameters, fvcore_gflops, hrnet_convention_gflops
from .presets import POSE_NETWORKS, build_pose_network
from .detector_pose import DetectorPoseModel, add_detector_pose_config
from .config import add_topdown_config
