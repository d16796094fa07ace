"""Main job, baseline with per-joint loss weights: ``baseline.py`` with the heatmap MSE of each keypoint
type scaled by the COCO ``joint_weights`` of MMPose's dataset info and of the HRNet code (1.2 for elbows
and knees, 1.5 for wrists and ankles, 1 for the rest; both apply them only when asked:
``use_dataset_keypoint_weights`` / ``USE_DIFFERENT_JOINTS_WEIGHT``, off by default).

A probe of why seeds part (docs/main_job.md, "Stable long training"): LJOF's structure term weighs each
limb joint 2-3 times in its limb maps and its runs learned the ankles' side in every seed; does a plain
MSE that weighs the limb ends more do the same?
"""

from .baseline import dataloader, lr_multiplier, model, optimizer, train

# COCO-17 order: nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles
model.loss.joint_weights = [1.0] * 7 + [1.2, 1.2, 1.5, 1.5, 1.0, 1.0, 1.2, 1.2, 1.5, 1.5]
train.output_dir = "./output/main_job/baseline_jw"
