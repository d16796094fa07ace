"""SimpleBaseline ResNet-152, 256x192, COCO-17 (reference §2.2; 68,635,473 parameters).

torchvision's ResNet-152 trunk + three 4x4 stride-2 deconvolutions of 256 channels + 1x1 output.
"""

from detectron2.config import LazyCall as L
from detectron2.layers import ShapeSpec

from ljof.modeling import HeatmapHead, ResNetTrunk

from .topdown_hrnet import model

model.backbone = L(ResNetTrunk)(depth=152)
model.head = L(HeatmapHead)(
    input_shape=L(ShapeSpec)(channels=2048, stride=32),
    in_feature="res5",
    num_keypoints=17,
    deconv_out_channels=(256, 256, 256),
    deconv_kernel_sizes=(4, 4, 4),
)
