"""Modeling: backbones, heatmap heads, losses and the top-down meta-architecture."""

from .losses import *
from .backbone import *
from .heads import *
from .meta_arch import *
from .complexity import PoseNetwork, fvcore_gflops, hrnet_convention_gflops
from .config import add_topdown_config, model_config_from_yacs, use_keypoint_set
