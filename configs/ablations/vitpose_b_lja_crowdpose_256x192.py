"""Ablation: ViTPose-B + LJA only (no DSL), 256x192, CrowdPose trainval -> CrowdPose test.

Reproduces: Table 6 row "+LJA" (CrowdPose test columns: AP 66.9, easy 76.4, medium 68.2, hard 55.1).
"""

from ..common.ljof import lja as _lja
from ..vitpose_b_crowdpose_256x192 import dataloader, lr_multiplier, model, optimizer, train

dataloader.train.mapper.lja = _lja
train.output_dir = "./output/ablations/vitpose_b_lja_crowdpose_256x192"
