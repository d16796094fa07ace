"""HRNet-W48 + LJOF (LJA + DSL), 256x192,
CrowdPose trainval -> CrowdPose test with detections.

Reproduces: Table 4 row "HRNet+LJOF, HRNet-W48" (CrowdPose test, AP / AP easy / medium / hard).
"""

from .common.ljof import dsl as _dsl
from .common.ljof import lja as _lja
from .hrnet_w48_crowdpose_256x192 import dataloader, lr_multiplier, model, optimizer, train

dataloader.train.mapper.lja = _lja
model.loss = _dsl
train.output_dir = "./output/ljof_hrnet_w48_crowdpose_256x192"
