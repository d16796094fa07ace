"""The standard top-down recipe of MMPose
``configs/body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py``: Adam 5e-4,
210 epochs, 500-iteration linear warm-up from x0.001, LR x0.1 at epochs 170 and 200; evaluate and
checkpoint every 10 epochs.

Iterations per epoch = ceil(person instances / total batch): COCO train2017 has 149,813 instances, so
batch 512 (8 x 64, the data config's) gives 293 it/epoch and 61,530 iterations; batch 256 (8 x 32) gives
586 and 123,060. The LR schedule reads the batch from ``dataloader.train.total_batch_size``; a leaf that
changes the batch calls :func:`use_total_batch_size` (see hrnet_w48_coco_256x192.py).
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

from .data.topdown_coco import dataloader as _data

train = model_zoo.get_config("common/train.py").train
train.update(
    epoch_train_settings(
        num_instances=COCO_TRAIN_INSTANCES, total_batch_size=_data.train.total_batch_size
    )
)
train.output_dir = "./output"
# CUDA: float32, the paper's precision (MMPose's defaults train HRNet in float32). Mixed precision is
# `train.amp.enabled=True` (detectron2's AMPTrainer: float16 + GradScaler); MMPose measured HRNet-W32 at
# 74.6 AP with fp16 (dynamic loss scale) vs 74.9 in fp32 (its PR #616), and an earlier fp16 attempt fell
# to 0 accuracy near epoch 140 (its PR #200). detectron2's stock tool asserts CUDA when it is True.
train.amp.enabled = False
# CPU (ljof.engine.build_trainer; amp.enabled plays no part there): "auto" trains under bfloat16 autocast
# only where the CPU has bf16 in hardware (AVX512-BF16/AMX, Arm BF16), else float32
train.amp.cpu_dtype = "auto"  # "auto" | "bfloat16" | "float32"
train.amp.eval_dtype = "float32"  # evaluation: exact float32 numbers; "bfloat16" for faster inference
# "auto": channels_last for convolutional models on a CPU device | "channels_last" | "contiguous"
train.memory_format = "auto"
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
    total_batch_size="${dataloader.train.total_batch_size}",
    total_epochs=210,
    milestones=(170, 200),
    gamma=0.1,
    warmup_iters=500,
    warmup_factor=0.001,
)


def use_total_batch_size(
    total_batch_size, *, dataloader, train, lr_multiplier, num_instances=COCO_TRAIN_INSTANCES
):
    """Set the batch over all GPUs, in place, and the epoch length it implies: the loader's
    ``total_batch_size`` (which the LR schedule reads), and ``train.max_iter``, ``eval_period`` and
    ``checkpointer.period`` for ``num_instances`` person instances per epoch."""
    dataloader.train.total_batch_size = total_batch_size
    train.update(
        epoch_train_settings(num_instances=num_instances, total_batch_size=total_batch_size)
    )
    lr_multiplier.num_instances = num_instances
