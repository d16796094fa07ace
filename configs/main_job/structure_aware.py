"""Main job, + LJA + the structure-aware loss of Ke et al. (paper Table 9, "[22]" with the step weight):
``baseline.py`` + Limb Joint Augmentation + heatmap MSE + λ × the summed-group term over each joint's
skeleton neighbourhood, λ stepped from 0 to 1 at a third of training by the loss's own schedule (as
LJOF's DSL). Ke et al.'s constant weight is the override ``model.loss.lambda_schedule.kind=constant``
(``ljof.main_job.variants.SA_CONSTANT``).
"""

from ..common.ljof import lja as _lja
from ..common.structure_aware import sa_step as _sa
from .baseline import dataloader, lr_multiplier, model, optimizer, train

dataloader.train.mapper.lja = _lja
model.loss = _sa
train.output_dir = "./output/main_job/structure_aware"
