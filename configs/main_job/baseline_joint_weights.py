"""Main job, baseline with per-joint loss weights: ``baseline.py`` with each keypoint's target weight
scaled by COCO's joint weights (``ljof.data.datasets.builtin_meta.COCO_JOINT_WEIGHTS``, MMPose's and
HRNet's values: 1.2 for elbows and knees, 1.5 for wrists and ankles, 1 for the rest; both upstreams apply
them only when asked).

A probe of why seeds part (docs/main_job.md, "Stable long training"): LJOF's structure term weighs each
limb joint 2-3 times in its limb maps and its runs learned the ankles' side in every seed; does a plain
MSE that weighs the limb ends more do the same? The training study applies the same weights to every
variant with ``--override dataloader.train.mapper.joint_weights=...``.
"""

from ljof.data.datasets.builtin_meta import COCO_JOINT_WEIGHTS

from .baseline import dataloader, lr_multiplier, model, optimizer, train

dataloader.train.mapper.joint_weights = list(COCO_JOINT_WEIGHTS)
train.output_dir = "./output/main_job/baseline_jw"
