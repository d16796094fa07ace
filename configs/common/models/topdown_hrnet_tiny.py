"""A reduced HRNet for CPU tests, benchmarks and the main job: width 8, one module and one block per
stage, a 16-channel stem; 185,705 parameters with 17 keypoints. Everything else as HRNet-W32.
"""

from .topdown_hrnet import model

model.backbone.update(
    width=8, num_modules=(1, 1, 1), num_blocks=(1, 1, 1), stage1_num_blocks=1, stem_channels=16
)
