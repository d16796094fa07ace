"""Data: dataset registration (``ljof.data.datasets``), the top-down mapper, LJA and heatmap codecs."""

from .datasets import *
from .augmentations import (
    RandomBBoxTransform,
    RandomHalfBody,
    RandomTopDownFlip,
    TopDownAffine,
    TopDownAugInput,
    build_topdown_augmentations,
)
from .codecs import DARKHeatmap, HeatmapCodec, MSRAHeatmap, UDPHeatmap, build_codec
from .lja import LimbJointAugmentation
from .mapper import TopDownDatasetMapper
from .transforms import crop_to_image
