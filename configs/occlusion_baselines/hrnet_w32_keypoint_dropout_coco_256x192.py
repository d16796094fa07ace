"""HRNet-W32 + AID-style keypoint-centred dropping (1-2 labelled joints of any kind, each under a black block
of 0.1-0.2 of the crop side), 256x192, trained on COCO train2017; plain heatmap MSE.

No paper row: an occlusion baseline next to Table 1's "HRNet, HRNet-W32" (``hrnet_w32_coco_256x192.py``,
OCHuman AP 59.1) and "HRNet+LJOF" (60.6); with ``hrnet_w32_lja_coco_256x192.py`` it asks whether LJA's
choice of limb joints matters.
"""

from ..common.occlusion_baselines import keypoint_dropout as _occlusion
from ..hrnet_w32_coco_256x192 import dataloader, lr_multiplier, model, optimizer, train

dataloader.train.mapper.lja = _occlusion
train.output_dir = "./output/occlusion_baselines/hrnet_w32_keypoint_dropout_coco_256x192"
