"""Main job, + LJA only (paper Table 6, second row): ``baseline.py`` + Limb Joint Augmentation, with the
plain heatmap MSE (no structure loss)."""

from ..common.ljof import lja as _lja
from .baseline import dataloader, lr_multiplier, model, optimizer, train

dataloader.train.mapper.lja = _lja
train.output_dir = "./output/main_job/lja"
