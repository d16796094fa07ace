"""ViTPose-B (classic decoder), 256x192, COCO-17, UDP codec: 89,994,513 parameters (Xu et al., NeurIPS
2022; MMPose ``configs/body_2d_keypoint/topdown_heatmap/coco/td-hm_ViTPose-base_8xb64-210e_coco-256x192.py``).

ViT-B/16 with patch padding 2 and drop path 0.3, two 4x4 deconvolutions of 256 channels, UDP heatmaps
(no heatmap shift in the flip test). The ViT's ``img_size`` (H, W) follows the codec's input size (w, h).
"""

from detectron2.config import LazyCall as L
from detectron2.layers import ShapeSpec

from ljof.data import UDPHeatmap
from ljof.modeling import HeatmapHead, VisionTransformer

from .topdown_hrnet import model

model.backbone = L(VisionTransformer)(
    img_size=("${...codec.input_size[1]}", "${...codec.input_size[0]}"),
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
    input_shape=L(ShapeSpec)(
        channels="${...backbone.embed_dim}", stride="${...backbone.patch_size}"
    ),
    in_feature="last_feat",
    num_keypoints=model.head.num_keypoints,  # the base's keypoint set
    deconv_out_channels=(256, 256),
    deconv_kernel_sizes=(4, 4),
)
model.codec = L(UDPHeatmap)(
    input_size=model.codec.input_size, heatmap_size=model.codec.heatmap_size, sigma=2.0
)
model.shift_heatmap = False
