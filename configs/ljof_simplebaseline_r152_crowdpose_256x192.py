"""SimpleBaseline ResNet-152 + LJOF (LJA + DSL), 256x192,
CrowdPose trainval -> CrowdPose test with detections.

Reproduces: Table 4 row "SimpleBaseline+LJOF, ResNet-152" (CrowdPose test, AP / AP easy / medium / hard).
"""

from .common.ljof import dsl as _dsl
from .common.ljof import lja as _lja
from .simplebaseline_r152_crowdpose_256x192 import (
    dataloader,
    lr_multiplier,
    model,
    optimizer,
    train,
)

dataloader.train.mapper.lja = _lja
model.loss = _dsl
train.output_dir = "./output/ljof_simplebaseline_r152_crowdpose_256x192"
