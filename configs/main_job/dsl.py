"""Main job, + DSL only: ``baseline.py`` with the Dynamic Structure Loss in place of the plain heatmap
MSE, no Limb Joint Augmentation (the paper's Table 6 has no such row; a probe of which part of LJOF
makes runs learn the ankles' side, docs/main_job.md "Stable long training")."""

from ..common.ljof import dsl as _dsl
from .baseline import dataloader, lr_multiplier, model, optimizer, train

model.loss = _dsl
train.output_dir = "./output/main_job/dsl"
