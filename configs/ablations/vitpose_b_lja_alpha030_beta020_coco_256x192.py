"""Ablation (occlusion count and size): ViTPose-B + LJA with alpha=0.30, beta=0.20, COCO train2017.

Reproduces: Table 7 row alpha=0.30, beta=0.20 (OCHuman test AP / AR 60.0 / 64.3, COCO val 75.5 / 80.8).
alpha: fraction of the visible limb joints occluded (ceil(alpha * n) blocks); beta: block size as a
fraction of the person box.
"""

from .vitpose_b_lja_coco_256x192 import dataloader, lr_multiplier, model, optimizer, train

dataloader.train.mapper.lja.alpha = 0.3
dataloader.train.mapper.lja.beta = 0.2
train.output_dir = "./output/ablations/vitpose_b_lja_alpha030_beta020_coco_256x192"
