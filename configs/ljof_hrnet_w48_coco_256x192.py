"""HRNet-W48 + LJOF (LJA + DSL), 256x192, trained on COCO train2017.

Reproduces: Table 1 row "HRNet+LJOF, HRNet-W48, 256x192" (OCHuman test, GT boxes: AP 63.5, AR 67.1),
Table 2 row "HRNet+LJOF, HRNet-W48" and Table 3's HRNet-W48 +LJOF row (COCO val2017).
"""

from .common.ljof import dsl as _dsl
from .common.ljof import lja as _lja
from .hrnet_w48_coco_256x192 import dataloader, lr_multiplier, model, optimizer, train

dataloader.train.mapper.lja = _lja
model.loss = _dsl
train.output_dir = "./output/ljof_hrnet_w48_coco_256x192"
