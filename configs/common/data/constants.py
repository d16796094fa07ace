"""Pixel statistics of ImageNet-pretrained backbones, 0-255 units, RGB order.

The values of MMPose's ``PoseDataPreprocessor`` in every top-down config (e.g. MMPose
``configs/body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py``); the names
are those of detectron2's ``configs/common/data/constants.py``. Every LJOF model config reads them here.
"""

constants = dict(
    imagenet_rgb256_mean=[123.675, 116.28, 103.53],
    imagenet_rgb256_std=[58.395, 57.12, 57.375],
)
