"""Main job, + MMPose's CoarseDropout recipe instead of LJA: ``baseline.py`` with 1-8 black holes of
10-40 px at 256x192 (so 5-20 px in the main job's 96x128 crops) on half of the crops, plain heatmap MSE
(``configs/common/occlusion_baselines.py``)."""

from ..common.occlusion_baselines import coarse_dropout_mmpose as _occlusion
from .baseline import dataloader, lr_multiplier, model, optimizer, train

dataloader.train.mapper.lja = _occlusion
train.output_dir = "./output/main_job/coarse_dropout"
