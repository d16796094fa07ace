"""HRNet-W32 + RTMPose's single large hole (one black hole of 0.2-0.4 of the crop side on every crop),
256x192, trained on COCO train2017; plain heatmap MSE.

No paper row: an occlusion baseline next to Table 1's "HRNet, HRNet-W32" (``hrnet_w32_coco_256x192.py``,
OCHuman AP 59.1) and "HRNet+LJOF" (60.6); RTMPose trains its own networks with this hole.
"""

from ..common.occlusion_baselines import coarse_dropout_rtmpose as _occlusion
from ..hrnet_w32_coco_256x192 import dataloader, lr_multiplier, model, optimizer, train

dataloader.train.mapper.lja = _occlusion
train.output_dir = "./output/occlusion_baselines/hrnet_w32_rtmpose_hole_coco_256x192"
