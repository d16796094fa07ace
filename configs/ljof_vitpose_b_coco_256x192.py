"""ViTPose-B + LJOF (LJA + DSL, step λ schedule), 256x192, trained on COCO train2017.

Reproduces: Table 1 row "ViTPose-B+LJOF, ViT-B, 256x192" (OCHuman test, GT boxes: AP 61.0, AR 65.2),
Table 3's ViTPose-B +LJOF row (COCO val2017), Table 6 row "+DSL" (OCHuman columns) and Table 8's
step-scheme row (61.0 / 65.2).
"""

from .common.ljof import dsl as _dsl
from .common.ljof import lja as _lja
from .vitpose_b_coco_256x192 import dataloader, lr_multiplier, model, optimizer, train

dataloader.train.mapper.lja = _lja
model.loss = _dsl
train.output_dir = "./output/ljof_vitpose_b_coco_256x192"
