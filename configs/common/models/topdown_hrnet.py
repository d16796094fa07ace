"""HRNet-W32 top-down model, 256x192, COCO-17: 28,536,113 parameters (MMPose
``configs/body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py``).

The base of every model config: the other files under ``configs/common/models/`` load it and change the
backbone, the head or the codec. The head's input follows the backbone by interpolation
(``"${...backbone.width}"``). The loss is the weighted heatmap MSE (MMPose ``KeypointMSELoss``); the
+LJOF configs replace it with the Dynamic Structure Loss, which changes nothing at inference.
"""

from detectron2.config import LazyCall as L
from detectron2.layers import ShapeSpec

from ljof.data import MSRAHeatmap
from ljof.modeling import (
    HeatmapHead,
    HRNet,
    KeypointMSELoss,
    TopDownPoseEstimator,
    use_keypoint_set,
)

from ..data.constants import constants as _constants

model = L(TopDownPoseEstimator)(
    backbone=L(HRNet)(width=32),
    head=L(HeatmapHead)(
        input_shape=L(ShapeSpec)(channels="${...backbone.width}", stride=4),  # hr1 of the backbone
        in_feature="hr1",
    ),
    loss=L(KeypointMSELoss)(use_target_weight=True),
    # (w, h) of the crops and of the heatmaps; the data configs take the codec from here
    codec=L(MSRAHeatmap)(input_size=(192, 256), heatmap_size=(48, 64), sigma=2.0),
    # crops arrive BGR (detectron2's format) and are swapped to the RGB of the ImageNet statistics
    pixel_mean=_constants["imagenet_rgb256_mean"],
    pixel_std=_constants["imagenet_rgb256_std"],
    input_format="BGR",
    network_format="RGB",
    flip_test=True,
    shift_heatmap=True,
)
use_keypoint_set(model, "coco")  # head.num_keypoints = 17 and the COCO flip map
