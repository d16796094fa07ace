"""SimpleBaseline ResNet-152 + LJOF (LJA + DSL), 256x192, trained on COCO train2017.

Reproduces: Table 1 row "SimpleBaseline+LJOF, ResNet-152, 256x192" (OCHuman test, GT boxes: AP 58.6,
AR 63.1) and Table 3's SimpleBaseline +LJOF row (COCO val2017).
"""

from .common.ljof import dsl as _dsl
from .common.ljof import lja as _lja
from .simplebaseline_r152_coco_256x192 import dataloader, lr_multiplier, model, optimizer, train

dataloader.train.mapper.lja = _lja
model.loss = _dsl
train.output_dir = "./output/ljof_simplebaseline_r152_coco_256x192"
