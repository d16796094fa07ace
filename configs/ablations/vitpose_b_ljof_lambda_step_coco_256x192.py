"""Ablation: ViTPose-B + LJA + DSL with the step λ schedule, 256x192, trained on COCO train2017.

Reproduces: Table 8 row "step" (OCHuman test AP / AR: 61.0 / 65.2, the best row).
Schedule: step: λ = 0 for the first third of training, 1 after (the default; the paper's best).
"""

from detectron2.config import LazyCall as L

from ljof.engine import LimbLambdaSchedule

from ..ljof_vitpose_b_coco_256x192 import dataloader, lr_multiplier, model, optimizer, train

model.loss.lambda_schedule = L(LimbLambdaSchedule)(
    kind="step", lambda_min=0.0, lambda_max=1.0, milestone=1 / 3
)
train.output_dir = "./output/ablations/vitpose_b_ljof_lambda_step_coco_256x192"
