"""Main job, + AID-style keypoint-centred dropping instead of LJA: ``baseline.py`` with 1-2 labelled joints
of any kind each under a black block of 0.1-0.2 of the crop side, plain heatmap MSE
(``configs/common/occlusion_baselines.py``)."""

from ..common.occlusion_baselines import keypoint_dropout as _occlusion
from .baseline import dataloader, lr_multiplier, model, optimizer, train

dataloader.train.mapper.lja = _occlusion
train.output_dir = "./output/main_job/keypoint_dropout"
