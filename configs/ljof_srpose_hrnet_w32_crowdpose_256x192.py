"""SRPose-style HRNet-W32 + LJOF (LJA + DSL), 256x192,
CrowdPose trainval -> CrowdPose test with detections.

Reproduces: Table 4 row "SRPose+LJOF, HRNet-W32" (CrowdPose test, AP / AP easy / medium / hard).
"""

from .common.ljof import dsl as _dsl
from .common.ljof import lja as _lja
from .srpose_hrnet_w32_crowdpose_256x192 import dataloader, lr_multiplier, model, optimizer, train

dataloader.train.mapper.lja = _lja
model.loss = _dsl
train.output_dir = "./output/ljof_srpose_hrnet_w32_crowdpose_256x192"
