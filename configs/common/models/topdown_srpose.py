"""SRPose-style HRNet-W32: multi-resolution heatmaps up to the input size (Wang et al., ACM MM 2023;
SRPose ``configs/top_down/srpose/coco/hrnet_w32_srpose_coco_256x192.py``, https://github.com/haonanwang0522/SRPose).

``HRNet(multiscale_output=True)`` + ``SRPoseHead`` predicting heatmaps at strides 8, 4, 2 and 1, every one
supervised (``_SRPOSE_CODECS``: one codec per output, sigma 1, 2, 4, 8, for the training data); the
full-resolution one (192x256, sigma 8) is the model's codec, decoded at test time.
"""

from detectron2.config import LazyCall as L

from ljof.data import MSRAHeatmap
from ljof.modeling import HRNet, SRPoseHead, hrnet_output_shape

from .topdown_hrnet import model

_W, _H = 192, 256  # crop size
_STRIDES = (8, 4, 2, 1)

model.backbone = L(HRNet)(width=32, multiscale_output=True)
model.head = L(SRPoseHead)(
    input_shape=L(hrnet_output_shape)(
        width="${...backbone.width}", multiscale_output="${...backbone.multiscale_output}"
    ),
    in_features=("hr1", "hr2", "hr3", "hr4"),
    num_keypoints=model.head.num_keypoints,  # the base's keypoint set
    channels=32,
    output_strides=_STRIDES,
)
model.codec = L(MSRAHeatmap)(input_size=(_W, _H), heatmap_size=(_W, _H), sigma=8.0)

# the matching targets, one codec per head output (stride s: heatmap (192/s, 256/s), sigma 8/s)
_SRPOSE_CODECS = [
    L(MSRAHeatmap)(input_size=(_W, _H), heatmap_size=(_W // s, _H // s), sigma=8.0 / s)
    for s in _STRIDES
]
