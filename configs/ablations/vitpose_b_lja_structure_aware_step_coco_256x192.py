"""Ablation: ViTPose-B + LJA + the structure-aware loss of Ke et al. with the "step" dynamic weight (λ = 0
for the first third of training, 1 after), 256x192, trained on COCO train2017.

Reproduces: Table 9 row "[22]" with dynamic weights (OCHuman test AP / AR: 60.6 / 65.0; DSL's row, the
step-scheme ``ljof_vitpose_b_coco_256x192.py``, gives 61.0 / 65.2). The same λ schedule as the DSL configs.
"""

from ..common.ljof import lja as _lja
from ..common.structure_aware import sa_step as _sa
from ..vitpose_b_coco_256x192 import dataloader, lr_multiplier, model, optimizer, train

dataloader.train.mapper.lja = _lja
model.loss = _sa
train.output_dir = "./output/ablations/vitpose_b_lja_structure_aware_step_coco_256x192"
