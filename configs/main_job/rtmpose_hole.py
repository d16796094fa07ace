"""Main job, + RTMPose's single large hole instead of LJA: ``baseline.py`` with one black hole of 0.2-0.4
of the crop side on every crop, plain heatmap MSE (``configs/common/occlusion_baselines.py``)."""

from ..common.occlusion_baselines import coarse_dropout_rtmpose as _occlusion
from .baseline import dataloader, lr_multiplier, model, optimizer, train

dataloader.train.mapper.lja = _occlusion
train.output_dir = "./output/main_job/rtmpose_hole"
