"""Ablation: ViTPose-B + LJA + the structure-aware loss of Ke et al. with a constant weight (λ = 1 from the
first iteration), 256x192, trained on COCO train2017.

Reproduces: Table 9 row "[22]" (OCHuman test AP / AR: 59.3 / 64.2, below the plain-MSE row's 60.5 / 64.8:
the paper's point that a structure loss from the first iteration hurts). The loss: heatmap MSE + λ × the
summed-group term over each joint's skeleton neighbourhood (``configs/common/structure_aware.py``).
"""

from ..common.ljof import lja as _lja
from ..common.structure_aware import sa_constant as _sa
from ..vitpose_b_coco_256x192 import dataloader, lr_multiplier, model, optimizer, train

dataloader.train.mapper.lja = _lja
model.loss = _sa
train.output_dir = "./output/ablations/vitpose_b_lja_structure_aware_constant_coco_256x192"
