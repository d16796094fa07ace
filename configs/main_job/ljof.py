"""Main job, LJOF: ``baseline.py`` + Limb Joint Augmentation + the Dynamic Structure Loss (λ stepped from
0 to 1 at a third of training by ``LimbLambdaHook``), exactly as the paper configs add them
(``configs/common/ljof.py``). The inference model is the baseline's.
"""

from ..common.ljof import dsl as _dsl
from ..common.ljof import lja as _lja
from .baseline import dataloader, lr_multiplier, model, optimizer, train

dataloader.train.mapper.lja = _lja
model.loss = _dsl
train.output_dir = "./output/main_job/ljof"
