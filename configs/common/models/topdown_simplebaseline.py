"""SimpleBaseline ResNet-152, 256x192, COCO-17: 68,635,473 parameters (Xiao et al., ECCV 2018; MMPose
``configs/body_2d_keypoint/topdown_heatmap/coco/td-hm_res152_8xb32-210e_coco-256x192.py``).

torchvision's ResNet-152 trunk + three 4x4 stride-2 deconvolutions of 256 channels + 1x1 output.
"""

from detectron2.config import LazyCall as L

from ljof.modeling import HeatmapHead, ResNetTrunk, resnet_trunk_output_shape

from .topdown_hrnet import model

model.backbone = L(ResNetTrunk)(depth=152)
model.head = L(HeatmapHead)(
    input_shape=L(resnet_trunk_output_shape)(depth="${...backbone.depth}"),
    in_feature="res5",
    num_keypoints=model.head.num_keypoints,  # the base's keypoint set
    deconv_out_channels=(256, 256, 256),
    deconv_kernel_sizes=(4, 4, 4),
)
