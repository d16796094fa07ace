"""Backbones of the top-down pose models (detectron2 ``Backbone`` subclasses)."""

from .hrnet import HRNet, build_hrnet_backbone
from .simple_baseline import ResNetTrunk
from .vit import VisionTransformer
