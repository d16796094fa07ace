"""Ablation: ViTPose-B + LJA + DSL with the constant λ schedule, 256x192, trained on COCO train2017.

Reproduces: Table 8 row "constant" (OCHuman test AP / AR: one of 60.6 / 64.8, 60.8 / 65.1, 60.6 / 64.9;
the row labels are lost in our copy of the paper, whose text says step is best and constant gains least).
Schedule: constant λ = λ_max = 1 from the first iteration.
"""

from detectron2.config import LazyCall as L

from ljof.engine import LimbLambdaSchedule

from ..ljof_vitpose_b_coco_256x192 import dataloader, lr_multiplier, model, optimizer, train

model.loss.lambda_schedule = L(LimbLambdaSchedule)(kind="constant", lambda_max=1.0)
train.output_dir = "./output/ablations/vitpose_b_ljof_lambda_constant_coco_256x192"
