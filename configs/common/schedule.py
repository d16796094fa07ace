"""The standard top-down recipe (reference §1.1, §7): Adam 5e-4, 210 epochs, 500-iteration linear warm-up
from x0.001, LR x0.1 at epochs 170 and 200; evaluate and checkpoint every 10 epochs.

Iterations per epoch = ceil(person instances / total batch): COCO train2017 has 149,813 instances, so
batch 512 (8 x 64) gives 293 it/epoch and 61,530 iterations; batch 256 (8 x 32) gives 586 and 123,060.
A leaf that changes the batch calls ``epoch_train_settings`` again and sets
``lr_multiplier.total_batch_size`` (see hrnet_w48_coco_256x192.py).
"""

import torch
from detectron2 import model_zoo
from detectron2.config import LazyCall as L
from detectron2.solver.build import get_default_optimizer_params

from ljof.engine import (
    COCO_TRAIN_INSTANCES,
    build_optimizer,
    epoch_lr_multiplier,
    epoch_train_settings,
)

train = model_zoo.get_config("common/train.py").train
train.update(epoch_train_settings(num_instances=COCO_TRAIN_INSTANCES, total_batch_size=512))
train.output_dir = "./output"
train.amp.enabled = True  # on CUDA only; CPU runs ignore it
train.device = "cuda"
train.hooks = []  # read by tools/lazyconfig_train_net.py (after LRScheduler, before the checkpointer)
train.seed = 42

optimizer = L(build_optimizer)(
    optimizer_class=torch.optim.Adam,
    # params.model is set to the model by the training script, as in detectron2
    params=L(get_default_optimizer_params)(),
    lr=5e-4,
    max_grad_norm=None,  # no clipping in the CNN recipes
)

lr_multiplier = L(epoch_lr_multiplier)(
    num_instances=COCO_TRAIN_INSTANCES,
    total_batch_size=512,
    total_epochs=210,
    milestones=(170, 200),
    gamma=0.1,
    warmup_iters=500,
    warmup_factor=0.001,
)
