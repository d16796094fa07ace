"""Data: dataset registration (``ljof.data.datasets``), the top-down mapper, LJA and heatmap codecs."""

from .datasets import *
from .augmentations import (
    CropAugInput,
    PixelHFlipTransform,
    RandomBBoxTransform,
    RandomHalfBody,
    RandomTopDownFlip,
    TopDownAugInput,
    WindowTransform,
    build_topdown_augmentations,
)
from .codecs import DARKHeatmap, HeatmapCodec, MSRAHeatmap, UDPHeatmap
from .lja import BlockFillTransform, LimbJointAugmentation
from .mapper import TopDownDatasetMapper
from .occlusion_baselines import CoarseDropout, KeypointCentredDropout
from .person_boxes import attach_person_boxes
from .samples import topdown_test_sample, window_area
from .transforms import TopDownAffineTransform, crop_person, crop_to_image, topdown_window
