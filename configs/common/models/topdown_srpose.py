"""SRPose-style HRNet-W32: multi-resolution heatmaps up to the input size (reference §2.2).

``HRNet(multiscale_output=True)`` + ``SRPoseHead`` predicting heatmaps at strides 8, 4, 2 and 1, every one
supervised (the data config gives one codec per output, sigma 1, 2, 4, 8); the full-resolution one
(192x256, sigma 8) is decoded.
"""

from detectron2.config import LazyCall as L
from detectron2.layers import ShapeSpec

from ljof.data import MSRAHeatmap
from ljof.modeling import HRNet, SRPoseHead

from .topdown_hrnet import model

model.backbone = L(HRNet)(width=32, multiscale_output=True)
model.head = L(SRPoseHead)(
    input_shape=L("builtins.dict")(  # (omegaconf cannot store the dict class itself)
        hr1=L(ShapeSpec)(channels=32, stride=4),
        hr2=L(ShapeSpec)(channels=64, stride=8),
        hr3=L(ShapeSpec)(channels=128, stride=16),
        hr4=L(ShapeSpec)(channels=256, stride=32),
    ),
    in_features=("hr1", "hr2", "hr3", "hr4"),
    num_keypoints=17,
    channels=32,
    output_strides=(8, 4, 2, 1),
)
model.codec = L(MSRAHeatmap)(input_size=(192, 256), heatmap_size=(192, 256), sigma=8.0)

# the matching targets, one codec per head output (stride s: heatmap (192/s, 256/s), sigma 8/s)
_SRPOSE_CODECS = [
    L(MSRAHeatmap)(input_size=(192, 256), heatmap_size=(192 // s, 256 // s), sigma=8.0 / s)
    for s in (8, 4, 2, 1)
]
