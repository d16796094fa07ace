"""SRPose-style HRNet-W32 + LJOF (LJA + DSL on every supervised resolution), 256x192, COCO train2017.

Reproduces: Table 1 row "SRPose+LJOF, HRNet-W32, 256x192" (OCHuman test, GT boxes: AP 62.6, AR 66.6)
and Table 3's SRPose +LJOF row (COCO val2017).
"""

from .common.ljof import dsl as _dsl
from .common.ljof import lja as _lja
from .srpose_hrnet_w32_coco_256x192 import dataloader, lr_multiplier, model, optimizer, train

dataloader.train.mapper.lja = _lja
model.loss = _dsl
train.output_dir = "./output/ljof_srpose_hrnet_w32_coco_256x192"
