"""HRNet-W32 top-down model, 256x192, COCO-17 (reference §2.1; 28,536,113 parameters).

The loss is the weighted heatmap MSE (MMPose ``KeypointMSELoss``); the +LJOF configs replace it with the
Dynamic Structure Loss, which changes nothing at inference.
"""

from detectron2.config import LazyCall as L
from detectron2.layers import ShapeSpec

from detectron2.data.detection_utils import create_keypoint_hflip_indices

from ljof.data import MSRAHeatmap
from ljof.modeling import HeatmapHead, HRNet, KeypointMSELoss, TopDownPoseEstimator

model = L(TopDownPoseEstimator)(
    backbone=L(HRNet)(width=32),
    head=L(HeatmapHead)(
        input_shape=L(ShapeSpec)(channels=32, stride=4),  # = backbone width
        in_feature="hr1",
        num_keypoints=17,
    ),
    loss=L(KeypointMSELoss)(use_target_weight=True),
    codec=L(MSRAHeatmap)(input_size=(192, 256), heatmap_size=(48, 64), sigma=2.0),
    keypoint_flip_indices=L(create_keypoint_hflip_indices)(dataset_names="ljof_coco_2017_train"),
    # ImageNet statistics in RGB, 0-255 (reference §1.2); crops arrive BGR and are swapped
    pixel_mean=[123.675, 116.28, 103.53],
    pixel_std=[58.395, 57.12, 57.375],
    input_format="BGR",
    network_format="RGB",
    flip_test=True,
    shift_heatmap=True,
)
