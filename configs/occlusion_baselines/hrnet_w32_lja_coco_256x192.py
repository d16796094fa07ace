"""HRNet-W32 + LJA only (no DSL), 256x192, trained on COCO train2017; plain heatmap MSE.

No paper row for HRNet-W32 (the paper's "+LJA" row, Table 6, is ViTPose-B's:
``ablations/vitpose_b_lja_coco_256x192.py``): LJA on the network of MMPose's CoarseDropout row, so that
the occlusion augmentations compare on one recipe (Table 1's "HRNet, HRNet-W32" is the baseline).
"""

from ..common.ljof import lja as _lja
from ..hrnet_w32_coco_256x192 import dataloader, lr_multiplier, model, optimizer, train

dataloader.train.mapper.lja = _lja
train.output_dir = "./output/occlusion_baselines/hrnet_w32_lja_coco_256x192"
