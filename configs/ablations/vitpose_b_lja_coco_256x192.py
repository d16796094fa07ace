"""Ablation: ViTPose-B + LJA only (no DSL), 256x192, trained on COCO train2017.

Reproduces: Table 6 row "+LJA" (OCHuman test: AP 60.5, AR 64.8), Table 7 row alpha=0.15, beta=0.20
(60.5 / 64.8 on OCHuman test, 75.8 / 81.1 on COCO val) and Table 9's plain-MSE row (every model there is
trained with LJA).
"""

from ..common.ljof import lja as _lja
from ..vitpose_b_coco_256x192 import dataloader, lr_multiplier, model, optimizer, train

dataloader.train.mapper.lja = _lja
train.output_dir = "./output/ablations/vitpose_b_lja_coco_256x192"
