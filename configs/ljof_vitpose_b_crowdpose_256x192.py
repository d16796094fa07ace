"""ViTPose-B + LJOF (LJA + DSL), 256x192,
CrowdPose trainval -> CrowdPose test with detections.

Reproduces: Table 4 row "ViTPose-B+LJOF" (CrowdPose test, AP / AP easy / medium / hard)
and Table 6 row "+DSL" (CrowdPose test columns: AP 67.1).
"""

from .common.ljof import dsl as _dsl
from .common.ljof import lja as _lja
from .vitpose_b_crowdpose_256x192 import dataloader, lr_multiplier, model, optimizer, train

dataloader.train.mapper.lja = _lja
model.loss = _dsl
train.output_dir = "./output/ljof_vitpose_b_crowdpose_256x192"
