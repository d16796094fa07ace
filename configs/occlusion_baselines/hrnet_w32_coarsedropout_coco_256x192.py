"""HRNet-W32 + MMPose's CoarseDropout recipe (1-8 black holes of 10-40 px at 256x192, p = 0.5), 256x192,
trained on COCO train2017; plain heatmap MSE.

No paper row: the occlusion augmentation a pose user already has, next to Table 1's "HRNet, HRNet-W32"
(``hrnet_w32_coco_256x192.py``, OCHuman AP 59.1) and Table 1's "HRNet+LJOF" (60.6). MMPose's row
(``td-hm_hrnet-w32_coarsedropout-8xb64-210e_coco-256x192.py``) reports COCO val AP 0.753 against 0.749 for
the plain recipe; it starts from MMPose's COCO-trained HRNet-W32 (``hrnet_w32_coco_256x192-c78dce93``),
this config from ImageNet like every HRNet-W32 config here, so that the rows compare.
"""

from ..common.occlusion_baselines import coarse_dropout_mmpose as _occlusion
from ..hrnet_w32_coco_256x192 import dataloader, lr_multiplier, model, optimizer, train

dataloader.train.mapper.lja = _occlusion
train.output_dir = "./output/occlusion_baselines/hrnet_w32_coarsedropout_coco_256x192"
