"""Learning-rate schedules and training lengths expressed in epochs (MMPose's recipe:
``configs/body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py``).

detectron2 counts iterations; the papers count epochs. With ``N`` person instances and a total batch
of ``B`` (all GPUs together), one epoch is ``ceil(N / B)`` iterations (MMPose's loader keeps the last,
partial batch, so a partial batch counts as one iteration). Examples:

* COCO train2017, 149,813 instances, batch 512 (8 x 64): ceil(292.6) = 293 it/epoch,
  210 epochs = 61,530 iterations; the LR drops at 170 x 293 = 49,810 and 200 x 293 = 58,600.
* COCO, batch 256 (8 x 32, HRNet-W48 / ResNet-152): 586 it/epoch, 123,060 iterations.

The LR multiplier is a 500-iteration linear warm-up from x0.001 followed by x0.1 at epochs 170 and 200
of 210 (MMPose ``LinearLR(start_factor=0.001, end=500)`` + ``MultiStepLR([170, 200], gamma=0.1)``),
built from fvcore/detectron2 ``ParamScheduler`` objects for detectron2's ``LRScheduler`` hook.
"""

import math
from typing import Any, Dict, Sequence

from detectron2.solver import WarmupParamScheduler
from fvcore.common.param_scheduler import MultiStepParamScheduler

__all__ = [
    "COCO_TRAIN_INSTANCES",
    "CROWDPOSE_TRAINVAL_INSTANCES",
    "epoch_lr_multiplier",
    "epoch_train_settings",
    "epochs_to_iters",
    "iters_per_epoch",
]

# Person instances the top-down loader yields per epoch (GT boxes, num_keypoints > 0, not crowd).
# COCO: what HRNet's COCO loader reports for train2017, "=> load 149813 samples"
# (github.com/leoxiaobin/deep-high-resolution-net.pytorch, lib/dataset/coco.py).
COCO_TRAIN_INSTANCES = 149813
# CrowdPose trainval (train 10,000 + val 2,000 images): instances with num_keypoints > 0 and not crowd,
# as MMPose filters them. Approximate (no annotation file here); the exact count only moves epoch
# boundaries by a fraction of an epoch. Count it with `len(ljof.data.get_topdown_dataset(name))`.
CROWDPOSE_TRAINVAL_INSTANCES = 43000


def iters_per_epoch(num_instances: int, total_batch_size: int) -> int:
    """``ceil(num_instances / total_batch_size)``: iterations of one pass over the person instances."""
    if num_instances <= 0 or total_batch_size <= 0:
        raise ValueError(
            f"need positive num_instances and total_batch_size, got {num_instances}, {total_batch_size}"
        )
    return int(math.ceil(num_instances / total_batch_size))


def epochs_to_iters(epochs: float, *, num_instances: int, total_batch_size: int) -> int:
    """Iterations of ``epochs`` epochs (rounded to the nearest iteration)."""
    return int(round(epochs * iters_per_epoch(num_instances, total_batch_size)))


def epoch_lr_multiplier(
    *,
    num_instances: int,
    total_batch_size: int,
    total_epochs: float = 210,
    milestones: Sequence[float] = (170, 200),
    gamma: float = 0.1,
    warmup_iters: int = 500,
    warmup_factor: float = 0.001,
) -> WarmupParamScheduler:
    """The standard top-down LR multiplier, in epochs.

    Args:
        num_instances: person instances per epoch (e.g. :data:`COCO_TRAIN_INSTANCES`).
        total_batch_size: batch over all processes.
        total_epochs: training length; must match ``train.max_iter`` (use :func:`epochs_to_iters`).
        milestones: epochs at which the LR is multiplied by ``gamma``.
        gamma: the multiplicative drop.
        warmup_iters: length of the linear warm-up in iterations (0 for none).
        warmup_factor: multiplier at iteration 0 of the warm-up.

    Returns:
        a ``ParamScheduler`` of the multiplier over the optimizer's base LR, as a function of
        ``iter / max_iter`` (what detectron2's ``LRScheduler`` hook expects as ``lr_multiplier``).
    """
    ipe = iters_per_epoch(num_instances, total_batch_size)
    max_iter = int(round(total_epochs * ipe))
    marks = [int(round(m * ipe)) for m in milestones]
    if sorted(set(marks)) != marks or (marks and not (0 < marks[0] and marks[-1] < max_iter)):
        raise ValueError(
            f"milestones {list(milestones)} must increase inside (0, {total_epochs}) epochs"
        )
    values = [gamma**i for i in range(len(marks) + 1)]
    steps = MultiStepParamScheduler(values=values, milestones=marks, num_updates=max_iter)
    return WarmupParamScheduler(
        steps,
        warmup_factor=warmup_factor,
        warmup_length=warmup_iters / max_iter,
        warmup_method="linear",
    )


def epoch_train_settings(
    *,
    num_instances: int,
    total_batch_size: int,
    total_epochs: float = 210,
    eval_every_epochs: float = 10,
    checkpoint_every_epochs: float = 10,
) -> Dict[str, Any]:
    """``train.*`` fields of a LazyConfig for an epoch-based recipe (MMPose: evaluate and save every 10).

    Returns:
        ``{"max_iter", "eval_period", "checkpointer": {"period", "max_to_keep"}}`` in iterations,
        for ``train.update(...)``.
    """
    ipe = iters_per_epoch(num_instances, total_batch_size)
    return {
        "max_iter": int(round(total_epochs * ipe)),
        "eval_period": max(1, int(round(eval_every_epochs * ipe))),
        "checkpointer": {
            "period": max(1, int(round(checkpoint_every_epochs * ipe))),
            "max_to_keep": 100,
        },
    }
