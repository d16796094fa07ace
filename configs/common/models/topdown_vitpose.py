"""ViTPose-B (classic decoder), 256x192, COCO-17, UDP codec (reference §2.2; 89,994,513 parameters).

ViT-B/16 with patch padding 2 and drop path 0.3, two 4x4 deconvolutions of 256 channels, UDP heatmaps
(no heatmap shift in the flip test).
"""

from detectron2.config import LazyCall as L
from detectron2.layers import ShapeSpec

from ljof.data import UDPHeatmap
from ljof.modeling import HeatmapHead, VisionTransformer

from .topdown_hrnet import model

model.backbone = L(VisionTransformer)(
    img_size=(256, 192),
    patch_size=16,
    patch_padding=2,
    embed_dim=768,
    depth=12,
    num_heads=12,
    mlp_ratio=4.0,
    qkv_bias=True,
    drop_path_rate=0.3,
)
model.head = L(HeatmapHead)(
    input_shape=L(ShapeSpec)(channels=768, stride=16),
    in_feature="last_feat",
    num_keypoints=17,
    deconv_out_channels=(256, 256),
    deconv_kernel_sizes=(4, 4),
)
model.codec = L(UDPHeatmap)(input_size=(192, 256), heatmap_size=(48, 64), sigma=2.0)
model.shift_heatmap = False
