"""Ablation (occlusion count and size): ViTPose-B + LJA with alpha=0.30, beta=0.10, COCO train2017.

Reproduces: Table 7 row alpha=0.30, beta=0.10 (OCHuman test AP / AR 60.1 / 64.5, COCO val 75.6 / 80.9).
alpha: fraction of the visible limb joints occluded (ceil(alpha * n) blocks); beta: block size as a
fraction of the person box.
"""

from .vitpose_b_lja_coco_256x192 import dataloader, lr_multiplier, model, optimizer, train

dataloader.train.mapper.lja.alpha = 0.3
dataloader.train.mapper.lja.beta = 0.1
train.output_dir = "./output/ablations/vitpose_b_lja_alpha030_beta010_coco_256x192"
