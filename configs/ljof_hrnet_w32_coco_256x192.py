"""HRNet-W32 + LJOF (LJA + DSL), 256x192, trained on COCO train2017.

Reproduces: Table 1 row "HRNet+LJOF, HRNet-W32, 256x192" (OCHuman test, GT boxes: AP 60.6, AR 64.8),
Table 2 row "HRNet+LJOF, HRNet-W32" and Table 3's HRNet-W32 +LJOF row (COCO val2017).
The inference model is exactly the baseline's (same parameters and FLOPs).
"""

from .common.ljof import dsl as _dsl
from .common.ljof import lja as _lja
from .hrnet_w32_coco_256x192 import dataloader, lr_multiplier, model, optimizer, train

dataloader.train.mapper.lja = _lja
model.loss = _dsl
train.output_dir = "./output/ljof_hrnet_w32_coco_256x192"
