"""Backbones of the top-down pose models (detectron2 ``Backbone`` subclasses)."""

from .hrnet import HRNet, hrnet_output_shape
from .simple_baseline import ResNetTrunk, resnet_trunk_output_shape
from .vit import VisionTransformer
